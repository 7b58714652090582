#!/bin/sh
# mailto_e2e.sh - the mailto: URI of List-Unsubscribe, end to end through a real Postfix:
# a list message is delivered with its List-Unsubscribe; the recipient mails the mailto
# address it names; Postfix hands that mail to "optinctl mailto" over a pipe(8) transport
# (transport_maps: unsubscribe@lists.example -> optin-mailto:); the next list message to
# that address is refused at RCPT. Also: the token in the address extension, a forged token
# bounced back to its sender with optinctl's reason (exit 65), and a store optinctl cannot
# write deferred by Postfix (exit 75) and delivered once it can.
#
# pipe(8) never runs a command as root, so here the transport runs as nobody, which owns
# the test store and key file; in production use a dedicated user (README: mailto).
# By hand (as root): top_srcdir=. sh tests/integration/mailto_e2e.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start
PIPE_USER=nobody

# the mailto transport: a pipe to optinctl, and the transport map that routes the
# unsubscribe address (with or without a +extension) to it
chown -R "$PIPE_USER" "$IT/db" "$IT/keys"
pipe_transport mta optin-mailto unsubscribe@lists.example mailto -r '${recipient}'

# mailto_of FILE : "ADDRESS SUBJECT" of the mailto: URI in the message's List-Unsubscribe
mailto_of() {
    field "$1" List-Unsubscribe | "$PYTHON" -c '
import re, sys, urllib.parse
m = re.search(r"<mailto:([^?>]+)\?subject=([^>&]*)>", sys.stdin.read())
print(m.group(1), urllib.parse.unquote(m.group(2))) if m else sys.exit(1)'
}
# unsub_mail FROM TO SUBJECT : the mail a mail client sends for a mailto: URI
unsub_mail() {
    printf 'From: <%s>\nTo: <%s>\nSubject: %s\nDate: Tue, 02 Sep 2025 08:00:00 +0000\nMessage-ID: <%s.%s@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nThis message was sent to unsubscribe.\n' \
        "$1" "$2" "$3" "$(date +%s%N)" "$$"
}
# verdict LIST ADDRESS : optinctl check's reason
verdict() { "$OPTINCTL" -c "$IT/optin.conf" check "$1" "$2" 2> /dev/null; }

# 1. a list message to c2, one to c3 (one recipient each: a token per recipient)
S=bounce-news-7001@lists.example
for c in c2 c3; do
    list_message "$S" "Subscribers <news@lists.example>" "September" > "$IT/msg"
    mail_send mta "$S" "$c@example.org" < "$IT/msg"
    is "list message accepted for $c" "$(reply_of "$c@example.org") $(reply_of DATA)" "250 250"
done
check "both delivered" sink_wait 2
f2=$(arrived_file c2@example.org)
f3=$(arrived_file c3@example.org)
check "c2's copy: List-Unsubscribe for news and c2" unsub_ok "$f2" news c2@example.org
set -- $(mailto_of "$f2")
MAILTO=$1; shift; SUBJECT=$*
is "the mailto: address" "$MAILTO" "unsubscribe@lists.example"
case $SUBJECT in "unsubscribe "?*) s=ok ;; *) s="'$SUBJECT'" ;; esac
is "the mailto: subject is \"unsubscribe TOKEN\"" "$s" ok
set -- $(mailto_of "$f3")
T3=${3:-}
sink_clear

# 2. c2 mails the mailto: address; Postfix pipes it to optinctl mailto
unsub_mail c2@example.org "$MAILTO" "$SUBJECT" > "$IT/unsub"
mail_send mta c2@example.org "$MAILTO" < "$IT/unsub"
is "the unsubscribe mail is accepted" "$(reply_of "$MAILTO") $(reply_of DATA)" "250 250"
check "the pipe delivered it (queue empty)" queue_wait mta
is "c2 is unsubscribed from news" "$(verdict news c2@example.org)" unsubscribed
ok "history: source mailto, actor optinctl-mailto" sh -c "'$OPTINCTL' -c '$IT/optin.conf' \
    show c2@example.org | grep -q 'unsubscribe list=news.*source=mailto actor=optinctl-mailto'"
