#!/bin/sh
# import_edge.sh - optinctl import/export: CSV syntax, validation messages,
# all-or-nothing on errors, --skip-invalid, --dry-run, opt-outs kept, stdin,
# -l LIST, long lines and the export round trip.
. "$top_srcdir/tests/lib/tap.sh"

[ -x "$OPTINCTL" ] || skip_all "optinctl not built"
mk_tmpdir
NOW=2026-06-01T00:00:00Z
DATA=$top_srcdir/tests/data

# write_conf FILE DBDIR : the two test lists
write_conf() {
    cat > "$1" <<EOF
database = "$2";
lists = ( { id = "news"; opt_in = "single"; },
          { id = "offers"; opt_in = "double"; max_consent_age = "365d"; } );
EOF
}
# ctl ARGS... : optinctl on the test store at a fixed clock
ctl() { "$OPTINCTL" -c "$TMP/conf" -t "$NOW" -a tester "$@"; }
# imp ARGS... : optinctl import; status in $rc, stderr in $TMP/err
imp() { ctl import "$@" 2>"$TMP/err"; rc=$?; }
# has TEXT : stderr of the last import contains TEXT
has() { grep -F -q -- "$1" "$TMP/err"; }
# summary : the counts of the last import's summary line
summary() { sed -n 's/^optinctl: import .*: \([0-9][0-9]* rows, added .*\)$/\1/p' "$TMP/err"; }
# counts N A U C K R S : the summary expected
counts() { echo "$1 rows, added $2, updated $3, unchanged $4, kept opt-out $5, resubscribed $6, skipped $7"; }
# snap NAME : export the store to $TMP/NAME.csv
snap() { ctl export > "$TMP/$1.csv"; }
# verdict LIST ADDRESS : the reason word of check
verdict() { ctl check "$1" "$2" 2>/dev/null; }

write_conf "$TMP/conf" "$TMP/db"
ctl init > /dev/null
is "init" "$?" 0

# --- CSV syntax: BOM, CRLF, quotes, header order and case, last line without newline ---
printf '\357\273\277Address,LIST,Source,Consented_At\r\nann@example.com,news,"web form, spring ""A""",2026-01-02\r\n\r\n  BOB@Example.COM ,news,,2026-01-03T10:00:00+09:00' > "$TMP/basic.csv"
imp "$TMP/basic.csv"
is "BOM + CRLF file imports" "$rc" 0
is "BOM + CRLF summary" "$(summary)" "$(counts 2 2 0 0 0 0 0)"
is "imported address allowed" "$(verdict news ann@example.com)" consent
is "unquoted blanks trimmed, address normalized" "$(verdict news bob@example.com)" consent
snap s1
ok "quoted comma and doubled quotes kept" grep -F -q '"web form, spring ""A"""' "$TMP/s1.csv"
ok "no source column: import:<basename>" grep -F -q '"import:basic.csv"' "$TMP/s1.csv"

printf 'STATE,list,ADDRESS,Method\npending,offers,pat@example.com,double\n' > "$TMP/order.csv"
imp "$TMP/order.csv"
is "columns in another order and case" "$rc" 0
is "state column honoured" "$(verdict offers pat@example.com)" pending

# --- header problems stop everything ---
printf 'list,state\nnews,confirmed\n' > "$TMP/noaddr.csv"
imp "$TMP/noaddr.csv"
is "missing address column: EX_DATAERR" "$rc" 65
ok "missing address column named" has "noaddr.csv:1: header: an address column"
printf 'address,state\nx@example.com,confirmed\n' > "$TMP/nolist.csv"
imp "$TMP/nolist.csv"
ok "missing list column named" has "nolist.csv:1: header: a list column"
printf 'address,list,colour\nx@example.com,news,blue\n' > "$TMP/unknown.csv"
imp "$TMP/unknown.csv"
is "unknown column: EX_DATAERR" "$rc" 65
ok "unknown column named" has "header: a column name out of address, list"
ok "unknown column value shown" has "(got 'colour')"
printf 'address,list,Address\nx@example.com,news,y@example.com\n' > "$TMP/dup.csv"
imp "$TMP/dup.csv"
ok "duplicate column refused" has "dup.csv:1: header: each column once (got 'Address')"

