# tap.sh - TAP helpers for the shell tests (sourced). Every test stops what it started.
tap_n=0
# ok DESCRIPTION COMMAND... : one test point from a command's exit status
ok() {
    desc=$1; shift
    tap_n=$((tap_n + 1))
    if "$@"; then echo "ok $tap_n - $desc"; else echo "not ok $tap_n - $desc"; fi
}
# is DESCRIPTION GOT WANT : one test point comparing two strings
is() {
    tap_n=$((tap_n + 1))
    if [ "$2" = "$3" ]; then echo "ok $tap_n - $1"
    else echo "not ok $tap_n - $1"; echo "#   got:  '$2'"; echo "#   want: '$3'"; fi
}
# skip_all REASON : the whole script is skipped (exit 77 is the automake convention)
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
# done_testing : print the plan
done_testing() { echo "1..$tap_n"; }
# mk_tmpdir : a private temporary directory removed at exit
mk_tmpdir() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/optin-test.XXXXXX") || exit 99
    trap 'rm -rf "$TMP"' EXIT
}
