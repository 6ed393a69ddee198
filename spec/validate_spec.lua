-- calcinosis.validate: the statistics on a small cohort worked out by hand,
-- and kappa checked against an independent computation from the pairs.
local validate = require "calcinosis.validate"

local TRUTH = { "metastatic", "Metastatic calcinosis cutis", "metastatic", "dystrophic", "dystrophic calcinosis",
  "idiopathic", "idiopathic", "CUA", "iatrogenic", "metastatic", "", "NA", "tumoral calcinosis" }
local PRED = { "metastatic", "metastatic", "dystrophic", "dystrophic", "metastatic", "idiopathic", "indeterminate",
  "calciphylaxis", "iatrogenic", "metastatic", "metastatic", "dystrophic", "idiopathic" }

local function results()
  local r = {}
  for i, t in ipairs(PRED) do r[i] = { id = "P" .. i, type = t, fired = { { id = t .. ".rule" } } } end
  return r
end

describe("calcinosis.validate", function()
  local v = validate.validate(results(), TRUTH, { name = "hand" })

  it("reads reference labels with their synonyms and leaves out missing and unknown ones", function()
    assert.equal("calciphylaxis", validate.label("calcific uraemic arteriolopathy"))
    assert.equal("dystrophic", validate.label("Dystrophic calcinosis cutis"))
    assert.is_nil(validate.label("n/a"))
    assert.same({ nil, "unknown" }, { validate.label("tumoral calcinosis") })
    assert.equal(10, v.n)
    assert.same({ missing = 2, unknown = 1 }, v.left_out)
    assert.is_string(v.counting)
  end)

  it("builds the confusion matrix (rows: reference, columns: result)", function()
    assert.equal(3, v.matrix.metastatic.metastatic)
    assert.equal(1, v.matrix.metastatic.dystrophic)
    assert.equal(1, v.matrix.dystrophic.metastatic)
    assert.equal(1, v.matrix.idiopathic.indeterminate)
    assert.equal(7, v.correct)
  end)

  it("gives per-subtype counts, proportions and F1 worked out by hand", function()
    local m = v.per_label.metastatic
    assert.same({ 3, 1, 1, 5 }, { m.tp, m.fp, m.fn, m.tn })
    assert.near(0.75, m.sensitivity.value, 1e-12)
    assert.near(5 / 6, m.specificity.value, 1e-12)
    assert.near(0.75, m.ppv.value, 1e-12)
    assert.near(5 / 6, m.npv.value, 1e-12)
    assert.near(0.75, m.f1, 1e-12)
    assert.near(0.5, v.per_label.dystrophic.f1, 1e-12)
    assert.near(2 / 3, v.per_label.idiopathic.f1, 1e-12)
    assert.near(0, v.per_label.indeterminate.f1, 1e-12) -- predicted once, never right
    -- macro-F1 over the six labels that occur: (0.75 + 0.5 + 2/3 + 1 + 1 + 0) / 6
    assert.near((0.75 + 0.5 + 2 / 3 + 1 + 1 + 0) / 6, v.macro_f1, 1e-12)
  end)

  it("gives Wilson intervals (7/10: 0.3968 to 0.8922)", function()
    assert.near(0.7, v.accuracy.value, 1e-12)
    assert.near(0.39678, v.accuracy.low, 1e-4)
    assert.near(0.89221, v.accuracy.high, 1e-4)
    local p, lo, hi = validate.wilson(0, 5)
    assert.same({ 0, 0 }, { p, lo })
    assert.near(0.43448, hi, 1e-4)
    assert.is_nil(validate.wilson(0, 0))
  end)

  it("gives Cohen's kappa with its standard error, checked against the pairs directly", function()
    -- by hand: po = 0.7, pe = (4*4 + 2*2 + 2*1 + 1*1 + 1*1) / 100 = 0.24
    assert.near((0.7 - 0.24) / 0.76, v.kappa.value, 1e-12)
    assert.near(math.sqrt(0.7 * 0.3 / (10 * 0.76 ^ 2)), v.kappa.se, 1e-12)
    assert.near(v.kappa.value - 1.959964 * v.kappa.se, v.kappa.low, 1e-6)
    -- independently: agreement and chance agreement counted from the kept pairs
    local ref, got, agree, n = {}, {}, 0, 0
    for i, t in ipairs(TRUTH) do
      local l = validate.label(t)
      if l then
        n = n + 1
        ref[l] = (ref[l] or 0) + 1
        got[PRED[i]] = (got[PRED[i]] or 0) + 1
        if l == PRED[i] then agree = agree + 1 end
      end
    end
    local pe = 0
    for l, c in pairs(ref) do pe = pe + (c / n) * ((got[l] or 0) / n) end
    assert.near((agree / n - pe) / (1 - pe), v.kappa.value, 1e-12)
  end)

  it("lists the patients it got wrong with the rules that fired", function()
    assert.equal(3, #v.wrong)
    assert.same({ id = "P3", truth = "metastatic", type = "dystrophic", fired = { "dystrophic.rule" } }, v.wrong[1])
  end)

  it("takes reference labels by id too", function()
    local by_id = {}
    for i, t in ipairs(TRUTH) do by_id["P" .. i] = t end
    local w = validate.validate(results(), by_id)
    assert.equal(v.n, w.n)
    assert.near(v.kappa.value, w.kappa.value, 1e-12)
  end)

  it("compares rulesets with McNemar's test (exact and chi-square)", function()
    local m = validate.mcnemar(3, 1)
    assert.equal("exact", m.method)
    assert.near(10 / 16, m.p, 1e-12) -- 2 * (C(4,0) + C(4,1)) / 2^4
    m = validate.mcnemar(20, 5)
    assert.equal("chi-square", m.method)
    assert.near(7.84, m.statistic, 1e-12) -- (|20 - 5| - 1)^2 / 25
    assert.near(0.005110, m.p, 2e-5)
    local other = results()
    other[3].type = "metastatic" -- now right
    other[1].type = "dystrophic" -- now wrong
    other[2].type = "dystrophic" -- now wrong
    local c = validate.compare({ { name = "a", results = results() }, { name = "b", results = other } }, TRUTH)
    assert.equal(2, #c.tables)
    assert.same({ "a", "b", 2, 1 }, { c.mcnemar[1].first, c.mcnemar[1].second, c.mcnemar[1].b, c.mcnemar[1].c })
    assert.near(1, c.mcnemar[1].p, 1e-12) -- 2 * (1 + 3) / 8 = 1
  end)
end)

describe("calcinosis validate (the command)", function()
  local json = require "calcinosis.json"
  local function tmp(text)
    local n = os.tmpname() .. ".ndjson"
    local f = assert(io.open(n, "wb"))
    f:write(text)
    f:close()
    return n
  end
  local function run(args)
    local p = assert(io.popen("lua5.4 bin/calcinosis validate " .. args .. " 2>&1; echo \"rc=$?\""))
    local out = p:read("a")
    p:close()
    return out:gsub("rc=%d+\n$", ""), tonumber(out:match("rc=(%d+)\n$"))
  end
  -- the example patients, with their expected types as reference labels
  local lines = {}
  for f in io.popen("ls examples/patients/*.json"):lines() do
    local h = assert(io.open(f, "rb"))
    lines[#lines + 1] = json.encode(json.decode(h:read("a")))
    h:close()
  end
  local path = tmp(table.concat(lines, "\n") .. "\n")
  teardown(function() os.remove(path) end)

  it("scores the default ruleset and a variant, with McNemar between them", function()
    local out, rc = run("--truth expected_type --rules default --rules examples/variant_strict.lua " .. path)
    assert.equal(0, rc)
    assert.matches("ruleset calcinosis%-default: 31 patients scored", out)
    assert.matches("accuracy 1.000", out)
    assert.matches("McNemar calcinosis%-default vs", out)
    assert.matches("Research tool, not a diagnosis", out)
  end)
  it("writes CSV and JSON", function()
    local out, rc = run("--truth expected_type --format csv " .. path)
    assert.equal(0, rc)
    assert.matches("^ruleset,label,tp,fp,fn,tn,", out)
    out, rc = run("--truth expected_type --format json " .. path)
    assert.equal(0, rc)
    local doc = assert(json.decode(out))
    assert.equal(31, doc.rulesets[1].n)
    assert.equal(1, doc.rulesets[1].accuracy.value)
  end)
  it("exit 2 for a missing --truth or an unknown column, with a suggestion", function()
    local out, rc = run(path)
    assert.equal(2, rc)
    assert.matches("give %-%-truth", out)
  end)
end)
