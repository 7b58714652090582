#!/bin/sh
# sendmail_real.sh - optin-milter behind Debian's real Sendmail 8.17, configured as the README's
# Sendmail section says: INPUT_MAIL_FILTER(`optin', `S=local:..., F=T, T=C:30s;S:30s;R:60s;E:5m')
# and a DAEMON_OPTIONS(`Port=..., Addr=127.0.0.1, Name=BULK') for match.daemon_name. Sendmail
# relays everything to smtp-sink, and what smtp-sink received is checked:
#  1. list mail known by the envelope sender: recipients without consent get 550 at RCPT,
#     the one with consent gets the message with List-Unsubscribe and List-Unsubscribe-Post;
#     1b. with more of them than rcpt_refusal_limit, the rest are removed at end of message;
#  2. list mail known by List-Id only, with unsubscribe fields of its own: the recipient
#     without consent is removed at end of message (smfi_delrcpt), the fields replaced;
#  3. two recipients with consent share one message: the list-level mailto only;
#  4. recipients in mixed case and with a quoted local part, removed at end of message;
#  5. transactional mail passes untouched (the header block byte for byte);
#  6. list mail known only by the daemon that took it ({daemon_name} BULK);
#  7. with optin-milter stopped, F=T: Sendmail temp-fails, nothing goes through.
# Debian's sendmail-bin conflicts with Postfix, so the packages are not installed: their .debs
# (cached in /var/cache/optin-milter-tests/debs, which tests/setup-debian.sh fills) are unpacked
# into the test's folder, a .cf is built from a .mc with the unpacked sendmail-cf, and the
# unpacked binary runs as root with -C, listening on 127.0.0.1 only, its queue and every file
# in the folder. Skipped when the .debs can neither be found nor downloaded.
# By hand (as root): top_srcdir=. sh tests/integration/sendmail_real.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin

DEB_CACHE=${OPTIN_DEB_CACHE:-/var/cache/optin-milter-tests/debs}
SM=$IT/sendmail
SM_PID=

# deb_of PACKAGE : the newest cached .deb of PACKAGE, or nothing
deb_of() { ls "$DEB_CACHE/$1"_*.deb 2> /dev/null | sort -V | tail -n 1; }

# sm_debs : the .debs in the cache, downloaded when missing; skips the script without them
sm_debs() {
    need="sendmail-bin sendmail-base sendmail-cf"
    # sendmail-bin links liblockfile.so.1, which Postfix does not pull in: unpacked as well
    ldconfig -p 2> /dev/null | grep -q 'liblockfile\.so\.1 ' || need="$need liblockfile1"
    missing=
    for p in $need; do [ -n "$(deb_of "$p")" ] || missing="$missing $p"; done
    [ -z "$missing" ] && return 0
    mkdir -p "$DEB_CACHE"
    # shellcheck disable=SC2086
    (cd "$DEB_CACHE" && timeout 300 apt-get download -q -o APT::Sandbox::User=root \
        -o Acquire::Retries=0 -o Acquire::http::Timeout=20 $missing) > "$IT/apt.out" 2>&1
    for p in $missing; do
        [ -n "$(deb_of "$p")" ] && continue
        comment "$IT/apt.out" "apt-get: "
        skip_all "no $p .deb in $DEB_CACHE and apt-get download failed (no network?); tests/setup-debian.sh downloads them"
    done
}

# sm_unpack : the .debs unpacked into $SM/root; SENDMAIL, CFDIR, the library path
sm_unpack() {
    mkdir -p "$SM/root"
    for p in sendmail-bin sendmail-base sendmail-cf liblockfile1; do
        f=$(deb_of "$p")
        [ -n "$f" ] || continue
        dpkg-deb -x "$f" "$SM/root" || { echo "Bail out! dpkg-deb -x $f"; exit 1; }
    done
    SENDMAIL=$SM/root/usr/libexec/sendmail/sendmail
    CFDIR=$SM/root/usr/share/sendmail/cf
    SM_LIBS=$(find "$SM/root" -name 'liblockfile.so.1' | head -n 1)
    [ -n "$SM_LIBS" ] && SM_LIBS=$(dirname "$SM_LIBS")
    [ -x "$SENDMAIL" ] && [ -f "$CFDIR/m4/cf.m4" ] \
        || { echo "Bail out! no sendmail binary or cf/m4/cf.m4 in the unpacked .debs"; exit 1; }
    nf=$(LD_LIBRARY_PATH=$SM_LIBS ldd "$SENDMAIL" 2>&1 | awk '/not found/ { printf " %s", $1 }')
    [ -z "$nf" ] || skip_all "the unpacked sendmail needs libraries that are not installed:$nf"
    command -v m4 > /dev/null || skip_all "m4 is not installed (it builds sendmail.cf)"
    echo "# Sendmail $(dpkg-deb -f "$(deb_of sendmail-bin)" Version), unpacked from $DEB_CACHE"
}

