# lib.sh - a private Postfix, optin-milter and smtp-sink on loopback, for the integration
# tests and tools/demo/demo.sh (sourced). Nothing outside one temporary folder changes: the
# system's Postfix configuration is neither read nor written, every daemon listens on
# 127.0.0.1 on a free high port or on a socket in the folder, and everything started here
# is stopped at exit by its pid.
#
#   . tests/integration/lib.sh
#   it_begin                       # checks (skips the script unless root with Postfix),
#                                  # $IT = the folder, cleanup at exit
#   it_conf ['extra settings']     # $IT/optin.conf: lists news and offers (below)
#   it_store                       # key file, store, the standard subscribers (below)
#   milter_start; sink_start
#   pf_start mta "$MTA_PORT" "[127.0.0.1]:$SINK_PORT" "unix:$MILTER_SOCK"
#   mail_send mta FROM RCPT... < message    # SMTP; the replies in $IT/send.out
#   mail_submit mta FROM RCPT... < message  # sendmail(1): pickup, non_smtpd_milters
#   queue_wait mta; sink_wait 2; arrived
#
# Lists (it_conf): news, single opt-in, known at RCPT by envelope_from
# bounce-news-*@lists.example and at end of message by List-Id news.lists.example;
# offers, single opt-in, known by List-Id offers.lists.example only.
# Subscribers (it_store): c1..c4@example.org consented to news, c1 also to offers;
# unsub@example.org subscribed to news then unsubscribed; bounced@example.org subscribed,
# then suppressed (bounce); u1..u3@example.org have no record.
#
# Environment: top_srcdir, top_builddir, OPTINCTL, OPTIN_MILTER (set by make check).
# IT_KEEP=1 leaves everything running at exit (tools/demo/demo.sh --keep).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPTINCTL:=$top_builddir/tools/optinctl/optinctl}"
: "${OPTIN_MILTER:=$top_builddir/milter/optin-milter}"
. "$top_srcdir/tests/lib/tap.sh"
MAILTOOL=$top_srcdir/tests/integration/mailtool.py
# Debian's python3 (with python3-dkim), before any other one on PATH
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3
else PYTHON=$(command -v python3 2> /dev/null); fi
PATH=$PATH:/usr/sbin:/sbin
export PATH

# it_why : why this machine cannot run the integration tests, or nothing
it_why() {
    [ "$(id -u)" = 0 ] || { echo "not root (Postfix instances and smtp-sink need root)"; return; }
    command -v postfix > /dev/null 2>&1 && command -v smtp-sink > /dev/null 2>&1 \
        || { echo "Postfix is not installed (tests/setup-debian.sh installs it)"; return; }
}

# it_begin : skip unless root with Postfix; the private folder $IT; cleanup at exit
it_begin() {
    why=$(it_why)
    [ -z "$why" ] || skip_all "$why"
    for prog in "$OPTINCTL" "$OPTIN_MILTER"; do
        [ -x "$prog" ] || { echo "Bail out! $prog is not built"; exit 1; }
    done
    [ -n "$PYTHON" ] \
        || { echo "Bail out! python3 is missing (tests/setup-debian.sh installs it)"; exit 1; }
    id postfix > /dev/null 2>&1 || { echo "Bail out! no postfix user"; exit 1; }
    IT=$(mktemp -d "${TMPDIR:-/tmp}/optin-it.XXXXXX") || { echo "Bail out! mktemp"; exit 1; }
    chmod 755 "$IT"                 # the postfix user reaches the milter socket and the sink
    : > "$IT/pids"
    : > "$IT/instances"
    MILTER_SOCK=$IT/milter.sock
    JOURNAL=$IT/journal
    SINK_DIR=$IT/sink
    set -- $(free_ports 2)
    SINK_PORT=$1 MTA_PORT=$2
    trap it_cleanup EXIT
    trap 'exit 1' HUP INT TERM
    IT_T0=$(date +%s)
}

