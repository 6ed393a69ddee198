-- One engine: every entry point gives the same answer for the same record.
--
-- Each awkward record of spec/fixtures/conformance.lua goes through
-- calcinosis.classify, ruleset:classify, a wide CSV file, a long-format CSV
-- file and an NDJSON file (the command line, every --columns set below,
-- --jobs 1, 2 and 3 on a copy large enough to be split), and the type,
-- score, fired and not-evaluable rules, confidence, alternatives, alerts,
-- missing inputs and problems must be the same everywhere. Problems are
-- compared as written but for how the record is named: " (record ID)" for a
-- Lua table, the line column for a file.
local calcinosis = require "calcinosis"
local core = require "calcinosis.core"
local json = require "calcinosis.json"
local support = require "support"

local RECORDS = dofile("spec/fixtures/conformance.lua")
local FULL = "id,type,score,fired,not_evaluable,confidence,confidence_value,alternatives,alerts,missing,problems"
local COLUMN_SETS = { "id,type", "id,type,score,fired", "type,problems",
  "id,type,confidence,alternatives,alerts,missing,problems", "id,missing,alerts,not_evaluable,score" }

local tmp, clean_tmp = require("support").temp_files()
local slurp = require("support").slurp
teardown(clean_tmp)

local function csv_field(s)
  s = tostring(s or "")
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local function num(v)
  if v == math.floor(v) and math.abs(v) < 1e15 then return ("%d"):format(v) end
  return ("%.6g"):format(v)
end

-- the values compared, from a result table
local function from_result(r)
  local function ids(list, k)
    local t = {}
    for i, x in ipairs(list) do t[i] = x[k or "id"] end
    return table.concat(t, ";")
  end
  local problems = {}
  for i, p in ipairs(r.problems) do problems[i] = (p:gsub(" %(record [^)]*%)$", "")) end
  return {
    id = r.id or "", type = r.type, score = num(r.score), fired = ids(r.fired), not_evaluable = ids(r.not_evaluable),
    confidence = r.confidence.level, confidence_value = num(r.confidence.value),
    alternatives = ids(r.alternatives, "type"), alerts = ids(r.alerts), missing = ids(r.missing, "input"),
    problems = table.concat(problems, "; "),
  }
end

-- ... from a CSV output row (a table keyed by the header)
local function from_csv(row) return row end

-- ... from an NDJSON output row
local function from_ndjson(line)
  local t = assert(json.decode(line))
  local out = {}
  for k, v in pairs(t) do
    if type(v) == "table" then out[k] = table.concat(v, k == "problems" and "; " or ";")
    elseif type(v) == "number" then out[k] = num(v)
    else out[k] = v end
  end
  return out
end

-- the record as a Lua table for the API (the fixture is already one)
local function as_table(rec) return rec end

