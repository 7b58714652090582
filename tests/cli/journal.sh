#!/bin/sh
# journal.sh - the journal for compliance officers, on a generated journal of known content:
# 100,000 lines over 60 days, rotated every 10,000 lines as logrotate does (compress,
# delaycompress), written through journal(3) by tests/lib/journal_gen, which also writes what it
# wrote as JSON. Checks: verify passes; a one-byte edit, a deleted line, an inserted line, a
# swapped pair, a cut start and a cut end are each found and named; report's counts (JSON, CSV,
# HTML, table) equal the generator's; queries by address (any spelling), list, verdict, reason,
# queue id and period over plain and gzip'd files; the last-send index, show, show --access;
# forget inside the one-month rule refused, after it (or forced) the address gone from every
# file and the chain still intact.
# Environment (set by make check): top_srcdir, top_builddir, OPTINCTL. By hand:
#   top_srcdir=. top_builddir=. OPTINCTL=./tools/optinctl/optinctl sh tests/cli/journal.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPTINCTL:=$top_builddir/tools/optinctl/optinctl}"
. "$top_srcdir/tests/lib/tap.sh"

GEN=$top_builddir/tests/lib/journal_gen
[ -x "$OPTINCTL" ] && [ -x "$GEN" ] || { echo "Bail out! optinctl or journal_gen is not built"; exit 1; }
command -v python3 > /dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed to read the JSON"; exit 77; }
mk_tmpdir
J=$TMP/j
mkdir "$J"

# conf DIR [EXTRA] : a configuration whose journal is DIR/journal
conf() {
    printf 'database = "%s/db";\njournal = "%s/journal";\n%s\nlists = ( { id = "news"; opt_in = "single"; }, { id = "offers"; opt_in = "single"; }, { id = "digest"; opt_in = "single"; } );\n' "$1" "$1" "${2:-}" > "$1/conf"
}
# ctl DIR ARGS... : optinctl on DIR's configuration; sets out and rc
ctl() {
    d=$1; shift
    out=$("$OPTINCTL" -c "$d/conf" "$@" 2>&1)
    rc=$?
}
# py SCRIPT ARGS... : a python3 check; its output
py() { python3 -c "$@" 2>&1; }

"$GEN" -n 100000 -d 60 -r 10000 -s 7 "$J/journal" "$TMP/summary.json"
ok "journal_gen wrote 100,000 lines" [ -s "$TMP/summary.json" ]
conf "$J"
is "ten files: the journal, journal.1 and eight gzip'd" "$(cd "$J" && ls journal journal.[0-9]* | tr '\n' ' ')" \
    "journal journal.1 journal.2.gz journal.3.gz journal.4.gz journal.5.gz journal.6.gz journal.7.gz journal.8.gz journal.9.gz "

ctl "$J" journal verify
is "verify: exit 0" "$rc" 0
is "verify: the whole chain" "$out" "100000 lines in 10 files, seq 1 to 100000, 0 redacted, 0 not journal lines: chain intact"

# ---- tampering: each on a copy ----
# tamper NAME : a copy of the journal in $TMP/NAME, configured
tamper() { rm -rf "${TMP:?}/$1"; cp -a "$J" "$TMP/$1"; conf "$TMP/$1"; T=$TMP/$1; }
# gz_edit FILE PYTHON : rewrite a gzip'd file through a python expression on its lines (list L)
gz_edit() {
    python3 - "$1" "$2" <<'EOF'
import gzip, sys
path, expr = sys.argv[1], sys.argv[2]
L = gzip.open(path, "rb").read().split(b"\n")[:-1]
exec(expr)
gzip.open(path, "wb").write(b"".join(l + b"\n" for l in L))
EOF
}
# plain_edit FILE PYTHON : the same for a plain file
plain_edit() {
    python3 - "$1" "$2" <<'EOF'
import sys
path, expr = sys.argv[1], sys.argv[2]
L = open(path, "rb").read().split(b"\n")[:-1]
exec(expr)
open(path, "wb").write(b"".join(l + b"\n" for l in L))
EOF
}

