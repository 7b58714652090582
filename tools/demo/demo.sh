#!/bin/sh
# demo.sh - optin-milter in front of a real Postfix: what gets delivered, what is stopped, and why.
#
#   tools/demo/demo.sh [--keep]     (as root, from the built source tree)
#
# In a private temporary folder it starts a Postfix instance of its own (smtpd on 127.0.0.1,
# a free high port), optin-milter and smtp-sink (a test SMTP server that keeps every message
# in a file), fills a consent store, sends sample mail, shows what arrived and what the
# journal says, then stops everything and removes the folder. The system's mail setup
# (/etc/postfix, the system Postfix if any, port 25) is neither read nor changed.
# --keep leaves it all running and prints how to send more mail and how to stop it.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
keep=0
case ${1:-} in
--keep) keep=1 ;;
"") ;;
*) echo "usage: tools/demo/demo.sh [--keep]" >&2; exit 64 ;;
esac
top_srcdir=$top top_builddir=$top
OPTINCTL=$top/tools/optinctl/optinctl OPTIN_MILTER=$top/milter/optin-milter
for prog in "$OPTINCTL" "$OPTIN_MILTER"; do
    [ -x "$prog" ] || { echo "demo: build first (./autogen.sh && ./configure && make)" >&2; exit 1; }
done
if [ "$(id -u)" != 0 ]; then
    command -v sudo > /dev/null 2>&1 \
        || { echo "demo: run me as root: a private Postfix instance needs root" >&2; exit 1; }
    echo "demo: a private Postfix instance needs root; running again with sudo"
    exec sudo "$0" "$@"
fi
. "$top/tests/integration/lib.sh"
why=$(it_why)
[ -z "$why" ] || { echo "demo: $why" >&2; exit 1; }
it_begin > /dev/null
trap demo_exit EXIT
# demo_exit : stop everything unless --keep (lib.sh's cleanup), and say so
demo_exit() {
    rc=$?
    if [ $keep = 1 ] && [ $rc = 0 ]; then
        IT_KEEP=1 it_cleanup
        return
    fi
    it_cleanup
    if [ $rc = 0 ]; then
        say "done: stopped Postfix, optin-milter and smtp-sink; removed $IT; nothing else changed"
    else
        echo "demo: failed (exit $rc); stopped everything and removed $IT" >&2
    fi
}
say() { printf '\n== %s\n' "$*"; }
# run CMD... : print a command, then run it (indented output)
run() { printf '  $ %s\n' "$*" | sed "s|$IT|\$DEMO|g; s|$top/tools/||"; "$@" 2>&1 | sed 's/^/    /'; }

say "0. a private folder: DEMO=$IT"
cat > "$IT/optin.conf" <<CONF
# demo configuration: two lists, the milter on a socket in the demo folder
database = "$IT/db";
socket = "unix:$MILTER_SOCK";
socket_mode = "0660";
group = "postfix";
log_target = "stderr";
journal = "$JOURNAL";
keys = "$IT/keys";
unsubscribe_url = "https://unsubscribe.lists.example/u/";
unsubscribe_mailto = "unsubscribe@lists.example";
lists = (
  { id = "news";   opt_in = "double"; match = { list_id = ["news.lists.example"]; }; },
  { id = "offers"; opt_in = "single"; max_consent_age = "730d";
    match = { envelope_from = ["bounce-offers-*@lists.example"]; }; }
);
CONF
cat > "$IT/subscribers.csv" <<'CSV'
address,list,consented_at,confirmed_at,source,ip,method,policy_version
alice@example.com,news,2025-03-01T09:00:00Z,2025-03-01T09:05:00Z,web-form,192.0.2.10,double,privacy-v3
bob@example.com,news,2025-04-02T10:00:00Z,,web-form,192.0.2.11,single,privacy-v3
carol@例え.jp,offers,2025-05-03T11:00:00Z,,shop-checkout,198.51.100.7,single,privacy-v3
dave@example.com,offers,2022-01-04T12:00:00Z,,shop-checkout,,single,privacy-v1
erin@example.com,offers,2025-06-05T13:00:00Z,,import,,import,
CSV
O="$OPTINCTL -c $IT/optin.conf -a demo"

say "1. the consent store: a key for unsubscribe tokens, a CSV import (dry run, then for real)"
run $O keygen "$IT/keys"
run $O init
run $O import --dry-run "$IT/subscribers.csv"
run $O import "$IT/subscribers.csv"
echo "  frank signs up for news (double opt-in) and clicks the link in his confirmation mail:"
token=$($O -s web-form subscribe --ip 203.0.113.5 --policy-version privacy-v3 news frank@example.com)
run $O -s confirm-page confirm --ip 203.0.113.5 "$token"
echo "  erin clicks one-click unsubscribe on offers; a whole domain hard-bounces:"
run $O -s one-click unsubscribe offers erin@example.com
run $O suppress --reason bounce @bounced.example

