#!/bin/sh
# install.sh - the Debian package as an admin meets it: installed with apt on a machine whose
# Postfix came with "No configuration", the system user, folders, key file and database made
# with their owners and modes, the configuration a conffile, the units enabled and not started;
# then the system Postfix with Debian's own master.cf (smtpd and cleanup chrooted) and the
# README's main.cf lines as written, OpenDKIM on inet:localhost:8891 as the README has it, the
# milter started as its unit starts it: optin-milter -n passes (Postfix's chrooted view
# included), list mail to a subscriber arrives at smtp-sink with its unsubscribe headers, an
# unconsented recipient is refused at RCPT, transactional mail passes; purge keeps the consent
# database and the journal, OPTIN_MILTER_PURGE_DATA=yes removes them.
# It changes the machine (a package, /etc/postfix/main.cf, port 25 on loopback): it runs only
# as root on a machine without a Postfix configuration of its own (CI), and puts it back.
# Usage: sh tests/debian/install.sh PATH/optin-milter_VERSION_ARCH.deb
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/tap.sh"
DEB=${1:-}
PYTHON=$(command -v python3)
MAILTOOL=$top_srcdir/tests/integration/mailtool.py

[ "$(id -u)" = 0 ] || skip_all "needs root: it installs the package and runs the system Postfix"
[ -n "$DEB" ] && [ -f "$DEB" ] || { echo "Bail out! usage: install.sh PACKAGE.deb"; exit 1; }
command -v postfix > /dev/null && command -v smtp-sink > /dev/null || skip_all "Postfix is not installed"
[ -e /etc/postfix/main.cf ] && skip_all "this machine has a Postfix configuration of its own; the test runs only where Postfix came with 'No configuration' (CI)"
dpkg -s optin-milter > /dev/null 2>&1 && skip_all "optin-milter is installed here already"
command -v opendkim > /dev/null || { echo "Bail out! opendkim is missing (tests/setup-debian.sh installs it)"; exit 1; }
"$PYTHON" -c 'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 25))' 2> /dev/null \
    || skip_all "port 25 on 127.0.0.1 is taken"

