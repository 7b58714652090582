#!/bin/sh
# unsubd_slow.sh - slow clients cannot starve optin-unsubd: 600 connections that send a byte a
# second, from one address and from 600 addresses of 127.0.0.0/8, while legitimate one-click
# POSTs from another address are served; and a request that takes longer than 10 s is cut.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/unsubd.sh"
: "${top_builddir:=.}"
OPTIN_UNSUBD=$top_builddir/tools/optin-unsubd/optin-unsubd
OPTINCTL=$top_builddir/tools/optinctl/optinctl
[ -x "$OPTIN_UNSUBD" ] || skip_all "optin-unsubd is not built"
command -v curl > /dev/null || skip_all "curl is needed"
mk_tmpdir
PID= SLOW=
trap '[ -n "$SLOW" ] && kill "$SLOW" 2> /dev/null; [ -n "$PID" ] && kill -KILL "$PID" 2> /dev/null; rm -rf "$TMP"' EXIT

CONF=$TMP/conf
cat > "$CONF" <<EOF
database = "$TMP/db"; keys = "$TMP/keys"; log_target = "stderr";
lists = ( { id = "news"; opt_in = "single"; } );
EOF
"$OPTINCTL" -c "$CONF" keygen "$TMP/keys" > /dev/null 2>&1 && "$OPTINCTL" -c "$CONF" init > /dev/null 2>&1 \
    || { echo "Bail out! store"; exit 1; }
for i in $(seq 1 8); do "$OPTINCTL" -c "$CONF" subscribe news "v$i@example.org" > /dev/null 2>&1; done

unsubd_start "$TMP/log" -c "$CONF" --rate 0
PID=$UNSUBD_PID PORT=$UNSUBD_PORT

# slow MODE COUNT SECONDS : COUNT connections (MODE one: all from 127.0.0.1; many: each from its
# own 127.0.x.y) that send a request one byte a second for SECONDS; prints how many the server
# accepted and how many it closed
slow() {
    python3 - "$PORT" "$@" <<'PY'
import resource, socket, sys, time
port, mode, count, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 64)), hard))
request = b"POST /u/slow HTTP/1.1\r\nHost: u\r\nContent-Length: 26\r\n\r\nList-Unsubscribe=One-Click"
conns = []
for i in range(count):
    s = socket.socket()
    if mode == "many":
        s.bind(("127.0.%d.%d" % (10 + i // 250, 1 + i % 250), 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        ok = False
    except OSError:
        ok = True                  # refused or timed out: counts as closed by the server
    s.setblocking(False)
    conns.append([s, 0, ok])
accepted = closed = 0
end = time.time() + seconds
while time.time() < end:
    for c in conns:
        if c[2]:
            continue
        try:
            c[0].send(request[c[1]:c[1] + 1])
            c[1] = (c[1] + 1) % len(request)
            data = c[0].recv(4096)
            if not data:
                c[2] = True
        except BlockingIOError:
            pass
        except OSError:
            c[2] = True
    time.sleep(1)
closed = sum(1 for c in conns if c[2])
print("connections=%d closed_by_server=%d" % (count, closed))
PY
}
# legit N : N one-click POSTs from 127.0.0.2 while the slow clients hold on; prints the statuses
legit() {
    out=
    for i in $(seq "$1" "$2"); do
        tok=$("$OPTINCTL" -c "$CONF" token news "v$i@example.org" 2> /dev/null)
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface 127.0.0.2 \
            -d List-Unsubscribe=One-Click "http://127.0.0.1:$PORT/u/$tok")
        out="$out$code "
    done
    echo "$out"
}

slow one 600 8 > "$TMP/slow1" &
SLOW=$!
sleep 3
is "600 slow connections from one address: 3 one-click POSTs from another all served" \
    "$(legit 1 3)" "200 200 200 "
wait "$SLOW"; SLOW=
case $(cat "$TMP/slow1") in
    *closed_by_server=0) res="none closed: $(cat "$TMP/slow1")" ;;
    *) res=closed ;;
esac
is "... the connections over the per-address limit were closed at once" "$res" closed
ok "... the limit is logged at start" grep -q 'connections: at most [0-9]*, 16 per address' "$TMP/log"

slow many 600 14 > "$TMP/slow2" &
SLOW=$!
sleep 3
is "600 slow connections from 600 addresses: 3 one-click POSTs all served" \
    "$(legit 4 6)" "200 200 200 "
wait "$SLOW"; SLOW=
is "... every slow request was cut after the 10 s deadline" "$(cat "$TMP/slow2")" \
    "connections=600 closed_by_server=600"
ok "... and logged" grep -q 'outcome=request-too-slow seconds=10' "$TMP/log"
is "after the attack a POST is served" "$(legit 7 7)" "200 "

kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
is "stops cleanly" "$rc" 0
done_testing