# --- row errors: file:line: field, nothing changed ---
snap before
imp "$DATA/import_errors.csv"
is "invalid rows: EX_DATAERR" "$rc" 65
ok "bad address at its line" has "import_errors.csv:3: address: a valid mail address"
ok "bad time at its line" has "import_errors.csv:4: consented_at: a time like"
ok "unknown list at its line" has "import_errors.csv:5: list: a list defined in the configuration (got 'nosuchlist')"
ok "bad ip at its line" has "import_errors.csv:6: ip: an IPv4 or IPv6 address (got '300.1.2.3')"
ok "multi-line record: start line, control char shown" has "import_errors.csv:7: source: UTF-8 text without control characters (got 'two\\x0alines')"
ok "field count, line after a multi-line record" has "import_errors.csv:9: record: 5 fields as in the header (got '4')"
ok "says nothing was imported" has "6 of 8 rows invalid, nothing imported"
snap after
ok "store unchanged after a refused import" cmp -s "$TMP/before.csv" "$TMP/after.csv"
is "valid row of a refused file not imported" "$(verdict news carol@example.com)" no-record

printf 'address,list,source\r\nx@example.com,news,"a\r\nb"\r\n\r\nbad\tone,news,\r\n' > "$TMP/crlf_err.csv"
imp "$TMP/crlf_err.csv"
ok "CRLF multi-line record reported at its start" has "crlf_err.csv:2: source:"
ok "CRLF line count after a multi-line record" has "crlf_err.csv:5: address: a valid mail address"
ok "tab shown as \\x09" has "(got 'bad\\x09one')"

printf 'address,list\nx@example.com,ne"ws\n' > "$TMP/quote.csv"
imp "$TMP/quote.csv"
is "stray quote: EX_DATAERR" "$rc" 65
ok "stray quote at its line" has "quote.csv:2: CSV syntax:"
printf 'address,list\nx@example.com,news\ny@example.com,"news\n\n' > "$TMP/open.csv"
imp "$TMP/open.csv"
ok "unclosed quote reported at its record" has "open.csv:3: CSV syntax: a closing quote"
: > "$TMP/empty.csv"
imp "$TMP/empty.csv"
is "empty file: EX_DATAERR" "$rc" 65
ok "empty file explained" has "a header line naming the columns"
imp "$TMP/does-not-exist.csv"
is "missing file: EX_NOINPUT" "$rc" 66
snap after2
ok "store unchanged after syntax errors" cmp -s "$TMP/before.csv" "$TMP/after2.csv"

awk 'BEGIN { print "address,list"; for (i = 1; i <= 150; i++) print "nobody" i ",news" }' > "$TMP/many.csv"
imp "$TMP/many.csv"
is "error cap: 100 printed" "$(grep -c ': address: ' "$TMP/err")" 100
ok "error cap: the rest counted" has "... and 50 more"
ok "error cap: last printed is line 101" has "many.csv:101: address:"

# --- --skip-invalid imports the rest and lists what it skipped ---
imp --skip-invalid "$DATA/import_errors.csv"
is "--skip-invalid: exit 0" "$rc" 0
is "--skip-invalid summary" "$(summary)" "$(counts 8 2 0 0 0 0 6)"
ok "--skip-invalid lists skipped lines" has "import_errors.csv:6: ip:"
is "valid row imported" "$(verdict news carol@example.com)" consent
is "valid row after the bad ones imported" "$(verdict news ivan@example.com)" consent
is "invalid row not imported" "$(verdict news frank@example.com)" no-record