tamper edit
gz_edit "$T/journal.5.gz" 'L[1234] = L[1234].replace(b"bounces@lists.example", b"bounces@lists.exampld", 1)'
ctl "$T" journal verify
is "a one-byte edit in a gzip'd file: exit 1" "$rc" 1
ok "... named: file, line, edited" sh -c 'printf "%s\n" "$1" | grep -q "journal.5.gz:1235: seq [0-9]*: edited"' - "$out"
ok "... and the summary says the chain is broken" sh -c 'printf "%s\n" "$1" | grep -q "CHAIN BROKEN"' - "$out"

tamper delete
plain_edit "$T/journal.1" 'del L[500]'
ctl "$T" journal verify
is "a deleted line: exit 1" "$rc" 1
ok "... named: 1 line missing before the next one" \
    sh -c 'printf "%s\n" "$1" | grep -q "journal.1:501: seq [0-9]*: 1 line missing before it"' - "$out"

tamper insert
plain_edit "$T/journal" 'L.insert(300, L[100])'
ctl "$T" journal verify
is "an inserted line (a copy of another): exit 1" "$rc" 1
ok "... named: inserted or out of order" \
    sh -c 'printf "%s\n" "$1" | grep -q "journal:301: seq [0-9]*: inserted or out of order"' - "$out"

tamper swap
gz_edit "$T/journal.3.gz" 'L[10], L[11] = L[11], L[10]'
ctl "$T" journal verify
is "a swapped pair: exit 1" "$rc" 1
ok "... named at the first of the two" sh -c 'printf "%s\n" "$1" | grep -q "journal.3.gz:11: seq [0-9]*: 1 line missing before it"' - "$out"

tamper head
gz_edit "$T/journal.9.gz" 'del L[0]'
ctl "$T" journal verify
is "the oldest file's first line removed: exit 1" "$rc" 1
ok "... named: the chain's start is missing" sh -c 'printf "%s\n" "$1" | grep -q "chain.s start is missing"' - "$out"

tamper tail
plain_edit "$T/journal" 'del L[-3:]'
ctl "$T" journal verify
is "the last three lines removed: exit 1" "$rc" 1
ok "... named by the head file: lines missing at the end" \
    sh -c 'printf "%s\n" "$1" | grep -q "journal.head:1: seq 100000: the head file names a later line than the journal.s last (seq 99997)"' - "$out"

tamper files
ctl "$T" journal verify "$T/journal.2.gz" "$T/journal.4.gz"
is "a file left out between two: exit 1" "$rc" 1
ok "... named: this file does not continue the one before it" \
    sh -c 'printf "%s\n" "$1" | grep -q "journal.4.gz:1: seq [0-9]*: this file does not continue"' - "$out"
ctl "$T" journal verify "$T/journal.3.gz" "$T/journal.2.gz"
is "two files in their order, given by hand: exit 0" "$rc" 0

# ---- reports ----
ctl "$J" report --format json -o "$TMP/report.json"
is "report --format json: exit 0" "$rc" 0
is "report JSON: every count equals the generator's" "$(py '
import json, sys
s = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
days = {d["date"] + " " + v: n for d in r["days"] for v, n in d["verdicts"].items()}
lists = {l["list"]: l for l in r["lists"]}
bad = []
if r["lines"] != s["lines"]: bad.append("lines")
if r["totals"]["verdicts"] != s["verdict"]: bad.append("verdicts")
if r["totals"]["reasons"] != s["reason"]: bad.append("reasons")
if days != s["day_verdict"]: bad.append("days")
for k in ("delivered", "complaints", "hard_bounces"):
    if {l: lists[l][k] for l in lists} != s[k]: bad.append(k)
for l in lists.values():
    if abs(l["complaint_rate"] - l["complaints"] / l["delivered"]) > 1e-12: bad.append("rate")
    if l["over_limit"] != (l["complaints"] / l["delivered"] > 0.003): bad.append("limit")
