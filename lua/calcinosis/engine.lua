--- The engine: a compiled ruleset turned into a plan of the C core
-- (`calcinosis.core.plan`), which every entry point runs: one patient
-- (`calcinosis.classify`, `ruleset:classify`, `calcinosis.labs`), a cohort
-- file (`calcinosis.cohort.run`, the command line) and record iterators
-- (`calcinosis.cohort.rows`). The patient record is read, derived, flagged
-- and classified in C, once; Lua presents what it computed.
--
-- A plan holds the ruleset's three programs (decision, result, confidence),
-- how their input slots map to the record, the term maps (every synonym and
-- ICD-10-CM code of the vocabulary to the program's term bits, with the
-- terms it implies), the reference ranges, the albumin-correction variant,
-- the output columns and the input format. Plans are built once per
-- ruleset and options and kept with the ruleset (a weak table: no state is
-- shared between rulesets).
--
-- Dependencies: calcinosis.core, calcinosis.vocab, calcinosis.ranges,
-- calcinosis.util.
-- @module calcinosis.engine

local core = require "calcinosis.core"
local ranges = require "calcinosis.ranges"
local util = require "calcinosis.util"
local compat = require "calcinosis.compat"

local M = {}

local SLOT, COL, SPECIES = core.SLOT, core.COL, core.SPECIES

--- Albumin-correction variants by name (and the coefficient aliases of
-- `calcinosis.labs.ca_variants`): the codes of src/derived.h.
M.CA_VARIANT = {}
for k, v in pairs(core.CA_VARIANT) do M.CA_VARIANT[k] = v end
M.CA_VARIANT["0.8"] = core.CA_VARIANT.common
M.CA_VARIANT["1.0"] = core.CA_VARIANT.payne

--- The output columns that are fields of the result (the rest are lets and
-- analytes), as `core.COL` names them.
M.FIELD_COLUMNS = { "id", "type", "score", "fired", "not_evaluable", "problems", "line", "age", "sex",
  "ckd_stage", "confidence", "confidence_value", "alternatives", "alerts", "missing", "ruleset", "version",
  "hash" }

--- Columns written when none are asked for.
M.default_columns = { "id", "type", "score", "fired", "problems" }

local function slot_spec(s)
  local kind, index = SLOT.none, -1
  local k = s.kind
  if k == "value" or k == "flag" then
    index = core.analyte_index(s.name)
    if index then kind = SLOT[k] else index = -1 end
  elseif k == "age" then kind = SLOT.age
  elseif k == "ckd_stage" then kind = SLOT.ckd_stage
  elseif k == "sex" then kind = (s.sex == "M" or s.name == "male") and SLOT.male or SLOT.female
  elseif k == "species" then kind = SLOT[s.name] or SLOT.none
  elseif k == "let" then kind, index = SLOT.let, s.index
  elseif k == "result" then kind, index = SLOT[s.what], s.index or -1
  end
  return { kind = kind, index = index }
end

local function slot_specs(list)
  local out = {}
  for i, s in ipairs(list) do out[i] = slot_spec(s) end
  return out
end

