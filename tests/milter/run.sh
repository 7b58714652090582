#!/bin/sh
# run.sh - run one protocol test, tests/milter/NAME.lua, against a private optin-milter; prints TAP.
#
#   sh tests/milter/run.sh tests/milter/NAME.lua
#
# Environment (set by make check): top_srcdir, top_builddir, OPTINCTL, OPTIN_MILTER and
# MILTERTEST (its path, or "no"). Without miltertest the whole test is skipped.
#
# In a private directory $TMP (removed at exit) it writes a configuration ($TMP/conf: the
# lists news, offers and digest below), makes a key file, initialises a store and fills it:
#   news:   c1, c2, c3 @example.org consented; u1, u2 nothing; unsub@ subscribed then
#           unsubscribed; bounced@ subscribed, then suppressed (bounce)
#   offers: c1 consented
# A test may have a companion NAME.setup, sourced here after that (it may run `ctl ...`),
# which can set RUNS (default "1": names of separate runs) and define per_run RUN, called
# before each run to change CONF_EXTRA (more top-level settings), DB or NEWS_MODE, and set
# STOPS_ITSELF=yes when the script stops the milter itself.
#
# Each run starts `optin-milter -f -c $TMP/conf` (stderr to $TMP/log, journal $TMP/journal,
# both fresh per run), waits for its socket, and runs
#   miltertest -D sock=unix:$TMP/sock -D tmp=$TMP -D optinctl=$OPTINCTL -D srcdir=DIR \
#              -D run=RUN -D python=PYTHON3-or-no -D script=NAME.lua -s harness.lua
# (harness.lua runs NAME.lua and prints the message of an error, which miltertest does not)
# then stops the milter with SIGTERM by pid. TAP points per run: the script's exit status
# (its output and the milter log as # comments when it fails), every journal line being a
# JSON object (python3), and the milter having lived to the end and stopped with status 0.
# MILTER_TEST_VERBOSE=1 shows the script's output and the log even when it passes.
#
# Beside the tests: common.lua (helpers every NAME.lua loads), harness.lua (runs NAME.lua
# and prints its errors), poke.lua (wakes a stopping milter), mclient.py (a small milter
# client for what miltertest cannot do: reply texts at RCPT, headers over 1 KB).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPTINCTL:=$top_builddir/tools/optinctl/optinctl}"
: "${OPTIN_MILTER:=$top_builddir/milter/optin-milter}"
: "${MILTERTEST:=$(command -v miltertest || echo no)}"

lua=$1
name=$(basename "$lua" .lua)
dir=$(cd "$(dirname "$lua")" && pwd)
tap_n=0

if [ "$MILTERTEST" = no ] || [ ! -x "$MILTERTEST" ]; then
    echo "1..0 # SKIP miltertest not installed (apt-get install miltertest)"
    exit 0
fi
for prog in "$OPTINCTL" "$OPTIN_MILTER"; do
    [ -x "$prog" ] || { echo "Bail out! $prog is not built"; exit 1; }
