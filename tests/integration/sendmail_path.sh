#!/bin/sh
# sendmail_path.sh - list mail submitted with sendmail(1): Postfix pickup runs optin-milter
# as a non_smtpd_milter, where RCPT cannot be refused, so everything is decided at end of
# message. There Postfix hands the milter recipients it has already rewritten (bang paths,
# %, trailing dots), while smfi_delrcpt matches the spelling submitted, which the milter
# never sees: a removal cannot be guaranteed. So a message in which somebody must be
# removed is refused whole (Postfix bounces it to the sender, naming the reason) and
# nobody gets it, whatever spelling was used; one where everybody has consent goes with
# the unsubscribe fields; one with nobody is rejected. Checked on what smtp-sink received.
# By hand (as root): top_srcdir=. sh tests/integration/sendmail_path.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start

# bounce_says SENDER TEXT : the one message at the sink is Postfix's bounce to SENDER with TEXT
bounce_says() {
    [ "$(arrived_list)" = "$1" ] || { echo "# arrived: $(arrived_list)"; return 1; }
    grep -q "$2" "$(arrived_file "$1")"
}

# 1. the envelope names the list, everybody has consent: delivered with the headers
S=bounce-news-3001@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News by sendmail" \
    | mail_submit mta "$S" c1@example.org
is "1: sendmail(1) takes the message" "$?" 0
check "1: nothing stays in the queue" queue_wait mta
check "1: a message arrived" sink_wait 1
is "1: c1 arrived" "$(arrived_list)" "c1@example.org"
ok "1: one List-Unsubscribe and one List-Unsubscribe-Post, token of news/c1" \
    unsub_ok "$(arrived_file c1@example.org)" news c1@example.org
ok "1: journal: accept c1@example.org" journal_has list=news recipient=c1@example.org \
    verdict=accept
"$PYTHON" "$MAILTOOL" message "$(arrived_file c1@example.org)" > "$IT/filtered"
sink_clear

# 1b. the filtered message submitted again (resubmission is how mail is filtered again;
# postsuper -r does not run the milters): still exactly one of each field, same token
tok1=$("$PYTHON" "$MAILTOOL" token "$IT/filtered")
mail_submit mta "$S" c1@example.org < "$IT/filtered"
check "1b: nothing stays in the queue" queue_wait mta
check "1b: a message arrived" sink_wait 1
ok "1b: filtered twice, still one List-Unsubscribe and one List-Unsubscribe-Post" \
    unsub_ok "$(arrived_file c1@example.org)" news c1@example.org
is "1b: the same token" "$("$PYTHON" "$MAILTOOL" token "$(arrived_file c1@example.org)")" "$tok1"
sink_clear

# 2. some without consent, in every spelling Postfix rewrites on this path, the list named
# by List-Id and then by the envelope: refused whole, nobody gets it
n=2
for S in news@lists.example bounce-news-3002@lists.example; do
    list_message "$S" "Subscribers <news@lists.example>" "News $n" news.lists.example \
        | mail_submit mta "$S" c2@example.org 'example.org!u14' 'u17%example.org' \
            'U19@example.org.' 'u23@EXAMPLE.org.' 'u4@example.org.' '"u 5"@example.org' \
            "$(printf 'u6@example.org\nX-Injected: 1')" "u7'x@example.org"
    check "$n: nothing stays in the queue" queue_wait mta
    check "$n: one message (the bounce) arrived" sink_wait 1
    ok "$n: no recipient got it, c2 neither: the sender got Postfix's bounce with the reason" \
        bounce_says "$S" "recipients have no consent and cannot be removed"
    for r in u14 u17 u19 u23 u4; do
        ok "$n: journal: reject $r@example.org (raw and normalized)" journal_has list=news \
            recipient="$r@example.org" verdict=reject reason=no-record
    done
    ok "$n: journal: c2 not recorded as sent (cannot-strip)" journal_has list=news \
        recipient=c2@example.org verdict=reject reason=cannot-strip
    sink_clear
    : > "$JOURNAL"
    n=$((n + 1))
done

# 4. mixed case and a quoted local part, everybody with consent: delivered to both spellings
S=news@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News 4" news.lists.example \
    | mail_submit mta "$S" C2@EXAMPLE.ORG 'example.org!c3'
check "4: nothing stays in the queue" queue_wait mta
check "4: a message arrived" sink_wait 1
is "4: both arrived" "$(arrived_list)" "C2@EXAMPLE.ORG c3@example.org"
sink_clear

# 5. nobody with consent: rejected at end of message, bounced to the sender by Postfix
S=bounce-news-3003@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News to nobody" \
    | mail_submit mta "$S" u1@example.org bounced@example.org
check "5: nothing stays in the queue" queue_wait mta
check "5: one message (the bounce) arrived" sink_wait 1
ok "5: it is Postfix's bounce to the sender naming the refusal" \
    bounce_says "$S" "no recipient has consent for list news"
ok "5: journal: reject no-recipient-with-consent" journal_has list=news verdict=reject \
    reason=no-recipient-with-consent
queue_list mta > "$IT/postqueue.out"
ok "postqueue -p: the queue is empty" grep -q "^Mail queue is empty" "$IT/postqueue.out"
it_end
