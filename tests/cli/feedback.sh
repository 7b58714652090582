#!/bin/sh
# feedback.sh - optinctl mailto, feedback and import-suppressions end to end: the sample
# reports of tests/data/feedback (Postfix, Exim, Gmail-style, Microsoft-style DSNs, ARF
# complaints Yahoo- and JMRP-style, other mail) and one CSV export per provider, with the
# exit statuses Postfix's pipe(8) acts on (0 done, 65 bounce it, 75 retry later).
#
# One store, a fixed clock (-t) and a fixed actor (-a): every answer is deterministic. The
# samples carry placeholders (@TOKEN@, @RCPT@, @MSGID@) filled here with tokens made now.
# Environment (set by make check): top_srcdir, top_builddir, OPTINCTL. By hand:
#   top_srcdir=. top_builddir=. OPTINCTL=./tools/optinctl/optinctl sh tests/cli/feedback.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPTINCTL:=$top_builddir/tools/optinctl/optinctl}"
. "$top_srcdir/tests/lib/tap.sh"

[ -x "$OPTINCTL" ] || { echo "Bail out! $OPTINCTL is not built"; exit 1; }
mk_tmpdir
DATA=$top_srcdir/tests/data/feedback
T0=1756800000                    # 2025-09-02T08:00:00Z
NOW=@$T0
DAY=86400

# write_conf FILE DB KEYS : two lists, found by List-Id like the milter finds them
write_conf() {
    cat > "$1" <<EOF
database = "$2";
keys = "$3";
log_target = "stderr";
unsubscribe_url = "https://u.lists.example/u/";
unsubscribe_mailto = "unsubscribe@lists.example";
verp_return_path = "bounce+%s@lists.example";
lists = (
  { id = "news"; opt_in = "single"; match = { list_id = [ "news.lists.example" ]; }; },
  { id = "offers"; opt_in = "single"; match = { list_id = [ "offers.lists.example" ]; }; }
);
EOF
}
CONF=$TMP/conf
write_conf "$CONF" "$TMP/db" "$TMP/keys"

# run ARGS... < INPUT : optinctl at $NOW as "tester"; sets out, err and rc
run() {
    "$OPTINCTL" -c "$CONF" -t "$NOW" -a tester "$@" > "$TMP/out" 2> "$TMP/err"
    rc=$?
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
}
# ctl ARGS... : optinctl that must succeed (setup); bails out otherwise
ctl() {
    "$OPTINCTL" -c "$CONF" -t "$NOW" -a tester "$@" > "$TMP/ctl.out" 2>&1 \
        || { echo "Bail out! optinctl $*: $(cat "$TMP/ctl.out")"; exit 1; }
    cat "$TMP/ctl.out"
}
# token LIST ADDRESS : the token the milter would put in List-Unsubscribe
token() { ctl token "$1" "$2"; }
# sample NAME TOKEN RCPT [MSGID] : a sample with its placeholders filled
sample() {
    sed -e "s/@TOKEN@/$2/g" -e "s/@RCPT@/$3/g" -e "s/@MSGID@/${4:-m1.$$}/g" "$DATA/$1.eml"
}
# feed NAME TOKEN RCPT MSGID [-- FEEDBACK OPTIONS] : optinctl feedback on a sample
feed() {
    sample "$1" "$2" "$3" "$4" > "$TMP/msg"
    shift 4
    [ "${1:-}" = -- ] && shift
    run feedback "$@" < "$TMP/msg"
}
# verdict LIST ADDRESS : the check reason now
verdict() { "$OPTINCTL" -c "$CONF" -t "$NOW" check "$1" "$2" 2> /dev/null; }
# events ADDRESS : number of history events
events() { "$OPTINCTL" -c "$CONF" show --json "$1" 2> /dev/null | grep -c '"seq"'; }
# says TEXT : the last stderr contains TEXT
says() { printf '%s\n' "$err" | grep -F -q -- "$1"; }
# shows ADDRESS TEXT : optinctl show ADDRESS prints TEXT
shows() { "$OPTINCTL" -c "$CONF" show "$1" 2> /dev/null | grep -F -q -- "$2"; }
# status DESC WANT : one point on the last exit status, with stderr as a comment when wrong
status() {
    is "$1" "exit $rc" "exit $2"
    [ "$rc" = "$2" ] || printf '%s\n' "$err" | sed 's/^/#   /'
}

