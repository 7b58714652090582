#!/bin/sh
# import_kill.sh - kill -9 of optinctl import at three moments, each on a new store: the store
# always opens and holds a whole number of committed batches (20,000 rows each, nothing of a batch
# half-written, whether its writer thread was committing or not), and a re-run finishes the job
# with every row present exactly once.
. "$(dirname "$0")/../lib/tap.sh"
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
OPTINCTL=$top_builddir/tools/optinctl/optinctl
[ -x "$OPTINCTL" ] || skip_all "optinctl is not built"
command -v python3 > /dev/null || skip_all "python3 reads the stats"
command -v mdb_stat > /dev/null || skip_all "mdb_stat not installed (Debian package lmdb-utils)"
mk_tmpdir
ROWS=1000000
BATCH=20000

cat > "$TMP/conf" <<EOF
database = "$TMP/db"; keys = "$TMP/keys"; log_target = "stderr";
lists = ( { id = "news"; opt_in = "single"; }, { id = "offers"; opt_in = "single"; } );
EOF
"$OPTINCTL" -c "$TMP/conf" init > /dev/null 2>&1 || { echo "Bail out! init"; exit 1; }
sh "$top_srcdir/tests/bench/gen_csv.sh" "$ROWS" 7 > "$TMP/rows.csv"

# records : how many consent records the store holds
records() {
    "$OPTINCTL" -c "$TMP/conf" stats --json 2> /dev/null \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(sum(v.values()) for v in d["lists"].values()))'
}

# committed : consent records committed so far (LMDB's own mdb_stat: cheap while the import runs)
committed() { mdb_stat -s consent "$TMP/db" 2> /dev/null | awk '/Entries:/ { print $2 }'; }
# wait_records N : until the store holds at least N records or the import ended (polled)
wait_records() {
    while kill -0 "$pid" 2> /dev/null; do
        [ "$(committed)" -ge "$1" ] 2> /dev/null && return 0
        sleep 0.01
    done
}
cut=0
# three moments, whatever the machine's speed: during the check pass, as soon as the first batch
# is committed, and once half the rows are
for moment in check first half; do
    rm -rf "$TMP/db"
    "$OPTINCTL" -c "$TMP/conf" init > /dev/null 2>&1 || { echo "Bail out! init"; exit 1; }
    "$OPTINCTL" -c "$TMP/conf" -a ops import "$TMP/rows.csv" > /dev/null 2>&1 &
    pid=$!
    case $moment in
        check) sleep 0.05 ;;
        first) wait_records "$BATCH" ;;
        half) wait_records $((ROWS / 2)) ;;
    esac
    kill -KILL "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    n=$(records)
    is "kill -9 ($moment): the store opens and holds whole batches ($n records)" \
        "$([ -n "$n" ] && [ $((n % BATCH)) -eq 0 ] && echo whole)" whole
    [ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt "$ROWS" ] && cut=$((cut + 1))
done
ok "at least one kill came between two commits of the import ($cut of 3)" test "$cut" -ge 1
"$OPTINCTL" -c "$TMP/conf" -a ops import "$TMP/rows.csv" > /dev/null 2> "$TMP/err"
is "a re-run completes the import" "$?" 0
is "... every row present once" "$(records)" "$ROWS"
ok "... the rows imported before were left as they were" grep -q 'unchanged [1-9]' "$TMP/err"
done_testing
