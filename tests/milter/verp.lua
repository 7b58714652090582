-- verp.lua - list mail with one recipient left leaves with a signed VERP return path
-- (smfi_chgfrom) naming its list and recipient; with several recipients or transactional
-- mail the sender stays. The same message filtered twice gets the same sender.
-- Read through mclient.py, which shows the modifications (miltertest cannot read CHGFROM).
local T = dofile(srcdir .. "/common.lua")

-- steps - one message through mclient.py: list by List-Id, the recipients, end of message
local function steps(qid, from, rcpts, listid)
    local s = {"conn\tapp.example\t192.0.2.10", "macro\tM\ti\t" .. qid, "mail\t<" .. from .. ">",
               "macro\tR\t{rcpt_mailer}\tsmtp"}
    for _, r in ipairs(rcpts) do s[#s + 1] = "rcpt\t<" .. r .. ">" end
    s[#s + 1] = "hdr\tSubject\tVERP " .. qid
    if listid then s[#s + 1] = "hdr\tList-Id\t<" .. listid .. ">" end
    s[#s + 1] = "eoh"
    s[#s + 1] = "eom"
    s[#s + 1] = "quit"
    return s
end

-- chgfrom - the new envelope sender of a run's output, or nil
local function chgfrom(lines)
    for _, l in ipairs(lines or {}) do
        if l[1] == "mod" and l[2] == "chgfrom" then return (l[3]:gsub("|.*", "")) end
    end
    return nil
end

local lines, out = T.mclient(steps("QVP1", "app@shop.example", {"c1@example.org"}, "news.lists.example"))
if lines == nil then
    T.note("no python3: VERP not checked")
    T.done()
    return
end
local sender = chgfrom(lines)
T.check(sender and sender:match("^bounce%+[a-z2-7]+@lists%.example$"), "one recipient: VERP sender",
        sender or out)
T.is(#((sender or ""):match("^bounce%+([a-z2-7]+)@") or ""), 24, "a 24-character tag")
T.check(not (sender or ""):find("c1", 1, true), "the address is not in it")
local again = chgfrom(T.mclient(steps("QVP2", "app@shop.example", {"c1@example.org"}, "news.lists.example")))
T.is(again, sender, "filtered again: the same sender")
local c2 = chgfrom(T.mclient(steps("QVP3", "app@shop.example", {"c2@example.org"}, "news.lists.example")))
T.check(c2 and c2 ~= sender, "another recipient: another tag")
T.is(chgfrom(T.mclient(steps("QVP4", "bounce-news-9@lists.example", {"c1@example.org"}, nil))),
     sender, "the list named by the envelope: the same tag")
T.is(chgfrom(T.mclient(steps("QVP5", "app@shop.example", {"c1@example.org", "c2@example.org"},
                             "news.lists.example"))), nil, "several recipients: the sender stays")
T.is(chgfrom(T.mclient(steps("QVP6", "orders@shop.example", {"c1@example.org"}, nil))), nil,
     "transactional mail: the sender stays")
T.is(chgfrom(T.mclient(steps("QVP7", "app@shop.example", {"c1@example.org", "u1@example.org"},
                             "news.lists.example"))), sender, "one left after a removal: VERP")
T.done()