# --- --dry-run ---
snap before
printf 'address,list\nnew1@example.com,news\nnew2@example.com,news\n' > "$TMP/dry.csv"
imp --dry-run "$TMP/dry.csv"
is "--dry-run: exit 0" "$rc" 0
ok "--dry-run reports counts" has "dry run: 2 rows, 2 valid, 0 invalid; nothing changed"
snap after
ok "--dry-run changes nothing" cmp -s "$TMP/before.csv" "$TMP/after.csv"
imp -n "$DATA/import_errors.csv"
is "-n on a bad file: EX_DATAERR" "$rc" 65

# --- idempotence and duplicates ---
imp "$TMP/basic.csv"
is "second import of the same file" "$(summary)" "$(counts 2 0 0 2 0 0 0)"
printf 'address,list,policy_version\njudy@example.com,news,v1\njudy@example.com,news,v2\n' > "$TMP/dups.csv"
imp "$TMP/dups.csv"
is "duplicate row: added then updated" "$(summary)" "$(counts 2 1 1 0 0 0 0)"
snap dups
ok "the later duplicate wins" grep -F -q '"judy@example.com","news","confirmed","import",,,"import:dups.csv",,"v2"' "$TMP/dups.csv"

# --- long lines ---
long=$(awk 'BEGIN { while (n++ < 10000) printf "x" }')
{
    echo "address,list,source,policy_version"
    echo "kim@example.com,news,$long,"
    echo "lee@example.com,news,,\"$(echo "$long" | tr x ',')\""
} > "$TMP/long.csv"
imp "$TMP/long.csv"
is "10,000-byte fields: EX_DATAERR, no crash" "$rc" 65
ok "long source rejected at its line" has "long.csv:2: source: at most 63 bytes"
ok "long value cut and sized" has "...', 10000 bytes)"
ok "long quoted policy_version rejected" has "long.csv:3: policy_version: at most 63 bytes"
ok "error lines stay short" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$TMP/err")" -lt 300
printf 'address,list,method,state\nmo@example.com,news,%s,%s\n' "$long" "$long" > "$TMP/longkind.csv"
imp "$TMP/longkind.csv"
ok "10,000-byte method and state refused" sh -c 'grep -q "longkind.csv:2: method: single, double or import" "$0" && grep -q "longkind.csv:2: state: pending" "$0"' "$TMP/err"
{
    echo "address,list"
    printf '%s' "$(echo "$long" | tr x ' ')"
    echo "kim@example.com,news"
} > "$TMP/blanks.csv"
imp "$TMP/blanks.csv"
is "10,000-character line, valid once blanks are trimmed" "$rc" 0
is "... and imported" "$(verdict news kim@example.com)" consent
{ echo "address,list"; printf '"'; awk 'BEGIN { while (n++ < 20000) print "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy" }'; } > "$TMP/runaway.csv"
imp "$TMP/runaway.csv"
is "runaway quoted field: EX_DATAERR" "$rc" 65
ok "runaway field stopped" has "runaway.csv:2: CSV syntax: fields shorter than 1 MiB"

# --- opt-outs are kept unless --resubscribe ---
printf 'address,list\nmallory@example.com,news\noscar@example.com,news\n' > "$TMP/optout.csv"
imp "$TMP/optout.csv"
is "opt-out candidates added" "$(summary)" "$(counts 2 2 0 0 0 0 0)"
ctl unsubscribe news mallory@example.com > /dev/null 2>&1
ctl suppress --reason bounce oscar@example.com > /dev/null 2>&1
imp "$TMP/optout.csv"
is "re-import keeps both opt-outs" "$(summary)" "$(counts 2 0 0 0 2 0 0)"
is "unsubscribed stays unsubscribed" "$(verdict news mallory@example.com)" unsubscribed
is "suppressed stays suppressed" "$(verdict news oscar@example.com)" suppressed-bounce
printf 'address,list\nmallory@example.com,news\n' > "$TMP/resub.csv"
imp --resubscribe "$TMP/resub.csv"
is "--resubscribe counted" "$(summary)" "$(counts 1 0 0 0 0 1 0)"
is "--resubscribe restores consent" "$(verdict news mallory@example.com)" consent

