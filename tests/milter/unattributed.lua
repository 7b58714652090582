-- unattributed.lua - mail that looks like bulk (Precedence: bulk/list/junk, a List-Id or a
-- List-Unsubscribe) but matches no list follows unattributed_bulk: it is not accepted at
-- the end of the headers; at the end of the message it gets 550 5.7.1 (reject, the
-- default), 451 4.7.1 (tempfail) or is accepted untouched (accept); it is journalled
-- each time. Run once per value (unattributed.setup).
local T = dofile(srcdir .. "/common.lua")
local TEXT = "bulk mail that matches no list definition is not accepted"
local CODE = {reject = {"550", "5.7.1"}, tempfail = {"451", "4.7.1"}}

local c = T.connect()
local n = 0
local function bulk(headers, what)
    n = n + 1
    local qid = "QUA" .. n
    T.mail(c, "<promo@shop.example>", {"i", qid})
    T.rcpt(c, "<c1@example.org>", "CONTINUE")
    T.rcpt(c, "<u1@example.org>", "CONTINUE")
    T.headers(c, headers)
    T.eoh(c, "CONTINUE")
    if run == "accept" then
        T.eom(c, "ACCEPT")
    else
        T.eom(c, "REPLYCODE")
        T.check(mt.eom_check(c, MT_SMTPREPLY, CODE[run][1], CODE[run][2], TEXT),
                what .. ": " .. CODE[run][1] .. " " .. CODE[run][2] .. " " .. TEXT)
    end
    T.check(not mt.eom_check(c, MT_HDRADD) and not mt.eom_check(c, MT_RCPTDELETE, "<u1@example.org>"),
            what .. ": nothing edited")
    T.jis({queue_id = qid, verdict = run, reason = "unattributed-bulk", list = false,
           recipient = false, sender = "promo@shop.example"}, 1)
    T.log_has(qid .. ": " .. run .. ": rcpt=- list=- reason=unattributed-bulk")
end

bulk({{"From", "promo@shop.example"}, {"Precedence", "bulk"}, {"Subject", "Sale"}}, "Precedence: bulk")
bulk({{"Precedence", "\n\t List "}}, "Precedence: List, folded")
bulk({{"PRECEDENCE", "junk"}}, "PRECEDENCE: junk")
bulk({{"List-Id", "Other list <other.lists.example>"}}, "List-Id of an unknown list")
bulk({{"List-Id", "no angle brackets"}}, "List-Id without an id")
bulk({{"List-Unsubscribe", "<mailto:leave@shop.example>"}}, "List-Unsubscribe")
bulk({{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}}, "List-Unsubscribe-Post")
T.is(#T.journal(), n, "one journal line per message, none per recipient")

-- an unknown marker is removed even when unattributed bulk is accepted
T.mail(c, "<promo@shop.example>", {"i", "QUA-MK"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.headers(c, {{"X-Optin-List", "nosuchlist"}})
T.eoh(c, "CONTINUE")
if run == "accept" then
    T.eom(c, "CONTINUE")
    T.check(mt.eom_check(c, MT_HDRDELETE, "X-Optin-List", 1), "accept: the unknown marker deleted")
else
    T.eom(c, "REPLYCODE")
end
T.jis({queue_id = "QUA-MK", verdict = run, note = "marker header names no configured list"}, 1)

-- not bulk: accepted at the end of the headers
T.mail(c, "<promo@shop.example>", {"i", "QUA-NB"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.headers(c, {{"Precedence", "bulky"}, {"X-List-Id", "<news.lists.example>"}})
T.eoh(c, "ACCEPT")
mt.disconnect(c)
T.done()
