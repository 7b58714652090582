#!/bin/sh
# milter_kill.sh - kill -9 of optin-milter, again and again, while list mail flows through
# Postfix (milter_default_action = tempfail): an SMTP client that retries what got a 4xx (as
# MTAs do) ends with every message delivered once to each consented recipient, never to the
# one without consent, and every copy that arrived was checked (it carries our
# List-Unsubscribe). What arrived at smtp-sink is what is counted, not our journal.
# By hand (as root): top_srcdir=. sh tests/integration/milter_kill.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
MESSAGES=40
KILLS=12
it_begin
it_start
port=$(sed -n 's/^127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$IT/mta/conf/master.cf")

# the killer: every 0.5 to 1 s (fixed seed) kill -9 the running milter, and start a new one
# 0.3 s later (meanwhile Postfix answers 4xx)
awk -v n="$KILLS" 'BEGIN { srand(11); for (i = 0; i < n; i++) printf "%.2f\n", 0.5 + rand() * 0.5 }' \
    > "$IT/kill.delays"
(
    while read -r delay; do
        sleep "$delay"
        pid=$(cat "$IT/milter.pid" 2> /dev/null)
        [ -n "$pid" ] && kill -KILL "$pid" 2> /dev/null
        sleep 0.3
        rm -f "$MILTER_SOCK"
        "$OPTIN_MILTER" -f -c "$IT/optin.conf" >> "$IT/milter.log" 2>&1 < /dev/null &
        echo "$!" > "$IT/killer.last"
        echo kill >> "$IT/kills"
    done < "$IT/kill.delays"
) &
KILLER=$!
track killer "$KILLER"
untrack milter                      # the killer owns the milter processes now

# the sender: each message to two consented recipients and one without consent; what gets a
# 4xx (RCPT or DATA) is sent again, at most 200 tries a message
"$PYTHON" - "$port" "$MESSAGES" > "$IT/sender.out" 2>&1 <<'PY'
import smtplib, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
for i in range(count):
    pending, refused, tries = {"c1@example.org", "c2@example.org", "nobody@example.org"}, set(), 0
    body = ("From: News <bounce-news-%d@lists.example>\r\nTo: Subscribers <news@lists.example>\r\n"
            "Subject: kill test %d\r\nMessage-ID: <kill-%d@lists.example>\r\nList-Id: <news.lists.example>\r\n"
            "\r\nHello %d.\r\n" % (i, i, i, i))
    while pending and tries < 200:
        tries += 1
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
                bad = s.sendmail("bounce-news-%d@lists.example" % i, sorted(pending), body)
                for r in list(pending):
                    code = bad.get(r, (250,))[0]
                    if code >= 500:
                        refused.add(r)
                    if code < 400 or code >= 500:
                        pending.discard(r)
        except smtplib.SMTPRecipientsRefused as e:
            for r, (code, _) in e.recipients.items():
                if code >= 500:
                    refused.add(r)
                    pending.discard(r)
        except (smtplib.SMTPException, OSError):
            pass                             # 4xx at DATA or a lost connection: all again
        if pending:
            time.sleep(0.1)
    print("message %d tries %d pending %s refused %s" % (i, tries, ",".join(sorted(pending)) or "-",
                                                         ",".join(sorted(refused)) or "-"))
    time.sleep(0.25)                         # spread the messages over the kills
PY
echo "# $(elapsed) s: sent"
wait "$KILLER" 2> /dev/null
untrack killer
kill -KILL "$(cat "$IT/milter.pid" 2> /dev/null)" 2> /dev/null
milter_start
queue_flush mta
queue_wait mta 60
echo "# $(elapsed) s: queue empty"

is "the milter was killed $KILLS times while mail flowed" "$(wc -l < "$IT/kills")" "$KILLS"
is "the sender got every message through (no recipient left pending)" \
    "$(grep -c 'pending -' "$IT/sender.out")" "$MESSAGES"
is "... the recipient without consent was refused each time" \
    "$(grep -c 'refused nobody@example.org' "$IT/sender.out")" "$MESSAGES"
sink_wait "$MESSAGES" 60
echo "# $(elapsed) s: at the sink"
"$PYTHON" "$MAILTOOL" arrived "$SINK_DIR" > "$IT/arrived.tsv"
# per copy: its Message-ID, its recipient, and how many List-Unsubscribe fields it has
"$PYTHON" - "$IT/arrived.tsv" > "$IT/copies" <<'PY'
import email, sys
for line in open(sys.argv[1]):
    path, rcpt = line.rstrip("\n").split("\t")[:2]
    msg = email.message_from_binary_file(open(path, "rb"))
    print("%s %s %d" % (msg.get("Message-ID", "-"), rcpt, len(msg.get_all("List-Unsubscribe") or [])))
PY
is "each consented recipient got each message (c1 and c2: $((MESSAGES * 2)) copies)" \
    "$(grep -c -E ' (c1|c2)@example.org ' "$IT/copies")" $((MESSAGES * 2))
is "... none twice" "$(cut -d' ' -f1,2 "$IT/copies" | sort | uniq -d | wc -l)" 0
is "... nothing reached the recipient without consent" "$(grep -c ' nobody@example.org ' "$IT/copies")" 0
is "... every copy that arrived was checked (our List-Unsubscribe on each)" \
    "$(grep -c -v ' 1$' "$IT/copies")" 0
is "some messages needed more than one try (the kills hit transactions)" \
    "$(grep -v -c 'tries 1 ' "$IT/sender.out" | awk '{ print ($1 > 0) ? "yes" : "no" }')" yes
is "the queue is empty" "$(queue_count mta)" 0
comment "$IT/sender.out" "sender: "
it_end
