--- Validation of classifications against reference labels (chart review,
-- the authors' label of a case report): the confusion matrix, per subtype
-- sensitivity, specificity, PPV, NPV and F1 with Wilson 95% intervals,
-- overall accuracy with its interval, Cohen's kappa with its standard error
-- and interval, macro-F1, the patients the ruleset got wrong with the rules
-- that fired, and McNemar's test between rulesets.
--
-- How labels are counted (stated in every output):
--
-- * reference labels accept the subtype names and their synonyms
--   ("dystrophic calcinosis cutis", "calcific uremic arteriolopathy", "CUA",
--   "tumoral calcinosis" is not a subtype and is refused); a label that names
--   no subtype is counted as unknown;
-- * a record with no reference label (empty, or a missing-value word) or an
--   unknown one is left out of every statistic, and counted;
-- * a result `indeterminate` (the ruleset's label) is a prediction like any
--   other: wrong when the reference names a subtype; a reference label
--   `indeterminate` is allowed and is right only for an indeterminate result.
--
-- Statistics: a proportion's 95% interval is Wilson's score interval (z =
-- 1.959964); kappa = (po - pe) / (1 - pe) with the large-sample standard
-- error sqrt(po (1 - po) / (n (1 - pe)^2)) (Cohen 1960) and the interval
-- kappa +- z SE; macro-F1 is the mean F1 over the labels that occur in the
-- reference or the predictions; McNemar's test uses the pairs where exactly
-- one ruleset is right (b, c): exact two-sided binomial p when b + c < 25,
-- else the chi-square with continuity correction, (|b - c| - 1)^2 / (b + c),
-- 1 degree of freedom.
--
-- Dependencies: none.
-- @module calcinosis.validate

local M = {}

local Z = 1.959963984540054

--- The subtypes' synonyms, by normalized label text.
M.synonyms = {
  calciphylaxis = "calciphylaxis", calcific_uremic_arteriolopathy = "calciphylaxis",
  calcific_uraemic_arteriolopathy = "calciphylaxis", cua = "calciphylaxis",
  uremic_calciphylaxis = "calciphylaxis", uraemic_calciphylaxis = "calciphylaxis",
  nonuremic_calciphylaxis = "calciphylaxis", non_uremic_calciphylaxis = "calciphylaxis",
  non_uraemic_calciphylaxis = "calciphylaxis",
  dystrophic = "dystrophic", dystrophic_calcinosis = "dystrophic", dystrophic_calcinosis_cutis = "dystrophic",
  dystrophic_calcification = "dystrophic",
  metastatic = "metastatic", metastatic_calcinosis = "metastatic", metastatic_calcinosis_cutis = "metastatic",
  metastatic_calcification = "metastatic",
  idiopathic = "idiopathic", idiopathic_calcinosis = "idiopathic", idiopathic_calcinosis_cutis = "idiopathic",
  iatrogenic = "iatrogenic", iatrogenic_calcinosis = "iatrogenic", iatrogenic_calcinosis_cutis = "iatrogenic",
  indeterminate = "indeterminate", unclassified = "indeterminate", unclassifiable = "indeterminate",
}

local MISSING = { [""] = true, na = true, n_a = true, null = true, none = true, missing = true, unknown = true }

local function key(s)
  return (tostring(s):lower():gsub("'", ""):gsub("[^%w]+", "_"):gsub("^_+", ""):gsub("_+$", ""))
end

--- The subtype a reference label names.
-- @tparam string|nil text
-- @treturn string|nil subtype (or "indeterminate"), nil when missing
-- @treturn[2] string "unknown" when the text names no subtype
function M.label(text)
  if text == nil then return nil end
  local k = key(text)
  if MISSING[k] then return nil end
  local s = M.synonyms[k]
  if s then return s end
  return nil, "unknown"
end

--- Wilson's 95% score interval of a proportion k / n.
-- @tparam number k
-- @tparam number n
-- @treturn number|nil estimate, low, high (nil when n is 0)
function M.wilson(k, n)
  if n == 0 then return nil end
  local p = k / n
  local z2 = Z * Z
  local den = 1 + z2 / n
  local centre = (p + z2 / (2 * n)) / den
  local half = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / den
  return p, math.max(0, centre - half), math.min(1, centre + half)
end

local function prop(k, n)
  local p, lo, hi = M.wilson(k, n)
  return { k = k, n = n, value = p, low = lo, high = hi }
end

-- the complementary error function (Numerical Recipes' erfcc, |error| < 1.2e-7)
local function erfc(x)
  local z = math.abs(x)
  local t = 1 / (1 + 0.5 * z)
  local r = t * math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))))
  return x >= 0 and r or 2 - r
