#!/bin/sh
# mixed.sh - list mail to recipients with and without consent, through a real Postfix:
# only those with consent arrive, each message with exactly one List-Unsubscribe (its own
# signed token) and one List-Unsubscribe-Post, and the journal has every refusal.
#
# Three messages over SMTP into a private Postfix (optin-milter in smtpd_milters) that
# relays to smtp-sink:
#  1. list known by the envelope sender: refusals at RCPT (550 with the reason);
#  2. list known by List-Id only, with List-Unsubscribe fields of its own: recipients
#     without consent are removed at end of message, the fields replaced;
#  3. List-Id, two recipients with consent: they share one message, so it can only carry
#     the list-level mailto and no one-click field (optin-milter.conf(5));
#  4. recipients in mixed case and with a quoted local part, removed at end of message.
# By hand (as root): top_srcdir=. sh tests/integration/mixed.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start

# 1. the envelope names the list: each recipient is decided at RCPT
S=bounce-news-1001@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News 1" news.lists.example \
    | mail_send mta "$S" c1@example.org u1@example.org unsub@example.org bounced@example.org
is "1: c1 (consent) accepted at RCPT" "$(reply_of c1@example.org)" 250
is "1: u1 (no record) refused at RCPT" "$(reply_text_of u1@example.org)" \
    "5.7.1 <u1@example.org>: no consent for list news (no-record)"
is "1: unsub (unsubscribed) refused at RCPT" "$(reply_text_of unsub@example.org)" \
    "5.7.1 <unsub@example.org>: no consent for list news (unsubscribed)"
is "1: bounced (suppressed) refused at RCPT" "$(reply_text_of bounced@example.org)" \
    "5.7.1 <bounced@example.org>: no consent for list news (suppressed-bounce)"
is "1: message accepted for the rest" "$(reply_of DATA)" 250
check "1: delivered, the queue is empty" queue_wait mta
check "1: one message at the sink" sink_wait 1
is "1: only c1 arrived" "$(arrived_list)" "c1@example.org"
f=$(arrived_file c1@example.org)
ok "1: one List-Unsubscribe (https, mailto) and one List-Unsubscribe-Post, token of news/c1" \
    unsub_ok "$f" news c1@example.org
raw=$("$PYTHON" "$MAILTOOL" headers "$f" | grep -A1 '^List-Unsubscribe:')
case $raw in
"List-Unsubscribe: <https://"*">,
	<mailto:"*">") folded=yes ;;
*) folded=no; printf '%s\n' "$raw" | sed 's/^/# /' ;;
esac
is "1: List-Unsubscribe folded after the comma only" "$folded" yes
for r in u1:no-record unsub:unsubscribed bounced:suppressed-bounce; do
    ok "1: journal: reject ${r%%:*}@example.org (${r#*:})" journal_has list=news \
        "recipient=${r%%:*}@example.org" verdict=reject "reason=${r#*:}" mode=enforce
done
ok "1: journal: accept c1@example.org (consent)" journal_has list=news \
    recipient=c1@example.org verdict=accept reason=consent sender="$S"
sink_clear

# 2. only the List-Id names the list: decided at end of message; the application's own
# unsubscribe fields are replaced, not repeated
S=news@lists.example
{
    printf 'List-Unsubscribe: <https://app.example/unsub?u=everyone>\n'
    printf 'List-Unsubscribe-Post: List-Unsubscribe=One-Click\n'
    printf 'List-Unsubscribe-Post: List-Unsubscribe=One-Click\n'
    list_message "$S" "Subscribers <news@lists.example>" "News 2" news.lists.example
} | mail_send mta "$S" u2@example.org c2@example.org
is "2: u2 accepted at RCPT (list not known yet)" "$(reply_of u2@example.org)" 250
is "2: message accepted" "$(reply_of DATA)" 250
check "2: delivered" queue_wait mta
check "2: one message at the sink" sink_wait 1
is "2: only c2 arrived" "$(arrived_list)" "c2@example.org"
f=$(arrived_file c2@example.org)
ok "2: the application's fields replaced by one of each, token of news/c2" \
    unsub_ok "$f" news c2@example.org
ok "2: journal: strip u2@example.org (no-record)" journal_has list=news \
    recipient=u2@example.org verdict=strip reason=no-record
sink_clear

# 3. two recipients with consent in one message: no per-recipient token is possible
list_message "$S" "Subscribers <news@lists.example>" "News 3" news.lists.example \
    | mail_send mta "$S" c3@example.org u3@example.org c4@example.org
is "3: message accepted" "$(reply_of DATA)" 250
check "3: delivered" queue_wait mta
check "3: one message at the sink" sink_wait 1
is "3: c3 and c4 arrived, u3 did not" "$(arrived_list)" "c3@example.org c4@example.org"
f=$(arrived_file c3@example.org)
lu=$(field "$f" List-Unsubscribe)
is "3: one List-Unsubscribe" "$(field_count "$f" List-Unsubscribe)" 1
case $lu in
"<mailto:unsubscribe@lists.example?subject=unsubscribe%20"*">") lu_ok=yes ;;
*) lu_ok="no: $lu" ;;
esac
is "3: it is the list-level mailto only" "$lu_ok" yes
is "3: no List-Unsubscribe-Post (no one-click for several recipients)" \
    "$(field_count "$f" List-Unsubscribe-Post)" 0
ok "3: journal: warn several-recipients" journal_has list=news verdict=warn \
    reason=several-recipients
ok "3: journal: strip u3@example.org" journal_has recipient=u3@example.org verdict=strip
sink_clear

# 4. addresses as clients write them: Postfix removes a recipient only when the milter names
# it exactly as it was given (case, quotes), and consent is looked up normalized
list_message "$S" "Subscribers <news@lists.example>" "News 4" news.lists.example \
    | mail_send mta "$S" U2@Example.ORG '"u 4"@example.org' C1@EXAMPLE.ORG
is "4: message accepted" "$(reply_of DATA)" 250
check "4: delivered" queue_wait mta
check "4: one message at the sink" sink_wait 1
is "4: only C1@EXAMPLE.ORG arrived (U2@Example.ORG and \"u 4\" removed)" "$(arrived_list)" \
    "C1@EXAMPLE.ORG"
ok "4: its token names the normalized c1@example.org" \
    unsub_ok "$(arrived_file C1@EXAMPLE.ORG)" news c1@example.org
ok "4: journal: strip \"u 4\"@example.org" journal_has 'recipient="u 4"@example.org' verdict=strip
it_end
