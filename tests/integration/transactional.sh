#!/bin/sh
# transactional.sh - mail that belongs to no list and does not look like bulk mail passes
# a real Postfix with optin-milter untouched: the header block that arrives is the one that
# was sent, byte for byte, once the trace fields the MTAs add (Received, and smtp-sink's
# X-* records) are left out. Over SMTP and through sendmail(1). The recipient has no consent
# record anywhere, and nothing is journalled. For contrast, bulk-looking mail that matches
# no list (Precedence: bulk) is refused (unattributed_bulk = reject, the default).
# By hand (as root): top_srcdir=. sh tests/integration/transactional.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
it_begin
it_start

# the header block (lib.sh): everything Postfix would otherwise add (Date, Message-ID), folds,
# odd spacing and a field name in unusual case
transactional_fixture

# 1. SMTP
mail_send mta orders@shop.example u1@example.org < "$IT/msg"
is "1: accepted" "$(reply_of DATA)" 250
check "1: delivered" queue_wait mta
check "1: arrived" sink_wait 1
f=$(arrived_file u1@example.org)
"$PYTHON" "$MAILTOOL" strip "$f" > "$IT/hdr.got"
if cmp -s "$IT/hdr.want" "$IT/hdr.got"; then same=yes
else same=no; diff "$IT/hdr.want" "$IT/hdr.got" | sed 's/^/# /'; fi
is "1: the header block arrived byte for byte unchanged" "$same" yes
is "1: no List-Unsubscribe added" "$(field_count "$f" List-Unsubscribe)" 0
sink_clear

# 2. sendmail(1): pickup and non_smtpd_milters
mail_submit mta orders@shop.example u1@example.org < "$IT/msg"
check "2: submitted and delivered" queue_wait mta
check "2: arrived" sink_wait 1
f=$(arrived_file u1@example.org)
"$PYTHON" "$MAILTOOL" strip "$f" > "$IT/hdr.got"
if cmp -s "$IT/hdr.want" "$IT/hdr.got"; then same=yes
else same=no; diff "$IT/hdr.want" "$IT/hdr.got" | sed 's/^/# /'; fi
is "2: the header block arrived byte for byte unchanged" "$same" yes
ok "2: nothing journalled for transactional mail" test ! -s "$JOURNAL"
sink_clear

# 3. bulk-looking, but no list: refused
{ printf 'Precedence: bulk\n'; cat "$IT/msg"; } | mail_send mta orders@shop.example u1@example.org
is "3: Precedence: bulk without a list refused at end of data" \
    "$(awk '$1 == "DATA" { $1 = ""; sub(/^ /, ""); print }' "$IT/send.out")" \
    "550 5.7.1 bulk mail that matches no list definition is not accepted"
ok "3: journal: reject unattributed-bulk" journal_has verdict=reject reason=unattributed-bulk
is "3: nothing queued" "$(queue_count mta)" 0
it_end
