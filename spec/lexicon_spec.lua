-- calcinosis.lexicon's key functions (C: src/spelling.c): spelling variants,
-- the plural or singular of the last word, and every key of a form. The
-- expected lists are worked out by hand from the rules the module documents.
local lexicon = require "calcinosis.lexicon"
local vocab = require "calcinosis.vocab"

describe("calcinosis.lexicon keys", function()
  it("spelling variants: the key, its American form, its British form, each once", function()
    assert.same({ "haemodialysis", "hemodialysis" }, lexicon.spelling_variants("haemodialysis"))
    assert.same({ "hemodialysis", "haemodialysis" }, lexicon.spelling_variants("hemodialysis"))
    assert.same({ "calcinosis" }, lexicon.spelling_variants("calcinosis"))
    assert.same({ "" }, lexicon.spelling_variants(""))
    -- two parts in one key, each replaced wherever it occurs
    assert.same({ "oesophageal_tumour", "esophageal_tumor" }, lexicon.spelling_variants("oesophageal_tumour"))
    assert.same({ "hem_hem", "haem_haem" }, lexicon.spelling_variants("hem_hem"))
    -- a mixed key gives both pure forms
    assert.same({ "haem_hem", "hem_hem", "haem_haem" }, lexicon.spelling_variants("haem_hem"))
    -- "analog" -> "analogue": the British form is not made again from itself
    assert.same({ "vitamin_d_analogue", "vitamin_d_analog" }, lexicon.spelling_variants("vitamin_d_analogue"))
    assert.same({ "vitamin_d_analog", "vitamin_d_analogue" }, lexicon.spelling_variants("vitamin_d_analog"))
    -- "hemorrhag": "hem" made "haem" first, so "haemorrhag" is there already
    assert.same({ "hemorrhagic", "haemorrhagic" }, lexicon.spelling_variants("hemorrhagic"))
    -- bytes >= 0x80 are kept as they are
    assert.same({ "an\195\169mie" }, lexicon.spelling_variants("an\195\169mie"))
  end)

  it("the plural or singular of the last word", function()
    local cases = {
      { "calcified_nodule", "calcified_nodules" }, { "nodules", "nodule" }, { "arteries", "artery" },
      { "artery", "arteries" }, { "day", "days" }, { "boxes", "box" }, { "box", "boxes" },
      { "churches", "church" }, { "church", "churches" }, { "bushes", "bush" }, { "glass", "glasses" },
      -- "is" adds "es", as the rule says: "crisises", never "crises"
      { "virus", "viruses" }, { "crisis", "crisises" }, { "lesion", "lesions" }, { "toe_3", nil },
      { "ab", nil }, { "leg_ab", nil }, { "abc", "abcs" }, { "", nil }, { "caf\195\169", nil },
    }
    for _, c in ipairs(cases) do assert.equal(c[2], lexicon.number_variant(c[1]), c[1]) end
  end)

  it("keys_of: every spelling variant followed by its plural or singular, without repeats", function()
    assert.same({ "haemodialysis", "haemodialysises", "hemodialysis", "hemodialysises" },
      lexicon.keys_of("Haemodialysis", vocab.key))
    assert.same({ "calcified_tumours", "calcified_tumour", "calcified_tumors", "calcified_tumor" },
      lexicon.keys_of("calcified tumours", vocab.key))
    assert.same({ "leg", "legs" }, lexicon.keys_of("Leg", vocab.key))
    assert.same({}, lexicon.keys_of("--", vocab.key))
  end)

  it("rejects spelling pairs that are not pairs of non-empty strings (programmer errors)", function()
    local core = require "calcinosis.core"
    assert.has_error(function() core.spelling_variants("hem", { { "hem", "" } }) end)
    assert.has_error(function() core.spelling_variants("hem", { "hem" }) end)
    assert.has_error(function() core.lexicon_keys("hem", nil) end)
  end)
end)
