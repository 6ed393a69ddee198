-- The JSON Schemas of docs/schema/ against real outputs of the command:
-- every example patient (patient.schema.json), `classify --json` of each
-- (result.schema.json), `classify --format ndjson` rows with every column
-- (cohort-row.schema.json) and `validate --format json` (validate.schema.json).
-- The validator is tools/jsonschema.lua (the subset the schemas use).
local dkjson = require "dkjson"
local jsonschema = dofile "tools/jsonschema.lua"

local null = dkjson.null
local function decode(text)
  local v, _, err = dkjson.decode(text, 1, null)
  assert(err == nil, err)
  return v
end
local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function schema(name) return decode(read("docs/schema/" .. name .. ".schema.json")) end

local function run(args)
  local out, rc = require("support").run(args)
  return out, rc
end

local function tmpfile(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

local function patients()
  local files = {}
  local p = assert(io.popen("ls examples/patients/*.json"))
  for l in p:lines() do files[#files + 1] = l end
  p:close()
  assert(#files > 10)
  return files
end

local function assert_valid(s, value, what)
  local ok, errs = jsonschema.validate(s, value, { null = null })
  if not ok then
    error(("%s: %d schema error(s):\n  %s"):format(what, #errs, table.concat(errs, "\n  ", 1, math.min(#errs, 10))), 2)
  end
end

describe("tools/jsonschema.lua", function()
  local s = decode([[{
    "type": "object", "required": ["a"], "additionalProperties": false,
    "properties": {
      "a": { "type": "array", "items": { "type": "integer" } },
      "b": { "oneOf": [ { "type": "number" }, { "type": "string", "enum": ["x"] } ] },
      "c": { "$ref": "#/$defs/c" }, "d": { "type": ["string", "null"] }
    },
    "$defs": { "c": { "type": "object", "additionalProperties": { "type": "boolean" } } }
  }]])
  local function ok(text) return (jsonschema.validate(s, decode(text), { null = null })) end
  it("accepts what matches and rejects what does not", function()
    assert.is_true(ok('{"a": [1, 2], "b": "x", "c": {"k": true}, "d": null}'))
    assert.is_true(ok('{"a": []}'))
    assert.is_false(ok('{"a": {}}'))            -- an empty object is no array
    assert.is_false(ok('{"a": [1.5]}'))
    assert.is_false(ok('{"b": 1}'))             -- required
    assert.is_false(ok('{"a": [], "z": 1}'))    -- additionalProperties
    assert.is_false(ok('{"a": [], "b": "y"}'))  -- enum in oneOf
    assert.is_false(ok('{"a": [], "c": {"k": 1}}'))
    assert.is_false(ok('{"a": [], "d": 1}'))
  end)
  it("names the place of each error", function()
    local _, errs = jsonschema.validate(s, decode('{"a": [1, "x"]}'), { null = null })
    assert.same({ "$.a[2]: expected integer, got string" }, errs)
  end)
  it("refuses a keyword it does not check", function()
    assert.has_error(function() jsonschema.validate({ pattern = "^a" }, "a") end)
  end)
end)

describe("docs/schema", function()
  it("are JSON Schema draft 2020-12 documents", function()
    for _, n in ipairs { "patient", "result", "cohort-row", "validate" } do
      local s = schema(n)
      assert.equal("https://json-schema.org/draft/2020-12/schema", s["$schema"])
      assert.is_string(s.title)
    end
  end)

  it("every example patient is a patient record", function()
    local s = schema "patient"
    for _, path in ipairs(patients()) do assert_valid(s, decode(read(path)), path) end
    assert_valid(s, decode(read("examples/lab-patient.json")), "examples/lab-patient.json")
    -- the lab value forms calcinosis.classify takes
    assert_valid(s, decode([[{"id": "p1", "age": "8 mo", "sex": "F", "height_cm": 70,
      "labs": {"calcium": 10.2, "albumin": [30, "g/L"], "phosphate": "high",
               "creatinine": {"value": 120, "unit": "umol/L"}, "egfr": "<15 mL/min"},
      "findings": [], "sites": ["elbows"]}]]), "forms")
    local bad = decode('{"labs": {"calcium": {"unit": "mg/dL"}}, "findings": [1]}')
    assert.is_false((jsonschema.validate(s, bad, { null = null })))
  end)

  it("classify --json of every example patient is a result", function()
    local s = schema "result"
    local files = patients()
    local out, rc = run("classify --json " .. table.concat(files, " "))
    assert.equal(0, rc)
    local results = decode(out)
    assert.equal(#files, #results)
    for i, r in ipairs(results) do assert_valid(s, r, files[i]) end
    -- one record: one object; a record with term problems, no id, a cat
    out = run("classify --json " .. files[1])
    assert_valid(s, decode(out), files[1])
    local odd = tmpfile('{"species": "cat", "findings": ["dialisys", "dermatomyositis"],' ..
      '"labs": {"calcium": [2.4, "mg/dL"], "phosphate": {"value": 5, "unit": "mg/dL"}}}')
    assert(os.rename(odd, odd .. ".json"))
    odd = odd .. ".json"
    out, rc = run("classify --json " .. odd)
    os.remove(odd)
    assert.equal(1, rc)
    local r = decode(out)
    assert.is_true(r.id == nil or r.id == "")
    assert.equal(1, #r.term_problems)
    assert_valid(s, r, "odd record")
  end)

  it("classify --format ndjson rows, with every column, are cohort rows", function()
    local engine = require "calcinosis.engine"
    local core = require "calcinosis.core"
    local s = schema "cohort-row"
    local columns = {}
    for _, n in ipairs(engine.FIELD_COLUMNS) do columns[#columns + 1] = n end
    for _, a in ipairs(core.analytes()) do columns[#columns + 1] = a end
    for _, l in ipairs(require("calcinosis.rules").default().compiled.lets) do columns[#columns + 1] = l.name end
    -- every field column and analyte is a property of the schema
    for i = 1, #engine.FIELD_COLUMNS + #core.analytes() do
      assert.is_table(s.properties[columns[i]], columns[i])
    end
    -- in runs of at most 30 columns: core.plan has room for 64 allocations,
    -- one per column name, and fails with more than about 40 columns
    local runs = 0
    for first = 1, #columns, 30 do
      local cols = { table.unpack(columns, first, math.min(first + 29, #columns)) }
      local out, rc = run("classify --format ndjson --columns " .. table.concat(cols, ",") .. " examples/cohort.csv")
      assert.equal(0, rc)
      local n = 0
      for line in out:gmatch("[^\n]+") do
        local row = decode(line)
        n = n + 1
        local keys = {}
        for k in pairs(row) do keys[#keys + 1] = k end
        assert.equal(#cols, #keys)
        for _, c in ipairs(cols) do assert.is_not_nil(row[c], c) end
        assert_valid(s, row, ("row %d"):format(n))
      end
      assert.is_true(n > 10)
      runs = runs + 1
    end
    assert.is_true(runs >= 2)
    local out = run("classify --format ndjson examples/cohort.csv")
    for line in out:gmatch("[^\n]+") do assert_valid(s, decode(line), "default columns") end
  end)

  it("validate --format json is a validation report", function()
    local s = schema "validate"
    local lines = {}
    for _, path in ipairs(patients()) do lines[#lines + 1] = dkjson.encode(decode(read(path))) end
    local cohort = tmpfile(table.concat(lines, "\n") .. "\n")
    local nd = cohort .. ".ndjson"
    assert(os.rename(cohort, nd))
    local out, rc = run("validate --truth expected_type --format json --rules default --rules examples/variant_strict.lua " .. nd)
    assert.equal(0, rc)
    local doc = decode(out)
    assert.equal(2, #doc.rulesets)
    assert.equal(1, #doc.mcnemar)
    assert_valid(s, doc, "two rulesets")
    -- one ruleset: no McNemar test, maybe no wrong patient; empty lists are arrays
    out, rc = run("validate --truth expected_type --format json " .. nd)
    os.remove(nd)
    assert.equal(0, rc)
    assert.not_matches(":%s*{}", out)
    assert_valid(s, decode(out), "one ruleset")
  end)
end)
