-- content.lua - content checks on the first body part (content_check = refuse, then journal):
-- all items present in plain text (other case and line breaks); the postal address missing;
-- a multipart/alternative whose first part is base64 ISO-2022-JP with the Japanese opt-out
-- words; an HTML part in quoted-printable with the items split by tags; offers in monitor mode
-- without any opt-out text; transactional mail is accepted at the end of the headers, unread.
local T = dofile(srcdir .. "/common.lua")
local refuse = run == "refuse"

-- message C QID FROM HEADERS BODY WANT - one list message, the body in one chunk
local function message(c, qid, from, headers, body, want)
    T.mail(c, from, {"i", qid})
    T.rcpt(c, "<c1@example.org>", from:find("shop") and "CONTINUE" or "CONTINUE")
    T.headers(c, headers)
    T.eoh(c, "CONTINUE")
    T.check(mt.bodystring(c, body) == nil, "body sent")
    local r = mt.getreply(c)
    T.check(r == SMFIR_CONTINUE or r == SMFIR_SKIP, "body chunk -> CONTINUE")
    return T.eom(c, want)
end

local c = T.connect()
local plain = "Hello,\r\nnews from EXAMPLE lists  ltd.\r\n\r\n1 Main\r\n  Street, Springfield\r\n" ..
              "Questions: HELP@lists.example\r\nTo Unsubscribe click the link.\r\n"
message(c, "QCT1", "<bounce-news-1@lists.example>", {{"Subject", "all there"}}, plain, "CONTINUE")
T.jis({queue_id = "QCT1", reason = "content-missing"}, 0, "1: everything there: no content line")

local noaddr = "Hello,\r\nExample Lists Ltd\r\nhelp@lists.example\r\nunsubscribe here\r\n"
message(c, "QCT2", "<bounce-news-2@lists.example>", {{"Subject", "no address"}}, noaddr,
        refuse and "REPLYCODE" or "CONTINUE")
T.jis({queue_id = "QCT2", reason = "content-missing", verdict = refuse and "reject" or "warn",
       note = "the first body part lacks the postal address"}, 1)
if refuse then
    T.jis({queue_id = "QCT2", recipient = "c1@example.org", verdict = "reject", reason = "not-sent"}, 1,
          "2: refused: c1 gets no receipt, a not-sent line")
else
    T.jis({queue_id = "QCT2", recipient = "c1@example.org", verdict = "accept"}, 1, "2: journal only: delivered")
end

-- ISO-2022-JP "配信停止はこちら Example Lists Ltd 1 Main Street, Springfield help@lists.example",
-- base64, first part of multipart/alternative
local jis = "\27$BG[?.Dd;_$O$3$A$i\27(B Example Lists Ltd 1 Main Street, Springfield help@lists.example\r\n"
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
    return ((s:gsub(".", function(x)
        local r, b = "", x:byte()
        for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
        return r
    end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
        if #x < 6 then return "" end
        local n = 0
        for i = 1, 6 do n = n + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
        return b64chars:sub(n + 1, n + 1)
    end) .. ({"", "==", "="})[#s % 3 + 1])
end
local multi = "preamble\r\n--b1\r\nContent-Type: text/plain; charset=\"ISO-2022-JP\"\r\n" ..
              "Content-Transfer-Encoding: base64\r\n\r\n" .. base64(jis) .. "\r\n--b1\r\n" ..
              "Content-Type: text/html\r\n\r\n<p>no items here</p>\r\n--b1--\r\n"
message(c, "QCT3", "<bounce-news-3@lists.example>",
        {{"MIME-Version", "1.0"}, {"Content-Type", "multipart/alternative; boundary=\"b1\""}}, multi, "CONTINUE")
T.jis({queue_id = "QCT3", reason = "content-missing"}, 0,
      "3: base64 ISO-2022-JP first part with the Japanese opt-out words: nothing missing")

local html = "<html><body><p>Example&nbsp;Lists <b>Ltd</b></p><p>1 Main<br>Street, Spring=\r\nfield</p>" ..
             "<p>help@lists.example</p><a href=3D\"x\">Unsubscribe</a></body></html>\r\n"
message(c, "QCT4", "<bounce-news-4@lists.example>",
        {{"Content-Type", "text/html; charset=utf-8"}, {"Content-Transfer-Encoding", "quoted-printable"}},
        html, "CONTINUE")
T.jis({queue_id = "QCT4", reason = "content-missing"}, 0, "4: HTML, quoted-printable, items split by tags: nothing missing")

-- offers: monitor mode, only the default "unsubscribe" required
T.mail(c, "<shop@shop.example>", {"i", "QCT5", "{auth_authen}", "shopapp"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.headers(c, {{"Subject", "deals"}})
T.eoh(c, "CONTINUE")
T.check(mt.bodystring(c, "Buy now!\r\n") == nil, "body sent")
mt.getreply(c)
T.eom(c, "CONTINUE")
T.jis({queue_id = "QCT5", reason = "content-missing", verdict = refuse and "would-reject" or "warn",
       note = "the first body part lacks an unsubscribe instruction"}, 1)

-- transactional: accepted at the end of the headers, the body never read
T.mail(c, "<orders@shop.example>", {"i", "QCT6"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.headers(c, {{"Subject", "Your order"}})
T.eoh(c, "ACCEPT")
mt.disconnect(c)
T.done()
