#!/bin/sh
# unsubd.sh - optin-unsubd over real HTTP with curl: one-click POST in both encodings, GET
# pages that change nothing (English and Japanese), tampered, foreign and cut tokens, replay,
# wrong method, oversized bodies, the double opt-in confirmation, the rate limit per client
# (X-Forwarded-For from a trusted proxy), reload of the key file, and a clean stop.
#
# Each server listens on 127.0.0.1 on a port the kernel picks (-l 127.0.0.1:0; the port is
# read from its start-up log line) and is stopped by its pid.
# Environment (set by make check): top_srcdir, top_builddir, OPTINCTL, OPTIN_UNSUBD. By hand:
#   top_srcdir=. top_builddir=. sh tests/cli/unsubd.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPTINCTL:=$top_builddir/tools/optinctl/optinctl}"
: "${OPTIN_UNSUBD:=$top_builddir/tools/optin-unsubd/optin-unsubd}"
. "$top_srcdir/tests/lib/tap.sh"

command -v curl > /dev/null 2>&1 || skip_all "curl is not installed (tests/setup-debian.sh installs it)"
for prog in "$OPTINCTL" "$OPTIN_UNSUBD"; do
    [ -x "$prog" ] || { echo "Bail out! $prog is not built"; exit 1; }
done
mk_tmpdir
PIDS=
trap 'for p in $PIDS; do kill -KILL "$p" 2> /dev/null; done; rm -rf "$TMP"' EXIT

CONF=$TMP/conf
cat > "$CONF" <<EOF
database = "$TMP/db";
keys = "$TMP/keys";
log_target = "stderr";
lists = ( { id = "news"; opt_in = "single"; },
          { id = "offers"; opt_in = "double"; } );
EOF

# ctl ARGS... : optinctl on the test store; a failure bails out
ctl() {
    "$OPTINCTL" -c "$CONF" -a tester "$@" 2> "$TMP/ctl.err" || {
        echo "Bail out! optinctl $*: $(cat "$TMP/ctl.err")"
        exit 1
    }
}
ctl keygen "$TMP/keys" > /dev/null
ctl keygen "$TMP/other.keys" > /dev/null      # a foreign key file: same key id 1, other key
ctl init > /dev/null
for a in a1 a2 a3 a4 a5 a6 a7 a8 x1 x2 s1 s2 s3 s4; do ctl subscribe news "$a@example.org" > /dev/null; done
for i in $(seq 1 12); do ctl subscribe news "p$i@example.org" > /dev/null; done

# state LIST ADDRESS : the decision reason of optinctl check
state() { "$OPTINCTL" -c "$CONF" check "$1" "$2" 2> /dev/null; }
# history ADDRESS : the history lines of optinctl show
history() { "$OPTINCTL" -c "$CONF" show "$1" | sed -n '/^history:/,$p' | sed 1d; }
# last_event ADDRESS : the newest history line
last_event() { history "$1" | tail -n 1; }
# token LIST ADDRESS [KEYFILE]
token() {
    if [ -n "${3:-}" ]; then ctl token -k "$3" "$1" "$2"; else ctl token "$1" "$2"; fi
}

# start NAME ARGS... : optin-unsubd in the foreground of a background job; sets PORT_NAME
start() {
    name=$1; shift
    "$OPTIN_UNSUBD" -f -c "$CONF" -l 127.0.0.1:0 "$@" > "$TMP/$name.log" 2>&1 < /dev/null &
    pid=$!
    PIDS="$PIDS $pid"
    eval "PID_$name=$pid"
    n=100
    while [ $n -gt 0 ]; do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$TMP/$name.log")
        [ -n "$port" ] && { eval "PORT_$name=$port"; return 0; }
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.05
        n=$((n - 1))
    done
    echo "Bail out! optin-unsubd ($name) does not start"
    sed 's/^/# /' "$TMP/$name.log"
    exit 1
}
# stop_server NAME : SIGTERM and wait; sets STOP_RC (999 when it had to be killed)
stop_server() {
    eval "pid=\$PID_$1"
    kill -TERM "$pid" 2> /dev/null
    n=100
    while kill -0 "$pid" 2> /dev/null && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
    if kill -0 "$pid" 2> /dev/null; then
        kill -KILL "$pid"
        wait "$pid" 2> /dev/null
        STOP_RC=999
    else
        wait "$pid"
        STOP_RC=$?
    fi
}