# --- standard input, -l LIST ---
printf 'address,list\nsid@example.com,news\n' | ctl import - 2>"$TMP/err"
is "stdin import: exit 0" "$?" 0
is "stdin import summary" "$(summary)" "$(counts 1 1 0 0 0 0 0)"
snap stdin
ok "stdin source recorded" grep -F -q '"sid@example.com","news","confirmed","import",,,"import:stdin"' "$TMP/stdin.csv"
printf 'address,confirmed_at\numa@example.com,2026-05-01\n' > "$TMP/nolistcol.csv"
imp -l offers "$TMP/nolistcol.csv"
is "-l LIST without a list column" "$rc" 0
is "-l LIST applied" "$(verdict offers uma@example.com)" consent
printf 'address,list\nvic@example.com,news\nwes@example.com,\n' > "$TMP/listcol.csv"
imp -l offers "$TMP/listcol.csv"
is "-l LIST with a different list value: EX_DATAERR" "$rc" 65
ok "-l conflict at its line" has "listcol.csv:2: list: empty or 'offers' as given with -l (got 'news')"
imp -l nosuchlist "$TMP/nolistcol.csv"
is "-l unknown list: EX_USAGE" "$rc" 64

# --- -q and the progress line ---
printf 'address,list\nquinn@example.com,news\n' > "$TMP/quiet.csv"
imp -q "$TMP/quiet.csv"
is "-q: exit 0" "$rc" 0
is "-q: nothing on stderr" "$(cat "$TMP/err")" ""
if script -qc true /dev/null > /dev/null 2>&1; then
    script -qc "\"$OPTINCTL\" -c \"$TMP/conf\" -t $NOW import -n \"$TMP/quiet.csv\"" /dev/null \
        > "$TMP/tty.out" 2>&1
    ok "progress line on a terminal" grep -q 'checking 100% .*rows/s' "$TMP/tty.out"
    ok "progress line cleared before the summary" \
        grep -q "$(printf '\r *\r')optinctl: import .*: dry run" "$TMP/tty.out"
else
    echo "ok $((tap_n += 1)) # SKIP script(1) cannot make a terminal"
fi
imp -n "$TMP/quiet.csv"
ok "no progress line when stderr is not a terminal" test "$(grep -c 'rows/s' "$TMP/err")" -eq 0

# --- usage ---
imp -x "$TMP/basic.csv"
is "bad option: EX_USAGE" "$rc" 64
imp
is "no FILE: EX_USAGE" "$rc" 64
ok "-h prints usage on stdout" sh -c '"$0" -c "$1" import -h | grep -q "^usage: optinctl .*import"' "$OPTINCTL" "$TMP/conf"

# --- export round trip ---
snap orig
ok "export to FILE" ctl export "$TMP/file.csv"
ok "FILE equals standard output" cmp -s "$TMP/orig.csv" "$TMP/file.csv"
ok "no FILE.tmp left" test ! -e "$TMP/file.csv.tmp"
ctl export -l offers > "$TMP/offers.csv"
is "export -l LIST only has that list" "$(awk -F, 'NR > 1 && $2 != "\"offers\""' "$TMP/offers.csv" | wc -l)" 0
write_conf "$TMP/conf2" "$TMP/db2"
"$OPTINCTL" -c "$TMP/conf2" init > /dev/null
"$OPTINCTL" -c "$TMP/conf2" -t "$NOW" import -q "$TMP/orig.csv"
is "export re-imports" "$?" 0
"$OPTINCTL" -c "$TMP/conf2" export > "$TMP/copy.csv"
ok "round trip: same records" cmp -s "$TMP/orig.csv" "$TMP/copy.csv"
is "round trip kept unsubscribed state" "$(grep -c unsubscribed "$TMP/copy.csv")" "$(grep -c unsubscribed "$TMP/orig.csv")"

done_testing
