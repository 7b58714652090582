-- common.lua - helpers shared by the protocol tests; each NAME.lua starts with
--   local T = dofile(srcdir .. "/common.lua")
-- Globals from run.sh (-D): sock, tmp, optinctl, srcdir, run, python.
--
-- Checks do not stop the script: each prints "ok" or "FAILED" with what was seen, and
-- T.done() at the end raises an error (miltertest exit 1) when any failed. Protocol
-- errors (a step miltertest could not send) stop it at once.
--
-- miltertest facts these helpers deal with: macros are only sent when asked for, and a
-- stage's macros replace the previous ones of that stage (so MAIL and RCPT macros are
-- always sent); mt.getreply() has only the reply code, the text of a reply is seen at
-- end of message (MT_SMTPREPLY) or in the milter's log; mt.eom_check(MT_HDRCHANGE) cannot
-- match an index, MT_HDRDELETE can; mt.getheader() sees only added headers.

local T = {checks = 0, failed = 0}

local REPLY_NAMES = {"CONTINUE", "ACCEPT", "REJECT", "TEMPFAIL", "DISCARD", "REPLYCODE", "SKIP"}
local reply_of = {}
for _, n in ipairs(REPLY_NAMES) do
    if _G["SMFIR_" .. n] then reply_of[_G["SMFIR_" .. n]] = n end
end
SMFIC_BODYEOB = string.byte("E")   -- macros for end of message (miltertest has no constant)

-- show - a value for a message, control characters visible
local function show(v)
    if type(v) == "string" then return (string.format("%q", v):gsub("\\\n", "\\n")) end
    return tostring(v)
end
T.show = show

-- check COND DESC [DETAIL] - one check
function T.check(cond, desc, detail)
    T.checks = T.checks + 1
    if cond then
        print("ok      " .. desc)
    else
        T.failed = T.failed + 1
        print("FAILED  " .. desc .. (detail and ("  [" .. detail .. "]") or ""))
    end
    return cond
end

-- is GOT WANT DESC - equality
function T.is(got, want, desc)
    return T.check(got == want, desc, "got " .. show(got) .. ", want " .. show(want))
end

-- note TEXT - a line of information
function T.note(text) print("note    " .. text) end

-- proto RESULT WHAT - a miltertest call must have worked (nil), else the script stops
local function proto(result, what)
    if result ~= nil then error(what .. ": " .. tostring(result), 2) end
end
T.proto = proto

-- reply C WANT DESC - the last reply is SMFIR_<WANT>
function T.reply(c, want, desc)
    local got = mt.getreply(c)
    return T.check(got == _G["SMFIR_" .. want], desc .. " -> " .. want,
                   "got " .. (reply_of[got] or show(got)))
end

-- strip "<a@b>" -> "a@b"
local function bare(addr) return (addr:gsub("^%s*<", ""):gsub(">%s*$", "")) end

-- connect [OPTS] - a new connection; OPTS.daemon sets {daemon_name}
function T.connect(opts)
    opts = opts or {}
    local c = mt.connect(sock, 100, 0.05)
    if c == nil then error("cannot connect to " .. sock) end
    if opts.daemon then proto(mt.macro(c, SMFIC_CONNECT, "{daemon_name}", opts.daemon), "macro") end
    proto(mt.conninfo(c, opts.host or "app.example", opts.ip or "192.0.2.10"), "conninfo")
    T.reply(c, "CONTINUE", "connect")
    return c
end

