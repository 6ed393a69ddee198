--- The result of one patient, presented: the tables `ruleset:classify` and
-- `calcinosis.classify` return, made from the raw result of the C engine
-- (`plan:classify`, see `calcinosis.engine`).
--
-- Everything is decided by the C engine (one record logic for every entry
-- point): the record is read and its labs derived and flagged, the
-- ruleset's decision program gives the type, scores and rule states, and
-- its result declarations (`alternative`, `alert`, `ask`, `confidence`, see
-- `calcinosis.rules`) give the alternatives, alerts, missing inputs and
-- confidence. This module turns that into tables with the texts, sources
-- and explanations of the ruleset, the lab table (`calcinosis.labs`), and
-- (`add_knowledge`) the work-up, referrals, treatment options and prognosis
-- that `calcinosis.knowledge` lists for the type and the findings.
--
-- Fields: `id`, `type`, `score`, `scores`, `fired` (`{ id, subtype, weight,
-- because, sentence, source, why, values }`), `not_evaluable` (`{ id,
-- subtype, weight, missing }`), `values` (lets), `problems` (messages naming
-- the field and the value), `term_problems`, `alternatives` (`{ type,
-- reason, reasons, conflicts, sources }`), `alerts` (`{ id, severity, text,
-- sources }`), `missing` (`{ input, text, sources, rules, weight,
-- could_change }`), `confidence` (`{ value, level, margin, completeness,
-- factors, explanation }`), `findings`, `sites` (the vocabulary terms
-- recognized, with the terms they imply), `notes`, `species`, `name`,
-- `version`, `hash`, `ruleset`, `disclaimer`, `references` (the entries of
-- `calcinosis.sources` for every key the result cites: its fired rules,
-- alternatives, alerts and missing inputs, and with knowledge its work-up,
-- referrals, treatments and prognosis; in bibliography order; a key that
-- does not resolve is listed as `{ key =, unresolved = true }`); with
-- knowledge: `labs`, `lab_status`, `workup`, `referrals`, `treatments`,
-- `treatment_note`, `treatment_sources`, `prognosis`.
--
-- A research tool, not a diagnosis: the wording of every text is that of
-- the literature ("options reported").
--
-- Dependencies: calcinosis.engine, calcinosis.labs,
-- calcinosis.knowledge, calcinosis.sources, calcinosis.vocab, calcinosis.util.
-- @module calcinosis.result

local util = require "calcinosis.util"

local M = {}

--- The disclaimer carried by every result.
M.DISCLAIMER = util.DISCLAIMER

local list = util.list

local function json_array(t) return util.list(t) end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- the keys of a source text, as a new list; the split is kept per compiled
-- ruleset (its texts), so each call only copies it
local split_caches = setmetatable({}, { __mode = "k" })
local function split_sources(s, c)
  local by = split_caches[c]
  if not by then by = {}; split_caches[c] = by end
  local text = tostring(s or "")
  local keys = by[text]
  if not keys then
    keys = require("calcinosis.engine").source_keys(text)
    by[text] = keys
  end
  local out = list()
  for i = 1, #keys do out[i] = keys[i] end
  return out
end

