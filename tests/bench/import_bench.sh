#!/bin/sh
# import_bench.sh - time and memory of optinctl import, then verdicts on the result
#
# usage: [OPTINCTL=path] import_bench.sh [N...]     (default N: 10000 100000 1000000)
#
# Builds nothing: uses $OPTINCTL or ./tools/optinctl/optinctl. For each N it generates
# N rows with gen_csv.sh (seed 1), imports them into a fresh store and prints
# rows, seconds, rows/s, the peak RssAnon and VmHWM sampled every 0.05 s,
# and the size of the store. Then it checks a consented, a pending, an
# unsubscribed, a suppressed, an expired and an unknown address and prints
# each answer against the expected one. Exit status 1 if any import failed
# or any answer was wrong. Where postmap(1) has lmdb (Debian's postfix-lmdb), the same
# addresses go through `postmap lmdb:` too (value "OK", a private main.cf) and its time and
# size are printed beside ours, with the ratios issue 14 sets (time <= 1.0, size <= 2.5).
set -u

OPTINCTL=${OPTINCTL:-./tools/optinctl/optinctl}
here=$(cd "$(dirname "$0")" && pwd)
NOW=2026-01-02T00:00:00Z
FAR=2040-01-01T00:00:00Z
[ -x "$OPTINCTL" ] || { echo "import_bench.sh: $OPTINCTL not found (set OPTINCTL)" >&2; exit 2; }
[ $# -gt 0 ] || set -- 10000 100000 1000000

work=$(mktemp -d "${TMPDIR:-/tmp}/optin-bench.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
failed=0

# ctl ARGS... : optinctl on the benchmark store
ctl() { "$OPTINCTL" -c "$work/conf" -a bench "$@"; }
# now_s : wall clock in seconds with fractions
now_s() { date +%s.%N; }
# pick AWK-CONDITION [FIELD] : a field (default 1, the address) of the first generated row matching
# (columns: 1 address, 2 list, 3 state, 4 method, 5 consented_at, 6 confirmed_at)
pick() { awk -F, -v f="${2:-1}" "NR > 1 && ($1) { print \$f; exit }" "$work/rows.csv"; }
# expect WHAT WANT [-t TIME] LIST ADDRESS : run check and compare its answer
expect() {
    what=$1 want=$2
    shift 2
    got=$(ctl "$@" 2>/dev/null)
    got=${got:-"(nothing)"}
    if [ "$got" = "$want" ]; then verdict=ok; else verdict=WRONG; failed=1; fi
    printf '  %-13s %-40s %-18s expected %-18s %s\n' "$what" "$(eval echo "\${$#}")" "$got" "$want" "$verdict"
}
# sampled_import FILE : import with RssAnon and VmHWM sampled; sets rc, anon, hwm, secs
sampled_import() {
    t0=$(now_s)
    "$OPTINCTL" -c "$work/conf" -t "$NOW" -a bench import -q "$1" 2>"$work/err" &
    pid=$!
    anon=0 hwm=0
    while kill -0 "$pid" 2>/dev/null; do
        set -- $(awk '/^RssAnon:/ { a = $2 } /^VmHWM:/ { h = $2 } END { print a + 0, h + 0 }' \
                 "/proc/$pid/status" 2>/dev/null) 0 0
        [ "$1" -gt "$anon" ] && anon=$1
        [ "$2" -gt "$hwm" ] && hwm=$2
        sleep 0.05
    done
    wait "$pid"
    rc=$?
    secs=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }')
}

# postmap_beside N : postmap lmdb: of the same addresses, its time and size beside the import's
postmap_beside() {
    command -v postmap > /dev/null 2>&1 && [ -f /etc/postfix/dynamicmaps.cf.d/lmdb ] \
        || grep -qs '^lmdb' /etc/postfix/dynamicmaps.cf || { echo "  postmap: no lmdb support (postfix-lmdb), not compared"; return; }
    mkdir -p "$work/pf" && : > "$work/pf/main.cf"
    awk -F, 'NR > 1 { print $1, "OK" }' "$work/rows.csv" > "$work/map"
    t0=$(now_s)
    postmap -c "$work/pf" "lmdb:$work/map" 2> "$work/err" || { echo "  postmap failed:"; cat "$work/err"; return; }
    psecs=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }')
    pkb=$(du -k "$work/map.lmdb" | cut -f1)
    echo "  postmap lmdb: $psecs s, $pkb kB; import/postmap: time $(awk -v a="$secs" -v b="$psecs" 'BEGIN { printf "%.2f", a / b }')" \
         "(target <= 1.0), size $(awk -v a="$1" -v b="$pkb" -v d="$db_kb" 'BEGIN { printf "%.2f", d / b }') (target <= 2.5)"
    rm -f "$work/map" "$work/map.lmdb"
}

printf '%-9s %8s %10s %14s %12s %10s\n' rows seconds rows/s peak_anon_kB peak_hwm_kB db_kB
for n in "$@"; do
    rm -rf "$work/db" "$work/rows.csv"
    cat > "$work/conf" <<EOF
database = "$work/db";
lists = ( { id = "news"; opt_in = "single"; },
          { id = "offers"; opt_in = "double"; max_consent_age = "365d"; } );
EOF
    ctl init > /dev/null || { echo "init failed" >&2; exit 1; }
    sh "$here/gen_csv.sh" "$n" 1 > "$work/rows.csv"
    sampled_import "$work/rows.csv"
    if [ "$rc" -ne 0 ]; then
        echo "import of $n rows failed (exit $rc):" >&2
        cat "$work/err" >&2
        failed=1
        continue
    fi
    db_kb=$(du -sk "$work/db" | cut -f1)
    printf '%-9s %8s %10s %14s %12s %10s\n' "$n" "$secs" \
        "$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')" "$anon" "$hwm" "$db_kb"
    postmap_beside "$n"

    gone=$(pick '$2 == "news" && $3 == "" && NR > 10')
    bounced=$(pick '$2 == "news" && $3 == "" && NR > 20')
    ctl -t "$NOW" unsubscribe news "$gone" > /dev/null 2>&1
    ctl -t "$NOW" suppress --reason bounce "$bounced" > /dev/null 2>&1
    expect consented consent -t "$NOW" check news "$(pick '$2 == "news" && $3 == ""')"
    expect pending pending -t "$NOW" check "$(pick '$3 == "pending"' 2)" "$(pick '$3 == "pending"')"
    expect unsubscribed unsubscribed -t "$NOW" check news "$gone"
    expect suppressed suppressed-bounce -t "$NOW" check news "$bounced"
    expect expired expired -t "$FAR" check offers "$(pick '$2 == "offers" && $6 != ""')"
    expect unknown no-record -t "$NOW" check news "user$((n + 1))@d0.example"
done
exit $failed