ok "Postfix logged the delivery by optin-mailto" grep -q 'relay=optin-mailto.*status=sent' \
    "$IT/mta/maillog"

# 3. the next list message: c2 refused at RCPT, c3 still accepted
list_message "$S" "Subscribers <news@lists.example>" "October" > "$IT/msg"
mail_send mta "$S" c2@example.org c3@example.org < "$IT/msg"
is "next message: c2 refused at RCPT" "$(reply_text_of c2@example.org)" \
    "5.7.1 <c2@example.org>: no consent for list news (unsubscribed)"
is "next message: c3 accepted" "$(reply_of c3@example.org) $(reply_of DATA)" "250 250"
check "next message: delivered" sink_wait 1
is "next message: only c3 arrived" "$(arrived_list)" "c3@example.org"
sink_clear

# 4. the token in the address extension (unsubscribe+TOKEN@), empty subject
unsub_mail c3@example.org "unsubscribe+$T3@lists.example" "" > "$IT/unsub"
mail_send mta c3@example.org "unsubscribe+$T3@lists.example" < "$IT/unsub"
check "extension: delivered by the pipe" queue_wait mta
is "extension: c3 is unsubscribed" "$(verdict news c3@example.org)" unsubscribed

# 4b. one message to c1 and c4 gets a list-level mailto only; c1 answers it from its address
list_message "$S" "Subscribers <news@lists.example>" "November" > "$IT/msg"
mail_send mta "$S" c1@example.org c4@example.org < "$IT/msg"
check "two recipients: delivered" sink_wait 1
set -- $(mailto_of "$(arrived_file c1@example.org)")
M2=$1; shift
unsub_mail c1@example.org "$M2" "$*" > "$IT/unsub"
mail_send mta c1@example.org "$M2" < "$IT/unsub"
check "list-level token: delivered by the pipe" queue_wait mta
is "list-level token: the sender c1 is unsubscribed from news" \
    "$(verdict news c1@example.org)" unsubscribed
is "list-level token: c1's offers untouched" "$(verdict offers c1@example.org)" consent
is "list-level token: c4 untouched" "$(verdict news c4@example.org)" consent
sink_clear

# 5. a forged token: optinctl exits 65, Postfix bounces the mail to its sender with the reason
c20=$(printf '%s' "$T3" | cut -c20)                 # one character in the middle changed
if [ "$c20" = A ]; then repl=B; else repl=A; fi
FORGED=$(printf '%s' "$T3" | sed "s/./$repl/20")
unsub_mail mallory@example.org "$MAILTO" "unsubscribe $FORGED" > "$IT/unsub"
mail_send mta mallory@example.org "$MAILTO" < "$IT/unsub"
check "forged: the mail left the queue" queue_wait mta
check "forged: a bounce reached the sender" sink_wait 1
bf=$(arrived_file mallory@example.org)
ok "forged: the bounce carries optinctl's reason" grep -q "token is not valid: it does not verify" "$bf"
ok "forged: Postfix logged status=bounced (5.6.0, data format error)" \
    grep -q 'relay=optin-mailto.*dsn=5.6.0.*status=bounced' "$IT/mta/maillog"
sink_clear

# 6. a store optinctl cannot use: exit 75, Postfix defers and retries; delivered when fixed
chmod 000 "$IT/db"
T4=$("$OPTINCTL" -c "$IT/optin.conf" token news c4@example.org)
unsub_mail c4@example.org "$MAILTO" "Re: unsubscribe $T4" > "$IT/unsub"
mail_send mta c4@example.org "$MAILTO" < "$IT/unsub"
n=50
while ! grep -q 'relay=optin-mailto.*status=deferred' "$IT/mta/maillog" && [ $n -gt 0 ]; do
    sleep 0.2
    n=$((n - 1))
done
ok "store unusable: Postfix deferred the mail (4.3.0, temporary failure)" \
    grep -q 'relay=optin-mailto.*dsn=4.3.0.*status=deferred' "$IT/mta/maillog"
is "store unusable: c4 still has consent" "$(verdict news c4@example.org)" consent
chmod 770 "$IT/db"
queue_flush mta
check "store back: the retry delivered it" queue_wait mta 30
is "store back: c4 is unsubscribed" "$(verdict news c4@example.org)" unsubscribed

it_end
