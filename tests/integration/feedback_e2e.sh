#!/bin/sh
# feedback_e2e.sh - a bounce, end to end through two real Postfix instances: list mail leaves
# "mta" with the signed VERP return path the milter sets (verp_return_path); the next hop
# "far" knows only some of its recipients and refuses the others at RCPT (550 5.1.1); mta
# returns the bounce to bounce+TAG@lists.example, which its transport map hands to
# "optinctl feedback -r ${recipient}" over a pipe(8) transport. Exactly the recipient the
# tag names is suppressed. Forged bounces sent to the bounce address (no tag, a made-up tag,
# another recipient's tag) reach the same pipe and change nothing.
#
# pipe(8) never runs a command as root: here the transport runs as nobody, which owns the
# test store and key file; in production the milter's user (README: the pipe transports).
# By hand (as root): top_srcdir=. sh tests/integration/feedback_e2e.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
PIPE_USER=nobody
FAR_PORT=$(free_ports 1)
it_conf 'verp_return_path = "bounce+%s@lists.example";'
it_store
ctl subscribe news gone@example.org
ctl subscribe news gone2@example.org
: > "$JOURNAL"           # the pipe (as nobody) and the milter (as root) both append to it
chown -R "$PIPE_USER" "$IT/db" "$IT/keys" "$JOURNAL"
milter_start
sink_start
# far: the next hop, relaying example.org to the sink but only for the addresses it knows
pf_start far "$FAR_PORT" "[127.0.0.1]:$SINK_PORT" "" far.test.example
cat >> "$IT/far/conf/main.cf" <<EOF
relay_domains = example.org
relay_recipient_maps = inline:{ c1@example.org=ok, c2@example.org=ok, c3@example.org=ok }
EOF
postfix -c "$IT/far/conf" reload > "$IT/reload.out" 2>&1 \
    || { echo "Bail out! postfix reload far"; comment "$IT/reload.out"; exit 1; }
pf_start mta "$MTA_PORT" "[127.0.0.1]:$FAR_PORT" "unix:$MILTER_SOCK"
pipe_transport mta optin-feedback bounce@lists.example feedback -r '${recipient}'

# verdict LIST ADDRESS : optinctl check's reason
verdict() { "$OPTINCTL" -c "$IT/optin.conf" check "$1" "$2" 2> /dev/null; }
# forged SAMPLE TO VICTIM : a report (tests/data/feedback/SAMPLE.eml) about VICTIM, to TO
forged() {
    sed -e 's/@TOKEN@//g' -e "s/@RCPT@/$3/g" -e "s/@MSGID@/forged.$$.$(date +%s%N)/g" \
        "$top_srcdir/tests/data/feedback/$1.eml" \
        | sed "1,/^\$/s/^To: .*/To: <$2>/"
}

# 1. list mail to gone (unknown at far) and c2 (known), one recipient per message
S=bounce-news-7001@lists.example
for r in gone@example.org c2@example.org; do
    list_message "$S" "Subscribers <news@lists.example>" "December" > "$IT/msg"
    mail_send mta "$S" "$r" < "$IT/msg"
    is "list message to $r accepted by mta" "$(reply_of "$r") $(reply_of DATA)" "250 250"
done
check "c2's copy reached the sink" sink_wait 1
is "... only c2's" "$(arrived_list)" "c2@example.org"
check "mta's queue is empty: the bounce went through the pipe" queue_wait mta
ok "mta sent gone's mail with a signed VERP return path" \
    grep -q 'from=<bounce+[a-z2-7]\{24\}@lists.example>' "$IT/mta/maillog"
ok "far refused gone at RCPT" grep -q 'gone@example.org.*550 5.1.1' "$IT/mta/maillog"
ok "the bounce was delivered to the feedback pipe" \
    grep -q 'to=<bounce+[a-z2-7]\{24\}@lists.example>.*relay=optin-feedback.*status=sent' \
    "$IT/mta/maillog"
is "gone is suppressed as a bounce" "$(verdict news gone@example.org)" suppressed-bounce
is "c2 keeps consent" "$(verdict news c2@example.org)" consent
is "gone2 (never bounced) keeps consent" "$(verdict news gone2@example.org)" consent
ok "journal: the bounce, bound by the VERP tag" journal_has verdict=suppress \
    recipient=gone@example.org reason=hard

# 2. forgeries: anyone can mail the bounce address; none of these binds its victim
TAG_C3=$("$OPTINCTL" -c "$IT/optin.conf" token --verp news c3@example.org)
n=0
for to in bounce@lists.example bounce+aaaaaaaaaaaaaaaaaaaaaaaa@lists.example "$TAG_C3"; do
    n=$((n + 1))
    forged postfix_hard "$to" c2@example.org > "$IT/forged"
    mail_send mta attacker@example.net "$to" < "$IT/forged"
    is "forged DSN $n (to $to) accepted" "$(reply_of "$to") $(reply_of DATA)" "250 250"
    # a complaint needs no "hard" evidence: before binding, one forged ARF unsubscribed
    forged arf_jmrp "$to" c1@example.org > "$IT/forged"
    mail_send mta attacker@example.net "$to" < "$IT/forged"
    is "forged ARF complaint $n (to $to) accepted" "$(reply_of "$to") $(reply_of DATA)" "250 250"
done
check "the forged reports went through the pipe" queue_wait mta
ok "... all seven delivered by the pipe (exit 0, none returned)" sh -c "[ \$(grep -c 'optin-feedback.*status=sent' \
    '$IT/mta/maillog') -ge 7 ]"
is "c2 keeps consent after three forged DSNs" "$(verdict news c2@example.org)" consent
is "c1 keeps offers after three forged complaints" "$(verdict offers c1@example.org)" consent
ok "journal: the forged DSNs are unverified" journal_has verdict=unverified \
    recipient=c2@example.org reason=hard
ok "journal: the forged complaints are unverified" journal_has verdict=unverified \
    recipient=c1@example.org reason=complaint
is "c3, whose tag carried one, keeps consent too (the DSN names c2)" \
    "$(verdict news c3@example.org)" consent
forged postfix_hard "$TAG_C3" gone2@example.org > "$IT/forged"
mail_send mta attacker@example.net "$TAG_C3" < "$IT/forged"
check "a DSN naming gone2 to c3's VERP address went through the pipe" queue_wait mta
is "... gone2 keeps consent" "$(verdict news gone2@example.org)" consent

it_end
