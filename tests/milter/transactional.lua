-- transactional.lua - mail that matches no list and carries no bulk header is accepted at
-- the end of the headers (SMFIR_ACCEPT: the MTA sends nothing more), untouched and not
-- journalled, whatever its recipients; "Precedence: first-class" is not a bulk sign.
local T = dofile(srcdir .. "/common.lua")

local c = T.connect()
-- 1: an order confirmation to a recipient without any consent
T.mail(c, "<orders@shop.example>", {"i", "QTR1"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.rcpt(c, "<bounced@example.org>", "CONTINUE")
T.headers(c, {{"From", "Shop <orders@shop.example>"}, {"To", "u1@example.org"},
              {"Subject", "Your order 4711"}, {"Message-Id", "<4711@shop.example>"}})
T.eoh(c, "ACCEPT")

-- 2: the same connection, Precedence: first-class (and special-delivery)
T.mail(c, "<orders@shop.example>", {"i", "QTR2"})
T.rcpt(c, "<u2@example.org>", "CONTINUE")
T.headers(c, {{"From", "orders@shop.example"}, {"Precedence", "first-class"},
              {"Subject", "Shipped"}})
T.eoh(c, "ACCEPT")

T.mail(c, "<orders@shop.example>", {"i", "QTR3"})
T.rcpt(c, "<unsub@example.org>", "CONTINUE")
T.headers(c, {{"Precedence", " special-delivery"}, {"Auto-Submitted", "auto-generated"}})
T.eoh(c, "ACCEPT")

-- 3: the null sender (a bounce) is transactional too
T.mail(c, "<>", {"i", "QTR4"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.headers(c, {{"Subject", "Undelivered Mail Returned to Sender"}})
T.eoh(c, "ACCEPT")

T.is(#T.journal(), 0, "nothing journalled for transactional mail")
T.check(not T.log():find("verdict", 1, true) and not T.log():find(": accept: ", 1, true)
        and not T.log():find(": reject: ", 1, true), "no decision logged")
T.check(not T.log():find("consent lookup", 1, true), "the store was not asked")
mt.disconnect(c)
T.done()
