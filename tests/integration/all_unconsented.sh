#!/bin/sh
# all_unconsented.sh - list mail whose recipients all lack consent is refused by a real
# Postfix before it is queued: at RCPT when the envelope names the list, at end of message
# (550 to DATA) when only List-Id does. Nothing arrives, nothing stays queued.
# By hand (as root): top_srcdir=. sh tests/integration/all_unconsented.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start

# 1. known by the envelope sender: every RCPT gets 550, so there is no DATA at all
S=bounce-news-2001@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News" news.lists.example \
    | mail_send mta "$S" u1@example.org unsub@example.org bounced@example.org
for r in u1:no-record unsub:unsubscribed bounced:suppressed-bounce; do
    a=${r%%:*}@example.org
    is "1: $a refused at RCPT (${r#*:})" "$(reply_text_of "$a")" \
        "5.7.1 <$a>: no consent for list news (${r#*:})"
    ok "1: journal: reject $a" journal_has list=news "recipient=$a" verdict=reject \
        "reason=${r#*:}"
done
is "1: no DATA (no recipient left)" "$(reply_of DATA)" ""

# 2. known by List-Id only: recipients are taken at RCPT, the message refused at its end
S=news@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News" news.lists.example \
    | mail_send mta "$S" u1@example.org u2@example.org unsub@example.org
is "2: u1 taken at RCPT (list not known yet)" "$(reply_of u1@example.org)" 250
is "2: the message refused at end of data" \
    "$(awk '$1 == "DATA" { $1 = ""; sub(/^ /, ""); print }' "$IT/send.out")" \
    "550 5.7.1 no recipient has consent for list news"
ok "2: journal: reject no-recipient-with-consent" journal_has list=news verdict=reject \
    reason=no-recipient-with-consent
ok "2: journal: strip u2@example.org (no-record)" journal_has list=news \
    recipient=u2@example.org verdict=strip reason=no-record

# nothing queued, nothing delivered
is "the queue is empty" "$(queue_count mta)" 0
queue_list mta > "$IT/postqueue.out"
ok "postqueue -p says the queue is empty" grep -q "^Mail queue is empty" "$IT/postqueue.out"
sleep 1
is "nothing arrived at the sink" "$(sink_count)" 0
it_end
