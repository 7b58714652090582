-- transactional.lua - mail that matches no list and carries no bulk header is accepted at
-- the end of the headers (SMFIR_ACCEPT: the MTA sends nothing more), untouched and not
-- journalled, whatever its recipients; "Precedence: first-class" is not a bulk sign.
local T = dofile(srcdir .. "/common.lua")

local c = T.connect()
-- what was negotiated: the edits it needs, and no HELO, DATA, body or unknown commands
for _, a in ipairs({"SMFIF_ADDHDRS", "SMFIF_CHGHDRS", "SMFIF_DELRCPT"}) do
    T.check(mt.test_action(c, _G[a]), "negotiated action " .. a)
end
T.check(not mt.test_action(c, SMFIF_CHGBODY) and not mt.test_action(c, SMFIF_ADDRCPT),
        "no body change or recipient addition asked for")
for _, o in ipairs({"SMFIP_NOHELO", "SMFIP_NOBODY", "SMFIP_NOUNKNOWN", "SMFIP_NODATA"}) do
    T.check(mt.test_option(c, _G[o]), "negotiated step option " .. o)
end
T.check(not mt.test_option(c, SMFIP_NOHDRS) and not mt.test_option(c, SMFIP_NOEOH)
        and not mt.test_option(c, SMFIP_NORCPT), "headers, end of headers and RCPT are wanted")

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

-- an MTA that cannot remove recipients is refused at negotiation, and the error says why;
-- the milter goes on serving others
local n = mt.connect(sock, 100, 0.05)
T.check(mt.negotiate(n, 6, SMFIF_ADDHDRS + SMFIF_CHGHDRS, 0) ~= nil,
        "negotiation without SMFIF_DELRCPT refused")
T.check(T.wait_log("the MTA does not offer the actions optin-milter needs", 1),
        "log: the MTA does not offer the actions optin-milter needs")
c = T.connect()
T.mail(c, "<orders@shop.example>", {"i", "QTR5"})
T.rcpt(c, "<u1@example.org>", "CONTINUE")
T.eoh(c, "ACCEPT")
mt.disconnect(c)
T.done()
