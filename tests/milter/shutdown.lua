-- shutdown.lua - SIGTERM in the middle of a message: optin-milter stops taking new
-- connections, waits for running lookups only, closes the store and exits cleanly.
-- run.sh (shutdown.setup: STOPS_ITSELF=yes) then checks the exit status.
local T = dofile(srcdir .. "/common.lua")
local pid = T.slurp(tmp .. "/pid"):match("%d+")

local c = T.connect()
T.mail(c, "<bounce-news-1@lists.example>", {"i", "QSD1"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")

T.sh("kill -TERM " .. pid)
-- libmilter looks at its stop flag every 5 s or at the next connection: knock once
local ok, k = pcall(mt.connect, sock, 1, 0.05)
if ok and k ~= nil then mt.disconnect(k, false) end
T.check(T.wait_log("stopping: waiting for running lookups", 1), "the milter is stopping")
T.check(not pcall(mt.connect, sock, 1, 0.05), "no new connection is taken")

-- Debian's libmilter (worker pool) serves no session once stopped: the MTA applies its
-- milter_default_action (tempfail) to the message in progress, so nothing is lost. What
-- optin-milter guarantees is that it closes the store only when no lookup is running and
-- then exits promptly and cleanly.
mt.set_timeout(3)
local stopped = false
for _ = 1, 200 do                     -- 10 s: libmilter checks its stop flag every 5 s
    stopped = T.log():find("optin-milter: stopped", 1, true) ~= nil
    if stopped then break end
    mt.sleep(0.05)
end
T.check(stopped, "it stops within 10 s of SIGTERM with a session still open")
T.check(T.log():find("sessions still open get the MTA's milter_default_action", 1, true) ~= nil,
        "the open session is reported as left to the MTA's default action")
T.check(not T.log():find("lookups still running", 1, true), "no lookup was cut off")
pcall(mt.disconnect, c, false)
T.done()
