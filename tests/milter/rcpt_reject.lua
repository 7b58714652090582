-- rcpt_reject.lua - list known from the envelope: each recipient is decided at RCPT.
-- c1 (consent) goes on; u1 (no record), unsub@ (unsubscribed) and bounced@ (suppressed:
-- bounce) get 550 5.7.1 naming the reason; the message gets exactly one List-Unsubscribe
-- (HTTPS first, then mailto, folded after the comma) and one List-Unsubscribe-Post.
local T = dofile(srcdir .. "/common.lua")

local c = T.connect()
T.mail(c, "<bounce-news-x@lists.example>", {"i", "QRR1"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.rcpt(c, "<unsub@example.org>", "REPLYCODE")
T.rcpt(c, "<bounced@example.org>", "REPLYCODE")

-- the reply text is not visible to miltertest: the log line names the reason
for _, r in ipairs({{"u1", "no-record"}, {"unsub", "unsubscribed"}, {"bounced", "suppressed-bounce"}}) do
    T.log_has(string.format("QRR1: reject: rcpt=<%s@example.org> list=news reason=%s mode=enforce",
                            r[1], r[2]))
end
T.log_has("QRR1: accept: rcpt=<c1@example.org> list=news reason=consent mode=enforce")
T.is(#T.journal(), 0, "nothing journalled while the transaction is open")

T.headers(c, {{"From", "News <news@lists.example>"}, {"To", "c1@example.org"},
              {"Subject", "This week"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
for _, r in ipairs({{"u1", "no-record"}, {"unsub", "unsubscribed"}, {"bounced", "suppressed-bounce"}}) do
    T.jis({queue_id = "QRR1", recipient = r[1] .. "@example.org", verdict = "reject", reason = r[2],
           list = "news", mode = "enforce", sender = "bounce-news-x@lists.example",
           client_addr = "192.0.2.10"}, 1)
end
T.jis({queue_id = "QRR1", recipient = "c1@example.org", verdict = "accept", reason = "consent",
       method = "single"}, 1)
local e = T.jfind({recipient = "c1@example.org"})
T.check(e and type(e.consent_time) == "string" and e.consent_time:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"),
        "the receipt has an RFC 3339 consent_time", e and T.show(e.consent_time))
T.check(e and type(e.history_seq) == "number" and e.history_seq > 0,
        "the receipt names the history event of the record it relied on", e and T.show(e.history_seq))
T.check(e and type(e.seq) == "number" and type(e.hash) == "string" and #e.hash == 64,
        "every line has its seq and chained hash", e and T.show(e.hash))
T.is(#T.journal(), 4, "four journal lines, one per recipient, written at end of message")
local token = T.one_click(c, "c1@example.org", "news", "EOM")
T.is(token, T.token("news", "c1@example.org"), "the token is the one optinctl token makes")
T.check(not mt.eom_check(c, MT_RCPTDELETE, "<u1@example.org>"), "no recipient removed at EOM")
T.check(not mt.eom_check(c, MT_HDRCHANGE), "no header changed")
T.check(not mt.eom_check(c, MT_HDRDELETE), "no header deleted")
T.is(#T.journal(), 4, "still four lines")

-- the reply text itself, through mclient.py (miltertest cannot read it)
local lines, out = T.mclient({
    "conn\tapp.example\t192.0.2.10",
    "macro\tM\ti\tQRR2",
    "mail\t<bounce-news-x@lists.example>",
    "macro\tR\t{rcpt_mailer}\tsmtp",
    "rcpt\t<u1@example.org>",
    "rcpt\t<Unsub@Example.ORG>",
    "rcpt\t<bounced@example.org>",
    "rcpt\t<c2@example.org>",
    "abort", "quit"})
if lines == nil then
    T.note("no python3: reply texts not checked")
else
    local want = {
        "550 5.7.1 <u1@example.org>: no consent for list news (no-record)",
        "550 5.7.1 <unsub@example.org>: no consent for list news (unsubscribed)",
        "550 5.7.1 <bounced@example.org>: no consent for list news (suppressed-bounce)",
    }
    for i, w in ipairs(want) do
        local l = lines[2 + i] or {}
        T.is(l[2] == "replycode" and l[3] or (l[2] or "nothing"), w, "reply text " .. i)
    end
    T.is((lines[6] or {})[2], "continue", "c2 goes on")
    if T.failed > 0 then print(out) end
end
mt.disconnect(c)

-- digest, double opt-in, known from {daemon_name} at connect: unconfirmed is "pending"
local d = T.connect({daemon = "BULK"})
T.mail(d, "<digest@lists.example>", {"i", "QRR3"})
T.rcpt(d, "<c2@example.org>", "REPLYCODE")
T.rcpt(d, "<c1@example.org>", "REPLYCODE")
mt.disconnect(d)
T.jis({queue_id = "QRR3", list = "digest", recipient = "c2@example.org", verdict = "reject",
       reason = "pending"}, 1)
T.jis({queue_id = "QRR3", list = "digest", recipient = "c1@example.org", verdict = "reject",
       reason = "no-record"}, 1)
T.done()
