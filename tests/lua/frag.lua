-- SPDX-License-Identifier: MIT
-- frag.lua: fragmentation under churn. Holds a live set of units of random size,
-- replaces REPLACE of them (at random) for every unit it adds, and so grows the set
-- until "not enough memory" even right after a full collection; then reports the
-- largest live set and, read from /proc/self/maps at that moment (nothing freed
-- first), the address space mapped below 2 GiB and the largest free range there.
--
-- usage: luajit frag.lua [MIX=strings] [SEED=1] [REPLACE=1] [CAP_MIB|-] [jit]
--   MIX      strings  one string each, 64 KiB .. 1 MiB in steps of 256 bytes, uniform
--                     (issue 20's mix; in LuaJIT every string of 128 KiB or more is a
--                     mapping of its own)
--            tables   LuaJIT's own mix when a table-heavy program churns: a table of
--                     16 .. 1024 small tables {n, -n, tag = "t<n mod 97>"} (45 %), a
--                     table of 16 .. 1024 small strings (10 %), or an array of 1 Ki ..
--                     128 Ki numbers grown by appending (45 %; its array part doubles
--                     on the way, up to a block of 1 MiB); counts log-uniform
--   SEED     math.randomseed (a fixed seed gives the same sequence of sizes)
--   REPLACE  units replaced per unit added (default 1: one replaced, one added)
--   CAP_MIB  stop once collectgarbage("count") reaches this (MiB; exit 2): a short run
--   jit      keep the JIT compiler on (default off: LuaJIT 2.1 dies with SIGSEGV when
--            "not enough memory" is raised inside a compiled trace, tests/lua/README.md)
--
-- When memory runs out, the unit is tried once more after a full collection (LuaJIT
-- raises the error without collecting: garbage not yet swept is not what this
-- measures); the run ends when that fails too. live_mib, the largest live set (the set
-- only grows), is collectgarbage("count") right after that last full collection: the
-- live units and the script's own few tables, no garbage. max_heap_mib is the largest
-- collectgarbage("count") seen (live set plus garbage not yet swept); max_str_mib (mix
-- strings) the largest sum of the live strings' lengths.
-- /proc/self/maps is read with the ffi into a buffer from malloc (glibc's heap, not the
-- Lua heap) and parsed byte by byte, so reading it allocates nothing in the Lua heap.
--
-- Last line of output:
--   RESULT mix=<m> seed=<n> replace=<n> units=<live units> ops=<units made>
--          live_mib=<n> max_heap_mib=<n> max_str_mib=<n> low_mapped_mib=<n>
--          low_free_mib=<n> largest_free_mib=<n> maps=<lines> fullgcs=<n> oom=<0|1>
--          bad=<n> jit=<0|1>
-- Exit 0: ran out of memory (the expected end) and every unit read back intact;
-- 1: a unit read back wrong; 2: the cap was reached, or a GC64 build reached 2560 MiB;
-- 3: usage or unexpected error.

local mix = arg and arg[1] or "strings"
local seed = tonumber(arg and arg[2] or "1")
local replace = tonumber(arg and arg[3] or "1")
local cap_mib = arg and arg[4] and arg[4] ~= "-" and tonumber(arg[4]) or nil
local use_jit = arg and arg[5] == "jit"
local function usage(msg)
  io.stderr:write("frag.lua: ", msg, "\n")
  os.exit(3)
end
if mix ~= "strings" and mix ~= "tables" then usage("unknown mix '" .. tostring(mix) .. "'") end
if not seed then usage("bad seed '" .. tostring(arg[2]) .. "'") end
if not replace or replace < 0 then usage("bad REPLACE '" .. tostring(arg[3]) .. "'") end
if arg and arg[4] and arg[4] ~= "-" and not cap_mib then usage("bad cap '" .. arg[4] .. "'") end

local okf, ffi = pcall(require, "ffi")
if not okf then usage("needs LuaJIT's ffi to read /proc/self/maps") end
if ffi.abi("gc64") and not cap_mib then cap_mib = 2560 end
ffi.cdef [[
void *malloc(size_t size);
int open(const char *path, int flags);
int read(int fd, void *buf, size_t count);
int close(int fd);
]]

