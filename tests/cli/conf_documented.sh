#!/bin/sh
# conf_documented.sh - every configuration key has an entry in optin-milter.conf(5), and the sample loads
#
# Each name that tests/unit/conf_keys prints (config_key_names(), the parser's own table) must
# start a line ".B name" in milter/optin-milter.conf.5.in, the way Postfix's
# check-postconf-undocumented keeps postconf(5) complete. Environment: top_srcdir and
# top_builddir, set by make check; both default to the directory above this script.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# shellcheck source=tests/lib/tap.sh
. "$top_srcdir/tests/lib/tap.sh"

conf_keys="$top_builddir/tests/unit/conf_keys"
manpage="$top_srcdir/milter/optin-milter.conf.5.in"
sample="$top_srcdir/milter/optin-milter.conf.sample"

[ -x "$conf_keys" ] || { echo "Bail out! $conf_keys is not built"; exit 1; }
keys=$("$conf_keys") || { echo "Bail out! $conf_keys failed"; exit 1; }

# has_entry KEY : the manual page has a line ".B KEY" or ".B KEY ..."
has_entry() { grep -Eq "^\.B $1( |\$)" "$manpage"; }
# nonempty STRING : the string is not empty
nonempty() { [ -n "$1" ]; }

ok "conf_keys prints the key names" nonempty "$keys"
for key in $keys; do
    ok "key $key is documented in optin-milter.conf(5)" has_entry "$key"
done
ok "the sample configuration loads" "$conf_keys" "$sample"
done_testing
