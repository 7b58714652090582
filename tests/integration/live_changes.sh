#!/bin/sh
# live_changes.sh - consent changes made with optinctl while Postfix and optin-milter run
# take effect with the next message: no restart, no reload (same pid, no reload logged).
# c1 unsubscribes from news, c2 is suppressed; their next mail is stopped, both at RCPT
# (SMTP, envelope names the list) and at end of message (sendmail(1), List-Id).
# By hand (as root): top_srcdir=. sh tests/integration/live_changes.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start
pid0=$MILTER_PID

# before: both have consent
S=bounce-news-6001@lists.example
list_message "$S" "Subscribers <news@lists.example>" "Before" > "$IT/msg"
for c in c1 c2; do
    mail_send mta "$S" "$c@example.org" < "$IT/msg"
    is "before: $c accepted" "$(reply_of "$c@example.org") $(reply_of DATA)" "250 250"
done
check "before: delivered" queue_wait mta
check "before: both arrived" sink_wait 2
is "before: c1 and c2 arrived" "$(arrived_list)" "c1@example.org c2@example.org"
sink_clear

# the changes, while everything runs
ctl -s one-click unsubscribe news c1@example.org
ctl suppress c2@example.org
ok "optinctl check: c1 now denied" sh -c "! '$OPTINCTL' -c '$IT/optin.conf' check news c1@example.org > /dev/null"

# after, SMTP: refused at RCPT with the new reasons
list_message "$S" "Subscribers <news@lists.example>" "After" > "$IT/msg"
mail_send mta "$S" c1@example.org c2@example.org c3@example.org < "$IT/msg"
is "after: c1 refused at RCPT (unsubscribed)" "$(reply_text_of c1@example.org)" \
    "5.7.1 <c1@example.org>: no consent for list news (unsubscribed)"
is "after: c2 refused at RCPT (suppressed)" "$(reply_text_of c2@example.org)" \
    "5.7.1 <c2@example.org>: no consent for list news (suppressed-manual)"
is "after: c3 still accepted" "$(reply_of c3@example.org) $(reply_of DATA)" "250 250"

# after, with List-Id: decided at end of message, removed there
list_message news@lists.example "Subscribers <news@lists.example>" "After 2" news.lists.example \
    | mail_send mta news@lists.example c1@example.org c2@example.org c4@example.org
check "after: delivered" queue_wait mta
check "after: two messages arrived" sink_wait 2
is "after: only c3 and c4 arrived" "$(arrived_list)" "c3@example.org c4@example.org"
ok "journal: strip c1@example.org (unsubscribed)" journal_has recipient=c1@example.org \
    verdict=strip reason=unsubscribed
ok "journal: strip c2@example.org (suppressed-manual)" journal_has recipient=c2@example.org \
    verdict=strip reason=suppressed-manual

is "optin-milter was neither restarted" "$MILTER_PID" "$pid0"
ok "nor reloaded (no reload in its log)" sh -c "! grep -qi reload '$IT/milter.log'"
it_end
