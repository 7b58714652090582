-- spf.lua - sender authorization (SPF) with the test zone of spf.setup; egress 192.0.2.25,
-- helo_name mta.lists.example, spf_timeout 1s, spf_trace_header on, default actions
-- (fail: reject, softfail: journal, temperror/permerror: tempfail).
--   news (envelope) from lists.example: pass, checked at MAIL, X-Optin-SPF added, every
--     journal line has spf=pass; a forged X-Optin-SPF is replaced
--   digest (daemon BULK) from fail.example: MAIL gets 550 5.7.23, one journal line
--   softfail: journalled (warn), mail goes on; neutral: nothing but the spf member
--   temperror and permerror: MAIL gets 451 4.7.24; no answer within 1 s: 451 4.7.24,
--     and the late answer (fail) is cached for the next message
--   null sender: the HELO name is checked
--   offers (monitor): fail is only would-reject
--   news known from List-Id only, sender fail.example: refused at end of message
--   transactional mail from fail.example: never checked
local T = dofile(srcdir .. "/common.lua")
local HDR = "X-Optin-SPF"

-- mail_reply STEPS... - the reply line of the "mail" step through mclient (nil without python3)
local function mail_reply(id, from, daemon, extra)
    local steps = {}
    if daemon then steps[#steps + 1] = "macro\tC\t{daemon_name}\t" .. daemon end
    steps[#steps + 1] = "conn\tapp.example\t192.0.2.10"
    steps[#steps + 1] = "macro\tM\ti\t" .. id .. (extra or "")
    steps[#steps + 1] = "mail\t" .. from
    steps[#steps + 1] = "abort"
    steps[#steps + 1] = "quit"
    local lines, out = T.mclient(steps)
    if lines == nil then return nil end
    for _, l in ipairs(lines) do
        if l[1] == "mail" then return l[2] == "replycode" and l[3] or l[2] end
    end
    return "no mail reply in: " .. out
end

-- 1: news from lists.example: pass at MAIL, the trace header at the end
local c = T.connect()
T.mail(c, "<bounce-news-1@lists.example>", {"i", "QSP1"})
T.log_has("QSP1: spf=pass smtp.mailfrom=lists.example egress=192.0.2.25 list=news")
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.headers(c, {{"From", "News <news@lists.example>"}, {"Subject", "Hello"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.is(T.added(c, HDR)[1], "spf=pass smtp.mailfrom=lists.example egress=192.0.2.25", "X-Optin-SPF added")
T.is(#T.added(c, HDR), 1, "one X-Optin-SPF")
T.jis({queue_id = "QSP1", spf = "pass"}, 2, "both recipient lines carry spf=pass")
T.jis({queue_id = "QSP1", recipient = false}, 0, "no message-level line for a pass")

-- 2: a second message of the same domain is answered from the cache
T.mail(c, "<bounce-news-2@lists.example>", {"i", "QSP2"})
T.log_has("QSP2: spf=pass smtp.mailfrom=lists.example egress=192.0.2.25 list=news cached")
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.headers(c, {{HDR, "spf=pass (forged)"}, {"Subject", "Again"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.check(mt.eom_check(c, MT_HDRCHANGE, HDR, "spf=pass smtp.mailfrom=lists.example egress=192.0.2.25"),
        "a forged X-Optin-SPF is replaced")
T.is(#T.added(c, HDR), 0, "and none added")
mt.disconnect(c)

-- 3: digest from fail.example: MAIL refused, one journal line, no recipient looked at
local d = T.connect({daemon = "BULK"})
T.mail(d, "<x@fail.example>", {"i", "QSP3"}, "REPLYCODE")
T.log_has("QSP3: spf=fail smtp.mailfrom=fail.example egress=192.0.2.25 list=digest")
T.log_has("QSP3: reject: rcpt=- list=digest reason=spf-fail mode=enforce note=spf=fail smtp.mailfrom=fail.example egress=192.0.2.25")
T.jis({queue_id = "QSP3", list = "digest", verdict = "reject", reason = "spf-fail", spf = "fail",
       sender = "x@fail.example", recipient = false,
       note = "spf=fail smtp.mailfrom=fail.example egress=192.0.2.25"}, 1)
T.jis({queue_id = "QSP3"}, 1, "nothing else journalled for it")

-- 4: softfail: journalled, the mail goes on and its lines carry spf=softfail
T.mail(d, "<x@soft.example>", {"i", "QSP4"})
T.rcpt(d, "<c1@example.org>", "REPLYCODE")     -- digest is double opt-in: no record

-- 5: neutral costs nothing (its MAIL ends transaction 4, whose lines are written then)
T.mail(d, "<x@neutral.example>", {"i", "QSP5"})
T.jis({queue_id = "QSP4", verdict = "warn", reason = "spf-softfail", spf = "softfail", recipient = false}, 1)
T.jis({queue_id = "QSP4", recipient = "c1@example.org", reason = "no-record", spf = "softfail"}, 1)
T.log_has("QSP5: spf=neutral smtp.mailfrom=neutral.example")
T.jis({queue_id = "QSP5"}, 0, "neutral: no journal line at MAIL")

-- 6: temperror and permerror: 451 4.7.24 (spf_error = tempfail)
T.mail(d, "<x@temp.example>", {"i", "QSP6"}, "REPLYCODE")
T.jis({queue_id = "QSP6", verdict = "tempfail", reason = "spf-temperror", spf = "temperror"}, 1)
T.mail(d, "<x@perm.example>", {"i", "QSP7"}, "REPLYCODE")
T.jis({queue_id = "QSP7", verdict = "tempfail", reason = "spf-permerror", spf = "permerror"}, 1)

-- 7: null sender: the HELO name passes
T.mail(d, "<>", {"i", "QSP8"})
T.log_has("QSP8: spf=pass smtp.helo=mta.lists.example egress=192.0.2.25 list=digest")
mt.disconnect(d)

-- 8: the reply texts (mclient): fail, temperror, and a lookup slower than spf_timeout
local r = mail_reply("QSP9", "<y@fail.example>", "BULK")
if r == nil then
    T.note("no python3: reply texts not checked")
else
    T.is(r, "550 5.7.23 SPF fail: fail.example does not authorize 192.0.2.25 to send list digest",
         "fail: reply text")
    T.is(mail_reply("QSP10", "<y@temp.example>", "BULK"),
         "451 4.7.24 SPF temperror for temp.example, list digest: try again later", "temperror: reply text")
    local t0 = os.time()
    T.is(mail_reply("QSP11", "<y@slow.example>", "BULK"),
         "451 4.7.24 SPF temperror for slow.example, list digest: try again later",
         "no answer within spf_timeout: 451 4.7.24")
    T.check(os.time() - t0 <= 2, "answered after spf_timeout, not after the 3 s lookup")
    T.log_has("QSP11: spf=temperror smtp.mailfrom=slow.example egress=192.0.2.25 list=digest detail=no answer within 1000 ms (timed out)")
    mt.sleep(3.5)
    T.is(mail_reply("QSP12", "<z@slow.example>", "BULK"),
         "550 5.7.23 SPF fail: slow.example does not authorize 192.0.2.25 to send list digest",
         "the late answer was cached: the next message gets fail at once")
    T.log_has("QSP12: spf=fail smtp.mailfrom=slow.example egress=192.0.2.25 list=digest cached")
end

-- 9: offers is in monitor mode: fail is journalled as would-reject, nothing refused
local o = T.connect()
T.mail(o, "<shop@fail.example>", {"i", "QSP13", "{auth_authen}", "shopapp"})
T.rcpt(o, "<c1@example.org>", "CONTINUE")

-- 10: news known from List-Id only, sender fail.example: refused at the end of the message
T.mail(o, "<newsletter@fail.example>", {"i", "QSP14"})
T.jis({queue_id = "QSP13", verdict = "would-reject", reason = "spf-fail", mode = "monitor", spf = "fail"}, 1)
T.jis({queue_id = "QSP13", verdict = "aborted", recipient = "c1@example.org"}, 1,
      "transaction 13 ended without end of message: c1 not sent")
T.rcpt(o, "<c1@example.org>", "CONTINUE")
T.check(T.log_count("QSP14: spf=") == 0, "list not known at MAIL: no check yet")
T.headers(o, {{"List-Id", "News <news.lists.example>"}, {"Subject", "Hi"}})
T.eoh(o, "CONTINUE")
T.eom(o, "REPLYCODE")
T.log_has("QSP14: spf=fail smtp.mailfrom=fail.example egress=192.0.2.25 list=news")
T.jis({queue_id = "QSP14", verdict = "reject", reason = "spf-fail", list = "news", recipient = false}, 1)
T.jis({queue_id = "QSP14"}, 1, "only that line: the recipients were not decided")

-- 11: transactional mail from fail.example is never checked
T.mail(o, "<orders@fail.example>", {"i", "QSP15"})
T.rcpt(o, "<someone@example.org>", "CONTINUE")
T.headers(o, {{"Subject", "Your order"}})
T.eoh(o, "ACCEPT")
T.check(T.log_count("QSP15: spf=") == 0, "transactional: no SPF check")
T.jis({queue_id = "QSP15"}, 0, "transactional: nothing journalled")
mt.disconnect(o)
T.done()
