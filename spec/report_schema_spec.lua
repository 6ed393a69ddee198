-- The JSON Schemas of the report documents: docs/schema/report.schema.json
-- (the model) and one per kind, docs/schema/report-<kind>.schema.json
-- (made by tools/gen-report-schemas.lua, checked here to be its output).
-- Each kind's JSON output validates against its own schema and the model,
-- and not against another kind's.
local support = require "support"
local dkjson = require "dkjson"
local jsonschema = dofile "tools/jsonschema.lua"
local calcinosis = require "calcinosis"
local json = require "calcinosis.json"
local report = require "calcinosis.report"
local rules = require "calcinosis.rules"

local function decode(text) return dkjson.decode(text, 1, dkjson.null) end
local function schema(name) return decode(support.slurp("docs/schema/" .. name .. ".schema.json")) end
local function valid(s, v)
  local ok, errs = jsonschema.validate(s, v, { null = dkjson.null })
  return ok, table.concat(errs or {}, "\n")
end

describe("report schemas", function()
  it("are the output of tools/gen-report-schemas.lua", function()
    local gen = dofile "tools/gen-report-schemas.lua"
    for _, k in ipairs(gen.kinds) do
      assert.equal(gen.schema(k[1], k[2]), support.slurp(("docs/schema/report-%s.schema.json"):format(k[1])),
        k[1] .. ": run lua5.4 tools/gen-report-schemas.lua")
    end
  end)

  local rs = rules.default()
  local patient = json.decode(support.slurp("examples/patients/milk_alkali.json"))
  local compare = require "calcinosis.compare"
  local rows = { { { id = "a", type = "metastatic", fired = { "r1" } }, { id = "a", type = "idiopathic", fired = {} } } }
  local i = 0
  local c = compare.compare_rows({ "A", "B" }, function() i = i + 1 return rows[i] end, { "metastatic", "idiopathic" }, 10)
  local validate = require "calcinosis.validate"
  local v = validate.compare({ { name = "A", results = { { id = "a", type = "metastatic", fired = {} } } } }, { "metastatic" })
  local docs = {
    patient = report.patient(calcinosis.classify(patient), patient),
    cohort = assert(report.cohort(rs, "examples/cohort.csv")),
    comparison = report.comparison(c, { { name = "A" }, { name = "B" } }),
    sweep = report.sweep({ name = "p", labels = { "metastatic" }, rows = { { value = 1, counts = { metastatic = 2 } } },
      ruleset = { name = "x", version = "1", hash = "h" } }),
    validation = report.validation(v),
  }
  local model = schema("report")
  for kind, doc in pairs(docs) do
    it(kind .. ": its JSON validates against its schema and the model, not another kind's", function()
      local out = decode(report.render(doc, "json"))
      assert(valid(model, out))
      local ok, msg = valid(schema("report-" .. kind), out)
      assert.is_true(ok, msg)
      local other = kind == "patient" and "cohort" or "patient"
      assert.is_false((valid(schema("report-" .. other), out)))
    end)
  end

  it("a document without its kind's fields is refused", function()
    local out = decode(report.render(docs.patient, "json"))
    out.type = nil
    assert.is_false((valid(schema("report-patient"), out)))
  end)
end)
