#!/bin/sh
# unsubscribe_e2e.sh - the whole loop with a real Postfix: a list message arrives with its
# one-click List-Unsubscribe; its HTTPS URL, pointed at optin-unsubd on loopback, is POSTed
# with curl exactly as a mailbox provider does (RFC 8058: List-Unsubscribe=One-Click, once
# urlencoded, once multipart); the very next message to that address is refused at RCPT or
# stripped at end of message, while the other recipients and the address's other list still
# get their mail. optin-milter is neither restarted nor reloaded.
# By hand (as root): top_srcdir=. sh tests/integration/unsubscribe_e2e.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
: "${OPTIN_UNSUBD:=$top_builddir/tools/optin-unsubd/optin-unsubd}"
it_begin
[ -x "$OPTIN_UNSUBD" ] || { echo "Bail out! $OPTIN_UNSUBD is not built"; exit 1; }
command -v curl > /dev/null 2>&1 || skip_all "curl is not installed (tests/setup-debian.sh installs it)"
it_start
pid0=$MILTER_PID

# optin-unsubd on the milter's configuration, store and keys; the port is the kernel's choice
"$OPTIN_UNSUBD" -f -c "$IT/optin.conf" -l 127.0.0.1:0 >> "$IT/unsubd.log" 2>&1 < /dev/null &
UNSUBD_PID=$!
track unsubd "$UNSUBD_PID"
n=100
while [ $n -gt 0 ]; do
    UNSUBD_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$IT/unsubd.log")
    [ -n "$UNSUBD_PORT" ] && break
    kill -0 "$UNSUBD_PID" 2> /dev/null || n=0
    sleep 0.05
    n=$((n - 1))
done
[ -n "$UNSUBD_PORT" ] || { echo "Bail out! optin-unsubd does not start"; comment "$IT/unsubd.log"; exit 1; }

# local_url FILE : the HTTPS URL of the message's List-Unsubscribe, host and scheme pointed
# at optin-unsubd (what the reverse proxy would do)
local_url() {
    field "$1" List-Unsubscribe | tr ',' '\n' | sed -n 's/^[[:space:]]*<\(https:[^>]*\)>.*/\1/p' \
        | sed "s|^https://[^/]*|http://127.0.0.1:$UNSUBD_PORT|"
}
# deliver_one RCPT SUBJECT : one news message over SMTP to RCPT; its dump file on stdout
S=bounce-news-8001@lists.example
deliver_one() {
    list_message "$S" "Subscribers <news@lists.example>" "$2" > "$IT/msg"
    mail_send mta "$S" "$1" < "$IT/msg"
    queue_wait mta && sink_wait 1 && arrived_file "$1"
}

# 1. a list message to c1 arrives with its own one-click URL
f=$(deliver_one c1@example.org "Issue 1")
is "1: c1's message arrived" "$(arrived_list)" "c1@example.org"
ok "1: one List-Unsubscribe (https, mailto) and one List-Unsubscribe-Post, token of news/c1" \
    unsub_ok "$f" news c1@example.org
url=$(local_url "$f")
case $url in "http://127.0.0.1:$UNSUBD_PORT/u/"?*) seen=yes ;; *) seen="no: $url" ;; esac
is "1: its HTTPS URL, host rewritten to optin-unsubd" "$seen" yes
sink_clear

# 2. a link scanner fetches it: a page, nothing changes
code=$(curl -s -o "$IT/page" -w '%{http_code}' "$url")
is "2: GET of the URL: 200, a page with the button" \
    "$code $(grep -c 'name="List-Unsubscribe" value="One-Click"' "$IT/page")" "200 1"
ok "2: GET changed nothing (check news c1: consent)" \
    sh -c "'$OPTINCTL' -c '$IT/optin.conf' check news c1@example.org | grep -qx consent"

# 3. the mailbox provider's one-click POST
code=$(curl -s -o "$IT/done" -w '%{http_code}' -D "$IT/done.headers" \
    -d "List-Unsubscribe=One-Click" "$url")
