#!/bin/sh
# metrics.sh - the milter's Prometheus textfile: after list and transactional mail through its
# socket (mclient.py, as Postfix's smtpd speaks), the counts per list, verdict and reason equal
# the journal's lines, the messages are counted once each, the reply histogram counts every step
# that used the store; a real node_exporter (Debian's prometheus-node-exporter, textfile
# collector, on 127.0.0.1) reads the file without a scrape error and serves the same values; a
# folder the milter cannot write is logged once and mail still flows.
# Environment (set by make check): top_srcdir, top_builddir. By hand:
#   top_srcdir=. top_builddir=. sh tests/milter/metrics.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
MILTER=$top_builddir/milter/optin-milter
OPTINCTL=$top_builddir/tools/optinctl/optinctl
MCLIENT=$top_srcdir/tests/milter/mclient.py
. "$top_srcdir/tests/lib/tap.sh"

[ -x "$MILTER" ] || { echo "Bail out! $MILTER is not built"; exit 1; }
command -v python3 > /dev/null || skip_all "python3 drives the sessions"
EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter)
command -v curl > /dev/null || skip_all "curl is not installed (tests/setup-debian.sh installs it)"
mk_tmpdir
PID= EPID=
trap '[ -n "$PID" ] && kill -KILL "$PID" 2> /dev/null; [ -n "$EPID" ] && kill -KILL "$EPID" 2> /dev/null; rm -rf "$TMP"' EXIT
mkdir "$TMP/textfile"

cat > "$TMP/conf" <<EOF
database = "$TMP/db"; keys = "$TMP/keys"; log_target = "stderr";
socket = "unix:$TMP/sock"; socket_mode = "0600"; journal = "$TMP/journal";
metrics_file = "$TMP/textfile/optin-milter.prom"; metrics_interval = "1s";
unsubscribe_url = "https://u.lists.example/u/";
lists = ( { id = "news"; opt_in = "single";
            match = { envelope_from = [ "bounce-news-*@lists.example" ]; }; } );
EOF
"$OPTINCTL" -c "$TMP/conf" keygen "$TMP/keys" > /dev/null 2>&1 && "$OPTINCTL" -c "$TMP/conf" init > /dev/null 2>&1 \
    || { echo "Bail out! store"; exit 1; }
for a in s1 s2; do "$OPTINCTL" -c "$TMP/conf" subscribe news "$a@example.org" > /dev/null 2>&1; done
"$OPTINCTL" -c "$TMP/conf" unsubscribe news s2@example.org > /dev/null 2>&1

# start_milter : the milter in the foreground, its socket waited for
start_milter() {
    "$MILTER" -f -c "$TMP/conf" > "$TMP/milter.log" 2>&1 &
    PID=$!
    for _ in $(seq 50); do [ -S "$TMP/sock" ] && return 0; sleep 0.1; done
    echo "Bail out! the milter did not start"; sed 's/^/# /' "$TMP/milter.log"; exit 1
}
# session : three list messages (one recipient with consent, one unsubscribed, one unknown
# each, from smtpd: refusals at RCPT) and two transactional ones, over one connection
session() {
    {
        printf 'macro\tC\t{daemon_name}\tsmtpd\nconn\tclient.example\t192.0.2.7\n'
        for i in 1 2 3; do
            printf 'mail\t<bounce-news-%s@lists.example>\n' "$i"
            printf 'macro\tR\t{rcpt_mailer}\tsmtp\nrcpt\t<s1@example.org>\nrcpt\t<s2@example.org>\nrcpt\t<x%s@example.org>\n' "$i"
            printf 'hdr\tSubject\tnews %s\neoh\neom\n' "$i"
        done
        for i in 1 2; do
            printf 'mail\t<shop@shop.example>\nrcpt\t<c%s@example.org>\nhdr\tSubject\tyour order\neoh\n' "$i"
        done
        printf 'quit\n'
    } | python3 "$MCLIENT" "unix:$TMP/sock" > "$TMP/session.out" 2>&1
}
# metric NAME_AND_LABELS : the value of one series in the file ("" when absent)
metric() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/textfile/optin-milter.prom"; }

