#!/bin/sh
# strip_forms.sh - SMTP list mail with recipients in every spelling a client may use: no
# recipient the journal records as stopped reaches the next hop, and the journal names the
# raw and the normalized recipient. Postfix's smtpd stores the path without its source route
# and removes a recipient only by that exact spelling, so optin-milter removes by it (and
# by the spelling as received). Also: one mailbox given twice keeps one-click unsubscribe,
# and List-Id fields naming different lists are refused. Checked on what smtp-sink received.
# By hand (as root): top_srcdir=. sh tests/integration/strip_forms.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start

FORMS='@a.example:u5@example.org
@a.example,@b.example:u20@example.org
u6%example.org@example.org
example.org!u10@example.org
u4@example.org.
"u 8"@example.org
U9@EXAMPLE.ORG.
U7@Example.ORG'
# norm FORM : the normalized address of a form in FORMS
norm() {
    printf '%s\n' "$1" | sed -e 's/^@[^:]*://' -e 's/\.$//' | tr 'A-Z' 'a-z'
}

# 1. the list named by List-Id: decided at end of message, removed there
S=news@lists.example
# shellcheck disable=SC2086
IFS='
'
list_message "$S" "Subscribers <news@lists.example>" "Forms 1" news.lists.example \
    | mail_send mta "$S" $FORMS c3@example.org
unset IFS
is "1: the message is taken" "$(reply_of DATA)" 250
check "1: nothing stays in the queue" queue_wait mta
check "1: a message arrived" sink_wait 1
is "1: only c3 arrived" "$(arrived_list)" "c3@example.org"
IFS='
'
for f in $FORMS; do
    unset IFS
    ok "1: journal: strip $(norm "$f"), raw <$f>" journal_has list=news verdict=strip \
        recipient="$(norm "$f")" recipient_raw="<$f>"
done
unset IFS
ok "1: jq-style: the journal finds u5@example.org by its normalized address" \
    sh -c "grep -c '\"recipient\":\"u5@example.org\"' '$JOURNAL' | grep -qx 1"
sink_clear

# 2. the list named by the envelope: refused at RCPT, with the reason
S=bounce-news-5002@lists.example
IFS='
'
# shellcheck disable=SC2086
list_message "$S" "Subscribers <news@lists.example>" "Forms 2" \
    | mail_send mta "$S" $FORMS c3@example.org
unset IFS
refused=$(grep -c '^RCPT .* 550 5.7.1' "$IT/send.out")
is "2: five refused at RCPT (rcpt_refusal_limit), the rest accepted" "$refused" 5
check "2: nothing stays in the queue" queue_wait mta
check "2: a message arrived" sink_wait 1
is "2: still only c3 arrived" "$(arrived_list)" "c3@example.org"
ok "2: journal: u20 stripped at the end (past the refusal limit)" journal_has list=news \
    verdict=strip recipient=u20@example.org
sink_clear

# 3. a source-routed recipient with consent: the route is dropped, the consent found
S=bounce-news-5003@lists.example
list_message "$S" "Subscribers <news@lists.example>" "Forms 3" \
    | mail_send mta "$S" '@relay.example:c1@example.org' u1@example.org
is "3: c1 through a route: accepted" "$(reply_of @relay.example:c1@example.org)" 250
check "3: a message arrived" sink_wait 1
is "3: c1 arrived" "$(arrived_list)" "c1@example.org"
ok "3: with the one-click pair for c1" unsub_ok "$(arrived_file c1@example.org)" news c1@example.org
sink_clear

# 4. one mailbox given twice: Postfix delivers one copy, and it keeps one-click unsubscribe
S=news@lists.example
list_message "$S" "Subscribers <news@lists.example>" "Forms 4" news.lists.example \
    | mail_send mta "$S" c2@example.org C2@Example.ORG u1@example.org
check "4: a message arrived" sink_wait 1
f=$(arrived_file c2@example.org)
[ -n "$f" ] || f=$(arrived_file C2@Example.ORG)
ok "4: one List-Unsubscribe (HTTPS first) and one List-Unsubscribe-Post, token of news/c2" \
    unsub_ok "$f" news c2@example.org
ok "4: no several-recipients warning" sh -c "! grep -q several-recipients '$JOURNAL'"
sink_clear

# 5. two List-Id fields naming different lists: refused, nobody gets it
{
    printf 'From: News <news@lists.example>\nTo: x\nSubject: Forms 5\nList-Id: <news.lists.example>\n'
    printf 'List-Id: Offers <offers.lists.example>\n\nWhich list?\n'
} | mail_send mta news@lists.example c1@example.org c2@example.org
is "5: refused at end of message" "$(reply_of DATA)" 550
ok "5: the reply says why" grep -q "several List-Id fields naming different lists" "$IT/send.out"
ok "5: journal: reject ambiguous-list-id" journal_has verdict=reject reason=ambiguous-list-id
sleep 1
is "5: nothing arrived" "$(sink_count)" 0
it_end
