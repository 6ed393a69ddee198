--- HL7 v2 result messages (ORU^R01, OUL^R22) into patient records.
--
--     local hl7 = require "calcinosis.hl7"
--     local records, problems = hl7.records(text [, { codes = "my-codes.txt" }])
--     for _, r in ipairs(records) do print(calcinosis.classify(r).type) end
--
-- The messages are parsed by LPeg grammars, one per phase:
-- `calcinosis.hl7.frame` (the file into messages of segments: `\r`, `\n`
-- or `\r\n` segment ends, several messages, MLLP framing bytes),
-- `calcinosis.hl7.grammar` (the encoding characters MSH declares, the
-- grammar of fields, repetitions, components and subcomponents they give,
-- escape sequences); this module maps the segments to records.
--
-- What is read: PID-3 (the first identifier: the record's `id`; patients
-- with the same id in several messages are one record), PID-7 (birth date,
-- kept as written), PID-8 (sex; `U` is unknown); OBR-7 and, per OBX, OBX-2
-- (value type: NM, SN with its comparator, ST, or empty with a number),
-- OBX-3 (the code: LOINC with coding system `LN` through the C analyte
-- table, else the local code table `calcinosis.hl7.codes` extended by the
-- user's; the display text is never matched, since a local code's name does
-- not say which specimen or method it is), OBX-5 (value), OBX-6 (unit, as
-- written: the C unit parser reads lab spellings such as `UMOLL` and
-- `MMOLL`), OBX-7 (reference range), OBX-8 (abnormal flags), OBX-14 (the
-- observation time, else OBR-7); a result whose OBX-11 status is W (wrong),
-- D (deleted) or X (cannot be obtained) is not used (it is listed in
-- `unrecognised`).
--
-- A record is a plain table in the record schema `calcinosis.classify` and
-- `calcinosis.labs` accept (`id`, `sex`, `labs = { calcium = "9.5 mg/dL",
-- egfr = "<15 MLMIN", ... }`), plus reader-only keys, which classify
-- ignores today:
--
-- - `birth_date`: PID-7 as written (`19480110`); the age is computed from it
--   by the C record logic, not here;
-- - `<analyte>_date`: the observation time of the value in `labs` (OBX-14,
--   else OBR-7, as written);
-- - `<analyte>_range`, `<analyte>_flag`: OBX-7 and OBX-8 of that value, as
--   written (escapes decoded), when given;
-- - `<analyte>_values`: every result of that analyte for the patient, in
--   file order: `{ value = number, unit =, date =, comparator =, range =,
--   flag = }`;
-- - `problems`: a list of strings, each naming the message number, the
--   segment and the field (`message 2, segment 7 (OBX), OBX-5: ...`);
-- - `unrecognised`: the OBX whose code is not mapped to an analyte, whose
--   value is empty or whose status says it is not a result, each named as
--   the problems are.
--
-- When a patient has several results of one analyte, `labs` holds the one
-- the C date logic chooses (`core.choose_dated`, as for FHIR and long
-- format): dated nearest `opts.index_date`, by default the latest, compared
-- as calendar days (a result without a date loses to one with; on a tie,
-- the later in the file is kept); with `opts.window`, a value farther than
-- that from the index date (by default from the patient's latest value) is
-- not used, with a problem.
--
-- A message that cannot be read (a bad MSH, too few encoding characters,
-- not a result message) and results without a PID are file-level problems;
-- the other messages are still read.
--
-- Dependencies: lpeg, calcinosis.core, calcinosis.util,
-- calcinosis.hl7.frame, calcinosis.hl7.grammar, calcinosis.hl7.codes.
-- @module calcinosis.hl7

local core = require "calcinosis.core"
local util = require "calcinosis.util"
local frame = require "calcinosis.hl7.frame"
local grammar = require "calcinosis.hl7.grammar"
local default_codes = require "calcinosis.hl7.codes"

local M = {}

--- The default local code table (`calcinosis.hl7.codes`), a copy: a list
-- of `{ code =, analyte =, name =, source = }` entries.
-- @treturn table
function M.default_codes()
  local out = {}
  for i, e in ipairs(default_codes) do
    out[i] = { code = e.code, analyte = e.analyte, name = e.name, source = e.source }
  end
  return out
end

local OPTIONS = { codes = true, index_date = true, window = true }

local function trim(s)
  local a, z = s:byte(1), s:byte(-1)
  if a and a > 32 and z > 32 then return s end -- the usual case, at once
  return s:match("^%s*(.-)%s*$")
end

-- The analyte name of a LOINC code (only a LOINC code, not a name or alias).
local function loinc_analyte(code)
  local a = code ~= "" and core.analyte(code)
  if not a then return nil end
  for _, l in ipairs(a.loinc) do if l == code then return a.name end end
  return nil
end

--- Reads a user's code table: one code per line, `CODE analyte` (a space,
-- a tab, `,`, `;` or `=` between them), `#` starts a comment; the analyte
-- is a name, alias or LOINC code the library knows.
-- @tparam string path
-- @treturn table|nil `{ [code] = analyte name }`
-- @treturn[2] string the message (the file, the line, the code or analyte)
function M.read_codes(path)
  if type(path) ~= "string" then
    error(("calcinosis.hl7.read_codes: bad argument #1 (string expected, got %s)"):format(type(path)), 2)
  end
  local f, err = io.open(path, "rb")
  if not f then return nil, ("codes file: %s"):format(err) end
  local text = f:read("*a") or ""
  f:close()
  local t, n = {}, 0
  for line in (text .. "\n"):gmatch("([^\r\n]*)\r?\n?") do
    n = n + 1
    local body = trim((line:gsub("#.*$", "")))
    if body ~= "" then
      local code, name = body:match("^(%S-)%s*[,;=\t ]%s*(%S.-)$")
      if not code or code == "" then
        return nil, ("codes file %s, line %d: '%s' is not 'CODE analyte'"):format(path, n, body)
      end
      local a = core.analyte(name)
      if not a then
        local s = util.suggest(name, core.analytes())
        return nil, ("codes file %s, line %d: unknown analyte '%s' for code '%s'%s"):format(path, n, name, code,
          s and (" (did you mean '" .. s .. "'?)") or "")
      end
      t[code:upper()] = a.name
    end
  end
  return t
