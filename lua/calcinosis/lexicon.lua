--- The lexicon: how findings and sites are written in case reports, on top
-- of the vocabulary's terms and synonyms (`calcinosis.vocab`).
--
-- The C term map is the one reader of terms (src/termmap.c). At plan build
-- time `calcinosis.engine` gives it, besides the vocabulary's keys:
--
-- * word forms of every term, label and synonym (`M.forms`): British and
--   American spellings (haemodialysis / hemodialysis, oesophageal,
--   tumour, -isation) and the plural or singular of the last word;
-- * generated phrases (`M.generated`): "born at 28 weeks" and the like;
-- * neutral phrases (`M.neutral`): known words that name no concept
--   ("healthy", "underlying disease"), so that "no underlying disease" is
--   understood and "back of the leg" is not the trunk;
-- * cue words (`M.cues`), as keys the C reader looks up with a 0x01 byte
--   and a class letter before them: negation and hedges ("no", "without",
--   "suspected": the concepts after them are not asserted), the end of a
--   cue's scope ("but"), a cue at the end of a term ("excluded",
--   "negative"), and abbreviations that count only as whole terms
--   ("PAS" is para-aminosalicylic acid, not the PAS stain in "PAS-positive").
--
-- A term that is no key is read as words: the longest run of words that is
-- a key names a concept, other words ("on", "history of", "bilateral") are
-- skipped, and the term is known when it names at least one concept. So
-- "on phenprocoumon", "ovarian adenocarcinoma" and "renal allograft
-- recipient" need only the concepts' names; the drug and disease classes
-- (coumarins, glucocorticoids, vitamin D analogues, carcinoma / sarcoma /
-- lymphoma / leukaemia, organ transplants) are synonyms of their terms in
-- the vocabulary.
--
-- Data in Lua; the functions that make keys of it are the C core's
-- (src/spelling.c), called once per process for the term map.
-- @module calcinosis.lexicon

local M = {}

--- Spelling pairs (American, British), applied to every occurrence in a
-- key, each way.
M.spellings = {
  { "esophag", "oesophag" }, { "edema", "oedema" }, { "emia", "aemia" }, { "emic", "aemic" },
  { "hem", "haem" }, { "ischem", "ischaem" }, { "tumor", "tumour" }, { "ization", "isation" },
  { "izing", "ising" }, { "pediatr", "paediatr" }, { "anesthe", "anaesthe" }, { "uremi", "uraemi" },
  { "leukem", "leukaem" }, { "fetal", "foetal" }, { "gynec", "gynaec" }, { "color", "colour" },
  { "analog", "analogue" }, { "ischemi", "ischaemi" }, { "hemorrhag", "haemorrhag" },
}

--- Cue words by class (each a phrase; written as keys with vocab.key).
M.cues = {
  -- negation: what follows in the same term is not the patient's
  negation = { "no", "not", "without", "denies", "denied", "negative for", "absence of", "absent", "free of",
    "never", "nil", "no evidence of", "no history of", "no sign of", "no signs of", "no known",
    "did not have", "does not have", "not on", "never had", "ruled out", "excluded", "family history of" },
  -- hedges: suspected or considered, not established
  hedge = { "suspected", "suspicion of", "possible", "probable", "presumed", "presumptive", "query",
    "questionable", "rule out", "r o", "differential diagnosis", "differential diagnoses", "mimicking",
    "misdiagnosed as", "previously diagnosed with", "to exclude", "concern for", "cannot exclude",
    "versus", "vs" },
  -- the end of a cue's scope
  stop = { "but", "however", "although", "though", "except" },
  -- a cue at the end of a term negates the whole term
  post = { "negative", "excluded", "ruled out", "absent", "not found", "not detected", "denied", "none",
    "not present" },
}

--- Keys that count only as a whole term, never inside a longer phrase:
-- abbreviations with another meaning in reports (PAS stain, procalcitonin)
-- and general words whose meaning depends on the words around them
-- (the infection of "urinary tract infection" is not at the lesion site;
-- the tumour of "tumour lysis syndrome", the necrosis of "fat necrosis").
M.exact_only = { "pas", "pct", "aca", "eds", "cle", "dle", "isc", "scn", "cua", "pxe", "bcc", "crf", "vka",
  "capd", "ccpd", "infection", "infections", "tumor", "tumour", "tumors", "tumours", "neoplasm", "cyst",
  "cysts", "necrosis", "necrotic", "inflammation", "familial", "injury", "scar", "wound", "sore", "oral",
  "bullous", "blisters", "indurated", "transplantation", "premature", "preterm", "ulcer", "ulcers" }

