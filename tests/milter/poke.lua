-- poke.lua - connect and hang up at once: wakes a stopping optin-milter (used by run.sh)
local c = mt.connect(sock, 1, 0.05)
if c ~= nil then mt.disconnect(c, false) end