end

-- the code table of a call: the defaults, then the user's
local function code_table(opt)
  local t = {}
  for _, e in ipairs(default_codes) do t[e.code:upper()] = e.analyte end
  if opt == nil then return t end
  local user = opt
  if type(opt) == "string" then
    local err
    user, err = M.read_codes(opt)
    if not user then return nil, err end
  elseif type(opt) ~= "table" then
    error(("calcinosis.hl7.records: option 'codes' must be a file name or a table, got %s"):format(type(opt)), 3)
  end
  for _, code in ipairs(util.sorted_keys(user)) do -- (the same bad entry named every run)
    local name = user[code]
    local a = type(code) == "string" and type(name) == "string" and core.analyte(name)
    if not a then
      error(("calcinosis.hl7.records: codes[%s] = %s is not a code and a known analyte"):format(
        tostring(code), tostring(name)), 3)
    end
    t[code:upper()] = a.name
  end
  return t
end

-- ---------------------------------------------------------------------------
-- One message

-- a segment's fields: f(n) the raw text of field n, parse(n) its structure
local function segment(g, text)
  local raw = g.fields:match(text) or { text }
  local name = raw[1]
  local shift = name == "MSH" and 0 or 1 -- MSH-1 is the separator itself: MSH-2 is raw[2]
  local s = { name = name, raw = raw }
  function s.f(n) return raw[n + shift] or "" end
  local parsed = {}
  function s.parse(n)
    local t = parsed[n]
    if not t then
      t = g.field:match(s.f(n)) or { { { s.f(n) } } }
      parsed[n] = t
    end
    return t
  end
  -- component c (subcomponent 1) of repetition r of field n, decoded
  function s.comp(n, c, r)
    local rep = s.parse(n)[r or 1]
    local comp = rep and rep[c or 1]
    return comp and comp[1] or ""
  end
  function s.decoded(n) return g.decode:match(s.f(n)) end
  return s
end

-- does a parsed field hold more than its first component (a second
-- repetition, component or subcomponent that is not empty)?
local function extra_parts(parsed)
  for r, rep in ipairs(parsed) do
    for c, comp in ipairs(rep) do
      for k, sub in ipairs(comp) do
        if (r > 1 or c > 1 or k > 1) and sub ~= "" then return true end
      end
    end
  end
  return false