top = max(s["refused"].values())
if r["repeated_refusals"][0]["refusals"] != top: bad.append("repeated")
print(" ".join(bad) or "same")' "$TMP/summary.json" "$TMP/report.json")" same

ctl "$J" report --format html -o "$TMP/report.html"
is "report --format html: exit 0" "$rc" 0
is "report HTML: parses; its tables show the generator's figures; self-contained" "$(py '
import json, sys
from html.parser import HTMLParser
s = json.load(open(sys.argv[1]))
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.tables = {}; self.cur = None; self.row = None; self.cell = None
        self.ids = {}; self.span = None; self.tags = set(); self.external = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); self.tags.add(tag)
        for k in ("src", "href"):
            if k in a: self.external.append(a[k])
        if tag == "table": self.cur = a.get("id"); self.tables[self.cur] = []
        elif tag == "tr": self.row = []
        elif tag in ("td", "th"): self.cell = ""
        elif tag == "span": self.span = a.get("id"); self.ids[self.span] = ""
    def handle_endtag(self, tag):
        if tag in ("td", "th"): self.row.append(self.cell); self.cell = None
        elif tag == "tr": self.tables[self.cur].append(self.row)
        elif tag == "span": self.span = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
        if self.span: self.ids[self.span] += d
p = P(); p.feed(open(sys.argv[2]).read()); p.close()
bad = []
if {r[0]: int(r[1]) for r in p.tables["verdicts"][1:]} != s["verdict"]: bad.append("verdicts")
if {r[0]: int(r[1]) for r in p.tables["reasons"][1:]} != s["reason"]: bad.append("reasons")
if {r[0]: int(r[1]) for r in p.tables["lists"][1:]} != s["delivered"]: bad.append("delivered")
if {r[0]: int(r[2]) for r in p.tables["lists"][1:]} != s["complaints"]: bad.append("complaints")
if int(p.ids.get("lines", "0")) != s["lines"]: bad.append("lines")
if "svg" not in p.tags: bad.append("no chart")
if "script" in p.tags or p.external: bad.append("external or script")
print(" ".join(bad) or "same")' "$TMP/summary.json" "$TMP/report.html")" same
ok "report HTML: A4 print rules" grep -q "@page{size:A4" "$TMP/report.html"

ctl "$J" report --format csv
is "report CSV: the totals equal the generator's" "$(printf '%s\n' "$out" | py '
import csv, json, sys
s = json.load(open(sys.argv[1]))
rows = [r for r in csv.DictReader(sys.stdin) if r["section"] == "total" and r["verdict"]]
print("same" if {r["verdict"]: int(r["count"]) for r in rows} == s["verdict"] else "differ")' "$TMP/summary.json")" same
ctl "$J" report
ok "report (table): the verdicts and the 0.3% line" sh -c 'printf "%s\n" "$1" | grep -q "OVER 0.3%" && printf "%s\n" "$1" | grep -q "^  accept  *[0-9]"' - "$out"

ctl "$J" report --since 2026-01-10 --until 2026-01-20 --format json -o "$TMP/period.json"
is "report over ten days: the lines of those days only" "$(py '
import json, sys
s = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
want = sum(n for k, n in s["day_verdict"].items() if "2026-01-10" <= k[:10] < "2026-01-20")
print("same" if r["lines"] == want and len(r["days"]) == 10 else "%d %d" % (r["lines"], want))' "$TMP/summary.json" "$TMP/period.json")" same
ctl "$J" report -l news --format json -o "$TMP/news.json"
is "report -l news: news's lines only" "$(py '
import json, sys
s = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
want = sum(n for k, n in s["list_verdict"].items() if k.startswith("news "))
print("same" if r["lines"] == want and [l["list"] for l in r["lists"]] == ["news"] else "differ")' "$TMP/summary.json" "$TMP/news.json")" same