ctl keygen "$TMP/keys" > /dev/null
ctl init > /dev/null
for a in carol dan erin frank; do ctl subscribe news "$a@example.org" > /dev/null; done
for a in carol frank; do ctl subscribe offers "$a@example.org" > /dev/null; done

# --- mailto ---
T_CAROL=$(token news carol@example.org)
sample mailto_subject "$T_CAROL" carol@example.org > "$TMP/msg"
run mailto -r unsubscribe@lists.example < "$TMP/msg"
status "mailto: token in the Subject (Re:, upper case, extra blanks)" 0
is "mailto: carol unsubscribed from news" "$(verdict news carol@example.org)" unsubscribed
is "mailto: carol's other list untouched" "$(verdict offers carol@example.org)" consent
ok "mailto: history names source mailto and actor optinctl-mailto" \
    shows carol@example.org "source=mailto actor=optinctl-mailto"
ok "mailto: history keeps the request's Message-ID" \
    shows carol@example.org "message-id <a2c4e6f8-0b1d-4f3a-9c5e-7d9f1b3c5e7a@example.org>"
n=$(events carol@example.org)
run mailto < "$TMP/msg"
status "mailto: the same mail again" 0
ok "mailto: ... says unchanged" says "(unchanged)"
is "mailto: ... writes nothing" "$(events carol@example.org)" "$n"

T_DAN=$(token news dan@example.org)
sample mailto_blank "$T_DAN" dan@example.org > "$TMP/msg"
run mailto -r "unsubscribe+$T_DAN@lists.example" < "$TMP/msg"
status "mailto: token in the recipient's extension, empty Subject" 0
is "mailto: dan unsubscribed" "$(verdict news dan@example.org)" unsubscribed
ctl subscribe news dave@example.org > /dev/null
T_DAVE=$(token news dave@example.org)
sample mailto_blank "$T_DAVE" dave@example.org > "$TMP/msg"
run mailto -r "unsubscribe-$T_DAVE@lists.example" < "$TMP/msg"
status "mailto: recipient_delimiter '-' (unsubscribe-TOKEN@)" 0
is "mailto: dave unsubscribed" "$(verdict news dave@example.org)" unsubscribed

T_ERIN=$(token news erin@example.org)
q=$(printf '%s' "$T_ERIN" | sed 's/_/=5F/g')
printf 'From: erin@example.org\nTo: unsubscribe@lists.example\nSubject: =?UTF-8?Q?AW=3A_Unsubscribe_%s?=\n\nbitte\n' \
    "$q" > "$TMP/msg"
run mailto < "$TMP/msg"
status "mailto: RFC 2047 encoded Subject" 0
is "mailto: erin unsubscribed" "$(verdict news erin@example.org)" unsubscribed

T_FRANK=$(token news frank@example.org)
# forged: one character in the middle changed (the last one may only carry padding bits)
c20=$(printf '%s' "$T_FRANK" | cut -c20)
if [ "$c20" = A ]; then repl=B; else repl=A; fi
FORGED=$(printf '%s' "$T_FRANK" | sed "s/./$repl/20")
sample mailto_subject "$FORGED" frank@example.org > "$TMP/msg"
run mailto < "$TMP/msg"
status "mailto: forged token: data error (Postfix bounces it)" 65
ok "mailto: ... says it does not verify" says "does not verify"
is "mailto: ... frank keeps his consent" "$(verdict news frank@example.org)" consent
sample mailto_subject "" frank@example.org | sed 's/^Subject:.*/Subject: please take me off/' > "$TMP/msg"
run mailto < "$TMP/msg"
status "mailto: no token anywhere: data error" 65
ok "mailto: ... says what was expected" says 'expected "unsubscribe TOKEN"'
run mailto < /dev/null
status "mailto: empty input: data error" 65

