-- SPDX-License-Identifier: MIT
-- fill.lua: allocate until "not enough memory" (or a cap) and report the
-- largest heap reached, as measured by collectgarbage("count").
--
-- usage: luajit fill.lua [KIND] [CAP_MIB|-] [jit]
--   KIND     strings  distinct 1 MiB strings (each a large allocation)
--            tables   small tables {i, -i, tag = i % 7} (many small allocations)
--            mixed    both, alternating
--   CAP_MIB  stop once the heap reaches this size (MiB); then the run only
--            passes if the cap was reached (exit 2 if memory ran out first).
--
-- Last line of output:
--   RESULT kind=<k> max_heap_mib=<n> oom=<0|1> capped=<0|1> objects=<n>
-- Exit 0: filled (to OOM, or to the cap); 1: wrong data found on read-back
-- (memory corruption); 2: cap given but not reached; 3: unexpected error.

local kind = arg and arg[1] or "strings"
local cap_mib = arg and tonumber(arg[2]) or nil
local use_jit = arg and arg[3] == "jit"
if arg and arg[2] and arg[2] ~= "-" and not cap_mib then
  io.stderr:write("fill.lua: bad cap '", arg[2], "'\n")
  os.exit(3)
end
-- A GC64 build can use all of the machine's memory: without a cap, stop at
-- 2560 MiB there (more than any non-GC64 build can reach).
local implicit_cap = false
if not cap_mib then
  local okf, ffi = pcall(require, "ffi")
  if okf and ffi.abi("gc64") then cap_mib, implicit_cap = 2560, true end
end
if kind ~= "strings" and kind ~= "tables" and kind ~= "mixed" then
  io.stderr:write("fill.lua: unknown kind '", tostring(kind), "'\n")
  os.exit(3)
end

local MIB = 1024 * 1024
local STR_UNIT = 8                     -- "%08x" prefix repeated
local STR_REPS = MIB / STR_UNIT        -- 1 MiB per string
local CHUNK = 4096                     -- small tables per holder table

local fmt, rep, sub = string.format, string.rep, string.sub
local holders = {}                     -- holders[k] = array of objects
local nobj = 0
local max_kib = collectgarbage("count")

local function heap_kib()
  local c = collectgarbage("count")
  if c > max_kib then max_kib = c end
  return c
end

local function new_string(i)
  -- 1 MiB whose content depends on i, so no two strings are interned together.
  return rep(fmt("%08x", i), STR_REPS)
end

local function new_table(i)
  return { i, -i, tag = i % 7 }
end

local function capped()
  return cap_mib and heap_kib() / 1024 >= cap_mib
end

local function fill()
  local i = 0
  while true do
    local h = {}
    holders[#holders + 1] = h
    if kind == "strings" or (kind == "mixed" and #holders % 2 == 0) then
      -- 16 strings (16 MiB) per holder.
      for j = 1, 16 do
        i = i + 1
        h[j] = new_string(i)
        nobj = nobj + 1
        if capped() then return true end
      end
    else
      for j = 1, CHUNK do
        i = i + 1
        h[j] = new_table(i)
        nobj = nobj + 1
      end
      if capped() then return true end
    end
    heap_kib()
  end
end

-- Memory set aside, released once memory has run out so that the read-back
-- and the report can still allocate a little.
local reserve = {}
for i = 1, 256 do
  local t = {}
  for j = 1, 4096 do t[j] = j end   -- 32 KiB array part each: 8 MiB in all
  reserve[i] = t
end

if jit and not use_jit then jit.off() end
-- MiB of address space mapped below 2 GiB, from /proc/self/maps (Linux).
local function low_mapped_mib()
  local f = io.open("/proc/self/maps", "r")
  if not f then return -1 end
  local total = 0
  for l in f:lines() do
    local a, b = l:match("^(%x+)%-(%x+)")
    if a and #a <= 8 then
      a, b = tonumber(a, 16), tonumber(b, 16)
      if a < 2^31 then total = total + (math.min(b, 2^31) - a) end
    end
  end
  f:close()
  return total / MIB
end

local ok, err = pcall(fill)
heap_kib()
local low_mib = -1
reserve = nil
collectgarbage()
if jit then jit.on() end
do
  local okm, v = pcall(low_mapped_mib)
  if okm then low_mib = v end
end
local oom = 0
local reached_cap = 0
if ok then
  reached_cap = 1
elseif tostring(err):find("not enough memory", 1, true) then
  oom = 1
else
  io.stderr:write("fill.lua: unexpected error: ", tostring(err), "\n")
  os.exit(3)
end

-- Read everything back: each object must still hold what was written.
local bad = 0
local i = 0
for k = 1, #holders do
  local h = holders[k]
  for j = 1, #h do
    i = i + 1
    local o = h[j]
    if type(o) == "string" then
      local p = fmt("%08x", i)
      if #o ~= MIB or sub(o, 1, 8) ~= p or sub(o, -8) ~= p
         or sub(o, 524289, 524296) ~= p then
        bad = bad + 1
      end
    elseif type(o) ~= "table" or o[1] ~= i or o[2] ~= -i or o.tag ~= i % 7 then
      bad = bad + 1
    end
  end
  -- A holder that was being filled when memory ran out may be short.
  if #h == 0 then break end
  if type(h[1]) == "table" and #h < CHUNK and k < #holders then bad = bad + 1 end
end
if i ~= nobj then bad = bad + 1 end

local line = fmt("RESULT kind=%s max_heap_mib=%.1f oom=%d capped=%d objects=%d jit=%d low_mapped_mib=%.1f",
                 kind, max_kib / 1024, oom, reached_cap, nobj, use_jit and 1 or 0, low_mib)
holders = nil
collectgarbage()
if bad > 0 then
  io.stderr:write(fmt("fill.lua: %d objects read back wrong\n", bad))
  print(line)
  os.exit(1)
end
if cap_mib and not implicit_cap and reached_cap == 0 then
  io.stderr:write(fmt("fill.lua: out of memory at %.1f MiB, before the cap of %s MiB\n",
                      max_kib / 1024, tostring(cap_mib)))
  print(line)
  os.exit(2)
end
print(line)
os.exit(0)