REQUESTS=0
: > "$TMP/statuses"
: > "$TMP/all.headers"
# http METHOD PATH [CURL ARGS...] : a request to the main server; sets code, body in
# $TMP/body, headers in $TMP/headers; every status and header is kept for the checks at the end
http() {
    method=$1 path=$2; shift 2
    REQUESTS=$((REQUESTS + 1))
    if [ "$method" = HEAD ]; then set -- -I "$@"; else set -- -X "$method" "$@"; fi
    code=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' --max-time 10 "$@" \
        "http://127.0.0.1:$PORT_main$path")
    echo "$code $method $path" >> "$TMP/statuses"
    cat "$TMP/headers" >> "$TMP/all.headers"
}
# header NAME : the value of a header of the last answer
header() { tr -d '\r' < "$TMP/headers" | awk -v n="$1" 'BEGIN { n = tolower(n) }
    { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) { print substr($0, i + 2); exit } }'; }
# body_has TEXT : the last body contains TEXT
body_has() { grep -F -q -- "$1" "$TMP/body"; }
# lang_of : the lang attribute of the last page
lang_of() { sed -n 's/.*<html lang="\([a-z]*\)">.*/\1/p' "$TMP/body"; }

start main --rate 0
ok "starts and listens on 127.0.0.1 (port $PORT_main)" grep -q "listening on 127.0.0.1:$PORT_main" "$TMP/main.log"

# --- GET: a page with a button, and nothing changes ---
A1=$(token news a1@example.org)
hist_before=$(history a1@example.org | wc -l)
http GET "/u/$A1"
is "GET /u/TOKEN: 200" "$code" 200
ok "GET: a form that POSTs List-Unsubscribe=One-Click" sh -c "grep -q '<form method=\"post\">' '$TMP/body' &&
    grep -q '<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">' '$TMP/body' &&
    grep -q '<button type=\"submit\">Unsubscribe</button>' '$TMP/body'"
is "GET: English by default (lang attribute, Content-Language)" "$(lang_of) $(header Content-Language)" "en en"
is "GET: text/html; charset=utf-8" "$(header Content-Type)" "text/html; charset=utf-8"
ok "GET: <meta charset=\"utf-8\"> and <meta name=\"robots\" content=\"noindex\">" sh -c \
    "grep -q '<meta charset=\"utf-8\">' '$TMP/body' && grep -q '<meta name=\"robots\" content=\"noindex\">' '$TMP/body'"
case $(header Content-Security-Policy) in
"default-src 'none'; style-src 'unsafe-inline'"*) csp=yes ;; *) csp="no: $(header Content-Security-Policy)" ;;
esac
is "GET: Content-Security-Policy default-src 'none'; style-src 'unsafe-inline'" "$csp" yes
ok "GET: no external asset (no src=, no <link>, no <script>)" sh -c \
    "! grep -E -q 'src=|<link|<script' '$TMP/body'"
is "GET: Cache-Control: no-store" "$(header Cache-Control)" "no-store"
ok "GET: the list and the masked address are shown" body_has "“news” to a…@example.org"
is "GET: no change (state)" "$(state news a1@example.org)" consent
http HEAD "/u/$A1"
is "HEAD /u/TOKEN: 200" "$code" 200
is "GET and HEAD: no change (history)" "$(history a1@example.org | wc -l)" "$hist_before"

