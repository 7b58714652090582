#!/bin/sh
# refusal_bench.sh - time to delivery of one list message to N recipients through a private
# Postfix with optin-milter, half of them without consent, beside the same message with every
# recipient consented; on Postfix's default error limits (as root, like the integration tests).
#
# usage: sh tests/bench/refusal_bench.sh [N...]     (default N: 500 5000)
#
# A direct SMTP client sends the message in transactions of at most 1,000 recipients
# (Postfix's smtpd_recipient_limit) over one connection per transaction; the time runs from
# the first connection until smtp-sink holds every recipient that must arrive. Prints
# N, case, seconds, recipients arrived, RCPT refusals seen; exit 1 when a case lost or
# leaked a recipient. Uses tests/integration/lib.sh (private instance, loopback, cleaned up).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
[ $# -gt 0 ] || set -- 500 5000
it_begin
it_start
failed=0

# subscribers N : e1..eN with consent (n1..nN have none)
subscribers() {
    { echo address,list; i=1; while [ "$i" -le "$1" ]; do echo "e$i@example.org,news"; i=$((i + 1)); done; } \
        > "$IT/subs.csv"
    ctl import -q "$IT/subs.csv"
}
# send_all FROM FILE : the recipients of FILE (one a line) in transactions of 1,000
send_all() {
    split -l 1000 "$2" "$IT/chunk."
    for c in "$IT"/chunk.*; do
        # shellcheck disable=SC2046
        list_message "$1" "Subscribers <news@lists.example>" "Bench" | mail_send mta "$1" $(cat "$c")
        cat "$IT/send.out" >> "$IT/send.all"
        rm -f "$c"
    done
}
# run N CASE FILE WANT : one measured case; WANT recipients must arrive, none starting with n
run() {
    sink_clear
    : > "$IT/send.all"
    t0=$(date +%s.%N)
    send_all "bounce-news-$1-$2@lists.example" "$3"
    n=0 tries=0
    while [ "$tries" -lt 6000 ]; do
        n=$(arrived | grep -c '^e')
        [ "$n" -ge "$4" ] && [ "$(queue_count mta)" -eq 0 ] && break
        sleep 0.05
        tries=$((tries + 1))
    done
    t1=$(date +%s.%N)
    leaked=$(arrived | grep -c '^n')
    refused=$(grep -c '^RCPT .* 5[0-9][0-9] ' "$IT/send.all")
    printf '%6s  %-14s %8.2f s  arrived %5s of %5s  leaked %s  refused at RCPT %s\n' "$1" "$2" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$n" "$4" "$leaked" "$refused"
    [ "$n" -eq "$4" ] && [ "$leaked" -eq 0 ] || failed=1
}

echo "# refusal_bench: $(uname -m), $(nproc) cores, Postfix $(postconf -d -h mail_version), commit $(cd "$top_srcdir" && git rev-parse --short HEAD 2>/dev/null)"
echo "#      N  case           time            delivery"
for N in "$@"; do
    half=$((N / 2))
    subscribers "$N"
    i=1; : > "$IT/mixed"; : > "$IT/all"
    while [ "$i" -le "$half" ]; do echo "e$i@example.org" >> "$IT/mixed"; echo "n$i@example.org" >> "$IT/mixed"; i=$((i + 1)); done
    i=1; while [ "$i" -le "$N" ]; do echo "e$i@example.org" >> "$IT/all"; i=$((i + 1)); done
    run "$N" half-consented "$IT/mixed" "$half"
    run "$N" all-consented "$IT/all" "$N"
done
it_stop_all
exit $failed
