#!/bin/sh
# postfix_bench.sh - mail through a private Postfix end to end: smtp-source -> Postfix -> smtp-sink,
# with no milter, with the do-nothing milter (tests/bench/nullmilter) and with optin-milter, each
# in an instance of its own, all relaying to one smtp-sink. List mail (a consented recipient, its
# List-Id, the signed List-Unsubscribe pair added) and transactional mail; MESSAGES messages over
# SESSIONS parallel sessions a run, timed from the first connection until the sink holds every
# message and the queue is empty; runs alternated, medians of ROUNDS, then the two ratios of
# issue 14: list mail optin-milter / do-nothing milter (target >= 0.95) and transactional mail
# optin-milter / no milter (target >= 0.98), in messages per second. The do-nothing milter's
# transactional figure is printed too: it is what any milter that sees the headers costs.
# SOURCE_FLAGS is passed to smtp-source (-d: many messages per session).
#
# usage: sh tests/bench/postfix_bench.sh [MESSAGES [SESSIONS [ROUNDS]]]   (default 2000 10 5)
# As root with Postfix, like the integration tests (tests/integration/lib.sh: loopback only,
# everything stopped and removed at exit); otherwise it says why and exits 77.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/integration/lib.sh"
MESSAGES=${1:-2000} SESSIONS=${2:-10} ROUNDS=${3:-5}
NULLMILTER=$top_builddir/tests/bench/nullmilter
why=$(it_why)
[ -z "$why" ] || { echo "postfix_bench: skipped: $why"; exit 77; }
[ -x "$NULLMILTER" ] || { echo "postfix_bench: $NULLMILTER is not built (make bench builds it)" >&2; exit 1; }
it_begin
it_conf 'log_level = "warning";'
it_store
milter_start
sink_start
(cd "$IT" && exec "$NULLMILTER" "unix:$IT/null.sock") >> "$IT/null.log" 2>&1 < /dev/null &
track nullmilter $!
n=50; while [ ! -S "$IT/null.sock" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
chmod 666 "$IT/null.sock" || { echo "postfix_bench: the do-nothing milter does not start" >&2; exit 1; }
set -- $(free_ports 3)
pf_start none "$1" "[127.0.0.1]:$SINK_PORT" ""
pf_start null "$2" "[127.0.0.1]:$SINK_PORT" "unix:$IT/null.sock"
pf_start optin "$3" "[127.0.0.1]:$SINK_PORT" "unix:$MILTER_SOCK"

list_message bounce-news-1@lists.example c1@example.org "Bench" news.lists.example > "$IT/list.eml"
printf 'From: Shop <shop@shop.example>\nTo: c1@example.org\nSubject: Your order has shipped\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nYour order 4711 has shipped.\n' \
    > "$IT/transactional.eml"

# run INSTANCE KIND : one timed run; its messages per second appended to $IT/INSTANCE.KIND
run() {
    port=$(sed -n 's/^127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$IT/$1/conf/master.cf")
    from=shop@shop.example
    [ "$2" = list ] && from=bounce-news-1@lists.example
    sink_clear
    t0=$(date +%s.%N)
    smtp-source ${SOURCE_FLAGS:-} -s "$SESSIONS" -m "$MESSAGES" -f "$from" -t c1@example.org -F "$IT/$2.eml" \
        "127.0.0.1:$port" > "$IT/source.out" 2>&1 || { echo "postfix_bench: smtp-source failed:"; cat "$IT/source.out"; exit 1; }
    tries=0
    while [ "$(find "$SINK_DIR" -type f | wc -l)" -lt "$MESSAGES" ] || [ "$(queue_count "$1")" -gt 0 ]; do
        tries=$((tries + 1))
        [ "$tries" -gt 3000 ] && { echo "postfix_bench: $1 $2: the sink got $(find "$SINK_DIR" -type f | wc -l) of $MESSAGES"; exit 1; }
        sleep 0.02
    done
    awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$MESSAGES" 'BEGIN { printf "%.1f\n", n / (b - a) }' >> "$IT/$1.$2"
}
# median FILE : the median of the numbers in FILE
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run optin list                                          # warm-up, not counted
got=$(find "$SINK_DIR" -type f | head -1)
grep -q '^List-Unsubscribe-Post: List-Unsubscribe=One-Click' "$got" \
    || { echo "postfix_bench: optin-milter's list mail arrived without its unsubscribe fields"; exit 1; }
run null list; run none transactional; run optin transactional
rm -f "$IT"/*.list "$IT"/*.transactional
for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then
        run null list; run optin list; run none transactional; run optin transactional; run null transactional
    else
        run optin list; run null list; run null transactional; run optin transactional; run none transactional
    fi
done

echo "# end to end: $MESSAGES messages, $SESSIONS sessions a run, medians of $ROUNDS alternated rounds"
printf '%-22s %-14s %10s\n' "Postfix with" mail "msgs/s"
printf '%-22s %-14s %10s\n' "no milter" transactional "$(median "$IT/none.transactional")"
printf '%-22s %-14s %10s\n' "do-nothing milter" list "$(median "$IT/null.list")"
printf '%-22s %-14s %10s\n' "optin-milter" list "$(median "$IT/optin.list")"
printf '%-22s %-14s %10s\n' "do-nothing milter" transactional "$(median "$IT/null.transactional")"
printf '%-22s %-14s %10s\n' "optin-milter" transactional "$(median "$IT/optin.transactional")"
ratio() { echo "scale=3; $(median "$IT/$1") / $(median "$IT/$2")" | bc; }
echo "ratio: list optin/do-nothing $(ratio optin.list null.list) (target >= 0.95)," \
     "transactional optin/no milter $(ratio optin.transactional none.transactional) (target >= 0.98)"
echo "# machine: $(nproc) cores, Postfix $(postconf -d -h mail_version); commit $(git -C "$top_srcdir" rev-parse --short HEAD 2> /dev/null || echo unknown); $(date -u +%Y-%m-%d)"
it_stop_all