start_milter
session
sleep 2.2    # metrics_interval is 1 s
ok "the milter wrote its metrics file" test -s "$TMP/textfile/optin-milter.prom"
sed 's/^/#   /' "$TMP/session.out" | head -40

# The journal's recipient lines, counted the same way: list, verdict, reason.
python3 - "$TMP/journal" "$TMP/textfile/optin-milter.prom" > "$TMP/compare.out" <<'PY'
import collections, json, re, sys
want = collections.Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("recipient"):
        want[(e.get("list", ""), e["verdict"], e.get("reason", ""))] += 1
got = collections.Counter()
pat = re.compile(r'^optin_milter_recipients_total\{list="([^"]*)",verdict="([^"]*)",reason="([^"]*)"\} (\S+)$')
for line in open(sys.argv[2]):
    m = pat.match(line.strip())
    if m:
        got[(m.group(1), m.group(2), m.group(3))] += int(float(m.group(4)))
print("journal", sorted(want.items()))
print("metrics", sorted(got.items()))
sys.exit(0 if want == got and sum(want.values()) > 0 else 1)
PY
ok "recipients_total per list, verdict and reason equals the journal's lines" test $? = 0
sed 's/^/#   /' "$TMP/compare.out"
is "three list messages counted, delivered" "$(metric 'optin_milter_messages_total{kind="list",outcome="delivered"}')" 3
is "two transactional messages counted, delivered" \
    "$(metric 'optin_milter_messages_total{kind="transactional",outcome="delivered"}')" 2
is "the unsubscribed recipient refused three times: reject/unsubscribed" \
    "$(metric 'optin_milter_recipients_total{list="news",verdict="reject",reason="unsubscribed"}')" 3
ok "the reply histogram counted the steps that used the store" \
    test "$(metric optin_milter_reply_seconds_count)" -ge 9
ok "... its +Inf bucket equals its count" \
    test "$(metric 'optin_milter_reply_seconds_bucket{le="+Inf"}')" = "$(metric optin_milter_reply_seconds_count)"
is "no store errors" "$(metric optin_milter_store_errors_total)" ""

# node_exporter, the textfile collector alone, on a loopback port
if [ -n "$EXPORTER" ]; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$EXPORTER" --web.listen-address="127.0.0.1:$PORT" --collector.disable-defaults --collector.textfile \
        --collector.textfile.directory="$TMP/textfile" > "$TMP/exporter.log" 2>&1 &
    EPID=$!
    for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PORT/metrics" > "$TMP/scrape" 2> /dev/null && break; sleep 0.1; done
    ok "node_exporter read the file: node_textfile_scrape_error 0" grep -qx 'node_textfile_scrape_error 0' "$TMP/scrape"
    ok "... and serves our series with the file's values" \
        grep -qx 'optin_milter_messages_total{kind="transactional",outcome="delivered"} 2' "$TMP/scrape"
    ok "... the histogram too" grep -q '^optin_milter_reply_seconds_bucket{le="+Inf"} ' "$TMP/scrape"
    kill "$EPID"; wait "$EPID" 2> /dev/null; EPID=
else
    tap_n=$((tap_n + 1)); echo "ok $tap_n - node_exporter # SKIP prometheus-node-exporter is not installed (tests/setup-debian.sh installs it)"
fi

# a metrics folder the milter cannot write: logged once, mail still flows
kill "$PID"; wait "$PID"; PID=
sed -i "s|metrics_file = \"$TMP/textfile/optin-milter.prom\"|metrics_file = \"$TMP/missing/optin-milter.prom\"|" "$TMP/conf"
start_milter
session
sleep 2.5
kill "$PID"; wait "$PID"; rc=$?; PID=
is "metrics file unwritable: the milter still stops cleanly" "$rc" 0
is "... the error logged once, not every interval" "$(grep -c "metrics: $TMP/missing/optin-milter.prom.tmp" "$TMP/milter.log")" 1
ok "... and the list mail was still decided" grep -q "no consent for list news (unsubscribed)" "$TMP/session.out"
done_testing
