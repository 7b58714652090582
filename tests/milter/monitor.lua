-- monitor.lua - auth_user shopapp -> list offers, in monitor mode: nobody is refused or
-- removed, the journal says what enforce mode would have done (would-reject at RCPT,
-- would-strip at the end), and the message gets the X-Optin-Verdict header.
local T = dofile(srcdir .. "/common.lua")
local VH = "X-Optin-Verdict"

local c = T.connect()
-- 1: decided at RCPT: c1 has consent to offers, u1 has none
T.mail(c, "<shop@shop.example>", {"i", "QMO1", "{auth_authen}", "shopapp"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<U1@example.org>", "CONTINUE")
T.log_has("QMO1: would-reject: rcpt=<u1@example.org> list=offers reason=no-record mode=monitor")
T.headers(c, {{"Subject", "Deals"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.is(T.added(c, VH)[1], "list=offers; mode=monitor; recipients=2; would-deny=1", "verdict header added")
T.is(#T.added(c, VH), 1, "one verdict header")
T.deleted(c, "<U1@example.org>", false)
T.deleted(c, "<c1@example.org>", false)
T.check(not mt.eom_check(c, MT_HDRDELETE), "no header deleted")
T.jis({queue_id = "QMO1", recipient = "u1@example.org", verdict = "would-reject",
       reason = "no-record", list = "offers", mode = "monitor"}, 1)
T.jis({queue_id = "QMO1", recipient = "c1@example.org", verdict = "accept", list = "offers",
       mode = "monitor"}, 1)
T.jis({queue_id = "QMO1", verdict = "warn", reason = "several-recipients", mode = "monitor"}, 1)
T.is(#T.journal(), 3, "at EOM: two receipts and the several-recipients warning")

-- 2: decided at the end (no {rcpt_mailer}), and a verdict header already there is replaced
T.mail(c, "<shop@shop.example>", {"i", "QMO2", "{auth_authen}", "shopapp"})
T.rcpt(c, "<u1@example.org>", "CONTINUE", {cleanup = true})
T.rcpt(c, "<u2@example.org>", "CONTINUE", {cleanup = true})
T.headers(c, {{VH, "list=offers; forged"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.jis({queue_id = "QMO2", verdict = "would-strip", mode = "monitor"}, 2)
T.check(mt.eom_check(c, MT_HDRCHANGE, VH, "list=offers; mode=monitor; recipients=2; would-deny=2"),
        "the verdict header there is replaced")
T.is(#T.added(c, VH), 0, "no second verdict header")
T.deleted(c, "<u1@example.org>", false)
T.deleted(c, "<u2@example.org>", false)

-- 3: an enforce-mode list removes a verdict header the sender put in
T.mail(c, "<bounce-news-3@lists.example>", {"i", "QMO3"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.headers(c, {{VH, "list=news; mode=monitor; recipients=1; would-deny=0"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.check(mt.eom_check(c, MT_HDRDELETE, VH, 1), "enforce: a verdict header from the sender is deleted")
T.is(#T.added(c, VH), 0, "enforce: no verdict header added")
mt.disconnect(c)
T.done()