http GET "/u/$A1" -H "Accept-Language: ja"
is "Accept-Language: ja: Japanese page" "$(lang_of) $(header Content-Language)" "ja ja"
ok "Japanese: the button" body_has '<button type="submit">配信を停止する</button>'
ok "Japanese: the text names list and address" body_has "a…@example.org 宛ての「news」のメール配信を停止しますか"
for pair in "ja-JP,ja;q=0.9,en;q=0.8=ja" "ja;q=0.1, en;q=0.9=en" "en;q=0, ja=ja" "fr, ja;q=0.5=ja" \
    "de, fr=en" "*=en" "ja;q=0.3, *;q=0.5=en" "JA=ja" "en-GB;q=0.7,ja;q=0.7=en" "ja;q=bogus=en"; do
    value=${pair%=*} want=${pair##*=}
    http GET "/u/$A1" -H "Accept-Language: $value"
    is "Accept-Language: $value -> $want" "$(lang_of)" "$want"
done
http GET "/u/$A1?lang=ja"
is "?lang=ja overrides the header" "$(lang_of)" ja
is "all those GETs changed nothing" "$(state news a1@example.org) $(history a1@example.org | wc -l)" \
    "consent $hist_before"

# --- one-click POST (RFC 8058), both encodings ---
http POST "/u/$A1" -d "List-Unsubscribe=One-Click"
is "POST urlencoded: 200" "$code" 200
ok "POST: the page says so" body_has "You are unsubscribed"
is "POST urlencoded: unsubscribed" "$(state news a1@example.org)" unsubscribed
case $(last_event a1@example.org) in
*"unsubscribe list=news state=unsubscribed"*"source=one-click ip=127.0.0.1 actor=optin-unsubd"*) ev=yes ;;
*) ev="no: $(last_event a1@example.org)" ;;
esac
is "history: unsubscribe, source one-click, client IP, actor optin-unsubd" "$ev" yes
A2=$(token news a2@example.org)
http POST "/u/$A2" -F "List-Unsubscribe=One-Click"
is "POST multipart/form-data (curl -F): 200" "$code" 200
is "POST multipart: unsubscribed" "$(state news a2@example.org)" unsubscribed
case $(last_event a2@example.org) in *"source=one-click"*) ev=yes ;; *) ev=no ;; esac
is "POST multipart: history source one-click" "$ev" yes

# --- replay ---
hist_before=$(history a1@example.org | wc -l)
http POST "/u/$A1" -d "List-Unsubscribe=One-Click"
is "replayed POST: 200" "$code" 200
ok "replayed POST: \"already unsubscribed\"" body_has "You are already unsubscribed"
is "replayed POST: still unsubscribed, the request recorded again" \
    "$(state news a1@example.org) $(history a1@example.org | wc -l)" "unsubscribed $((hist_before + 1))"
http GET "/u/$A1"
ok "GET after unsubscribing: \"already unsubscribed\", no button" sh -c \
    "grep -q 'You are already unsubscribed' '$TMP/body' && ! grep -q '<form' '$TMP/body'"

# --- the page's own button ---
A3=$(token news a3@example.org)
http POST "/u/$A3" -d "List-Unsubscribe=One-Click&via=page" -H "Accept-Language: ja"
is "POST from the page's button: 200, Japanese" "$code $(lang_of)" "200 ja"
ok "Japanese: done page" body_has "配信を停止しました"
case $(last_event a3@example.org) in *"source=web-page ip=127.0.0.1"*) ev=yes ;; *) ev=no ;; esac
is "page button: history source web-page" "$(state news a3@example.org) $ev" "unsubscribed yes"