# sm_conf : $SM/sendmail.mc and, built with m4 and the unpacked sendmail-cf, $SM/sendmail.cf
sm_conf() {
    mkdir -p "$SM/etc" "$SM/mqueue" "$SM/hoststat"
    chmod 700 "$SM/mqueue"
    : > "$SM/etc/aliases"
    : > "$SM/etc/local-host-names"
    : > "$SM/etc/relay-domains"
    printf 'hosts files\naliases files\n' > "$SM/etc/service.switch"
    printf '127.0.0.1 localhost %s\n' "$SM_HOST" > "$SM/etc/hosts"
    # everything in the folder; the optin milter line and the BULK daemon taken from the
    # README as written, only the socket and the port moved into this test's own
    readme_milter=$(grep "^INPUT_MAIL_FILTER(\`optin'" "$top_srcdir/README.md" | sed 's|S=local:[^,]*|S=local:@MILTER_SOCK@|')
    readme_bulk=$(grep "^DAEMON_OPTIONS(.*Name=BULK" "$top_srcdir/README.md" | sed 's|Port=[0-9]*|Port=@BULK_PORT@|')
    [ -n "$readme_milter" ] && [ -n "$readme_bulk" ] \
        || { echo "Bail out! the README's INPUT_MAIL_FILTER or DAEMON_OPTIONS line is missing"; exit 1; }
    sed -e "s|@README_MILTER@|$readme_milter|" -e "s|@README_BULK@|$readme_bulk|" \
        -e "s|@SM@|$SM|g" -e "s|@MILTER_SOCK@|$MILTER_SOCK|g" -e "s|@SM_HOST@|$SM_HOST|g" \
        -e "s|@MTA_PORT@|$MTA_PORT|g" -e "s|@BULK_PORT@|$BULK_PORT|g" \
        -e "s|@SINK_PORT@|$SINK_PORT|g" > "$SM/sendmail.mc" <<'EOF'
divert(-1)
sendmail.mc of tests/integration/sendmail_real.sh: every file in @SM@
divert(0)dnl
OSTYPE(`linux')dnl
DOMAIN(`generic')dnl
define(`confDOMAIN_NAME', `@SM_HOST@')dnl
define(`confEBINDIR', `@SM@/root/usr/libexec/sendmail')dnl
define(`QUEUE_DIR', `@SM@/mqueue')dnl
define(`ALIAS_FILE', `@SM@/etc/aliases')dnl
define(`HELP_FILE', `@SM@/root/etc/mail/helpfile')dnl
define(`STATUS_FILE', `@SM@/sendmail.st')dnl
define(`confCW_FILE', `-o @SM@/etc/local-host-names')dnl
define(`confCR_FILE', `-o @SM@/etc/relay-domains')dnl
define(`confPID_FILE', `@SM@/sendmail.pid')dnl
define(`confCONTROL_SOCKET_NAME', `@SM@/control')dnl
define(`confHOST_STATUS_DIRECTORY', `@SM@/hoststat')dnl
define(`confDEAD_LETTER_DROP', `@SM@/dead.letter')dnl
define(`confSERVICE_SWITCH_FILE', `@SM@/etc/service.switch')dnl
define(`confHOSTS_FILE', `@SM@/etc/hosts')dnl
dnl the test folder lies in /tmp (world-writable, sticky): else the milter socket is "unsafe"
define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl
FEATURE(`no_default_msa')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
dnl everything to smtp-sink; "relay:" because [127.0.0.1] alone is in $=w (this host)
define(`SMART_HOST', `relay:[127.0.0.1]')dnl
define(`RELAY_MAILER_ARGS', `TCP $h @SINK_PORT@')dnl
DAEMON_OPTIONS(`Port=@MTA_PORT@, Addr=127.0.0.1, Name=MTA')dnl
@README_BULK@
@README_MILTER@
MAILER(`smtp')dnl
EOF
    if ! m4 -D_CF_DIR_="$CFDIR/" "$CFDIR/m4/cf.m4" "$SM/sendmail.mc" > "$SM/sendmail.cf" \
        2> "$SM/m4.out" || [ -s "$SM/m4.out" ]; then
        echo "Bail out! m4 sendmail.mc"
        comment "$SM/m4.out"
        exit 1
    fi
}

# sm_start : the unpacked sendmail as a daemon in the foreground (-bD) of a background job.
# Before it reads the .cf, Sendmail looks up the host name and, when that has no dot, sleeps
# 60 s ("My unqualified host name"): so it runs in a UTS namespace of its own named $SM_HOST.
sm_start() {
    run="LD_LIBRARY_PATH='$SM_LIBS' exec '$SENDMAIL' -C '$SM/sendmail.cf' -bD -q2s -X '$SM/traffic'"
    wait_s=10
    if unshare --uts true 2> /dev/null; then
        unshare --uts sh -c "hostname '$SM_HOST' && $run" > "$SM/out" 2>&1 < /dev/null &
    else
        case $(hostname) in
        *.*) ;;
        *) echo "# no UTS namespace (unshare --uts): Sendmail may sleep 60 s on the host name"
           wait_s=80 ;;
        esac
        sh -c "$run" > "$SM/out" 2>&1 < /dev/null &
    fi
    SM_PID=$!
    track sendmail "$SM_PID"
    n=$((wait_s * 10))
    for port in "$MTA_PORT" "$BULK_PORT"; do
        while ! "$PYTHON" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2> /dev/null; do
            if [ $n -le 0 ] || ! kill -0 "$SM_PID" 2> /dev/null; then
                echo "Bail out! sendmail does not listen on 127.0.0.1:$port"
                comment "$SM/out" "sendmail: "
                exit 1
            fi
            sleep 0.1
            n=$((n - 1))
        done
    done
}

# sm_stop : the daemon, then whatever it forked (by pid)
sm_stop() {
    [ -n "$SM_PID" ] || return 0
    kids=$(ps -o pid= --ppid "$SM_PID" 2> /dev/null)
    stop_pid "$SM_PID"
    for k in $kids; do stop_pid "$k" 2; done
    untrack sendmail
    SM_PID=
}

# sm_send PORT FROM RCPT... < MESSAGE : SMTP with CRLF line ends (Sendmail 8.17.1.9-2+deb12u2
# refuses a bare LF: 421 4.5.0); the replies in $IT/send.out
sm_send() {
    port=$1; shift
    sed 's/\r*$/\r/' | "$PYTHON" "$MAILTOOL" send "$port" "$@" > "$IT/send.out" 2>&1
}

# sm_queue_count : messages in Sendmail's queue
sm_queue_count() { find "$SM/mqueue" -type f -name 'qf*' | wc -l; }
# sm_queue_wait [SECONDS] : until the queue is empty (default 20 s); 1 if not
sm_queue_wait() {
    n=$((${1:-20} * 10))
    while [ "$(sm_queue_count)" -gt 0 ]; do
        [ $n -le 0 ] && return 1
        sleep 0.1
        n=$((n - 1))
    done
}

# it_diag : the logs after a failure, Sendmail's SMTP traffic (-X) included
it_diag() {
    comment "$IT/send.out" "send: "
    comment "$IT/milter.log" "milter: "
    comment "$SM/traffic" "sendmail: "
}

# delivered N : the queue empties and N messages arrived
delivered() { sm_queue_wait 20 && sink_wait "$1"; }

sm_debs
# shellcheck disable=SC2046
set -- $(free_ports 3)
for p; do
    [ "$p" != "$SINK_PORT" ] && [ "$p" != "$MTA_PORT" ] && { BULK_PORT=$p; break; }
done
SM_HOST=sendmail.test.example
trap 'sm_stop; it_cleanup' EXIT

# optin-milter as lib.sh runs it, with the README's mta_user for Sendmail and a third list
# that only the Sendmail daemon named BULK identifies
it_conf 'mta_user = "root";'
sed -i 's/^);$/  , { id = "promo"; opt_in = "single"; match = { daemon_name = [ "BULK" ]; }; }\n);/' \
    "$IT/optin.conf"
it_store
ctl subscribe promo c3@example.org
milter_start
sink_start
sm_unpack
sm_conf
sm_start
ok "0: sendmail.cf has the README's milter line (socket in the test folder)" \
    grep -qx "Xoptin, S=local:$MILTER_SOCK, F=T, T=C:30s;S:30s;R:60s;E:5m" "$SM/sendmail.cf"

# 1. the envelope names the list: each recipient decided at RCPT
S=bounce-news-1001@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News 1" news.lists.example \
    | sm_send "$MTA_PORT" "$S" c1@example.org u1@example.org unsub@example.org bounced@example.org
is "1: c1 (consent) accepted at RCPT" "$(reply_of c1@example.org)" 250
for r in u1:no-record unsub:unsubscribed bounced:suppressed-bounce; do
    a=${r%%:*}@example.org
    case "$(reply_of "$a") $(reply_text_of "$a")" in
    "550 5.7.1 "*"no consent for list news (${r#*:})") refused=yes ;;
    *) refused="no: $(reply_of "$a") $(reply_text_of "$a")" ;;
    esac
    is "1: $a refused at RCPT: 550 5.7.1 no consent for list news (${r#*:})" "$refused" yes
done
is "1: message accepted for c1" "$(reply_of DATA)" 250
check "1: delivered, one message at the sink" delivered 1
is "1: only c1 arrived" "$(arrived_list)" "c1@example.org"
ok "1: one List-Unsubscribe (https, mailto) and one List-Unsubscribe-Post, token of news/c1" \
    unsub_ok "$(arrived_file c1@example.org)" news c1@example.org
sink_clear

# 1b. more recipients without consent than rcpt_refusal_limit (5): the rest accepted at RCPT
# and removed at end of message
S=bounce-news-1002@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News 1b" news.lists.example \
    | sm_send "$MTA_PORT" "$S" x1@example.org x2@example.org x3@example.org x4@example.org \
        x5@example.org x6@example.org c1@example.org x7@example.org
is "1b: x1..x5 refused at RCPT, x6, c1 and x7 accepted" \
    "$(awk '$1 == "RCPT" { printf "%s ", $3 }' "$IT/send.out")" "550 550 550 550 550 250 250 250 "
check "1b: delivered, one message at the sink" delivered 1
is "1b: only c1 arrived (x6 and x7 removed at end of message)" "$(arrived_list)" "c1@example.org"
ok "1b: its unsubscribe fields, token of news/c1" \
    unsub_ok "$(arrived_file c1@example.org)" news c1@example.org
sink_clear

# 2. only the List-Id names the list: decided at end of message, the unconsented recipient
# removed; the application's own unsubscribe fields are replaced, not repeated
S=news@lists.example
{
    printf 'List-Unsubscribe: <https://app.example/unsub?u=everyone>\n'
    printf 'List-Unsubscribe-Post: List-Unsubscribe=One-Click\n'
    printf 'List-Unsubscribe-Post: List-Unsubscribe=One-Click\n'
    list_message "$S" "Subscribers <news@lists.example>" "News 2" news.lists.example
} | sm_send "$MTA_PORT" "$S" u2@example.org c2@example.org
is "2: u2 accepted at RCPT (list not known yet)" "$(reply_of u2@example.org)" 250
is "2: message accepted" "$(reply_of DATA)" 250
check "2: delivered, one message at the sink" delivered 1
is "2: only c2 arrived (u2 removed at end of message)" "$(arrived_list)" "c2@example.org"
ok "2: the application's fields replaced by one of each, token of news/c2" \
    unsub_ok "$(arrived_file c2@example.org)" news c2@example.org
sink_clear

# 3. two recipients with consent in one message: no per-recipient token is possible
list_message "$S" "Subscribers <news@lists.example>" "News 3" news.lists.example \
    | sm_send "$MTA_PORT" "$S" c3@example.org u3@example.org c4@example.org
is "3: message accepted" "$(reply_of DATA)" 250
check "3: delivered, one message at the sink" delivered 1
is "3: c3 and c4 arrived, u3 did not" "$(arrived_list)" "c3@example.org c4@example.org"
f=$(arrived_file c3@example.org | head -n 1)
case $(field "$f" List-Unsubscribe) in
"<mailto:unsubscribe@lists.example?subject=unsubscribe%20"*">") lu_ok=yes ;;
*) lu_ok="no: $(field "$f" List-Unsubscribe)" ;;
esac
is "3: one List-Unsubscribe, the list-level mailto only" "$(field_count "$f" List-Unsubscribe) $lu_ok" "1 yes"
is "3: no List-Unsubscribe-Post" "$(field_count "$f" List-Unsubscribe-Post)" 0
sink_clear

# 4. addresses as clients write them: removed by the spelling Sendmail was given
list_message "$S" "Subscribers <news@lists.example>" "News 4" news.lists.example \
    | sm_send "$MTA_PORT" "$S" U2@Example.ORG '"u 4"@example.org' C1@EXAMPLE.ORG
is "4: message accepted" "$(reply_of DATA)" 250
check "4: delivered, one message at the sink" delivered 1
is "4: only C1@EXAMPLE.ORG arrived (U2@Example.ORG and \"u 4\" removed)" "$(arrived_list)" \
    "C1@EXAMPLE.ORG"
ok "4: its token names the normalized c1@example.org" \
    unsub_ok "$(arrived_file C1@EXAMPLE.ORG)" news c1@example.org
sink_clear

# 5. transactional mail: no list, not bulk-looking; the recipients have no consent record.
# The header block that arrives is the one sent, byte for byte, but for the trace fields
# (Received) and Return-Path, which Sendmail removes from incoming mail.
transactional_fixture      # lib.sh: the same message as transactional.sh
sm_send "$MTA_PORT" orders@shop.example u1@example.org archive@shop.example < "$IT/msg"
is "5: accepted" "$(reply_of DATA)" 250
check "5: delivered, one message at the sink" delivered 1
is "5: both recipients arrived" "$(arrived_list)" "archive@shop.example u1@example.org"
f=$(arrived_file u1@example.org)
"$PYTHON" "$MAILTOOL" strip "$f" > "$IT/hdr.got"
if cmp -s "$IT/hdr.want" "$IT/hdr.got"; then same=yes
else same=no; diff "$IT/hdr.want" "$IT/hdr.got" | sed 's/^/# /'; fi
is "5: the header block arrived byte for byte unchanged" "$same" yes
is "5: no List-Unsubscribe added" "$(field_count "$f" List-Unsubscribe)" 0
sink_clear

# 6. the daemon named BULK ({daemon_name}) names the list promo: decided at RCPT
S=offers@shop.example
{ printf 'Subject: Offers\nFrom: Shop <offers@shop.example>\n\nTen percent off.\n'; } \
    | sm_send "$BULK_PORT" "$S" c3@example.org u1@example.org
is "6: c3 (consent to promo) accepted at RCPT" "$(reply_of c3@example.org)" 250
case "$(reply_of u1@example.org) $(reply_text_of u1@example.org)" in
"550 5.7.1 "*"no consent for list promo (no-record)") refused=yes ;;
*) refused="no: $(reply_of u1@example.org) $(reply_text_of u1@example.org)" ;;
esac
is "6: u1 refused at RCPT: no consent for list promo (no-record)" "$refused" yes
check "6: delivered, one message at the sink" delivered 1
is "6: only c3 arrived" "$(arrived_list)" "c3@example.org"
ok "6: with its unsubscribe fields, token of promo/c3" \
    unsub_ok "$(arrived_file c3@example.org)" promo c3@example.org
sink_clear

# 7. optin-milter stopped: F=T makes Sendmail temp-fail, list or not
alive=no
kill -0 "$MILTER_PID" 2> /dev/null && alive=yes
milter_stop
is "optin-milter ran to here and stopped cleanly (alive, exit status)" "$alive $MILTER_RC" "yes 0"
S=bounce-news-1003@lists.example
list_message "$S" "Subscribers <news@lists.example>" "News 7" news.lists.example \
    | sm_send "$MTA_PORT" "$S" c1@example.org
is "7: list mail temp-failed at MAIL (F=T)" "$(awk '$1 == "MAIL" { print $2, $3 }' "$IT/send.out")" \
    "451 4.3.2"
sm_send "$MTA_PORT" orders@shop.example u1@example.org < "$IT/msg"
is "7: transactional mail too" "$(awk '$1 == "MAIL" { print $2, $3 }' "$IT/send.out")" "451 4.3.2"
sleep 1
is "7: nothing queued, nothing arrived" "$(sm_queue_count) $(sink_count)" "0 0"
sm_stop
it_end
