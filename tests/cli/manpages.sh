#!/bin/sh
# manpages.sh - the four manual pages are dated and clean: for each page made from its .in
# template (optinctl(1), optin-milter.conf(5), optin-milter(8), optin-unsubd(8)):
#   - .TH carries a YYYY-MM-DD date and "optin-milter VERSION" (VERSION from the Makefile);
#   - mandoc -T lint -W warning prints nothing and exits 0 (skipped without mandoc);
#   - groff -ww -man -z (less the "break" warnings, see groff_quiet) prints nothing on stderr, for -Tascii and -Tutf8, under LC_ALL=C and
#     LC_ALL=C.UTF-8 (skipped without groff);
#   - the .in source is pure ASCII (other characters are written as groff escapes, \[u00E9]),
#     so that the page renders the same in any locale.
# A page that is missing is made with make. Environment (set by make check): top_srcdir,
# top_builddir. By hand:
#   top_srcdir=. top_builddir=. sh tests/cli/manpages.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"

PAGES="tools/optinctl/optinctl.1 milter/optin-milter.conf.5 milter/optin-milter.8
       tools/optin-unsubd/optin-unsubd.8"
for page in $PAGES; do
    [ -f "$top_builddir/$page" ] || ${MAKE:-make} -s -C "$top_builddir" "$page" > /dev/null 2>&1 ||
        { echo "Bail out! $page is missing and make could not make it"; exit 1; }
done
version=$(sed -n 's/^VERSION = //p' "$top_builddir/Makefile" 2> /dev/null)
[ -n "$version" ] || { echo "Bail out! no VERSION in $top_builddir/Makefile"; exit 1; }
mandoc=$(command -v mandoc) || mandoc=
groff=$(command -v groff) || groff=

# skip DESCRIPTION REASON : one test point skipped
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
# quiet_run COMMAND... : the command exits 0 and prints nothing on stdout or stderr; what it
# printed goes out as TAP comments
quiet_run() {
    out=$("$@" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] && [ -z "$out" ] && return 0
    echo "# exit status $rc of: $*"
    printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
    return 1
}
# groff_quiet LOCALE DEVICE PAGE : groff -ww formats PAGE without a word on stderr; all but the
# "break" warnings ("cannot adjust line"), which depend on how long the paths configure put in
# the page are (make distcheck's prefix is a long temporary path), not on its markup
groff_quiet() { quiet_run env LC_ALL="$1" "$groff" -ww -Wbreak -man -T"$2" -z "$3"; }
# th_matches PAGE ERE : the page's .TH line matches the extended regular expression
th_matches() {
    th=$(grep -m1 '^\.TH ' "$1")
    printf '%s\n' "$th" | grep -Eq "$2" && return 0
    echo "#   .TH line: $th"
    return 1
}
# ascii_only FILE : no byte outside ASCII in FILE; the lines that have one go out as comments
ascii_only() {
    bad=$(LC_ALL=C grep -nP '[^\x00-\x7F]' "$1")
    case $? in
    1) return 0 ;;
    0) printf '%s\n' "$bad" | head -10 | sed 's/^/#   /' ;;
    *) echo "#   grep -P failed on $1" ;;
    esac
    return 1
}

date_re='[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])'
version_re=$(printf '%s' "$version" | sed 's/[].[\\*^$+?(){}|]/\\&/g')
for page in $PAGES; do
    p=$top_builddir/$page
    name=${page##*/}
    ok "$name: .TH has a YYYY-MM-DD date" th_matches "$p" "^\\.TH [^ ]+ [0-9][^ ]* \"?$date_re\"? "
    ok "$name: .TH has \"optin-milter $version\"" th_matches "$p" "^\\.TH .* \"optin-milter $version_re\""
    if [ -n "$mandoc" ]; then
        ok "$name: mandoc -T lint -W warning is silent" quiet_run "$mandoc" -T lint -W warning "$p"
    else
        skip "$name: mandoc -T lint -W warning is silent" "mandoc is not installed (tests/setup-debian.sh installs it)"
    fi
    for loc in C C.UTF-8; do
        for dev in ascii utf8; do
            if [ -n "$groff" ]; then
                ok "$name: groff -ww -T$dev under LC_ALL=$loc is silent" groff_quiet "$loc" "$dev" "$p"
            else
                skip "$name: groff -ww -T$dev under LC_ALL=$loc is silent" "groff is not installed"
            fi
        done
    done
    ok "$name: $page.in is pure ASCII" ascii_only "$top_srcdir/$page.in"
done
done_testing
