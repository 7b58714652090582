-- done_when.lua - the acceptance case: one_recipient_per_message = true, one connection.
-- Transaction 1: c1 goes on, u1 and u2 get 550 at once, c2 and c3 get 452 4.5.3 so the
-- client sends them again; c1's message gets its own one-click List-Unsubscribe. The
-- deferred c2 and c3 then come in transactions 2 and 3, each with a token of its own.
-- The journal has exactly the 2 rejects and the 3 accepts (a deferral is no decision).
local T = dofile(srcdir .. "/common.lua")

local c = T.connect()
local function message(qid, rcpts, who)
    T.mail(c, "<bounce-news-" .. qid .. "@lists.example>", {"i", qid})
    for _, r in ipairs(rcpts) do T.rcpt(c, "<" .. r[1] .. "@example.org>", r[2]) end
    T.headers(c, {{"From", "news@lists.example"}, {"Subject", "Issue " .. qid}})
    T.eoh(c, "CONTINUE")
    T.eom(c, "CONTINUE")
    return T.one_click(c, who .. "@example.org", "news", qid .. " EOM")
end

local tokens = {}
tokens[1] = message("QDW1", {{"c1", "CONTINUE"}, {"u1", "REPLYCODE"}, {"c2", "REPLYCODE"},
                             {"u2", "REPLYCODE"}, {"c3", "REPLYCODE"}}, "c1")
T.log_has("QDW1: reject: rcpt=<u1@example.org> list=news reason=no-record")
T.log_has("QDW1: reject: rcpt=<u2@example.org> list=news reason=no-record")
T.log_has("QDW1: defer: rcpt=<c2@example.org> list=news reason=one-recipient-per-message")
T.log_has("QDW1: defer: rcpt=<c3@example.org> list=news reason=one-recipient-per-message")
tokens[2] = message("QDW2", {{"c2", "CONTINUE"}, {"c3", "REPLYCODE"}}, "c2")
T.log_has("QDW2: defer: rcpt=<c3@example.org> list=news reason=one-recipient-per-message")
tokens[3] = message("QDW3", {{"c3", "CONTINUE"}}, "c3")
T.check(tokens[1] ~= tokens[2] and tokens[2] ~= tokens[3] and tokens[1] ~= tokens[3],
        "three different tokens")

T.jis({verdict = "reject"}, 2)
T.jis({verdict = "reject", recipient = "u1@example.org", queue_id = "QDW1"}, 1)
T.jis({verdict = "reject", recipient = "u2@example.org", queue_id = "QDW1"}, 1)
T.jis({verdict = "accept"}, 3)
T.jis({verdict = "accept", recipient = "c1@example.org", queue_id = "QDW1"}, 1)
T.jis({verdict = "accept", recipient = "c2@example.org", queue_id = "QDW2"}, 1)
T.jis({verdict = "accept", recipient = "c3@example.org", queue_id = "QDW3"}, 1)
T.is(#T.journal(), 5, "five journal lines in all")

-- the deferral comes after the 550s: a denied recipient after a deferred one still gets 550
T.mail(c, "<bounce-news-QDW4@lists.example>", {"i", "QDW4"})
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.rcpt(c, "<c1@example.org>", "REPLYCODE")
T.rcpt(c, "<unsub@example.org>", "REPLYCODE")
T.log_has("QDW4: defer: rcpt=<c1@example.org>")
T.log_has("QDW4: reject: rcpt=<unsub@example.org> list=news reason=unsubscribed")
T.eom(c, "CONTINUE")
T.one_click(c, "c2@example.org", "news", "QDW4 EOM")

-- the reply codes themselves, through mclient.py (miltertest cannot read them)
local lines, out = T.mclient({
    "conn\tapp.example\t192.0.2.10",
    "macro\tM\ti\tQDW5", "mail\t<bounce-news-QDW5@lists.example>",
    "macro\tR\t{rcpt_mailer}\tsmtp",
    "rcpt\t<c1@example.org>", "rcpt\t<u1@example.org>", "rcpt\t<c2@example.org>",
    "abort", "quit"})
if lines then
    T.is((lines[3] or {})[2], "continue", "c1 goes on")
    T.is((lines[4] or {})[3], "550 5.7.1 <u1@example.org>: no consent for list news (no-record)",
         "u1: 550 5.7.1")
    T.is((lines[5] or {})[3], "452 4.5.3 one recipient per message for list news", "c2: 452 4.5.3")
    if T.failed > 0 then print(out) end
else
    T.note("no python3: reply texts not checked")
end
mt.disconnect(c)
T.done()