T=$(mktemp -d) && chmod 755 "$T"
HAD_OPTIN=; getent passwd optin > /dev/null && HAD_OPTIN=yes
MILTER_PID= DKIM_PID= SINK_PID= PF_STARTED=
cleanup() {
    [ -n "$PF_STARTED" ] && postfix stop > /dev/null 2>&1
    for p in $MILTER_PID $DKIM_PID $SINK_PID; do kill "$p" 2> /dev/null; done
    sleep 1
    for p in $MILTER_PID $DKIM_PID $SINK_PID; do kill -KILL "$p" 2> /dev/null; done
    if dpkg -s optin-milter > /dev/null 2>&1; then
        OPTIN_MILTER_PURGE_DATA=yes DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq optin-milter > /dev/null 2>&1
    fi
    rm -f /etc/postfix/main.cf /var/log/optin-install-test.maillog
    [ -z "$HAD_OPTIN" ] && getent passwd optin > /dev/null && userdel optin 2> /dev/null
    [ -z "$HAD_OPTIN" ] && getent group optin > /dev/null && groupdel optin 2> /dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# --- install ---
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(readlink -f "$DEB")" > "$T/install.out" 2>&1
rc=$?
is "apt-get install ./optin-milter_*.deb" "$rc" 0
[ "$rc" = 0 ] || { sed 's/^/# /' "$T/install.out"; exit 1; }
is "binaries in /usr/sbin and /usr/bin" \
    "$(ls /usr/sbin/optin-milter /usr/sbin/optin-unsubd /usr/bin/optinctl 2> /dev/null | wc -l | tr -d ' ')" 3
ok "the configuration is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' optin-milter | grep -q '^ /etc/optin-milter.conf '"
ok "the system user optin exists, with no login shell" sh -c "getent passwd optin | grep -q ':/usr/sbin/nologin$'"
is "the consent database folder: optin:optin 0750" "$(stat -c '%U:%G %a' /var/lib/optin-milter)" "optin:optin 750"
is "... initialised, owned by optin" "$(stat -c '%U' /var/lib/optin-milter/data.mdb /var/lib/optin-milter/lock.mdb | sort -u)" optin
is "the key file: optin, mode 0600" "$(stat -c '%U %a' /etc/optin-milter.keys)" "optin 600"
is "the journal folder: optin:adm 0750" "$(stat -c '%U:%G %a' /var/log/optin-milter)" "optin:adm 750"
is "the socket folder in Postfix's spool: optin:postfix 0750" \
    "$(stat -c '%U:%G %a' /var/spool/postfix/optin-milter)" "optin:postfix 750"
ok "logrotate is installed (a dependency) with our file" sh -c "command -v logrotate > /dev/null && [ -f /etc/logrotate.d/optin-milter ]"
for u in optin-milter.service optin-unsubd.service optin-journal-index.timer; do
    ok "$u is enabled" sh -c "ls /etc/systemd/system/*.wants/$u > /dev/null 2>&1"
done
ok "nothing was started" sh -c "! pgrep -x optin-milter > /dev/null && ! pgrep -x optin-unsubd > /dev/null"
ok "optin-milter --version" sh -c "optin-milter --version | grep -q '^optin-milter [0-9]'"
ok "man optin-milter" sh -c "man -w optin-milter > /dev/null 2>&1 || [ -f /usr/share/man/man8/optin-milter.8.gz ]"

# --- Postfix as Debian ships it, with the README's main.cf lines ---
ok "master.cf is the one the postfix package ships" cmp -s /etc/postfix/master.cf /usr/share/postfix/master.cf.dist
SINK_PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp /usr/share/postfix/main.cf.debian /etc/postfix/main.cf
postconf -e "myhostname = mta.test.example" "mydestination =" "relayhost = [127.0.0.1]:$SINK_PORT" \
    "inet_interfaces = loopback-only" "inet_protocols = ipv4" "mynetworks = 127.0.0.0/8" \
    "smtpd_tls_security_level = none" "smtp_tls_security_level = none" "compatibility_level = 3.6" \
    "maillog_file = /var/log/optin-install-test.maillog" "alias_maps =" "alias_database ="
awk '/^# main.cf$/ { grab = 1; next } grab && /^```/ { exit } grab' "$top_srcdir/README.md" > "$T/readme-main.cf"
ok "the README's main.cf lines found" grep -q '^smtpd_milters *= unix:/optin-milter/optin-milter.sock' "$T/readme-main.cf"
cat "$T/readme-main.cf" >> /etc/postfix/main.cf
sed 's/^/#   main.cf: /' "$T/readme-main.cf"

# OpenDKIM where the README's lines look for it
mkdir -p "$T/dkim" && opendkim-genkey -D "$T/dkim" -d example.org -s sel
cat > "$T/dkim/opendkim.conf" <<EOF
Mode s
Domain example.org
Selector sel
KeyFile $T/dkim/sel.private
RequireSafeKeys false
Socket inet:8891@localhost
PidFile $T/dkim/opendkim.pid
SignHeaders *,+List-Unsubscribe-Post
Syslog no
EOF
opendkim -f -x "$T/dkim/opendkim.conf" > "$T/dkim.log" 2>&1 < /dev/null &
DKIM_PID=$!
mkdir -p "$T/sink" && chown postfix "$T/sink"
smtp-sink -u postfix -h sink.test.example -d "$T/sink/%M." "127.0.0.1:$SINK_PORT" 100 > "$T/sink.log" 2>&1 < /dev/null &
SINK_PID=$!

# the shipped configuration, a subscriber; the milter checked, then started as its unit does
# news is double opt-in: the confirmation code, then the confirmation
code=$(optinctl subscribe --double news c1@example.org)
optinctl confirm "$code" > /dev/null
is "a subscriber confirmed (double opt-in) with optinctl" "$(optinctl check news c1@example.org)" consent
optin-milter -n > "$T/n.out" 2>&1
rc=$?
is "optin-milter -n with the shipped configuration and Debian's chrooted Postfix: exit 0" "$rc" 0
sed 's/^/#   -n: /' "$T/n.out"
ok "... Postfix's chrooted smtpd reaches the socket (no note)" sh -c "! grep -q note: '$T/n.out'"
if [ -d /run/systemd/system ]; then
    systemctl start optin-milter
    sleep 1
    MILTER_PID=$(systemctl show -p MainPID --value optin-milter)
else
    start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/optin-milter.service)
    echo "# no systemd here: running the unit's ExecStart: $start"
    $start > "$T/milter.log" 2>&1 < /dev/null &
    MILTER_PID=$!
fi
for _ in $(seq 50); do [ -S /var/spool/postfix/optin-milter/optin-milter.sock ] && break; sleep 0.1; done
is "the milter listens in Postfix's spool, socket group postfix" \
    "$(stat -c '%G %a' /var/spool/postfix/optin-milter/optin-milter.sock 2> /dev/null)" "postfix 660"