end

--- McNemar's test of two rulesets on the same patients.
-- @tparam number b patients the first got right and the second wrong
-- @tparam number c patients the first got wrong and the second right
-- @treturn table `{ b, c, method = "exact" | "chi-square", statistic, p }`
function M.mcnemar(b, c)
  local n = b + c
  if n == 0 then return { b = b, c = c, method = "exact", p = 1 } end
  if n < 25 then
    local k, sum, logc = math.min(b, c), 0, 0
    -- sum_{i <= k} C(n, i) / 2^n, in logs
    for i = 0, k do
      if i > 0 then logc = logc + math.log(n - i + 1) - math.log(i) end
      sum = sum + math.exp(logc - n * math.log(2))
    end
    return { b = b, c = c, method = "exact", p = math.min(1, 2 * sum) }
  end
  local chi = (math.abs(b - c) - 1) ^ 2 / n
  return { b = b, c = c, method = "chi-square", statistic = chi, p = erfc(math.sqrt(chi / 2)) }
end

local ORDER = { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic", "indeterminate" }

--- Validates one list of results against reference labels.
-- @tparam table results list of results (`{ id, type, fired = { ids or { id = } } }`)
-- @tparam table truth list of reference labels (texts), in the same order,
--   or a table id -> label
-- @tparam[opt] table opts `labels` (the label order; default the subtypes
--   in pathway order then indeterminate), `name` (of the ruleset), `max_wrong`
-- @treturn table `{ name, n, left_out = { missing, unknown }, labels, matrix
--   (matrix[truth][predicted]), per_label = { label = { tp, fp, fn, tn,
--   sensitivity, specificity, ppv, npv, f1 } }, accuracy, kappa = { value,
--   se, low, high }, macro_f1, wrong = { { id, truth, type, fired } },
--   counting }`
function M.validate(results, truth, opts)
  if type(results) ~= "table" or type(truth) ~= "table" then
    error("validate(results, truth): two tables expected", 2)
  end
  opts = opts or {}
  local labels = opts.labels or ORDER
  local index = {}
  for i, l in ipairs(labels) do index[l] = i end
  local matrix = {}
  for _, a in ipairs(labels) do
    matrix[a] = {}
    for _, b in ipairs(labels) do matrix[a][b] = 0 end
  end
  local left = { missing = 0, unknown = 0 }
  local pairs_ = {}
  local by_id = #truth == 0 and next(truth) ~= nil
  for i, r in ipairs(results) do
    local text = by_id and truth[r.id] or (not by_id and truth[i])
    local t, why = M.label(text)
    local p = r.type
    if not t then
      left[why == "unknown" and "unknown" or "missing"] = left[why == "unknown" and "unknown" or "missing"] + 1
    elseif not index[p] or not index[t] then
      left.unknown = left.unknown + 1
    else
      matrix[t][p] = matrix[t][p] + 1
      pairs_[#pairs_ + 1] = { r = r, t = t }
    end
  end
  local n = #pairs_
  local per, right, f1s = {}, 0, {}
  for _, l in ipairs(labels) do
    local tp, fp, fn = matrix[l][l], 0, 0
    for _, o in ipairs(labels) do
      if o ~= l then fp = fp + matrix[o][l]; fn = fn + matrix[l][o] end
    end
    local tn = n - tp - fp - fn
    right = right + tp
    local e = { tp = tp, fp = fp, fn = fn, tn = tn, sensitivity = prop(tp, tp + fn), specificity = prop(tn, tn + fp),
      ppv = prop(tp, tp + fp), npv = prop(tn, tn + fn) }
    if tp + fp + fn > 0 then
      e.f1 = 2 * tp / (2 * tp + fp + fn)
      f1s[#f1s + 1] = e.f1
    end
    per[l] = e
  end
  local macro
  if #f1s > 0 then
    macro = 0
    for _, f in ipairs(f1s) do macro = macro + f end
    macro = macro / #f1s
  end
  local kappa
  if n > 0 then
    local po, pe = right / n, 0
    for _, a in ipairs(labels) do
      local row, col = 0, 0
      for _, b in ipairs(labels) do row = row + matrix[a][b]; col = col + matrix[b][a] end
      pe = pe + (row / n) * (col / n)
    end
    if pe < 1 then
      local k = (po - pe) / (1 - pe)
      local se = math.sqrt(po * (1 - po) / (n * (1 - pe) ^ 2))
      kappa = { value = k, se = se, low = k - Z * se, high = k + Z * se, po = po, pe = pe }
    else
      kappa = { value = 1, se = 0, low = 1, high = 1, po = po, pe = pe }
    end
  end
  local wrong, max_wrong = {}, opts.max_wrong or math.huge
  for _, x in ipairs(pairs_) do
    if x.r.type ~= x.t and #wrong < max_wrong then
      local fired = {}
      for i, f in ipairs(x.r.fired or {}) do fired[i] = type(f) == "table" and f.id or f end
      wrong[#wrong + 1] = { id = x.r.id, truth = x.t, type = x.r.type, fired = fired }
    end
  end
  return {
    name = opts.name, n = n, left_out = left, labels = labels, matrix = matrix, per_label = per,
    accuracy = prop(right, n), kappa = kappa, macro_f1 = macro, wrong = wrong, correct = right,
    counting = "records without a reference label, or with one that names no subtype, are left out " ..
      "(counted in left_out); an indeterminate result is a prediction like any other, wrong when the " ..
      "reference names a subtype",
    _pairs = pairs_,
  }
end

--- Validates several rulesets' results on the same patients, with
-- McNemar's test between each pair.
-- @tparam table lists `{ { name =, results = {...} }, ... }`
-- @tparam table truth as `validate`
-- @tparam[opt] table opts as `validate`
-- @treturn table `{ tables = { validate(...) ... }, mcnemar = { { first, second, b, c, method, statistic, p } } }`
-- (b: the patients the first got right and the second wrong; c: the reverse)
function M.compare(lists, truth, opts)
  local tables, tests = {}, {}
  for i, l in ipairs(lists) do
    local o = {}
    for k, v in pairs(opts or {}) do o[k] = v end
    o.name = l.name
    tables[i] = M.validate(l.results, truth, o)
  end
  for i = 1, #tables do
    for j = i + 1, #tables do
      -- the patients both tables scored (same truth), by position in the results
      local a, b = lists[i].results, lists[j].results
      local bc, cb = 0, 0
      for k = 1, math.min(#a, #b) do
        local text = (#truth == 0 and next(truth) ~= nil) and truth[a[k].id] or truth[k]
        local t = M.label(text)
        if t then
          local ra, rb = a[k].type == t, b[k].type == t
          if ra and not rb then bc = bc + 1 elseif rb and not ra then cb = cb + 1 end
        end
      end
      local m = M.mcnemar(bc, cb)
      m.first, m.second = tables[i].name, tables[j].name
      tests[#tests + 1] = m
    end
  end
  return { tables = tables, mcnemar = tests }
end

return M