# --- bad tokens: 400 malformed, 404 unknown key or forged; nothing changes ---
A4=$(token news a4@example.org)
mid=$(( ${#A4} / 2 ))
c=$(printf '%s' "$A4" | cut -c$((mid + 1)))
if [ "$c" = A ]; then r=B; else r=A; fi
TAMPERED=$(printf '%s' "$A4" | cut -c1-$mid)$r$(printf '%s' "$A4" | cut -c$((mid + 2))-)
FOREIGN=$(token news a4@example.org "$TMP/other.keys")
CUT=$(printf '%s' "$A4" | cut -c1-20)
hist_before=$(history a4@example.org | wc -l)
for case in "tampered:$TAMPERED:404" "foreign key file:$FOREIGN:404" "truncated:$CUT:400" \
    "not base64url:not-a-token!:400"; do
    what=${case%%:*} rest=${case#*:}
    tok=${rest%:*} want=${rest##*:}
    http GET "/u/$tok"
    get=$code
    http POST "/u/$tok" -d "List-Unsubscribe=One-Click"
    is "$what token: GET and POST $want" "$get $code" "$want $want"
done
http POST "/u/$TAMPERED" -d "List-Unsubscribe=One-Click"
ok "forged: a clear page" body_has "This link is not valid"
http POST "/u/$CUT" -d "List-Unsubscribe=One-Click"
ok "truncated: a clear page" body_has "This link is incomplete"
is "bad tokens changed nothing" "$(state news a4@example.org) $(history a4@example.org | wc -l)" \
    "consent $hist_before"
http GET "/u/"
is "GET /u/ without a token: 400" "$code" 400

# --- bodies that do not ask for it, wrong methods, sizes, paths ---
A5=$(token news a5@example.org)
http POST "/u/$A5" -d "foo=bar"
is "POST without List-Unsubscribe=One-Click: 400" "$code" 400
http POST "/u/$A5" -d "List-Unsubscribe=Yes"
is "POST List-Unsubscribe=Yes: 400" "$code" 400
http POST "/u/$A5" -H "Content-Type: text/plain" -d "List-Unsubscribe=One-Click"
is "POST text/plain: 415" "$code" 415
head -c 5000 /dev/zero | tr '\0' x > "$TMP/big"
http POST "/u/$A5" --data-binary "@$TMP/big"
is "POST of 5000 octets (over --max-body 4096): 413" "$code" 413
http POST "/u/$A5" -H "Transfer-Encoding: chunked" --data-binary "@$TMP/big"
is "chunked POST of 5000 octets: 413" "$code" 413
for m in PUT DELETE OPTIONS PATCH; do
    http "$m" "/u/$A5"
    is "$m /u/TOKEN: 405 with Allow: GET, HEAD, POST" "$code $(header Allow)" "405 GET, HEAD, POST"
done
is "none of these changed anything" "$(state news a5@example.org)" consent
for p in / /u /x/y "/unsubscribe/$A5" /c; do
    http GET "$p"
    is "GET $p: 404" "$code" 404
done

# --- request smuggling: a body whose end two parsers could read differently is refused ---
# raw KIND OUTER INNER : one request on a raw connection whose body hides a second POST (for the
# INNER token); prints each status line received and "closed" when the server hung up
raw() {
    python3 - "$PORT_main" "$@" <<'PY'
import socket, sys
port, kind, outer, inner = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
form = b"List-Unsubscribe=One-Click"
hidden = (b"POST /u/" + inner.encode() + b" HTTP/1.1\r\nHost: u\r\n"
          b"Content-Type: application/x-www-form-urlencoded\r\n"
          b"Content-Length: %d\r\n\r\n" % len(form) + form)
body = form + hidden
framing = {
    "conflicting": b"Content-Length: %d\r\nContent-Length: %d\r\n" % (len(form), len(body)),
    "duplicate": b"Content-Length: %d\r\nContent-Length: %d\r\n" % (len(body), len(body)),
    "cl-te": b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(form),
    "not-a-number": b"Content-Length: +%d\r\n" % len(body),
}[kind]
req = (b"POST /u/" + outer.encode() + b" HTTP/1.1\r\nHost: u\r\n"
       b"Content-Type: application/x-www-form-urlencoded\r\n" + framing + b"\r\n" + body)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(req)
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            data += b"\nclosed"
            break
        data += chunk
except socket.timeout:
    pass
for line in data.split(b"\n"):
    if line.startswith(b"HTTP/1.") or line == b"closed":
        print(line.decode().strip())
PY
}
S1=$(token news s1@example.org); S2=$(token news s2@example.org)
S3=$(token news s3@example.org); S4=$(token news s4@example.org)
for kind in conflicting duplicate cl-te not-a-number; do
    got=$(raw "$kind" "$S1" "$S2" | tr '\n' ' ')
    case $got in "HTTP/1.1 400 "*" closed ") res=400-closed ;; *) res="got: $got" ;; esac
    is "$kind Content-Length: one 400, then the connection closed" "$res" 400-closed
done
is "... neither the outer request nor the hidden one unsubscribed anyone" \
    "$(state news s1@example.org) $(state news s2@example.org)" "consent consent"
ok "... logged as ambiguous framing" grep -q "outcome=ambiguous-framing framing=several-content-length" "$TMP/main.log"
# libmicrohttpd answers a Content-Length that is no number itself, before our handler sees it
REQUESTS=$((REQUESTS + $(grep -c 'outcome=ambiguous-framing' "$TMP/main.log")))
http POST "/u/$S3" -d "List-Unsubscribe=One-Click"
is "a plain one-click POST still works" "$code $(state news s3@example.org)" "200 unsubscribed"

# --- X-Forwarded-For from a peer that is not a trusted proxy is ignored ---
A6=$(token news a6@example.org)
http POST "/u/$A6" -d "List-Unsubscribe=One-Click" -H "X-Forwarded-For: 192.0.2.55"
case $(last_event a6@example.org) in *"ip=127.0.0.1 "*) ev=yes ;; *) ev="no: $(last_event a6@example.org)" ;; esac
is "X-Forwarded-For from an untrusted peer: the peer's address is recorded" "$code $ev" "200 yes"
ok "and a warning says how to trust it" grep -q "X-Forwarded-For from 127.0.0.1 ignored" "$TMP/main.log"

# --- double opt-in confirmation: GET shows, POST confirms ---
D1=$(ctl subscribe --double offers d1@example.org)
is "optinctl subscribe --double: pending" "$(state offers d1@example.org)" pending
http GET "/c/$D1"
is "GET /c/TOKEN: 200" "$code" 200
ok "GET /c/: a confirm button naming list and address" sh -c \
    "grep -q '<input type=\"hidden\" name=\"confirm\" value=\"yes\">' '$TMP/body' &&
     grep -q '“offers” at d…@example.org' '$TMP/body'"
http GET "/c/$D1" -H "Accept-Language: ja"
ok "GET /c/ in Japanese" body_has '<button type="submit">購読を確認する</button>'
http POST "/c/$D1" -d "foo=bar"
is "POST /c/ without confirm=yes: 400" "$code" 400
is "GETs and a bad POST: still pending" "$(state offers d1@example.org)" pending
http POST "/c/$D1" -d "confirm=yes"
is "POST /c/TOKEN confirm=yes: 200" "$code" 200
ok "POST /c/: the page says so" body_has "Subscription confirmed"
is "confirmed: consent" "$(state offers d1@example.org)" consent
case $(last_event d1@example.org) in
*"confirm list=offers state=confirmed method=double"*"source=web-page ip=127.0.0.1 actor=optin-unsubd"*) ev=yes ;;
*) ev="no: $(last_event d1@example.org)" ;;
esac
is "history: confirm, source web-page, client IP" "$ev" yes
http POST "/c/$D1" -d "confirm=yes"
is "replayed confirmation: 404 (the token is used up)" "$code" 404
D2=$("$OPTINCTL" -c "$CONF" -t @1704067200 subscribe --double offers d2@example.org)
http GET "/c/$D2"
get=$code
http POST "/c/$D2" -d "confirm=yes"
is "token older than confirm_ttl: GET and POST 410" "$get $code" "410 410"
is "expired: still pending" "$(state offers d2@example.org)" pending
D3=$(ctl subscribe --double offers d3@example.org)
ctl unsubscribe offers d3@example.org > /dev/null
http GET "/c/$D3"
get=$code
http POST "/c/$D3" -d "confirm=yes"
is "unsubscribed after asking: GET and POST 409" "$get $code" "409 409"
is "and it stays unsubscribed" "$(state offers d3@example.org)" unsubscribed
http GET "/c/AAAAAAAAAAAAAAAAAAAAAA"
is "unknown confirmation token: 404" "$code" 404
http GET "/c/bad!token"
is "malformed confirmation token: 400" "$code" 400