# free_ports N : N distinct free TCP ports on 127.0.0.1 (the kernel's choice)
free_ports() {
    "$PYTHON" -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# track NAME PID : remember a process to stop at exit
track() { echo "$1 $2" >> "$IT/pids"; }
untrack() { sed -i "/^$1 /d" "$IT/pids"; }

# stop_pid PID [SECONDS] : TERM, wait (default 5 s), then KILL; only that pid
stop_pid() {
    kill -0 "$1" 2> /dev/null || return 0
    kill -TERM "$1" 2> /dev/null
    n=$((${2:-5} * 10))
    while kill -0 "$1" 2> /dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    if kill -0 "$1" 2> /dev/null; then
        kill -KILL "$1" 2> /dev/null
        sleep 0.1
    fi
    wait "$1" 2> /dev/null      # reap it when it is our child
    return 0
}

# it_stop_all : stop every Postfix instance and every tracked process
it_stop_all() {
    for name in $(cat "$IT/instances" 2> /dev/null); do pf_stop "$name"; done
    [ -n "${MILTER_PID:-}" ] && milter_stop
    while read -r what pid; do
        [ -n "$pid" ] && stop_pid "$pid"
    done < "$IT/pids"
    : > "$IT/pids"
}

# it_cleanup : at exit (unless IT_KEEP=1): stop everything, remove the folder
it_cleanup() {
    [ -n "${IT:-}" ] && [ -d "$IT" ] || return 0
    if [ "${IT_KEEP:-0}" = 1 ]; then
        it_stop_script > /dev/null
        return 0
    fi
    it_stop_all
    rm -rf "$IT"
}

# it_stop_script : write $IT/stop.sh, which stops everything started here by pid and
# removes $IT; prints its path
it_stop_script() {
    {
        echo "#!/bin/sh"
        echo "# stop.sh - stop what tests/integration/lib.sh started in $IT, then remove it"
        for name in $(cat "$IT/instances"); do
            echo "$(command -v postfix) -c '$IT/$name/conf' stop"
            pid=$(pf_master_pid "$name")
            [ -n "$pid" ] && echo "sleep 1; kill -KILL $pid 2> /dev/null"
        done
        while read -r what pid; do
            [ -n "$pid" ] || continue
            echo "kill -TERM $pid 2> /dev/null   # $what"
            # libmilter looks at its stop flag at the next connection
            [ "$what" = milter ] && echo "$PYTHON -c 'import socket; socket.socket(socket.AF_UNIX).connect(\"$MILTER_SOCK\")' 2> /dev/null"
        done < "$IT/pids"
        echo "sleep 1"
        awk '{ print "kill -KILL " $2 " 2> /dev/null" }' "$IT/pids"
        echo "rm -rf '$IT'"
    } > "$IT/stop.sh"
    chmod 755 "$IT/stop.sh"
    echo "$IT/stop.sh"
}

# comment FILE [PREFIX] : a file as TAP comments (its last 60 lines)
comment() { [ -f "$1" ] && tail -n 60 "$1" | sed "s/^/# $2/"; }
# it_diag : the logs, after a failure
it_diag() {
    comment "$IT/send.out" "send: "
    comment "$IT/milter.log" "milter: "
    for name in $(cat "$IT/instances"); do comment "$IT/$name/maillog" "$name: "; done
}
# check DESCRIPTION COMMAND... : ok, with the logs as comments when it fails
check() {
    check_desc=$1; shift
    if "$@"; then ok "$check_desc" true; else ok "$check_desc" false; it_diag; fi
}
# elapsed : seconds since it_begin
elapsed() { echo $(($(date +%s) - IT_T0)); }

# it_conf [EXTRA] : the optin-milter configuration; EXTRA is added to the top level
it_conf() {
    cat > "$IT/optin.conf" <<EOF
# written by tests/integration/lib.sh
database = "$IT/db";
socket = "unix:$MILTER_SOCK";
socket_mode = "0660";
group = "postfix";
pidfile = "$IT/milter.pid";
log_target = "stderr";
journal = "$JOURNAL";
keys = "$IT/keys";
unsubscribe_url = "https://u.lists.example/u/";
unsubscribe_mailto = "unsubscribe@lists.example";
${1:-}
lists = (
  { id = "news"; opt_in = "single";
    match = { envelope_from = [ "bounce-news-*@lists.example" ];
              list_id = [ "news.lists.example" ]; }; },
  { id = "offers"; opt_in = "single";
    match = { list_id = [ "offers.lists.example" ]; }; }
);
EOF
}

# ctl ARGS... : optinctl on the test store; output to $IT/ctl.out, a failure bails out
ctl() {
    if ! "$OPTINCTL" -c "$IT/optin.conf" -a it "$@" >> "$IT/ctl.out" 2>&1; then
        echo "Bail out! optinctl $*"
        comment "$IT/ctl.out"
        exit 1
    fi
}

# it_store : key file, store and the standard subscribers
it_store() {
    ctl keygen "$IT/keys"
    ctl init
    for a in c1 c2 c3 c4; do ctl subscribe news "$a@example.org"; done
    ctl subscribe offers c1@example.org
    ctl subscribe news unsub@example.org
    ctl unsubscribe news unsub@example.org
    ctl subscribe news bounced@example.org
    ctl suppress --reason bounce bounced@example.org
}

# milter_start : optin-milter in the foreground of a background job; waits for its socket
milter_start() {
    rm -f "$MILTER_SOCK"
    "$OPTIN_MILTER" -f -c "$IT/optin.conf" >> "$IT/milter.log" 2>&1 < /dev/null &
    MILTER_PID=$!
    track milter "$MILTER_PID"
    n=100
    while [ $n -gt 0 ]; do
        [ -S "$MILTER_SOCK" ] && return 0
        kill -0 "$MILTER_PID" 2> /dev/null || break
        sleep 0.05
        n=$((n - 1))
    done
    echo "Bail out! optin-milter does not start"
    comment "$IT/milter.log"
    exit 1
}

# milter_stop : SIGTERM; libmilter notices it at the next connection, so poke the socket
milter_stop() {
    [ -n "${MILTER_PID:-}" ] || return 0
    kill -TERM "$MILTER_PID" 2> /dev/null
    n=100
    while kill -0 "$MILTER_PID" 2> /dev/null && [ $n -gt 0 ]; do
        "$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(1)
try:
    s.connect(sys.argv[1])
except OSError:
    pass' "$MILTER_SOCK" 2> /dev/null
        sleep 0.1
        n=$((n - 1))
    done
    if kill -0 "$MILTER_PID" 2> /dev/null; then
        kill -KILL "$MILTER_PID" 2> /dev/null
        MILTER_RC=999
    else
        wait "$MILTER_PID" 2> /dev/null
        MILTER_RC=$?
    fi
    untrack milter
    MILTER_PID=
}

# sink_start : smtp-sink on $SINK_PORT; every message becomes a file under $SINK_DIR
sink_start() {
    mkdir -p "$SINK_DIR"
    chown postfix "$SINK_DIR"
    smtp-sink -u postfix -h sink.test.example -d "$SINK_DIR/%M." "127.0.0.1:$SINK_PORT" 100 \
        >> "$IT/sink.log" 2>&1 < /dev/null &
    SINK_PID=$!
    track sink "$SINK_PID"
    wait_port "$SINK_PORT" || { echo "Bail out! smtp-sink does not start"; comment "$IT/sink.log"; exit 1; }
}

# wait_port PORT : until something listens on 127.0.0.1:PORT (5 s at most)
wait_port() {
    "$PYTHON" -c '
import socket, sys, time
end = time.time() + 5
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)' "$1"
}

