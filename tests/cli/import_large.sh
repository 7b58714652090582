#!/bin/sh
# import_large.sh - 100,000 generated rows: summary counts, spot checks of
# the verdicts, idempotent re-import, and memory that stays flat (peak
# RssAnon of the import process sampled every 0.05 s, under 64 MB).
. "$top_srcdir/tests/lib/tap.sh"

[ -x "$OPTINCTL" ] || skip_all "optinctl not built"
mk_tmpdir
ROWS=100000
LIMIT_KB=65536
NOW=2026-01-02T00:00:00Z

cat > "$TMP/conf" <<EOF
database = "$TMP/db";
lists = ( { id = "news"; opt_in = "single"; },
          { id = "offers"; opt_in = "double"; max_consent_age = "365d"; } );
EOF
# ctl ARGS... : optinctl on the test store at a fixed clock
ctl() { "$OPTINCTL" -c "$TMP/conf" -t "$NOW" -a tester "$@"; }
# summary : the counts of the last import's summary line
summary() { sed -n 's/^optinctl: import .*: \([0-9][0-9]* rows, added .*\)$/\1/p' "$TMP/err"; }
# counts N A U C K R S : the summary expected
counts() { echo "$1 rows, added $2, updated $3, unchanged $4, kept opt-out $5, resubscribed $6, skipped $7"; }
# sampled_import ARGS... : import in the background, peak RssAnon (kB) in $peak, status in $rc
sampled_import() {
    "$OPTINCTL" -c "$TMP/conf" -t "$NOW" -a tester import "$@" 2>"$TMP/err" &
    pid=$!    # the import itself, not a subshell running ctl
    peak=0
    while kill -0 "$pid" 2>/dev/null; do
        kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
        if [ -n "$kb" ] && [ "$kb" -gt "$peak" ]; then peak=$kb; fi
        sleep 0.05
    done
    wait "$pid"
    rc=$?
}
# pick AWK-CONDITION : the address of the first generated row matching it
# (columns: 1 address, 2 list, 3 state, 4 method, 5 consented_at, 6 confirmed_at)
pick() { awk -F, "NR > 1 && ($1) { print \$1; exit }" "$TMP/big.csv"; }

sh "$top_srcdir/tests/bench/gen_csv.sh" $ROWS 1 > "$TMP/big.csv"
is "generated rows" "$(($(wc -l < "$TMP/big.csv") - 1))" $ROWS
is "generator is deterministic" "$(sh "$top_srcdir/tests/bench/gen_csv.sh" 500 1 | cksum)" \
    "$(head -n 501 "$TMP/big.csv" | cksum)"
ctl init > /dev/null
is "init" "$?" 0

sampled_import "$TMP/big.csv"
is "import exit status" "$rc" 0
is "import summary" "$(summary)" "$(counts $ROWS $ROWS 0 0 0 0 0)"
echo "# peak RssAnon of import: $peak kB for $ROWS rows"
if [ -r /proc/self/status ]; then
    ok "memory flat: peak RssAnon under $LIMIT_KB kB" test "$peak" -gt 0 -a "$peak" -lt $LIMIT_KB
else
    echo "ok $((tap_n += 1)) # SKIP no /proc to sample"
fi

is "single opt-in row allowed" "$(ctl check news "$(pick '$2 == "news" && $3 == ""')")" consent
is "pending row denied" "$(ctl check offers "$(pick '$2 == "offers" && $3 == "pending"')")" pending
is "double opt-in without confirmation pending" "$(ctl check offers "$(pick '$2 == "offers" && $6 == ""')")" pending
is "recent confirmation allowed" \
    "$(ctl check offers "$(pick '$2 == "offers" && $6 >= "2025-06-01"')")" consent
is "old confirmation expired" \
    "$(ctl check offers "$(pick '$2 == "offers" && $6 != "" && $6 < "2024-06-01"')")" expired
last=$(tail -n 1 "$TMP/big.csv")
ok "last row imported" test "$(ctl check "$(echo "$last" | cut -d, -f2)" "$(echo "$last" | cut -d, -f1)")" != no-record
is "unknown address" "$(ctl check news "user$((ROWS + 1))@d0.example")" no-record

sampled_import "$TMP/big.csv"
is "second import exit status" "$rc" 0
is "second import changes nothing" "$(summary)" "$(counts $ROWS 0 0 $ROWS 0 0 0)"
echo "# peak RssAnon of re-import: $peak kB"
ok "memory flat on re-import" test "$peak" -lt $LIMIT_KB

done_testing
