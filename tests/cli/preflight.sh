#!/bin/sh
# preflight.sh - optin-milter -n and optin-unsubd -n check as the users who will meet the system:
# each problem made on purpose (a store, key file, journal or socket folder the daemon's user
# cannot use; a socket Postfix's user cannot reach or connect to; a chrooted Postfix that looks
# for the socket elsewhere) is reported with a fix, the fix as printed is run, and the problem is
# gone; a foreground start with a problem it cannot get past says so on stderr and exits 78;
# optinctl init and keygen run as root give the store and the key file to the configured user.
# Needs root (it becomes other users: nobody as the daemons' user, postfix as the MTA's).
# Environment (set by make check): top_srcdir, top_builddir. By hand:
#   top_srcdir=. top_builddir=. sh tests/cli/preflight.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
OPTINCTL=$top_builddir/tools/optinctl/optinctl
MILTER=$top_builddir/milter/optin-milter
UNSUBD=$top_builddir/tools/optin-unsubd/optin-unsubd
. "$top_srcdir/tests/lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root: the checks become other users (run make check as root)"
id nobody > /dev/null 2>&1 || skip_all "no user nobody"
id postfix > /dev/null 2>&1 || skip_all "no user postfix (tests/setup-debian.sh installs Postfix)"
command -v postconf > /dev/null 2>&1 || skip_all "no postconf (tests/setup-debian.sh installs Postfix)"
for prog in "$OPTINCTL" "$MILTER" "$UNSUBD"; do
    [ -x "$prog" ] || { echo "Bail out! $prog is not built"; exit 1; }
done
mk_tmpdir
chmod 0755 "$TMP"           # nobody and postfix walk through it, as through /var
NOGROUP=$(id -gn nobody)
LOGGROUP=$(getent group adm > /dev/null && echo adm || echo "$NOGROUP")

# A Postfix configuration like Debian's: the package's master.cf (smtpd and cleanup chrooted)
# and the README's main.cf lines; postconf reads it through MAIL_CONFIG.
mkdir -p "$TMP/postfix"
if [ -f /usr/share/postfix/master.cf.dist ]; then cp /usr/share/postfix/master.cf.dist "$TMP/postfix/master.cf"
else cp /etc/postfix/master.cf "$TMP/postfix/master.cf"; fi
cat > "$TMP/postfix/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $TMP/spool
smtpd_milters     = unix:/optin-milter/optin-milter.sock, inet:localhost:8891
non_smtpd_milters = unix:/optin-milter/optin-milter.sock, inet:localhost:8891
EOF
mkdir -p "$TMP/spool"
MAIL_CONFIG=$TMP/postfix; export MAIL_CONFIG

CONF=$TMP/optin.conf
write_conf() {   # write_conf SOCKET [EXTRA] : the configuration under test
    cat > "$CONF" <<EOF
database = "$TMP/db";
keys = "$TMP/keys";
journal = "$TMP/log/decisions.log";
socket = "unix:$1";
user = "nobody";
group = "postfix";
log_target = "stderr";
unsubscribe_url = "https://u.example/u/";
$2
lists = ( { id = "news"; match = { list_id = ["news.example"]; }; } );
EOF
}
SOCK=$TMP/spool/optin-milter/optin-milter.sock
write_conf "$SOCK"

# check PROGRAM : run -n, keep stdout+stderr in $TMP/out and the status in $rc
check() { "$1" -c "$CONF" -n > "$TMP/out" 2>&1; rc=$?; }
# has TEXT : the last check's output contains TEXT
has() { grep -qF -- "$1" "$TMP/out"; }
# fix_for TEXT : run the fix printed under the problem line that contains TEXT
fix_for() {
    cmd=$(awk -v t="$1" 'index($0, t) { want = 1; next } want && /^  fix: / { sub(/^  fix: /, ""); print; exit }' "$TMP/out")
    [ -n "$cmd" ] || { echo "# no fix printed for: $1"; sed 's/^/#   /' "$TMP/out"; return 1; }
    echo "# fix: $cmd"
    sh -c "$cmd"
}

# --- optinctl init and keygen as root, with user = nobody: made for nobody ---
umask 022
"$OPTINCTL" -c "$CONF" init > "$TMP/init.out" 2>&1
ok "optinctl init as root gives the store to the configured user" \
    test "$(stat -c %U "$TMP/db" "$TMP/db/data.mdb" "$TMP/db/lock.mdb" | sort -u)" = nobody