is "3: POST List-Unsubscribe=One-Click: 200" "$code" 200
ok "3: no redirect, no cookie" sh -c "! grep -i -q -e '^location:' -e '^set-cookie:' '$IT/done.headers'"
is "3: optinctl check news c1: unsubscribed" \
    "$("$OPTINCTL" -c "$IT/optin.conf" check news c1@example.org)" unsubscribed
ok "3: history: source one-click, actor optin-unsubd" sh -c \
    "'$OPTINCTL' -c '$IT/optin.conf' show c1@example.org | grep -q 'unsubscribe list=news .*source=one-click ip=127.0.0.1 actor=optin-unsubd'"

# 4. the next message over SMTP: c1 refused at RCPT, c2 still accepted
list_message "$S" "Subscribers <news@lists.example>" "Issue 2" > "$IT/msg"
mail_send mta "$S" c1@example.org c2@example.org < "$IT/msg"
is "4: c1 refused at RCPT (unsubscribed)" "$(reply_text_of c1@example.org)" \
    "5.7.1 <c1@example.org>: no consent for list news (unsubscribed)"
is "4: c2 accepted" "$(reply_of c2@example.org) $(reply_of DATA)" "250 250"
check "4: delivered" queue_wait mta
check "4: arrived" sink_wait 1
is "4: only c2 arrived" "$(arrived_list)" "c2@example.org"
ok "4: journal: reject c1 (unsubscribed)" journal_has list=news recipient=c1@example.org \
    verdict=reject reason=unsubscribed
sink_clear

# 5. the same with only a List-Id: c1 stripped at end of message
list_message news@lists.example "Subscribers <news@lists.example>" "Issue 3" news.lists.example \
    | mail_send mta news@lists.example c1@example.org c3@example.org
check "5: delivered" queue_wait mta
check "5: arrived" sink_wait 1
is "5: c1 stripped, c3 arrived" "$(arrived_list)" "c3@example.org"
ok "5: journal: strip c1 (unsubscribed)" journal_has list=news recipient=c1@example.org \
    verdict=strip reason=unsubscribed
sink_clear

# 6. unsubscribing from news leaves c1's other list alone
list_message offers@lists.example "Offers <offers@lists.example>" "Offer" offers.lists.example \
    | mail_submit mta offers@lists.example c1@example.org
check "6: delivered" queue_wait mta
check "6: arrived" sink_wait 1
is "6: c1 still gets offers" "$(arrived_list)" "c1@example.org"
sink_clear

# 7. the multipart/form-data form of the POST (RFC 8058's SHOULD), for c4
f=$(deliver_one c4@example.org "Issue 4")
url=$(local_url "$f")
sink_clear
code=$(curl -s -o /dev/null -w '%{http_code}' -F "List-Unsubscribe=One-Click" "$url")
is "7: multipart POST of c4's URL: 200" "$code" 200
list_message "$S" "Subscribers <news@lists.example>" "Issue 5" > "$IT/msg"
mail_send mta "$S" c4@example.org < "$IT/msg"
is "7: the next message to c4 is refused at RCPT" "$(reply_text_of c4@example.org)" \
    "5.7.1 <c4@example.org>: no consent for list news (unsubscribed)"

# 8. a replayed POST (the provider retries): 200, still refused
code=$(curl -s -o "$IT/again" -w '%{http_code}' -d "List-Unsubscribe=One-Click" "$url")
grep -q "<h1>You are already unsubscribed</h1>" "$IT/again" && again=yes || again=no
is "8: replayed POST: 200, \"already unsubscribed\"" "$code $again" "200 yes"

is "optin-milter was neither restarted" "$MILTER_PID" "$pid0"
ok "nor reloaded (no reload in its log)" sh -c "! grep -qi reload '$IT/milter.log'"
ok "optin-unsubd logged each of its 4 requests" sh -c \
    "[ \$(grep -c ' client=127.0.0.1 .*status=200' '$IT/unsubd.log') -eq 4 ]"
kill -TERM "$UNSUBD_PID"
n=50
while kill -0 "$UNSUBD_PID" 2> /dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
wait "$UNSUBD_PID" 2> /dev/null
is "optin-unsubd stopped cleanly" "$? $(grep -c 'optin-unsubd: stopped' "$IT/unsubd.log")" "0 1"
untrack unsubd
it_end
