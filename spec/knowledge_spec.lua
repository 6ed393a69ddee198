-- Specs for calcinosis.knowledge and the example patient records.
-- luacheck: std +busted
local knowledge = require("calcinosis.knowledge")
local vocab = require("calcinosis.vocab")
local json = require("dkjson")

local SUBTYPE_SET = {}
for _, s in ipairs(knowledge.subtypes) do SUBTYPE_SET[s] = true end

-- A source key of clinical reference §14 (S16, S2-tx, S25-full case, S34-DHVD, C2, X1) or a seed.
local function valid_source(s)
  if knowledge.seed_sources[s] then return true end
  return s:match("^[SCX]%d+[a-z]?$") ~= nil or s:match("^S%d+%-[%w ]+$") ~= nil
end

local function check_sources(list, where)
  assert.is_table(list, where .. ": sources")
  assert.is_true(#list > 0, where .. ": no sources")
  for _, s in ipairs(list) do assert.is_true(valid_source(s), where .. ": bad source key " .. tostring(s)) end
end

local function check_terms(list, where)
  for _, t in ipairs(list or {}) do assert.is_table(vocab.terms[t], where .. ": unknown term " .. t) end
end

local function check_subtypes(list, where)
  for _, s in ipairs(list or {}) do assert.is_true(SUBTYPE_SET[s] == true, where .. ": unknown subtype " .. s) end
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function patient_files()
  local files = {}
  local p = assert(io.popen("ls examples/patients/*.json 2>/dev/null"))
  for line in p:lines() do files[#files + 1] = line end
  p:close()
  return files
end

describe("calcinosis.knowledge", function()
  describe("treatments", function()
    it("each have id, name, status, indication, evidence and valid sources", function()
      local ids = {}
      for _, t in ipairs(knowledge.treatments) do
        local w = "treatment " .. tostring(t.id)
        assert.is_string(t.id, w)
        assert.is_nil(ids[t.id], "duplicate " .. w)
        ids[t.id] = true
        assert.is_string(t.name, w)
        assert.is_string(t.status, w)
        assert.is_string(t.indication, w)
        assert.is_true(#t.indication > 0, w)
        assert.is_string(t.evidence, w)
        assert.is_true(#t.evidence > 0, w)
        check_sources(t.sources, w)
        check_subtypes(t.for_subtypes, w)
        for _, u in ipairs(t.unconditional_for or {}) do
          local found = false
          for _, x in ipairs(t.for_subtypes) do found = found or x == u end
          assert.is_true(found, w .. ": unconditional_for " .. u .. " not in for_subtypes")
        end
        assert.is_true(#t.for_subtypes > 0, w .. ": no subtype")
        check_terms(t.for_findings, w)
        check_terms(t.for_features, w)
        for _, g in ipairs(t.for_groups or {}) do assert.is_true(vocab.is_group(g), w .. " group " .. g) end
        for _, c in ipairs(t.cautions or {}) do
          assert.is_string(c.text, w)
          check_sources(c.sources, w .. " caution")
        end
      end
    end)

    it("never carry regimen text without a source", function()
      for _, t in ipairs(knowledge.treatments) do
        if t.regimen ~= nil then
          assert.is_table(t.regimen, t.id)
          for _, r in ipairs(t.regimen) do
            assert.is_string(r.text, t.id)
            check_sources(r.sources, t.id .. " regimen")
          end
        end
      end
    end)

    it("reproduce regimen text verbatim from the domain facts (when the reference is available)", function()
      local S = require "support"
      local path = os.getenv("CALCINOSIS_DOMAIN") or S.shared_file("DOMAIN.md")
      if not path then return pending(S.skip_reason("DOMAIN.md")) end
      local f = assert(io.open(path, "rb"))
      local domain = f:read("a"):gsub("%s+", " ")
      f:close()
      for _, t in ipairs(knowledge.treatments) do
        for _, r in ipairs(t.regimen or {}) do
          local text = r.text:gsub("^\"", ""):gsub("\"$", ""):gsub("%s+", " ")
          assert.is_truthy(domain:find(text, 1, true), t.id .. ": not verbatim: " .. text)
        end
      end
    end)

    it("hold doses only in regimen, and only for drugs the reference gives one for", function()
      local no_dose = { diltiazem = true, bisphosphonates = true, probenecid = true, antacid_binders = true }
      for _, t in ipairs(knowledge.treatments) do
        if no_dose[t.id] then
          assert.is_nil(t.regimen, t.id)
          assert.matches("UNCONFIRMED", t.dose_note, 1, true)
        end
        for _, field in ipairs({ "indication", "evidence" }) do
          assert.is_nil(t[field]:match("%d+%s*mg/day"), t.id .. " " .. field .. " has a dose")
          assert.is_nil(t[field]:match("%d+%s*mg daily"), t.id .. " " .. field .. " has a dose")
        end
      end
    end)

    it("mark low-dose warfarin as not recommended (level IB)", function()
      local w
      for _, t in ipairs(knowledge.treatments) do if t.id == "low_dose_warfarin" then w = t end end
      assert.is_table(w)
      assert.are.equal("not recommended (level IB)", w.status)
      assert.matches("S11", table.concat(w.sources, " "))
    end)

    it("give surgery its indications and the recurrence caution", function()
      local s
      for _, t in ipairs(knowledge.treatments) do if t.id == "surgical_excision" then s = t end end
      assert.is_table(s)
      local cautions = {}
      for _, c in ipairs(s.cautions) do cautions[#cautions + 1] = c.text end
      assert.matches("[Rr]ecurrence", table.concat(cautions, " | "))
      for _, f in ipairs({ "painful", "ulcerated", "infected", "functional_impairment" }) do
        local found = false
        for _, x in ipairs(s.for_features) do found = found or x == f end
        assert.is_true(found, f)
      end
    end)

    it("reproduce the STS regimen verbatim from clinical reference §10", function()
      local sts
      for _, t in ipairs(knowledge.treatments) do if t.id == "sts_iv" then sts = t end end
      assert.matches("most commonly 25 g after each dialysis", sts.regimen[1].text, 1, true)
      assert.are.same({ "S16" }, sts.regimen[1].sources)
    end)

    it("select options by subtype and findings", function()
      local function ids(list)
        local s = {}
        for _, t in ipairs(list) do s[t.id] = true end
        return s
      end
      local cua = ids(knowledge.treatments_for("calciphylaxis", { "esrd" }))
      assert.is_true(cua.sts_iv)
      assert.is_true(cua.wound_care)
      assert.is_true(cua.bisphosphonates) -- unconditional for calciphylaxis
      assert.is_true(cua.parathyroidectomy)
      assert.is_nil(cua.minocycline)
      local crest = ids(knowledge.treatments_for("dystrophic", { "crest", "painful", "ulcerated" }))
      assert.is_true(crest.minocycline)
      assert.is_true(crest.diltiazem)
      assert.is_true(crest.surgical_excision)
      assert.is_true(crest.low_dose_warfarin) -- listed so that its "not recommended" status shows
      assert.is_true(crest.treat_underlying_ctd)
      local plain = ids(knowledge.treatments_for("dystrophic", { "trauma" }))
      assert.is_nil(plain.minocycline)
      assert.is_nil(plain.surgical_excision)
      assert.is_nil(plain.bisphosphonates)
      assert.is_true(plain.sts_topical_il) -- unconditional for dystrophic
      local idio = ids(knowledge.treatments_for("idiopathic", { "solitary" }))
      assert.is_nil(idio.sts_topical_il)
      local php = ids(knowledge.treatments_for("metastatic", { "primary_hyperparathyroidism" }))
      assert.is_nil(php.parathyroidectomy) -- the reference lists it for CKD-related HPT and calciphylaxis only
      local heel = ids(knowledge.treatments_for("dystrophic", { "heel_stick" }))
      assert.is_true(heel.observation) -- kept under the alternative label
      local met = ids(knowledge.treatments_for("metastatic", { "ckd" }))
      assert.is_true(met.metastatic_correct_ca_p)
      assert.is_nil(met.sts_iv)
    end)
  end)

  describe("work-up, referrals, prognosis", function()
    it("work-up items have ids, text and sources", function()
      local lists = { knowledge.workup.general }
      for _, l in pairs(knowledge.workup.by_subtype) do lists[#lists + 1] = l end
      for term, l in pairs(knowledge.workup.by_finding) do
        assert.is_table(vocab.terms[term], term)
        lists[#lists + 1] = l
      end
      for k in pairs(knowledge.workup.by_subtype) do assert.is_true(SUBTYPE_SET[k] == true, k) end
      for _, l in ipairs(lists) do
        for _, item in ipairs(l) do
          assert.is_string(item.id)
          assert.is_string(item.test, item.id)
          check_sources(item.sources, item.id)
        end
      end
    end)

    it("workup_for adds calciphylaxis-specific tests", function()
      local ids = {}
      for _, w in ipairs(knowledge.workup_for("calciphylaxis", { "esrd" })) do ids[w.id] = true end
      assert.is_true(ids.serum_calcium)
      assert.is_true(ids.cua_coagulation)
      assert.is_true(ids.cua_biopsy)
      local jdm = {}
      for _, w in ipairs(knowledge.workup_for("dystrophic", { "juvenile_dermatomyositis" })) do jdm[w.id] = true end
      assert.is_true(jdm.jdm_antibodies)
    end)

    it("referrals name specialties with sources and known terms", function()
      for _, r in ipairs(knowledge.referrals) do
        assert.is_string(r.specialty, r.id)
        assert.is_string(r.reason, r.id)
        check_sources(r.sources, r.id)
        check_subtypes(r.for_subtypes, r.id)
        check_terms(r.for_findings, r.id)
        check_terms(r.for_features, r.id)
      end
      local ids = {}
      for _, r in ipairs(knowledge.referrals_for("dystrophic", { "crest" })) do ids[r.id] = true end
      assert.is_true(ids.rheumatology)
      assert.is_nil(ids.nephrology)
      ids = {}
      for _, r in ipairs(knowledge.referrals_for("metastatic", { "myeloma", "ckd" })) do ids[r.id] = true end
      assert.is_true(ids.haematology)
      assert.is_true(ids.nephrology)
    end)

    it("prognosis notes have text and sources; site notes need their subtype", function()
      for _, p in ipairs(knowledge.prognosis) do
        assert.is_string(p.text, p.id)
        check_sources(p.sources, p.id)
        check_subtypes(p.for_subtypes, p.id)
        check_terms(p.for_findings, p.id)
        check_terms(p.for_sites, p.id)
      end
      local ids = {}
      for _, p in ipairs(knowledge.prognosis_for("calciphylaxis", {}, { "abdomen" })) do ids[p.id] = true end
      assert.is_true(ids.calciphylaxis_mortality)
      assert.is_true(ids.calciphylaxis_site)
      ids = {}
      for _, p in ipairs(knowledge.prognosis_for("dystrophic", {}, { "abdomen" })) do ids[p.id] = true end
      assert.is_nil(ids.calciphylaxis_site)
    end)
  end)

  describe("conflicts", function()
    it("cover the four conflicts of the issue, with labels, reason and sources", function()
      for _, id in ipairs({ "heel_stick", "tumoral_calcinosis_hftc", "isolated_pth", "four_vs_five_subtypes" }) do
        local c = knowledge.conflict(id)
        assert.is_table(c, id)
        assert.is_string(c.when, id)
        assert.is_string(c.reason, id)
        assert.is_true(#c.labels >= 2, id)
        check_subtypes(c.labels, id)
        check_sources(c.sources, id)
        for label, why in pairs(c.alternative_reason) do
          assert.is_true(SUBTYPE_SET[label] == true, id .. " " .. label)
          assert.is_string(why)
        end
      end
      assert.are.same({ "iatrogenic", "dystrophic" }, knowledge.conflict("heel_stick").labels)
      assert.is_nil(knowledge.conflict("nope"))
    end)
  end)

  describe("constants", function()
    it("Ca x P thresholds are 55/60/70 with meaning and sources; default 70", function()
      local seen = {}
      for _, t in ipairs(knowledge.ca_x_p_thresholds) do
        seen[t.value] = true
        assert.is_string(t.meaning)
        check_sources(t.sources, "CaxP " .. t.value)
        assert.is_true(math.abs(t.si - t.value * 0.08056) < 0.01, "SI of " .. t.value)
      end
      assert.is_true(seen[55] and seen[60] and seen[70])
      assert.are.equal(70, knowledge.ca_x_p_thresholds.default)
      assert.are.equal(70, knowledge.ca_x_p_threshold().value)
      assert.are.same({ "S50" }, knowledge.ca_x_p_threshold(55).sources)
    end)

    it("albumin-correction coefficients match clinical reference §5.1", function()
      local c = knowledge.ca_coefficients
      assert.are.equal(0.8, c.common.coefficient)
      assert.are.equal(1.0, c.payne.coefficient)
      assert.are.equal(0.02, c.si.coefficient)
      assert.are.equal(40, c.si.reference_albumin)
      assert.is_table(c[c.default])
      -- worked example 1 of §3.1: Ca 8.0, albumin 2.5 -> 9.200 (0.8) / 9.500 (Payne)
      local function corr(v, ca, alb) return ca + v.coefficient * (v.reference_albumin - alb) end
      assert.is_true(math.abs(corr(c.common, 8.0, 2.5) - 9.2) < 1e-9)
      assert.is_true(math.abs(corr(c.payne, 8.0, 2.5) - 9.5) < 1e-9)
      assert.is_true(math.abs(corr(c.si, 1.83, 26) - 2.11) < 1e-9)
    end)

    it("alerts and missing hints carry sources", function()
      for id, a in pairs(knowledge.alerts) do
        assert.is_string(a.text, id)
        check_sources(a.sources, id)
      end
      assert.are.equal("urgent", knowledge.alerts.calciphylaxis_suspected.severity)
      for id, m in pairs(knowledge.missing) do
        assert.is_string(m.text, id)
        check_sources(m.sources, id)
      end
      assert.are.equal("phosphate not given: metastatic cannot be ruled out", knowledge.missing.phosphate.text)
    end)

    it("uses neutral wording (no instructions addressed to a patient)", function()
      local bad = { "%f[%a]you should", "%f[%a]you must", "%f[%a]take%f[%A]", "ask your doctor", "we recommend" }
      local function scan(v, path)
        if type(v) == "string" then
          for _, b in ipairs(bad) do
            assert.is_nil(v:lower():find(b), path .. ": '" .. b .. "'")
          end
        elseif type(v) == "table" then
          for k, x in pairs(v) do scan(x, path .. "." .. tostring(k)) end
        end
      end
      scan(knowledge.treatments, "treatments")
      scan(knowledge.prognosis, "prognosis")
      scan(knowledge.referrals, "referrals")
    end)
  end)
end)

describe("example patients", function()
  local files = patient_files()

  it("number at least 24", function()
    assert.is_true(#files >= 24, "only " .. #files .. " patient files")
  end)

  it("each parse as JSON with the record shape, a valid expected type and known vocabulary", function()
    local ids = {}
    for _, path in ipairs(files) do
      local rec, _, err = json.decode(read(path))
      assert.is_nil(err, path)
      assert.is_table(rec, path)
      assert.is_string(rec.id, path)
      assert.is_nil(ids[rec.id], "duplicate id " .. rec.id)
      ids[rec.id] = true
      assert.is_string(rec.title, path)
      assert.is_string(rec.source, path)
      assert.is_true(SUBTYPE_SET[rec.expected_type] == true, path .. ": expected_type " .. tostring(rec.expected_type))
      for _, a in ipairs(rec.expected_alternatives or {}) do
        assert.is_true(SUBTYPE_SET[a] == true, path .. ": alternative " .. a)
        assert.are_not.equal(rec.expected_type, a, path)
      end
      assert.is_true(type(rec.age) == "number" or (type(rec.age) == "string" and
        rec.age:match("^%d+%s*[dwmoy]+$") ~= nil), path .. ": age")
      assert.is_true(rec.sex == "F" or rec.sex == "M", path .. ": sex")
      assert.is_true(rec.species == "human" or rec.species == "dog" or rec.species == "cat", path .. ": species")
      assert.is_table(rec.labs, path)
      for k, v in pairs(rec.labs) do
        assert.is_string(v, path .. " lab " .. k)
        assert.is_true(v == "normal" or v == "high" or v == "low" or v:match("^%d+%.?%d*%s+%S+") ~= nil,
          path .. " lab " .. k .. " = " .. v)
      end
      local findings, p1 = vocab.normalize_list(rec.findings, "finding")
      assert.are.same({}, p1, path)
      assert.are.same(rec.findings, findings, path .. ": findings must be canonical terms")
      local sites, p2 = vocab.normalize_list(rec.sites, "site")
      assert.are.same({}, p2, path)
      assert.are.same(rec.sites, sites, path .. ": sites must be canonical terms")
    end
  end)

  it("cover every subtype, the conflicts, children, a dog and SI units", function()
    local types, found = {}, {}
    for _, path in ipairs(files) do
      local rec = json.decode(read(path))
      types[rec.expected_type] = true
      if rec.species == "dog" then found.dog = true end
      if type(rec.age) == "string" or rec.age < 18 then found.child = true end
      for _, f in ipairs(rec.findings) do found[f] = true end
      for _, v in pairs(rec.labs) do
        if v:find("mmol/L", 1, true) then found.si = true end
        if v == "high" then found.qualitative = true end
      end
      if rec.species == "human" and rec.labs.phosphate == nil then found.missing_phosphate = true end
    end
    for _, s in ipairs(knowledge.subtypes) do assert.is_true(types[s] == true, "no patient of type " .. s) end
    for _, k in ipairs({ "dog", "child", "si", "qualitative", "missing_phosphate", "heel_stick",
                         "hyperphosphatemia_familial", "juvenile_dermatomyositis", "down_syndrome", "anticentromere",
                         "cushing", "calcium_extravasation", "milk_alkali", "sarcoidosis", "vitamin_d_excess",
                         "primary_hyperparathyroidism", "dialysis" }) do
      assert.is_true(found[k] == true, "no patient with " .. k)
    end
  end)

  it("are all listed in the README table", function()
    local readme = read("examples/patients/README.md")
    for _, path in ipairs(files) do
      local name = path:match("([^/]+)$")
      assert.is_truthy(readme:find("`" .. name .. "`", 1, true), name .. " missing from README")
    end
  end)
end)
