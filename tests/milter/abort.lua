-- abort.lua - a transaction aborted in the middle (RSET, or the client went away) leaves
-- nothing behind: the next message on the same connection starts from scratch.
local T = dofile(srcdir .. "/common.lua")

local c = T.connect()
-- 1: list mail, aborted after the headers
T.mail(c, "<bounce-news-1@lists.example>", {"i", "QAB1"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.headers(c, {{"X-Optin-List", "offers"}, {"List-Unsubscribe", "<mailto:x@app.example>"},
              {"Precedence", "bulk"}})
T.check(mt.abort(c) == nil, "abort after the headers")

-- 2: transactional mail: accepted at the end of the headers, as if 1 never was
T.mail(c, "<orders@shop.example>", {"i", "QAB2"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.headers(c, {{"Subject", "Your order"}})
T.eoh(c, "ACCEPT")

-- 3: list by List-Id: only its own recipient c2, and none of 1's headers counted
T.mail(c, "<newsletter@shop.example>", {"i", "QAB3"})
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.headers(c, {{"List-Id", "<news.lists.example>"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.one_click(c, "c2@example.org", "news", "message 3")
T.check(not mt.eom_check(c, MT_HDRCHANGE) and not mt.eom_check(c, MT_HDRDELETE),
        "message 3: no header of message 1 changed or deleted")
T.check(not mt.eom_check(c, MT_RCPTDELETE, "<u1@example.org>")
        and not mt.eom_check(c, MT_RCPTDELETE, "<c1@example.org>"), "message 3: nothing removed")
T.jis({queue_id = "QAB3"}, 1)

-- 4: aborted right after MAIL, then an abort with no transaction at all, then list mail
T.mail(c, "<bounce-news-4@lists.example>", {"i", "QAB4"})
T.check(mt.abort(c) == nil, "abort after MAIL")
T.check(mt.abort(c) == nil, "abort with no transaction")
T.mail(c, "<newsletter@shop.example>", {"i", "QAB5"})
T.rcpt(c, "<u2@example.org>", "CONTINUE")
T.rcpt(c, "<c3@example.org>", "CONTINUE")
T.headers(c, {{"Subject", "plain"}})
T.eoh(c, "ACCEPT")

-- 5: aborted after the end of message of an accepted message (Postfix sends ABORT after
-- each transaction), then one more list message
T.mail(c, "<bounce-news-6@lists.example>", {"i", "QAB6"})
T.rcpt(c, "<c3@example.org>", "CONTINUE")
T.eom(c, "CONTINUE")
T.one_click(c, "c3@example.org", "news", "message 6")
T.check(mt.abort(c) == nil, "abort after end of message")
T.mail(c, "<bounce-news-7@lists.example>", {"i", "QAB7"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.eom(c, "CONTINUE")
T.one_click(c, "c1@example.org", "news", "message 7")

T.jis({queue_id = "QAB1", verdict = "reject", recipient = "u1@example.org"}, 1)
T.jis({queue_id = "QAB1", verdict = "accept", recipient = "c1@example.org"}, 0,
      "no receipt for c1: message 1 was aborted")
T.jis({queue_id = "QAB1", verdict = "aborted", reason = "not-sent", recipient = "c1@example.org"}, 1)
T.jis({queue_id = "QAB2"}, 0)
T.jis({queue_id = "QAB5"}, 0)
T.is(#T.journal(), 5, "five journal lines in all")
mt.disconnect(c)

-- 6: a connection dropped in the middle of a message; the next connection works
local d = T.connect()
T.mail(d, "<bounce-news-8@lists.example>", {"i", "QAB8"})
T.rcpt(d, "<c1@example.org>", "CONTINUE")
mt.disconnect(d, false)
local e = T.connect()
T.mail(e, "<bounce-news-9@lists.example>", {"i", "QAB9"})
T.rcpt(e, "<c2@example.org>", "CONTINUE")
T.eom(e, "CONTINUE")
T.one_click(e, "c2@example.org", "news", "after a dropped connection")
mt.disconnect(e)
T.done()