# pf_start NAME PORT RELAYHOST [MILTERS [MYHOSTNAME]] : a private Postfix instance in
# $IT/NAME: smtpd on 127.0.0.1:PORT, everything relayed to RELAYHOST, MILTERS (a list
# for smtpd_milters and non_smtpd_milters, may be empty), fast retries
pf_start() {
    d=$IT/$1
    mkdir -p "$d/conf" "$d/queue" "$d/data"
    chown postfix "$d/data"
    cat > "$d/conf/main.cf" <<EOF
# private instance $1, written by tests/integration/lib.sh
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = ${5:-$1.test.example}
mydomain = test.example
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = $3
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file = $d/maillog
maillog_file_prefixes = $d
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtpd_milters = ${4:-}
non_smtpd_milters = ${4:-}
milter_default_action = tempfail
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0
smtp_connection_cache_on_demand = no
EOF
    cat > "$d/conf/master.cf" <<EOF
# private instance $1: smtpd on loopback only, no chroot
127.0.0.1:$2 inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
    echo "$1" >> "$IT/instances"
    if ! postfix -c "$d/conf" start > "$d/start.out" 2>&1; then
        echo "Bail out! Postfix instance $1 does not start"
        comment "$d/start.out"
        script -qc "postfix -c $d/conf start" /dev/null 2>&1 | sed 's/^/# /'
        exit 1
    fi
    wait_port "$2" || { echo "Bail out! Postfix instance $1 does not listen on $2"; comment "$d/maillog"; exit 1; }
}

