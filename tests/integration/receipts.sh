#!/bin/sh
# receipts.sh - the journal as a record of what was sent, through a real Postfix: a delivered
# list message leaves one receipt per recipient that reached the sink, each citing the consent
# record it relied on; a transaction reset after RCPT and one lost during DATA leave "aborted"
# lines and no receipt; journal --address finds the receipts by any spelling; the last send shows
# in optinctl show once the journal is indexed (the timer runs it every minute); when the journal
# cannot be written (a full file system) list mail is temp-failed (journal_failure = tempfail), or
# delivered with an error (a list with journal_failure = deliver), and the chain stays whole.
# By hand (as root): top_srcdir=. sh tests/integration/receipts.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
# the journal on a small file system of its own, to fill it later
mkdir "$IT/jfs"
mount -t tmpfs -o size=1m tmpfs "$IT/jfs" 2> "$IT/mount.err" \
    || { echo "# SKIP: cannot mount a tmpfs: $(cat "$IT/mount.err")"; it_cleanup; exit 77; }
trap 'umount "$IT/jfs" 2> /dev/null; it_cleanup' EXIT
JOURNAL=$IT/jfs/journal
it_start

# receipt_of RCPT : the receipt of RCPT for the last queue id, as "verdict method history_seq source"
receipt_of() {
    "$PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("queue_id") == sys.argv[2] and e.get("recipient") == sys.argv[3] and e["verdict"] == "accept":
        print(e["verdict"], e.get("method"), type(e.get("history_seq")).__name__, e.get("consent_source"),
              "consent_time" in e)' "$JOURNAL" "$1" "$2"
}
# lines_of QUEUE_ID : the verdicts of the lines of that queue id, sorted
lines_of() {
    "$PYTHON" -c '
import json, sys
print(" ".join(sorted("%s:%s" % (e.get("recipient", "-"), e["verdict"])
      for e in map(json.loads, open(sys.argv[1])) if e.get("queue_id") == sys.argv[2])))' "$JOURNAL" "$1"
}

# 1. delivered: c1 and c2 have consent, u1 none (refused at RCPT)
list_message bounce-news-1@lists.example "c1@example.org" "Receipts" > "$IT/msg"
mail_send mta bounce-news-1@lists.example c1@example.org c2@example.org u1@example.org < "$IT/msg"
is "1: u1 refused at RCPT" "$(reply_of u1@example.org)" 550
is "1: the message accepted" "$(reply_of DATA)" 250
qid=$(sed -n 's/^DATA 250 .*queued as \([0-9A-F]*\).*/\1/p' "$IT/send.out")
check "1: delivered" queue_wait mta
check "1: arrived" sink_wait 1
is "1: the sink got c1 and c2" "$(arrived_list)" "c1@example.org c2@example.org"
is "1: one receipt per recipient the sink got, the refusal, the several-recipients warning" "$(lines_of "$qid")" \
    "-:warn c1@example.org:accept c2@example.org:accept u1@example.org:reject"
is "1: c1's receipt cites its consent: method, time, history event, source" "$(receipt_of "$qid" c1@example.org)" \
    "accept single int cli True"

# 2. reset after RCPT: no receipt, an aborted line
"$PYTHON" "$MAILTOOL" abort "$MTA_PORT" bounce-news-2@lists.example c3@example.org > "$IT/abort.out" 2>&1
is "2: c3 accepted at RCPT, then RSET" "$(awk '$1 == "RCPT" { print $3 } $1 == "RSET" { print $2 }' "$IT/abort.out" | tr '\n' ' ')" "250 250 "
sleep 1
ok "2: an aborted line for c3" journal_has recipient=c3@example.org verdict=aborted reason=not-sent
check "2: no receipt for c3" eval '! journal_has recipient=c3@example.org verdict=accept'

