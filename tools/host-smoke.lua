-- Smoke check of one Lua host (spec/check.sh runs it under lua5.4, lua5.3,
-- lua5.1 and luajit, and Neovim's LuaJIT): loads the C core and the
-- `calcinosis` module from this checkout and runs every layer: the C core,
-- convert, quantity, analytes, labs, classify (the default ruleset, the
-- example patients), a cohort through the C plan, a user ruleset compiled
-- from text and loaded from a file, a variant of it, and sandbox refusals.
--   Usage: LUA tools/host-smoke.lua BUILD [full|core] [DIGEST]
--   BUILD:  the folder holding calcinosis/core.so for this host (build/5.1, ...)
--   full:   every check (the default); core: the checks that need no rule
--           compiler (the C core, convert, quantity, analytes, CSV reader)
--   DIGEST: a file to write every result to, one "name = value" line each
--           (numbers as %.10g, tables flattened with sorted keys), which
--           spec/check.sh compares with the digest Lua 5.4 writes: the same
--           inputs give the same results on every host.
-- Written in the syntax Lua 5.1 parses. Prints one line per check, then
-- "HOST (MODE checks): N passed, N failed"; exits 1 when a check failed.
local build, mode, digest_path = arg[1], arg[2] or "full", arg[3]
assert(build, "usage: tools/host-smoke.lua BUILD [full|core] [DIGEST]")
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath

local jit = rawget(_G, "jit")
local host = jit and jit.version or _VERSION
local passed, failed = 0, 0
local digest = {}

local function first_line(e) return (tostring(e):gsub("\n.*", "")) end

-- check(name, fn): fn raises or returns false, message on failure.
local function check(name, fn)
  local ok, res, msg = pcall(fn)
  if ok and res ~= false then
    passed = passed + 1
    print(("ok - %s: %s"):format(host, name))
  else
    failed = failed + 1
    print(("not ok - %s: %s: %s"):format(host, name, first_line(ok and msg or res)))
  end
end

local function near(a, b, tol, what)
  if type(a) ~= "number" or math.abs(a - b) > tol then
    error(("%s: %s, expected %s"):format(what, tostring(a), tostring(b)), 0)
  end
end

-- record(name, v): adds v to the digest, flattened: "name.key.key = value"
local function record(name, v, seen)
  local tv = type(v)
  if tv == "number" then
    digest[#digest + 1] = ("%s = %s"):format(name, v ~= v and "nan" or ("%.10g"):format(v))
  elseif tv == "string" or tv == "boolean" or tv == "nil" then
    digest[#digest + 1] = ("%s = %s"):format(name, tostring(v))
  elseif tv == "table" then
    seen = seen or {}
    if seen[v] then digest[#digest + 1] = name .. " = (seen)" return end
    seen[v] = true
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      local ta, tb = type(a), type(b)
      if ta ~= tb then return ta < tb end
      if ta == "number" or ta == "string" then return a < b end
      return tostring(a) < tostring(b)
    end)
    if #keys == 0 then digest[#digest + 1] = name .. " = {}" end
    for _, k in ipairs(keys) do
      local kname = type(k) == "number" and ("%.10g"):format(k) or tostring(k)
      record(name .. "." .. kname, v[k], seen)
    end
  else
    digest[#digest + 1] = ("%s = (%s)"):format(name, tv) -- functions, userdata: the type only
  end
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local full = mode == "full"
local calcinosis

check("require 'calcinosis.core'", function()
  local core = require "calcinosis.core"
  return type(core) == "table" and type(core.convert) == "function", "no core.convert"
end)

check("require 'calcinosis'", function()
  calcinosis = require "calcinosis"
  return type(calcinosis._VERSION) == "string", "no _VERSION"
end)

check("calcinosis.convert", function()
  near(calcinosis.convert(10, "mg/dL", "mmol/L", "calcium"), 2.495, 0.001, "10 mg/dL calcium in mmol/L")
  near(calcinosis.convert(2.5, "mmol/L", "mg/dL", "calcium"), 10.02, 0.01, "2.5 mmol/L calcium in mg/dL")
  local v, e = calcinosis.convert(1, "mg/dL", "mmol/L")
  if v ~= nil or not tostring(e):find("molar mass", 1, true) then error("mg/dL to mmol/L without analyte: " .. tostring(e), 0) end
  record("convert.calcium", calcinosis.convert(10, "mg/dL", "mmol/L", "calcium"))
  record("convert.phosphate", calcinosis.convert(7.7, "mg/dL", "mmol/L", "phosphate"))
  record("convert.no_analyte", { calcinosis.convert(1, "mg/dL", "mmol/L") })
end)

check("calcinosis.quantity and analyte", function()
  local q = calcinosis.quantity("<15 mL/min")
  if not (q and q.value == 15 and q.comparator == "<") then error("quantity '<15 mL/min'", 0) end
  local a = calcinosis.analyte("phos")
  if not (a and a.name == "phosphate") then error("analyte 'phos': " .. tostring(a and a.name), 0) end
  record("quantity", q)
  record("analyte.phos", a)
end)

check("C core: corrected calcium, eGFR, KDIGO stage", function()
  local core = calcinosis.core
  near(core.corrected_calcium(10.5, 3.0, "common"), 11.3, 1e-9, "corrected calcium 10.5 mg/dL, albumin 3.0 g/dL")
  near(core.egfr_ckd_epi_2021(120 / 88.42, 60, false), 59.7, 0.1, "CKD-EPI 2021, creatinine 120 umol/L, 60 y, male")
  local _, stage = core.kdigo(59.71)
  if stage ~= "G3a" then error("KDIGO stage of 59.71: " .. tostring(stage), 0) end
  _, stage = core.kdigo(59.71, true)
  if stage ~= "G2" then error("KDIGO stage of 59.71 rounded: " .. tostring(stage), 0) end
  record("core.egfr", core.egfr_ckd_epi_2021(120 / 88.42, 60, false))
end)

check("C core: CSV reader (examples/cohort.csv)", function()
  local r = assert(calcinosis.core.csv_open("examples/cohort.csv", ","))
  local header = r:next()
  local row = r:next()
  r:close()
  if not (header and header[1] == "id" and row and #row == #header) then error("header or first row", 0) end
  record("csv.row1", row)
end)

-- calcinosis.compat: on 5.1 and LuaJIT its pack and utf8 are replacements
-- in Lua, on 5.3 and 5.4 the library's own: the digests compare them
check("calcinosis.compat: pack (doubles, integers) and utf8", function()
  local compat = require "calcinosis.compat"
  local function hex(s) return (s:gsub(".", function(ch) return ("%02x"):format(ch:byte()) end)) end
  local zero = 0.5 - 0.5
  for i, v in ipairs { zero, -zero, 1, -1, 0.8, 70, 1 / 3, 1e-300, 4.9e-324, 2.2250738585072014e-308,
      2.225073858507201e-308, -2.5e-310, 1.7976931348623157e308, 1 / 0, -1 / 0, 2 ^ 52, 2 ^ 53 + 2 } do
    record(("compat.pack.d%02d"):format(i), hex(compat.pack("<d", v)))
  end
  record("compat.pack.ints", hex(compat.pack("<c4I2I2I4I4", "CALV", 1, 65535, 0, 4294967295)))
  local u = compat.utf8
  local cps = { 0, 65, 127, 128, 233, 2047, 2048, 8364, 65535, 65536, 0x10FFFF } -- (5.3 stops there)
  for i, cp in ipairs(cps) do record(("compat.utf8.char%02d"):format(i), hex(u.char(cp))) end
  local text = "h\195\169llo \226\130\172 \240\159\152\128"
  record("compat.utf8.codepoint", { u.codepoint(text, 1, -1) })
  record("compat.utf8.len", { u.len(text), u.len("a\255b"), u.len(text, 3) })
  record("compat.utf8.offset", { u.offset(text, 3), u.offset(text, -1), u.offset(text, 0, 3), u.offset(text, 20) })
  local codes, widths = {}, {}
  for p, cp in u.codes(text) do codes[#codes + 1] = p .. ":" .. cp end
  for ch in text:gmatch(u.charpattern) do widths[#widths + 1] = #ch end
  record("compat.utf8.codes", codes)
  record("compat.utf8.charpattern", widths)
end)

if full then
  check("calcinosis.labs", function()
    local t = calcinosis.labs {
      id = "p1", age = 60, sex = "F",
      labs = { calcium = "10.5 mg/dL", albumin = { 30, "g/L" }, phosphate = "high", creatinine = "120 umol/L" },
    }
    near(t.corrected_calcium.value, 11.3, 1e-9, "corrected calcium")
    if t.corrected_calcium.flag ~= "high" then error("flag " .. tostring(t.corrected_calcium.flag), 0) end
    near(t.egfr.value, 44.7, 0.1, "eGFR")
    if t.ckd_stage.value ~= "G3b" then error("stage " .. tostring(t.ckd_stage.value), 0) end
    record("labs.p1", t)
    record("labs.bad", calcinosis.labs { id = "P7", age = "old", labs = { calcium = "2.4 mg/dL" } })
  end)

  check("calcinosis.classify (default ruleset)", function()
    local r = calcinosis.classify {
      id = "p1", age = 52, sex = "M",
      labs = { calcium = "10.2 mg/dL", albumin = "4.0 g/dL", phosphate = "7.7 mg/dL", creatinine = "6.8 mg/dL" },
      findings = { "esrd", "dialysis" }, sites = { "shoulders", "periarticular" },
    }
    if r.type ~= "metastatic" or r.id ~= "p1" then error("type " .. tostring(r.type) .. ", id " .. tostring(r.id), 0) end
    if type(r.workup) ~= "table" or type(r.labs) ~= "table" then error("no work-up or lab table", 0) end
    record("classify.p1", r)
    -- the JSON text is compared decoded: on 5.1 and LuaJIT a float with an
    -- integral value is written without ".0" (no integer subtype there)
    local json = require "calcinosis.json"
    record("classify.p1.json", json.decode(json.encode(calcinosis.classify({ id = "j", age = 30,
      labs = { calcium = 9.5 } }, nil, { knowledge = false }))))
  end)

  -- the same example patients on every host (examples/patients)
  local PATIENTS = { "c3_dialysis_periarticular", "calciphylaxis_uraemic", "juvenile_dermatomyositis",
    "milk_alkali", "cat_ckd_hyperphosphataemia", "heel_stick_infant", "missing_phosphate_no_history",
    "si_units_dialysis", "qualitative_labs_hpt_pattern", "normophosphatemic_tumoral_calcinosis" }
  check("calcinosis.classify of " .. #PATIENTS .. " example patients (examples/patients)", function()
    local json = require "calcinosis.json"
    local rs = assert(calcinosis.rules.default())
    for _, name in ipairs(PATIENTS) do
      local p = assert(json.decode(slurp("examples/patients/" .. name .. ".json")))
      local r = calcinosis.classify(p)
      if type(r.type) ~= "string" then error(name .. ": no type", 0) end
      record("patient." .. name, r)
      record("patient." .. name .. ".ruleset", rs:classify(p))
      record("patient." .. name .. ".report", require("calcinosis.report").text(r, p))
    end
  end)

  check("calcinosis.cohort.run through the C plan (examples/cohort.csv, CSV and NDJSON)", function()
    for _, format in ipairs { "csv", "ndjson" } do
      local out = os.tmpname()
      local stats, e = require("calcinosis.cohort").run(calcinosis.rules.default(), {
        input = "examples/cohort.csv", output = out, format = format,
      })
      local text = slurp(out)
      os.remove(out)
      if not stats then error(e, 0) end
      local lines = select(2, text:gsub("\n", "\n"))
      local want = stats.records + (format == "csv" and 1 or 0)
      if stats.records < 30 or lines ~= want then error(("%s: %d records, %d lines"):format(format, stats.records, lines), 0) end
      record("cohort." .. format .. ".stats", stats)
      local i = 0
      for line in text:gmatch("([^\n]*)\n") do
        i = i + 1
        record(("cohort.%s.line%03d"):format(format, i), line)
      end
    end
  end)

  local USER = [[
return ruleset {
  name = "host-smoke", version = "1",
  subtypes = { "metastatic", "dystrophic" },
  set("DYS", { "lupus", "dermatomyositis", "trauma" }),
  param("ca_x_p_limit", "70 mg2/dL2"),
  let("ca_corr", "if present(albumin) then calcium + 0.8 * (4 - albumin) else calcium",
      { unit = "mg/dL", analyte = "calcium" }),
  rule { id = "metastatic.cxp", when = "ca_corr * phosphate > ca_x_p_limit", supports = "metastatic",
         weight = 3, because = "Ca x P is high", source = "S2" },
  rule { id = "dystrophic.disease", when = "any finding in DYS and ca_corr <= 10.5 mg/dL",
         supports = "dystrophic", weight = 2, because = "tissue damage, normal calcium", source = "S1" },
}]]
  local PEOPLE = {
    { id = "a", age = 52, labs = { calcium = "10.2 mg/dL", albumin = "4.0 g/dL", phosphate = "7.7 mg/dL" } },
    { id = "b", age = 30, labs = { calcium = "9.4 mg/dL", phosphate = "3.5 mg/dL" }, findings = { "lupus" } },
    { id = "c", age = 61, labs = { calcium = "2.6 mmol/L", phosphate = "2.0 mmol/L" }, findings = { "trauma" } },
  }

  check("rules.compile of a user ruleset, a variant, rules.load of a file", function()
    local rs, err = calcinosis.rules.compile(USER)
    if not rs then error(err, 0) end
    local strict = assert(rs:variant { name = "host-smoke-strict", params = { ca_x_p_limit = "55 mg2/dL2" },
      drop = { "dystrophic.disease" } })
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write(USER)
    f:close()
    local loaded, lerr = calcinosis.rules.load(path)
    os.remove(path)
    if not loaded then error(lerr, 0) end
    if loaded.hash ~= rs.hash then error("the file and the text compile differently", 0) end
    record("user.hash", rs.hash)
    record("user.strict.hash", strict.hash)
    record("user.warnings", rs.warnings)
    record("user.describe", rs:describe())
    record("user.strict.rules", strict:rules())
    for _, p in ipairs(PEOPLE) do
      record("user." .. p.id, rs:classify(p))
      record("user.strict." .. p.id, strict:classify(p))
    end
    local r = rs:classify(PEOPLE[1])
    if r.type ~= "metastatic" then error("user ruleset, patient a: " .. tostring(r.type), 0) end
    local r2 = strict:classify(PEOPLE[2])
    if r2.type == "dystrophic" then error("the variant dropped dystrophic.disease, patient b is still dystrophic", 0) end
    local bad = { calcinosis.rules.compile((USER:gsub("ca_corr %* phosphate", "ca_corr ** phosphate"))) }
    if bad[1] ~= nil then error("a syntax error in a condition compiled", 0) end
    record("user.compile_error", bad)
  end)

  -- sandbox refusals: each message comes from the sandbox and is the same on
  -- every host
  local REFUSED = {
    { "no io, os, require, load, debug, getmetatable, setfenv",
      [[error(table.concat({ type(io), type(os), type(require), type(load), type(loadstring), type(debug),
        type(getmetatable), type(setmetatable), type(setfenv), type(getfenv), type(dofile), type(package),
        type(collectgarbage), type(rawset), type(string.dump), type(("").dump), type(string.gfind) }, ","), 0)]],
      ("nil,"):rep(16) .. "nil" },
    { "instruction budget", "while true do end", "instruction budget exceeded" },
    { "instruction budget in a pattern (the matcher is Lua)", [[local x = ("a"):rep(1e4):find(("a*"):rep(20) .. "b")]],
      "instruction budget exceeded" },
    { "memory budget", "local t = {} for i = 1, 1e9 do t[i] = { i } end", "memory budget exceeded",
      false, { budget = { memory_kb = 4096 } } },
    { "string.rep too large", [[local x = string.rep("x", 1e9)]], "too large" },
    { "table.unpack of a huge range", [[local x = table.unpack({}, 1, 1e8)]], "too many values" },
    { "include outside the folder", [[local x = include "../../../../etc/passwd.lua"]], "include" },
    { "a function in a declaration", [[return ruleset { name = "f", version = "1", subtypes = { "a" }, f = function() end }]],
      "plain data" },
    { "a binary chunk", "\27Lua", "binary" },
    { "writing to string", [[string.upper = nil]], "read-only" },
    { "pairs over string: the bounded functions, no dump", [[local ks = {}
for k, v in pairs(string) do if k ~= "pack" and k ~= "packsize" and k ~= "unpack" then ks[#ks + 1] = k end end
table.sort(ks) error(table.concat(ks, ","), 0)]], "byte,char,find,format,gmatch,gsub,len,lower,match,rep,reverse,sub,upper" },
    { "patterns as Lua 5.4 matches them", [[error(table.concat({ ("abc"):gsub("%w*", "-"), ("hello world"):match("^(%w+)"),
      ("a,b,,c"):gsub(",", ";"), ("x=1, y=2"):gsub("(%w+)=(%w+)", "%2=%1"), ("THE (quick) fox"):find("%((%a+)%)"),
      utf8.char(233, 8364), #utf8.char(0x10FFFF), utf8.len("h\195\169") }, " "), 0)]], "- hello a;b;;c" },
  }
  for _, c in ipairs(REFUSED) do
    check("sandbox: " .. c[1], function()
      local hook_before = debug.gethook()
      local jit_before = jit and jit.status()
      local rs, err = calcinosis.rules.compile(c[2], c[5])
      if rs ~= nil then error("not refused", 0) end
      err = tostring(err)
      if not err:find(c[3], 1, not c[4]) then error(("message %q lacks %q"):format(err, c[3]), 0) end
      if debug.gethook() ~= hook_before then error("the hook was not put back", 0) end
      if jit and jit.status() ~= jit_before then error("LuaJIT's compiler was not put back on", 0) end
      if getmetatable("").__index ~= string then error("the string methods were not put back", 0) end
      -- the one limit that differs: values per call (M.limits.values; 7997 on
      -- 5.1 and LuaJIT, their C stack)
      record("sandbox." .. c[1], (err:gsub("at most %d+ in a ruleset", "at most LIMIT in a ruleset")))
    end)
  end
end

print(("%s (%s checks): %d passed, %d failed"):format(host, mode, passed, failed))
if digest_path then
  local f = assert(io.open(digest_path, "wb"))
  f:write(table.concat(digest, "\n"), "\n")
  f:close()
end
os.exit(failed == 0 and 0 or 1)
