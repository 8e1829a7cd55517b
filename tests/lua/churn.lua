-- SPDX-License-Identifier: MIT
-- churn.lua: allocation/free churn with mixed object sizes around a live set
-- of a target size.
--
-- usage: luajit churn.lua [TARGET_MIB] [ROUNDS] [SEED] [jit]
--   TARGET_MIB  live data to hold (default 1600)
--   ROUNDS      rounds after the initial fill; each round replaces a quarter
--               of the live objects by new ones of random kind (default 8)
--   SEED        random seed (default 1)
--   jit         keep the JIT compiler on (default: jit.off() for the churn,
--               see fill.lua for why)
-- Objects: small tables (50%), strings of log-uniform random size 16 B..64 KiB
-- (48%) and 1 MiB strings (2%). Every object carries its serial number and is
-- checked when it is replaced and at the end.
--
-- Last line of output:
--   RESULT target_mib=<n> rounds=<done> ops=<allocs> live_mib=<n> max_live_mib=<n>
--          max_heap_mib=<n> oom=<0|1> bad=<n> jit=<0|1>
-- Exit 0: all rounds done and all data intact; 1: out of memory;
-- 2: wrong data read back (memory corruption); 3: usage or unexpected error.

local target_mib = tonumber(arg and arg[1]) or 1600
local rounds = tonumber(arg and arg[2]) or 8
local seed = tonumber(arg and arg[3]) or 1
local use_jit = arg and arg[4] == "jit"

local MIB = 1024 * 1024
local fmt, rep, sub, byte = string.format, string.rep, string.sub, string.byte
local floor, exp, log = math.floor, math.exp, math.log
math.randomseed(seed)
local random = math.random

-- Keep garbage low so the heap stays near the live set: a new GC cycle
-- starts as soon as one ends, and each step does more work.
collectgarbage("setpause", 100)
collectgarbage("setstepmul", 400)

local TABLE_BYTES = 96             -- rough size of a small table
local objs, sizes = {}, {}         -- slot -> object, slot -> estimated bytes
local nslots = 0
local live = 0                     -- estimated live bytes
local max_live, max_kib = 0, 0
local serial = 0
local ops = 0
local done = 0
local bad = 0

local function new_object()
  serial = serial + 1
  ops = ops + 1
  local id = serial
  local r = random()
  if r < 0.50 then
    return { id = id, id * 2, id * 3, s = "t" }, TABLE_BYTES
  end
  local len
  if r < 0.98 then
    len = floor(exp(log(16) + random() * (log(65536) - log(16))))
  else
    len = MIB
  end
  -- "<id>:" then filler chosen by id, padded to len bytes.
  local head = fmt("%d:", id)
  if len < #head + 1 then len = #head + 1 end
  local c = string.char(97 + id % 26)
  return head .. rep(c, len - #head), len + 24
end

-- Check an object against its serial number (slot objects keep theirs).
local function check(o)
  if type(o) == "table" then
    local id = o.id
    return type(id) == "number" and o[1] == id * 2 and o[2] == id * 3 and o.s == "t"
  elseif type(o) == "string" then
    local colon = o:find(":", 1, true)
    local id = colon and tonumber(sub(o, 1, colon - 1))
    if not id then return false end
    local c = 97 + id % 26
    return #o == colon or (byte(o, colon + 1) == c and byte(o, -1) == c
                           and byte(o, floor((colon + 1 + #o) / 2)) == c)
  end
  return false
end

local function note_heap()
  local k = collectgarbage("count")
  if k > max_kib then max_kib = k end
  if live > max_live then max_live = live end
end

local function run()
  local target = target_mib * MIB
  -- Initial fill up to the target.
  while live < target do
    local o, sz = new_object()
    nslots = nslots + 1
    objs[nslots], sizes[nslots] = o, sz
    live = live + sz
    if nslots % 256 == 0 then note_heap() end
  end
  note_heap()
  -- Churn: replace random slots; trim or grow to stay near the target.
  for round = 1, rounds do
    local n = floor(nslots / 4)
    for _ = 1, n do
      local i = random(nslots)
      if not check(objs[i]) then bad = bad + 1 end
      live = live - sizes[i]
      objs[i] = nil                -- drop before allocating the replacement
      local o, sz = new_object()
      objs[i], sizes[i] = o, sz
      live = live + sz
      while live > target * 1.02 and nslots > 1 do    -- shrink from the end
        if not check(objs[nslots]) then bad = bad + 1 end
        live = live - sizes[nslots]
        objs[nslots], sizes[nslots] = nil, nil
        nslots = nslots - 1
      end
      while live < target * 0.98 do                   -- grow at the end
        local o2, sz2 = new_object()
        nslots = nslots + 1
        objs[nslots], sizes[nslots] = o2, sz2
        live = live + sz2
      end
      if ops % 256 == 0 then note_heap() end
    end
    note_heap()
    done = round
  end
end

if jit and not use_jit then jit.off() end
local ok, err = pcall(run)
note_heap()
local oom = 0
if not ok then
  -- Free everything first so that reporting can allocate.
  objs, sizes = {}, {}
  collectgarbage()
  if tostring(err):find("not enough memory", 1, true) then
    oom = 1
  else
    io.stderr:write("churn.lua: unexpected error: ", tostring(err), "\n")
    os.exit(3)
  end
else
  for i = 1, nslots do
    if not check(objs[i]) then bad = bad + 1 end
  end
end

local line = fmt("RESULT target_mib=%g rounds=%d ops=%d live_mib=%.1f max_live_mib=%.1f "
                 .. "max_heap_mib=%.1f oom=%d bad=%d jit=%d",
                 target_mib, done, ops, live / MIB, max_live / MIB, max_kib / 1024,
                 oom, bad, use_jit and 1 or 0)
if bad > 0 then
  io.stderr:write(fmt("churn.lua: %d objects read back wrong\n", bad))
  print(line)
  os.exit(2)
end
if oom == 1 then
  io.stderr:write(fmt("churn.lua: not enough memory after %d rounds, live %.1f MiB\n",
                      done, live / MIB))
  print(line)
  os.exit(1)
end
print(line)
os.exit(0)