-- the analyte of a lab key, and the keys in the order of the record schema
local function lab_keys()
  local keys, seen = {}, {}
  for _, r in ipairs(RECORDS) do
    for k in pairs(r.labs or {}) do
      if not seen[k] then seen[k] = true; keys[#keys + 1] = k end
    end
  end
  table.sort(keys, function(a, b)
    local ia, ib = core.analyte_index(a), core.analyte_index(b)
    if ia ~= ib then return ia < ib end
    return a < b
  end)
  return keys
end

local PATIENT = { "id", "age", "sex", "species", "height_cm", "findings", "sites" }

local function wide_csv(records, suffix)
  local keys = lab_keys()
  local lines = { table.concat(PATIENT, ",") .. "," .. table.concat(keys, ",") }
  for _, r in ipairs(records) do
    local row = {}
    for _, k in ipairs(PATIENT) do row[#row + 1] = csv_field(k == "id" and (r.id .. (suffix or "")) or r[k]) end
    for _, k in ipairs(keys) do row[#row + 1] = csv_field((r.labs or {})[k]) end
    lines[#lines + 1] = table.concat(row, ",")
  end
  return table.concat(lines, "\n") .. "\n"
end

local function long_csv(records)
  local lines = { "id,analyte,value,unit," .. table.concat(PATIENT, ",", 2) }
  for _, r in ipairs(records) do
    local keys = {}
    for k in pairs(r.labs or {}) do keys[#keys + 1] = k end
    table.sort(keys)
    local function patient_cols(first)
      local t = {}
      for i = 2, #PATIENT do t[#t + 1] = first and csv_field(r[PATIENT[i]]) or "" end
      return table.concat(t, ",")
    end
    if #keys == 0 then lines[#lines + 1] = csv_field(r.id) .. ",,,," .. patient_cols(true) end
    for i, k in ipairs(keys) do
      local text = r.labs[k]
      local v, u = text:match("^%s*([<>]?=?[%d.]+)%s+(%S.*)$")
      if not v then v, u = text, "" end
      lines[#lines + 1] = ("%s,%s,%s,%s,%s"):format(csv_field(r.id), csv_field(k), csv_field(v), csv_field(u),
        patient_cols(i == 1))
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

local function ndjson(records)
  local lines = {}
  for _, r in ipairs(records) do lines[#lines + 1] = json.encode(r) end
  return table.concat(lines, "\n") .. "\n"
end

local function classify_file(path, columns, format, jobs, input_format)
  local out = tmp()
  local cmd = ("lua5.4 bin/calcinosis classify --columns '%s' --format %s %s %s -o %s %s 2>/dev/null; echo $?")
    :format(columns, format, jobs and ("--jobs " .. jobs) or "", input_format and ("--input-format " .. input_format) or "",
      out, path)
  local p = assert(io.popen(cmd))
  local rc = tonumber(p:read("a"):match("(%d+)%s*$"))
  p:close()
  return slurp(out), rc
end

local function rows_of(text, format)
  local out = {}
  if format == "ndjson" then
    for line in text:gmatch("[^\n]+") do out[#out + 1] = from_ndjson(line) end
  else
    local f = tmp(text)
    for _, row in ipairs(support.read_csv(f)) do out[#out + 1] = from_csv(row) end
  end
  return out
end

local function same(want, got, where, columns)
  for c in columns:gmatch("[^,]+") do
    assert.are.equal(want[c], got[c] or "", ("%s: record '%s', column %s"):format(where, want.id, c))
  end
end

describe("conformance: one record, one answer, through every entry point", function()
  local rs = assert(calcinosis.rules.default())
  local want = {}

  it("has at least 60 awkward records", function()
    assert.is_true(#RECORDS >= 60, #RECORDS)
    local ids = {}
    for _, r in ipairs(RECORDS) do
      assert.is_nil(ids[r.id], r.id)
      ids[r.id] = true
    end
  end)

  it("calcinosis.classify and ruleset:classify agree", function()
    for i, r in ipairs(RECORDS) do
      local a = from_result(calcinosis.classify(as_table(r)))
      local b = from_result(rs:classify(as_table(r)))
      same(a, b, "ruleset:classify", FULL)
      want[i] = a
    end
    -- the fixture exercises what it says it does
    local kinds = {}
    for _, w in ipairs(want) do
      kinds[w.type] = true
      if w.problems ~= "" then kinds.problems = true end
      if w.alternatives ~= "" then kinds.alternatives = true end
      if w.alerts ~= "" then kinds.alerts = true end
    end
    for _, k in ipairs { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic", "indeterminate",
      "problems", "alternatives", "alerts" } do
      assert.is_true(kinds[k], k)
    end
  end)

  local inputs = {
    { "wide CSV", function() return tmp(wide_csv(RECORDS)) end },
    { "long CSV", function() return tmp(long_csv(RECORDS)), "long" end },
    { "NDJSON", function()
      return tmp(ndjson(RECORDS), ".ndjson")
    end },
  }
  for _, input in ipairs(inputs) do
    for _, format in ipairs { "csv", "ndjson" } do
      it(("%s in, %s out, every column set, gives the API's answers"):format(input[1], format), function()
        local path, kind = input[2]()
        for _, columns in ipairs { FULL, table.unpack(COLUMN_SETS) } do
          local text = classify_file(path, columns, format, nil, kind)
          local rows = rows_of(text, format)
          assert.equal(#RECORDS, #rows, input[1] .. " " .. columns)
          for i, row in ipairs(rows) do
            local w = want[i]
            if columns:find("id") then assert.equal(w.id, row.id) end
            same(w, row, input[1] .. " -> " .. format, columns)
          end
        end
      end)
    end
  end

  it("--jobs 1, 2 and 3 give the same bytes on a copy large enough to be split", function()
    local parts = {}
    for copy = 1, 40 do parts[#parts + 1] = wide_csv(RECORDS, "#" .. copy):gsub("^[^\n]*\n", copy == 1 and "%0" or "") end
    local text = table.concat(parts)
    -- grow it past the 1 MiB below which --jobs runs one process
    while #text < 1100000 do text = text .. (text:gsub("^[^\n]*\n", "")) end
    local path = tmp(text)
    for _, format in ipairs { "csv", "ndjson" } do
      local one = classify_file(path, FULL, format, 1)
      for _, jobs in ipairs { 2, 3 } do
        local many = classify_file(path, FULL, format, jobs)
        assert.is_true(many == one, ("--jobs %d, %s: different bytes"):format(jobs, format))
      end
      -- and the rows are the API's answers
      local rows = rows_of(one, format)
      for i = 1, #RECORDS do
        local w = want[i]
        local row = rows[i]
        assert.equal(w.id .. "#1", row.id)
        same(w, row, "--jobs, " .. format, FULL:gsub("^id,", ""))
      end
    end
  end)

  it("cohort.rows (the C readers as record iterators) gives the same results", function()
    local path = tmp(wide_csv(RECORDS))
    local i = 0
    for r in assert(require("calcinosis.cohort").rows(rs, path)) do
      i = i + 1
      same(want[i], from_result(r), "cohort.rows", FULL)
    end
    assert.equal(#RECORDS, i)
  end)
end)

describe("result declarations in variants, visible in cohort output (C)", function()
  local rules = calcinosis.rules
  local rs = assert(rules.default())
  local csv = "id,age,sex,calcium [mg/dL],phosphate [mg/dL],findings,sites\n" ..
    "heel,0.7,M,10.1,5.9,heel sticks,heels\n" ..
    "ckd,60,F,9.5,3.5,ckd,\n"
  local function run(ruleset)
    local out = tmp()
    local stats = assert(require("calcinosis.cohort").run(ruleset, { input = tmp(csv), output = out,
      columns = "id,type,alternatives,alerts" }))
    assert.equal(2, stats.records)
    return support.read_csv(tmp(slurp(out)))
  end

  it("the default ruleset lists the heel-stick alternative and no alert for these", function()
    local rows = run(rs)
    assert.equal("iatrogenic", rows[1].type)
    assert.equal("dystrophic", rows[1].alternatives)
    assert.equal("", rows[2].alerts)
  end)

  it("a variant that drops an alternative", function()
    local v = assert(rs:variant { name = "no-heel-stick-conflict", drop = { "alternative.heel_stick" } })
    local rows = run(v)
    assert.equal("iatrogenic", rows[1].type)
    assert.equal("", rows[1].alternatives)
    assert.is_false(v.hash == rs.hash)
    -- the same through the API
    assert.equal(0, #v:classify({ age = 0.7, sex = "M", labs = { calcium = "10.1 mg/dL", phosphate = "5.9 mg/dL" },
      findings = { "heel sticks" } }).alternatives)
  end)

  it("a variant that adds an alert", function()
    local v = assert(rs:variant { name = "ckd-alert",
      rules.alert { id = "renal_setting", severity = "warning", when = "any finding in RENAL",
        text = "renal failure: check the calcium-phosphate product and the PTH", source = "S2" } })
    local rows = run(v)
    assert.equal("renal_setting", rows[2].alerts)
    assert.equal("", rows[1].alerts)
    -- and one that replaces the default's alert of the same id
    local w = assert(rs:variant { rules.alert { id = "calciphylaxis_suspected", severity = "urgent",
      when = "is_calciphylaxis or finding livedo", text = "changed", source = "S17" } })
    local r = w:classify({ age = 60, labs = { calcium = "9.5 mg/dL", phosphate = "6.5 mg/dL" },
      findings = { "dialysis", "livedo" } })
    local ids = {}
    for _, a in ipairs(r.alerts) do ids[a.id] = a.text end
    assert.equal("changed", ids.calciphylaxis_suspected)
  end)

  it("an unknown declaration to drop is an error with a suggestion", function()
    local v, err = rs:variant { drop = { "alternative.heel_stik" } }
    assert.is_nil(v)
    assert.matches("did you mean 'alternative.heel_stick'", err, 1, true)
  end)
end)