# pf_master_pid NAME : the pid of the instance's master, or nothing
pf_master_pid() {
    for f in "$IT/$1/queue/pid/master.pid" "$IT/$1/data/master.lock"; do
        [ -s "$f" ] && { tr -d ' \n' < "$f"; return; }
    done
}

# pf_stop NAME : postfix stop, then the master by pid if it is still there
pf_stop() {
    d=$IT/$1
    [ -d "$d/conf" ] || return 0
    pid=$(pf_master_pid "$1")
    postfix -c "$d/conf" stop > /dev/null 2>&1
    if [ -n "$pid" ]; then
        n=50
        while kill -0 "$pid" 2> /dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
        stop_pid "$pid" 1
    fi
    sed -i "/^$1\$/d" "$IT/instances"
}

# mail_send NAME FROM RCPT... < MESSAGE : SMTP to instance NAME; replies in $IT/send.out
mail_send() {
    name=$1; shift
    port=$(sed -n 's/^127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$IT/$name/conf/master.cf")
    "$PYTHON" "$MAILTOOL" send "$port" "$@" > "$IT/send.out" 2>&1
}
# reply_of RCPT : the code of the last mail_send's reply to RCPT (or MAIL, DATA)
reply_of() {
    case $1 in
    MAIL|DATA|CONNECT) awk -v w="$1" '$1 == w { print $2 }' "$IT/send.out" ;;
    *) awk -v w="<$1>" '$1 == "RCPT" && $2 == w { print $3 }' "$IT/send.out" ;;
    esac
}
# reply_text_of RCPT : the text of that reply
reply_text_of() {
    awk -v w="<$1>" '$1 == "RCPT" && $2 == w { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' \
        "$IT/send.out"
}

# mail_submit NAME FROM RCPT... < MESSAGE : sendmail(1) into instance NAME (pickup)
mail_submit() {
    name=$1 from=$2; shift 2
    sendmail -C "$IT/$name/conf" -f "$from" -- "$@"
}

# queue_flush NAME : postqueue -f (maildrop and deferred, at once)
queue_flush() { postqueue -c "$IT/$1/conf" -f > /dev/null 2>&1; }
# queue_list NAME : postqueue -p
queue_list() { postqueue -c "$IT/$1/conf" -p 2>&1; }
# queue_count NAME : messages in every queue, maildrop included
queue_count() {
    find "$IT/$1/queue/maildrop" "$IT/$1/queue/incoming" "$IT/$1/queue/active" \
        "$IT/$1/queue/deferred" "$IT/$1/queue/hold" -type f 2> /dev/null | wc -l
}
# queue_wait NAME [SECONDS] : until the instance's queue is empty (default 20 s); 1 if not
queue_wait() {
    n=$((${2:-20} * 10))
    while [ "$(queue_count "$1")" -gt 0 ]; do
        [ $n -le 0 ] && return 1
        sleep 0.1
        n=$((n - 1))
    done
    return 0
}