end

local function quote(s)
  if #s > 60 then s = s:sub(1, 57) .. "..." end
  return "'" .. s .. "'"
end

-- The value of an OBX as the lab text the record logic reads
-- ("<15 MLMIN"), with the number and comparator; or nil and the problem.
local function obx_value(obx, vt, unit)
  local raw = obx.f(5)
  if vt == "NM" or vt == "" then
    local parsed = obx.parse(5)
    if extra_parts(parsed) then
      return nil, ("OBX-5: numeric value %s has extra components (value type %s); not used"):format(quote(raw),
        vt == "" and "empty" or vt)
    end
    local text = trim(parsed[1][1][1])
    local v, u, cmp = core.quantity(text)
    if not v or u ~= "" then
      return nil, ("OBX-5: %s is not a number (value type %s); not used"):format(quote(text),
        vt == "" and "empty" or vt)
    end
    return text .. (unit ~= "" and (" " .. unit) or ""), v, cmp
  elseif vt == "SN" then
    local parsed = obx.parse(5)
    local c = parsed[1]
    local cmp, n1, sep, n2 = trim(c[1] and c[1][1] or ""), trim(c[2] and c[2][1] or ""),
      trim(c[3] and c[3][1] or ""), trim(c[4] and c[4][1] or "")
    if #parsed > 1 or #c > 4 then
      return nil, ("OBX-5: structured numeric %s has extra parts; not used"):format(quote(raw))
    end
    if sep ~= "" or n2 ~= "" then
      return nil, ("OBX-5: structured numeric %s is a range or ratio, not one value; not used"):format(quote(raw))
    end
    if cmp == "=" then cmp = "" end
    if cmp ~= "" and cmp ~= "<" and cmp ~= ">" and cmp ~= "<=" and cmp ~= ">=" then
      return nil, ("OBX-5: structured numeric %s has comparator '%s' (<, >, <=, >= or =); not used"):format(
        quote(raw), cmp)
    end
    local v, u = core.quantity(n1)
    if not v or u ~= "" or n1:match("^[<>]") then
      return nil, ("OBX-5: structured numeric %s has no number in its second component; not used"):format(quote(raw))
    end
    return cmp .. n1 .. (unit ~= "" and (" " .. unit) or ""), v, cmp ~= "" and cmp or nil
  elseif vt == "ST" then
    local text = trim(obx.decoded(5))
    local v, u, cmp = core.quantity(text)
    if v and u == "" then return text .. (unit ~= "" and (" " .. unit) or ""), v, cmp end
    -- a word ("high") or a quantity with its unit: the record logic reads or reports it
    return text, v, cmp
  end
  return nil, ("OBX-2: value type '%s' is not read (NM, SN, ST or empty); OBX-5 %s not used"):format(vt, quote(raw))
end

-- the reader's state of one call
local function new_state(codes)
  return { codes = codes, grammars = {}, records = {}, by_id = {}, problems = {} }
end