# --- many clients at once (thread pool, one store writer at a time) ---
for i in $(seq 1 12); do
    t=$(token news "p$i@example.org")
    curl -s -o /dev/null -w '%{http_code}\n' -d "List-Unsubscribe=One-Click" \
        "http://127.0.0.1:$PORT_main/u/$t" >> "$TMP/parallel" &
done
wait_n=0
while [ "$(wc -l < "$TMP/parallel" 2> /dev/null || echo 0)" -lt 12 ] && [ $wait_n -lt 100 ]; do
    sleep 0.1; wait_n=$((wait_n + 1))
done
REQUESTS=$((REQUESTS + 12))
is "12 POSTs at once: all 200" "$(sort -u "$TMP/parallel")" 200
n=0
for i in $(seq 1 12); do [ "$(state news "p$i@example.org")" = unsubscribed ] && n=$((n + 1)); done
is "12 POSTs at once: all 12 unsubscribed" "$n" 12

# --- reload: a new key signs, SIGUSR1 makes the server know it ---
ctl keygen "$TMP/keys" > /dev/null
A7=$(token news a7@example.org)       # made with the new key, unknown to the running server
http POST "/u/$A7" -d "List-Unsubscribe=One-Click"
is "token of a key added after start: 404 before the reload" "$code" 404
kill -USR1 "$PID_main"
n=50
while ! grep -q "reload: configuration" "$TMP/main.log" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
ok "SIGUSR1: reload logged" grep -q "reload: configuration $CONF and keys $TMP/keys loaded" "$TMP/main.log"
http POST "/u/$A7" -d "List-Unsubscribe=One-Click"
is "after the reload: 200 and unsubscribed" "$code $(state news a7@example.org)" "200 unsubscribed"
http POST "/u/$A5" -d "List-Unsubscribe=One-Click"
is "tokens of the old key still work" "$code $(state news a5@example.org)" "200 unsubscribed"
printf 'database = "%s/db";\nbogus_key = 1;\n' "$TMP" > "$TMP/bad.conf"
cp "$CONF" "$TMP/conf.good" && cp "$TMP/bad.conf" "$CONF"
kill -USR1 "$PID_main"
n=50
while ! grep -q "refused, keeping" "$TMP/main.log" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
cp "$TMP/conf.good" "$CONF"
ok "a broken configuration on reload is refused, the running one kept" \
    grep -q "reload: $CONF refused, keeping the running configuration" "$TMP/main.log"
