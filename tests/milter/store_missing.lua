-- store_missing.lua - the configured database does not exist: the milter still starts.
-- With store_failure = tempfail (run "tempfail", the default) list mail temp-fails with
-- 451 4.3.0 at RCPT or at the end of the message; with store_failure = accept (run
-- "accept") it is delivered unchecked and journalled as accept-unchecked. Transactional
-- mail is accepted at the end of its headers either way. Once the store exists, a reload
-- opens it (the start-up error says "reload to retry").
local T = dofile(srcdir .. "/common.lua")
local accept = run == "accept"

T.log_has("consent store: ", "the start-up log says the store is unavailable")
T.log_has(accept and "list mail will be delivered unchecked" or "list mail will be temp-failed",
          "... and what list mail gets")

local c = T.connect()
-- 1: list by envelope: every RCPT gets 451 (tempfail) or goes on unchecked (accept)
T.mail(c, "<bounce-news-1@lists.example>", {"i", "QSX1"})
T.rcpt(c, "<C1@example.org>", accept and "CONTINUE" or "REPLYCODE")
T.rcpt(c, "<u1@example.org>", accept and "CONTINUE" or "REPLYCODE")
T.log_has("QSX1: consent lookup failed", "log: the lookup failed")
local verdict = accept and "accept-unchecked" or "tempfail"
T.log_has("QSX1: " .. verdict .. ": rcpt=<c1@example.org> list=news reason=store-failure")
if accept then
    T.headers(c, {{"Subject", "unchecked"}})
    T.eoh(c, "CONTINUE")
    T.eom(c, "CONTINUE")
    T.deleted(c, "<u1@example.org>", false)
    T.deleted(c, "<C1@example.org>", false)
else
    mt.abort(c)
end
T.jis({queue_id = "QSX1", verdict = verdict, reason = "store-failure", list = "news"}, 2)
-- like every other journal line, these name the recipient by its normalized address
T.jis({queue_id = "QSX1", verdict = verdict, recipient = "c1@example.org"}, 1,
      "journal: the recipient normalized (c1@example.org), as on every other line")

if not accept then     -- the RCPT reply text, through mclient.py
    local lines, out = T.mclient({"conn\tapp.example\t192.0.2.10", "macro\tM\ti\tQSX1b",
                                  "mail\t<bounce-news-1@lists.example>",
                                  "macro\tR\t{rcpt_mailer}\tsmtp", "rcpt\t<c1@example.org>",
                                  "abort", "quit"})
    if lines then
        T.is((lines[3] or {})[3], "451 4.3.0 consent database unavailable for list news, try again later",
             "RCPT reply 451 4.3.0")
    end
end

-- 2: transactional: accepted at EOH, the store is not needed
T.mail(c, "<orders@shop.example>", {"i", "QSX2"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.headers(c, {{"Subject", "Your order"}})
T.eoh(c, "ACCEPT")

-- 3: list by List-Id: 451 4.3.0 at the end of the message, nothing edited (tempfail), or
-- delivered to everyone (accept)
T.mail(c, "<newsletter@shop.example>", {"i", "QSX3"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<u2@example.org>", "CONTINUE")
T.headers(c, {{"List-Id", "<news.lists.example>"}})
T.eoh(c, "CONTINUE")
if accept then
    T.eom(c, "CONTINUE")
    T.deleted(c, "<u2@example.org>", false)
    -- delivered unchecked: the journal must say to whom, as it does at RCPT
    T.jis({queue_id = "QSX3", verdict = "accept-unchecked", reason = "store-failure",
           recipient = "u2@example.org"}, 1, "journal: u2, delivered unchecked, has its line")
    T.jis({queue_id = "QSX3", verdict = "accept-unchecked", reason = "store-failure",
           recipient = "c1@example.org"}, 1, "journal: c1, delivered unchecked, has its line")
else
    T.eom(c, "REPLYCODE")
    T.check(mt.eom_check(c, MT_SMTPREPLY, "451", "4.3.0",
                         "consent database unavailable for list news, try again later"),
            "EOM reply 451 4.3.0 consent database unavailable for list news, try again later")
    T.check(not mt.eom_check(c, MT_HDRADD) and not mt.eom_check(c, MT_RCPTDELETE, "<u2@example.org>"),
            "nothing edited")
    T.jis({queue_id = "QSX3", verdict = "tempfail", reason = "store-failure"}, 1)
end
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
