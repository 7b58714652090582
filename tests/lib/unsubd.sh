# unsubd.sh - start optin-unsubd for a shell test (sourced, after tap.sh)
# unsubd_start LOG ARGS... : optin-unsubd -f ARGS -l 127.0.0.1:0 in the background, its output in
# LOG; sets UNSUBD_PID and UNSUBD_PORT once it listens, bails out when it does not start
unsubd_start() {
    us_log=$1; shift
    "$OPTIN_UNSUBD" -f -l 127.0.0.1:0 "$@" > "$us_log" 2>&1 < /dev/null &
    UNSUBD_PID=$!
    UNSUBD_PORT=
    for _ in $(seq 1 100); do
        UNSUBD_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$us_log")
        [ -n "$UNSUBD_PORT" ] && return 0
        kill -0 "$UNSUBD_PID" 2> /dev/null || break
        sleep 0.05
    done
    echo "Bail out! optin-unsubd does not start"
    sed 's/^/# /' "$us_log"
    exit 1
}