# sink_count : complete messages the sink has
sink_count() { "$PYTHON" "$MAILTOOL" arrived "$SINK_DIR" | cut -f1 | sort -u | wc -l; }
# sink_wait N [SECONDS] : until the sink has N messages (default 20 s); 1 if not
sink_wait() {
    n=$((${2:-20} * 10))
    while [ "$(sink_count)" -lt "$1" ]; do
        [ $n -le 0 ] && return 1
        sleep 0.1
        n=$((n - 1))
    done
    return 0
}
# arrived : the recipients of every message at the sink, sorted, one per line
arrived() { "$PYTHON" "$MAILTOOL" arrived "$SINK_DIR" | cut -f2 | sort; }
# arrived_list : the same on one line
arrived_list() { arrived | tr '\n' ' ' | sed 's/ $//'; }
# arrived_file RCPT : the dump files that have RCPT (one per line)
arrived_file() { "$PYTHON" "$MAILTOOL" arrived "$SINK_DIR" | awk -F '\t' -v r="$1" '$2 == r { print $1 }'; }
# field FILE NAME : each instance of a header field, unfolded
field() { "$PYTHON" "$MAILTOOL" field "$1" "$2"; }
# field_count FILE NAME
field_count() { field "$1" "$2" | wc -l; }
# sink_clear : forget what arrived so far
sink_clear() { find "$SINK_DIR" -type f -delete; }

# journal_has JQ-LIKE... : a journal line with every "key":"value" given as key=value
journal_has() {
    "$PYTHON" -c '
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[2:])
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    sys.exit(1)
for line in lines:
    try:
        e = json.loads(line)
    except ValueError:
        continue                # a line cut short by a failed write
    if all(str(e.get(k)) == v for k, v in want.items()):
        sys.exit(0)
sys.exit(1)' "$JOURNAL" "$@"
}

# list_message FROM TO SUBJECT [LIST-ID] : a small list message on stdout
list_message() {
    printf 'From: News <%s>\nTo: %s\nSubject: %s\nDate: Mon, 01 Sep 2025 10:00:00 +0000\nMessage-ID: <%s.%s@lists.example>\n' \
        "$1" "$2" "$3" "$(date +%s%N)" "$$"
    [ -n "${4:-}" ] && printf 'List-Id: News <%s>\n' "$4"
    printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nHello,\nthis is list mail.\n'
}

# pipe_transport INSTANCE TRANSPORT ADDRESS ARGS... : a pipe(8) transport TRANSPORT that runs
# "optinctl ARGS" as $PIPE_USER, one recipient per run; ADDRESS (with or without a +extension)
# routed to it by transport_maps; the instance reloaded
pipe_transport() {
    pt_inst=$1 pt_name=$2 pt_addr=$3
    shift 3
    # a copy in $IT (mode 755): the build tree may sit in a folder $PIPE_USER cannot enter
    cp "$OPTINCTL" "$IT/optinctl" && chmod 755 "$IT/optinctl"
    cat >> "$IT/$pt_inst/conf/master.cf" <<EOF
$pt_name unix - n n - - pipe
  user=$PIPE_USER argv=$IT/optinctl -c $IT/optin.conf $*
EOF
    cat >> "$IT/$pt_inst/conf/main.cf" <<EOF
recipient_delimiter = +
transport_maps = inline:{ $pt_addr=$pt_name: }
${pt_name}_destination_recipient_limit = 1
EOF
    postfix -c "$IT/$pt_inst/conf" reload > "$IT/reload.out" 2>&1 \
        || { echo "Bail out! postfix reload $pt_inst"; comment "$IT/reload.out"; exit 1; }
    sleep 1
}