sample mailto_subject "$T_FRANK" frank@example.org > "$TMP/msg"
write_conf "$TMP/conf.nodb" "$TMP/missing-db" "$TMP/keys"
"$OPTINCTL" -c "$TMP/conf.nodb" -t "$NOW" mailto < "$TMP/msg" > /dev/null 2> "$TMP/err"
rc=$?; err=$(cat "$TMP/err")
status "mailto: store missing: temporary failure (Postfix retries)" 75
write_conf "$TMP/conf.nokeys" "$TMP/db" "$TMP/missing-keys"
"$OPTINCTL" -c "$TMP/conf.nokeys" -t "$NOW" mailto < "$TMP/msg" > /dev/null 2> "$TMP/err"
rc=$?; err=$(cat "$TMP/err")
status "mailto: key file missing: temporary failure" 75
is "mailto: ... frank still has consent" "$(verdict news frank@example.org)" consent
run mailto --bogus < "$TMP/msg"
status "mailto: bad option: usage error kept queued (75), not bounced" 75

# --- feedback: hard bounces ---
for a in gone@example.net old.user@exim.example nobody@gmail.example missing@contoso.example \
         full@example.net flaky@example.net blocked@example.org yvonne@example.org \
         jim@example.org optout@example.net; do
    ctl subscribe news "$a" > /dev/null
done
ctl subscribe offers jim@example.org > /dev/null
ctl subscribe offers yvonne@example.org > /dev/null

feed postfix_hard "$(token news gone@example.net)" gone@example.net hard1
status "Postfix 5.1.1 bounce" 0
is "Postfix: suppressed as a bounce" "$(verdict news gone@example.net)" suppressed-bounce
ok "Postfix: history: source bounce, the status and diagnostic" \
    shows gone@example.net "reason=bounce detail=5.1.1 smtp; 550 5.1.1"
n=$(events gone@example.net)
feed postfix_hard "$(token news gone@example.net)" gone@example.net hard1
status "Postfix: the same report again" 0
is "Postfix: ... writes nothing" "$(events gone@example.net)" "$n"

feed exim_hard "$(token news old.user@exim.example)" old.user@exim.example hard2
status "Exim bounce (Status 5.0.0, text/rfc822-headers)" 0
is "Exim: suppressed" "$(verdict news old.user@exim.example)" suppressed-bounce
ok "Exim: the code from Diagnostic-Code (5.1.1), not 5.0.0" \
    shows old.user@exim.example "detail=5.1.1 smtp; 550 5.1.1"

feed exim_plain "" unrouted@exim.example hard2b
status "Exim plain-text bounce (X-Failed-Recipients, no report)" 0
ok "Exim plain: without our token or VERP tag it changes nothing (reports can be forged)" \
    says "unverified hard bounce unrouted@exim.example"
is "... so the address is not suppressed by one such mail" "$(verdict news unrouted@exim.example)" no-record

feed gmail_hard "" nobody@gmail.example hard3
status "Gmail-style DSN (HTML notice, no token, List-Id only)" 0
ok "Gmail: Final-Recipient without our token changes nothing" says "unverified hard bounce"
is "... not suppressed by one report" "$(verdict news nobody@gmail.example)" consent

feed microsoft_ndr "$(token news missing@contoso.example)" missing@contoso.example hard4
status "Microsoft-style NDR (5.1.10)" 0
is "Microsoft: suppressed" "$(verdict news missing@contoso.example)" suppressed-bounce
ok "Microsoft: 5.1.10 kept" shows missing@contoso.example "detail=5.1.10 smtp;550 5.1.10"

# the token names the address we sent to, the DSN a forwarding target: the token wins
feed postfix_hard "$(token news erin@example.org)" erin.forwarded@example.net hard5
status "bounce of a forwarded address" 0
is "forwarded: the token's address is suppressed" "$(verdict news erin@example.org)" \
    suppressed-bounce
ok "forwarded: the forwarding target is not" sh -c "! '$OPTINCTL' -c '$CONF' show \
    erin.forwarded@example.net > /dev/null 2>&1"

ctl unsubscribe --all optout@example.net > /dev/null
feed postfix_hard "$(token news optout@example.net)" optout@example.net hard6
status "bounce of an address that unsubscribed from all" 0
is "the opt-out stays (not weakened to bounce)" "$(verdict news optout@example.net)" \
    global-unsubscribe