# 3. connection lost during DATA: no receipt, an aborted line
list_message bounce-news-3@lists.example "c4@example.org" "Lost" > "$IT/msg3"
"$PYTHON" "$MAILTOOL" drop "$MTA_PORT" bounce-news-3@lists.example c4@example.org < "$IT/msg3" > "$IT/drop.out" 2>&1
is "3: c4 accepted at RCPT, DATA begun" "$(awk '$1 == "RCPT" { print $3 } $1 == "DATA" { print $2 }' "$IT/drop.out" | tr '\n' ' ')" "250 354 "
n=50
while ! journal_has recipient=c4@example.org verdict=aborted && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
ok "3: an aborted line for c4" journal_has recipient=c4@example.org verdict=aborted
check "3: no receipt for c4" eval '! journal_has recipient=c4@example.org verdict=accept'
is "2, 3: nothing more reached the sink" "$(arrived_list)" "c1@example.org c2@example.org"

# 4. any spelling finds the receipt
out=$("$OPTINCTL" -c "$IT/optin.conf" journal --address '<C2@EXAMPLE.org>' -V accept 2>&1)
ok "4: journal --address <C2@EXAMPLE.org> finds c2's receipt" \
    sh -c 'printf "%s\n" "$1" | grep -q "  $2  *accept  *consent  *news  *c2@example.org$"' - "$out" "$qid"

# 5. the last send in show once indexed (what the timer does every minute)
t0=$(date +%s)
"$OPTINCTL" -c "$IT/optin.conf" journal index --quiet
out=$("$OPTINCTL" -c "$IT/optin.conf" show c1@example.org 2>&1)
ok "5: show prints the last send to news with its queue id, $(( $(date +%s) - t0 )) s after indexing began" \
    sh -c 'printf "%s\n" "$1" | grep -q "^  news 20[0-9-]*T[0-9:]*Z queue_id=$2$"' - "$out" "$qid"

# 6. the journal's file system full: list mail temp-fails, nothing is delivered unrecorded
# (rotated first: the new file has no page with room left in it)
mv "$JOURNAL" "$JOURNAL.1"
dd if=/dev/zero of="$IT/jfs/fill" bs=4k > /dev/null 2>&1
list_message bounce-news-6@lists.example "c1@example.org" "Full" > "$IT/msg6"
mail_send mta bounce-news-6@lists.example c1@example.org < "$IT/msg6"
is "6: journal full: the message temp-failed at end of data" "$(reply_of DATA)" 451
ok "6: the reply says why" grep -q "^DATA 451 4.3.0 decision journal unavailable" "$IT/send.out"
ok "6: the milter logged the lost lines" grep -q "journal write failed: .*lines lost" "$IT/milter.log"
sleep 1
is "6: nothing reached the sink" "$(arrived_list)" "c1@example.org c2@example.org"

# 7. the same with journal_failure = deliver on news: delivered, an error logged
sed -i 's/{ id = "news"; opt_in = "single";/{ id = "news"; opt_in = "single"; journal_failure = "deliver";/' "$IT/optin.conf"
kill -USR1 "$MILTER_PID"
n=50
while ! grep -q "reload: configuration" "$IT/milter.log" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
mail_send mta bounce-news-6@lists.example c1@example.org < "$IT/msg6"
is "7: journal_failure = deliver: accepted" "$(reply_of DATA)" 250
check "7: delivered" sink_wait 2
ok "7: the milter logged the delivery without its lines" \
    grep -q "delivered without its journal lines (journal_failure = deliver)" "$IT/milter.log"

# 8. room again: the next receipt is written, the chain is whole
rm -f "$IT/jfs/fill"
mail_send mta bounce-news-8@lists.example c2@example.org < "$IT/msg"
is "8: accepted" "$(reply_of DATA)" 250
qid8=$(sed -n 's/^DATA 250 .*queued as \([0-9A-F]*\).*/\1/p' "$IT/send.out")
ok "8: its receipt is there" journal_has queue_id="$qid8" recipient=c2@example.org verdict=accept
out=$("$OPTINCTL" -c "$IT/optin.conf" journal verify 2>&1)
ok "8: journal verify: the chain is intact across the failed writes" \
    sh -c 'printf "%s\n" "$1" | grep -q "chain intact$"' - "$out"
printf '%s\n' "$out" | sed 's/^/# /'

it_end
