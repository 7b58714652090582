#!/bin/sh
# demo.sh - show what the consent store decides, with optinctl, in a private folder.
# Usage: tools/demo.sh [DIR]   (run from the built source tree; nothing outside DIR changes)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
OPTINCTL="$top/tools/optinctl"
[ -x "$OPTINCTL" ] || { echo "demo: build first (./autogen.sh && ./configure && make)" >&2; exit 1; }
dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/optin-demo.XXXXXX")}
mkdir -p "$dir"
cat > "$dir/optin-milter.conf" <<CONF
# demo configuration: two lists
database = "$dir/db";
lists = (
  { id = "news";   opt_in = "double"; match = { list_id = ["news.lists.example"]; }; },
  { id = "offers"; opt_in = "single"; max_consent_age = "730d";
    match = { envelope_from = ["bounce-offers-*@lists.example"]; }; }
);
CONF
cat > "$dir/subscribers.csv" <<'CSV'
address,list,consented_at,confirmed_at,source,ip,method,policy_version
alice@example.com,news,2025-03-01T09:00:00Z,2025-03-01T09:05:00Z,web-form,192.0.2.10,double,privacy-v3
bob@example.com,news,2025-04-02T10:00:00Z,,web-form,192.0.2.11,single,privacy-v3
carol@例え.jp,offers,2025-05-03T11:00:00Z,,shop-checkout,198.51.100.7,single,privacy-v3
dave@example.com,offers,2022-01-04T12:00:00Z,,shop-checkout,,single,privacy-v1
erin@example.com,offers,2025-06-05T13:00:00Z,,import,,import,
CSV
O="$OPTINCTL -c $dir/optin-milter.conf -a demo"
say() { printf '\n== %s\n' "$*"; }

say "1. create the consent store and load a CSV (dry run first, then for real)"
$O init
$O import --dry-run "$dir/subscribers.csv"
$O import "$dir/subscribers.csv"
say "2. frank signs up for news with double opt-in; the token goes into his confirmation mail"
token=$($O -s web-form subscribe --ip 203.0.113.5 --policy-version privacy-v3 news frank@example.com)
echo "token: $token"
$O check news frank@example.com || true
$O -s confirm-page confirm --ip 203.0.113.5 "$token"
say "3. erin clicks one-click unsubscribe; a hard bounce comes back for a whole domain"
$O -s one-click unsubscribe offers erin@example.com
$O suppress --reason bounce @bounced.example
say "4. what the milter would decide now, per recipient (exit 0 = deliver, 1 = stop)"
for pair in news:alice@example.com news:bob@example.com news:frank@example.com \
            offers:Carol@XN--R8JZ45G.JP offers:dave@example.com offers:erin@example.com \
            offers:zoe@bounced.example news:nobody@example.com; do
    list=${pair%%:*}; addr=${pair#*:}
    if reason=$($O check "$list" "$addr"); then verdict=DELIVER; else verdict=STOP; fi
    printf '  %-8s %-30s %-8s %s\n' "$list" "$addr" "$verdict" "$reason"
done
say "5. proof of consent for frank (what a compliance officer hands over)"
$O show frank@example.com
say "6. the store"
$O stats
say "done: everything is in $dir; remove it with: rm -rf $dir"
