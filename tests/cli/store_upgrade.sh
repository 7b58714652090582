#!/bin/sh
# store_upgrade.sh - a schema-1 store (double opt-in codes in a database named "token") is
# refused with a hint by every opener, and `optinctl init` upgrades it to schema 2 in place:
# the pending confirmation codes move to "confirm" and still confirm; nothing else changes.
# The schema-1 store is made from a schema-2 one with LMDB's own mdb_dump/mdb_load.
. "$top_srcdir/tests/lib/tap.sh"

[ -x "$OPTINCTL" ] || skip_all "optinctl not built"
command -v mdb_dump >/dev/null && command -v mdb_load >/dev/null \
    || skip_all "mdb_dump/mdb_load not installed (Debian package lmdb-utils)"
mk_tmpdir
NOW=2026-06-01T00:00:00Z

# write_conf FILE DBDIR : one double opt-in list
write_conf() {
    printf 'database = "%s";\nlists = ( { id = "news"; opt_in = "double"; } );\n' "$2" > "$1"
}
# ctl CONF ARGS... : optinctl on that store at a fixed clock
ctl() { conf=$1; shift; "$OPTINCTL" -c "$conf" -t "$NOW" -a tester "$@"; }

write_conf "$TMP/new.conf" "$TMP/new"
ctl "$TMP/new.conf" init > /dev/null
code=$(ctl "$TMP/new.conf" subscribe --double news pending@example.org)
ctl "$TMP/new.conf" subscribe --double news other@example.org > /dev/null
ctl "$TMP/new.conf" export > "$TMP/before.csv"

# The same store as schema 1 wrote it: "token" for "confirm", schema_version "1".
mdb_dump -a "$TMP/new" | sed -e 's/^database=confirm$/database=token/' \
    -e '/^ 736368656d615f76657273696f6e$/{n;s/^ 32$/ 31/;}' > "$TMP/old.dump"
mkdir "$TMP/old"
mdb_load -f "$TMP/old.dump" "$TMP/old" 2>/dev/null
ok "a schema-1 store made" sh -c "mdb_dump -l '$TMP/old' | grep -qx token"
write_conf "$TMP/old.conf" "$TMP/old"

err=$(ctl "$TMP/old.conf" check news pending@example.org 2>&1 >/dev/null)
rc=$?
is "check on schema 1: refused (EX_NOINPUT)" "$rc" 66
is "... saying how to upgrade" "$err" \
    "optinctl: schema version 1, this program needs 2: run optinctl init to upgrade it"

is "init upgrades it" "$(ctl "$TMP/old.conf" init)" "initialised $TMP/old (schema 2)"
ok "the token database is gone" sh -c "! mdb_dump -l '$TMP/old' | grep -qx token"
ok "the confirm database is there" sh -c "mdb_dump -l '$TMP/old' | grep -qx confirm"
ctl "$TMP/old.conf" export > "$TMP/after.csv"
ok "records unchanged by the upgrade" cmp -s "$TMP/before.csv" "$TMP/after.csv"
is "a code made before the upgrade confirms" "$(ctl "$TMP/old.conf" confirm -- "$code")" \
    "confirmed pending@example.org list=news"
is "and the address is confirmed now" "$(ctl "$TMP/old.conf" check news pending@example.org)" \
    "consent"
is "init again: nothing more to do" "$(ctl "$TMP/old.conf" init)" "initialised $TMP/old (schema 2)"
is "stats count the other pending code" \
    "$(ctl "$TMP/old.conf" stats | grep '^pending confirmation codes')" "pending confirmation codes: 1"
done_testing
