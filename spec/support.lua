-- Helpers shared by specs.
local M = {}

--- How many times slower than an uninstrumented run the suite runs: the
-- factor time bounds are multiplied by (spec/valgrind-suite.sh sets
-- CALCINOSIS_SLOW, about 20: valgrind runs about 20 times slower); 1 if unset.
M.SLOW = tonumber(os.getenv("CALCINOSIS_SLOW") or "") or 1

--- Temporary files of one spec file. `tmp(text, ext)` names a new file
-- (ending in `ext` when given; holding `text` when given); `clean()` removes
-- every file it named, to be called in `teardown`.
-- @treturn function tmp
-- @treturn function clean
function M.temp_files()
  local names = {}
  local function tmp(text, ext)
    local base = os.tmpname()
    local name = base .. (ext or "")
    names[#names + 1] = base
    if ext then names[#names + 1] = name end
    if text then
      local f = assert(io.open(name, "wb"))
      f:write(text)
      f:close()
    end
    return name
  end
  local function clean()
    for _, n in ipairs(names) do os.remove(n) end
  end
  return tmp, clean
end

--- The whole content of a file.
function M.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

--- Path of a file in ../shared (beside the repository).
function M.shared(rel)
  return "../shared/" .. rel
end

--- The path of a file in ../shared, or nil when it is absent (a clone on
-- its own): the specs that use it are then skipped, and counted as skipped.
function M.shared_file(rel)
  local path = M.shared(rel)
  local f = io.open(path, "rb")
  if not f then return nil end
  f:close()
  return path
end

--- Why a spec that needs a file of ../shared is skipped (pass it to
-- busted's `pending`, which counts the spec as skipped).
function M.skip_reason(rel)
  return "skipped: ../shared/" .. rel .. " is not beside this clone"
end

--- A small linear congruential generator, seeded: the same numbers on
-- every run and every Lua. The function it returns gives a number in
-- [0, 1) with no argument, an integer in 1..n with one, in a..b with two.
function M.lcg(seed)
  local state = seed
  return function(a, b)
    state = (state * 1103515245 + 12345) % 2147483648
    local x = state / 2147483648
    if not a then return x end
    if not b then a, b = 1, a end
    return a + math.floor(x * (b - a + 1))
  end
end

--- A generated cohort in the layout of the bench-v1 task (the header
-- "id,age_years,sex,calcium [mg/dL],albumin [g/dL],phosphate [mg/dL],
-- creatinine [mg/dL],pth [pg/mL],vitd25 [ng/mL],findings,sites"), made here
-- so that the suite needs nothing outside the repository: deterministic for
-- n and seed, some cells empty, terms from the bench-v1 sets and a few
-- others. Returns the CSV text.
function M.bench_cohort(n, seed)
  local R = M.lcg(seed * 2654435761 % 4294967296)
  local function pick(t) return t[math.floor(R() * #t) + 1] end
  local FINDINGS = { "iv_calcium", "iv_phosphate", "calcium_electrode_paste", "heel_stick", "ckd", "dialysis",
    "hyperparathyroidism", "sarcoidosis", "milk_alkali", "vitamin_d_excess", "systemic_sclerosis",
    "dermatomyositis", "lupus", "trauma", "burn", "acne", "livedo", "necrotic_ulcer", "tumor",
    "ehlers_danlos", "esophageal_dysmotility", "diabetes" }
  local SITES = { "fingertips", "shoulders", "scrotum", "penis", "vulva", "face", "thighs", "elbows" }
  local lines = { "id,age_years,sex,calcium [mg/dL],albumin [g/dL],phosphate [mg/dL],creatinine [mg/dL]," ..
    "pth [pg/mL],vitd25 [ng/mL],findings,sites" }
  local function cell(p, fmt, lo, hi)
    if R() < p then return "" end
    return (fmt):format(lo + (hi - lo) * R())
  end
  for i = 1, n do
    local f, s = {}, {}
    for _ = 1, math.floor(R() * 3.2) do f[#f + 1] = pick(FINDINGS) end
    for _ = 1, math.floor(R() * 1.6) do s[#s + 1] = pick(SITES) end
    lines[#lines + 1] = table.concat({ ("P%07d"):format(i), ("%d"):format(math.floor(R() * 90)),
      R() < 0.5 and "F" or "M", cell(0.05, "%.1f", 7.5, 13), cell(0.2, "%.1f", 2.5, 5),
      cell(0.1, "%.1f", 1.5, 9), cell(0.15, "%.2f", 0.5, 9), cell(0.4, "%.0f", 10, 600),
      cell(0.3, "%.0f", 5, 200), table.concat(f, ";"), table.concat(s, ";") }, ",")
  end
  return table.concat(lines, "\n") .. "\n"
end

--- Parses RFC 4180 CSV text (quoted fields with commas, doubled quotes and
-- line breaks; CRLF or LF) into a list of rows, each a list of fields. A
-- parser of its own (not the C reader), so that specs check the C and Lua
-- writers against an independent reading. With `strict`, raises on a quote
-- left open, a quote inside an unquoted field or text after a closing quote.
function M.parse_csv(text, strict)
  local rows, row, field, i, n = {}, {}, {}, 1, #text
  local inq, quoted = false, false
  while i <= n do
    local c = text:sub(i, i)
    if inq then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"'; i = i + 1
        else inq = false end
      else field[#field + 1] = c end
    elseif c == '"' then
      if strict and (#field > 0 or quoted) then error(("CSV: a quote inside an unquoted field at byte %d"):format(i)) end
      inq, quoted = true, true
    elseif c == "," then row[#row + 1] = table.concat(field); field = {}; quoted = false
    elseif c == "\n" or c == "\r" then
      if c == "\r" and text:sub(i + 1, i + 1) == "\n" then i = i + 1 end
      row[#row + 1] = table.concat(field); field = {}; quoted = false
      rows[#rows + 1] = row; row = {}
    else
      if strict and quoted then error(("CSV: text after a closing quote at byte %d"):format(i)) end
      field[#field + 1] = c
    end
    i = i + 1
  end
  if strict and inq then error("CSV: a quoted field is not closed") end
  if #field > 0 or #row > 0 or quoted then row[#row + 1] = table.concat(field); rows[#rows + 1] = row end
  return rows
end

--- Reads a small RFC 4180 CSV file into a list of tables keyed by header.
function M.read_csv(path)
  local rows = M.parse_csv(M.slurp(path))
  local header = table.remove(rows, 1)
  local out = {}
  for _, r in ipairs(rows) do
    local t = {}
    for k, h in ipairs(header) do t[h] = r[k] end
    out[#out + 1] = t
  end
  return out
end

--- Runs the command as users run it, `lua5.4 bin/calcinosis ARGS` (ARGS
-- already quoted for the shell), with standard error in a temp file of this
-- run's own. Returns standard output, the exit status and standard error;
-- the status is nil when the process ended by a signal (with its number as
-- a fourth value). With `seconds`, the command is stopped after that long
-- (its status is then 124, as timeout(1) gives it).
function M.run(args, stdin, seconds)
  local errfile = os.tmpname()
  local cmd = (seconds and ("timeout -k 5 %d "):format(seconds) or "") .. "lua5.4 bin/calcinosis " .. args .. " 2>"
    .. errfile .. (stdin and (" <" .. stdin) or "")
    .. "; echo \"rc=$?\""
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  local rc = tonumber(out:match("rc=(%d+)\n$"))
  out = out:gsub("rc=%d+\n$", "")
  local f = io.open(errfile, "rb")
  local err = f and f:read("a") or ""
  if f then f:close() end
  os.remove(errfile)
  if rc and rc > 128 then return out, nil, err, rc - 128 end
  return out, rc, err
end

--- Half a unit in the last place of a number printed with `digits`
-- significant digits.
function M.sig_tolerance(x, digits)
  if x == 0 then return 0.5 * 10 ^ -digits end
  local e = math.floor(math.log(math.abs(x), 10))
  return 0.5 * 10 ^ (e - digits + 1)
end

--- Half a unit in the last printed place of a number written as text.
function M.printed_tolerance(s)
  local dec = s:match("%.(%d+)$")
  return 0.5 * 10 ^ -(dec and #dec or 0)
end

--- Whether a text is well-formed XML (lua-expat, Debian `lua-expat`).
-- @treturn boolean
-- @treturn string|nil the parser's message
function M.xml_ok(text)
  local lxp = require "lxp"
  local p = lxp.new({})
  local ok, msg, line, col = p:parse(text)
  if ok then ok, msg, line, col = p:parse() end
  p:close()
  if not ok then return false, ("%s at line %s, column %s"):format(tostring(msg), tostring(line), tostring(col)) end
  return true
end

--- The `<svg>...</svg>` elements of a text (an HTML page, a Markdown folder's files).
function M.svg_elements(text)
  local t = {}
  for s in text:gmatch("<svg .-</svg>") do t[#t + 1] = s end
  return t
end

return M
