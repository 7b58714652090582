-- refusal_limit.lua - the MTA counts every RCPT refusal as a client error (Postfix hangs up
-- after 20), so one session gets at most rcpt_refusal_limit (3 here) refusals between two
-- messages that went; later recipients without consent are accepted at RCPT and removed at
-- end of message. A message that goes resets the count; the refusals themselves say why.
local T = dofile(srcdir .. "/common.lua")

local c = T.connect()
T.mail(c, "<bounce-news-QRL1@lists.example>", {"i", "QRL1"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
for i = 1, 3 do T.rcpt(c, "<u" .. i .. "@example.org>", "REPLYCODE") end
T.rcpt(c, "<u4@example.org>", "CONTINUE")
T.rcpt(c, "<unsub@example.org>", "CONTINUE")
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.headers(c, {{"From", "news@lists.example"}, {"Subject", "Issue QRL1"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.deleted(c, "<u4@example.org>")
T.deleted(c, "<unsub@example.org>")
T.check(not mt.eom_check(c, MT_RCPTDELETE, "<c1@example.org>"), "c1 stays")
T.check(not mt.eom_check(c, MT_RCPTDELETE, "<c2@example.org>"), "c2 stays")
T.jis({queue_id = "QRL1", verdict = "reject"}, 3)
T.jis({queue_id = "QRL1", verdict = "strip", recipient = "u4@example.org",
       recipient_raw = "<u4@example.org>", reason = "no-record"}, 1)
T.jis({queue_id = "QRL1", verdict = "strip", recipient = "unsub@example.org",
       reason = "unsubscribed"}, 1)
T.jis({queue_id = "QRL1", verdict = "accept"}, 2)

-- the message went: the session may be refused again
T.mail(c, "<bounce-news-QRL2@lists.example>", {"i", "QRL2"})
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.rcpt(c, "<c3@example.org>", "CONTINUE")
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.jis({queue_id = "QRL2", verdict = "reject", recipient = "u1@example.org"}, 1)

-- a refused message does not reset it: the next one gets no refusal at RCPT
T.mail(c, "<bounce-news-QRL3@lists.example>", {"i", "QRL3"})
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.rcpt(c, "<u2@example.org>", "REPLYCODE")
T.rcpt(c, "<u3@example.org>", "REPLYCODE")
T.rcpt(c, "<u4@example.org>", "CONTINUE")
T.eoh(c, "CONTINUE")
T.eom(c, "REPLYCODE")
T.mail(c, "<bounce-news-QRL4@lists.example>", {"i", "QRL4"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.deleted(c, "<u1@example.org>")

-- the reply texts, through mclient.py (miltertest cannot read them)
local lines, out = T.mclient({
    "conn\tapp.example\t192.0.2.10",
    "macro\tM\ti\tQRL5", "mail\t<bounce-news-QRL5@lists.example>",
    "macro\tR\t{rcpt_mailer}\tsmtp",
    "rcpt\t<c1@example.org>", "rcpt\t<u1@example.org>",
    "abort", "quit"})
if lines then
    T.is((lines[3] or {})[2], "continue", "c1 goes on")
    T.is((lines[4] or {})[3], "550 5.7.1 <u1@example.org>: no consent for list news (no-record)",
         "u1: 550 5.7.1 with the reason")
    if T.failed > 0 then print(out) end
else
    T.note("no python3: reply texts not checked")
end
mt.disconnect(c)
T.done()