# ---- queries ----
want_user=$(py '
import gzip, glob, sys, json
n = 0
for f in glob.glob(sys.argv[1] + "/journal*"):
    if f.endswith(".head"): continue
    op = gzip.open if f.endswith(".gz") else open
    for l in op(f, "rb"):
        if json.loads(l).get("recipient") == "user007@example.org": n += 1
print(n)' "$J")
ctl "$J" journal --address "<USER007@EXAMPLE.org>"
is "journal --address in another spelling: every line of that address, all files" \
    "$(printf '%s\n' "$out" | grep -c ' user007@example.org$')" "$want_user"
ctl "$J" journal -V strip
is "journal -V strip: as many as the generator wrote" "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" \
    "$(py 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"]["strip"])' "$TMP/summary.json")"
ctl "$J" journal -l news -V accept --json
is "journal -l news -V accept --json: JSON lines, as many as the generator wrote" \
    "$(printf '%s\n' "$out" | py 'import sys, json; print(sum(1 for l in sys.stdin if json.loads(l)["list"] == "news"))')" \
    "$(py 'import json,sys; print(json.load(open(sys.argv[1]))["list_verdict"]["news accept"])' "$TMP/summary.json")"
ctl "$J" journal -r complaint --since 2026-02-01 --until 2026-02-02
ok "journal -r complaint over one day: lines of that day only" \
    sh -c '[ -n "$1" ] && ! printf "%s\n" "$1" | grep -v "^2026-02-01T"' - "$out"
ctl "$J" journal -q Q0000ABCD
is "journal -q: one queue id, one line" "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1
ctl "$J" journal -a nobody@example.org
is "journal: nothing matched, exit 1" "$rc" 1
ctl "$J" journal -a "not an address"
is "journal --address with a bad address: exit 65" "$rc" 65
ctl "$J" journal --since yesterday
is "journal --since with a bad time: exit 65" "$rc" 65

