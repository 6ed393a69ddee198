--- Classification of one patient with a ruleset, and the enrichment of the
-- result: what `calcinosis.classify(patient [, ruleset [, options]])` returns.
--
-- Steps: the patient record is copied; its findings and sites are normalized
-- with the controlled vocabulary (unknown terms become problems naming the
-- term with suggestions, and do not abort) and the vocabulary's implications
-- are expanded (esrd -> ckd, crest -> systemic_sclerosis, eyelid -> face ...);
-- terms whose association the vocabulary sources for other species only
-- (Cushing's / steroid excess: dogs, seed:002) are not passed to the ruleset
-- for other species (a `notes` entry says so); the ruleset classifies; then
-- everything that needs Lua is added from the patient data and the resulting
-- type (so it works for any ruleset, not only the default one):
--
-- * `problems`: lab problems (calcinosis.labs) and vocabulary problems;
-- * `fired[i].values`: the actual lab values (value, unit, flag, range) of the
--   inputs the rule reads, through its lets;
-- * `alternatives`: other defensible labels with the reason, from the
--   classification conflicts of knowledge.lua (DOMAIN.md §1.1, §1.4, §7),
--   detected from the findings and lab flags; for an indeterminate result,
--   the subtypes whose rules could not be evaluated;
-- * `alerts`: suspected calciphylaxis (urgent), calciphylaxis features under
--   another label (warning), lab values beyond a laboratory critical value;
-- * `missing`: the missing inputs that would most change the answer, ranked
--   by the weight of the rules they leave not evaluable;
-- * `workup`, `referrals`, `treatments` (+ `treatment_note`), `prognosis`:
--   from knowledge.lua for the type and the findings;
-- * `confidence`, `labs`, `notes`, `findings`, `sites`, `disclaimer`.
--
-- Confidence. `confidence.value` (0..1) is the product of three factors and
-- `confidence.level` reads it as "high" (>= 0.75), "moderate" (>= 0.45) or
-- "low"; an indeterminate result has value 0 and level "none".
--
-- 1. margin = sqrt((best score - second best) / best score): how clearly the
--    winning subtype beats the next (1 when no other subtype scored; the
--    square root because tiered weights make the raw ratio understate a
--    decision that no single rule could reverse);
-- 2. completeness = 0.6 for each of calcium status and phosphate that is
--    unknown (the pathway's step 3 cannot be answered without them), times
--    0.9 when more than half of the ruleset's rules for the winning subtype
--    were not evaluable;
-- 3. agreement = 0.7 when the literature disagrees on the label (at least one
--    alternative from a conflict: such a result is at most "moderate"), times
--    0.9 when some finding or site was not recognized.
--
-- A research tool, not a diagnosis: the wording of every text is that of
-- the literature ("options reported").
-- @module calcinosis.classify

local M = {}

--- The disclaimer carried by every result.
M.DISCLAIMER = "Research tool, not a diagnosis: results are literature-based suggestions for a clinician to review."

local CUA_CONFIRMED = { calciphylaxis = true, small_vessel_calcification = true }
local CUA_ISCHAEMIC = { retiform_purpura = true, necrotic_ulcer = true }
local RENAL = { ckd = true, esrd = true, dialysis = true }
local VARIABLY_CLASSIFIED = { calcinosis_circumscripta = true, calcinosis_universalis = true,
  tumoral_calcinosis = true, liver_transplant = true }

local function json_array(t)
  local ok, json = pcall(require, "calcinosis.json")
  if ok then setmetatable(t, json.array) end
  return t
end

local function list() return json_array({}) end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function deep_copy(t, seen)
  if type(t) ~= "table" then return t end
  seen = seen or {}
  if seen[t] then return seen[t] end
  local c = {}
  seen[t] = c
  for k, v in pairs(t) do c[k] = deep_copy(v, seen) end
  return setmetatable(c, getmetatable(t))
end

local function set_of(l)
  local s = {}
  for _, x in ipairs(l or {}) do s[x] = true end
  return s
end

---------------------------------------------------------------------------
-- The default ruleset

--- The default clinical ruleset (lua/calcinosis/rules/default.lua), loaded
-- once in the sandbox like any user ruleset: the same object as
-- `calcinosis.rules.default()`.
-- @treturn Ruleset|nil
-- @treturn[2] string message
function M.default()
  local rs, err = require("calcinosis.rules").default()
  if rs then M.default_path = package.searchpath("calcinosis.rules.default", package.path) end
  return rs, err
end

---------------------------------------------------------------------------
-- Lab status (mirrors the lets of the default ruleset, for any ruleset)

local function direction(e)
  local f = e and (e.flag or e.qualitative)
  if not f then return nil end
  if f:find("high", 1, true) then return "high" end
  if f:find("low", 1, true) then return "low" end
  return "normal"
end

--- Calcium, phosphate and PTH status from a lab table: "high", "low",
-- "normal" or nil (unknown). Calcium is the corrected calcium when there is
-- one, else the total calcium; an ionized calcium counts too.
-- @tparam table labs from `calcinosis.labs`
-- @treturn table `{ ca =, p =, pth = }`
function M.lab_status(labs)
  local main = direction(labs.corrected_calcium) or direction(labs.calcium)
  local ion = direction(labs.ionized_calcium)
  local ca
  if main == "high" or ion == "high" then ca = "high"
  elseif main == "low" or ion == "low" then ca = "low"
  elseif main or ion then ca = "normal" end
  return { ca = ca, p = direction(labs.phosphate), pth = direction(labs.pth) }
end

-- input -> the knowledge.missing hint that explains it
local HINT_OF = {
  calcium = "calcium", corrected_calcium = "calcium", ionized_calcium = "calcium",
  phosphate = "phosphate", pth = "pth", creatinine = "creatinine", egfr = "creatinine",
  ckd_stage = "creatinine", vitd25 = "vitd25", vitd125 = "vitd125", albumin = "albumin",
  female = "sex", male = "sex",
}

-- The missing input that matters behind a name a not-evaluable rule lists
-- (nil when it does not matter: e.g. ionized calcium when a total calcium is
-- known, ca_x_p when calcium and phosphate are known qualitatively).
local function missing_key(m, s, labs)
  local key = HINT_OF[m] or m
  if key == "calcium" and s.ca then return nil end
  if m == "ca_x_p" then return (not s.ca and "calcium") or (not s.p and "phosphate") or nil end
  if key == "creatinine" and ((labs.ckd_stage and labs.ckd_stage.index)
    or (labs.creatinine and labs.creatinine.qualitative)) then return nil end
  return key
end

---------------------------------------------------------------------------
-- Inputs a rule reads (through its lets)

local function rule_inputs(rs, id)
  local c = rs.compiled
  if not c then return {} end
  local rule
  for _, r in ipairs(c.rules) do if r.id == id then rule = r break end end
  if not rule then return {} end
  local out, seen, seen_let = {}, {}, {}
  local function walk(x)
    if type(x) ~= "table" then return end
    if x.tag == "name" and x.let then
      if not seen_let[x.let] then
        seen_let[x.let] = true
        local l = c.lets[x.let + 1]
        if l then walk(l.ast) end
      end
    elseif x.tag == "name" and x.input and not seen[x.input] then
      seen[x.input] = true
      out[#out + 1] = x.input
    elseif x.tag == "call" and x.slot and x.args and x.args[1] and x.args[1].input then
      local n = x.args[1].input
      if not seen[n] then seen[n] = true; out[#out + 1] = n end
    end
    for _, k in ipairs { "a", "b", "c", "lo", "hi" } do walk(x[k]) end
    if x.args then for _, y in ipairs(x.args) do walk(y) end end
  end
  walk(rule.ast)
  return out
end

local function value_of(labs, name, patient)
  if name == "female" or name == "male" then
    if labs.sex then return { name = "sex", value = labs.sex } end
    return nil
  end
  local e = labs[name]
  if type(e) ~= "table" then return nil end
  if name == "ckd_stage" then
    if e.value then return { name = name, value = e.value, rule = e.rule } end
    return nil
  end
  if e.value == nil and e.qualitative == nil then return nil end
  local v = { name = name, value = e.value, unit = e.unit ~= "" and e.unit or nil, flag = e.flag,
    given = e.given, qualitative = e.qualitative, method = e.method, basis = e.basis }
  if name == "age" and patient and patient.age ~= nil then v.given = tostring(patient.age) end
  if e.range then
    v.range = { low = e.range.low, high = e.range.high, unit = e.range.unit, source = e.range.source }
  end
  return v
end

---------------------------------------------------------------------------
-- Conflicts and alternatives

local function pathway_label(dys)
  return dys and "dystrophic" or "idiopathic"
end

local function has_dystrophic_cause(f)
  local vocab = require "calcinosis.vocab"
  for t in pairs(f) do
    if vocab.in_group(t, "connective_tissue_disease") or vocab.in_group(t, "local_tissue_damage") then
      return true
    end
  end
  return false
end

local function has_any_cause(f)
  local vocab = require "calcinosis.vocab"
  for t in pairs(f) do
    local g = vocab.group(t)
    if g == "connective_tissue_disease" or g == "local_tissue_damage" or g == "metabolic_cause"
      or g == "iatrogenic_exposure" or CUA_CONFIRMED[t] or CUA_ISCHAEMIC[t]
      or t == "hypercalcemia" or t == "hyperphosphatemia" then
      return true
    end
  end
  return false
end

local function has_metastatic_cause(f)
  local vocab = require "calcinosis.vocab"
  for t in pairs(f) do
    if vocab.group(t) == "metabolic_cause" then return true end
  end
  return false
end

-- The conflicts of knowledge.lua that apply to this patient: a list of
-- `{ id, labels }` where labels are the defensible labels here.
local function detect_conflicts(t, f, s, species)
  local out = {}
  local function add(id, labels) out[#out + 1] = { id = id, labels = labels } end
  local high = s.ca == "high" or s.p == "high"
  local dys = has_dystrophic_cause(f)
  if f.heel_stick then add("heel_stick", { "iatrogenic", "dystrophic" }) end
  if f.uremic_tumoral_calcinosis or (f.tumoral_calcinosis and (f.dialysis or f.esrd)) then
    add("uremic_tumoral_calcinosis", { "metastatic", "idiopathic" })
  elseif (f.tumoral_calcinosis or f.hyperphosphatemia_familial) and s.p == "high" and s.ca ~= "high"
    and s.pth ~= "high" then
    add("tumoral_calcinosis_hftc", { "metastatic", "idiopathic" })
  end
  if s.pth == "high" and s.ca == "normal" and s.p == "normal" then
    add("isolated_pth", { pathway_label(dys), "metastatic" })
  end
  if t == "calciphylaxis" then add("four_vs_five_subtypes", { "calciphylaxis", "metastatic" }) end
  local variably = false
  for term in pairs(VARIABLY_CLASSIFIED) do if f[term] then variably = true end end
  if variably and not high then add("variably_classified", { "idiopathic", "dystrophic" }) end
  if t == "metastatic" and s.p == "high" and s.ca ~= "high" and not has_any_cause(f) then
    add("idiopathic_phosphate", { "metastatic", "idiopathic" })
  end
  if dys and high then add("mixed", { "metastatic", "dystrophic" }) end
  if species == "dog" and (f.cushing or f.steroid_excess) and not high then
    add("canine_adrenal", { "metastatic", pathway_label(dys) })
  end
  if (s.ca == "low" or s.p == "low") and not high
    and (t == "dystrophic" or t == "idiopathic" or t == "indeterminate") then
    add("low_ca_p_only", { "metastatic" })
  end
  if t == "metastatic" and s.ca == "normal" and s.p == "normal" and has_metastatic_cause(f)
    and not (species == "dog" and (f.cushing or f.steroid_excess)) then
    add("metastatic_cause_normal_labs", { "metastatic", pathway_label(dys) })
  end
  return out
end

local function alternatives_of(result, f, s, species, indeterminate, labs)
  local knowledge = require "calcinosis.knowledge"
  local t = result.type
  local out, by_type = list(), {}
  local function add(label, reason, conflict, sources)
    if label == t then return end
    local a = by_type[label]
    if not a then
      a = { type = label, reasons = list(), conflicts = list(), sources = list() }
      by_type[label] = a
      out[#out + 1] = a
    end
    a.reasons[#a.reasons + 1] = reason
    if conflict then a.conflicts[#a.conflicts + 1] = conflict end
    local have = set_of(a.sources)
    for _, k in ipairs(sources or {}) do
      if not have[k] then a.sources[#a.sources + 1] = k; have[k] = true end
    end
    a.reason = table.concat(a.reasons, "; ")
  end
  local conflicts = detect_conflicts(t, f, s, species)
  for _, c in ipairs(conflicts) do
    local k = knowledge.conflict(c.id)
    if k then
      for _, l in ipairs(c.labels) do
        add(l, (k.alternative_reason and k.alternative_reason[l]) or k.reason, c.id, k.sources)
      end
    end
  end
  if t == indeterminate then
    -- the subtypes the data could not rule out: rules left not evaluable
    local blocked = {}
    local order = {}
    for _, n in ipairs(result.not_evaluable or {}) do
      local subtype = n.subtype
      if subtype and not blocked[subtype] then blocked[subtype] = {}; order[#order + 1] = subtype end
      if subtype then
        for _, m in ipairs(n.missing or {}) do
          local key = missing_key(m, s, labs)
          if key then blocked[subtype][key] = true end
        end
      end
    end
    for _, subtype in ipairs(order) do
      local names = {}
      for m in pairs(blocked[subtype]) do names[#names + 1] = m end
      table.sort(names)
      add(subtype, ("cannot be ruled out: its rules could not be evaluated (missing %s)")
        :format(#names > 0 and table.concat(names, ", ") or "inputs"), nil, { "S1" })
    end
  end
  return out, conflicts
end

---------------------------------------------------------------------------
-- Alerts

local ALERT_ORDER = { urgent = 1, critical = 2, warning = 3 }

local function fmt(v)
  if type(v) ~= "number" then return tostring(v) end
  return (("%.4g"):format(v))
end

local function alerts_of(result, f, labs)
  local knowledge = require "calcinosis.knowledge"
  local out = list()
  local renal = false
  for t in pairs(RENAL) do if f[t] then renal = true end end
  local stage = labs.ckd_stage and labs.ckd_stage.index
  if stage and stage >= 3 then renal = true end
  local ischaemic = false
  for t in pairs(CUA_ISCHAEMIC) do if f[t] then ischaemic = true end end
  local confirmed = false
  for t in pairs(CUA_CONFIRMED) do if f[t] then confirmed = true end end
  local a = knowledge.alerts.calciphylaxis_suspected
  if result.type == "calciphylaxis" then
    out[#out + 1] = { id = "calciphylaxis_suspected", severity = a.severity, text = a.text,
      sources = copy(a.sources) }
  elseif confirmed or (ischaemic and renal) or ((result.scores or {}).calciphylaxis or 0) > 1 then
    out[#out + 1] = { id = "calciphylaxis_not_excluded", severity = "warning",
      text = ("Features associated with calciphylaxis are present although the result is %s; %s")
        :format(result.type, (a.text:gsub("^Suspected calciphylaxis: ", ""))),
      sources = copy(a.sources) }
  end
  local names = {}
  for name, e in pairs(labs) do
    if type(e) == "table" and type(e.flag) == "string" and e.flag:match("^critical") then names[#names + 1] = name end
  end
  table.sort(names)
  local seen_calcium = false
  for _, name in ipairs(names) do
    local e = labs[name]
    local key = (name == "calcium" or name == "corrected_calcium" or name == "ionized_calcium")
      and "critical_calcium" or ("critical_" .. name)
    if key ~= "critical_calcium" or not seen_calcium then
      if key == "critical_calcium" then seen_calcium = true end
      local k = knowledge.alerts[key]
      local side = e.flag == "critical_high" and "above" or "below"
      out[#out + 1] = {
        id = key, severity = "critical", analyte = name, value = e.value, unit = e.unit, flag = e.flag,
        text = ("%s %s %s is %s a laboratory critical value%s"):format(name, fmt(e.value), e.unit or "", side,
          k and (" (" .. k.text .. ")") or ""),
        sources = k and copy(k.sources) or { "S34", "S35" },
      }
    end
  end
  table.sort(out, function(x, y)
    local a1, b1 = ALERT_ORDER[x.severity] or 9, ALERT_ORDER[y.severity] or 9
    if a1 ~= b1 then return a1 < b1 end
    return x.id < y.id
  end)
  return out
end

---------------------------------------------------------------------------
-- Missing inputs

local function missing_of(result, f, labs, s)
  local knowledge = require "calcinosis.knowledge"
  local weight_of, rules_of, gain = {}, {}, {}
  for _, n in ipairs(result.not_evaluable or {}) do
    for _, m in ipairs(n.missing or {}) do
      local key = missing_key(m, s, labs)
      if key then
        weight_of[key] = (weight_of[key] or 0) + math.abs(n.weight or 1)
        rules_of[key] = rules_of[key] or {}
        local seen = false
        for _, id in ipairs(rules_of[key]) do if id == n.id then seen = true end end
        if not seen then rules_of[key][#rules_of[key] + 1] = n.id end
        if n.subtype and n.subtype ~= result.type then
          gain[key] = gain[key] or {}
          gain[key][n.subtype] = (gain[key][n.subtype] or 0) + math.max(0, n.weight or 0)
        end
      end
    end
  end
  -- the pathway's deciding inputs, even when no rule of this ruleset names them
  if not s.ca then weight_of.calcium = (weight_of.calcium or 0) + 100 end
  if not s.p then weight_of.phosphate = (weight_of.phosphate or 0) + 100 end
  if s.ca and labs.calcium and labs.calcium.value and not (labs.albumin and labs.albumin.value)
    and labs.species == "human" and not (labs.corrected_calcium and labs.corrected_calcium.value) then
    weight_of.albumin = (weight_of.albumin or 0) + 0.5
  end
  if not next(f) then weight_of.exposure_history = (weight_of.exposure_history or 0) + 0.5 end
  if (result.type == "calciphylaxis" or ((result.scores or {}).calciphylaxis or 0) > 0)
    and not (f.small_vessel_calcification or f.calciphylaxis) then
    weight_of.biopsy = (weight_of.biopsy or 0) + 1
  end
  -- could the input change the type? (another subtype's blocked rules
  -- would be enough to reach the winning score)
  local best = result.score or 0
  local changes = {}
  for k, by in pairs(gain) do
    for st, g in pairs(by) do
      if ((result.scores or {})[st] or 0) + g >= best then changes[k] = st end
    end
  end
  local function rank(k)
    return (weight_of[k] >= 100 and 2 or 0) + (changes[k] and 1 or 0)
  end
  local keys = {}
  for k in pairs(weight_of) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if rank(a) ~= rank(b) then return rank(a) > rank(b) end
    if weight_of[a] ~= weight_of[b] then return weight_of[a] > weight_of[b] end
    return a < b
  end)
  local out = list()
  for _, k in ipairs(keys) do
    local h = knowledge.missing[k]
    out[#out + 1] = {
      input = k,
      text = h and h.text or (k .. " not given"),
      sources = h and copy(h.sources) or list(),
      rules = json_array(rules_of[k] or {}),
      weight = weight_of[k] >= 100 and weight_of[k] - 100 or weight_of[k],
      could_change = changes[k] or ((weight_of[k] >= 100) and "the pathway's step 3 (metastatic)") or nil,
    }
  end
  return out
end

---------------------------------------------------------------------------
-- Knowledge for the type

local function findings_list(f)
  local l = {}
  for t in pairs(f) do l[#l + 1] = t end
  table.sort(l)
  return l
end

local function treatment_entry(t, f)
  local e = {
    id = t.id, name = t.name, status = t.status, indication = t.indication, evidence = t.evidence,
    cautions = list(), sources = json_array(copy(t.sources or {})),
  }
  for _, c in ipairs(t.cautions or {}) do
    e.cautions[#e.cautions + 1] = { text = c.text, sources = json_array(copy(c.sources or {})) }
  end
  if t.regimen then
    e.regimen = list()
    for _, r in ipairs(t.regimen) do
      e.regimen[#e.regimen + 1] = { text = r.text, sources = json_array(copy(r.sources or {})) }
    end
  end
  e.dose_note = t.dose_note
  local matched = list()
  for _, field in ipairs { "for_findings", "for_features" } do
    for _, x in ipairs(t[field] or {}) do if f[x] then matched[#matched + 1] = x end end
  end
  e.matched = matched
  return e
end

local function treatments_of(t, f)
  local knowledge = require "calcinosis.knowledge"
  local out = list()
  local seen = {}
  for _, tr in ipairs(knowledge.treatments_for(t, findings_list(f))) do
    out[#out + 1] = treatment_entry(tr, f)
    seen[tr.id] = true
  end
  -- surgery is listed for its subtypes even without the features that
  -- indicate it, with its indications and the recurrence caution
  for _, tr in ipairs(knowledge.treatments) do
    if tr.id == "surgical_excision" and not seen[tr.id] then
      for _, st in ipairs(tr.for_subtypes) do
        if st == t then
          local e = treatment_entry(tr, f)
          e.not_indicated_yet = "none of the reported indications (very painful, ulcerated or recurrently " ..
            "infected lesions, functional impairment, large localized deposits, SCN, scrotal calcinosis) " ..
            "is among the findings given"
          out[#out + 1] = e
        end
      end
    end
  end
  return out
end

local function plain_list(items, fields)
  local out = list()
  for _, it in ipairs(items) do
    local e = {}
    for _, k in ipairs(fields) do
      local v = it[k]
      if type(v) == "table" then v = json_array(copy(v)) end
      e[k] = v
    end
    out[#out + 1] = e
  end
  return out
end

---------------------------------------------------------------------------
-- Confidence

local function confidence_of(result, s, alternatives, conflicts, term_problems, rs, label)
  if result.type == label then
    return { value = 0, level = "none",
      explanation = "no subtype reached a score above the ruleset's indeterminate limit" }
  end
  local best, second = result.score or 0, 0
  for st, v in pairs(result.scores or {}) do
    if st ~= result.type and v > second then second = v end
  end
  local margin = best > 0 and math.sqrt(math.max(0, math.min(1, (best - second) / best))) or 0
  local completeness = 1
  local why = {}
  if not s.ca then completeness = completeness * 0.6; why[#why + 1] = "calcium status unknown" end
  if not s.p then completeness = completeness * 0.6; why[#why + 1] = "phosphate unknown" end
  local total, blocked = 0, 0
  for _, r in ipairs(rs and rs.rules and rs:rules() or {}) do
    if r.subtype == result.type then total = total + 1 end
  end
  for _, n in ipairs(result.not_evaluable or {}) do
    if n.subtype == result.type then blocked = blocked + 1 end
  end
  if total > 0 and blocked / total > 0.5 then
    completeness = completeness * 0.9
    why[#why + 1] = ("%d of %d %s rules not evaluable"):format(blocked, total, result.type)
  end
  local agreement = 1
  if #conflicts > 0 and #alternatives > 0 then
    agreement = 0.7
    why[#why + 1] = "the literature disagrees on the label (see alternatives)"
  end
  if term_problems > 0 then
    agreement = agreement * 0.9
    why[#why + 1] = "some findings or sites were not recognized"
  end
  local value = margin * completeness * agreement
  local level = value >= 0.75 and "high" or value >= 0.45 and "moderate" or "low"
  if margin < 1 then
    table.insert(why, 1, ("%s scored %s, the next subtype %s"):format(result.type, fmt(best), fmt(second)))
  end
  return {
    value = math.floor(value * 100 + 0.5) / 100, level = level,
    margin = math.floor(margin * 100 + 0.5) / 100, completeness = math.floor(completeness * 100 + 0.5) / 100,
    agreement = math.floor(agreement * 100 + 0.5) / 100,
    explanation = #why > 0 and table.concat(why, "; ") or "clear margin, key labs known, no conflict",
  }
end

---------------------------------------------------------------------------
-- classify

local function normalize_terms(patient, kind, problems, details)
  local vocab = require "calcinosis.vocab"
  local raw = patient[kind .. "s"]
  if raw == nil then return {} end
  local terms, msgs, det = vocab.normalize_list(raw, kind)
  for i, m in ipairs(msgs) do
    problems[#problems + 1] = kind .. "s: " .. m
    local d = det[i] or {}
    details[#details + 1] = { kind = kind, input = d.input, message = m,
      suggestions = json_array(copy(d.suggestions or {})) }
  end
  return vocab.expand(terms)
end

--- Classifies one patient and enriches the result (see the module
-- description).
-- @tparam table patient the patient record (`calcinosis.labs` shape plus
--   `findings` and `sites`: lists of vocabulary terms or ";"-separated text)
-- @tparam[opt] Ruleset ruleset default: `M.default()`
-- @tparam[opt] table options passed to `calcinosis.labs` (`ca_coefficient` =
--   "common" | "payne" | "si", `ranges`, `critical`, `kdigo_rounding`)
-- @treturn table the result: the ruleset's (`type, score, scores, fired,
--   not_evaluable, values, name, version, hash, ruleset`) plus `problems,
--   term_problems, notes, findings, sites, labs, confidence, alternatives,
--   alerts, missing, workup, referrals, treatments, treatment_note,
--   prognosis, disclaimer`
function M.classify(patient, ruleset, options)
  if type(patient) ~= "table" then
    error(("calcinosis.classify: bad argument #1 (table expected, got %s)"):format(type(patient)), 2)
  end
  if ruleset == nil then
    local err
    ruleset, err = M.default()
    if not ruleset then error("calcinosis.classify: " .. tostring(err), 2) end
  end
  local vocab = require "calcinosis.vocab"
  local knowledge = require "calcinosis.knowledge"
  local labs = require("calcinosis").labs(patient, options)
  local species = labs.species or "human"

  local term_problems, details = {}, {}
  local findings = normalize_terms(patient, "finding", term_problems, details)
  local sites = normalize_terms(patient, "site", term_problems, details)

  -- terms whose association is sourced for other species only
  local notes = list()
  local used = {}
  for _, t in ipairs(findings) do
    local e = vocab.terms[t]
    local ok = true
    if e and e.species then
      ok = false
      for _, sp in ipairs(e.species) do if sp == species then ok = true end end
    end
    if ok then used[#used + 1] = t
    else
      notes[#notes + 1] = ("finding '%s' (%s): its association with calcinosis is sourced for %s only " ..
        "(%s); not used to classify a %s patient"):format(t, e.label or t, table.concat(e.species, ", "),
        e.source or "", species)
    end
  end

  local input = copy(patient)
  input.findings, input.sites = used, sites
  local result = ruleset:classify(input, options)

  -- problems: labs (from the ruleset) and vocabulary
  local problems = list()
  for _, p in ipairs(result.problems or labs.problems or {}) do problems[#problems + 1] = p end
  for _, p in ipairs(term_problems) do problems[#problems + 1] = p end
  result.problems = problems
  result.term_problems = json_array(details)
  result.notes = notes
  result.findings = json_array(findings)
  result.sites = json_array(sites)
  result.species = species
  local label = (ruleset.compiled and ruleset.compiled.label) or "indeterminate"

  -- rule subtypes on not-evaluable entries, actual values on fired ones
  local subtype_of, weight_of = {}, {}
  for _, r in ipairs(ruleset:rules()) do subtype_of[r.id] = r.subtype; weight_of[r.id] = r.weight end
  for _, n in ipairs(result.not_evaluable or {}) do
    n.subtype = n.subtype or subtype_of[n.id]
    n.weight = n.weight or weight_of[n.id]
    n.missing = json_array(n.missing or {})
  end
  for _, fr in ipairs(result.fired or {}) do
    local values = list()
    for _, name in ipairs(rule_inputs(ruleset, fr.id)) do
      local v = value_of(labs, name, patient)
      if v then values[#values + 1] = v end
    end
    fr.values = values
    fr.why = json_array(fr.why or {})
  end
  result.fired = json_array(result.fired or {})
  result.not_evaluable = json_array(result.not_evaluable or {})

  local fonly = set_of(findings)
  local s = M.lab_status(labs)

  local alternatives, conflicts = alternatives_of(result, fonly, s, species, label, labs)
  result.alternatives = alternatives
  result.alerts = alerts_of(result, fonly, labs)
  result.missing = missing_of(result, fonly, labs, s)
  local t = result.type
  local flist = findings_list(fonly)
  result.workup = plain_list(knowledge.workup_for(t, flist), { "id", "test", "reason", "sources" })
  result.referrals = plain_list(knowledge.referrals_for(t, flist), { "id", "specialty", "reason", "sources" })
  if t == label then
    result.treatments = list()
    result.treatment_note = "No subtype could be named: no treatment options are listed. " ..
      knowledge.treatment_preamble.text
  else
    result.treatments = treatments_of(t, fonly)
    result.treatment_note = knowledge.treatment_preamble.text
  end
  result.treatment_sources = json_array(copy(knowledge.treatment_preamble.sources))
  result.prognosis = plain_list(knowledge.prognosis_for(t, flist, sites), { "id", "text", "sources" })
  local nterm = #term_problems
  result.confidence = confidence_of(result, s, alternatives, conflicts, nterm, ruleset, label)
  result.labs = deep_copy(labs)
  result.labs.problems = json_array(result.labs.problems or {})
  result.lab_status = s
  result.disclaimer = M.DISCLAIMER
  return result
end

return M
