#!/bin/sh
# milter_down.sh - with optin-milter stopped, Postfix (milter_default_action = tempfail)
# lets no list mail through unchecked: an SMTP client gets a 4xx and nothing is queued for
# delivery; a sendmail(1) submission stays in the queue. Once optin-milter runs again, a
# flush delivers the queued message, checked, and the SMTP client's retry is accepted.
# Then the consent store is what is missing (optin-milter started before `optinctl init`):
# list mail gets 451 4.3.0 (store_failure = tempfail), transactional mail flows, and after
# the store is created a SIGUSR1 is enough.
# By hand (as root): top_srcdir=. sh tests/integration/milter_down.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start
milter_stop
ok "optin-milter stopped" test "$MILTER_RC" -eq 0

# 1. SMTP while it is down: a temporary failure, nothing taken
S=bounce-news-5001@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News while down" > "$IT/msg1"
mail_send mta "$S" c1@example.org < "$IT/msg1"
codes=$(awk '{ print $1 ":" ($1 == "RCPT" ? $3 : $2) }' "$IT/send.out" | tr '\n' ' ')
case $codes in
*:4[0-9][0-9]*) tempfailed=yes ;;
*) tempfailed="no: $codes" ;;
esac
is "1: the SMTP client gets a 4xx" "$tempfailed" yes
comment "$IT/send.out" "replies: "
is "1: the message was not taken" "$(reply_of DATA)" ""
is "1: nothing queued" "$(queue_count mta)" 0

# 2. sendmail(1) while it is down: the message waits in the queue
S2=bounce-news-5002@lists.example
list_message "$S2" "Subscribers <news@lists.example>" "Queued while down" \
    | mail_submit mta "$S2" c2@example.org
queue_flush mta
sleep 3
is "2: the submission stays queued" "$(queue_count mta)" 1
queue_list mta > "$IT/postqueue.out"
ok "2: postqueue -p lists it" grep -q "$S2" "$IT/postqueue.out"
is "2: nothing arrived" "$(sink_count)" 0

# 3. optin-milter back: flush, the queued message is delivered, checked
milter_start
queue_flush mta
check "3: the queue empties after a flush" queue_wait mta 30
check "3: the queued message arrived" sink_wait 1
is "3: to c2" "$(arrived_list)" "c2@example.org"
ok "3: with its unsubscribe fields, token of news/c2" \
    unsub_ok "$(arrived_file c2@example.org)" news c2@example.org
ok "3: checked, not delivered unchecked: journal accept c2@example.org with its consent" \
    journal_has recipient=c2@example.org verdict=accept method=single
sink_clear

# 4. the SMTP client retries: accepted and delivered
mail_send mta "$S" c1@example.org < "$IT/msg1"
is "4: the retry is accepted" "$(reply_of DATA)" 250
check "4: delivered" queue_wait mta
check "4: arrived" sink_wait 1
ok "4: with its unsubscribe fields, token of news/c1" \
    unsub_ok "$(arrived_file c1@example.org)" news c1@example.org
sink_clear

# 5. the milter runs, its consent store does not exist yet
milter_stop
sed -i "s|^database = .*|database = \"$IT/db-later\";|" "$IT/optin.conf"
milter_start
S=bounce-news-5005@lists.example
list_message "$S" "Subscribers <news@lists.example>" "No store yet" > "$IT/msg5"
mail_send mta "$S" c1@example.org < "$IT/msg5"
is "5: no store: list mail gets 451 4.3.0 at RCPT" "$(reply_text_of c1@example.org)" \
    "4.3.0 consent database unavailable for list news, try again later"
ok "5: journal: tempfail store-failure" journal_has recipient=c1@example.org verdict=tempfail \
    reason=store-failure
printf 'From: <orders@shop.example>\nTo: <c1@example.org>\nSubject: receipt\nDate: Tue, 02 Sep 2025 08:30:00 +0200\nMessage-ID: <r5@shop.example>\n\nthanks\n' \
    | mail_send mta orders@shop.example c1@example.org
is "5: transactional mail still flows" "$(reply_of DATA)" 250
check "5: and arrives" sink_wait 1
sink_clear
ctl init
ctl subscribe news c1@example.org
kill -USR1 "$MILTER_PID"
n=50
while ! grep -q "consent store $IT/db-later open" "$IT/milter.log" && [ $n -gt 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
ok "5: after init and SIGUSR1 the store is open (log)" \
    grep -q "consent store $IT/db-later open" "$IT/milter.log"
mail_send mta "$S" c1@example.org < "$IT/msg5"
is "5: the retry is accepted" "$(reply_of c1@example.org) $(reply_of DATA)" "250 250"
check "5: delivered" queue_wait mta
check "5: arrived" sink_wait 1
ok "5: with its unsubscribe fields, token of news/c1" \
    unsub_ok "$(arrived_file c1@example.org)" news c1@example.org
it_end
