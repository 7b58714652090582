#!/bin/sh
# shutdown_stress.sh - stop optin-milter again and again while 8 sessions keep sending list mail
# (MAIL, RCPT, end of message in a loop), alternately with SIGTERM (drain, then stop) and SIGINT
# (stop at once): every stop must end in exit 0 and "stopped", never in a signal, and the store
# must stay whole. SHUTDOWN_STOPS sets the number of stops (default 16; the ASan build in
# .ci/run uses more); SHUTDOWN_SEED the seed of the delays.
. "$(dirname "$0")/../lib/tap.sh"
: "${top_builddir:=.}"
MILTER=$top_builddir/milter/optin-milter
OPTINCTL=$top_builddir/tools/optinctl/optinctl
MCLIENT_DIR=$(cd "$(dirname "$0")" && pwd)
STOPS=${SHUTDOWN_STOPS:-16}
SEED=${SHUTDOWN_SEED:-1}
[ -x "$MILTER" ] || skip_all "optin-milter is not built"
command -v python3 > /dev/null || skip_all "python3 drives the sessions"
mk_tmpdir
PID= LOAD=
trap '[ -n "$LOAD" ] && kill "$LOAD" 2> /dev/null; [ -n "$PID" ] && kill -KILL "$PID" 2> /dev/null; rm -rf "$TMP"' EXIT

cat > "$TMP/conf" <<EOF
database = "$TMP/db"; keys = "$TMP/keys"; log_target = "stderr";
socket = "unix:$TMP/sock"; socket_mode = "0600"; journal = "$TMP/journal";
unsubscribe_url = "https://u.lists.example/u/";
lists = ( { id = "news"; opt_in = "single";
            match = { envelope_from = [ "bounce-news-*@lists.example" ]; }; } );
EOF
"$OPTINCTL" -c "$TMP/conf" keygen "$TMP/keys" > /dev/null 2>&1 && "$OPTINCTL" -c "$TMP/conf" init > /dev/null 2>&1 \
    || { echo "Bail out! store"; exit 1; }
for i in 1 2 3 4; do "$OPTINCTL" -c "$TMP/conf" subscribe news "s$i@example.org" > /dev/null 2>&1; done

cat > "$TMP/load.py" <<'PY'
import random, sys, threading
sys.path.insert(0, sys.argv[2])
from mclient import Milter

def session(n):
    while True:
        try:
            m = Milter("unix:" + sys.argv[1])
            m.negotiate()
            m.send(b"C", b"mx.example\x004\x00\x19192.0.2.1\x00")
            m.reply()
            for k in range(1000):
                m.send(b"M", b"<bounce-news-1@lists.example>\x00")
                m.reply()
                for r in ("s1", "s2", "nobody"):
                    m.send(b"R", b"<%s@example.org>\x00" % r.encode())
                    m.reply()
                m.send(b"L", b"Subject\x00news\x00")
                m.send(b"N")
                m.reply()
                m.send(b"E")
                while m.reply()[0] not in (b"a", b"c", b"t", b"r", b"d", b"y"):
                    pass
        except Exception:
            pass

for n in range(8):
    threading.Thread(target=session, args=(n,), daemon=True).start()
threading.Event().wait()
PY

awk -v n="$STOPS" -v seed="$SEED" 'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.2f\n", 0.3 + rand() * 0.6 }' \
    > "$TMP/delays"
bad=0 i=0
python3 "$TMP/load.py" "$TMP/sock" "$MCLIENT_DIR" > /dev/null 2>&1 &
LOAD=$!
while read -r delay; do
    i=$((i + 1))
    "$MILTER" -f -c "$TMP/conf" > "$TMP/milter.log" 2>&1 &
    PID=$!
    sleep "$delay"
    if [ $((i % 2)) -eq 0 ]; then sig=INT; else sig=TERM; fi
    kill -"$sig" "$PID" 2> /dev/null
    t0=$(date +%s.%N); wait "$PID"; rc=$?; PID=; [ -n "${SHUTDOWN_TIMES:-}" ] && echo "# stop $i SIG$sig $(echo "$(date +%s.%N) - $t0" | bc)"
    if [ "$rc" -ne 0 ] || ! grep -q 'stopped' "$TMP/milter.log"; then
        bad=$((bad + 1))
        echo "# stop $i (SIG$sig after ${delay}s): exit $rc"
        sed -n '1,20s/^/#   /p' "$TMP/milter.log"
    fi
done < "$TMP/delays"
kill "$LOAD" 2> /dev/null; wait "$LOAD" 2> /dev/null; LOAD=
is "$STOPS stops under 8 sending sessions (SIGTERM and SIGINT): all exit 0 and say stopped" "$bad" 0
ok "... mail went through the milter meanwhile" grep -q '"verdict"' "$TMP/journal"
is "... the store is whole" "$("$OPTINCTL" -c "$TMP/conf" check news s1@example.org)" consent
done_testing