ok "... and says so" grep -q "belongs to user nobody" "$TMP/init.out"
"$OPTINCTL" -c "$CONF" keygen > /dev/null 2>&1
ok "optinctl keygen as root gives the key file to the configured user, mode 0600" \
    test "$(stat -c '%U %a' "$TMP/keys")" = "nobody 600"

# --- each problem, its fix as printed, and the problem gone ---
install -d -o nobody -g "$LOGGROUP" -m 0750 "$TMP/log"
check "$MILTER"
ok "socket folder missing: -n exits 78" test "$rc" = 78
ok "... names the folder" has "socket folder $TMP/spool/optin-milter does not exist"
ok "... and its fix works" fix_for "socket folder $TMP/spool/optin-milter does not exist"
check "$MILTER"
ok "everything usable: -n exits 0" test "$rc" = 0
ok "... and says configuration OK as user nobody" has "configuration OK; as user nobody"
ok "... Postfix's chrooted services reach the socket: no note" sh -c "! grep -q 'note:' '$TMP/out'"

chown root:root "$TMP/db" "$TMP/db/data.mdb" "$TMP/db/lock.mdb"
chmod 0640 "$TMP/db/data.mdb" "$TMP/db/lock.mdb"
check "$MILTER"
ok "store owned by root, 0640 (the README's old chgrp): -n exits 78" test "$rc" = 78
ok "... says user nobody cannot open it" has "consent store $TMP/db: user nobody cannot open it (Permission denied)"
ok "... and its fix works" fix_for "consent store $TMP/db: user nobody cannot open it"

chown root "$TMP/keys"
check "$MILTER"
ok "key file owned by root: named" has "key file $TMP/keys: user nobody cannot read it"
ok "... and its fix works" fix_for "key file $TMP/keys: user nobody cannot read it"

rmdir "$TMP/log"
check "$MILTER"
ok "journal folder missing: named" has "journal folder $TMP/log does not exist"
ok "... and its fix works" fix_for "journal folder $TMP/log does not exist"
install -o root -g root -m 0644 /dev/null "$TMP/log/decisions.log"
check "$MILTER"
ok "journal owned by root: named" has "journal $TMP/log/decisions.log: user nobody cannot write it"
ok "... and its fix works" fix_for "journal $TMP/log/decisions.log: user nobody cannot write it"

chown root:root "$TMP/spool/optin-milter"
check "$MILTER"
ok "socket folder owned by root (the socket would stay behind): named" \
    has "socket folder $TMP/spool/optin-milter: user nobody cannot create files in it"
ok "... and its fix works" fix_for "socket folder $TMP/spool/optin-milter: user nobody cannot create files in it"

chown nobody:"$NOGROUP" "$TMP/spool/optin-milter"
chmod 0700 "$TMP/spool/optin-milter"
check "$MILTER"
ok "socket folder closed to postfix: named" has "user postfix (mta_user) cannot reach the socket: no way through $TMP/spool/optin-milter"
ok "... and its fix works" fix_for "user postfix (mta_user) cannot reach the socket"

write_conf "$SOCK" 'group = "nogroup"; mta_user = "postfix";'
sed -i '/^group = "postfix";/d' "$CONF"
check "$MILTER"
ok "socket group postfix is not in: named" has "user postfix (mta_user) will not be allowed to connect to $SOCK: mode 0660, group $NOGROUP"
ok "... the fix names group postfix" has 'fix: group = "postfix"; and socket_mode = "0660";'
write_conf "$SOCK"
check "$MILTER"
ok "all fixed: -n exits 0 again" test "$rc" = 0

# no group: the socket gets the user's group (the check must not mix up whose entry it reads)
sed -i '/^group = "postfix";/d' "$CONF"
check "$MILTER"
ok "no group set: the socket would be nobody's group, which postfix is not in: named" \
    has "user postfix (mta_user) will not be allowed to connect to $SOCK: mode 0660, group $NOGROUP"
printf 'mta_user = "root";\n' >> "$CONF"
check "$MILTER"
ok "mta_user root (Sendmail): connects whatever the mode, nothing said" \
    sh -c "! grep -q 'will not be allowed to connect' '$TMP/out'"
write_conf "$SOCK" 'group = "nosuchgroup";'
sed -i '0,/^group = "postfix";/{/^group = "postfix";/d}' "$CONF"
check "$MILTER"
ok "a socket group that does not exist stops the milter's check" has "group nosuchgroup (the socket's group) does not exist"
check "$UNSUBD"
is "... but not optin-unsubd's, which has no socket" "$rc" 0
write_conf "$SOCK"

