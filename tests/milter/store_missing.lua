-- store_missing.lua - the configured database does not exist: the milter still starts;
-- list mail temp-fails (451 4.3.0, store_failure = tempfail) at RCPT or at the end of the
-- message, transactional mail is still accepted at the end of its headers. Once the store
-- exists, a reload opens it (the start-up error says "reload to retry").
local T = dofile(srcdir .. "/common.lua")

T.log_has("consent store: ", "the start-up log says the store is unavailable")
T.log_has("list mail will be temp-failed", "... and that list mail will be temp-failed")

local c = T.connect()
-- 1: list by envelope: every RCPT, even one that would be refused, gets 451
T.mail(c, "<bounce-news-1@lists.example>", {"i", "QSX1"})
T.rcpt(c, "<c1@example.org>", "REPLYCODE")
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.log_has("QSX1: consent lookup failed", "log: the lookup failed")
T.log_has("QSX1: tempfail: rcpt=<<c1@example.org>> list=news reason=store-failure")
T.jis({queue_id = "QSX1", verdict = "tempfail", reason = "store-failure", list = "news"}, 2)
mt.abort(c)

-- 2: transactional: accepted at EOH, the store is not needed
T.mail(c, "<orders@shop.example>", {"i", "QSX2"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.headers(c, {{"Subject", "Your order"}})
T.eoh(c, "ACCEPT")

-- 3: list by List-Id: 451 4.3.0 at the end of the message, nothing edited
T.mail(c, "<newsletter@shop.example>", {"i", "QSX3"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.headers(c, {{"List-Id", "<news.lists.example>"}})
T.eoh(c, "CONTINUE")
T.eom(c, "REPLYCODE")
T.check(mt.eom_check(c, MT_SMTPREPLY, "451", "4.3.0",
                     "consent database unavailable for list news, try again later"),
        "EOM reply 451 4.3.0 consent database unavailable for list news, try again later")
T.check(not mt.eom_check(c, MT_HDRADD) and not mt.eom_check(c, MT_RCPTDELETE, "<c1@example.org>"),
        "nothing edited")
T.jis({queue_id = "QSX3", verdict = "tempfail", reason = "store-failure"}, 1)
T.jis({queue_id = "QSX2"}, 0)

-- 4: unattributed bulk does not need the store either
T.mail(c, "<promo@shop.example>", {"i", "QSX4"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.headers(c, {{"Precedence", "bulk"}})
T.eoh(c, "CONTINUE")
T.eom(c, "REPLYCODE")
T.check(mt.eom_check(c, MT_SMTPREPLY, "550", "5.7.1",
                     "bulk mail that matches no list definition is not accepted"),
        "unattributed bulk: 550 5.7.1 as usual")
mt.disconnect(c)

-- 5: create the store, reload: list mail is checked again
local out, ok = T.ctl("init")
T.check(ok, "optinctl init", out)
out, ok = T.ctl("subscribe", "news", "c1@example.org")
T.check(ok, "optinctl subscribe", out)
T.check(T.reload(), "reload done")
T.log_has("reload: configuration " .. tmp .. "/conf loaded")
T.log_has("consent store " .. tmp .. "/db open", "the store is open after the reload")
c = T.connect()
T.mail(c, "<bounce-news-5@lists.example>", {"i", "QSX5"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.eom(c, "CONTINUE")
T.one_click(c, "c1@example.org", "news", "after the reload")
T.jis({queue_id = "QSX5", verdict = "reject", reason = "no-record"}, 1)
mt.disconnect(c)
T.done()