say "2. optin-milter, smtp-sink and a private Postfix on 127.0.0.1"
milter_start
sink_start
pf_start mta "$MTA_PORT" "[127.0.0.1]:$SINK_PORT" "unix:$MILTER_SOCK"
echo "  Postfix:      smtpd 127.0.0.1:$MTA_PORT, configuration \$DEMO/mta/conf, log \$DEMO/mta/maillog"
echo "                smtpd_milters = non_smtpd_milters = unix:\$DEMO/milter.sock"
echo "                relayhost = [127.0.0.1]:$SINK_PORT (the sink), milter_default_action = tempfail"
echo "  optin-milter: pid $MILTER_PID, journal \$DEMO/journal, log \$DEMO/milter.log"
echo "  smtp-sink:    127.0.0.1:$SINK_PORT, each message kept in \$DEMO/sink/"

# show_replies : the SMTP dialogue of the last mail_send, as the sending application saw it
show_replies() { sed 's/^/    /' "$IT/send.out"; }

say "3. sending mail over SMTP"
echo "  news (List-Id <news.lists.example>), one message per subscriber, as list software sends:"
for who in alice bob frank nobody; do
    echo "  - to $who@example.com:"
    list_message news@lists.example "$who@example.com" "Our September news" news.lists.example \
        | mail_send mta news@lists.example "$who@example.com"
    show_replies
done
echo "  offers (envelope sender bounce-offers-*@lists.example: decided at RCPT), one message to four:"
list_message bounce-offers-0917@lists.example "Customers <offers@lists.example>" "Autumn offers" \
    | mail_send mta bounce-offers-0917@lists.example carol@xn--r8jz45g.jp dave@example.com \
        erin@example.com zoe@bounced.example
show_replies
echo "  a transactional mail (no list, not bulk) to someone with no consent at all:"
printf 'From: Shop <orders@shop.example>\nTo: nobody@example.com\nSubject: Your order 4711 has shipped\nDate: Tue, 02 Sep 2025 08:30:00 +0200\nMessage-ID: <order-4711@shop.example>\n\nYour parcel is on its way.\n' \
    | mail_send mta orders@shop.example nobody@example.com
show_replies
queue_wait mta 30 || echo "  (Postfix still has mail queued: see \$DEMO/mta/maillog)"
sink_wait 4 10 || true

say "4. delivered (what smtp-sink received)"
for f in $(ls -tr $("$PYTHON" "$MAILTOOL" arrived "$SINK_DIR" | cut -f1 | sort -u)); do
    rcpts=$("$PYTHON" "$MAILTOOL" arrived "$SINK_DIR" | awk -F '\t' -v f="$f" '$1 == f { printf "%s ", $2 }')
    echo "  to ${rcpts% }: \"$(field "$f" Subject)\""
    lu=$(field "$f" List-Unsubscribe)
    if [ -z "$lu" ]; then
        echo "      no List-Unsubscribe (transactional mail passes untouched)"
        continue
    fi
    tok=$("$PYTHON" "$MAILTOOL" token "$f")
    short=$(printf '%s' "$tok" | cut -c1-12)
    printf '%s\n' "$lu" | sed "s|$tok|$short...|g; s|^|      List-Unsubscribe: |; s|>,[[:space:]]*<|>,\n                        <|"
    echo "      List-Unsubscribe-Post: $(field "$f" List-Unsubscribe-Post)"
    echo "      the token says: $($O token --decode "$tok" 2>&1)"
done

say "5. stopped, and why (optin-milter's journal, \$DEMO/journal)"
"$PYTHON" - "$JOURNAL" <<'PY'
import json, sys
where = {"reject": "refused at RCPT (550)", "strip": "removed at end of message",
         "tempfail": "deferred (451)"}
lines = [json.loads(l) for l in open(sys.argv[1])]
emptied = set(e["queue_id"] for e in lines if e.get("reason") == "no-recipient-with-consent")
print("  %-20s %-7s %-22s %-18s %s" % ("time", "list", "recipient", "reason", "what happened"))
for e in lines:
    if e.get("verdict") in ("accept", "warn") or e.get("reason") == "no-recipient-with-consent":
        continue
    what = where.get(e["verdict"], e["verdict"])
    if e["verdict"] == "strip" and e["queue_id"] in emptied:
        what = "nobody left: message refused (550)"
    print("  %-20s %-7s %-22s %-18s %s" % (e["time"], e.get("list", "-"),
          e.get("recipient", "-"), e.get("reason", "-"), what))
acc = [e for e in lines if e.get("verdict") == "accept"]
print("  accepted with consent: " + ", ".join("%s (%s, %s)" % (e["recipient"], e["list"],
      e.get("method", "?")) for e in acc))
PY
echo "  one journal line as it is stored (JSON, for audits):"
grep '"reason":"unsubscribed"' "$JOURNAL" | head -1 | sed 's/^/    /'
echo "  the journal's hash chain, checked:"
run $O journal verify

say "6. proof of consent for frank, what a compliance officer hands over"
run $O journal index
run $O show frank@example.com

if [ $keep = 1 ]; then
    stop=$(it_stop_script)
    say "still running (--keep)"
    cat <<EOF
  send more:   $PYTHON $MAILTOOL send $MTA_PORT news@lists.example alice@example.com < MESSAGE
           or  sendmail -C $IT/mta/conf -f news@lists.example alice@example.com < MESSAGE
  consent:     $OPTINCTL -c $IT/optin.conf show alice@example.com
  look:        ls $SINK_DIR; cat $JOURNAL; tail $IT/mta/maillog
  stop it all and remove the folder:
    sh $stop
EOF
fi
exit 0
