-- all_stripped.lua - every recipient of list mail lacks consent: nothing is left at the end
-- of the message, which is then rejected (550 5.7.1, the default) or, with
-- all_recipients_denied = "discard", dropped (SMFIR_DISCARD). Nothing is edited either way.
-- Run twice by run.sh (all_stripped.setup): run is "reject" or "discard".
local T = dofile(srcdir .. "/common.lua")
local discard = run == "discard"
local final = discard and "DISCARD" or "REPLYCODE"

local function no_edits(c, what)
    T.check(not mt.eom_check(c, MT_RCPTDELETE, "<u1@example.org>")
            and not mt.eom_check(c, MT_HDRADD) and not mt.eom_check(c, MT_HDRCHANGE)
            and not mt.eom_check(c, MT_HDRDELETE), what .. ": no recipient removed, no header edited")
end
local function reply_text(c, what)
    if discard then return end
    T.check(mt.eom_check(c, MT_SMTPREPLY, "550", "5.7.1", "no recipient has consent for list news"),
            what .. ": reply 550 5.7.1 no recipient has consent for list news")
end

local c = T.connect()
-- 1: list by List-Id, recipients from smtpd
T.mail(c, "<newsletter@shop.example>", {"i", "QAS1"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.rcpt(c, "<unsub@example.org>", "CONTINUE")
T.rcpt(c, "<bounced@example.org>", "CONTINUE")
T.headers(c, {{"List-Id", "<news.lists.example>"}, {"Subject", "Sale"}})
T.eoh(c, "CONTINUE")
T.eom(c, final)
reply_text(c, "List-Id")
no_edits(c, "List-Id")
T.jis({queue_id = "QAS1", verdict = "strip"}, 3)
T.jis({queue_id = "QAS1", verdict = discard and "discard" or "reject",
       reason = "no-recipient-with-consent", list = "news", recipient = false}, 1)
T.jis({queue_id = "QAS1", verdict = "warn"}, 0)

-- 2: list by envelope, recipients from cleanup (no RCPT replies)
T.mail(c, "<bounce-news-7@lists.example>", {"i", "QAS2"})
T.rcpt(c, "<u1@example.org>", "CONTINUE", {cleanup = true})
T.rcpt(c, "<u2@example.org>", "CONTINUE", {cleanup = true})
T.headers(c, {{"Subject", "Sale"}})
T.eoh(c, "CONTINUE")
T.eom(c, final)
reply_text(c, "envelope, cleanup")
no_edits(c, "envelope, cleanup")
T.jis({queue_id = "QAS2", verdict = "strip"}, 2)
T.jis({queue_id = "QAS2", verdict = discard and "discard" or "reject",
       reason = "no-recipient-with-consent"}, 1)
T.is(#T.journal(), 7, "seven journal lines")
T.log_has("QAS2: " .. (discard and "discard" or "reject")
          .. ": rcpt=- list=news reason=no-recipient-with-consent mode=enforce")

-- 3: the connection still works: a message with one consented recipient goes through
T.mail(c, "<newsletter@shop.example>", {"i", "QAS3"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.rcpt(c, "<c3@example.org>", "CONTINUE")
T.headers(c, {{"List-Id", "<news.lists.example>"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.deleted(c, "<u1@example.org>")
T.one_click(c, "c3@example.org", "news", "third message")
mt.disconnect(c)
T.done()
