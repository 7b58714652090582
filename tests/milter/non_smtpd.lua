-- non_smtpd.lua - the envelope names the list, but {rcpt_mailer} is missing (Postfix
-- non_smtpd_milters: pickup/cleanup, where a RCPT reply means nothing): every RCPT goes
-- on and is decided at the end of the message. There Postfix matches a removal against
-- the spelling submitted to sendmail(1), which the milter never sees (it gets the
-- rewritten one), so a message that would need a removal is refused whole; one where
-- everybody has consent goes with its one-click headers.
local T = dofile(srcdir .. "/common.lua")

local c = T.connect({host = "localhost", ip = "127.0.0.1"})
T.mail(c, "<bounce-news-42@lists.example>", {"i", "QNS1"})
T.rcpt(c, "<u1@example.org>", "CONTINUE", {cleanup = true})
T.rcpt(c, "<c1@example.org>", "CONTINUE", {cleanup = true})
T.rcpt(c, "<unsub@example.org>", "CONTINUE", {cleanup = true})
T.is(#T.journal(), 0, "nothing decided at RCPT")
T.headers(c, {{"From", "news@lists.example"}, {"Subject", "Weekly"}})
T.eoh(c, "CONTINUE")
T.eom(c, "REPLYCODE")
T.deleted(c, "<u1@example.org>", false)
T.deleted(c, "<unsub@example.org>", false)
T.deleted(c, "<c1@example.org>", false)
T.jis({queue_id = "QNS1", verdict = "reject", recipient = "u1@example.org", reason = "no-record"}, 1)
T.jis({queue_id = "QNS1", verdict = "reject", recipient = "unsub@example.org", reason = "unsubscribed"}, 1)
T.jis({queue_id = "QNS1", verdict = "reject", recipient = "c1@example.org", reason = "cannot-strip",
       client_addr = "127.0.0.1"}, 1)
T.is(#T.journal(), 3, "three journal lines")

-- everybody has consent: nothing to remove, the message goes with its one-click pair
T.mail(c, "<bounce-news-42@lists.example>", {"i", "QNS3"})
T.rcpt(c, "<c1@example.org>", "CONTINUE", {cleanup = true})
T.headers(c, {{"From", "news@lists.example"}, {"Subject", "Weekly"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.deleted(c, "<c1@example.org>", false)
T.one_click(c, "c1@example.org", "news", "EOM")
T.jis({queue_id = "QNS3", verdict = "accept", recipient = "c1@example.org", client_addr = "127.0.0.1"}, 1)

-- a second message on the same connection, this time from smtpd: decided at RCPT again
T.mail(c, "<bounce-news-43@lists.example>", {"i", "QNS2"})
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.eom(c, "CONTINUE")
T.deleted(c, "<u1@example.org>", false)
T.one_click(c, "c2@example.org", "news", "EOM 2")
mt.disconnect(c)
T.done()
