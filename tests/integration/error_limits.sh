#!/bin/sh
# split_452.sh - one_recipient_per_message = true with two real Postfix hops:
#
#   sendmail(1) -> "edge" (no milter) --SMTP--> "mta" (optin-milter) --SMTP--> smtp-sink
#
# The edge's SMTP client gets 250 for the first recipient with consent, 452 4.5.3 for the
# other ones with consent (it retries them, one new transaction each) and 550 for those
# without (it bounces them to the sender). Every recipient with consent must arrive exactly
# once, alone in its message, with an unsubscribe token of its own; none without consent
# may arrive. The edge's queue is flushed until empty (bounded).
# By hand (as root): top_srcdir=. sh tests/integration/split_452.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start "one_recipient_per_message = true;"
EDGE_PORT=$(free_ports 1)
pf_start edge "$EDGE_PORT" "[127.0.0.1]:$MTA_PORT" "" edge.test.example

S=bounce-news-4001@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News, one each" \
    | mail_submit edge "$S" u1@example.org c1@example.org c2@example.org c3@example.org \
        unsub@example.org c4@example.org
is "sendmail(1) into the edge" "$?" 0

# retries: flush the edge until its queue is empty (each round delivers one more)
rounds=0
while [ "$(queue_count edge)" -gt 0 ] && [ $rounds -lt 60 ]; do
    queue_flush edge
    sleep 1
    rounds=$((rounds + 1))
done
echo "# edge queue empty after $rounds flushes"
is "the edge's queue is empty (bounded wait)" "$(queue_count edge)" 0
check "the mta's queue is empty" queue_wait mta
check "five messages at the sink: four recipients and one bounce" sink_wait 5
is "every recipient with consent arrived exactly once (and the bounce to the sender)" \
    "$(arrived_list)" "$S c1@example.org c2@example.org c3@example.org c4@example.org"
for c in c1 c2 c3 c4; do
    f=$(arrived_file "$c@example.org")
    n=$("$PYTHON" "$MAILTOOL" arrived "$SINK_DIR" | awk -F '\t' -v f="$f" '$1 == f' | wc -l)
    is "$c: alone in its message" "$n" 1
    ok "$c: one List-Unsubscribe and one List-Unsubscribe-Post, token of news/$c" \
        unsub_ok "$f" news "$c@example.org"
done
tokens=$(for c in c1 c2 c3 c4; do "$PYTHON" "$MAILTOOL" token "$(arrived_file "$c@example.org")"; done \
    | sort -u | wc -l)
is "four different tokens" "$tokens" 4
grep -q "452 4.5.3 one recipient per message for list news" "$IT/edge/maillog"
ok "the edge was told 452 4.5.3 (its log)" test $? -eq 0
for u in u1 unsub; do
    ok "the bounce to the sender names $u@example.org" \
        grep -q "^Final-Recipient: rfc822; $u@example.org" "$(arrived_file "$S")"
done
for r in u1:no-record unsub:unsubscribed; do
    grep -q "to=<${r%%:*}@example.org>.*status=bounced .*no consent for list news (${r#*:})" \
        "$IT/edge/maillog"
    ok "the edge bounced ${r%%:*}@example.org with the reason (${r#*:})" test $? -eq 0
done
for u in u1 unsub; do
    ok "journal: reject $u@example.org" journal_has list=news recipient="$u@example.org" \
        verdict=reject
done
ok "journal: no several-recipients warning" sh -c "! grep -q several-recipients '$JOURNAL'"
it_end