-- mail C FROM [MACROS] [WANT] - MAIL FROM with {mail_addr} and MACROS (a flat name, value list)
function T.mail(c, from, macros, want, params)
    local m = {"{mail_addr}", bare(from)}
    for _, v in ipairs(macros or {}) do m[#m + 1] = v end
    proto(mt.macro(c, SMFIC_MAIL, table.unpack(m)), "macro MAIL")
    if params then
        proto(mt.mailfrom(c, from, table.unpack(params)), "mailfrom")
    else
        proto(mt.mailfrom(c, from), "mailfrom")
    end
    return T.reply(c, want or "CONTINUE", "MAIL FROM:" .. from)
end

-- rcpt C ADDR WANT [OPTS] - RCPT TO with {rcpt_mailer}=smtp as smtpd sends it, or
-- without it when OPTS.cleanup (Postfix non_smtpd_milters); OPTS.macros adds more
function T.rcpt(c, addr, want, opts)
    opts = opts or {}
    local m = opts.cleanup and {"{rcpt_addr}", bare(addr)}
        or {"{rcpt_mailer}", "smtp", "{rcpt_host}", "mx.example.org", "{rcpt_addr}", bare(addr)}
    for _, v in ipairs(opts.macros or {}) do m[#m + 1] = v end
    proto(mt.macro(c, SMFIC_RCPT, table.unpack(m)), "macro RCPT")
    proto(mt.rcptto(c, addr), "rcptto")
    return T.reply(c, want, "RCPT TO:" .. show(addr) .. (opts.cleanup and " (no {rcpt_mailer})" or ""))
end

-- headers C LIST - send headers {{name, value}, ...}
function T.headers(c, list)
    for _, h in ipairs(list) do
        proto(mt.header(c, h[1], h[2]), "header " .. h[1])
        if not mt.test_option(c, SMFIP_NR_HDR) then
            T.reply(c, "CONTINUE", "header " .. h[1])
        end
    end
end

-- eoh C WANT - end of headers
function T.eoh(c, want)
    proto(mt.eoh(c), "eoh")
    return T.reply(c, want, "end of headers")
end

-- eom C WANT [QUEUE_ID] - end of message, with the macro i when QUEUE_ID is given
function T.eom(c, want, queue_id)
    if queue_id then proto(mt.macro(c, SMFIC_BODYEOB, "i", queue_id), "macro EOM") end
    proto(mt.eom(c), "eom")
    return T.reply(c, want, "end of message")
end

-- added C NAME - the values of header NAME added at end of message (miltertest: last first)
function T.added(c, name)
    local out, i = {}, 0
    while true do
        local v = mt.getheader(c, name, i)
        if v == nil then return out end
        out[#out + 1] = v
        i = i + 1
    end
end

-- deleted C ADDR [WANT] - ADDR was removed at end of message (WANT false: it was not)
function T.deleted(c, addr, want)
    local got = mt.eom_check(c, MT_RCPTDELETE, addr)
    return T.is(got, want ~= false, "recipient " .. show(addr) .. (want == false and " kept" or " removed"))
end

-- shq - quote for sh
local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
T.shq = shq

-- sh CMD - run a shell command; its output (trailing newline cut) and whether it exited 0
function T.sh(cmd)
    local p = io.popen(cmd .. " 2>&1", "r")
    local out = p:read("a")
    local ok = p:close()
    return (out:gsub("\n$", "")), ok == true
end

-- ctl ARGS... - optinctl on the test store
function T.ctl(...)
    local args = {}
    for _, a in ipairs({...}) do args[#args + 1] = shq(a) end
    return T.sh(shq(optinctl) .. " -c " .. shq(tmp .. "/conf") .. " " .. table.concat(args, " "))
end

-- decode TOKEN - what optinctl token --decode says ("list=news address=c1@example.org")
function T.decode(token) return (T.ctl("token", "--decode", token)) end

-- token LIST ADDR - the token optinctl makes
function T.token(list, addr) return (T.ctl("token", list, addr)) end

-- unsub_value TOKEN [WITH_URL] - the List-Unsubscribe value expected for a token
function T.unsub_value(token, with_url)
    local mailto = "<mailto:unsubscribe@lists.example?subject=unsubscribe%20" .. token .. ">"
    if with_url == false then return mailto end
    return "<https://u.lists.example/u/" .. token .. ">,\n\t" .. mailto
end

-- unsub_parse VALUE - url token and mailto token of a List-Unsubscribe value (nil when malformed)
function T.unsub_parse(v)
    if v == nil then return nil end
    local ut, mt_ = v:match("^<https://u%.lists%.example/u/([%w_-]+)>,\n\t"
                            .. "<mailto:unsubscribe@lists%.example%?subject=unsubscribe%%20([%w_-]+)>$")
    if ut then return ut, mt_ end
    mt_ = v:match("^<mailto:unsubscribe@lists%.example%?subject=unsubscribe%%20([%w_-]+)>$")
    if mt_ then return nil, mt_ end
    return nil
end

-- one_click C ADDR LIST DESC - exactly one List-Unsubscribe (URL, then mailto, one token
-- naming LIST and ADDR) and one List-Unsubscribe-Post were added
function T.one_click(c, addr, list, desc)
    list = list or "news"
    local lu = T.added(c, "List-Unsubscribe")
    local post = T.added(c, "List-Unsubscribe-Post")
    T.is(#lu, 1, desc .. ": one List-Unsubscribe added")
    T.is(#post, 1, desc .. ": one List-Unsubscribe-Post added")
    T.is(post[1], "List-Unsubscribe=One-Click", desc .. ": List-Unsubscribe-Post value")
    local ut, mtok = T.unsub_parse(lu[1])
    if not T.check(ut ~= nil, desc .. ": List-Unsubscribe is <https URL>,\\n\\t<mailto>",
                   "got " .. show(lu[1])) then
        return nil
    end
    T.is(mtok, ut, desc .. ": the same token in the URL and the mailto")
    T.is(T.decode(ut), "list=" .. list .. " address=" .. addr, desc .. ": the token decodes")
    return ut
end

-- slurp FILE - a file's content, or "" when missing
function T.slurp(path)
    local f = io.open(path, "rb")
    if f == nil then return "" end
    local s = f:read("a")
    f:close()
    return s
end

-- log - the milter's log so far
function T.log() return T.slurp(tmp .. "/log") end

-- log_has TEXT [DESC] - the log has TEXT (plain)
function T.log_has(text, desc)
    return T.check(T.log():find(text, 1, true) ~= nil, desc or ("log has " .. show(text)))
end

-- log_count TEXT - how many times TEXT is in the log
function T.log_count(text)
    local n, i, log = 0, 1, T.log()
    while true do
        local s, e = log:find(text, i, true)
        if s == nil then return n end
        n, i = n + 1, e + 1
    end
end

-- wait_log TEXT COUNT - wait (up to 10 s) until TEXT is in the log COUNT times
function T.wait_log(text, count)
    for _ = 1, 200 do
        if T.log_count(text) >= count then return true end
        mt.sleep(0.05)
    end
    return false
end

-- a small JSON reader for the journal's flat objects
local ESC = {['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t"}
local function json_string(s, i)   -- s:sub(i, i) is the opening quote
    local out, j = {}, i + 1
    while true do
        local k = s:find('["\\]', j)
        if k == nil then error("unterminated string") end
        out[#out + 1] = s:sub(j, k - 1)
        if s:sub(k, k) == '"' then return table.concat(out), k + 1 end
        local e = s:sub(k + 1, k + 1)
        if ESC[e] then
            out[#out + 1] = ESC[e]
            j = k + 2
        elseif e == "u" then
            local cp = tonumber(s:sub(k + 2, k + 5), 16)
            j = k + 6
            if cp >= 0xD800 and cp <= 0xDBFF and s:sub(j, j + 1) == "\\u" then
                cp = 0x10000 + (cp - 0xD800) * 0x400 + (tonumber(s:sub(j + 2, j + 5), 16) - 0xDC00)
                j = j + 6
            end
            out[#out + 1] = utf8.char(cp)
        else
            error("bad escape \\" .. e)
        end
    end
end
local function json_object(s)
    local o, i = {}, s:find("%S")
    if s:sub(i, i) ~= "{" then error("not an object") end
    i = s:find("%S", i + 1)
    if s:sub(i, i) == "}" then return o end
    while true do
        local k, v
        k, i = json_string(s, i)
        i = s:find("%S", s:find(":", i, true) + 1)
        local ch = s:sub(i, i)
        if ch == '"' then
            v, i = json_string(s, i)
        else
            local lit = s:match("^[%w%.%-+]+", i)
            v = lit == "true" and true or lit == "false" and false or lit == "null" and nil
                or tonumber(lit)
            i = i + #lit
        end
        o[k] = v
        i = s:find("%S", i)
        ch = s:sub(i, i)
        if ch == "}" then return o end
        if ch ~= "," then error("expected , or }") end
        i = s:find("%S", i + 1)
    end
end

-- journal - the journal's entries so far, as tables
function T.journal()
    local out = {}
    for line in T.slurp(tmp .. "/journal"):gmatch("[^\n]+") do
        local ok, o = pcall(json_object, line)
        out[#out + 1] = ok and o or {unparsable = line}
    end
    return out
end

-- jmatch ENTRY FILTER - every key of FILTER has that value in ENTRY (false: key absent)
local function jmatch(e, filter)
    for k, v in pairs(filter) do
        if v == false then
            if e[k] ~= nil then return false end
        elseif e[k] ~= v then
            return false
        end
    end
    return true
end

-- jcount FILTER [ENTRIES] - how many journal entries match
function T.jcount(filter, entries)
    local n = 0
    for _, e in ipairs(entries or T.journal()) do
        if jmatch(e, filter) then n = n + 1 end
    end
    return n
end

-- jfind FILTER - the first matching journal entry
function T.jfind(filter)
    for _, e in ipairs(T.journal()) do
        if jmatch(e, filter) then return e end
    end
    return nil
end

-- jshow FILTER - a filter as text
local function jshow(filter)
    local keys = {}
    for k in pairs(filter) do keys[#keys + 1] = k end
    table.sort(keys)
    for i, k in ipairs(keys) do keys[i] = k .. "=" .. show(filter[k]) end
    return "{" .. table.concat(keys, " ") .. "}"
end

-- jis FILTER COUNT [DESC] - exactly COUNT journal entries match FILTER (waits up to 5 s for
-- them: a transaction's lines are written when it ends, and the milter answers no ABORT or close)
function T.jis(filter, count, desc)
    local n = T.jcount(filter)
    for _ = 1, 100 do
        if n == count then break end
        mt.sleep(0.05)
        n = T.jcount(filter)
    end
    return T.is(n, count, desc or ("journal has " .. count .. " x " .. jshow(filter)))
end

-- jdump - the journal, for a failure's context
function T.jdump()
    for line in T.slurp(tmp .. "/journal"):gmatch("[^\n]+") do print("journal " .. line) end
end

-- write FILE TEXT
function T.write(path, text)
    local f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
end

-- reload - SIGUSR1 to the milter; waits for its "reload:" log line; true when it came
function T.reload()
    local n = T.log_count("reload: ")
    local pid = T.slurp(tmp .. "/pid"):match("%d+")
    if pid == nil then error("no pid in " .. tmp .. "/pid") end
    T.sh("kill -USR1 " .. pid)
    return T.wait_log("reload: ", n + 1)
end

-- mclient STEPS - run tests/milter/mclient.py with STEPS (lines of tab-separated fields);
-- its output lines as tables {step, reply, text}; nil when python3 is missing
function T.mclient(steps)
    if python == nil or python == "no" then return nil end
    local path = tmp .. "/mclient.in"
    T.write(path, table.concat(steps, "\n") .. "\n")
    local out = T.sh(shq(python) .. " " .. shq(srcdir .. "/mclient.py") .. " " .. shq(sock)
                     .. " < " .. shq(path))
    local lines = {}
    for line in (out .. "\n"):gmatch("([^\n]*)\n") do
        if line ~= "" then
            local f = {}
            for x in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = x end
            lines[#lines + 1] = f
        end
    end
    return lines, out
end

-- done - the verdict of the script
function T.done()
    print(string.format("%d checks, %d failed", T.checks, T.failed))
    if T.failed > 0 then
        T.jdump()
        error(T.failed .. " of " .. T.checks .. " checks failed", 0)
    end
end

return T
