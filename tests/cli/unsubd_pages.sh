#!/bin/sh
# unsubd_pages.sh - unsubscribe pages an organisation can put its name on: a list's display_name
# on the built-in pages instead of its id (escaped), the organisation's templates per list and a
# global folder (placeholders filled in and escaped, the form still posts and unsubscribes, a
# missing language falls back to the built-in page), templates refused at -n and start with
# file:line (unknown placeholder, no {{form}}, not UTF-8, empty folder), a reload that picks up a
# changed template, and a folder the server's user cannot read named by -n with its fix.
# Environment (set by make check): top_srcdir, top_builddir, OPTINCTL, OPTIN_UNSUBD. By hand:
#   top_srcdir=. top_builddir=. sh tests/cli/unsubd_pages.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPTINCTL:=$top_builddir/tools/optinctl/optinctl}"
: "${OPTIN_UNSUBD:=$top_builddir/tools/optin-unsubd/optin-unsubd}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/unsubd.sh"

command -v curl > /dev/null 2>&1 || skip_all "curl is not installed (tests/setup-debian.sh installs it)"
for prog in "$OPTINCTL" "$OPTIN_UNSUBD"; do
    [ -x "$prog" ] || { echo "Bail out! $prog is not built"; exit 1; }
done
mk_tmpdir
UNSUBD_PID=
trap '[ -n "$UNSUBD_PID" ] && kill -KILL "$UNSUBD_PID" 2> /dev/null; rm -rf "$TMP"' EXIT

mkdir -p "$TMP/brand" "$TMP/global"
CONF=$TMP/conf
write_conf() {   # write_conf EXTRA_GLOBAL : the configuration, with the news list branded
    cat > "$CONF" <<EOF
database = "$TMP/db";
keys = "$TMP/keys";
log_target = "stderr";
$1
lists = ( { id = "news"; opt_in = "single"; display_name = "Example <News> & Offers";
            page_templates = "$TMP/brand"; },
          { id = "offers"; opt_in = "single"; display_name = "Angebote"; },
          { id = "plain"; opt_in = "single"; } );
EOF
}
write_conf ""
# The organisation's unsubscribe page (English only) and its done page.
cat > "$TMP/brand/unsubscribe.en.html" <<'EOF'
<!DOCTYPE html>
<html lang="{{lang}}"><head><meta charset="utf-8"><title>{{title}} | Example Corp</title></head>
<body class="brand"><img alt="Example Corp" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<h1>{{title}}</h1>
<p>{{text}}</p>
{{form}}
<p>{{note}}</p>
<p class="ids">list={{list}} id={{list_id}} to={{address}}</p>
<a href="?lang={{other_lang}}">{{other_lang_name}}</a>
</body></html>
EOF
cat > "$TMP/brand/unsubscribed.en.html" <<'EOF'
<html><body class="brand-done"><h1>{{title}}</h1><p>{{text}}</p></body></html>
EOF
ctl() { "$OPTINCTL" -c "$CONF" -a tester "$@"; }
ctl keygen "$TMP/keys" > /dev/null 2>&1 && ctl init > /dev/null 2>&1 || { echo "Bail out! store"; exit 1; }
for l in news offers plain; do ctl subscribe "$l" "alice@example.org" > /dev/null 2>&1; done
ctl subscribe news "bob@example.org" > /dev/null 2>&1

