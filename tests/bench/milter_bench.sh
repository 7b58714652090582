#!/bin/sh
# milter_bench.sh - what optin-milter costs per message beside a do-nothing libmilter milter (the
# protocol floor, tests/bench/nullmilter.c), driven alike over their unix sockets by
# tests/bench/mload.py, which speaks as Postfix's smtpd and checks every reply: the milter's CPU
# per list and per transactional message (from /proc, user + system) with one connection, and the
# client's p50/p99 latency per message with 1 and 8 connections; runs alternated, medians printed,
# then the ratios the performance work steers by (README "Performance"), the machine and commit.
# optin-milter runs twice on the same store: with the default journal_sync = 0 (each transaction's
# lines fdatasync'ed before the answer to end of message: the receipt rule) and, as "optin-1s",
# with journal_sync = "1s", which shows what the one fdatasync per transaction costs.
#
# usage: sh tests/bench/milter_bench.sh [MESSAGES [SUBSCRIBERS [ROUNDS]]]
#        (default 4000 messages of 5 recipients, 1000000 subscribers, 3 rounds)
#        sh tests/bench/milter_bench.sh busy [MESSAGES [SUBSCRIBERS [ROUNDS]]]
#        (latency while the store is written: list messages over one connection, alone and
#        while optinctl imports files of 1,000,000 new rows one after the other and
#        unsubscribes 100 addresses a second,
#        beside the do-nothing milter's, and each consent lookup alone (bench_decide -l on the
#        same store, idle and busy); medians of ROUNDS runs, the p99 ratios busy/idle,
#        target <= 2)
#        sh tests/bench/milter_bench.sh rss [TOTAL [SUBSCRIBERS]]
#        (memory: TOTAL list messages, default 1000000, through optin-milter over 8 connections
#        in ten parts, its VmRSS, RssAnon and RssFile after each; VmRSS must stay within 5% of
#        the first part's; RssFile is the store's pages mapped so far, RssAnon the heap and stacks)
# Needs neither root nor Postfix. Environment: top_srcdir, top_builddir (set by make bench).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
MODE=cpu
[ "${1:-}" = rss ] && { MODE=rss; shift; set -- "${1:-1000000}" "${2:-1000000}"; }
[ "${1:-}" = busy ] && { MODE=busy; shift; }
MESSAGES=${1:-4000} SUBSCRIBERS=${2:-1000000} ROUNDS=${3:-3} RCPTS=5
OPTINCTL=$top_builddir/tools/optinctl/optinctl
MILTER=$top_builddir/milter/optin-milter
NULLMILTER=$top_builddir/tests/bench/nullmilter
DECIDE=$top_builddir/tests/bench/bench_decide
MLOAD=$top_srcdir/tests/bench/mload.py
for p in "$OPTINCTL" "$MILTER" "$NULLMILTER" "$DECIDE"; do
    [ -x "$p" ] || { echo "milter_bench: $p is not built (make bench builds it)" >&2; exit 1; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/optin-bench.XXXXXX")
PIDS=
trap 'for p in $PIDS; do kill "$p" 2> /dev/null; done; sleep 0.5; rm -rf "$T"' EXIT

cat > "$T/conf" <<EOF
database = "$T/db"; keys = "$T/keys"; journal = "$T/journal"; log_target = "stderr";
log_level = "warning"; socket = "unix:$T/optin.sock"; socket_mode = "0600";
unsubscribe_url = "https://u.bench.example/u/"; rcpt_refusal_limit = 1000;
lists = ( { id = "news"; opt_in = "single";
            match = { envelope_from = [ "bounce-news-*@lists.bench.example" ];
                      list_id = [ "news.bench.example" ]; }; } );
EOF
sed -e "s|journal\"; log_target|journal-1s\"; journal_sync = \"1s\"; log_target|" \
    -e "s|optin.sock|optin1s.sock|" "$T/conf" > "$T/conf1s"
"$OPTINCTL" -c "$T/conf" keygen "$T/keys" > /dev/null && "$OPTINCTL" -c "$T/conf" init > /dev/null \
    || { echo "milter_bench: store" >&2; exit 1; }
awk -v n="$SUBSCRIBERS" 'BEGIN { print "address,list"; for (i = 0; i < n; i++) printf "c%d@example.org,news\n", i }' \
    > "$T/subs.csv"
t0=$(date +%s.%N)
"$OPTINCTL" -c "$T/conf" import -q "$T/subs.csv" || { echo "milter_bench: import" >&2; exit 1; }
echo "# store: $SUBSCRIBERS consented addresses imported in $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5) s"
rm -f "$T/subs.csv"

"$NULLMILTER" "unix:$T/null.sock" > "$T/null.log" 2>&1 &
NULL_PID=$!
"$MILTER" -f -c "$T/conf" > "$T/optin.log" 2>&1 &
OPTIN_PID=$!
"$MILTER" -f -c "$T/conf1s" > "$T/optin1s.log" 2>&1 &
OPTIN1S_PID=$!
PIDS="$NULL_PID $OPTIN_PID $OPTIN1S_PID"
for s in null optin optin1s; do
    for _ in $(seq 50); do [ -S "$T/$s.sock" ] && break; sleep 0.1; done
    [ -S "$T/$s.sock" ] || { echo "milter_bench: $s milter does not start" >&2; cat "$T/$s.log" >&2; exit 1; }
done

# load NAME KIND CONNS [MESSAGES] : one run against one milter; its figures line appended to
# $T/NAME.KIND.CONNS
load() {
    eval "pid=\$$(echo "$1" | tr a-z A-Z)_PID"
    ratio=1; [ "$2" = transactional ] && ratio=0
    check=--check; [ "$1" = null ] && check=--no-check     # the floor decides nothing
    python3 "$MLOAD" --socket "unix:$T/$1.sock" --pid "$pid" --conns "$3" --messages $((${4:-$MESSAGES} / $3)) \
        --rcpts "$RCPTS" --list-ratio "$ratio" --subscribers "$SUBSCRIBERS" "$check" > "$T/run.out" 2>&1
    rc=$?
    cat "$T/run.out" >> "$T/$1.$2.$3"
    [ "$rc" = 0 ] || { echo "milter_bench: $1 $2 $3: the replies were wrong" >&2; cat "$T/run.out" >&2; exit 1; }
}
# rss_series : MESSAGES list messages in ten parts; optin-milter's memory after each
rss_series() {
    part=$((MESSAGES / 10))
    echo "# memory: $MESSAGES list messages x $RCPTS recipients over 8 connections, in parts of $part"
    printf '%10s %12s %12s %12s\n' messages VmRSS_kB RssAnon_kB RssFile_kB
    for i in $(seq 10); do
        load optin list 8 "$part"
        set -- $(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } END { print r, a, f }' \
                 "/proc/$OPTIN_PID/status")
        [ "$i" = 1 ] && first=$1 first_anon=$2
        printf '%10s %12s %12s %12s\n' $((i * part)) "$1" "$2" "$3"
    done
    echo "VmRSS last/first part: $(echo "scale=3; $1 / $first" | bc) (target <= 1.05);" \
         "RssAnon $first_anon kB -> $2 kB"
    machine_line
}
# unsubscribe_stream : 100 unsubscribes a second of consented addresses mload never sends to
unsubscribe_stream() {
    i=$((SUBSCRIBERS / 2))
    while :; do
        "$OPTINCTL" -c "$T/conf" -a bench unsubscribe news "c$i@example.org" > /dev/null 2>&1 &
        i=$((i + 1))
        sleep 0.01
    done
}
# import_stream R : import files of 1,000,000 new rows one after the other until killed (the
# rows differ in every file, so each import writes; the files are made by awk in turn, as an
# ops pipeline would); a failed import is noted in $T/import.failed
import_stream() {
    k=0
    while :; do
        k=$((k + 1))
        awk -v r="$1" -v k="$k" 'BEGIN { print "address,list"; for (i = 0; i < 1000000; i++) printf "n%d.%d.%d@example.net,news\n", r, k, i }' \
            > "$T/new.csv"
        "$OPTINCTL" -c "$T/conf" -a bench import -q "$T/new.csv" > "$T/import.out" 2>&1 \
            || cp "$T/import.out" "$T/import.failed"
        echo "$k" > "$T/imports.done"
    done
}
# busy_pair R : optin-milter (both journal_sync settings) and the do-nothing milter one after the
# other, in turns by round R
busy_pair() {
    if [ $(($1 % 2)) = 1 ]; then load optin list 1; load optin1s list 1; load null list 1
    else load null list 1; load optin1s list 1; load optin list 1; fi
}
# busy_series : p99 alone and while the store is written, beside the do-nothing milter's (which
# looks nothing up: what is left of its change is the machine's two cores being shared)
busy_series() {
    for r in $(seq "$ROUNDS"); do
        busy_pair "$r"
        for m in optin optin1s null; do mv "$T/$m.list.1" "$T/$m.idle.$r"; done
        "$DECIDE" -l "$T/db" "$SUBSCRIBERS" 20000 > "$T/lookup.idle.$r"
        import_stream "$r" & import_pid=$!
        unsubscribe_stream & stream_pid=$!
        sleep 2                     # the first file made and its import under way
        busy_pair "$r"
        "$DECIDE" -l "$T/db" "$SUBSCRIBERS" 20000 > "$T/lookup.busy.$r"
        kill "$stream_pid" "$import_pid"; wait "$stream_pid" "$import_pid" 2> /dev/null
        pkill -f "$T/new.csv" 2> /dev/null; sleep 0.5      # the import the loop had started
        [ ! -e "$T/import.failed" ] || { echo "milter_bench: an import failed" >&2; cat "$T/import.failed" >&2; exit 1; }
        echo "# round $r: $(cat "$T/imports.done" 2> /dev/null || echo 0) imports of 1,000,000 rows ended during the busy runs"
        for m in optin optin1s null; do mv "$T/$m.list.1" "$T/$m.busy.$r"; done
        sync                        # the import's pages on disk before the next idle runs
    done
    echo "# $MESSAGES list messages x $RCPTS recipients a run over one connection, alone and while optinctl"
    echo "# imports new rows without a pause and unsubscribes 100 addresses a second; $ROUNDS rounds, medians"
    printf '%-10s %-28s %10s %10s\n' milter store "p50 ms" "p99 ms"
    for m in optin optin1s null; do
        cat "$T/$m".idle.* > "$T/$m.idle"; cat "$T/$m".busy.* > "$T/$m.busy"
        printf '%-10s %-28s %10s %10s\n' "$m" idle "$(median "$T/$m.idle" p50_ms)" "$(median "$T/$m.idle" p99_ms)"
        printf '%-10s %-28s %10s %10s\n' "$m" "import + 100 unsubscribes/s" "$(median "$T/$m.busy" p50_ms)" \
            "$(median "$T/$m.busy" p99_ms)"
    done
    bi() { echo "scale=3; $(median "$T/$1.busy" p99_ms) / $(median "$T/$1.idle" p99_ms)" | bc; }
    for w in idle busy; do
        cat "$T"/lookup.$w.* > "$T/lookup.$w"
        printf '%-10s %-28s %10s %10s   (one lookup, microseconds: bench_decide -l)\n' lookup \
            "$([ $w = idle ] && echo idle || echo "import + 100 unsubscribes/s")" \
            "$(median "$T/lookup.$w" p50_us)" "$(median "$T/lookup.$w" p99_us)"
    done
    echo "ratio busy/idle p99 of one lookup: $(echo "scale=3; $(median "$T/lookup.busy" p99_us) / $(median "$T/lookup.idle" p99_us)" | bc) (target <= 2)"
    echo "ratio busy/idle p99: optin $(bi optin) (target <= 2), optin1s $(bi optin1s)," \
         "do-nothing $(bi null) (the shared cores alone)"
    machine_line
}
# machine_line : the machine, the commit and the day, under every table
machine_line() {
    echo "# machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1);" \
         "commit $(git -C "$top_srcdir" rev-parse --short HEAD 2> /dev/null || echo unknown); $(date -u +%Y-%m-%d)"
}
# median FILE FIELD : the median of key=value FIELD over the runs in FILE
median() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

[ "$MODE" = rss ] && { rss_series; exit 0; }
[ "$MODE" = busy ] && { busy_series; exit 0; }
for r in $(seq "$ROUNDS"); do
    for kind in list transactional; do
        load null "$kind" 1; load optin "$kind" 1; load optin1s "$kind" 1
        load optin1s "$kind" 1; load optin "$kind" 1; load null "$kind" 1   # alternated: none always first
    done
    load null list 8; load optin list 8; load optin1s list 8
    load optin1s list 8; load optin list 8; load null list 8
done

echo "# $MESSAGES messages x $RCPTS recipients a run (list: every second recipient without consent), $ROUNDS rounds, medians"
printf '%-14s %-14s %8s %10s %10s\n' milter mail "cpu/msg" "p50 ms" "p99 ms"
for kind in list transactional; do
    for m in null optin optin1s; do
        printf '%-14s %-14s %8s %10s %10s\n' "$m" "$kind" "$(median "$T/$m.$kind.1" cpu_per_message_ms)" \
            "$(median "$T/$m.$kind.1" p50_ms)" "$(median "$T/$m.$kind.1" p99_ms)"
    done
done
for m in null optin optin1s; do
    printf '%-14s %-14s %8s %10s %10s\n' "$m" "list, 8 conns" "$(median "$T/$m.list.8" cpu_per_message_ms)" \
        "$(median "$T/$m.list.8" p50_ms)" "$(median "$T/$m.list.8" p99_ms)"
done
ratio() { echo "scale=3; $(median "$T/$1.$2" "$3") / $(median "$T/null.$2" "$3")" | bc; }
for m in optin optin1s; do
    echo "ratio $m/null: list CPU $(ratio $m list.1 cpu_per_message_ms) (target <= 1.15)," \
         "transactional CPU $(ratio $m transactional.1 cpu_per_message_ms) (target <= 1.0)," \
         "p99 1 conn $(ratio $m list.1 p99_ms), 8 conns $(ratio $m list.8 p99_ms) (target <= 1.2)"
done
machine_line