-- The references of a result: the entries of calcinosis.sources for the
-- keys its parts cite. A source text resolves once (text -> entries; the
-- bibliography is static data, and the texts are the rulesets' and the
-- knowledge tables'), so a result pays only for its own list; the sorted
-- list for one sequence of source texts is kept per ruleset (`cache`, see
-- `ref_cache_of`), since results cite the same few combinations.
local sources_m = require "calcinosis.sources"
local entries_of = {}
local function resolve(text)
  local es = entries_of[text]
  if not es then
    es = {}
    for _, k in ipairs(sources_m.keys_in(text)) do
      es[#es + 1] = sources_m.get(k) or { key = k, unresolved = true }
    end
    entries_of[text] = es
  end
  return es
end

-- sources_m.compare of two keys, remembered (the keys are the
-- bibliography's and the rulesets' few; the order of two keys never changes)
local order_of = {}
local function before(a, b)
  local ka, kb = a.key, b.key
  local row = order_of[ka]
  if not row then row = {}; order_of[ka] = row end
  local v = row[kb]
  if v == nil then v = sources_m.compare(ka, kb); row[kb] = v end
  return v
end

local function sorted_references(texts)
  local out, seen = list(), {}
  for _, text in ipairs(texts) do
    for _, e in ipairs(resolve(text)) do
      if not seen[e.key] then seen[e.key] = true; out[#out + 1] = e end
    end
  end
  table.sort(out, before)
  return out
end

-- per ruleset: source texts joined -> sorted entries (bounded)
local ref_caches = setmetatable({}, { __mode = "k" })
local function ref_cache_of(ruleset)
  if ruleset == nil then return nil end
  local c = ref_caches[ruleset]
  if not c then c = { n = 0, by = {} }; ref_caches[ruleset] = c end
  return c
end

-- the source texts of x (a text, or a list of them) appended to texts
local function add_texts(texts, x)
  if type(x) == "string" then texts[#texts + 1] = x
  elseif type(x) == "table" then
    for _, t in ipairs(x) do if type(t) == "string" then texts[#texts + 1] = t end end
  end
end

local function references(groups, cache)
  local texts = {}
  for _, g in ipairs(groups) do
    for _, item in ipairs(g) do
      add_texts(texts, item.source)
      add_texts(texts, item.sources)
      local cautions, regimen = item.cautions, item.regimen
      if cautions then for _, sub in ipairs(cautions) do add_texts(texts, sub.sources) end end
      if regimen then for _, sub in ipairs(regimen) do add_texts(texts, sub.sources) end end
    end
  end
  if not cache then return sorted_references(texts) end
  local key = table.concat(texts, "\1")
  local hit = cache.by[key]
  if not hit then
    hit = sorted_references(texts)
    if cache.n >= 4096 then cache.by, cache.n = {}, 0 end
    cache.by[key], cache.n = hit, cache.n + 1
  end
  local out = list()
  for i = 1, #hit do out[i] = hit[i] end
  return out
end

---------------------------------------------------------------------------
-- Presentation of the engine's result

--- Calcium, phosphate and PTH status of a presented lab table: "high",
-- "low", "normal" or nil (unknown). Calcium is the corrected calcium when
-- there is one, else the total calcium; an ionized calcium counts too.
-- (Presentation for reports; the ruleset's lets decide.)
-- @tparam table labs from `calcinosis.labs`
-- @treturn table `{ ca =, p =, pth = }`
function M.lab_status(labs)
  local function dir(e)
    local f = e and (e.flag or e.qualitative)
    if not f then return nil end
    if f:find("high", 1, true) then return "high" end
    if f:find("low", 1, true) then return "low" end
    return "normal"
  end
  local main = dir(labs.corrected_calcium) or dir(labs.calcium)
  local ion = dir(labs.ionized_calcium)
  local ca
  if main == "high" or ion == "high" then ca = "high"
  elseif main == "low" or ion == "low" then ca = "low"
  elseif main or ion then ca = "normal" end
  return { ca = ca, p = dir(labs.phosphate), pth = dir(labs.pth) }
end

-- term id -> { kind, term }, per compiled ruleset
local term_cache = setmetatable({}, { __mode = "k" })
local function term_of(compiled)
  local t = term_cache[compiled]
  if not t then
    t = {}
    for key, id in pairs(compiled.term_ids) do
      local kind, term = key:match("^(%a+):(.*)$")
      t[id] = { kind, term }
    end
    term_cache[compiled] = t
  end
  return t
end

local function present_alerts(raw, c, type_name, labs)
  local out = list()
  for _, d in ipairs(raw.alerts) do
    local x = c.result.alerts[d]
    local a = { id = x.id, severity = x.severity, text = (x.text:gsub("{type}", type_name)),
      sources = split_sources(x.source, c) }
    -- an alert on lab values names the first of them beyond its critical value
    for _, name in ipairs(x.analytes or {}) do
      local value, unit, flag = labs:critical(name)
      if value then
        a.analyte, a.value, a.unit, a.flag = name, value, unit, flag
        a.text = ("%s %s %s is %s a laboratory critical value (%s)"):format(name, util.fmt(value), unit or "",
          flag == "critical_high" and "above" or "below", a.text)
        break
      end
    end
    out[#out + 1] = a
  end
  return out
end

-- the problems about terms, with the suggestions of the record logic
local function term_problems(problems)
  local out = list()
  for _, m in ipairs(problems) do
    local kind, input = m:match("^(%a+)s: unknown term '(.-)'")
    local amb
    if not kind then kind, input = m:match("^(%a+)s: ambiguous term '(.-)'"); amb = kind ~= nil end
    if kind then
      local sugg = list()
      local list_text = amb and m:match("%(could be (.-);") or m:match("%(did you mean (.-)%?%)")
      for t in (list_text or ""):gmatch("'(.-)'") do sugg[#sugg + 1] = t end
      out[#out + 1] = { kind = kind, input = input, message = (m:gsub(" %(record [^)]*%)$", "")), suggestions = sugg }
    end
  end
  return out
end

local vocab_m -- calcinosis.vocab, required when first needed
local function get_vocab()
  vocab_m = vocab_m or require "calcinosis.vocab"
  return vocab_m
end

local function species_notes(raw, c, species)
  local notes = list()
  if #raw.dropped_terms == 0 then return notes end
  local vocab = get_vocab()
  local names = term_of(c)
  for _, id in ipairs(raw.dropped_terms or {}) do
    local t = names[id][2]
    local e = vocab.terms[t] or {}
    notes[#notes + 1] = ("finding '%s' (%s): its association with calcinosis is sourced for %s only " ..
      "(%s); not used to classify a %s patient"):format(t, e.label or t, table.concat(e.species or {}, ", "),
      e.source or "", species)
  end
  table.sort(notes)
  return notes
end

-- a finding that describes the lesion itself (a form of calcinosis, a
-- lesion feature, a calciphylaxis sign)
local LESION_GROUPS = { calcinosis_form = true, lesion_feature = true, calciphylaxis_feature = true }
local function has_lesion(findings)
  local vocab = get_vocab()
  for _, t in ipairs(findings) do
    if LESION_GROUPS[vocab.group(t) or ""] or t == "calciphylaxis" then return true end
  end
  return false
end

--- Presents the engine's raw result of a patient (see the module
-- description): the shape `ruleset:classify` returns.
-- @tparam Ruleset ruleset
-- @tparam table raw from `plan:classify(patient [, lazy])`
-- @tparam[opt] table _patient the patient table (not read: `raw.labs`, whose
--   lab table the C core builds, holds the texts the labs were given as)
-- @tparam[opt] table options labs options
-- @tparam[opt] boolean no_references leave `references` out (the caller
--   sets it, e.g. with the knowledge entries' sources)
-- @tparam[opt] boolean lazy present only `id`, `type`, `score`, `scores`,
--   `problems`, `species`, `name`, `version`, `hash`, `ruleset` and
--   `disclaimer` now; `finish` sets the other fields (the caller calls it
--   before any of them is read: calcinosis.classify's metatable)
-- @treturn table result
function M.present(ruleset, raw, _patient, options, no_references, lazy)
  local c = ruleset.compiled
  -- the hash covers the options that change the result (calcinosis.engine.hash)
  local hash = ruleset.hash
  if options and (options.ca_coefficient or options.kdigo_rounding or options.ranges or options.critical) then
    hash = require("calcinosis.engine").hash(ruleset, options) or hash
  end
  local id, type_name, score = raw.id, raw.type == 0 and c.label or c.subtypes[raw.type], raw.type == 0 and 0 or raw.best
  local rs = { name = ruleset.name, version = ruleset.version, hash = hash }
  -- (scores: the scores by subtype, built by the C core; _labs: the lab
  -- table, built by the C core from the record it read when it is read:
  -- labs:table(); an entry: labs:get(name); what a fired rule shows of its
  -- inputs: labs:values(inputs))
  if lazy then
    return { id = id, type = type_name, score = score, scores = raw.named_scores, problems = raw.problems,
      species = raw.species, name = ruleset.name, version = ruleset.version, hash = hash, ruleset = rs,
      disclaimer = M.DISCLAIMER, _labs = raw.labs, _raw = raw }
  end
  -- the same, made with room for the fields finish sets (a field given nil
  -- in a constructor is not set, but counts for the table's size: no rehash)
  local result = { id = id, type = type_name, score = score, scores = raw.named_scores, problems = raw.problems,
    species = raw.species, name = ruleset.name, version = ruleset.version, hash = hash, ruleset = rs,
    disclaimer = M.DISCLAIMER, _labs = raw.labs, _raw = raw,
    fired = nil, not_evaluable = nil, values = nil, findings = nil, sites = nil, notes = nil, alternatives = nil,
    alerts = nil, term_problems = nil, missing = nil, confidence = nil, references = nil }
  return M.finish(result, ruleset, no_references)
end

--- Sets the fields of a result `present` left out (lazy): `fired`,
-- `not_evaluable`, `values`, `findings`, `sites`, `notes`, `alternatives`,
-- `alerts`, `term_problems`, `missing`, `confidence` and (unless
-- no_references) `references`. Once: a result already finished is returned
-- as it is.
-- @tparam table result from `present`
-- @tparam Ruleset ruleset
-- @tparam[opt] boolean no_references as `present`
-- @treturn table the same result
function M.finish(result, ruleset, no_references)
  local raw = rawget(result, "_raw")
  if raw == nil then return result end
  result._raw = nil
  -- the lists the C core leaves to pending:present when the result is lazy
  if raw.pending then raw.pending:present(raw) end
  local c = ruleset.compiled
  local labs, type_name, species = raw.labs, result.type, raw.species
  -- the fired rules (with the values they show of their inputs and why they
  -- fired, rendered by the C engine: src/explain.h) and the rules not
  -- evaluable (with the inputs they miss) are built by the C core from the
  -- plan's per-rule data (calcinosis.engine, `present`)
  local fired = raw.fired
  -- the terms recognized (sorted) and the problems: built by the C core
  local findings, sites = raw.findings, raw.sites
  result.fired = fired
  result.not_evaluable = raw.not_evaluable
  result.values = raw.values -- the known lets by name (built by the C core)
  result.findings = findings
  result.sites = sites
  result.notes = species_notes(raw, c, species)
  result.alternatives = raw.alternatives -- by type, with reasons, conflicts, sources (built by the C core)
  result.alerts = present_alerts(raw, c, type_name, labs)
  result.term_problems = term_problems(raw.problems)
  result.missing = raw.missing -- ranked, with their texts and sources (built by the C core)
  result.confidence = raw.confidence -- with its factors and explanation (built by the C core)
  if #sites == 0 and not has_lesion(findings) then
    result.notes[#result.notes + 1] = "no calcinosis lesion is described (no site, no lesion finding): the " ..
      "classification assumes that calcinosis cutis is present"
  end
  if not no_references then
    result.references = references({ fired, result.alternatives, result.alerts, result.missing },
      ref_cache_of(ruleset))
  end
  return result
end

--- The fields `finish` sets (those a lazy result fills in when first read).
M.LAZY_FIELDS = { fired = true, not_evaluable = true, values = true, findings = true, sites = true,
  notes = true, alternatives = true, alerts = true, term_problems = true, missing = true, confidence = true,
  references = true }

--- Sets `result.references` from the result's fired rules, alternatives,
-- alerts and missing inputs (what `present` does), and returns the result.
-- @tparam table result
-- @tparam[opt] Ruleset ruleset the result's ruleset (its lists are kept with it)
-- @treturn table the result
function M.present_references(result, ruleset)
  result.references = references({ result.fired, result.alternatives, result.alerts, result.missing },
    ref_cache_of(ruleset))
  return result
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

local function treatments_of(t, f, selected_treatments)
  local knowledge = require "calcinosis.knowledge"
  local out = list()
  local seen = {}
  for _, tr in ipairs(selected_treatments) do
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


-- The knowledge entries selected for a type, findings and sites: the same
-- for the same three, so kept (a bounded memo; the entries are copied into
-- each result).
local selected, nselected = {}, 0
local function knowledge_for(t, flist, sites)
  local key = t .. "\0" .. table.concat(flist, ",") .. "\0" .. table.concat(sites, ",")
  local k = selected[key]
  if k then return k end
  local knowledge = require "calcinosis.knowledge"
  k = { workup = knowledge.workup_for(t, flist), referrals = knowledge.referrals_for(t, flist),
    treatments = knowledge.treatments_for(t, flist), prognosis = knowledge.prognosis_for(t, flist, sites) }
  if nselected >= 4096 then selected, nselected = {}, 0 end
  selected[key], nselected = k, nselected + 1
  return k
end

--- Adds what `calcinosis.knowledge` lists for the type and the findings
-- (work-up, referrals, treatment options, prognosis) and the lab table.
-- @tparam table result from `present`
-- @tparam Ruleset ruleset
-- @treturn table the same result
function M.add_knowledge(result, ruleset)
  local knowledge = require "calcinosis.knowledge"
  local label = ruleset.compiled.label
  local t = result.type
  local flist = result.findings
  local fonly = {}
  for _, x in ipairs(flist) do fonly[x] = true end
  local k = knowledge_for(t, flist, result.sites)
  result.workup = plain_list(k.workup, { "id", "test", "reason", "sources" })
  result.referrals = plain_list(k.referrals, { "id", "specialty", "reason", "sources" })
  if t == label then
    result.treatments = list()
    result.treatment_note = "No subtype could be named: no treatment options are listed. " ..
      knowledge.treatment_preamble.text
  else
    result.treatments = treatments_of(t, fonly, k.treatments)
    result.treatment_note = knowledge.treatment_preamble.text
  end
  result.treatment_sources = json_array(copy(knowledge.treatment_preamble.sources))
  result.prognosis = plain_list(k.prognosis, { "id", "text", "sources" })
  result.references = references({ result.fired, result.alternatives, result.alerts, result.missing,
    result.workup, result.referrals, result.treatments, { { sources = result.treatment_sources } },
    result.prognosis }, ref_cache_of(ruleset))
  result.labs = result._labs:table()
  result.lab_status = M.lab_status(result.labs)
  return result
end

return M