# get PATH [CURL ARGS] : sets code and the body in $TMP/body
get() { p=$1; shift; code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$@" "http://127.0.0.1:$UNSUBD_PORT$p"); }
has() { grep -F -q -- "$1" "$TMP/body"; }

unsubd_start "$TMP/unsubd.log" -c "$CONF" --rate 0
NEWS=$(ctl token news alice@example.org)
OFFERS=$(ctl token offers alice@example.org)
PLAIN=$(ctl token plain alice@example.org)

get "/u/$OFFERS"
ok "built-in page: the list's display_name instead of its id" has "the list “Angebote”"
ok "... and not the id" sh -c "! grep -q '“offers”' '$TMP/body'"
get "/u/$PLAIN"
ok "no display_name: the id, as before" has "the list “plain”"

get "/u/$NEWS"
is "template: GET /u/ answers 200" "$code" 200
ok "template: the organisation's page is served" has '<body class="brand">'
ok "... {{title}} filled in" has "<title>Unsubscribe | Example Corp</title>"
ok "... {{list}} is the display_name, HTML-escaped" has "list=Example &lt;News&gt; &amp; Offers id=news"
ok "... {{text}} is the built-in text with the escaped name" has "Stop mail from the list “Example &lt;News&gt; &amp; Offers” to a…@example.org?"
ok "... {{address}} is masked" has "to=a…@example.org"
ok "... {{form}} is the one-button form" has '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
ok "... {{other_lang}} and {{other_lang_name}}" has '<a href="?lang=ja">日本語</a>'
ok "... no placeholder left" sh -c "! grep -q '{{' '$TMP/body'"
ok "... the raw display name appears nowhere" sh -c "! grep -q '<News>' '$TMP/body'"
csp=$(curl -s -D - -o /dev/null "http://127.0.0.1:$UNSUBD_PORT/u/$NEWS" | tr -d '\r' | sed -n 's/^Content-Security-Policy: //p')
ok "CSP lets a template show an inline data: logo, nothing external" \
    sh -c "echo \"$csp\" | grep -q \"default-src 'none'; style-src 'unsafe-inline'; img-src data:;\""

get "/u/$NEWS?lang=ja"
ok "template without a Japanese file: the built-in Japanese page" sh -c "grep -q '<html lang=\"ja\">' '$TMP/body' && ! grep -q brand '$TMP/body'"
ok "... with the display name" has "「Example &lt;News&gt; &amp; Offers」"

get "/u/$NEWS" -X POST -d "List-Unsubscribe=One-Click"
is "the template's form posts: 200" "$code" 200
ok "... the organisation's done page" has '<body class="brand-done">'
is "... and alice is unsubscribed from news" "$(ctl check news alice@example.org 2> /dev/null)" unsubscribed

# global folder: every list without its own
cat > "$TMP/global/error.en.html" <<'EOF'
<html><body class="global-error"><h1>{{title}}</h1><p>{{text}}</p></body></html>
EOF
write_conf "page_templates = \"$TMP/global\";"
kill -USR1 "$UNSUBD_PID"; sleep 0.5
get "/u/AAAAAAAA"
ok "global page_templates after a reload: its error page for a bad link" has '<body class="global-error">'
get "/u/$PLAIN"
ok "... a list without templates and a global folder without that page: built-in" has "the list “plain”"

# a changed template is taken at the next reload
sed -i 's/class="brand-done"/class="brand-done-v2"/' "$TMP/brand/unsubscribed.en.html"
kill -USR1 "$UNSUBD_PID"; sleep 0.5
get "/u/$NEWS" -X POST -d "List-Unsubscribe=One-Click"
ok "a changed template is served after SIGUSR1" has '<body class="brand-done-v2">'

kill "$UNSUBD_PID"; wait "$UNSUBD_PID" 2> /dev/null; UNSUBD_PID=

# broken templates: refused with file:line at -n (and so at start and reload)
check_n() { "$OPTIN_UNSUBD" -n -c "$CONF" > "$TMP/n.out" 2>&1; rc=$?; }
cp "$TMP/brand/unsubscribe.en.html" "$TMP/good.html"
printf '<p>{{title}}</p>\n{{form}}\n<p>{{recipient}}</p>\n' > "$TMP/brand/unsubscribe.en.html"
check_n
is "unknown placeholder: -n exits 78" "$rc" 78
ok "... naming file:line and the placeholder" grep -q "$TMP/brand/unsubscribe.en.html:3: unknown placeholder {{recipient}}" "$TMP/n.out"
printf '<p>{{title}}</p>\n' > "$TMP/brand/unsubscribe.en.html"
check_n
ok "unsubscribe template without {{form}}: refused" grep -q "unsubscribe.en.html: has no {{form}}" "$TMP/n.out"
printf '<p>\377\376</p>{{form}}\n' > "$TMP/brand/unsubscribe.en.html"
check_n
ok "not UTF-8: refused" grep -q "unsubscribe.en.html: not UTF-8 text" "$TMP/n.out"
cp "$TMP/good.html" "$TMP/brand/unsubscribe.en.html"
mkdir "$TMP/empty"
sed -i "s|page_templates = \"$TMP/global\";|page_templates = \"$TMP/empty\";|" "$CONF"
check_n
ok "a folder with no template: refused, saying what it expects" grep -q "$TMP/empty: no page template here (expected files such as unsubscribe.en.html" "$TMP/n.out"
"$OPTIN_UNSUBD" -f -c "$CONF" -l 127.0.0.1:0 > "$TMP/start.out" 2>&1
is "... and a start with it exits 78" "$?" 78
sed -i "s|page_templates = \"$TMP/empty\";||" "$CONF"
check_n
is "templates fixed: -n exits 0" "$rc" 0

# a folder the server's user cannot read (needs root to switch to nobody)
if [ "$(id -u)" = 0 ] && id nobody > /dev/null 2>&1; then
    chmod 0755 "$TMP"; chown -R nobody "$TMP/db" "$TMP/keys"
    chmod 0700 "$TMP/brand"
    "$OPTIN_UNSUBD" -n -c "$CONF" -u nobody > "$TMP/n.out" 2>&1
    ok "template folder closed to the user: -n names it" grep -q "page templates $TMP/brand: user nobody cannot read the folder" "$TMP/n.out"
    ok "... with its fix" grep -q "fix: chmod -R a+rX $TMP/brand" "$TMP/n.out"
else
    tap_n=$((tap_n + 1)); echo "ok $tap_n - template folder closed to the user # SKIP needs root to become nobody"
    tap_n=$((tap_n + 1)); echo "ok $tap_n - ... with its fix # SKIP needs root to become nobody"
fi
done_testing