local MIB = 1024 * 1024
local LOW = 2 ^ 31
local fmt, rep, sub = string.format, string.rep, string.sub
local floor, exp, log = math.floor, math.exp, math.log
math.randomseed(seed)
local random = math.random

-- The lowest address a mapping may take (vm.mmap_min_addr), read while memory is plenty.
local min_addr = 65536
do
  local f = io.open("/proc/sys/vm/mmap_min_addr", "r")
  if f then
    min_addr = tonumber(f:read("*l")) or min_addr
    f:close()
  end
end

-- Everything the maps reader needs is made now: afterwards it allocates nothing.
local MAPS_CAP = 16 * MIB
local maps_buf = ffi.cast("uint8_t *", ffi.C.malloc(MAPS_CAP))
local maps_path = "/proc/self/maps"
if maps_buf == nil then usage("malloc failed") end

-- low_maps(): MiB mapped below 2 GiB, MiB free there (from mmap_min_addr), the
-- largest free range there (MiB) and the number of lines; -1s if it cannot be read.
local function low_maps()
  local fd = ffi.C.open(maps_path, 0)
  if fd < 0 then return -1, -1, -1, -1 end
  local n = 0
  while n < MAPS_CAP do
    local got = ffi.C.read(fd, maps_buf + n, MAPS_CAP - n)
    if got <= 0 then break end
    n = n + got
  end
  ffi.C.close(fd)
  if n >= MAPS_CAP then return -1, -1, -1, -1 end
  local mapped, largest, prev_end, lines = 0, 0, min_addr, 0
  local i = 0
  while i < n do
    -- "start-end ..." in hex
    local a, b, c = 0, 0, maps_buf[i]
    while c ~= 45 do                                   -- '-'
      a = a * 16 + (c <= 57 and c - 48 or c - 87)
      i = i + 1
      c = maps_buf[i]
    end
    i = i + 1
    c = maps_buf[i]
    while c ~= 32 do                                   -- ' '
      b = b * 16 + (c <= 57 and c - 48 or c - 87)
      i = i + 1
      c = maps_buf[i]
    end
    while i < n and maps_buf[i] ~= 10 do i = i + 1 end -- '\n'
    i = i + 1
    lines = lines + 1
    if a < LOW then
      if a > prev_end and a - prev_end > largest then largest = a - prev_end end
      local e = b < LOW and b or LOW
      mapped = mapped + (e - a)
      if e > prev_end then prev_end = e end
    end
  end
  if LOW - prev_end > largest then largest = LOW - prev_end end
  return mapped / MIB, (LOW - min_addr - mapped) / MIB, largest / MIB, lines
end

-- The live units and their serial numbers.
local units, uid = {}, {}
local nunits, serial, ops, bad, fullgcs = 0, 0, 0, 0, 0
local str_bytes, max_str_bytes = 0, 0   -- strings: the sum of the live strings' lengths
local max_kib, gc_kib = 0, -1           -- gc_kib: the heap right after the last full collection

local function logu(lo, hi) return floor(exp(log(lo) + random() * (log(hi) - log(lo)))) end

local new_unit, check_unit
if mix == "strings" then
  -- A sixteenth of the string (the serial number in 8 hex digits, then filler) repeated
  -- 16 times: no two strings are alike (interned together), and the copying is a few
  -- memcpy calls per string.
  local FILL = rep(".", 65536)
  new_unit = function(id)
    local q = 16 * random(256, 4096)                   -- 16 q: 64 KiB .. 1 MiB
    return rep(fmt("%08x", id) .. sub(FILL, 1, q - 8), 16)
  end
  check_unit = function(s, id)
    local p, q = fmt("%08x", id), #s / 16
    return #s % 16 == 0 and sub(s, 1, 8) == p and sub(s, 15 * q + 1, 15 * q + 8) == p
  end
else
  local TAGS = {}
  for j = 0, 96 do TAGS[j] = "t" .. j end
  new_unit = function(id)
    local r, t = random(), {}
    if r < 0.45 then
      for j = 1, logu(16, 1024) do t[j] = { j, -j, tag = TAGS[j % 97] } end
      t.kind = 1
    elseif r < 0.55 then
      for j = 1, logu(16, 1024) do t[j] = fmt("%d.%d", id, j) end
      t.kind = 2
    else
      for j = 1, logu(1024, 131072) do t[j] = id + j end
      t.kind = 3
    end
    return t
  end
  check_unit = function(t, id)
    local n = #t
    if n == 0 then return false end
    local j = floor((n + 1) / 2)
    if t.kind == 1 then
      local e = t[j]
      return e[1] == j and e[2] == -j and e.tag == TAGS[j % 97] and #t[n] == 2
    elseif t.kind == 2 then
      return t[j] == fmt("%d.%d", id, j) and t[n] == fmt("%d.%d", id, n)
    end
    return t.kind == 3 and t[1] == id + 1 and t[j] == id + j and t[n] == id + n
  end
