-- eom_strip.lua - list known only from its List-Id header (the sender matches no list):
-- recipients wait for the end of the message, where the two without consent are removed
-- exactly as they were given (mixed case kept). Three are left, so the only honest
-- List-Unsubscribe is a list-level mailto without one-click: no List-Unsubscribe-Post,
-- and the journal says so with a "warn" line.
local T = dofile(srcdir .. "/common.lua")

local raw = {"<c1@example.org>", "<U1@Example.ORG>", "<C2@EXAMPLE.org>", "<u2@example.ORG>",
             "<c3@Example.Org>"}
local c = T.connect()
T.mail(c, "<newsletter@shop.example>", {"i", "QES1"})
for _, r in ipairs(raw) do T.rcpt(c, r, "CONTINUE") end
T.is(#T.journal(), 0, "nothing decided before the end of the message")
T.headers(c, {{"From", "Shop news <newsletter@shop.example>"},
              {"List-Id", "Shop news\n\t<News.Lists.Example>"}, {"Subject", "Spring sale"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")

T.deleted(c, "<U1@Example.ORG>")
T.deleted(c, "<u2@example.ORG>")
for _, r in ipairs({"<u1@example.org>", "<U2@example.ORG>", "u1@example.org", "<c1@example.org>",
                    "<C2@EXAMPLE.org>", "<c3@Example.Org>"}) do
    T.deleted(c, r, false)
end

local lu = T.added(c, "List-Unsubscribe")
T.is(#lu, 1, "one List-Unsubscribe added")
local _, token = T.unsub_parse(lu[1] or "")
T.check(token ~= nil and lu[1] == T.unsub_value(token, false),
        "List-Unsubscribe is a mailto only", T.show(lu[1]))
if token then T.is(T.decode(token), "list=news address=", "the token names the list only") end
T.is(#T.added(c, "List-Unsubscribe-Post"), 0, "no List-Unsubscribe-Post")
T.check(not mt.eom_check(c, MT_HDRCHANGE) and not mt.eom_check(c, MT_HDRDELETE),
        "no header changed or deleted")

T.jis({verdict = "strip"}, 2)
T.jis({verdict = "strip", recipient = "u1@example.org", reason = "no-record", list = "news",
       queue_id = "QES1"}, 1)
T.jis({verdict = "strip", recipient = "u2@example.org", reason = "no-record"}, 1)
T.jis({verdict = "accept", reason = "consent"}, 3)
T.jis({verdict = "warn", reason = "several-recipients", list = "news", recipient = false}, 1)
local w = T.jfind({verdict = "warn"})
T.check(w and w.note and w.note:find("no one-click", 1, true), "the warn line says why", w and T.show(w.note))
T.is(#T.journal(), 6, "six journal lines")
T.log_has("QES1: strip: rcpt=<u1@example.org> list=news reason=no-record mode=enforce")
mt.disconnect(c)
T.done()
