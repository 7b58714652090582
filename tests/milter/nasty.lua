-- nasty.lua - hostile and unusual input: CR/LF and broken UTF-8 in a recipient (refused as
-- invalid-address, nothing injected into the log), internationalised recipients (SMTPUTF8
-- and IDN: the U-label and A-label forms are one address), 8-bit and UTF-8 headers,
-- 1,000 recipients on the header-known path, and very long header values: 60 KB through
-- miltertest's limits ("main" run) and 100 KB, the Postfix header_size_limit, through
-- mclient.py ("big" run; miltertest copies a header into a 1 KB buffer).
local T = dofile(srcdir .. "/common.lua")

if run == "big" then
    -- a 100 KB Subject on list mail: a header this size is legal for Postfix
    -- (header_size_limit = 102400); the milter must answer it like any other message
    local lines, out = T.mclient({
        "conn\tapp.example\t192.0.2.10",
        "macro\tM\ti\tQBIG1", "mail\t<bounce-news-1@lists.example>",
        "macro\tR\t{rcpt_mailer}\tsmtp", "rcpt\t<c1@example.org>",
        "hdrfill\tSubject\t102400", "hdr\tFrom\tnews@lists.example",
        "eoh", "eom", "quit"})
    if lines == nil then
        T.note("no python3: skipped")
        T.done()
        return
    end
    local got = {}
    for _, l in ipairs(lines) do got[#got + 1] = table.concat(l, " ") end
    T.is(got[4], "eoh continue ", "100 KB Subject: the session goes on to the end of the headers")
    T.is(got[#got], "eom continue ", "100 KB Subject: end of message answered")
    T.check(out:find("mod\taddheader\tList-Unsubscribe|", 1, true) ~= nil,
            "100 KB Subject: List-Unsubscribe added")
    if T.failed > 0 then print(out) end
    -- whatever happened, the milter still serves the next connection
    local c = T.connect()
    T.mail(c, "<bounce-news-2@lists.example>", {"i", "QBIG2"})
    T.rcpt(c, "<c1@example.org>", "CONTINUE")
    T.eom(c, "CONTINUE")
    T.one_click(c, "c1@example.org", "news", "next connection")
    mt.disconnect(c)
    T.done()
    return
end

local c = T.connect()
-- 1: list by envelope, recipients decided at RCPT
T.mail(c, "<bounce-news-1@lists.example>", {"i", "QNA1"}, nil, {"SMTPUTF8"})
T.rcpt(c, "<u\r\n1@example.org>", "REPLYCODE")
T.rcpt(c, "<evil@example.org>\r\nX-Injected: yes", "REPLYCODE")
T.rcpt(c, "<\255\254@example.org>", "REPLYCODE")
T.rcpt(c, "<用户@例子.广告>", "CONTINUE")
T.rcpt(c, "<用户@xn--fsqu00a.xn--4rr70v>", "CONTINUE")
T.rcpt(c, "<kunde@xn--bcher-kva.example>", "CONTINUE")
T.rcpt(c, "<KUNDE@XN--BCHER-KVA.EXAMPLE>", "CONTINUE")
T.rcpt(c, "<Üser@Bücher.example>", "CONTINUE")
T.rcpt(c, "<fremder@bücher.example>", "REPLYCODE")
local log = T.log()
T.check(not log:find("\r", 1, true), "no CR in the log")
T.check(not log:find("\n1@example.org", 1, true) and not log:find("\nX-Injected", 1, true),
        "no line injected into the log")
T.log_has("reason=invalid-address", "the log names invalid-address")
T.headers(c, {{"From", "\"M\233lanie\" <news@lists.example>"},              -- 8-bit Latin-1
              {"Subject", "Grüße, 你好 – ✓ ünïcödé"},
              {"List-Id", "Nachrichten für Sie <news.lists.example>"},
              {"X-Binary", "\1\2\127\255 end"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.is(#T.added(c, "List-Unsubscribe"), 1, "one List-Unsubscribe (list-level: several recipients)")
T.jis({queue_id = "QNA1", verdict = "reject", reason = "invalid-address"}, 3)
T.jis({queue_id = "QNA1", verdict = "accept", recipient = "用户@xn--fsqu00a.xn--4rr70v"}, 2)
T.jis({queue_id = "QNA1", verdict = "accept", recipient = "kunde@xn--bcher-kva.example"}, 2)
T.jis({queue_id = "QNA1", verdict = "accept", recipient = "üser@xn--bcher-kva.example"}, 1)
T.jis({queue_id = "QNA1", verdict = "reject", reason = "no-record",
       recipient = "fremder@xn--bcher-kva.example"}, 1)
for _, e in ipairs(T.journal()) do
    if e.reason == "invalid-address" then
        T.check(not e.recipient:find("[\r\n]"), "journal: no CR/LF in " .. T.show(e.recipient))
    end
end
T.check(not mt.eom_check(c, MT_RCPTDELETE, "<用户@例子.广告>"), "no recipient removed")

-- 2: 1,000 recipients, list by List-Id (UTF-8 phrase): all but the 3 consented removed
T.mail(c, "<newsletter@shop.example>", {"i", "QNA2"})
local raws = {"<c1@example.org>", "<c2@example.org>", "<c3@example.org>"}
for i = 1, 997 do raws[#raws + 1] = string.format("<R%04d@Example.org>", i) end
local bad = 0
for _, r in ipairs(raws) do
    T.proto(mt.macro(c, SMFIC_RCPT, "{rcpt_mailer}", "smtp", "{rcpt_addr}", r), "macro")
    T.proto(mt.rcptto(c, r), "rcptto")
    if mt.getreply(c) ~= SMFIR_CONTINUE then bad = bad + 1 end
end
T.is(bad, 0, "1,000 RCPTs all go on")
T.headers(c, {{"List-Id", "Ünsere Nachrichten <news.lists.example>"}, {"Subject", "big list"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
local missing = 0
for i = 4, #raws do
    if not mt.eom_check(c, MT_RCPTDELETE, raws[i]) then missing = missing + 1 end
end
T.is(missing, 0, "997 recipients removed, each as given")
T.check(not mt.eom_check(c, MT_RCPTDELETE, "<c1@example.org>")
        and not mt.eom_check(c, MT_RCPTDELETE, "<c3@example.org>"), "the consented ones kept")
T.is(#T.added(c, "List-Unsubscribe-Post"), 0, "no List-Unsubscribe-Post (3 recipients left)")
local j = T.journal()
T.is(T.jcount({queue_id = "QNA2", verdict = "strip"}, j), 997, "997 strip lines")
T.is(T.jcount({queue_id = "QNA2", verdict = "accept"}, j), 3, "3 accept lines")
T.is(T.jcount({queue_id = "QNA2", verdict = "warn"}, j), 1, "1 warn line")
T.is(T.jcount({queue_id = "QNA2", recipient = "r0997@example.org"}, j), 1,
     "the last one journalled, normalized")

-- 3: long header values (60 KB: under libmilter's 64 KB packet limit) through mclient.py
local lines, out = T.mclient({
    "conn\tapp.example\t192.0.2.10",
    "macro\tM\ti\tQNA3", "mail\t<newsletter@shop.example>",
    "macro\tR\t{rcpt_mailer}\tsmtp", "rcpt\t<c1@example.org>", "rcpt\t<u1@example.org>",
    "hdrfill\tSubject\t60000",
    "hdr\tList-Id\t" .. string.rep("x", 30000) .. " <news.lists.example>",
    "eoh", "eom",
    "macro\tM\ti\tQNA4", "mail\t<app@shop.example>",
    "macro\tR\t{rcpt_mailer}\tsmtp", "rcpt\t<c1@example.org>",
    "hdr\tX-Optin-List\tnews" .. string.rep(" ", 40000) .. "x",
    "eoh", "eom", "quit"})
if lines then
    T.check(out:find("mod\tdelrcpt\t<u1@example.org>", 1, true) ~= nil,
            "60 KB Subject, 30 KB List-Id phrase: u1 removed")
    T.check(out:find("mod\taddheader\tList-Unsubscribe-Post", 1, true) ~= nil,
            "60 KB Subject: one-click headers added for c1")
    T.jis({queue_id = "QNA4", verdict = "reject", reason = "unattributed-bulk"}, 1,
          "a 40 KB marker value names no list: unattributed bulk")
    T.check(out:find("eom\treplycode\t550 5.7.1", 1, true) ~= nil, "... and is refused")
    if T.failed > 0 then print(out) end
else
    T.note("no python3: long headers not sent")
end
mt.disconnect(c)
T.done()
