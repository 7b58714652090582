-- marker.lua - the marker header (X-Optin-List) names the list of a message whose sender
-- matches none; it is always removed before delivery. A marker naming no configured list
-- makes the message unattributed bulk: rejected (unattributed_bulk = reject).
local T = dofile(srcdir .. "/common.lua")
local MH = "X-Optin-List"

local c = T.connect()
-- 1: marker names news: u1 stripped, c1 kept, the marker deleted
T.mail(c, "<app@shop.example>", {"i", "QMK1"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.headers(c, {{"From", "app@shop.example"}, {MH, "news"}, {"Subject", "marked"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.check(mt.eom_check(c, MT_HDRDELETE, MH, 1), "marker deleted")
T.deleted(c, "<u1@example.org>")
T.one_click(c, "c1@example.org", "news", "marker news")
T.jis({queue_id = "QMK1", list = "news", verdict = "strip", recipient = "u1@example.org"}, 1)

-- 2: folded, padded, two copies, lower-case name: the list is found, both copies go
T.mail(c, "<app@shop.example>", {"i", "QMK2"})
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.headers(c, {{"x-optin-list", "\n\t news "}, {"Subject", "marked twice"}, {MH, "news"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.check(mt.eom_check(c, MT_HDRDELETE, MH, 1) and mt.eom_check(c, MT_HDRDELETE, MH, 2),
        "both markers deleted")
T.one_click(c, "c2@example.org", "news", "folded marker")

-- 3: unknown list in the marker: unattributed bulk, rejected at the end
T.mail(c, "<app@shop.example>", {"i", "QMK3"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.headers(c, {{MH, "nosuchlist"}, {"Subject", "who am I"}})
T.eoh(c, "CONTINUE")
T.eom(c, "REPLYCODE")
T.check(mt.eom_check(c, MT_SMTPREPLY, "550", "5.7.1",
                     "bulk mail that matches no list definition is not accepted"),
        "550 5.7.1 bulk mail that matches no list definition is not accepted")
T.jis({queue_id = "QMK3", verdict = "reject", reason = "unattributed-bulk",
       note = "marker header names no configured list", list = false}, 1)

-- 4: the envelope wins over the marker: news by sender, marker says offers; marker removed
T.mail(c, "<bounce-news-4@lists.example>", {"i", "QMK4"})
T.rcpt(c, "<c3@example.org>", "CONTINUE")
T.headers(c, {{MH, "offers"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.check(mt.eom_check(c, MT_HDRDELETE, MH, 1), "marker deleted when the envelope names the list")
T.one_click(c, "c3@example.org", "news", "envelope wins")
T.jis({queue_id = "QMK4", list = "news"}, 1)
T.is(#T.added(c, "X-Optin-Verdict"), 0, "offers' monitor mode not applied")

-- 5: the marker wins over List-Id (optin-milter.conf(5), MATCHING), in either order
for i, order in ipairs({"List-Id first", "marker first"}) do
    local qid = "QMKO" .. i
    T.mail(c, "<app@shop.example>", {"i", qid})
    T.rcpt(c, "<c1@example.org>", "CONTINUE")
    T.rcpt(c, "<u1@example.org>", "CONTINUE")
    local lid, mk = {"List-Id", "<news.lists.example>"}, {MH, "offers"}
    T.headers(c, i == 1 and {lid, mk} or {mk, lid})
    T.eoh(c, "CONTINUE")
    T.eom(c, "CONTINUE")
    T.jis({queue_id = qid, list = "offers", verdict = "would-strip", recipient = "u1@example.org"}, 1,
          order .. ": the marker's list (offers, monitor) decides")
    T.deleted(c, "<u1@example.org>", false)
    T.check(mt.eom_check(c, MT_HDRDELETE, MH, 1), order .. ": marker deleted (monitor mode too)")
end

-- 6: two List-Id fields naming different lists (RFC 2919 allows one): which list is it?
-- Refused (refuse_ambiguous_list_id), even when only the second names a configured list
T.mail(c, "<app@shop.example>", {"i", "QMKL"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<u2@example.org>", "CONTINUE")
T.headers(c, {{"List-Id", "<other.lists.example>"}, {"List-Id", "<news.lists.example>"}})
T.eoh(c, "CONTINUE")
T.eom(c, "REPLYCODE")
T.deleted(c, "<u2@example.org>", false)
T.jis({queue_id = "QMKL", verdict = "reject", reason = "ambiguous-list-id", list = "news"}, 1)

-- 7: an unknown marker next to a known List-Id: the List-Id names the list, marker removed
T.mail(c, "<app@shop.example>", {"i", "QMK5"})
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.headers(c, {{MH, "nosuchlist"}, {"List-Id", "<news.lists.example>"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.check(mt.eom_check(c, MT_HDRDELETE, MH, 1), "unknown marker deleted")
T.one_click(c, "c2@example.org", "news", "List-Id next to an unknown marker")

-- 8: the marker alone, unattributed_bulk aside: an empty marker is unknown too
T.mail(c, "<app@shop.example>", {"i", "QMK6"})
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.headers(c, {{MH, ""}})
T.eoh(c, "CONTINUE")
T.eom(c, "REPLYCODE")
T.jis({queue_id = "QMK6", verdict = "reject", reason = "unattributed-bulk"}, 1)
mt.disconnect(c)
T.done()
