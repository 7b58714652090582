-- reload_bad.lua - SIGUSR1 with a broken configuration is refused: the running one stays
-- (the log says "refused, keeping the running configuration" and gives FILE:LINE: reason),
-- and the journal is reopened anyway (logrotate). A good configuration with a change then
-- applies to the next message, never to one already under way.
local T = dofile(srcdir .. "/common.lua")
local conf = tmp .. "/conf"
local good = T.slurp(conf)

-- message against the running configuration: news enforces, u1 is refused
local function news_message(qid, want_u1)
    local c = T.connect()
    T.mail(c, "<bounce-news-" .. qid .. "@lists.example>", {"i", qid})
    T.rcpt(c, "<u1@example.org>", want_u1)
    T.rcpt(c, "<c1@example.org>", "CONTINUE")
    T.eom(c, "CONTINUE")
    mt.disconnect(c)
end
news_message("QRB1", "REPLYCODE")

-- 1: a broken configuration (an unknown key at a known line), the journal moved away
local lines = 0
for _ in good:gmatch("\n") do lines = lines + 1 end
T.write(conf, good .. "no_such_key = 1;\n")
os.rename(tmp .. "/journal", tmp .. "/journal.1")
T.check(T.reload(), "reload 1 logged")
T.log_has("reload: " .. conf .. " refused, keeping the running configuration")
T.check(T.wait_log(conf .. ":" .. (lines + 1) .. ": no_such_key", 1),
        "the error names FILE:LINE: the key")
-- the refused reload reopens the journal after logging: wait for the new file
for _ = 1, 200 do
    if io.open(tmp .. "/journal", "r") then break end
    mt.sleep(0.05)
end
T.check(not T.log():find("reload: configuration " .. conf .. " loaded", 1, true), "not loaded")
news_message("QRB2", "REPLYCODE")
T.jis({queue_id = "QRB2", verdict = "reject", recipient = "u1@example.org"}, 1,
      "the old rules still apply, journalled in a new journal file")
T.check(T.slurp(tmp .. "/journal.1"):find('"QRB1"', 1, true) ~= nil, "the moved journal kept message 1")

-- 2: a syntax error
T.write(conf, good .. "this is not libconfig\n")
T.check(T.reload(), "reload 2 logged")
T.is(T.log_count("refused, keeping the running configuration"), 2, "refused again")
T.check(T.wait_log(conf .. ":" .. (lines + 1) .. ": syntax error", 1), "syntax error with its line")
news_message("QRB3", "REPLYCODE")

-- 3: a good configuration: news in monitor mode now; a message begun before the reload
-- keeps the rules it started with, the next one gets the new ones
local monitor = good:gsub('mode = "enforce"', 'mode = "monitor"', 1)
T.check(monitor ~= good, "the new configuration differs")
local early = T.connect()
T.mail(early, "<bounce-news-QRB4@lists.example>", {"i", "QRB4"})
T.write(conf, monitor)
T.check(T.reload(), "reload 3 logged")
T.log_has("reload: configuration " .. conf .. " loaded")
T.rcpt(early, "<u1@example.org>", "REPLYCODE")      -- still enforce: it began before
T.rcpt(early, "<c1@example.org>", "CONTINUE")
T.eom(early, "CONTINUE")
mt.disconnect(early)
news_message("QRB5", "CONTINUE")
T.jis({queue_id = "QRB5", verdict = "would-reject", recipient = "u1@example.org", mode = "monitor"}, 1)
T.jis({queue_id = "QRB4", verdict = "reject", recipient = "u1@example.org", mode = "enforce"}, 1)

-- 4: a reload that changes the database is refused (restart needed); monitor stays
T.write(conf, (monitor:gsub('database = "[^"]*"', 'database = "' .. tmp .. '/other"', 1)))
T.check(T.reload(), "reload 4 logged")
T.is(T.log_count("refused, keeping the running configuration"), 3, "a new database is refused")
T.check(T.wait_log("cannot change on reload", 1), "... saying a restart is needed")
news_message("QRB6", "CONTINUE")
T.write(conf, good)
T.done()