# --- the socket outside Postfix's chroot: the mistake that stopped all mail ---
install -d -o nobody -g postfix -m 0750 "$TMP/run"
write_conf "$TMP/run/optin-milter.sock"
check "$MILTER"
ok "socket in /run while Postfix is chrooted: -n exits 78" test "$rc" = 78
ok "... says where the chrooted smtpd and cleanup look" \
    has "Postfix's smtp/inet, cleanup/unix (chrooted in $TMP/spool) look for unix:/optin-milter/optin-milter.sock at $SOCK, but optin-milter listens on $TMP/run/optin-milter.sock"
ok "... the fix names the socket inside the spool" has "fix: socket = \"unix:$TMP/spool/optin-milter/optin-milter.sock\";"
printf 'bulk inet n - y - - smtpd\n  -o smtpd_milters=unix:/run/optin-milter.sock\n' >> "$TMP/postfix/master.cf"
write_conf "$SOCK"
check "$MILTER"
ok "a master.cf -o override that misses the socket: named by its service" \
    has "Postfix's bulk/inet (chrooted in $TMP/spool) looks for unix:/run/optin-milter.sock at $TMP/spool/run/optin-milter.sock"

# --- a foreground start says why it does not start, on stderr ---
write_conf "$TMP/missing/optin-milter.sock" 'log_target = "syslog";'
sed -i '0,/^log_target = "stderr";/{/^log_target = "stderr";/d}' "$CONF"
"$MILTER" -c "$CONF" -f > "$TMP/fg.out" 2> "$TMP/fg.err"
rc=$?
ok "foreground start with the socket folder missing exits 78" test "$rc" = 78
ok "... and says it on stderr (log_target is syslog)" grep -q "socket folder $TMP/missing does not exist" "$TMP/fg.err"
ok "... with the fix" grep -q "fix: install -d -o nobody -g postfix -m 0750 $TMP/missing" "$TMP/fg.err"

# --- optin-unsubd -n: store read-write and key file, as the user ---
write_conf "$SOCK"
check "$UNSUBD"
ok "optin-unsubd -n: usable as nobody, exit 0" test "$rc" = 0
chown root "$TMP/keys"
check "$UNSUBD"
ok "optin-unsubd -n: key file owned by root, exit 78" test "$rc" = 78
ok "... named, with its fix" fix_for "key file $TMP/keys: user nobody cannot read it"
mv "$TMP/db" "$TMP/db.away"
mkdir "$TMP/db"
check "$UNSUBD"
ok "optin-unsubd -n: an empty store folder, named with optinctl init as the fix" has "fix: optinctl -c $CONF init"
ok "... and the check created nothing there" sh -c "[ -z \"\$(ls -A '$TMP/db')\" ]"
rmdir "$TMP/db"
mv "$TMP/db.away" "$TMP/db"

# a hard link planted in the store folder is not given away by optinctl init
echo secret > "$TMP/rootfile" && chmod 0600 "$TMP/rootfile"
ln "$TMP/rootfile" "$TMP/db/planted"
"$OPTINCTL" -c "$CONF" init > "$TMP/init2.out" 2>&1
is "optinctl init: a file with another hard link keeps its owner" "$(stat -c %U "$TMP/rootfile")" root
ok "... and says why" grep -q "planted: not given to user nobody: not a plain file with one link" "$TMP/init2.out"
rm -f "$TMP/db/planted" "$TMP/rootfile"

# Postfix with an empty smtpd_milters: the cleanup service's milter is told apart
sed -i 's|^smtpd_milters .*|smtpd_milters =|; s|^non_smtpd_milters .*|non_smtpd_milters = unix:/elsewhere/optin-milter.sock|' "$TMP/postfix/main.cf"
sed -i '/^bulk inet/,$d' "$TMP/postfix/master.cf"
check "$MILTER"
ok "empty smtpd_milters: only cleanup/unix looks elsewhere" \
    has "Postfix's cleanup/unix (chrooted in $TMP/spool) looks for unix:/elsewhere/optin-milter.sock"

# --- --help and --version on every binary ---
for prog in "$MILTER" "$UNSUBD" "$OPTINCTL"; do
    name=$(basename "$prog")
    ok "$name --version prints its name and version" sh -c "'$prog' --version | grep -qx '$name [0-9][0-9.]*'"
    ok "$name --help prints usage on stdout, exit 0" sh -c "'$prog' --help 2>/dev/null | grep -q '^usage: $name'"
done
done_testing
