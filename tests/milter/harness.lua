-- harness.lua - runs the test script named by -D script=FILE (used by run.sh): miltertest
-- 1.6.0 with Lua 5.3 exits 1 on an error but does not print its message; this prints it,
-- with a traceback, before failing the same way.
local ok, err = xpcall(dofile, debug.traceback, script)
if not ok then
    print("ERROR   " .. tostring(err))
    error(err, 0)
end