-- The keys of the lexicon (calcinosis.lexicon), made once per process: the
-- word forms of every term, label and synonym, the generated phrases, the
-- neutral phrases and the control keys of the C reader's phrases. The word
-- forms are `keys` (all texts' keys in one list) with, per text, its kind,
-- its term and how many keys it gave (`text_kind`, `text_term`, `counts`):
-- key j belongs to the text whose counts reach j.
local lexicon_keys
local function lexicon_cache(vocab)
  if lexicon_keys then return lexicon_keys end
  local lexicon = require "calcinosis.lexicon"
  local control = lexicon.control_keys(vocab.key)
  local names = util.sorted_keys(vocab.terms)
  local generated = lexicon.generated()
  -- every text of every term, and whose it is (kind, term), then their
  -- keys in one call
  local texts, text_kind, text_term, n = {}, {}, {}, 0
  for _, term in ipairs(names) do
    local e = vocab.terms[term]
    local kind = vocab.kind(term) == "site" and "site" or "finding"
    local function add(t)
      if type(t) == "string" and t ~= "" then
        n = n + 1
        texts[n], text_kind[n], text_term[n] = t, kind, term
      end
    end
    add(term)
    add(e.label)
    local syn = e.synonyms
    if syn then for i = 1, #syn do add(syn[i]) end end
    local gen = generated[term]
    if gen then for i = 1, #gen do add(gen[i]) end end
  end
  local keys, counts = lexicon.keys_of_list(texts)
  local neutral = lexicon.keys_of_list(lexicon.neutral)
  lexicon_keys = { keys = keys, counts = counts, text_kind = text_kind, text_term = text_term,
    neutral = neutral, control = control }
  return lexicon_keys
end

-- term maps: text key -> list of program term bits (the term and the terms
-- it implies), for every term, label, synonym and ICD-10-CM code, then the
-- lexicon's word forms, neutral phrases (no bits) and control keys
local function term_maps(compiled)
  local vocab = require "calcinosis.vocab"
  local ids = compiled.term_ids
  local maps = { finding = {}, site = {} }
  local implies, term_key, vocab_key = vocab.implies, core.term_key, vocab.key
  local function bits_for(kind, term)
    local list, seen = {}, {}
    if not implies[term] then -- (most terms: the term alone)
      list[1] = ids[kind .. ":" .. term]
      return list
    end
    for _, t in ipairs(vocab.expand({ term })) do
      local id = ids[kind .. ":" .. t]
      if id and not seen[id] then seen[id] = true; list[#list + 1] = id end
    end
    return list
  end
  for key in pairs(ids) do
    local kind, term = key:match("^(%a+):(.*)$")
    if maps[kind] then maps[kind][term_key(term)] = bits_for(kind, term) end
  end
  -- the terms in sorted order, each term's own name first for all of them,
  -- then labels, synonyms and codes: where two terms give the same key
  -- (ICD-10-CM E24.2, drug-induced Cushing syndrome: cushing and
  -- glucocorticoid_therapy) the first has it, every run, as in
  -- calcinosis.vocab's index (normalize, icd_lookup); in hash order
  -- the term differed from one process to the next
  local sorted = util.sorted_keys(vocab.terms)
  local term_bits = { finding = {}, site = {} }
  local term_kind = {}
  local into, bits
  local function add(s)
    if type(s) ~= "string" or s == "" then return end
    local k = term_key(s)
    if k ~= "" and into[k] == nil then into[k] = bits end
    k = vocab_key(s)
    if k ~= "" and into[k] == nil then into[k] = bits end
  end
  for _, term in ipairs(sorted) do
    local kind = vocab.kind(term) == "site" and "site" or "finding"
    term_kind[term] = kind
    bits = bits_for(kind, term)
    term_bits[kind][term] = bits
    into = maps[kind]
    add(term)
  end
  for _, term in ipairs(sorted) do
    local e, kind = vocab.terms[term], term_kind[term]
    into, bits = maps[kind], term_bits[kind][term]
    add(e.label)
    for _, syn in ipairs(e.synonyms or {}) do add(syn) end
    if kind == "finding" then
      for _, list in ipairs { e.icd10cm or {}, e.icd_prefix or {} } do
        for _, code in ipairs(list) do
          add(code)
          add((code:gsub("%.", "")))
        end
      end
      for _, code in ipairs(e.snomed or {}) do add("snomed:" .. code) end -- as the FHIR reader writes them
    end
  end
  local lex = lexicon_cache(vocab)
  do -- each text's keys, the text's term bits (a key already there keeps its own)
    local keys, counts, text_kind, text_term, j = lex.keys, lex.counts, lex.text_kind, lex.text_term, 0
    for i = 1, #counts do
      local kind = text_kind[i]
      local m, b = maps[kind], term_bits[kind][text_term[i]]
      for _ = 1, counts[i] do
        j = j + 1
        local k = keys[j]
        if m[k] == nil then m[k] = b end
      end
    end
  end
  local none = {}
  for _, kind in ipairs { "finding", "site" } do
    local m = maps[kind]
    for _, k in ipairs(lex.neutral) do if m[k] == nil then m[k] = none end end
    for _, k in ipairs(lex.control) do m[k] = none end
  end
  -- terms whose association the vocabulary sources for other species only
  -- (Cushing's: dogs, seed:002) are not used for the other species
  local clear = { {}, {}, {} }
  for key, id in pairs(ids) do
    local e = vocab.terms[key:match(":(.*)$")]
    if e and e.species then
      local ok = {}
      for _, sp in ipairs(e.species) do ok[sp] = true end
      for name, code in pairs(SPECIES) do
        if not ok[name] then table.insert(clear[code + 1], id) end
      end
    end
  end
  for _, list in ipairs(clear) do table.sort(list) end -- (a set: in one order every run)
  -- ambiguous abbreviations name their candidates; canonical terms are the
  -- names "did you mean" suggests
  local notes, names = { finding = {}, site = {} }, { finding = {}, site = {} }
  for key, cands in pairs(vocab.ambiguous or {}) do
    local q = {}
    for i, t in ipairs(cands) do q[i] = "'" .. t .. "'" end
    local text = "could be " .. (#q > 1 and (table.concat(q, ", ", 1, #q - 1) .. " or " .. q[#q]) or q[1])
      .. "; give the full term"
    local kinds = {}
    for _, t in ipairs(cands) do kinds[vocab.kind(t) == "site" and "site" or "finding"] = true end
    for kind in pairs(kinds) do notes[kind][core.term_key(key)] = text end
  end
  for term in pairs(vocab.terms) do
    local kind = vocab.kind(term) == "site" and "site" or "finding"
    names[kind][#names[kind] + 1] = term
  end
  table.sort(names.finding)
  table.sort(names.site)
  return maps.finding, maps.site, clear, notes, names
end

local SEXES = { F = 1, M = 2 }

local range_cache = setmetatable({}, { __mode = "k" })

--- Variants of albumin-corrected calcium (docs/clinical-reference.md §5.1 [S40]): the
-- formulas as the result shows them (computed by src/derived.c); the same
-- table as `calcinosis.labs.ca_variants`.
M.ca_variants = {
  common = { key = "common", formula = "Ca + 0.8 x (4.0 - albumin) [mg/dL, g/dL]",
    note = "common clinical form, attributed to Payne by secondary sources [S40]" },
  payne = { key = "payne", formula = "Ca - albumin + 4.0 [mg/dL, g/dL]",
    note = "Payne 1973 abstract as printed, coefficient 1.0 [S40]" },
  si = { key = "si", formula = "Ca + 0.02 x (40 - albumin) [mmol/L, g/L]",
    note = "common SI form [S40]" },
}
M.ca_variants["0.8"] = M.ca_variants.common
M.ca_variants["1.0"] = M.ca_variants.payne

--- The eGFR methods by the C core's code (1 reported, 2 CKD-EPI 2021, 3
-- bedside Schwartz), with their sources; the same table as
-- `calcinosis.labs.egfr_methods`.
M.egfr_methods = { [1] = "reported", [2] = "CKD-EPI 2021 creatinine [S41]", [3] = "bedside Schwartz [S42]" }

-- a range entry's limits in the canonical unit of the analyte (converted
-- once per entry and analyte: entries are data), as the lab table shows them
local limits_cache = setmetatable({}, { __mode = "k" })
local function canonical_range(entry, a)
  local by = limits_cache[entry]
  if not by then by = {}; limits_cache[entry] = by end
  local lim = by[a.name]
  if not lim then
    lim = {}
    for _, k in ipairs { "low", "high" } do
      local v = entry[k]
      if v and entry.unit and entry.unit ~= a.unit then v = core.convert(v, entry.unit, a.unit, a.name) end
      lim[k] = v
    end
    by[a.name] = lim
  end
  return { source = entry.source, unit = a.unit, inclusive = entry.inclusive, low = lim.low, high = lim.high }
end

--- Range entries in canonical units, as the C record logic reads them, and
-- for each the entry of `list` it comes from (cached per list: a list is
-- data; pass another list rather than edit one in place).
-- @tparam table list reference ranges (`calcinosis.ranges` entries)
-- @treturn table entries
-- @treturn table origin: for each entry, the entry of `list` it comes from
-- @treturn table shown: for each entry, the range as the lab table shows it
--   (`{ low, high, unit, inclusive, source }` in the analyte's canonical unit;
--   the C core copies it into each lab table)
local function range_entries(list)
  local hit = range_cache[list]
  if hit and hit.n == #list then return hit.out, hit.origin, hit.shown end
  local out, origin, shown = {}, {}, {}
  local function add(e, analyte)
    local a = core.analyte(analyte)
    local idx = core.analyte_index(analyte)
    if not a or not idx then return end
    local r = { analyte = idx, species = SPECIES[e.species or "human"] or 0, sex = SEXES[e.sex] or 0,
      age_min = e.age_min, age_max = e.age_max, inclusive = e.inclusive or nil }
    for _, k in ipairs { "low", "high" } do
      if e[k] then
        r[k] = (e.unit and e.unit ~= a.unit) and core.convert(e[k], e.unit, a.unit, a.name) or e[k]
      end
    end
    out[#out + 1] = r
    origin[#out] = e
    shown[#out] = canonical_range(e, a)
  end
  for _, e in ipairs(list) do add(e, e.analyte) end
  -- derived values flagged against another analyte's ranges (corrected
  -- calcium against calcium), after the analyte's own entries
  local derived_names = {}
  for derived in pairs(ranges.same_as) do derived_names[#derived_names + 1] = derived end
  table.sort(derived_names)
  for _, derived in ipairs(derived_names) do
    for _, e in ipairs(list) do
      if e.analyte == ranges.same_as[derived] then add(e, derived) end
    end
  end
  range_cache[list] = { n = #list, out = out, origin = origin, shown = shown }
  return out, origin, shown
end
M.range_entries = range_entries

local function column_list(columns)
  if type(columns) == "string" then
    local list = {}
    for c in columns:gmatch("[^,]+") do list[#list + 1] = c:match("^%s*(.-)%s*$") end
    columns = list
  end
  return columns or {}
end

--- Parses a column list ("id,type,ca_corr:%.2f") against a compiled ruleset.
-- A name that is no result column but a column of the input (`input`, the
-- input's header names) passes that column through as read; so do the
-- names of `keep`, always.
-- @tparam table compiled `ruleset.compiled`
-- @param columns a list or a comma-separated string
-- @tparam[opt] table input the input's column names (a list); `false` when
--   they are not known (standard input): an unknown name is then taken as
--   an input column, which the C run checks against the header
-- @param[opt] keep input columns to add after `columns` (a list or "a,b")
-- @treturn table|nil list of `{ kind, index, decimals, name }`
-- @treturn[2] string message naming the unknown column, with "did you mean"
--   over the result columns and the input's header
function M.columns(compiled, columns, input, keep)
  columns = column_list(columns)
  local in_input = {}
  for _, n in ipairs(input or {}) do in_input[n] = true end
  local function input_suggestion(name)
    local s = util.suggest(name, input or {})
    return s and (" (did you mean '%s'?)"):format(s) or ""
  end
  local lets = {}
  for i, l in ipairs(compiled.lets) do lets[l.name] = i - 1 end
  local out = {}
  for _, spec in ipairs(columns) do
    local name, fmt = spec:match("^([^:]+):(.*)$")
    name = name or spec
    local decimals = -1
    if fmt then
      local d = fmt:match("^%%%.(%d+)f$") or fmt:match("^%.?(%d+)$")
      if not d then
        return nil, ("column '%s': format '%s' is not like %%.2f"):format(spec, fmt)
      end
      decimals = tonumber(d)
      if decimals > 20 then
        return nil, ("column '%s': at most 20 decimals"):format(spec)
      end
    end
    local col = { name = name, decimals = decimals }
    if COL[name] and name ~= "value" and name ~= "let" then
      col.kind = COL[name]
    elseif lets[name] then
      col.kind, col.index = COL.let, lets[name]
    elseif core.analyte_index(name) then
      col.kind, col.index = COL.value, core.analyte_index(name)
    elseif name:match("^(.+)_date$") and core.analyte_index(name:match("^(.+)_date$")) then
      col.kind, col.index = COL.date, core.analyte_index(name:match("^(.+)_date$")) -- YYYY-MM-DD
    elseif in_input[name] or input == false then
      col.kind, col.index, col.decimals = COL.input, 0, -1
    else
      local known = {}
      for _, n in ipairs(M.FIELD_COLUMNS) do known[#known + 1] = n end
      for n in pairs(lets) do known[#known + 1] = n end
      for _, a in ipairs(core.analytes()) do known[#known + 1] = a end
      for _, n in ipairs(input or {}) do known[#known + 1] = n end
      table.sort(known)
      local s = util.suggest(name, known)
      return nil, ("unknown column '%s'%s"):format(name, s and (" (did you mean '%s'?)"):format(s) or "")
    end
    out[#out + 1] = col
  end
  for _, name in ipairs(column_list(keep)) do
    if input and not in_input[name] then
      return nil, ("--keep: column '%s' is not in the input's header%s"):format(name, input_suggestion(name))
    end
    out[#out + 1] = { name = name, kind = COL.input, index = 0, decimals = -1 }
  end
  return out
end

--- The source keys of a source text ("S1, S2; S3" -> { "S1", "S2", "S3" }),
-- as results list them (a new list).
-- @tparam string|nil text
-- @treturn table
function M.source_keys(text)
  local keys = {}
  for k in tostring(text or ""):gmatch("[^%s,;]+") do keys[#keys + 1] = k end
  return keys
end

-- What the C core presents a single patient's fired rules, rules not
-- evaluable and missing inputs with (see `calcinosis.result`): per rule,
-- the constant fields of its entries, the inputs a fired rule shows and the
-- input slots whose absence makes it not evaluable; per `ask`, its id,
-- text (and the text without its "name: " prefix), source keys, inputs and
-- the subtype it may change; per `alternative`, its reasons, conflict
-- and source keys; the names of the subtypes and lets, the
-- indeterminate label, the confidence factors' texts, the term of each
-- term bit, and the ruleset's explainer (why a fired rule fired: its
-- operand programs and templates, src/explain.h). Built once per compiled
-- ruleset.
-- the fields of t as a list: key, value, key, value ... (in next's order)
local function flat_fields(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = k; out[#out + 1] = v end
  return out
end

local function present_spec(c, explainer)
  local rules, asks = {}, {}
  for i, r in ipairs(c.rules) do
    local slots, names = {}, {}
    for k, sl in ipairs(r.missing_slots or {}) do slots[k], names[k] = sl[1], sl[2] end
    local fired = { id = r.id, subtype = r.supports, weight = r.weight, because = r.because, sentence = r.because,
      source = r.source }
    local not_evaluable = { id = r.id, subtype = r.supports, weight = r.weight }
    rules[i] = {
      fired = fired, not_evaluable = not_evaluable,
      -- the same fields as a flat list (key, value, ...: the C core copies
      -- them into each entry without lua_next), in the order next gives them
      fired_kv = flat_fields(fired), not_evaluable_kv = flat_fields(not_evaluable),
      inputs = r.inputs or {}, slots = slots, names = names,
    }
  end
  for d, x in ipairs(c.result.asks) do
    asks[d] = { id = x.id, text = x.text, rest = (x.text:gsub("^[^:]*: ", "")), sources = M.source_keys(x.source),
      inputs = x.inputs or {}, changes = (x.priority > 1 and x.changes) or nil }
  end
  local alternatives = {}
  for d, x in ipairs(c.result.alternatives) do
    alternatives[d] = { reasons = x.reasons or {}, reason = x.reason, conflict = x.conflict or x.id,
      sources = M.source_keys(x.source) }
  end
  local lets, confidence = {}, {}
  for i, l in ipairs(c.lets) do lets[i] = l.name end
  for d, x in ipairs(c.result.confidence) do confidence[d] = { id = x.id, factor = x.factor, because = x.because } end
  -- the vocabulary term of each term bit (by bit + 1): sites, the others
  local term_sites, term_findings = {}, {}
  for key, id in pairs(c.term_ids) do
    local kind, term = key:match("^(%a+):(.*)$")
    if kind == "site" then term_sites[id + 1] = term elseif kind then term_findings[id + 1] = term end
  end
  return { rules = rules, asks = asks, subtypes = c.subtypes, label = c.label, lets = lets, confidence = confidence,
    term_sites = term_sites, term_findings = term_findings, alternatives = alternatives, explainer = explainer }
end

-- what a compiled ruleset gives every plan (built once per ruleset)
local base_cache = setmetatable({}, { __mode = "k" })

local function base_of(ruleset)
  local b = base_cache[ruleset]
  if b then return b end
  local c = ruleset.compiled
  local findings, sites, clear, notes, names = term_maps(c)
  local rule_ids = {}
  for i, r in ipairs(c.rules) do rule_ids[i] = r.id end
  local res = c.result
  local alt_labels, alert_rank, alert_ids, ask_ids, ask_priority, ask_weight, ask_rules, conf_factor =
    {}, {}, {}, {}, {}, {}, {}, {}
  for i, x in ipairs(res.alternatives) do alt_labels[i] = x.label_index end
  for i, x in ipairs(res.alerts) do alert_rank[i], alert_ids[i] = x.rank, x.id end
  for i, x in ipairs(res.asks) do
    ask_ids[i], ask_priority[i], ask_weight[i], ask_rules[i] = x.id, x.priority, x.weight, x.rules
  end
  for i, x in ipairs(res.confidence) do conf_factor[i] = x.factor end
  b = {
    program = ruleset.program, result_program = ruleset.result_program,
    confidence_program = ruleset.confidence_program,
    slots = slot_specs(c.slots), post_slots = slot_specs(res.slots),
    findings = findings, sites = sites, species_clear = clear, term_words_all = c.term_words_all,
    finding_notes = notes.finding, site_notes = notes.site, finding_names = names.finding, site_names = names.site,
    rule_ids = rule_ids, type_names = c.subtypes, indeterminate = c.label,
    present = present_spec(c, ruleset.explainer),
    result = {
      alt_labels = alt_labels, alert_rank = alert_rank, alert_ids = alert_ids, ask_ids = ask_ids,
      ask_priority = ask_priority, ask_weight = ask_weight, ask_rules = ask_rules, conf_factor = conf_factor,
      level_high = res.levels.high, level_moderate = res.levels.moderate,
      indeterminate_alternatives = res.indeterminate_alternatives,
    },
  }
  base_cache[ruleset] = b
  return b
end

local PLAN_OPTIONS = { columns = true, format = true, header = true, strict = true, delimiter = true,
  input_format = true, ca_coefficient = true, kdigo_rounding = true, ranges = true, critical = true,
  index_date = true, window = true, na = true, decimal_comma = true, map = true, units = true, keep = true,
  input_columns = true, rule_counts = true }

--- The missing-value codes a cell may hold when none are given (`na`):
-- the C record logic's set (`core.na_default`). An empty cell is always
-- missing; the ARFF path adds `?`.
M.NA_DEFAULT = core.na_default()

--- Parses a column mapping: `"sc=creatinine,bu=urea"`, or a table
-- `{ sc = "creatinine" }`; each target must be a column the reader knows
-- (an analyte, alias or LOINC code with an optional unit, "creatinine
-- [mg/dL]", or id, age, sex, ...).
-- @param map string or table
-- @treturn table|nil `{ from = {...}, to = {...} }`, sorted by source name
-- @treturn[2] string message naming the entry, with "did you mean"
function M.parse_map(map)
  local pairs_ = {}
  if type(map) == "string" then
    for item in map:gmatch("[^,]+") do
      local k, v = item:match("^%s*(.-)%s*=%s*(.-)%s*$")
      if not k or k == "" or v == "" then
        return nil, ("map: expected NAME=COLUMN, got '%s'"):format(item)
      end
      pairs_[#pairs_ + 1] = { k, v }
    end
  elseif type(map) == "table" then
    for k, v in pairs(map) do
      if type(k) ~= "string" or type(v) ~= "string" then return nil, "map: expected { NAME = COLUMN, ... }" end
      pairs_[#pairs_ + 1] = { k, v }
    end
  else
    return nil, "map: expected NAME=COLUMN,... or a table"
  end
  table.sort(pairs_, function(a, b) return a[1] < b[1] end)
  local out = { from = {}, to = {} }
  for i, p in ipairs(pairs_) do
    if not core.column_role(p[2]) then
      local s = util.suggest(core.term_key((p[2]:gsub("%s*[%[%(].*$", ""))), core.column_names())
      return nil, ("map: %s=%s: '%s' is not a column the reader knows%s"):format(p[1], p[2], p[2],
        s and (" (did you mean '%s'?)"):format(s) or "")
    end
    out.from[i], out.to[i] = p[1], p[2]
  end
  return out
end

--- Output units of the lab and derived value columns: `conventional`
-- (each analyte's canonical unit) or `si`; with either, the unit is in the
-- column's header (`calcium [mg/dL]`).
M.UNITS = { conventional = true, si = true }

-- value columns in the unit asked for, their unit in the header
local function columns_in_units(columns, units)
  for _, col in ipairs(columns) do
    if col.kind == COL.value then
      local a = core.analyte(col.name)
      local unit = units == "si" and a.si_unit or a.unit
      if unit and unit ~= a.unit then
        local f = core.convert(1, a.unit, unit, a.name)
        if f then col.scale = f else unit = a.unit end -- (a unit the C logic cannot convert to: kept)
      end
      if unit then col.name = ("%s [%s]"):format(col.name, unit) end
    end
  end
  return columns
end

--- Builds a plan of the C core for a ruleset (checked once; reuse it).
-- @tparam Ruleset ruleset a compiled ruleset (`calcinosis.rules`)
-- @tparam[opt] table opts `columns` (list or "a,b"), `format` ("csv" |
--   "ndjson"), `header`, `strict`, `delimiter`, `input_format` ("csv" |
--   "long" | "ndjson" | "fhir" | "arff"), `index_date` (the date lab values are
--   chosen nearest to and ages computed at; default: the latest), `window`
--   (values farther from it are not used: "365d", "52w", "12mo", "2y"),
--   `ca_coefficient` ("common" | "payne" | "si"),
--   `kdigo_rounding`, `ranges` / `critical` (lists of range entries,
--   default `calcinosis.ranges`'), `na` (the missing-value codes, default
--   `NA_DEFAULT`), `decimal_comma`, `map` (see `parse_map`), `units`
--   ("conventional" | "si": value columns in those units, the unit in the
--   header), `keep` (input columns to pass through,
--   after `columns`), `input_columns` (the input's header names, for
--   passing input columns through; `false`: not known), `rule_counts`
--   (count per rule the records it fired for and could not evaluate:
--   the run's stats get `rule_fired` and `rule_unevaluable`); an unknown
--   option is an error. The plan's `ruleset`, `version` and `hash` columns
--   are the ruleset's name and version and `hash(ruleset, opts)`.
-- @treturn userdata|nil the plan
-- @treturn[2] string message
function M.plan(ruleset, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not PLAN_OPTIONS[k] then
      local names = {}
      for n in pairs(PLAN_OPTIONS) do names[#names + 1] = n end
      table.sort(names)
      local s = util.suggest(tostring(k), names)
      return nil, ("unknown option '%s'%s"):format(tostring(k), s and (" (did you mean '%s'?)"):format(s) or "")
    end
  end
  local b = base_of(ruleset)
  local input = opts.input_columns
  if input ~= nil and input ~= false and type(input) ~= "table" then
    return nil, "input_columns must be a list of names or false"
  end
  local columns, err = M.columns(ruleset.compiled, opts.columns or M.default_columns, input, opts.keep)
  if not columns then return nil, err end
  if opts.units ~= nil then
    if not M.UNITS[opts.units] then
      return nil, ("unknown units '%s' (conventional or si)"):format(tostring(opts.units))
    end
    columns = columns_in_units(columns, opts.units)
  end
  local na
  if opts.na ~= nil then
    if type(opts.na) ~= "table" then return nil, "na must be a list of strings" end
    na = {}
    for i, v in ipairs(opts.na) do
      if type(v) ~= "string" then return nil, ("na[%d] must be a string"):format(i) end
      na[i] = v
    end
  end
  if opts.input_format == "arff" then
    na = na or { compat.unpack(M.NA_DEFAULT) }
    na[#na + 1] = "?"
  end
  local map
  if opts.map ~= nil then
    map, err = M.parse_map(opts.map)
    if not map then return nil, err end
  end
  local ca_variant = M.CA_VARIANT[tostring(opts.ca_coefficient or "common")]
  if not ca_variant then
    return nil, ("unknown ca_coefficient '%s' (common, payne or si)"):format(tostring(opts.ca_coefficient))
  end
  -- the hash only when a column shows it (its vocabulary digest is most of
  -- a command's start-up otherwise)
  local hash
  for _, c in ipairs(columns) do
    if c.kind == core.COL.hash then hash = M.hash(ruleset, opts); break end
  end
  local spec = {}
  for k, v in pairs(b) do spec[k] = v end
  local range_list, _, shown_ranges = range_entries(opts.ranges or ranges.reference)
  local critical_list, _, shown_critical = range_entries(opts.critical or ranges.critical)
  spec.ranges, spec.critical = range_list, critical_list
  -- what the C core needs to build the lab table (calcinosis.labs): the
  -- ranges as shown, the albumin-correction formula, the eGFR methods
  local variant = M.ca_variants[tostring(opts.ca_coefficient or "common")]
  spec.labs_display = { ranges = shown_ranges, critical = shown_critical, list_mt = util.array, fmt = util.fmt,
    egfr_methods = M.egfr_methods, ca_formula = variant.formula, ca_key = variant.key }
  spec.ca_variant = ca_variant
  spec.kdigo_round = opts.kdigo_rounding and true or false
  spec.columns = columns
  spec.format = opts.format or "csv"
  spec.header = opts.header ~= false
  spec.strict = opts.strict and true or false
  spec.delimiter = opts.delimiter or ","
  spec.input_format = opts.input_format or "csv"
  if opts.index_date ~= nil then
    local d, e = core.date(tostring(opts.index_date))
    if not d then return nil, "index_date: " .. e end
    spec.index_date = d
  end
  if opts.window ~= nil then
    local w, e = core.window(tostring(opts.window))
    if not w then return nil, "window: " .. e end
    spec.window = tostring(opts.window)
  end
  spec.na = na
  spec.decimal_comma = opts.decimal_comma and true or false
  if map then spec.map_from, spec.map_to = map.from, map.to end
  spec.ruleset_name = tostring(ruleset.name or "")
  spec.ruleset_version = tostring(ruleset.version or "")
  spec.hash = hash
  spec.rule_counts = opts.rule_counts and true or false
  return core.plan(spec)
end

-- ---------------------------------------------------------------------------
-- The hash of a result's configuration
--
-- One function (`M.hash`) over one canonical serialisation (`canon`): plain
-- data written with sorted keys, strings length-prefixed, numbers as %.17g,
-- so that the same configuration gives the same bytes in every process.

local function canon(v, out)
  local t = type(v)
  if t == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      local ta, tb = type(a), type(b)
      if ta ~= tb then return ta < tb end
      return a < b
    end)
    out[#out + 1] = "{"
    for _, k in ipairs(keys) do
      if type(v[k]) ~= "function" then
        canon(k, out)
        out[#out + 1] = "="
        canon(v[k], out)
      end
    end
    out[#out + 1] = "}"
  elseif t == "string" then
    out[#out + 1] = ("s%d:"):format(#v)
    out[#out + 1] = v
  elseif t == "number" then
    -- (one spelling for 1 and 1.0: Lua 5.1 and LuaJIT have no integer subtype,
    -- and the hash is the same on every host)
    out[#out + 1] = ("n%.17g;"):format(v)
  elseif t == "boolean" then
    out[#out + 1] = v and "T" or "F"
  else
    out[#out + 1] = "_"
  end
  return out
end

--- The canonical serialisation `hash` is computed over (plain data, sorted
-- keys, length-prefixed strings, numbers as %.17g).
-- @param v plain data
-- @treturn string
function M.canonical(v) return table.concat(canon(v, {})) end

-- the vocabulary and lexicon the term maps are built from (per process)
local vocabulary_text
local function vocabulary_canon()
  if vocabulary_text then return vocabulary_text end
  local vocab = require "calcinosis.vocab"
  local lex = lexicon_cache(vocab)
  -- the lexicon's lists of strings (in their deterministic order), joined
  local forms, keys, j = {}, lex.keys, 0
  for i, c in ipairs(lex.counts) do
    local owner = lex.text_kind[i] .. "\1" .. lex.text_term[i] .. "\1"
    for _ = 1, c do j = j + 1; forms[j] = owner .. keys[j] end
  end
  -- (its digest: every ruleset's hash reads it, a sweep's at each value)
  vocabulary_text = core.hash(M.canonical { terms = vocab.terms, implies = vocab.implies, ambiguous = vocab.ambiguous,
    groups = vocab.groups, forms = table.concat(forms, "\0"), neutral = table.concat(lex.neutral, "\0"),
    control = table.concat(lex.control, "\0") })
  return vocabulary_text
end

local function ranges_canon(list)
  local out = {}
  for i, r in ipairs(range_entries(list)) do
    out[i] = { r.analyte, r.species, r.sex, r.age_min or "-", r.age_max or "-", r.inclusive or false,
      r.low or "-", r.high or "-" }
  end
  return out
end

local hash_cache = setmetatable({}, { __mode = "k" })

-- The reading options of a plan that change a result, as one canonical
-- text ("" with the defaults): `na` (in order), `decimal_comma`, `map`
-- (sorted by source name), `index_date`, `window`, `input_format` when it
-- is ARFF (which adds "?" to the missing-value codes).
local function reading_canon(opts)
  local parts = {}
  if opts.na ~= nil and type(opts.na) == "table" then
    local t = {}
    for i, v in ipairs(opts.na) do t[i] = tostring(v) end
    parts[#parts + 1] = "na=" .. table.concat(t, "\1")
  end
  if opts.decimal_comma then parts[#parts + 1] = "decimal_comma" end
  if opts.map ~= nil then
    local m = M.parse_map(opts.map)
    if m then
      local t = {}
      for i, f in ipairs(m.from) do t[i] = f .. "=" .. m.to[i] end
      parts[#parts + 1] = "map=" .. table.concat(t, "\1")
    end
  end
  if opts.index_date ~= nil then parts[#parts + 1] = "index_date=" .. tostring(opts.index_date) end
  if opts.window ~= nil then parts[#parts + 1] = "window=" .. tostring(opts.window) end
  if opts.input_format == "arff" then parts[#parts + 1] = "arff" end
  return table.concat(parts, "\0")
end

--- The hash of everything that changes a result: the ruleset's three
-- programs (rules, params, lets, sets, result declarations and their
-- metadata), the term ids it names, the vocabulary and lexicon its terms are
-- read with (every term, synonym, ICD-10-CM code, implication and word
-- form), and the options of the run: the albumin-correction coefficient,
-- the KDIGO rounding and the reference and critical ranges (in canonical
-- units, in order). Output formatting (columns, decimals, CSV or NDJSON)
-- does not change a result and is not in it. 16 hex digits (FNV-1a 64 of
-- the canonical serialisation, `canonical`); the same options give the same
-- hash in every process. `ruleset.hash` is this hash with the default
-- options.
-- @tparam table ruleset a compiled ruleset (its `compiled` field is read)
-- @tparam[opt] table opts `ca_coefficient`, `kdigo_rounding`, `ranges`,
--   `critical` (as `plan`; other keys are ignored)
-- @treturn string|nil the hash
-- @treturn[2] string message (an unknown `ca_coefficient`)
function M.hash(ruleset, opts)
  opts = opts or {}
  local c = ruleset.compiled
  local ca = M.CA_VARIANT[tostring(opts.ca_coefficient or "common")]
  if not ca then
    return nil, ("unknown ca_coefficient '%s' (common, payne or si)"):format(tostring(opts.ca_coefficient))
  end
  local by = hash_cache[c]
  if not by then by = {}; hash_cache[c] = by end
  -- how records are read changes what the rules see: the missing-value
  -- codes, decimal commas, a column mapping, the index date and window
  local reading = reading_canon(opts)
  local key = table.concat({ tostring(ca), tostring(opts.kdigo_rounding and true or false),
    tostring(opts.ranges or "-"), tostring(opts.critical or "-"), reading }, "\0")
  if by[key] then return by[key] end
  local t = {
    "calcinosis result hash 1",
    programs = { c.bytes, c.result.bytes, c.result.conf_bytes },
    term_ids = c.term_ids, term_words_all = c.term_words_all,
    vocabulary = vocabulary_canon(),
    ca_variant = ca, kdigo_rounding = opts.kdigo_rounding and true or false,
    ranges = ranges_canon(opts.ranges or ranges.reference),
    critical = ranges_canon(opts.critical or ranges.critical),
  }
  -- (absent with the default reading, so that the default hash stays what it was)
  if reading ~= "" then t.reading = reading end
  local text = M.canonical(t)
  local h = core.hash(text)
  by[key] = h
  return h
end

-- plans for one patient at a time, per ruleset and labs options
local one_cache = setmetatable({}, { __mode = "k" })

local function options_key(o)
  return table.concat({ tostring(o.ca_coefficient or "common"), tostring(o.kdigo_rounding and true or false),
    tostring(o.ranges or "-"), tostring(o.critical or "-") }, "\0")
end

--- The plan a ruleset classifies single patients with, for these options
-- (`ca_coefficient`, `kdigo_rounding`, `ranges`, `critical`; others are
-- ignored here), built once.
-- @treturn userdata plan (raises on a bad option: a programmer error)
function M.for_patients(ruleset, options)
  local by = one_cache[ruleset]
  if not by then by = {}; one_cache[ruleset] = by end
  -- (no options: the plan of the defaults, without making its key)
  if options == nil and by[true] then return by[true] end
  options = options or {}
  local key = options_key(options)
  local p = by[key]
  if p then return p end
  local err
  p, err = M.plan(ruleset, { ca_coefficient = options.ca_coefficient, kdigo_rounding = options.kdigo_rounding,
    ranges = options.ranges, critical = options.critical })
  if not p then error(err, 3) end
  by[key] = p
  if key == options_key({}) then by[true] = p end
  return p
end

-- the ruleset of `calcinosis.labs`: no rules, only the record logic
local labs_ruleset

local function labs_only()
  if labs_ruleset then return labs_ruleset end
  local compiler = require "calcinosis.rules.compiler"
  local c = compiler.compile { name = "labs", version = "1", subtypes = { "none" }, decls = {} }
  labs_ruleset = {
    compiled = c,
    program = assert(core.vm_load(c.bytes)),
    result_program = assert(core.vm_load(c.result.bytes)),
    confidence_program = assert(core.vm_load(c.result.conf_bytes)),
  }
  return labs_ruleset
end

--- The lab table of one patient, as the C core builds it from the record
-- it read (what `calcinosis.labs` returns; see there for its fields).
-- @tparam table patient
-- @tparam[opt] table options as `for_patients`
-- @treturn table the lab table
function M.labs(patient, options)
  return M.for_patients(labs_only(), options):labs(patient)
end

return M
