#!/bin/sh
# concurrent_import.sh - optinctl check in a loop while another process imports 100,000 rows:
# no lookup fails, an opt-out made during the import wins, and every row is visible after it.
. "$top_srcdir/tests/lib/tap.sh"
mk_tmpdir
cat > "$TMP/conf" <<CONF
database = "$TMP/db";
lists = ( { id = "news"; opt_in = "single"; } );
CONF
O="$OPTINCTL -c $TMP/conf -t 2026-01-01T00:00:00Z"
$O init >/dev/null
awk 'BEGIN { print "address,list,consented_at,source"
             for (i = 0; i < 100000; i++) printf "user%d@example.com,news,2025-06-01T00:00:00Z,shop\n", i }' \
    > "$TMP/big.csv"
$O subscribe news early@example.com >/dev/null

$O import -q "$TMP/big.csv" > "$TMP/import.out" 2>&1 &
import_pid=$!
errors=0; lookups=0; allowed_early=0
while kill -0 "$import_pid" 2>/dev/null; do
    $O check news early@example.com >/dev/null 2>"$TMP/check.err"; rc=$?
    [ $rc -eq 0 ] && allowed_early=$((allowed_early + 1))
    [ $rc -gt 1 ] && errors=$((errors + 1))
    $O check news user99999@example.com >/dev/null 2>>"$TMP/check.err"; rc=$?
    [ $rc -gt 1 ] && errors=$((errors + 1))
    lookups=$((lookups + 2))
    [ $lookups -eq 10 ] && $O unsubscribe news user99998@example.com >/dev/null
done
wait "$import_pid"; import_rc=$?
echo "# $lookups lookups during the import"
is "import succeeded" "$import_rc" 0
is "no lookup failed during the import" "$errors" 0
ok "lookups ran while the import wrote ($lookups)" test "$lookups" -ge 2
is "an address consented before the import stayed allowed throughout" "$allowed_early" $((lookups / 2))
is "last imported row visible after the import" "$($O check news user99999@example.com)" consent
if [ "$lookups" -ge 10 ]; then
    is "unsubscribe during the import wins over the import" \
        "$($O check news user99998@example.com)" unsubscribed
else
    echo "# import finished before the unsubscribe was sent; checking the rule after it"
    $O unsubscribe news user99998@example.com >/dev/null
    $O import -q "$TMP/big.csv" >/dev/null 2>&1
    is "re-import does not undo an unsubscribe" "$($O check news user99998@example.com)" unsubscribed
fi
done_testing