A8=$(token news a8@example.org)
http GET "/u/$A8"
is "still serving after the refused reload" "$code" 200

# --- what held for every answer ---
ok "no redirect status, ever ($REQUESTS requests)" sh -c "! grep -q '^3' '$TMP/statuses'"
ok "no Set-Cookie, ever" sh -c "! grep -i -q '^set-cookie' '$TMP/all.headers'"
ok "every answer has the Content-Security-Policy" sh -c \
    "[ \$(grep -c -i '^HTTP/' '$TMP/all.headers') -eq \$(grep -c -i '^content-security-policy: default-src' '$TMP/all.headers') ]"
stop_server main
is "SIGTERM: clean stop (exit status 0)" "$STOP_RC" 0
ok "SIGTERM: \"stopped\" logged" grep -q "optin-unsubd: stopped" "$TMP/main.log"
logged=$(grep -c " client=.* status=" "$TMP/main.log")
is "every request logged once ($REQUESTS)" "$logged" "$REQUESTS"
ok "the log never holds a whole token" sh -c "! grep -F -q -e '$A1' -e '$A2' -e '$D1' '$TMP/main.log'"
ok "the log has client, method, shortened path, status and outcome" grep -E -q \
    "client=127\.0\.0\.1 method=POST path=/u/$(printf '%s' "$A1" | cut -c1-8)\.\.\. status=200 outcome=unsubscribed list=news source=one-click" \
    "$TMP/main.log"

# --- the rate limit, per client behind a trusted proxy ---
sec=$(date +%S)
sec=${sec#0}
[ "$sec" -ge 50 ] && sleep $((61 - sec))       # all of it inside one calendar minute
start rate --rate 5 --trusted-proxy 127.0.0.1
X1=$(token news x1@example.org)
codes=
for i in 1 2 3 4 5 6 7; do
    codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.9, 198.51.100.7' \
        "http://127.0.0.1:$PORT_rate/u/$X1")"
done
is "--rate 5: the 6th request of a client in a minute gets 429" "$codes" " 200 200 200 200 200 429 429"
curl -s -o /dev/null -D "$TMP/rate.headers" -H 'X-Forwarded-For: 198.51.100.7' "http://127.0.0.1:$PORT_rate/u/$X1"
retry=$(tr -d '\r' < "$TMP/rate.headers" | sed -n 's/^Retry-After: //Ip')
ok "429 has Retry-After (1 to 60 s): $retry" sh -c "[ '$retry' -ge 1 ] && [ '$retry' -le 60 ]"
X2=$(token news x2@example.org)
code=$(curl -s -o /dev/null -w '%{http_code}' -d "List-Unsubscribe=One-Click" \
    -H 'X-Forwarded-For: 198.51.100.8' "http://127.0.0.1:$PORT_rate/u/$X2")
is "another client (X-Forwarded-For) is not limited" "$code $(state news x2@example.org)" "200 unsubscribed"
case $(last_event x2@example.org) in *"ip=198.51.100.8 "*) ev=yes ;; *) ev="no: $(last_event x2@example.org)" ;; esac
is "behind a trusted proxy the X-Forwarded-For client is recorded" "$ev" yes
code=$(curl -s -o /dev/null -w '%{http_code}' -d "List-Unsubscribe=One-Click" \
    -H 'X-Forwarded-For: 198.51.100.7' "http://127.0.0.1:$PORT_rate/u/${X1}AAAA")
