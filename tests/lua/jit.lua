-- SPDX-License-Identifier: MIT
-- jit.lua: JIT-heavy loops (numeric, closures, tables, strings) whose results
-- are checked against known values and against the interpreter.
--
-- usage: luajit jit.lua [fill [CAP_MIB|-] [MARGIN_MIB]]
--   fill        first fill the heap (1 MiB strings and small tables, kept
--               live) until out of memory or CAP_MIB (GC64 builds: at most
--               2560 MiB), then free MARGIN_MIB
--               (default 64) of it, and run the checks with the heap nearly
--               full, so that compiled code works on objects spread over the
--               whole low address range. The fill runs with the JIT off (see
--               fill.lua); the checks with it on.
-- Last line of output:
--   RESULT ok=<0|1> checks=<n> traces=<n> jit=<0|1> heap_mib=<n> filled_mib=<n> oom=<0|1>
-- Exit 0 if every check passes (and, when the JIT is on, traces were
-- compiled); 1 otherwise; 3 on usage or unexpected errors.

local fmt = string.format
local MIB = 1024 * 1024
local mode = arg and arg[1]
local cap_mib, margin_mib = nil, 64
if mode == "fill" then
  cap_mib = tonumber(arg[2])
  margin_mib = tonumber(arg[3]) or 64
  if not cap_mib then             -- GC64: do not fill the whole machine.
    local okf, ffi = pcall(require, "ffi")
    if okf and ffi.abi("gc64") then cap_mib = 2560 end
  end
elseif mode ~= nil then
  io.stderr:write("jit.lua: unknown argument '", tostring(mode), "'\n")
  os.exit(3)
end

local failures, checks = 0, 0
local function expect(name, got, want)
  checks = checks + 1
  if got ~= want then
    failures = failures + 1
    io.stderr:write(fmt("jit.lua: FAIL %s: got %s, want %s\n",
                        name, tostring(got), tostring(want)))
  end
end

-- Optional fill -----------------------------------------------------------