end

-- try(f, ...): f(...) -> true, its result; when memory runs out, once more after a full
-- collection (LuaJIT raises the error without collecting first: garbage not yet swept
-- is not what this measures); false at the real end.
local function try(f, a, b)
  local ok, res = pcall(f, a, b)
  if ok then return true, res end
  if not tostring(res):find("not enough memory", 1, true) then error(res, 0) end
  fullgcs = fullgcs + 1
  collectgarbage()
  gc_kib = collectgarbage("count")
  ok, res = pcall(f, a, b)
  if ok then return true, res end
  if not tostring(res):find("not enough memory", 1, true) then error(res, 0) end
  return false
end

-- put(i, o): slot i holds unit o (growing the arrays can run out of memory as well).
local function put(i, o)
  units[i], uid[i] = o, serial
end

-- add(i): a new unit in slot i; false at the end.
local function add(i)
  serial = serial + 1
  local ok, o = try(new_unit, serial)
  if not ok or not try(put, i, o) then return false end
  ops = ops + 1
  if mix == "strings" then
    str_bytes = str_bytes + #o
    if str_bytes > max_str_bytes then max_str_bytes = str_bytes end
  end
  local k = collectgarbage("count")
  if k > max_kib then max_kib = k end
  return true
end

-- run(): true when memory ran out, false at the cap.
local function run()
  -- Strings: a new cycle as soon as one ends, so little garbage waits (the collector
  -- does not look inside strings: cheap). Tables: LuaJIT's defaults, as a table-heavy
  -- program runs (the collector traverses every array; at pause 100 it took 4x the
  -- time); the full collections before the end clear what they leave.
  if mix == "strings" then
    collectgarbage("setpause", 100)
    collectgarbage("setstepmul", 400)
  end
  while true do
    for _ = 1, nunits > 0 and replace or 0 do
      local i = random(nunits)
      if not check_unit(units[i], uid[i]) then bad = bad + 1 end
      if mix == "strings" then str_bytes = str_bytes - #units[i] end
      units[i] = false                 -- garbage before the replacement is made
      if not add(i) then return true end
    end
    if not add(nunits + 1) then return true end
    nunits = nunits + 1
    if cap_mib and collectgarbage("count") >= cap_mib * 1024 then return false end
  end
end

if jit and not use_jit then jit.off() end
local ok, res = pcall(run)
if not ok then
  -- Out of memory outside try (a check's small strings): the end as well.
  if not tostring(res):find("not enough memory", 1, true) then
    io.stderr:write("frag.lua: unexpected error: ", tostring(res), "\n")
    os.exit(3)
  end
  res = true
end
local oom = res and 1 or 0
-- The address space at the end, before anything is freed.
local mapped, free, largest, lines = low_maps()
if oom == 0 then
  collectgarbage()
  gc_kib = collectgarbage("count")
end
for i = 1, nunits do
  if units[i] and not check_unit(units[i], uid[i]) then bad = bad + 1 end
end
units, uid = nil, nil
collectgarbage()

print(fmt("RESULT mix=%s seed=%d replace=%d units=%d ops=%d live_mib=%.1f max_heap_mib=%.1f "
          .. "max_str_mib=%.1f low_mapped_mib=%.1f low_free_mib=%.1f largest_free_mib=%.2f maps=%d "
          .. "fullgcs=%d oom=%d bad=%d jit=%d",
          mix, seed, replace, nunits, ops, gc_kib / 1024, max_kib / 1024, max_str_bytes / MIB,
          mapped, free, largest, lines, fullgcs, oom, bad, use_jit and 1 or 0))
if bad > 0 then
  io.stderr:write(fmt("frag.lua: %d units read back wrong\n", bad))
  os.exit(1)
end
os.exit(oom == 1 and 0 or 2)