# --- feedback: a forged DSN with many recipient blocks and the attacker's own valid token ---
for a in mallory@example.net victim1@example.org victim2@example.org; do
    ctl subscribe news "$a" > /dev/null
done
ctl subscribe offers mallory@example.net > /dev/null
# blocks TOKEN : a DSN about mallory carrying TOKEN, with two more blocks naming the victims
blocks() {
    sample postfix_hard "$1" mallory@example.net "multi.$2" | awk '
        { print }
        /^Diagnostic-Code:/ { d = 1; next }
        d && /^$/ {
            for (i = 1; i <= 2; i++)
                printf "Final-Recipient: rfc822; victim%d@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n\n", i
            d = 0 }'
}
blocks "$(token news mallory@example.net)" 1 > "$TMP/msg"
ok "multi-block forgery: the DSN has three recipient blocks" \
    sh -c "[ \$(grep -c '^Final-Recipient:' '$TMP/msg') -eq 3 ]"
run feedback < "$TMP/msg"
status "multi-block DSN with the attacker's own token" 0
is "... victim1 keeps consent" "$(verdict news victim1@example.org)" consent
is "... victim2 keeps consent" "$(verdict news victim2@example.org)" consent
ok "... both logged as unverified" sh -c "[ \$(printf '%s\n' \"\$1\" \
    | grep -c 'unverified hard bounce victim') -eq 2 ]" - "$err"
is "... only the address the token names is suppressed" "$(verdict news mallory@example.net)" \
    suppressed-bounce
blocks "$(token offers mallory@example.net)" 2 > "$TMP/msg"
run feedback < "$TMP/msg"
is "the same with a token of another list: victim1 keeps consent" \
    "$(verdict news victim1@example.org)" consent
feed postfix_hard "$(token news mallory@example.net)" victim1@example.org multi3
is "a token for another address binds nothing" "$(verdict news victim1@example.org)" consent

# --- feedback: soft bounces ---
T_FULL=$(token news full@example.net)
feed soft_full "$T_FULL" full@example.net soft0
feed soft_full "$T_FULL" full@example.net soft0b
ok "soft: two soft bounces the same day are one day" says "on 1 day(s) within 30d"
for i in 1 2 3; do
    NOW=@$((T0 + i * DAY))
    feed soft_full "$T_FULL" full@example.net "soft$i"
done
status "soft bounce 4.2.2 (the 4th day)" 0
ok "soft: ... counted on 4 days within 30d" says "on 4 day(s) within 30d, suppressed at 5 days"
is "soft: 4 days of 5: still consent" "$(verdict news full@example.net)" consent
feed soft_full "$T_FULL" full@example.net soft3
ok "soft: the same message again counts once" says "on 4 day(s) within 30d"
NOW=@$((T0 + 4 * DAY))
feed soft_full "$T_FULL" full@example.net soft5
status "soft bounce, the 5th day within the window" 0
is "soft: suppressed until it expires" "$(verdict news full@example.net)" suppressed-soft-bounce
ok "soft: history says why" shows full@example.net "detail=soft bounces on 5 days within 30d, the last 4.2.2"
NOW=@$((T0 + 40 * DAY))
is "soft: 30 days after, the suppression has expired" "$(verdict news full@example.net)" consent
NOW=@$T0
ctl subscribe news window@example.net > /dev/null
feed soft_full "$(token news window@example.net)" window@example.net w1
NOW=@$((T0 + 31 * DAY))
feed soft_full "$(token news window@example.net)" window@example.net w2
ok "soft: 31 days later the first has left the window" says "on 1 day(s) within 30d"
NOW=@$T0

T_FLAKY=$(token news flaky@example.net)
feed delayed "$T_FLAKY" flaky@example.net late1 -- --soft-limit 2 --soft-window 7d
status "delayed DSN (Action: delayed, 4.4.1)" 0
ok "delayed: ignored, not counted (nothing has failed yet)" says "ignored: 1 recipient(s) delayed"
feed soft_full "$T_FLAKY" flaky@example.net late1 -- --soft-limit 2 --soft-window 7d
ok "delayed, then failed, same message: counted once" says "on 1 day(s) within 7d"
is "... not suppressed" "$(verdict news flaky@example.net)" consent
NOW=@$((T0 + DAY))
feed soft_full "$T_FLAKY" flaky@example.net late2 -- --soft-limit 2 --soft-window 7d
is "--soft-limit 2: the second day suppresses" "$(verdict news flaky@example.net)" \
    suppressed-soft-bounce
