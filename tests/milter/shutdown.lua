-- shutdown.lua - SIGTERM in the middle of a message: optin-milter drains. A new message
-- temp-fails (451 4.3.2), the message in progress is still served to its end (its RCPT
-- answered, its end of message edited), then libmilter is stopped, the store closed and the
-- process exits cleanly. run.sh (shutdown.setup: STOPS_ITSELF=yes) checks the exit status.
local T = dofile(srcdir .. "/common.lua")
local pid = T.slurp(tmp .. "/pid"):match("%d+")

local c = T.connect()
T.mail(c, "<bounce-news-1@lists.example>", {"i", "QSD1"})
T.rcpt(c, "<c1@example.org>", "CONTINUE")

T.sh("kill -TERM " .. pid)
T.check(T.wait_log("stopping: new messages temp-fail, waiting for open ones", 1),
        "SIGTERM reaches optin-milter, which drains")

local k = T.connect()
T.mail(k, "<bounce-news-2@lists.example>", {"i", "QSD2"}, "REPLYCODE")   -- 451 4.3.2 while draining
mt.disconnect(k, false)

T.rcpt(c, "<u1@example.org>", "REPLYCODE")
T.headers(c, {{"Subject", "still served"}})
T.eoh(c, "CONTINUE")
T.eom(c, "CONTINUE")
T.one_click(c, "c1@example.org", "news", "after SIGTERM")
mt.disconnect(c, true)

local stopped = false
for _ = 1, 240 do                     -- 12 s: libmilter checks its stop flag every 5 s
    stopped = T.log():find("optin-milter: stopped", 1, true) ~= nil
    if stopped then break end
    mt.sleep(0.05)
end
T.check(stopped, "it stops once the open message is done")
T.check(not T.log():find("messages still open", 1, true), "no message was cut off")
T.check(not T.log():find("lookups still running", 1, true), "no lookup was cut off")
T.done()
