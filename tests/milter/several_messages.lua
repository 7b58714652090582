-- several_messages.lua - three messages with different outcomes on one connection; each
-- keeps to its own recipients, list and queue id. The second one's queue id is only given
-- at end of message (macro i at EOM, as Postfix's cleanup does): its journal lines carry it.
local T = dofile(srcdir .. "/common.lua")

local c = T.connect()
-- 1: list by envelope, queue id at MAIL: c1 accepted, u1 rejected at RCPT
T.mail(c, "<bounce-news-1@lists.example>", {"i", "QSM1"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.headers(c, {{"Subject", "one"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.one_click(c, "c1@example.org", "news", "message 1")

-- 2: list by List-Id, no queue id until EOM: u2 stripped, c2 kept
T.mail(c, "<newsletter@shop.example>")
T.rcpt(c, "<u2@example.org>", "CONTINUE")
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.headers(c, {{"List-Id", "News <news.lists.example>"}, {"Subject", "two"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE", "QSM2")
T.deleted(c, "<u2@example.org>")
T.deleted(c, "<u1@example.org>", false)
T.deleted(c, "<c1@example.org>", false)
T.one_click(c, "c2@example.org", "news", "message 2")
T.jis({queue_id = "QSM2", verdict = "strip", recipient = "u2@example.org",
       sender = "newsletter@shop.example"}, 1)
T.jis({queue_id = "QSM2", verdict = "accept", recipient = "c2@example.org"}, 1)
T.jis({queue_id = "QSM2"}, 2, "message 2 has two journal lines, both with its queue id")
local own = T.log():match("(optin%-%d+%.2): queue_id=QSM2")
T.check(own ~= nil, "log: message 2's own id is followed by its queue id")
T.jis({queue_id = "QSM2", session_id = own}, 2, "message 2's lines carry its session id")
local s1 = (T.jfind({queue_id = "QSM1"}) or {}).session_id
T.check(s1 ~= nil and s1 ~= own and s1:match("^optin%-%d+%.1$"), "message 1 has session id N.1",
        T.show(s1))
T.jis({queue_id = "QSM1"}, 2, "message 1 still has its two lines")

-- 3: transactional: accepted at the end of the headers, nothing journalled
T.mail(c, "<orders@shop.example>", {"i", "QSM3"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.headers(c, {{"Subject", "three"}})
T.eoh(c, "ACCEPT")
T.jis({queue_id = "QSM3"}, 0)
T.is(#T.journal(), 4, "four journal lines in all")

-- 4: and one more list message after the accepted one: no state left from 1-3
T.mail(c, "<bounce-news-4@lists.example>", {"i", "QSM4"})
T.rcpt(c, "<c3@example.org>", "CONTINUE")
T.eom(c, "CONTINUE")
T.one_click(c, "c3@example.org", "news", "message 4")
T.check(not mt.eom_check(c, MT_RCPTDELETE, "<u2@example.org>"), "message 4 removes nothing")
T.jis({queue_id = "QSM4"}, 1)
mt.disconnect(c)

-- two connections at once, their steps interleaved: each keeps its own message
local a, b = T.connect({ip = "192.0.2.1"}), T.connect({ip = "192.0.2.2"})
T.mail(a, "<bounce-news-a@lists.example>", {"i", "QSMA"})
T.mail(b, "<orders@shop.example>", {"i", "QSMB"})
T.rcpt(a, "<u1@example.org>", "REPLYCODE")
T.rcpt(b, "<u1@example.org>", "CONTINUE")
T.rcpt(a, "<c1@example.org>", "CONTINUE")
T.rcpt(b, "<u2@example.org>", "CONTINUE")
T.headers(b, {{"List-Id", "<news.lists.example>"}})
T.headers(a, {{"Subject", "a"}})
T.eoh(a, "CONTINUE")
T.eoh(b, "CONTINUE")
T.eom(b, "REPLYCODE")
T.eom(a, "CONTINUE")
T.one_click(a, "c1@example.org", "news", "connection a")
T.jis({queue_id = "QSMB", verdict = "strip"}, 2, "connection b: both its recipients stripped")
T.jis({queue_id = "QSMB", verdict = "reject", reason = "no-recipient-with-consent",
       client_addr = "192.0.2.2"}, 1)
T.jis({queue_id = "QSMA", client_addr = "192.0.2.1"}, 2)
mt.disconnect(a)
mt.disconnect(b)

-- other connections: the client address as the journal shows it (IPv6, unknown family)
for _, a in ipairs({{"2001:db8::25", "2001:db8::25", "QSM6"}, {"unspec", "unknown", "QSM7"}}) do
    local d = T.connect({host = "v6.example", ip = a[1]})
    T.mail(d, "<bounce-news-x@lists.example>", {"i", a[3]})
    T.rcpt(d, "<u1@example.org>", "REPLYCODE")
    mt.disconnect(d)        -- the transaction's lines are written when it ends
    T.jis({queue_id = a[3], client_addr = a[2], recipient = "u1@example.org"}, 1,
          "client_addr " .. a[2] .. " for conninfo " .. a[1])
end
T.done()
