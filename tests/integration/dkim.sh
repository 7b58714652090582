#!/bin/sh
# dkim.sh - RFC 8058 section 4: one-click needs a valid DKIM signature whose h= covers both
# List-Unsubscribe and List-Unsubscribe-Post. A real OpenDKIM signer runs after optin-milter
# in smtpd_milters (so it signs the fields optin-milter added), with the delta syntax
# "SignHeaders *,+List-Unsubscribe-Post" (its default set lacks -Post). The arrived message's
# signature is checked offline with python3-dkim, the key from opendkim-genkey's sel.txt
# as the only DNS answer; a copy with List-Unsubscribe changed must fail to verify.
# By hand (as root): top_srcdir=. sh tests/integration/dkim.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
for prog in opendkim opendkim-genkey; do
    command -v $prog > /dev/null 2>&1 || {
        echo "Bail out! $prog is missing (tests/setup-debian.sh installs opendkim opendkim-tools)"
        exit 1
    }
done
"$PYTHON" -c 'import dkim' 2> /dev/null \
    || { echo "Bail out! python3-dkim is missing (tests/setup-debian.sh installs it)"; exit 1; }

# the signer: a key for lists.example, selector sel, on a loopback port
mkdir -p "$IT/dkim"
opendkim-genkey -D "$IT/dkim" -d lists.example -s sel || { echo "Bail out! opendkim-genkey"; exit 1; }
DKIM_PORT=$(free_ports 1)
cat > "$IT/dkim/opendkim.conf" <<EOF
Mode                s
Domain              lists.example
Selector            sel
KeyFile             $IT/dkim/sel.private
# the key is root's, mode 0600, but /tmp above it is world-writable (sticky)
RequireSafeKeys     false
Socket              inet:$DKIM_PORT@127.0.0.1
PidFile             $IT/dkim/opendkim.pid
Canonicalization    relaxed/simple
SignHeaders         *,+List-Unsubscribe-Post
Syslog              no
EOF
opendkim -f -x "$IT/dkim/opendkim.conf" > "$IT/dkim/opendkim.log" 2>&1 < /dev/null &
track opendkim $!
wait_port "$DKIM_PORT" || { echo "Bail out! opendkim does not start"; comment "$IT/dkim/opendkim.log"; exit 1; }

it_conf
it_store
milter_start
sink_start
pf_start mta "$MTA_PORT" "[127.0.0.1]:$SINK_PORT" \
    "unix:$MILTER_SOCK, inet:127.0.0.1:$DKIM_PORT"

S=bounce-news-7001@lists.example
list_message "$S" "Subscribers <news@lists.example>" "Signed news" news.lists.example \
    | mail_send mta "$S" c1@example.org u1@example.org
is "accepted for c1, u1 refused" "$(reply_of c1@example.org) $(reply_of u1@example.org) $(reply_of DATA)" \
    "250 550 250"
check "delivered" queue_wait mta
check "arrived" sink_wait 1
f=$(arrived_file c1@example.org)
ok "one List-Unsubscribe and one List-Unsubscribe-Post, token of news/c1" \
    unsub_ok "$f" news c1@example.org
is "one DKIM-Signature" "$(field_count "$f" DKIM-Signature)" 1
"$PYTHON" "$MAILTOOL" dkim "$f" "$IT/dkim/sel.txt" > "$IT/dkim/verify.out" 2>&1
vrc=$?
h=$(sed -n 's/^h=//p' "$IT/dkim/verify.out" | head -1 | tr 'A-Z' 'a-z')
echo "# h=$h"
for want in list-unsubscribe list-unsubscribe-post from; do
    case ":$h:" in
    *":$want:"*) covered=yes ;;
    *) covered=no ;;
    esac
    is "h= covers $want" "$covered" yes
done
is "the signature verifies (python3-dkim, key from sel.txt)" "$vrc $(tail -1 "$IT/dkim/verify.out")" \
    "0 verified"
[ $vrc -eq 0 ] || comment "$IT/dkim/verify.out" "verify: "

# a copy with another unsubscribe link must not verify: the check is real
sed 's|<https://u\.lists\.example/u/|<https://evil.example/u/|' "$f" > "$IT/dkim/tampered"
ok "the copy differs in List-Unsubscribe" sh -c "! cmp -s '$f' '$IT/dkim/tampered'"
"$PYTHON" "$MAILTOOL" dkim "$IT/dkim/tampered" "$IT/dkim/sel.txt" > "$IT/dkim/tampered.out" 2>&1
is "a changed List-Unsubscribe breaks the signature" "$(tail -1 "$IT/dkim/tampered.out")" failed
it_end