/usr/lib/postfix/configure-instance.sh - > "$T/configure-instance.out" 2>&1
postfix start > "$T/postfix.out" 2>&1 && PF_STARTED=yes
ok "the system Postfix starts" test -n "$PF_STARTED"

# --- mail through it ---
S=news-bounces@example.org
printf 'From: News <%s>\nTo: subscribers\nSubject: Issue 1\nList-Id: News <news.example.org>\nMessage-ID: <deb.1@example.org>\n\nHello.\n' "$S" \
    | "$PYTHON" "$MAILTOOL" send 25 "$S" c1@example.org u1@example.org > "$T/send.out" 2>&1
sed 's/^/#   /' "$T/send.out"
is "list mail: the subscriber accepted, the unknown refused at RCPT" \
    "$(awk '$1 == "RCPT" { printf "%s ", $3 }' "$T/send.out")" "250 550 "
printf 'From: shop@example.org\nTo: c2@example.org\nSubject: Your order\nMessage-ID: <deb.2@example.org>\n\nThanks.\n' \
    | "$PYTHON" "$MAILTOOL" send 25 shop@example.org c2@example.org > "$T/send2.out" 2>&1
is "transactional mail accepted" "$(awk '$1 == "DATA" { print $2 }' "$T/send2.out")" 250
for _ in $(seq 100); do [ "$("$PYTHON" "$MAILTOOL" arrived "$T/sink" | wc -l)" -ge 2 ] && break; sleep 0.2; done
"$PYTHON" "$MAILTOOL" arrived "$T/sink" > "$T/arrived"
is "smtp-sink got the subscriber's and the transactional copy" "$(cut -f2 "$T/arrived" | sort | tr '\n' ' ')" "c1@example.org c2@example.org "
f=$(awk -F '\t' '$2 == "c1@example.org" { print $1 }' "$T/arrived")
ok "... the list copy has List-Unsubscribe and List-Unsubscribe-Post" \
    sh -c "[ -n '$f' ] && grep -q '^List-Unsubscribe: <https://unsubscribe.lists.example/u/' '$f' && grep -q '^List-Unsubscribe-Post: List-Unsubscribe=One-Click' '$f'"
ok "... signed by OpenDKIM after the milter" sh -c "[ -n '$f' ] && grep -q '^DKIM-Signature:' '$f'"
f2=$(awk -F '\t' '$2 == "c2@example.org" { print $1 }' "$T/arrived")
ok "... the transactional copy has no unsubscribe header" sh -c "[ -n '$f2' ] && ! grep -q '^List-Unsubscribe' '$f2'"
ok "the journal names the receipt and the refusal" sh -c "optinctl journal -a c1@example.org | grep -q accept && optinctl journal -a u1@example.org | grep -q reject"
[ -s "$T/arrived" ] || { sed 's/^/#   maillog: /' /var/log/optin-install-test.maillog | tail -30; sed 's/^/#   milter: /' "$T/milter.log" 2> /dev/null | tail -20; }

# --- stop, purge ---
postfix stop > /dev/null 2>&1; PF_STARTED=
if [ -d /run/systemd/system ]; then systemctl stop optin-milter; else kill "$MILTER_PID"; wait "$MILTER_PID" 2> /dev/null; fi
MILTER_PID=
ok "the milter removed its socket when it stopped" test ! -e /var/spool/postfix/optin-milter/optin-milter.sock
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq optin-milter > "$T/purge.out" 2>&1
is "apt-get purge" "$?" 0
ok "purge removed the key file and the socket folder" sh -c "[ ! -e /etc/optin-milter.keys ] && [ ! -e /var/spool/postfix/optin-milter ]"
ok "... and the conffile" test ! -e /etc/optin-milter.conf
ok "... kept the consent database and the journal, and said so" sh -c "[ -f /var/lib/optin-milter/data.mdb ] && [ -d /var/log/optin-milter ] && grep -q 'OPTIN_MILTER_PURGE_DATA=yes removes them' '$T/purge.out'"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(readlink -f "$DEB")" > "$T/install2.out" 2>&1
ok "installed again: the kept subscriber is still there" sh -c "optinctl check news c1@example.org | grep -qx consent"
OPTIN_MILTER_PURGE_DATA=yes DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq optin-milter > /dev/null 2>&1
ok "purge with OPTIN_MILTER_PURGE_DATA=yes removes them too" sh -c "[ ! -e /var/lib/optin-milter ] && [ ! -e /var/log/optin-milter ]"
done_testing