# ---- last sends, show, forget ----
ctl "$J" init
ctl "$J" journal index
is "journal index: every line the first time" "$out" "indexed 100000 journal lines"
ctl "$J" journal index
is "journal index: nothing new the second time" "$out" "indexed 0 journal lines"
# the README's commands for compliance officers, as written (optinctl with this configuration)
awk '/^The commands a compliance officer uses/ { f = 1 } f && /^```sh$/ { g = 1; next }
     g && /^```$/ { exit } g' "$top_srcdir/README.md" | sed 's/ *#.*$//' > "$TMP/readme.cmds"
is "README: nine commands for compliance officers found" "$(wc -l < "$TMP/readme.cmds" | tr -d ' ')" 9
while IFS= read -r cmd; do
    args=${cmd#optinctl }
    # shellcheck disable=SC2086
    (cd "$TMP" && eval "\"\$OPTINCTL\" -c \"\$J/conf\" $args" > "$TMP/readme.out" 2>&1)
    rc=$?
    case $args in
    "journal verify"*|report*|"journal index") want=0 ;;
    *) want="0 or 1" ;;                 # 1: no line (or nothing) about that example address
    esac
    case "$want:$rc" in
    0:0|"0 or 1:0"|"0 or 1:1") res=ok ;;
    *) res="exit $rc: $(head -c 300 "$TMP/readme.out")" ;;
    esac
    is "README runs: $cmd" "$res" ok
done < "$TMP/readme.cmds"
ok "README: the HTML report was written where it says" [ -s "$TMP/report-2026-01.html" ]

last_news=$(py '
import gzip, glob, sys, json
best = ""
for f in glob.glob(sys.argv[1] + "/journal*"):
    if f.endswith(".head"): continue
    op = gzip.open if f.endswith(".gz") else open
    for l in op(f, "rb"):
        o = json.loads(l)
        if o.get("recipient") == "user007@example.org" and o.get("list") == "news" and o["verdict"] == "accept":
            best = max(best, o["time"])
print(best)' "$J")
ctl "$J" show user007@example.org
ok "show: the last send to news from the journal index" \
    sh -c 'printf "%s\n" "$1" | grep -q "^  news $2 queue_id=Q"' - "$out" "$last_news"
ok "show: until when the records must be kept" sh -c 'printf "%s\n" "$1" | grep -q "^keep the consent records until 2026-0[34]-"' - "$out"
ctl "$J" show --access user007@example.org
is "show --access: one JSON document with every journal line of the address" \
    "$(printf '%s\n' "$out" | py 'import sys, json; d = json.load(sys.stdin); print(len(d["journal"]), len(d["last_sends"]), "kept_elsewhere" in d)')" \
    "$want_user 3 True"

# opt-outs in the store: the report names the last mail after each, beside 2 and 10 business days
ctl "$J" -t 2026-01-20T00:00:00Z unsubscribe news user020@example.org
ctl "$J" -t 2026-03-05T00:00:00Z unsubscribe news user021@example.org
ctl "$J" report --since 2026-01-01 --format json -o "$TMP/optouts.json"
is "report: each opt-out with the last mail to that address on that list after it" "$(py '
import gzip, glob, json, sys
r = json.load(open(sys.argv[1]))
o = {x["address"]: x for x in r["optouts"]}
last = ""
for f in glob.glob(sys.argv[2] + "/journal*"):
    if f.endswith(".head"): continue
    for l in (gzip.open if f.endswith(".gz") else open)(f, "rb"):
        e = json.loads(l)
        if e.get("recipient") == "user020@example.org" and e.get("list") == "news" and e["verdict"] == "accept" \
           and e["time"] > "2026-01-20T00:00:00Z":
            last = max(last, e["time"])
a, b = o["user020@example.org"], o["user021@example.org"]
print(a["last_send_after"] == last, a["over_2_days"], a["over_10_business_days"],
      b["last_send_after"], b["over_2_days"], r["optouts_known"])' "$TMP/optouts.json" "$J")" "True True True None False True"
ctl "$J" report --since 2026-01-01
ok "report (table): the late opt-out flagged" sh -c 'printf "%s\n" "$1" | grep -q "user020@example.org .*OVER 2 DAYS  OVER 10 BUSINESS DAYS"' - "$out"

ctl "$J" -t 2026-03-05T00:00:00Z forget --yes user007@example.org
is "forget inside a month of the last mail: refused, exit 77" "$rc" 77
ok "... saying until when" sh -c 'printf "%s\n" "$1" | grep -q "must be kept until 2026-0[34]-.*--force erases them anyway"' - "$out"
ctl "$J" journal -a user007@example.org
ok "... and the journal still names it" [ "$rc" -eq 0 ]
ctl "$J" -t 2026-06-01T00:00:00Z forget --yes user007@example.org
is "forget after the month: done, every line redacted" "$out" \
    "forgotten user007@example.org: records and history erased, kept suppressed by keyed hash; $want_user journal lines redacted in 10 files"
ctl "$J" journal -a user007@example.org
is "the address is in no journal line any more" "$rc" 1
ok "... not even in the gzip'd files' bytes" sh -c '! zgrep -qi "user007@example" "$1"/journal*' - "$J"
ctl "$J" journal verify
is "verify after the erasure: the chain is intact" "$out" \
    "100000 lines in 10 files, seq 1 to 100000, $want_user redacted, 0 not journal lines: chain intact"
ctl "$J" show user007@example.org
ok "show after forget: no last sends" sh -c 'printf "%s\n" "$1" | grep -q "^last sends: none"' - "$out"
ctl "$J" -t 2026-03-05T00:00:00Z forget --yes --force user008@example.org
is "forget --force inside the month: done" "$rc" 0
ctl "$J" journal verify
ok "verify after a second erasure: intact" sh -c 'printf "%s\n" "$1" | grep -q "chain intact"' - "$out"

# ---- purge: retention 31d at 2026-03-10, cutoff 2026-02-07 ----
conf "$J" 'retention = "7d";'
ctl "$J" purge
is "retention under 31 days: a configuration error (exit 78)" "$rc" 78
ok "... naming the Japanese act's month" sh -c 'printf "%s\n" "$1" | grep -q "retention: expected 0 .* or at least 31d"' - "$out"
conf "$J" 'retention = "31d";'
ctl "$J" -t 2025-01-01 subscribe news old@example.org
ctl "$J" -t 2025-02-01 unsubscribe news old@example.org
ctl "$J" -t 2025-01-01 subscribe news keep@example.org
ctl "$J" -t 2025-01-01 unsubscribe news user010@example.org
# an import's rows keep their events in their records (history.c): purged like the others
printf 'address,list,state\nimp-gone@example.org,news,unsubscribed\nimp-kept@example.org,news,\nimp-both@example.org,news,unsubscribed\n' > "$TMP/old.csv"
ctl "$J" -t 2025-01-01 import "$TMP/old.csv"
# ... and an address with old events in both places is counted once
ctl "$J" -t 2025-01-02 suppress --reason manual imp-both@example.org
ctl "$J" -t 2025-01-03 unsuppress imp-both@example.org
ctl "$J" -t 2026-03-10 purge --dry-run
is "purge --dry-run: what would go" "$out" \
    "purge --dry-run: older than 2026-02-07T00:00:00Z: 6 journal files, 6 history events of 3 addresses, 0 last-send entries would be removed"
is "... and nothing went" "$(ls "$J" | grep -c '^journal\.[0-9]')" 9
ctl "$J" -t 2026-03-10 purge
is "purge: the old files and the history of an address without consent, not mailed for a month" "$out" \
    "purge: older than 2026-02-07T00:00:00Z: 6 journal files, 6 history events of 3 addresses, 0 last-send entries removed"
is "the six oldest files are gone" "$(cd "$J" && ls journal journal.[0-9]* | tr '\n' ' ')" "journal journal.1 journal.2.gz journal.3.gz "
ctl "$J" journal verify
ok "verify after the purge: the files left are one intact chain" \
    sh -c 'printf "%s\n" "$1" | grep -q "^40000 lines in 4 files, seq 60001 to 100000, .*chain intact$"' - "$out"
ctl "$J" show old@example.org
ok "the history of the address without consent is gone" sh -c 'printf "%s\n" "$1" | grep -q "^history: none"' - "$out"
ctl "$J" show imp-gone@example.org
ok "an imported opt-out's old event is gone, its record stays" \
    sh -c 'printf "%s\n" "$1" | grep -q "^history: none" && printf "%s\n" "$1" | grep -q "news.*unsubscribed"' - "$out"
ctl "$J" show imp-kept@example.org
ok "an imported consent still relied on keeps its import event" \
    sh -c 'printf "%s\n" "$1" | grep -q "2025-01-01T00:00:00Z import list=news"' - "$out"
ctl "$J" show keep@example.org
ok "the proof of a consent still relied on stays, however old" \
    sh -c 'printf "%s\n" "$1" | grep -q "2025-01-01T00:00:00Z subscribe list=news"' - "$out"
ctl "$J" show user010@example.org
ok "an address mailed in the last month keeps its history (Japan's one month)" \
    sh -c 'printf "%s\n" "$1" | grep -q "2025-01-01T00:00:00Z unsubscribe list=news"' - "$out"

# a journal configured whose folder does not exist yet (the milter never ran): nothing to index
# or redact, and forget is not held up by it
mkdir "$TMP/none"
printf 'database = "%s/db";\njournal = "%s/nodir/journal";\nlists = ( { id = "news"; opt_in = "single"; } );\n' \
    "$TMP/none" "$TMP/none" > "$TMP/none/conf"
ctl "$TMP/none" init
ctl "$TMP/none" subscribe news a@example.org
ctl "$TMP/none" journal index
is "no journal folder yet: journal index indexes nothing" "$rc $out" "0 indexed 0 journal lines"
ctl "$TMP/none" forget --yes a@example.org
is "no journal folder yet: forget erases the store and redacts nothing" "$rc" 0

done_testing
