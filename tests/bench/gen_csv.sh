#!/bin/sh
# gen_csv.sh - deterministic consent CSV for import tests and benchmarks
#
# usage: gen_csv.sh N [SEED]
#
# Prints a header and N rows: address user<i>@d<i%97>.example (i = 1..N,
# every (address, list) pair unique), list news or offers, consented_at
# spread over the two years before 2026-01-01 (RFC 3339, UTC). Most rows
# are method single; about 3% are double (half of them still pending, the
# others confirmed an hour to two days later) and about 3% import. About
# a third carry an IP address, a source or a policy version. The same N
# and SEED always give the same bytes (Park-Miller generator in awk, no
# locale or time zone involved).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: gen_csv.sh N [SEED]" >&2
    exit 64
fi
case $1 in ''|*[!0-9]*) echo "gen_csv.sh: N must be a number" >&2; exit 64 ;; esac
case ${2:-1} in ''|*[!0-9]*) echo "gen_csv.sh: SEED must be a number" >&2; exit 64 ;; esac

LC_ALL=C awk -v n="$1" -v seed="${2:-1}" '
# rnd - next value in [0, m) of the Park-Miller minimal standard generator
function rnd(m) {
    rng = (rng * 16807) % 2147483647
    return rng % m
}
# rfc3339 - UTC time stamp of a Unix time (days-to-civil, valid after 1970)
function rfc3339(t,    z, s, era, doe, yoe, y, doy, mp, d, m) {
    z = int(t / 86400); s = t - z * 86400
    z += 719468
    era = int(z / 146097); doe = z - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    y = yoe + era * 400
    doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
    mp = int((5 * doy + 2) / 153)
    d = doy - int((153 * mp + 2) / 5) + 1
    m = mp < 10 ? mp + 3 : mp - 9
    if (m <= 2) y++
    return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
                   int(s / 3600), int(s % 3600 / 60), s % 60)
}
BEGIN {
    rng = (seed % 2147483646) + 1
    t_end = 1767225600          # 2026-01-01T00:00:00Z
    span = 2 * 365 * 86400
    print "address,list,state,method,consented_at,confirmed_at,source,ip,policy_version"
    for (i = 1; i <= n; i++) {
        list = rnd(2) ? "offers" : "news"
        t = t_end - 1 - rnd(span)
        r = rnd(100)
        st = ""; method = "single"; confirmed = ""
        if (r < 3) {
            method = "double"
            if (rnd(2)) st = "pending"
            else confirmed = rfc3339(t + 3600 + rnd(2 * 86400 - 3600))
        } else if (r < 6) {
            method = "import"
        }
        extra = rnd(3)
        src = extra == 0 ? "web-form" : ""
        ip = extra == 1 ? (rnd(2) ? sprintf("192.0.2.%d", rnd(254) + 1) : sprintf("2001:db8::%x", rnd(65535) + 1)) : ""
        pol = extra == 2 ? "v" (rnd(3) + 1) : ""
        printf "user%d@d%d.example,%s,%s,%s,%s,%s,%s,%s,%s\n", i, i % 97, list, st, method, rfc3339(t), confirmed, src, ip, pol
    }
}'
