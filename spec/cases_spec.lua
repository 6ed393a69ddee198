-- Published case reports (spec/cases/*.lua) through calcinosis.classify: the
-- accuracy per subtype and overall, printed, and a regression guard. A case
-- counts as right when the type is one of the labels a careful reader would
-- accept (`accept`); it is grouped under its first accepted label. This is
-- not a per-case expectation: the misses are listed, with the reason, in
-- spec/cases/README.md.
local calcinosis = require "calcinosis"

local DIR = "spec/cases/"
local FILES = { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic", "animals" }
local SUBTYPES = { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic" }

-- The figures reached with the default ruleset (right / cases), overall and
-- per subtype; the guard fails when a change makes any of them fall.
-- Before the lexicon and the rules of 2026-12 (the case set's first
-- measurement): calciphylaxis 0/7, iatrogenic 0/8, metastatic 6/6,
-- dystrophic 2/12, idiopathic 2/14, overall 10/47 (21%). With the lexicon
-- alone: 28/47. With the lexicon and the rules (the figures guarded):
local FLOOR = {
  overall = 43,
  calciphylaxis = 7, iatrogenic = 7, metastatic = 6, dystrophic = 11, idiopathic = 12,
}
-- share of the distinct finding and site phrases of the case set that the
-- term map recognises (40 of 288, 14%, before the lexicon; 264, 92%, with it)
local PHRASE_FLOOR = 0.91

local function load_cases()
  local all = {}
  for _, name in ipairs(FILES) do
    local list = dofile(DIR .. name .. ".lua")
    for _, c in ipairs(list) do
      c.file = name
      all[#all + 1] = c
    end
  end
  return all
end

local function record(c)
  local p = {}
  for k, v in pairs(c.patient) do p[k] = v end
  p.id = c.id
  return p
end

local function member(list, x)
  for _, y in ipairs(list) do if y == x then return true end end
  return false
end

local function run(cases)
  local stats, misses = { overall = { 0, 0 } }, {}
  for _, s in ipairs(SUBTYPES) do stats[s] = { 0, 0 } end
  for _, c in ipairs(cases) do
    local r = calcinosis.classify(record(c))
    local group = c.accept[1]
    local ok = member(c.accept, r.type)
    for _, k in ipairs { group, "overall" } do
      stats[k][2] = stats[k][2] + 1
      if ok then stats[k][1] = stats[k][1] + 1 end
    end
    if not ok then misses[#misses + 1] = { case = c, result = r } end
  end
  return stats, misses
end

-- every distinct finding and site phrase, and whether the term map knows it
local function phrases(cases)
  local seen, list = {}, {}
  for _, c in ipairs(cases) do
    for _, kind in ipairs { "findings", "sites" } do
      for _, t in ipairs(c.patient[kind] or {}) do
        local key = kind .. "\0" .. t
        if not seen[key] then
          seen[key] = true
          list[#list + 1] = { kind = kind, text = t }
        end
      end
    end
  end
  local known, unknown = 0, {}
  for _, ph in ipairs(list) do
    local r = calcinosis.classify { id = "phrase", [ph.kind] = { ph.text } }
    local bad = false
    for _, p in ipairs(r.problems) do
      if p:match("unknown term") or p:match("ambiguous term") then bad = true end
    end
    if bad then unknown[#unknown + 1] = ph.kind .. ": " .. ph.text else known = known + 1 end
  end
  return known, #list, unknown
end

describe("published cases (spec/cases)", function()
  local cases = load_cases()

  it("are at least 40, each with its source, the authors' label and the accepted labels", function()
    assert.is_true(#cases >= 40)
    local ids, groups, dogs, children = {}, {}, 0, 0
    for _, c in ipairs(cases) do
      assert.is_nil(ids[c.id], c.id)
      ids[c.id] = true
      assert.is_string(c.key, c.id)
      assert.is_truthy(c.key:match("^X%d+$"), c.id)
      local s = c.source
      assert.is_string(s.authors, c.id)
      assert.is_string(s.journal, c.id)
      assert.is_truthy(s.doi or s.pmid or s.url, c.id .. ": a DOI, PMID or URL")
      assert.is_string(c.authors_label, c.id)
      assert.is_table(c.accept, c.id)
      for _, a in ipairs(c.accept) do assert.is_true(member(SUBTYPES, a), c.id .. ": " .. a) end
      groups[c.accept[1]] = true
      if c.patient.species == "dog" or c.patient.species == "cat" then dogs = dogs + 1 end
      local age = calcinosis.age_years(c.patient.age)
      if (c.patient.species or "human") == "human" and age and age < 18 then children = children + 1 end
    end
    for _, s in ipairs(SUBTYPES) do assert.is_true(groups[s], s) end
    assert.is_true(dogs >= 4)
    assert.is_true(children >= 8)
  end)

  it("are classified at least as well as the recorded figures (printed per subtype)", function()
    local stats, misses = run(cases)
    local lines = { "", "published cases: right / cases (share)" }
    for _, k in ipairs { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic", "overall" } do
      local s = stats[k]
      lines[#lines + 1] = ("  %-13s %2d / %2d  (%.0f%%)"):format(k, s[1], s[2], s[2] > 0 and 100 * s[1] / s[2] or 0)
    end
    for _, m in ipairs(misses) do
      lines[#lines + 1] = ("  miss: %-40s %s, accepted %s"):format(m.case.id, m.result.type,
        table.concat(m.case.accept, "/"))
    end
    io.stderr:write(table.concat(lines, "\n"), "\n")
    for k, floor in pairs(FLOOR) do
      assert.is_true(stats[k][1] >= floor, ("%s: %d right, the recorded figure is %d"):format(k, stats[k][1], floor))
    end
  end)

  it("have their finding and site phrases recognised by the term map (share printed)", function()
    local known, n, unknown = phrases(cases)
    io.stderr:write(("\nphrases of the published cases recognised: %d / %d (%.0f%%)\n"):format(known, n,
      100 * known / n))
    if os.getenv("CALCINOSIS_SHOW_UNKNOWN") then
      for _, u in ipairs(unknown) do io.stderr:write("  unknown ", u, "\n") end
    end
    assert.is_true(known / n >= PHRASE_FLOOR)
  end)
end)
