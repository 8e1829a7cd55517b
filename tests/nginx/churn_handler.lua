-- SPDX-License-Identifier: MIT
-- churn_handler.lua: the body of a content_by_lua_block (tests paste it into the
-- nginx config: a worker running as an unprivileged user could not read it from a
-- checkout under /root). One request allocates small tables and strings of up to
-- 1 MiB, dropping every fourth object it holds, until the Lua heap
-- (collectgarbage("count")) reaches ?mib= MiB, then checks every object it still
-- holds and answers "OK heap_mib=... bad=0" (HTTP 500 when an object read back
-- wrong). Used by tests/debian11/nginx_churn.sh and tests/field/checks.sh.

-- The interpreter: LuaJIT 2.1 crashes (SIGSEGV) when "not enough memory" is
-- raised inside a compiled trace, which would hide what this test looks for.
jit.off()
local target = tonumber(ngx.var.arg_mib) * 1024
local MIB = 1024 * 1024
local fmt, rep, sub, byte, char = string.format, string.rep, string.sub, string.byte, string.char
local floor, exp, log = math.floor, math.exp, math.log
math.randomseed(1)
local random = math.random
local objs, n, allocs, frees, bad, live = {}, 0, 0, 0, 0, 0
local function check(o)
  if type(o) == "table" then
    return o[1] == o.id * 2 and o[2] == o.id * 3
  end
  local colon = o:find(":", 1, true)
  local id = tonumber(sub(o, 1, colon - 1))
  local c = 97 + id % 26
  return #o == colon or (byte(o, colon + 1) == c and byte(o, -1) == c)
end
local function size(o)
  if type(o) == "table" then return 96 end
  return #o + 24
end
local heap = collectgarbage("count")
while heap < target do
  allocs = allocs + 1
  local o
  if random() < 0.5 then
    o = { id = allocs, allocs * 2, allocs * 3 }
  else
    -- 16 B to 1 MiB, log-uniform.
    local len = floor(exp(log(16) + random() * (log(MIB) - log(16))))
    local head = fmt("%d:", allocs)
    o = head .. rep(char(97 + allocs % 26), len)
  end
  n = n + 1
  objs[n] = o
  live = live + size(o)
  if allocs % 4 == 0 then
    local i = random(n)
    if not check(objs[i]) then bad = bad + 1 end
    live = live - size(objs[i])
    objs[i] = objs[n]
    objs[n] = nil
    n = n - 1
    frees = frees + 1
  end
  heap = collectgarbage("count")
end
for i = 1, n do
  if not check(objs[i]) then bad = bad + 1 end
end
local body = fmt("OK heap_mib=%.1f live_mib=%.1f objects=%d allocs=%d frees=%d bad=%d",
                 heap / 1024, live / MIB, n, allocs, frees, bad)
objs = nil
collectgarbage()
if bad > 0 then ngx.status = 500 end
ngx.print(body)