NOW=@$T0

feed policy_block "$(token news blocked@example.org)" blocked@example.org block1
status "5.7.1 policy block" 0
ok "5.7.1: counted as soft, not a hard bounce" says "on 1 day(s) within 30d"
is "5.7.1: not suppressed" "$(verdict news blocked@example.org)" consent

feed relayed "" blocked@example.org ok1
status "success DSN (Action: relayed)" 0
ok "relayed: ignored" says "ignored"

# --- feedback: complaints ---
feed arf_yahoo "$(token news yvonne@example.org)" yvonne@example.org arf1
status "ARF complaint, Yahoo-style (recipient redacted, token in the headers)" 0
is "Yahoo: unsubscribed from that list" "$(verdict news yvonne@example.org)" unsubscribed
is "Yahoo: the other list stays" "$(verdict offers yvonne@example.org)" consent
ok "Yahoo: history source complaint" shows yvonne@example.org "source=complaint"
n=$(events yvonne@example.org)
feed arf_yahoo "$(token news yvonne@example.org)" yvonne@example.org arf1
is "Yahoo: the same report again writes nothing" "$(events yvonne@example.org)" "$n"

unverified() { ctl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["unverified_feedback"])'; }
before=$(unverified)
feed arf_jmrp "" jim@example.org arf2
status "ARF complaint without token or VERP tag" 0
ok "... changes nothing (anyone can write one)" says "unverified complaint jim@example.org"
is "... jim keeps offers" "$(verdict offers jim@example.org)" consent
is "... but is counted (stats unverified_feedback)" "$(unverified)" "$((before + 1))"
feed arf_jmrp "" jim@example.org arf2 -- --dry-run
is "... a dry run counts nothing" "$(unverified)" "$((before + 1))"
ok "... the text stats say it too" sh -c "'$OPTINCTL' -c '$CONF' stats | grep -q 'unverified feedback (recipients no VERP tag or token bound): $((before + 1))'"
feed arf_jmrp "" jim@example.org arf2 -- -r "$(ctl token --verp news jim@example.org)"
status "ARF complaint to the VERP address of jim on news, List-Id offers" 0
ok "... the tag binds jim, but to news: the tag's list wins" says "binding=verp"
is "... unsubscribed from news" "$(verdict news jim@example.org)" unsubscribed
ctl subscribe news jim@example.org > /dev/null
feed arf_jmrp "" jim@example.org arf2 -- -r "$(ctl token --verp news jim@example.org | sed -e 's/+a/+b/;t' -e 's/+./+a/')"
ok "a tag with one character changed binds nothing" says "unverified complaint"
feed arf_jmrp "" jim@example.org arf2 -- -r "$(ctl token --verp news someone@example.org)"
ok "the tag of another recipient binds nothing" says "unverified complaint"
feed arf_jmrp "" jim@example.org arf2 -- -r "$(ctl token --verp offers jim@example.org)"
status "ARF complaint, JMRP-style (Original-Rcpt-To, List-Id offers)" 0
is "JMRP: unsubscribed from offers" "$(verdict offers jim@example.org)" unsubscribed
is "JMRP: news stays" "$(verdict news jim@example.org)" consent

feed arf_jmrp "" jim@example.org arf3 -- --complaint-scope all \
    -r "$(ctl token --verp offers jim@example.org)"
status "--complaint-scope all" 0
is "scope all: every list, complaint suppression" "$(verdict news jim@example.org)" \
    suppressed-complaint

feed arf_jmrp "" gone@example.net arf4 -- --complaint-scope all \
    -r "$(ctl token --verp news gone@example.net)"
is "complaint about a bounced address: the bounce becomes a complaint" \
    "$(verdict news gone@example.net)" suppressed-complaint