# it_start [EXTRA] : the usual setup: configuration, store, milter, sink, instance "mta"
# relaying to the sink with optin-milter in smtpd_milters and non_smtpd_milters
it_start() {
    it_conf "${1:-}"
    it_store
    milter_start
    sink_start
    pf_start mta "$MTA_PORT" "[127.0.0.1]:$SINK_PORT" "unix:$MILTER_SOCK"
}

# unsub_ok FILE LIST RCPT : the message in FILE has exactly one List-Unsubscribe, HTTPS URL
# first and mailto second with the same token, exactly one "List-Unsubscribe-Post:
# List-Unsubscribe=One-Click", and the token decodes to LIST and RCPT; else says why (# ...)
unsub_ok() {
    lu=$(field "$1" List-Unsubscribe)
    n_lu=$(field_count "$1" List-Unsubscribe)
    post=$(field "$1" List-Unsubscribe-Post)
    n_post=$(field_count "$1" List-Unsubscribe-Post)
    [ "$n_lu" -eq 1 ] || { echo "# $n_lu List-Unsubscribe fields"; return 1; }
    [ "$n_post" -eq 1 ] || { echo "# $n_post List-Unsubscribe-Post fields"; return 1; }
    [ "$post" = "List-Unsubscribe=One-Click" ] || { echo "# List-Unsubscribe-Post: $post"; return 1; }
    tok=$("$PYTHON" "$MAILTOOL" token "$1") || { echo "# no HTTPS URL: $lu"; return 1; }
    want="<https://u.lists.example/u/$tok>, <mailto:unsubscribe@lists.example?subject=unsubscribe%20$tok>"
    got=$(printf '%s\n' "$lu" | tr '\t' ' ' | sed 's/,  */, /')
    [ "$got" = "$want" ] || { echo "# List-Unsubscribe: $lu"; echo "# want: $want"; return 1; }
    dec=$("$OPTINCTL" -c "$IT/optin.conf" token --decode "$tok" 2>&1)
    [ "$dec" = "list=$2 address=$3" ] || { echo "# token decodes to: $dec"; return 1; }
}

# it_end : optin-milter lived to the end and stops cleanly; timing; the plan
it_end() {
    if [ -n "${MILTER_PID:-}" ]; then
        alive=no
        kill -0 "$MILTER_PID" 2> /dev/null && alive=yes
        milter_stop
        is "optin-milter ran to the end and stopped cleanly (alive, exit status)" \
            "$alive $MILTER_RC" "yes 0"
    fi
    echo "# $(elapsed) s"
    done_testing
}

# transactional_fixture : a transactional message in $IT/msg whose header block ($IT/hdr) has
# everything an MTA would otherwise add (Date, Message-ID), folds, odd spacing and a field name
# in unusual case; $IT/hdr.want is what must arrive (Return-Path is removed by MTAs)
transactional_fixture() {
    cat > "$IT/hdr" <<'EOF'
Return-Path: <orders@shop.example>
From: "Shop, Orders" <orders@shop.example>
To: Customer One <u1@example.org>
Cc: archive@shop.example
Reply-To: help@shop.example
Subject: Your order 4711 has shipped,
 and a folded subject	with a tab
Date: Tue, 02 Sep 2025 08:30:00 +0200
Message-ID: <order-4711.shipped@shop.example>
In-Reply-To: <order-4711@shop.example>
References: <order-4711@shop.example>
	<order-4711.paid@shop.example>
MIME-Version: 1.0
Content-Type: text/plain;
	charset="utf-8"
Content-Transfer-Encoding: 7bit
X-Order-Id:   4711  
keywords: order, shipping
EOF
    grep -v '^Return-Path:' "$IT/hdr" > "$IT/hdr.want"
    { cat "$IT/hdr"; printf '\nYour parcel is on its way.\n'; } > "$IT/msg"
}