local function record_for(st, id)
  local rec = id and st.by_id[id]
  if rec then return rec end
  rec = { id = id, labs = {}, problems = {}, unrecognised = {}, _results = {}, _order = {} }
  st.records[#st.records + 1] = rec
  if id then st.by_id[id] = rec end
  return rec
end

local function read_pid(st, msgno, segno, pid)
  local where = ("message %d, segment %d (PID)"):format(msgno, segno)
  local id = trim(pid.comp(3, 1, 1))
  local problem
  if id == "" then
    id = trim(pid.comp(2, 1, 1))
    problem = id ~= "" and ("%s, PID-3: no patient identifier; PID-2 %s used"):format(where, quote(id))
      or ("%s, PID-3: no patient identifier (nor PID-2)"):format(where)
    if id == "" then id = nil end
  end
  local rec = record_for(st, id)
  if problem then rec.problems[#rec.problems + 1] = problem end
  local sex = trim(pid.comp(8, 1)):upper()
  if sex == "U" then sex = "" end -- HL7 table 0001: unknown
  local birth = trim(pid.comp(7, 1))
  for _, kv in ipairs { { "sex", sex, 8 }, { "birth_date", birth, 7 } } do
    local key, v, n = kv[1], kv[2], kv[3]
    if v ~= "" then
      if rec[key] == nil then rec[key] = v
      elseif rec[key] ~= v then
        rec.problems[#rec.problems + 1] = ("%s, PID-%d: %s %s differs from %s given before; kept %s"):format(
          where, n, key, quote(v), quote(rec[key]), quote(rec[key]))
      end
    end
  end
  return rec
end

-- OBX-11 result statuses (HL7 table 0085) whose value is not a result
local STATUS_NOT_USED = { W = "wrong, replaced by a corrected result", D = "deleted", X = "cannot be obtained" }

local function read_obx(st, rec, msgno, segno, obx, obr_time)
  local where = ("message %d, segment %d (OBX)"):format(msgno, segno)
  local analyte
  for _, k in ipairs { 1, 4 } do -- the identifier, then the alternate identifier
    local code, system = trim(obx.comp(3, k)), trim(obx.comp(3, k + 2)):upper()
    if code ~= "" then
      analyte = (system == "LN" or system == "LOINC") and loinc_analyte(code) or st.codes[code:upper()]
      if analyte then break end
    end
  end
  if not analyte then
    rec.unrecognised[#rec.unrecognised + 1] = ("%s, OBX-3: code %s is not mapped to an analyte"):format(where,
      quote(obx.decoded(3)))
    return
  end
  local status = trim(obx.comp(11, 1)):upper()
  if STATUS_NOT_USED[status] then
    rec.unrecognised[#rec.unrecognised + 1] = ("%s, OBX-11: result status '%s' (%s); %s not used"):format(where,
      status, STATUS_NOT_USED[status], analyte)
    return
  end
  local vt = trim(obx.comp(2, 1)):upper()
  if trim(obx.f(5)) == "" then
    rec.unrecognised[#rec.unrecognised + 1] = ("%s, OBX-5: %s has no value"):format(where, analyte)
    return
  end
  local unit = trim(obx.comp(6, 1))
  if unit == "" then unit = trim(obx.comp(6, 2)) end
  local text, v, cmp = obx_value(obx, vt, unit)
  if not text then
    rec.problems[#rec.problems + 1] = ("%s, %s (%s)"):format(where, v, analyte)
    return
  end
  local date = trim(obx.comp(14, 1))
  if date == "" then date = obr_time end
  local range, flag = trim(obx.decoded(7)), trim(obx.decoded(8))
  local list = rec._results[analyte]
  if not list then
    list = {}
    rec._results[analyte] = list
    rec._order[#rec._order + 1] = analyte
  end
  list[#list + 1] = { text = text, value = v, unit = unit ~= "" and unit or nil, comparator = cmp,
    date = date ~= "" and date or nil, range = range ~= "" and range or nil, flag = flag ~= "" and flag or nil }
end

local function read_message(st, msgno, segments)
  local head = segments[1]
  local e, err = grammar.encoding(head.text)
  if not e then
    st.problems[#st.problems + 1] = ("message %d, segment 1 (MSH), %s; the message is not read"):format(msgno, err)
    return
  end
  local key = e.field .. e.text
  local g = st.grammars[key]
  if not g then
    g = grammar.compile(e)
    st.grammars[key] = g
  end
  local msh = segment(g, head.text)
  local code, trigger = trim(msh.comp(9, 1)):upper(), trim(msh.comp(9, 2)):upper()
  if code ~= "ORU" and code ~= "OUL" then
    st.problems[#st.problems + 1] = ("message %d, segment 1 (MSH), MSH-9: message type %s is not a result message " ..
      "(ORU^R01, OUL^R22); the message is not read"):format(msgno, quote(code .. (trigger ~= "" and
      ("^" .. trigger) or "")))
    return
  end
  local rec, obr_time, orphans, first_orphan = nil, "", 0, nil
  for k = 2, #segments do
    local text = segments[k].text
    local name = text:sub(1, 3)
    local known = text:sub(4, 4) == e.field or #text == 3
    local s = known and (name == "PID" or name == "OBR" or name == "OBX") and segment(g, text)
      or { name = known and name or text }
    if s.name == "PID" then
      rec = read_pid(st, msgno, k, s)
      obr_time = ""
    elseif s.name == "OBR" then
      obr_time = trim(s.comp(7, 1))
    elseif s.name == "OBX" then
      if rec then read_obx(st, rec, msgno, k, s, obr_time)
      else
        orphans = orphans + 1
        first_orphan = first_orphan or k
      end
    elseif not s.name:match("^[A-Z][A-Z0-9][A-Z0-9]$") then
      local msg = ("message %d, segment %d: %s is not a segment (no three-letter name); not read"):format(msgno, k,
        quote(segments[k].text))
      if rec then rec.problems[#rec.problems + 1] = msg else st.problems[#st.problems + 1] = msg end
    end
  end
  if orphans > 0 then
    st.problems[#st.problems + 1] = ("message %d, segment %d (OBX): no PID segment before it; the message's %d " ..
      "OBX without a patient are not read"):format(msgno, first_orphan, orphans)
  end
end

-- Chooses each analyte's value (the C logic: core.choose_dated, the one
-- dated nearest the index date, by default the latest, on a tie the later in
-- the file; outside the window: not used, with a problem) and lists them all.
local function finish(rec, opts)
  local dates = {}
  for _, analyte in ipairs(rec._order) do
    local d = {}
    for i, r in ipairs(rec._results[analyte]) do d[i] = r.date or false end
    dates[analyte] = d
  end
  local pick, window_problems = core.choose_dated(dates, opts.index_date, opts.window)
  for _, p in ipairs(window_problems) do rec.problems[#rec.problems + 1] = p end
  for _, analyte in ipairs(rec._order) do
    local list = rec._results[analyte]
    local best = pick[analyte] and list[pick[analyte]]
    if best then
      rec.labs[analyte] = best.text
      rec[analyte .. "_date"] = best.date
      rec[analyte .. "_range"] = best.range
      rec[analyte .. "_flag"] = best.flag
    end
    local values = {}
    for i, r in ipairs(list) do
      values[i] = { value = r.value, unit = r.unit, date = r.date, comparator = r.comparator, range = r.range,
        flag = r.flag }
    end
    rec[analyte .. "_values"] = values
  end
  rec._results, rec._order = nil, nil
  return rec
end

--- Reads the HL7 v2 result messages of a text into patient records.
-- @tparam string text the file's bytes (one or more messages, MLLP framed
--   or not)
-- @tparam[opt] table opts `codes`: a code table file (see `read_codes`) or a
--   table `{ [code] = analyte }`, added to the default codes (overriding them);
--   `index_date` (a date text) and `window` ("365d", "52w", "12mo", "2y"):
--   per analyte the value dated nearest the index date (by default the
--   latest), and none farther than the window from it (by default from the
--   patient's latest value), as the C readers choose (`core.choose_dated`)
-- @treturn table|nil the records (see the module description), one per
--   patient, in the order of their first PID
-- @treturn table|string the file-level problems (messages not read,
--   results without a patient, segments outside a message); or, with a
--   nil first value, why nothing was read (the code table file)
-- @treturn table `{ messages = n }`: the number of messages found (read or not)
function M.records(text, opts)
  if type(text) ~= "string" then
    error(("calcinosis.hl7.records: bad argument #1 (string expected, got %s)"):format(type(text)), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("calcinosis.hl7.records: bad argument #2 (table expected, got %s)"):format(type(opts)), 2)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not OPTIONS[k] then
      local s = type(k) == "string" and util.suggest(k, { "codes", "index_date", "window" })
      error(("calcinosis.hl7.records: unknown option '%s'%s"):format(tostring(k),
        s and (" (did you mean '" .. s .. "'?)") or ""), 2)
    end
  end
  local codes, err = code_table(opts.codes)
  if not codes then return nil, err end
  local st = new_state(codes)
  local msgno = 0
  for _, item in ipairs(frame.split(text)) do
    if item.kind == "message" then
      msgno = msgno + 1
      read_message(st, msgno, item.segments)
    else
      st.problems[#st.problems + 1] = ("line %d: segment %s is outside a message (no MSH before it); not read"):format(
        frame.line_of(text, item.pos), quote(item.text))
    end
  end
  if msgno == 0 and #st.problems == 0 then
    st.problems[1] = "no HL7 v2 message (no segment beginning with MSH)"
  end
  for _, rec in ipairs(st.records) do finish(rec, opts) end
  return st.records, st.problems, { messages = msgno }
end

return M