--- Phrases that are known and name nothing (set no term).
M.neutral = { "healthy", "otherwise healthy", "previously healthy", "no significant medical history",
  "underlying disease", "underlying diseases", "metabolic disease", "metabolic diseases", "systemic disease",
  "systemic diseases", "systemic symptoms", "back of", "back of the", "dorsum of", "dorsum of the",
  "dexamethasone suppression", "dexamethasone suppressed", "dexamethasone suppression test",
  "low dose dexamethasone suppression test", "acth stimulation test", "normal biochemistry",
  "normal biochemistry profile", "renal function normal", "normal renal function", "normal kidney function",
  "renal assessment was normal", "normal parathyroid function", "gestation time", "born at term", "term birth",
  "full term",
  -- comorbidities and signs that bear on no subtype (known, so not reported as unknown terms)
  "hypertension", "coronary artery disease", "atrial fibrillation", "heart failure", "myocardial infarction",
  "dyslipidemia", "hyperlipidemia", "asthma", "seizures", "seizure", "fever", "fevers", "afebrile",
  "intermittent fevers", "asthenia", "fatigue", "muscle weakness", "myalgia", "polyarthritis", "arthralgia",
  "arthralgias", "joint pain", "malar rash", "photosensitivity", "rash", "pruritus", "pruritic", "itching",
  "alopecia", "crusts", "swelling", "mass", "masses", "papule", "papules", "plaque", "plaques", "lesion",
  "lesions", "skin lesion", "skin lesions", "deep-vein thrombosis", "deep vein thrombosis", "pulmonary embolism",
  "respiratory distress", "respiratory distress syndrome", "asphyxia", "persistent pulmonary hypertension",
  "cystic fibrosis", "meconium ileus", "laparotomy", "subdural hematoma", "neutropenia", "meningioma",
  "tacrolimus", "cyclosporine", "mycophenolate mofetil", "azathioprine", "amlodipine", "joint contractures",
  "soft tissue calcification", "soft tissue calcifications", "cutaneous calcifications", "calcinosis",
  "calcinosis cutis", "calcified", "calcification", "calcifications", "asymptomatic", "painless", "firm",
  "hard", "whitish", "yellowish", "white", "yellow", "demodicosis", "secondary pyoderma", "pyoderma" }

--- Generated phrases: term -> list of phrases.
function M.generated()
  local out = { prematurity = {} }
  local p = out.prematurity
  for w = 22, 36 do -- preterm: before 37 completed weeks
    for _, f in ipairs { "born at %d weeks", "born at %d weeks gestation", "born at %d weeks of gestation",
      "%d weeks gestation", "%d weeks of gestation", "%d weeks gestational age", "gestational age %d weeks",
      "gestational age of %d weeks", "born at %d weeks' gestation", "%d-week preterm", "%d week preterm",
      "preterm %d weeks", "delivered at %d weeks" } do
      p[#p + 1] = f:format(w)
    end
  end
  return out
end

-- (the functions that make keys of these data are C: src/spelling.c)
local function core() return require "calcinosis.core" end

--- The spelling variants of a key (the key itself first): every British
-- spelling made American (the pairs of `spellings` in order, each replaced
-- wherever it occurs), then that made British again (a pair skipped when
-- its British form is already there); each variant once.
-- @tparam string key
-- @treturn {string,...}
function M.spelling_variants(key)
  return core().spelling_variants(key, M.spellings)
end

--- The plural or singular of the last word of a key (its trailing run of
-- ASCII letters, at least 3: "ies" -> "y", "xes"/"ses"/"ches"/"shes" drop
-- "es", "ss"/"us"/"is" add "es", "s" dropped, a consonant and "y" ->
-- "ies", "x"/"s"/"ch"/"sh" add "es", else add "s"), or nil.
-- @tparam string key
-- @treturn string|nil
function M.number_variant(key)
  return core().number_variant(key)
end

--- Every key a surface form is known by: its spelling variants and their
-- plural or singular. `keyfn` makes a key of a text (vocab.key).
-- @tparam string text
-- @tparam function keyfn
-- @treturn {string,...}
function M.keys_of(text, keyfn)
  local base = keyfn(text)
  if base == "" then return {} end
  return core().lexicon_keys(base, M.spellings)
end

--- The keys of many texts at once, each keyed with `calcinosis.vocab.key`:
-- what `keys_of(text, vocab.key)` gives for each, in one list, and how
-- many each gave (one call to the C core, the spelling pairs read once).
-- @tparam {string,...} texts
-- @treturn {string,...} keys
-- @treturn {integer,...} counts, one per text
function M.keys_of_list(texts)
  return core().lexicon_forms(texts, M.spellings)
end

--- The control keys of the C reader (see src/termmap.c): class letter ->
-- list of keys.
function M.control_keys(keyfn)
  local out = {}
  local function put(cls, list)
    for _, phrase in ipairs(list) do
      for _, k in ipairs(M.spelling_variants(keyfn(phrase))) do
        if k ~= "" then out[#out + 1] = "\1" .. cls .. k end
      end
    end
  end
  put("n", M.cues.negation)
  put("h", M.cues.hedge)
  put("s", M.cues.stop)
  put("p", M.cues.post)
  put("x", M.exact_only)
  return out
end

return M
