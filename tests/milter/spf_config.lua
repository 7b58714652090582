-- spf_config.lua - SPF off without egress_ips, on after a reload that sets them; the
-- global actions (inherited by every list) changed: fail journalled, softfail 451 4.7.23,
-- temperror 550 5.7.24; a null sender without helo_name is not checked (spf "skipped");
-- none costs nothing; no X-Optin-SPF without spf_trace_header. Runs: off, actions
-- (see spf_config.setup).
local T = dofile(srcdir .. "/common.lua")

-- reply - the MAIL reply (with its text) for FROM through mclient, digest list (BULK)
local function reply(id, from)
    local lines, out = T.mclient({"macro\tC\t{daemon_name}\tBULK", "conn\tapp.example\t192.0.2.10",
                                  "macro\tM\ti\t" .. id, "mail\t" .. from, "abort", "quit"})
    if lines == nil then return nil end
    for _, l in ipairs(lines) do
        if l[1] == "mail" then return l[2] == "replycode" and l[3] or l[2] end
    end
    return "no mail reply in: " .. out
end

local d = T.connect({daemon = "BULK"})
if run == "off" then
    T.mail(d, "<x@fail.example>", {"i", "QSC1"})
    T.rcpt(d, "<c1@example.org>", "REPLYCODE")     -- refused for consent, not for SPF
    T.check(T.log_count("spf=") == 0, "no egress_ips: nothing checked")
    mt.disconnect(d)
    T.jis({queue_id = "QSC1", reason = "no-record"}, 1)
    T.jis({spf = false}, #T.journal(), "no journal line has an spf member")
    -- switch it on: a reload with egress_ips
    T.write(tmp .. "/conf", T.slurp(tmp .. "/conf") .. '\negress_ips = [ "192.0.2.25" ];\n')
    T.check(T.reload(), "reload done")
    T.log_has("SPF: list senders are checked against 1 egress address; the null sender is not checked (no helo_name)")
    T.is(reply("QSC2", "<x@fail.example>"),
         "550 5.7.23 SPF fail: fail.example does not authorize 192.0.2.25 to send list digest",
         "after the reload: fail refused at MAIL")
else
    -- fail is only journalled, and the message goes on
    T.mail(d, "<x@fail.example>", {"i", "QSC3"})
    T.rcpt(d, "<c1@example.org>", "REPLYCODE")     -- digest is double opt-in: no record
    -- news from lists.example (not in the zone: none), delivered without X-Optin-SPF
    T.mail(d, "<bounce-news-1@lists.example>", {"i", "QSC7"})
    T.jis({queue_id = "QSC3", verdict = "warn", reason = "spf-fail", spf = "fail"}, 1)
    T.jis({queue_id = "QSC3", recipient = "c1@example.org", spf = "fail"}, 1)
    T.log_has("QSC7: spf=none smtp.mailfrom=lists.example egress=192.0.2.25 list=news")
    T.rcpt(d, "<c1@example.org>", "CONTINUE")
    T.headers(d, {{"Subject", "x"}})
    T.eoh(d, "CONTINUE")
    T.eom(d, "CONTINUE")
    T.is(#T.added(d, "X-Optin-SPF"), 0, "spf_trace_header off: no X-Optin-SPF")
    T.jis({queue_id = "QSC7", spf = "none"}, 1, "none: only the recipient line, with spf=none")
    -- the null sender without helo_name: not checked, and said so
    T.mail(d, "<>", {"i", "QSC4"})
    T.log_has("QSC4: spf=skipped")
    T.rcpt(d, "<c1@example.org>", "REPLYCODE")
    mt.disconnect(d)
    T.jis({queue_id = "QSC4", spf = "skipped"}, 1)
    local r = reply("QSC5", "<x@soft.example>")
    if r == nil then
        T.note("no python3: reply texts not checked")
    else
        T.is(r, "451 4.7.23 SPF softfail: soft.example does not authorize 192.0.2.25 to send list digest",
             "softfail with spf_softfail = tempfail: 451 4.7.23")
        T.is(reply("QSC6", "<x@temp.example>"), "550 5.7.24 SPF temperror for temp.example, list digest",
             "temperror with spf_error = reject: 550 5.7.24")
        T.jis({queue_id = "QSC6", verdict = "reject", reason = "spf-temperror"}, 1)
    end
end
T.done()
