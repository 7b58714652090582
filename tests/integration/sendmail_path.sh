#!/bin/sh
# sendmail_path.sh - list mail submitted with sendmail(1): Postfix pickup runs optin-milter
# as a non_smtpd_milter, where RCPT cannot be refused, so recipients without consent are
# removed at end of message; the one with consent arrives with the unsubscribe fields, and
# nothing stays in the queue. A submission with nobody left is rejected, and Postfix
# bounces it to the sender.
# By hand (as root): top_srcdir=. sh tests/integration/sendmail_path.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start

# 1. the envelope names the list (in smtpd that would be decided at RCPT)
S=bounce-news-3001@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News by sendmail" \
    | mail_submit mta "$S" c1@example.org u1@example.org unsub@example.org
is "1: sendmail(1) takes the message" "$?" 0
check "1: nothing stays in the queue" queue_wait mta
check "1: a message arrived" sink_wait 1
is "1: only c1 arrived" "$(arrived_list)" "c1@example.org"
ok "1: one List-Unsubscribe and one List-Unsubscribe-Post, token of news/c1" \
    unsub_ok "$(arrived_file c1@example.org)" news c1@example.org
ok "1: journal: strip u1@example.org at end of message" journal_has list=news \
    recipient=u1@example.org verdict=strip reason=no-record
ok "1: journal: strip unsub@example.org (unsubscribed)" journal_has list=news \
    recipient=unsub@example.org verdict=strip reason=unsubscribed
ok "1: journal: accept c1@example.org" journal_has list=news recipient=c1@example.org \
    verdict=accept
"$PYTHON" "$MAILTOOL" message "$(arrived_file c1@example.org)" > "$IT/filtered"
sink_clear

# 1b. the filtered message submitted again (as postsuper -r or a second hop would): still
# exactly one of each field, not two
mail_submit mta "$S" c1@example.org < "$IT/filtered"
check "1b: nothing stays in the queue" queue_wait mta
check "1b: a message arrived" sink_wait 1
ok "1b: filtered twice, still one List-Unsubscribe and one List-Unsubscribe-Post" \
    unsub_ok "$(arrived_file c1@example.org)" news c1@example.org
sink_clear

# 2. List-Id names the list
S=news@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News by sendmail 2" news.lists.example \
    | mail_submit mta "$S" u2@example.org c2@example.org
check "2: nothing stays in the queue" queue_wait mta
check "2: a message arrived" sink_wait 1
is "2: only c2 arrived" "$(arrived_list)" "c2@example.org"
ok "2: one List-Unsubscribe and one List-Unsubscribe-Post, token of news/c2" \
    unsub_ok "$(arrived_file c2@example.org)" news c2@example.org
sink_clear

# 2b. addresses as written by the application: mixed case, a quoted local part
list_message "$S" "Subscribers <news@lists.example>" "News by sendmail 2b" news.lists.example \
    | mail_submit mta "$S" U2@Example.ORG '"u 4"@example.org' C2@EXAMPLE.ORG
check "2b: nothing stays in the queue" queue_wait mta
check "2b: a message arrived" sink_wait 1
is "2b: only C2@EXAMPLE.ORG arrived" "$(arrived_list)" "C2@EXAMPLE.ORG"
sink_clear

# 3. nobody with consent: rejected at end of message, bounced to the sender by Postfix
S=bounce-news-3003@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News to nobody" \
    | mail_submit mta "$S" u1@example.org bounced@example.org
check "3: nothing stays in the queue" queue_wait mta
check "3: one message (the bounce) arrived" sink_wait 1
is "3: it went to the sender, not to a recipient" "$(arrived_list)" "$S"
f=$(arrived_file "$S")
ok "3: it is Postfix's bounce naming the refusal" \
    grep -q "no recipient has consent for list news" "$f"
ok "3: journal: reject no-recipient-with-consent" journal_has list=news verdict=reject \
    reason=no-recipient-with-consent
queue_list mta > "$IT/postqueue.out"
ok "postqueue -p: the queue is empty" grep -q "^Mail queue is empty" "$IT/postqueue.out"
it_end
