#!/bin/sh
# feedback_corpus.sh - optinctl feedback --dry-run --json on every report of
# tests/data/feedback/corpus, compared with corpus/expected.tsv (file, kind, recipient, family,
# format): one point per line, failing on any disagreement, then a table of agreement.
#
# The reports carry placeholders (@RCPT@, @TOKEN@, @MSGID@) filled here: the recipient of the
# line (or someone@example.org where it says "-") and a token made now for it on list news.
# The configured store does not exist: a dry run must not need one. Needs python3 for JSON.
# Environment (set by make check): top_srcdir, top_builddir, OPTINCTL.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPTINCTL:=$top_builddir/tools/optinctl/optinctl}"
. "$top_srcdir/tests/lib/tap.sh"

[ -x "$OPTINCTL" ] || { echo "Bail out! $OPTINCTL is not built"; exit 1; }
command -v python3 > /dev/null || { echo "1..0 # SKIP python3 is not installed"; exit 0; }
mk_tmpdir
CORPUS=$top_srcdir/tests/data/feedback/corpus
cat > "$TMP/conf" <<EOF
database = "$TMP/no-such-store"; keys = "$TMP/keys"; log_target = "stderr";
unsubscribe_url = "https://u.lists.example/u/"; unsubscribe_mailto = "unsubscribe@lists.example";
lists = ( { id = "news"; opt_in = "single"; match = { list_id = [ "news.lists.example" ]; }; } );
EOF
"$OPTINCTL" -c "$TMP/conf" keygen "$TMP/keys" > /dev/null 2>&1 || { echo "Bail out! keygen"; exit 1; }

# verdict JSONFILE RCPT : "kind family format disposition" of the recipient (or of the report)
verdict() {
    python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = sys.argv[2]
kind = "-"
if r.get("unusable"):
    kind = "unusable"
elif r.get("auth_failure_domain"):
    kind = "auth-failure" if r["auth_failure_domain"] == want else "wrong-domain"
elif want == "-":
    kind = "ignored" if not r["recipients"] else "acted:" + ",".join(x["kind"] for x in r["recipients"])
else:
    kind = next((x["kind"] for x in r["recipients"] if x["acted_on"] == want), "missing")
print(kind, r.get("family") or "-", r["format"], r["disposition"])
PY
}

total=0 agree=0
printf '%s\n' "# file | kind want/got | family want/got | format want/got" > "$TMP/table"
while IFS="$(printf '\t')" read -r file kind rcpt family format; do
    case $file in '#'*|'') continue ;; esac
    addr=$rcpt
    [ "$addr" = - ] || [ "$kind" = auth-failure ] && addr=someone@example.org
    tok=$("$OPTINCTL" -c "$TMP/conf" token news "$addr" 2> /dev/null)
    sed -e "s/@TOKEN@/$tok/g" -e "s/@RCPT@/$addr/g" -e "s/@MSGID@/corpus.$file/g" \
        "$CORPUS/$file" > "$TMP/msg"
    "$OPTINCTL" -c "$TMP/conf" -t @1756800000 feedback --dry-run --json < "$TMP/msg" \
        > "$TMP/out.json" 2> "$TMP/err"
    rc=$?
    set -- $(verdict "$TMP/out.json" "$rcpt" 2> /dev/null)
    got_kind=${1:-?} got_family=${2:-?} got_format=${3:-?}
    total=$((total + 1))
    if [ "$rc" = 0 ] && [ "$got_kind" = "$kind" ] && [ "$got_family" = "$family" ] \
        && [ "$got_format" = "$format" ]; then
        agree=$((agree + 1))
        ok "$file: $rcpt $kind ($format, $family)" true
    else
        ok "$file: $rcpt $kind ($format, $family)" false
        printf '#   exit %s, got %s (%s, %s)\n' "$rc" "$got_kind" "$got_format" "$got_family"
        sed 's/^/#   /' "$TMP/err"
    fi
    printf '# %-28s | %-12s %-12s | %-12s %-12s | %-10s %s\n' "$file" "$kind" "$got_kind" \
        "$family" "$got_family" "$format" "$got_format" >> "$TMP/table"
done < "$CORPUS/expected.tsv"

ok "the corpus has at least 40 reports" test "$(grep -v '^#' "$CORPUS/expected.tsv" | cut -f1 | sort -u | wc -l)" -ge 40
ok "... of at least 30 families" test "$(grep -v '^#' "$CORPUS/expected.tsv" | cut -f4 | sort -u | wc -l)" -ge 30
ok "the dry runs created no store" test ! -e "$TMP/no-such-store"
cat "$TMP/table"
echo "# agreement: $agree of $total"
done_testing