ok "... history says it replaces the bounce" shows gone@example.net "reason=complaint replaces=bounce"
feed postfix_hard "$(token news gone@example.net)" gone@example.net hard7
is "a later bounce does not weaken the complaint" "$(verdict news gone@example.net)" \
    suppressed-complaint

sample arf_yahoo "$(token news frank@example.org)" frank@example.org arf6 \
    | sed 's/^Feedback-Type: abuse/Feedback-Type: not-spam/' > "$TMP/msg"
run feedback < "$TMP/msg"
status "ARF Feedback-Type not-spam: nothing to do" 0
ok "... says it is no complaint" says "Feedback-Type not-spam is not a complaint"
is "... frank keeps his consent" "$(verdict news frank@example.org)" consent

sample arf_yahoo "" x@example.org arf5 | sed '/^List-Unsubscribe:/,/^ <mailto/d' > "$TMP/msg"
run feedback < "$TMP/msg"
status "ARF without token or recipient: nothing to do" 0
ok "... says why" says "no recipient"

# --- feedback: what is not a report, and trouble ---
feed not_report "" x@example.org ooo1
status "out-of-office reply: acknowledged, never returned to its sender" 0
ok "... says it is an automatic reply, ignored" says "ignored: an automatic reply"
run feedback < /dev/null
status "empty input: acknowledged (nothing to return it to)" 0
ok "... says why" says "not a delivery status notification"
ctl forget --yes dan@example.org > /dev/null
feed postfix_hard "$(token news dan@example.org)" dan@example.org hard8
status "bounce of an erased address" 0
ok "erased: nothing written again" says "suppressed (erased)"
ok "erased: no plain record of it" sh -c "! '$OPTINCTL' -c '$CONF' show dan@example.org \
    | grep -q 'dan@example.org reason='"
sample postfix_hard "$(token news frank@example.org)" frank@example.org hard9 > "$TMP/msg"
"$OPTINCTL" -c "$TMP/conf.nodb" -t "$NOW" feedback < "$TMP/msg" > /dev/null 2> "$TMP/err"
rc=$?; err=$(cat "$TMP/err")
status "feedback: store missing: temporary failure" 75
run feedback --soft-limit 0 < "$TMP/msg"
status "feedback: --soft-limit 0: usage error kept queued (75)" 75
run feedback --complaint-scope some < "$TMP/msg"
status "feedback: --complaint-scope some: usage error kept queued (75)" 75

# --- feedback: unusable reports kept, opt-out, auth-failure, --dry-run and --json ---
{ cat "$CONF"; echo "feedback_maildir = \"$TMP/unread\";"; } > "$TMP/conf.md"
sample not_report "" x@example.org ooo2 | sed -e '/^Auto-Submitted/d' -e 's/^Subject:.*/Subject: question/' \
    > "$TMP/msg"
"$OPTINCTL" -c "$TMP/conf.md" -t "$NOW" feedback < "$TMP/msg" > /dev/null 2> "$TMP/err"
rc=$?; err=$(cat "$TMP/err")
status "a mail that is no report: acknowledged (exit 0), not returned" 0
ok "... kept in feedback_maildir/new" sh -c "ls '$TMP/unread/new/' | grep -q ."
ok "... mode 0640" sh -c "[ \"\$(stat -c %a '$TMP/unread/new/'*)\" = 640 ]"
ok "... tmp/ empty" sh -c "[ -z \"\$(ls '$TMP/unread/tmp')\" ]"
ok "... says where" says "kept in $TMP/unread/new/"
chmod 0500 "$TMP/unread/tmp"
if [ "$(id -u)" != 0 ]; then
    "$OPTINCTL" -c "$TMP/conf.md" -t "$NOW" feedback < "$TMP/msg" > /dev/null 2> "$TMP/err"
    rc=$?; err=$(cat "$TMP/err")
    status "feedback_maildir not writable: temporary failure (Postfix retries)" 75
else
    ok "feedback_maildir not writable: not testable as root # SKIP" true
fi
chmod 0700 "$TMP/unread/tmp"

ctl subscribe news olive@example.org > /dev/null
ctl subscribe offers olive@example.org > /dev/null
sample arf_yahoo "$(token news olive@example.org)" olive@example.org oo1 \
    | sed 's/^Feedback-Type: abuse/Feedback-Type: opt-out/' > "$TMP/msg"
