#!/bin/sh
# error_limits.sh - Postfix counts every 4xx/5xx reply to a client as an error: after
# smtpd_soft_error_limit (10) it sleeps a second per error, after smtpd_hard_error_limit (20)
# it hangs up with 421, and only delivered mail resets the count. On Postfix's defaults a
# list message to any number of recipients, half without consent, must deliver every
# consented recipient in one transaction, without a hang-up and without error sleeps:
# optin-milter refuses at most rcpt_refusal_limit (5) recipients at RCPT per session and
# removes the rest at end of message. Checked for a direct SMTP client (500 recipients) and
# through an upstream Postfix (sendmail(1) -> edge -> mta, 120 recipients), on what smtp-sink
# received. Also: the removed one_recipient_per_message is refused with its reason.
# By hand (as root): top_srcdir=. sh tests/integration/error_limits.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start

# 500 recipients: e1..e250 with consent (imported), n1..n250 without, interleaved
{
    echo address,list
    i=1; while [ $i -le 250 ]; do echo "e$i@example.org,news"; i=$((i + 1)); done
} > "$IT/many.csv"
ctl import -q "$IT/many.csv"
RCPTS=$(i=1; while [ $i -le 250 ]; do printf 'e%d@example.org n%d@example.org ' $i $i; i=$((i + 1)); done)

# 1. a direct SMTP client, the list known from the envelope
S=bounce-news-6001@lists.example
# shellcheck disable=SC2086
list_message "$S" "Subscribers <news@lists.example>" "Many" | mail_send mta "$S" $RCPTS
is "1: the message is taken (DATA 250, no 421)" "$(reply_of DATA)" 250
is "1: 5 refused at RCPT, never more than rcpt_refusal_limit (below the soft limit: no sleeps)" \
    "$(grep -c '^RCPT .* 5[0-9][0-9] ' "$IT/send.out")" 5
is "1: no 4xx at RCPT" "$(grep -c '^RCPT .* 4[0-9][0-9] ' "$IT/send.out")" 0
ok "1: Postfix never said too many errors" sh -c "! grep -q 'too many errors' '$IT/mta/maillog'"
check "1: nothing stays in the queue" queue_wait mta
check "1: a message arrived" sink_wait 1
arrived > "$IT/arrived.1"
is "1: the 250 with consent arrived" "$(grep -c '^e[0-9]*@example.org$' "$IT/arrived.1")" 250
is "1: none of the 250 without" "$(grep -c '^n' "$IT/arrived.1")" 0
is "1: in one transaction: one queue file at the mta" \
    "$(grep "from=<$S>" "$IT/mta/maillog" | grep -c 'qmgr.*from=')" 1
is "1: journal: 245 stripped at the end" \
    "$(grep '"verdict":"strip"' "$JOURNAL" | grep -c 'rcpt_refusal_limit reached')" 245
sink_clear

# 2. through an upstream Postfix: its SMTP client splits the recipients (50 a transaction),
# gets at most 5 refusals a session, bounces those to the sender and delivers the rest
EDGE_PORT=$(free_ports 1)
pf_start edge "$EDGE_PORT" "[127.0.0.1]:$MTA_PORT" "" edge.test.example
S=bounce-news-6002@lists.example
SOME=$(i=1; while [ $i -le 60 ]; do printf 'e%d@example.org n%d@example.org ' $i $i; i=$((i + 1)); done)
# shellcheck disable=SC2086
list_message "$S" "Subscribers <news@lists.example>" "Many, relayed" | mail_submit edge "$S" $SOME
check "2: the edge's queue is empty" queue_wait edge
check "2: the mta's queue is empty" queue_wait mta
arrived | sort -u > "$IT/arrived.2"
is "2: the 60 with consent arrived" "$(grep -c '^e[0-9]*@example.org$' "$IT/arrived.2")" 60
is "2: none of the 60 without" "$(grep -c '^n' "$IT/arrived.2")" 0
ok "2: the sender got the edge's bounce for the ones refused at RCPT" grep -qx "$S" "$IT/arrived.2"
ok "2: no hang-up, no error sleep trouble at the mta" \
    sh -c "! grep -q 'too many errors' '$IT/mta/maillog'"
is "2: every recipient with consent arrived once" \
    "$(arrived | grep -c '^e[0-9]*@example.org$')" 60

# 3. one_recipient_per_message = true is refused, saying why and what to do
printf 'database = "%s/db";\none_recipient_per_message = true;\n' "$IT" > "$IT/old.conf"
out=$("$OPTIN_MILTER" -n -c "$IT/old.conf" 2>&1)
is "3: optin-milter -n refuses one_recipient_per_message = true (EX_CONFIG)" "$?" 78
ok "3: and says why" sh -c "printf '%s' \"\$1\" | grep -q 'smtpd_hard_error_limit'" x "$out"
it_end