done
[ -f "$lua" ] || { echo "Bail out! no test $lua"; exit 1; }
if command -v python3 > /dev/null 2>&1; then PYTHON=python3; else PYTHON=no; fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/optin-milter.XXXXXX") || { echo "Bail out! mktemp"; exit 1; }
MILTER_PID=
cleanup() {
    if [ -n "$MILTER_PID" ] && kill -0 "$MILTER_PID" 2> /dev/null; then
        kill -KILL "$MILTER_PID" 2> /dev/null
        wait "$MILTER_PID" 2> /dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# point OK DESC : one TAP point (OK is 0 for ok)
point() {
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $tap_n - $2"; else echo "not ok $tap_n - $2"; fi
}
# comment FILE [PREFIX] : a file as TAP comments (at most 200 lines)
comment() { sed -n "1,200s/^/# $2/p" "$1"; }

DB=$TMP/db
NEWS_MODE=enforce
CONF_EXTRA=
NEWS_EXTRA=
# write_conf : the configuration of the current run
write_conf() {
    cat > "$TMP/conf" <<EOF
# written by tests/milter/run.sh for $name
database = "$DB";
socket = "unix:$TMP/sock";
socket_mode = "0600";
pidfile = "$TMP/pid";
log_target = "stderr";
journal = "$TMP/journal";
keys = "$TMP/keys";
unsubscribe_url = "https://u.lists.example/u/";
unsubscribe_mailto = "unsubscribe@lists.example";
$CONF_EXTRA
lists = (
  { id = "news"; opt_in = "single"; mode = "$NEWS_MODE"; $NEWS_EXTRA
    match = { envelope_from = [ "bounce-news-*@lists.example" ];
              list_id = [ "news.lists.example" ]; }; },
  { id = "offers"; opt_in = "single"; mode = "monitor";
    match = { auth_user = [ "shopapp" ]; }; },
  { id = "digest"; opt_in = "double";
    match = { daemon_name = [ "BULK" ]; }; }
);
EOF
}
# ctl ARGS... : optinctl on the test store; its output goes to $TMP/ctl.out, failures bail out
ctl() {
    if ! "$OPTINCTL" -c "$TMP/conf" "$@" >> "$TMP/ctl.out" 2>&1; then
        echo "Bail out! optinctl $*"
        comment "$TMP/ctl.out"
        exit 1
    fi
}

write_conf
ctl keygen "$TMP/keys"
ctl init
for a in c1 c2 c3; do ctl subscribe news "$a@example.org"; done
ctl subscribe offers c1@example.org
ctl subscribe news unsub@example.org
ctl unsubscribe news unsub@example.org
ctl subscribe news bounced@example.org
ctl suppress --reason bounce bounced@example.org

RUNS=1
STOPS_ITSELF=no     # yes: the script stops the milter (SIGTERM) itself
per_run() { :; }
if [ -f "$dir/$name.setup" ]; then
    # shellcheck source=/dev/null
    . "$dir/$name.setup"
fi

# start_milter : start it in the background, wait for its socket; 0 when it listens
start_milter() {
    rm -f "$TMP/sock" "$TMP/pid" "$TMP/journal" "$TMP/journal.head" "$TMP/log"
    # MILTER_WRAPPER (e.g. "valgrind --error-exitcode=99 ..." from .ci/run) runs it under a tool
    $MILTER_WRAPPER "$OPTIN_MILTER" -f -c "$TMP/conf" 2> "$TMP/log" &
    MILTER_PID=$!
    i=0
    while [ $i -lt 600 ]; do
        # "starting:" comes after the store, journal and keys are open (main.c)
        [ -S "$TMP/sock" ] && [ -s "$TMP/pid" ] && grep -q 'starting: ' "$TMP/log" && return 0
        kill -0 "$MILTER_PID" 2> /dev/null || return 1
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}
# stop_milter : SIGTERM, then wake libmilter's listener (it looks at its stop flag every
# 5 s, or at the next connection); sets stop_rc to the exit status (999: had to be killed)
stop_milter() {
    kill -TERM "$MILTER_PID" 2> /dev/null
    i=0
    while kill -0 "$MILTER_PID" 2> /dev/null && [ $i -lt 300 ]; do
        sleep 0.1
        [ -S "$TMP/sock" ] && "$MILTERTEST" -D sock="unix:$TMP/sock" -s "$dir/poke.lua" \
            > /dev/null 2>&1
        i=$((i + 1))
    done
    if kill -0 "$MILTER_PID" 2> /dev/null; then
        kill -KILL "$MILTER_PID" 2> /dev/null
        wait "$MILTER_PID" 2> /dev/null
        stop_rc=999
    else
        wait "$MILTER_PID"
        stop_rc=$?
    fi
    MILTER_PID=
}

for run in $RUNS; do
    CONF_EXTRA=
    per_run "$run"
    write_conf
    [ "$RUNS" = 1 ] && what=$name || what="$name [$run]"
    if ! start_milter; then
        point 1 "$what: optin-milter starts"
        comment "$TMP/log" "log: "
        continue
    fi
    if command -v timeout > /dev/null 2>&1; then limit="timeout 120"; else limit=; fi
    $limit "$MILTERTEST" -D sock="unix:$TMP/sock" -D tmp="$TMP" -D optinctl="$OPTINCTL" \
        -D srcdir="$dir" -D run="$run" -D python="$PYTHON" -D script="$dir/$name.lua" \
        -s "$dir/harness.lua" > "$TMP/mt.out" 2>&1
    rc=$?
    point $rc "$what: miltertest $name.lua (exit $rc)"
    if [ $rc -ne 0 ] || [ -n "$MILTER_TEST_VERBOSE" ]; then
        comment "$TMP/mt.out"
        comment "$TMP/log" "log: "
    fi
    if [ "$PYTHON" = no ]; then
        tap_n=$((tap_n + 1))
        echo "ok $tap_n - $what: journal lines are JSON objects # SKIP no python3"
    else
        out=$("$PYTHON" -c '
import json, sys
try:
    f = open(sys.argv[1], "rb")
except FileNotFoundError:
    sys.exit(0)
for n, line in enumerate(f, 1):
    try:
        assert line.endswith(b"\n"), "no newline at the end"
        assert isinstance(json.loads(line.decode("utf-8")), dict), "not an object"
    except Exception as e:
        print("line %d: %s: %r" % (n, e, line[:200]))
        sys.exit(1)
' "$TMP/journal" 2>&1)
        point $? "$what: journal lines are JSON objects"
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
    fi
    if [ -s "$TMP/journal" ]; then      # every run's journal is one unbroken hash chain
        out=$("$OPTINCTL" -c "$TMP/conf" journal verify 2>&1)
        vrc=$?
        point $vrc "$what: optinctl journal verify: the chain is intact"
        [ $vrc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
    fi
    if [ "$STOPS_ITSELF" = yes ]; then
        # the script sent SIGTERM itself: the milter must be gone, or go at once
        i=0
        while kill -0 "$MILTER_PID" 2> /dev/null && [ $i -lt 30 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        if kill -0 "$MILTER_PID" 2> /dev/null; then
            kill -KILL "$MILTER_PID" 2> /dev/null
            wait "$MILTER_PID" 2> /dev/null
            stop_rc=999
        else
            wait "$MILTER_PID"
            stop_rc=$?
        fi
        MILTER_PID=
        [ "$stop_rc" -eq 0 ] && grep -q "stopped" "$TMP/log"
        ok=$?
        point $ok "$what: optin-milter stopped after the script's SIGTERM (exit $stop_rc)"
    else
        alive=0
        kill -0 "$MILTER_PID" 2> /dev/null || alive=1
        stop_milter
        [ $alive -eq 0 ] && [ "$stop_rc" -eq 0 ] && grep -q "stopped" "$TMP/log"
        ok=$?
        point $ok "$what: optin-milter ran to the end and stopped cleanly (exit $stop_rc)"
    fi
    [ $ok -ne 0 ] && [ $rc -eq 0 ] && comment "$TMP/log" "log: "
done
echo "1..$tap_n"