run feedback --dry-run --json < "$TMP/msg"
status "ARF opt-out, dry run" 0
ok "... the JSON says opt-out, unsubscribe from news, verified" sh -c "printf '%s' '$out' \
    | grep -q '\"kind\":\"opt-out\",\"rule\":\"feedback-type\",\"verified\":true,\"binding\":\"token\",\"action\":\"unsubscribe\",\"list\":\"news\"'"
is "... the dry run changes nothing" "$(verdict news olive@example.org)" consent
run feedback --json < "$TMP/msg"
status "ARF opt-out" 0
is "opt-out: unsubscribed from news" "$(verdict news olive@example.org)" unsubscribed
is "opt-out: offers stays" "$(verdict offers olive@example.org)" consent
ok "opt-out: history source opt-out" shows olive@example.org "source=opt-out"
ok "--json without --dry-run: the outcome" sh -c "printf '%s' '$out' | grep -q '\"outcome\":\"applied\"'"

sample arf_yahoo "$(token news carol@example.org)" carol@example.org af1 \
    | sed 's/^Feedback-Type: abuse/Feedback-Type: auth-failure\nReported-Domain: lists.example/' > "$TMP/msg"
{ cat "$CONF"; echo "journal = \"$TMP/journal\";"; } > "$TMP/conf.j"
"$OPTINCTL" -c "$TMP/conf.j" -t "$NOW" feedback < "$TMP/msg" > /dev/null 2> "$TMP/err"
rc=$?; err=$(cat "$TMP/err")
status "ARF auth-failure" 0
ok "... logged against the sending domain" says "auth-failure reported for the sending domain lists.example"
ok "... a journal line naming the domain" grep -q '"sender":"lists.example","verdict":"auth-failure"' "$TMP/journal"
is "... the recipient is not touched" "$(verdict offers carol@example.org)" consent

feed postfix_hard "$(token news dry@example.org)" dry@example.org dry1 -- --dry-run
status "--dry-run of a hard bounce" 0
ok "... says what it would do" says "(dry run)"
is "... and changes nothing" "$(verdict news dry@example.org)" no-record

# found by tests/fuzz/fuzz_report: a text part with no content at all crashed the reader
run feedback --dry-run < "$top_srcdir/tests/fuzz/corpus/report/crash-empty-text-part"
status "an SES-looking report whose text part is empty: read, no crash" 0

# --- import-suppressions ---
ctl subscribe news unsub.pm@example.com > /dev/null
ctl subscribe news optout@example.com > /dev/null
ctl unsubscribe --all optout@example.com > /dev/null
run import-suppressions --format ses -n "$DATA/ses.csv"
status "SES: dry run" 0
ok "SES: dry run counts the kinds" says "dry run: 3 rows: bounce 2, invalid 0, complaint 1"
is "SES: dry run changes nothing" "$(verdict news bounced.ses@example.com)" no-record
run import-suppressions --format ses "$DATA/ses.csv"
status "SES export" 0
is "SES: BOUNCE -> bounce" "$(verdict news bounced.ses@example.com)" suppressed-bounce
is "SES: COMPLAINT -> complaint" "$(verdict news complained.ses@example.com)" \
    suppressed-complaint
is "SES: a bounce row leaves an unsubscribe alone" "$(verdict news optout@example.com)" \
    global-unsubscribe
ok "SES: history keeps LastUpdateTime and the source" \
    shows bounced.ses@example.com "reported_at=2024-03-02T10:11:12Z"
ok "SES: ... source import:ses:FILE" shows bounced.ses@example.com "source=import:ses:ses.csv"
run import-suppressions --format ses "$DATA/ses.csv"
ok "SES: the same file again changes nothing" says "applied 0, upgraded 0, unchanged 3"