is "a limited client's POST with a bad token is refused (429)" "$code" 429
code=$(curl -s -o /dev/null -w '%{http_code}' -d "List-Unsubscribe=One-Click" \
    -H 'X-Forwarded-For: 198.51.100.7' "http://127.0.0.1:$PORT_rate/u/$X1")
is "but its one-click POST with a genuine token is never turned away" \
    "$code $(state news x1@example.org)" "200 unsubscribed"
stop_server rate
is "rate server: clean stop" "$STOP_RC" 0

# --- -u: as root, bind first, then run as the user (who must own store and key file) ---
if [ "$(id -u)" = 0 ] && id nobody > /dev/null 2>&1; then
    mkdir "$TMP/u"
    sed "s|$TMP/db|$TMP/u/db|; s|$TMP/keys|$TMP/u/keys|" "$CONF" > "$TMP/u/conf"
    "$OPTINCTL" -c "$TMP/u/conf" keygen "$TMP/u/keys" > /dev/null
    "$OPTINCTL" -c "$TMP/u/conf" init > /dev/null
    "$OPTINCTL" -c "$TMP/u/conf" subscribe news u1@example.org > /dev/null
    chmod 755 "$TMP"
    chown -R nobody "$TMP/u"
    CONF_SAVED=$CONF CONF=$TMP/u/conf
    start user -u nobody
    uid=$(awk '/^Uid:/ { print $2 "/" $3 }' "/proc/$PID_user/status")
    is "-u nobody: runs as nobody (real/effective uid)" "$uid" "$(id -u nobody)/$(id -u nobody)"
    t=$(token news u1@example.org)
    code=$(curl -s -o /dev/null -w '%{http_code}' -d "List-Unsubscribe=One-Click" \
        "http://127.0.0.1:$PORT_user/u/$t")
    is "-u nobody: the store is written" "$code $(state news u1@example.org)" "200 unsubscribed"
    stop_server user
    is "-u nobody: clean stop" "$STOP_RC" 0
    CONF=$CONF_SAVED
else
    tap_n=$((tap_n + 1)); echo "ok $tap_n - -u USER # SKIP not root"
fi

# --- the command line ---
"$OPTIN_UNSUBD" -n -c "$CONF" > "$TMP/n.out" 2>&1
is "-n: configuration and key file checked, exit 0" "$?" 0
"$OPTIN_UNSUBD" -f -c "$CONF" -l 0.0.0.0:0 > "$TMP/public.out" 2>&1
rc=$?
ok "a non-loopback -l without --public: exit 64, told why ($rc)" sh -c \
    "[ $rc -eq 64 ] && grep -q 'add --public' '$TMP/public.out'"
"$OPTIN_UNSUBD" -n -c "$TMP/bad.conf" > "$TMP/bad.out" 2>&1
rc=$?
ok "-n with a bad configuration: exit 78, file:line given ($rc)" sh -c \
    "[ $rc -eq 78 ] && grep -q 'bad.conf:2' '$TMP/bad.out'"
printf '1 not-a-key\n' > "$TMP/bad.keys"; chmod 600 "$TMP/bad.keys"
sed "s|keys = \"$TMP/keys\"|keys = \"$TMP/bad.keys\"|" "$CONF" > "$TMP/badkeys.conf"
"$OPTIN_UNSUBD" -n -c "$TMP/badkeys.conf" > "$TMP/badkeys.out" 2>&1
rc=$?
is "-n with a bad key file: exit 78, FILE:LINE on a line of its own, then the summary" \
    "$rc|$(sed -n 1p "$TMP/badkeys.out" | cut -d: -f1,2)|$(sed -n 2p "$TMP/badkeys.out" | cut -c1-13)" \
    "78|$TMP/bad.keys:1|optin-unsubd:"
"$OPTIN_UNSUBD" --rate many > /dev/null 2>&1
is "--rate many: exit 64" "$?" 64
"$OPTIN_UNSUBD" --max-body 10 > /dev/null 2>&1
is "--max-body 10: exit 64" "$?" 64
"$OPTIN_UNSUBD" -V | grep -q "^optin-unsubd "
is "-V prints the version" "$?" 0
done_testing
