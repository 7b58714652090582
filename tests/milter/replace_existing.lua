-- replace_existing.lua - headers already there are replaced, extra copies deleted: the
-- message ends with exactly one List-Unsubscribe and one List-Unsubscribe-Post, and
-- filtering the result again gives the same value (idempotent).
-- miltertest cannot match the index of a changed header (MT_HDRCHANGE ignores it), so
-- "index 1 changed" is shown by: one change, index 2 deleted, index 1 not deleted, no add.
local T = dofile(srcdir .. "/common.lua")
local LU, LUP, ONE = "List-Unsubscribe", "List-Unsubscribe-Post", "List-Unsubscribe=One-Click"

local token = T.token("news", "c1@example.org")
local want = T.unsub_value(token)

local c = T.connect()
-- 1: two List-Unsubscribe and one List-Unsubscribe-Post from the sending application
T.mail(c, "<bounce-news-1@lists.example>", {"i", "QRE1"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.headers(c, {{"From", "news@lists.example"},
              {"List-Unsubscribe", "<https://app.example/unsub?u=1>"},
              {"Subject", "Old headers"},
              {"list-unsubscribe", "<mailto:leave@app.example>"},
              {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.check(mt.eom_check(c, MT_HDRCHANGE, LU, want), "List-Unsubscribe changed to the new value")
T.check(mt.eom_check(c, MT_HDRDELETE, LU, 2), "List-Unsubscribe index 2 deleted")
T.check(not mt.eom_check(c, MT_HDRDELETE, LU, 1), "List-Unsubscribe index 1 not deleted")
T.is(#T.added(c, LU), 0, "no List-Unsubscribe added")
T.check(mt.eom_check(c, MT_HDRCHANGE, LUP, ONE), "List-Unsubscribe-Post changed (index 1)")
T.check(not mt.eom_check(c, MT_HDRDELETE, LUP), "List-Unsubscribe-Post not deleted")
T.is(#T.added(c, LUP), 0, "no List-Unsubscribe-Post added")
T.is(T.decode(token), "list=news address=c1@example.org", "the token decodes")

-- 2: the result of 1 filtered again: the same value, nothing deleted or added
T.mail(c, "<bounce-news-2@lists.example>", {"i", "QRE2"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.headers(c, {{"From", "news@lists.example"}, {LU, want}, {"Subject", "Old headers"},
              {LUP, ONE}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.check(mt.eom_check(c, MT_HDRCHANGE, LU, want), "again: List-Unsubscribe set to the same value")
T.check(mt.eom_check(c, MT_HDRCHANGE, LUP, ONE), "again: List-Unsubscribe-Post the same")
T.check(not mt.eom_check(c, MT_HDRDELETE), "again: nothing deleted")
T.check(not mt.eom_check(c, MT_HDRADD), "again: nothing added")

-- 3: several recipients left: the existing List-Unsubscribe becomes the list-level mailto,
-- and the one-click List-Unsubscribe-Post (twice here) is removed, since it would be a lie
-- (optinctl cannot make a list-level token: the value is learnt from a message without any)
T.mail(c, "<newsletter@shop.example>", {"i", "QRE3"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.headers(c, {{"List-Id", "<news.lists.example>"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
local list_value = T.added(c, LU)[1] or "none"
local _, list_token = T.unsub_parse(list_value)
T.is(list_value, list_token and T.unsub_value(list_token, false), "several, no headers: a mailto added")
T.is(list_token and T.decode(list_token), "list=news address=", "several: the token names the list only")
T.mail(c, "<newsletter@shop.example>", {"i", "QRE3b"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.rcpt(c, "<c2@example.org>", "CONTINUE")
T.headers(c, {{"List-Id", "<news.lists.example>"}, {LU, want}, {LUP, ONE}, {LUP, ONE}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.check(mt.eom_check(c, MT_HDRCHANGE, LU, list_value),
        "several: List-Unsubscribe changed to the list-level mailto")
T.check(mt.eom_check(c, MT_HDRDELETE, LUP, 1) and mt.eom_check(c, MT_HDRDELETE, LUP, 2),
        "several: both List-Unsubscribe-Post deleted")
T.check(not mt.eom_check(c, MT_HDRDELETE, LU), "several: List-Unsubscribe not deleted")
T.check(not mt.eom_check(c, MT_HDRADD), "several: nothing added")

-- 4: one recipient and a List-Unsubscribe-Post without List-Unsubscribe: one of each
T.mail(c, "<bounce-news-4@lists.example>", {"i", "QRE4"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
T.headers(c, {{LUP, "List-Unsubscribe=One-Click"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.is(T.added(c, LU)[1], want, "post only: List-Unsubscribe added")
T.check(mt.eom_check(c, MT_HDRCHANGE, LUP, ONE) and #T.added(c, LUP) == 0,
        "post only: the List-Unsubscribe-Post kept as the one copy")

-- 5: many copies from a broken application (more than 32, the size of the milter's edit
-- plan): still every extra copy deleted and the first one replaced
T.mail(c, "<bounce-news-5@lists.example>", {"i", "QRE5"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")
local many = {{LUP, ONE}}
for i = 1, 40 do many[#many + 1] = {LU, "<https://app.example/u/" .. i .. ">"} end
T.headers(c, many)
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
local missing = {}
for i = 2, 40 do
    if not mt.eom_check(c, MT_HDRDELETE, LU, i) then missing[#missing + 1] = i end
end
T.check(#missing == 0, "40 copies: List-Unsubscribe 2..40 deleted",
        "not deleted: " .. table.concat(missing, " "))
T.check(mt.eom_check(c, MT_HDRCHANGE, LU, want), "40 copies: List-Unsubscribe 1 replaced")
T.check(mt.eom_check(c, MT_HDRCHANGE, LUP, ONE), "40 copies: List-Unsubscribe-Post kept as one")
mt.disconnect(c)
T.done()