run import-suppressions --format sendgrid --kind bounce "$DATA/sendgrid_bounces.csv"
status "SendGrid bounces (CRLF, Unix and plain times)" 0
is "SendGrid: 5.1.1 -> bounce" "$(verdict news gone.sg@example.com)" suppressed-bounce
is "SendGrid: 4.2.2 row is not imported" "$(verdict news full.sg@example.com)" no-record
ok "SendGrid: ... and counted as soft" says "soft (not imported) 1"
run import-suppressions --format sendgrid --kind complaint "$DATA/sendgrid_spam_reports.csv"
is "SendGrid spam reports -> complaint" "$(verdict news spam.sg@example.com)" suppressed-complaint
is "SendGrid: a spam report upgrades an earlier bounce" "$(verdict news bouncer@example.com)" \
    suppressed-complaint
run import-suppressions --format sendgrid --kind unsubscribe -l news \
    "$DATA/sendgrid_unsubscribes.csv"
status "SendGrid unsubscribes, -l news" 0
is "SendGrid: unsubscribed from news" "$(verdict news unsub.sg@example.com)" unsubscribed
is "SendGrid: -l news leaves offers" "$(verdict offers unsub.sg@example.com)" no-record
run import-suppressions --format sendgrid "$DATA/sendgrid_unsubscribes.csv"
status "SendGrid without --kind: usage" 64
ok "... says one list a file" says "one list a file"
run import-suppressions --format sendgrid --kind block "$DATA/sendgrid_unsubscribes.csv"
status "SendGrid --kind block: usage (blocks are no suppression)" 64

run import-suppressions --format mailgun --kind bounce "$DATA/mailgun_bounces.csv"
status "Mailgun bounces (RFC 2822 times)" 0
is "Mailgun: 550 -> bounce" "$(verdict news gone.mg@example.com)" suppressed-bounce
is "Mailgun: 421 is not imported" "$(verdict news later.mg@example.com)" no-record
ok "Mailgun: created_at kept" shows gone.mg@example.com "reported_at=2024-03-07T10:00:00Z"
run import-suppressions --format mailgun --kind complaint "$DATA/mailgun_complaints.csv"
is "Mailgun complaints" "$(verdict news spam.mg@example.com)" suppressed-complaint
run import-suppressions --format mailgun --kind unsubscribe - < "$DATA/mailgun_unsubscribes.csv"
status "Mailgun unsubscribes from standard input" 0
is "Mailgun: without -l, unsubscribed from all" "$(verdict offers unsub.mg@example.com)" \
    global-unsubscribe

run import-suppressions --format postmark "$DATA/postmark.csv"
status "Postmark export" 0
is "Postmark: HardBounce -> bounce" "$(verdict news hard.pm@example.com)" suppressed-bounce
is "Postmark: SpamComplaint -> complaint" "$(verdict news spam.pm@example.com)" \
    suppressed-complaint
is "Postmark: ManualSuppression by the Recipient -> unsubscribe from all" \
    "$(verdict news unsub.pm@example.com)" global-unsubscribe
ok "Postmark: ... its list record unsubscribed too" \
    shows unsub.pm@example.com "unsubscribe list=news state=unsubscribed"
is "Postmark: ManualSuppression by the Customer -> manual" \
    "$(verdict news manual.pm@example.com)" suppressed-manual

run import-suppressions --format postmark "$DATA/postmark_bad.csv"
status "Postmark file with bad rows: data error" 65
ok "bad rows: FILE:3 names the address" says "postmark_bad.csv:3: EmailAddress:"
ok "bad rows: FILE:4 names the reason" says "postmark_bad.csv:4: SuppressionReason: HardBounce, SpamComplaint or ManualSuppression (got 'Unsubscribed')"
ok "bad rows: FILE:5 names the time" says "postmark_bad.csv:5: CreatedAt:"
is "bad rows: nothing imported" "$(verdict news ok.pm@example.com)" no-record
run import-suppressions --format postmark --skip-invalid "$DATA/postmark_bad.csv"
status "--skip-invalid" 0
is "--skip-invalid: the valid row is imported" "$(verdict news ok.pm@example.com)" \
    suppressed-bounce
printf 'email,created\nx@example.com,1\n' > "$TMP/wrong.csv"
run import-suppressions --format ses "$TMP/wrong.csv"
status "a SendGrid file read as SES: header error" 65
ok "... names the missing column" says "header: a ses export has a column emailaddress"

done_testing