local keep = {}                    -- live memory held during the checks
local filled_mib = 0
if mode == "fill" then
  if jit then jit.off() end
  local strings, tables = {}, {}
  keep.strings, keep.tables = strings, tables
  local ok, err = pcall(function()
    local i = 0
    while true do
      i = i + 1
      strings[#strings + 1] = string.rep(fmt("%08x", i), MIB / 8)
      local h = {}
      for j = 1, 4096 do h[j] = { j, i } end
      tables[#tables + 1] = h
      if cap_mib and collectgarbage("count") / 1024 >= cap_mib then return end
    end
  end)
  if not ok and not tostring(err):find("not enough memory", 1, true) then
    io.stderr:write("jit.lua: unexpected error while filling: ", tostring(err), "\n")
    os.exit(3)
  end
  filled_mib = collectgarbage("count") / 1024
  -- Free the margin: the newest strings (about 1 MiB each) and table chunks.
  local freed = 0
  while freed < margin_mib * MIB and #strings > 0 do
    strings[#strings] = nil
    if #tables > 0 then tables[#tables] = nil end
    freed = freed + MIB + 4096 * 64
  end
  collectgarbage()
  if jit then jit.on() end
  -- Spot-check what is kept.
  for k = 1, #strings, 97 do
    expect("fill string " .. k, strings[k]:sub(1, 8), fmt("%08x", k))
  end
  for k = 1, #tables, 89 do
    local h = tables[k]
    expect("fill table " .. k, h[4096][1] + h[1][2], 4096 + k)
  end
end

-- Checks ------------------------------------------------------------------

-- Runs f with the JIT on, and (when there is a JIT) once more with f's code
-- kept in the interpreter, and checks both against each other and `want`.
local function both(name, f, want)
  local got = f()
  if want ~= nil then expect(name, got, want) end
  if jit then
    jit.off(f, true)
    local ref = f()
    jit.on(f, true)
    expect(name .. " (vs interpreter)", got, ref)
  end
end

local function run_checks()
  local function numeric_loops()
    local s = 0
    for i = 1, 10000000 do s = s + i end                  -- 50000005000000
    local x = 0
    for i = 1, 2000000 do x = x + (i % 7) * 3 - (i % 5) end
    return s + x
  end
  -- sum(i%7) over 1..2e6 = 285714*21 + 1+2 = 5999997; sum(i%5) = 4000000.
  both("numeric loops", numeric_loops, 50000005000000 + 3 * 5999997 - 4000000)

  local function float_loop()
    local s = 0.0
    for i = 1, 1000000 do s = s + 1 / (i * i) end
    return s
  end
  both("float loop", float_loop, nil)
  expect("float loop range", math.abs(float_loop() - (math.pi ^ 2 / 6 - 1e-6)) < 1e-9, true)

  local function closures()
    local fs = {}
    for i = 1, 100000 do
      local k = i
      fs[i] = function(x) return x * k + 1 end
    end
    local s = 0
    for r = 1, 5 do
      for i = 1, #fs do s = s + fs[i](2) end
    end
    -- Closures sharing and mutating an upvalue.
    local counter = 0
    local function inc(n) counter = counter + n end
    for i = 1, 1000000 do inc(i % 3) end
    return s + counter
  end
  -- 5 * (2 * 100000*100001/2 + 100000) = 50001000000; sum(i%3) = 1000000.
  both("closures", closures, 50001000000 + 1000000)

  local function table_ops()
    local t = {}
    for i = 1, 100000 do t[i] = i * i end
    local s = 0
    for i = 1, #t do s = s + t[i] end                    -- 333338333350000
    local h = {}
    for i = 1, 1000000 do
      local key = "k" .. (i % 1000)
      h[key] = (h[key] or 0) + 1
    end
    local n, total = 0, 0
    for _, v in pairs(h) do n = n + 1; total = total + v end
    local objs = {}
    for i = 1, 200000 do objs[i] = { x = i, y = -i } end
    local d = 0
    for i = 1, #objs do local o = objs[i]; d = d + o.x * 2 + o.y end
    return s + n * 1e6 + total + d
  end
  -- d = sum(i) = 20000100000
  both("table ops", table_ops, 333338333350000 + 1000 * 1e6 + 1000000 + 20000100000)

  local function string_ops()
    local s = string.rep("abcdefghij", 1000)
    local acc = 0
    for r = 1, 50 do
      for i = 1, #s do acc = acc + s:byte(i) end
    end
    local parts = {}
    for i = 1, 20000 do parts[#parts + 1] = tostring(i % 10) end
    local joined = table.concat(parts)
    return acc + #joined + joined:byte(1)
  end
  -- bytes "a".."j" sum to 1015 per 10 chars: 50 * 1000 * 1015; "1" = 49.
  both("string ops", string_ops, 50 * 1000 * 1015 + 20000 + 49)
end

local oom = 0
do
  local ok, err = pcall(run_checks)
  if not ok then
    keep = nil
    collectgarbage()
    failures = failures + 1
    if tostring(err):find("not enough memory", 1, true) then
      oom = 1
      io.stderr:write("jit.lua: FAIL not enough memory during the checks\n")
    else
      io.stderr:write("jit.lua: FAIL error during the checks: ", tostring(err), "\n")
    end
  end
end

-- Report ------------------------------------------------------------------

local jit_on, traces = 0, 0
if jit then
  local st = { jit.status() }
  jit_on = st[1] and 1 or 0
  local flags = {}
  for i = 2, #st do flags[#flags + 1] = tostring(st[i]) end
  print(fmt("jit.version=%s jit.status=%s flags=%s", jit.version, tostring(st[1]),
            table.concat(flags, ",")))
  local ok, util = pcall(require, "jit.util")
  if ok and util and util.traceinfo then
    for tr = 1, 65535 do
      if util.traceinfo(tr) then traces = traces + 1 end
    end
  end
  if jit_on == 1 and traces == 0 then
    failures = failures + 1
    io.stderr:write("jit.lua: FAIL no traces were compiled\n")
  end
end

local heap_mib = collectgarbage("count") / 1024
keep = nil
local line = fmt("RESULT ok=%d checks=%d traces=%d jit=%d heap_mib=%.1f filled_mib=%.1f oom=%d",
                 failures == 0 and 1 or 0, checks, traces, jit_on, heap_mib, filled_mib, oom)
print(line)
os.exit(failures == 0 and 0 or 1)
