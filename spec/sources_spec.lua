-- The bibliography (calcinosis.sources): every source key the project cites
-- resolves to a full reference; the entries agree with the published cases
-- of spec/cases and, when the research notes are beside the clone, with the
-- source list they were written from; docs/clinical-reference.md carries the
-- generated bibliography; results carry the references they cite.
-- luacheck: std +busted
local sources = require "calcinosis.sources"
local S = require "support"

-- The files scanned for source keys (the repository's code, data and docs).
local SCAN_DIRS = { "lua", "src", "bench", "examples", "spec/cases" }
local SCAN_FILES = { "README.md", "docs/clinical-reference.md" }
local TEXT = { lua = true, c = true, h = true, json = true, md = true, csv = true, sh = true, txt = true }

local function read(path)
  local f = assert(io.open(path, "rb"))
  local t = f:read("a")
  f:close()
  return t
end

local function files()
  local out = {}
  for _, d in ipairs(SCAN_DIRS) do
    local p = io.popen("find " .. d .. " -type f 2>/dev/null | sort")
    for path in p:lines() do
      local ext = path:match("%.([%w]+)$")
      if (ext and TEXT[ext]) or (not ext and path:match("^bench/")) then out[#out + 1] = path end
    end
    p:close()
  end
  for _, f in ipairs(SCAN_FILES) do out[#out + 1] = f end
  return out
end

-- The keys a file cites: bracketed keys (`[S12]`, `[S25-full case]`), the
-- key-shaped words of `source = "..."` fields (Lua) and `"source": "..."`
-- (JSON), and strings made only of keys (`sources = { "S1", "S2-tx" }`, the
-- C analyte table's "S34 S36 S37"), and the `key = "X101"` fields of spec/cases.
local function keys_of(text, add)
  local function words(v)
    v = v:gsub("%[[^%]]*%]", " ")
    for tok in v:gmatch("[^%s,;()]+") do if sources.is_key(tok) then add(tok) end end
  end
  for inner in text:gmatch("%[([^%[%]\n]+)%]") do
    inner = inner:match("^%s*(.-)%s*$")
    if inner:match("^[SCX]%d") or inner:match("^seed:%d") then add(inner) end
  end
  for v in text:gmatch("source%s*=%s*\"([^\"\n]*)\"") do words(v) end
  for v in text:gmatch("\"source\"%s*:%s*\"([^\"\n]*)\"") do words(v) end
  for v in text:gmatch("key%s*=%s*\"([^\"\n]*)\"") do if sources.is_key(v) then add(v) end end
  for v in text:gmatch("\"([^\"\n]+)\"") do
    local all = v:match("%S") ~= nil
    for tok in v:gmatch("%S+") do if not sources.is_key(tok) then all = false break end end
    if all then for tok in v:gmatch("%S+") do add(tok) end end
  end
end

local function cited()
  local where = {}
  for _, path in ipairs(files()) do
    keys_of(read(path), function(k)
      where[k] = where[k] or {}
      where[k][path] = true
    end)
  end
  return where
end

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out, sources.compare)
  return out
end

-- The case reports whose full references were not recorded: an entry that
-- says so, never a guessed reference. A new key must come with its reference.
local INCOMPLETE = { "C1", "C2", "C3", "C5", "C7", "C10", "C13", "C14", "C15", "X1", "X3", "X5", "X8", "X9",
  "X10", "X11", "X148", "X149", "X150" }

-- Known slips in spec/cases (the entry has the reference of
-- spec/cases/README.md): the case file's address is written twice.
local KNOWN_CASE_DEFECTS = { gutnik2023_bilateral_breast = "url doubled" }

describe("calcinosis.sources", function()
  describe("the API", function()
    it("gets an entry by key, with brackets, suffixes and short seed numbers", function()
      local e = sources.get("S1")
      assert.equal("S1", e.key)
      assert.equal("Reiter N, El-Shabrawi L, Leinweber B, Berghold A, Aberer E", e.authors)
      assert.equal("Calcinosis cutis: part I. Diagnostic pathway", e.title)
      assert.equal("J Am Acad Dermatol", e.container)
      assert.equal(2011, e.year)
      assert.equal("21679810", e.pmid)
      assert.equal(e, sources.get("[S1]"))
      assert.equal(sources.get("seed:002"), sources.get("seed:2"))
      assert.is_nil(sources.get("S999"))
      assert.is_nil(sources.get("S86")) -- not a key of the source list
      assert.is_nil(sources.get(nil))
      assert.is_nil(sources.get("Mayo"))
    end)

    it("resolves a suffixed key to its base entry plus the suffix", function()
      local d = sources.get("S34-DHVD")
      assert.equal("S34", d.base)
      assert.equal(sources.get("S34").authors, d.authors)
      assert.matches("DHVD", d.part, 1, true)
      local f = sources.get("S25-full case")
      assert.equal("S25", f.base)
      assert.matches("pearl%-like nodule", f.title)
      assert.equal(sources.get("S20-tx").title, "Calcinosis cutis: management")
      local u = sources.get("S35-UCSF") -- an unregistered suffix: the base entry, the suffix as its part
      assert.equal("S35", u.base)
      assert.equal("UCSF", u.part)
      assert.is_nil(sources.get("S999-x"))
    end)

    it("resolves a source text to its entries in the order cited", function()
      local es, missing = sources.resolve("S1 S2 [S34] Mayo ALP [S34-DHVD] [S25-full case] S999 seed:002 S1")
      local keys = {}
      for i, e in ipairs(es) do keys[i] = e.key end
      assert.same({ "S1", "S2", "S34", "S34-DHVD", "S25-full case", "seed:002" }, keys)
      assert.same({ "S999" }, missing)
      local l = sources.resolve { "S2-tx", "S11" }
      assert.equal(2, #l)
      assert.same({}, (sources.resolve("our lab 2026")))
    end)

    it("formats an entry as text and as Markdown", function()
      local t = sources.format(sources.get("S88"))
      assert.matches("^Dobry AS, Ko LN", t)
      assert.matches("JAMA Dermatol 2018;154(2):182–187.", t, 1, true)
      assert.matches("doi:10.1001/jamadermatol.2017.4920", t, 1, true)
      assert.matches("PMID 29238798", t, 1, true)
      assert.equal(t, sources.get("S88").citation)
      local m = sources.format("S88", "markdown")
      assert.matches("^%*%*S88%*%* — ", m)
      assert.matches("*JAMA Dermatol*", m, 1, true)
      assert.matches("(https://doi.org/10.1001/jamadermatol.2017.4920)", m, 1, true)
      assert.matches("(https://pubmed.ncbi.nlm.nih.gov/29238798/)", m, 1, true)
      assert.matches("full reference not recorded", sources.format("C2"), 1, true)
      assert.matches("^Project seed document: ", sources.format("seed:000"))
      assert.is_nil(sources.format("S999"))
      assert.has_error(function() sources.format("S1", "html") end)
    end)

    it("lists every key once, in bibliography order", function()
      local keys = sources.keys()
      local seen = {}
      for i, k in ipairs(keys) do
        assert.is_nil(seen[k], k)
        seen[k] = true
        assert.is_table(sources.get(k), k)
        assert.equal(k, sources.get(k).key)
        assert.is_string(sources.get(k).citation, k)
        if i > 1 then assert.is_true(sources.compare(keys[i - 1], k), keys[i - 1] .. " before " .. k) end
      end
      assert.equal("S1", keys[1])
      assert.is_true(sources.compare("S2", "S2-tx") and sources.compare("S13", "S13b")
        and sources.compare("S92", "C1") and sources.compare("C15", "X1") and sources.compare("X150", "seed:000"))
      for _, k in ipairs { "S13b", "S26c", "S29b", "S35q", "S63b", "S2-clinical", "S2-tx", "S20-tx",
                           "S25-full case", "S34-DHVD", "seed:000", "seed:004", "X101", "X146" } do
        assert.is_true(seen[k], k)
      end
    end)

    it("gives every entry a title or a description, and a full reference unless marked incomplete", function()
      local incomplete = {}
      for _, k in ipairs(sources.keys()) do
        local e = sources.get(k)
        assert.is_true(type(e.title) == "string" or type(e.description) == "string", k)
        assert.is_string(e.kind, k)
        if e.incomplete then
          incomplete[#incomplete + 1] = k
          assert.is_nil(e.authors, k .. ": an incomplete entry names no authors")
        end
      end
      assert.same(INCOMPLETE, incomplete)
    end)
  end)

  describe("the keys the project cites", function()
    local where = cited()

    it("all resolve", function()
      local bad = {}
      for _, k in ipairs(sorted_keys(where)) do
        if not sources.get(k) then bad[#bad + 1] = k .. " (" .. table.concat(sorted_keys(where[k]), ", ") .. ")" end
      end
      assert.same({}, bad)
      assert.is_true(#sorted_keys(where) >= 160, "the scan found the keys")
    end)

    it("use only registered suffixes", function()
      local bad = {}
      local known = {}
      for _, k in ipairs(sources.keys()) do known[k] = true end
      for _, k in ipairs(sorted_keys(where)) do
        local e = sources.get(k)
        if e and e.base and not known[k] then bad[#bad + 1] = k end
      end
      assert.same({}, bad)
    end)

    it("include the default ruleset's, the knowledge tables' and the vocabulary's", function()
      local rs = assert(require("calcinosis.rules").default())
      local n = 0
      for _, r in ipairs(rs:rules()) do
        local _, missing = sources.resolve(r.source)
        assert.same({}, missing, r.id)
        n = n + 1
      end
      assert.is_true(n > 20)
      local knowledge = require "calcinosis.knowledge"
      for k in pairs(knowledge.seed_sources) do assert.is_table(sources.get(k), k) end
      for term, e in pairs(require("calcinosis.vocab").terms) do
        local _, missing = sources.resolve(e.source or "")
        assert.same({}, missing, term)
      end
      for _, e in ipairs(require("calcinosis.ranges").reference) do
        local _, missing = sources.resolve(e.source or "")
        assert.same({}, missing, e.analyte)
      end
    end)
  end)

  describe("the published cases of spec/cases", function()
    it("agree with their entries field by field", function()
      local n = 0
      for _, name in ipairs { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic", "animals" } do
        for _, c in ipairs(dofile("spec/cases/" .. name .. ".lua")) do
          n = n + 1
          local e = sources.get(c.key)
          assert.is_table(e, c.id)
          local s = c.source
          assert.equal(s.authors, e.authors, c.id)
          assert.equal(s.title, e.title, c.id)
          -- the journal as printed in the case file, the entry's note in parentheses when it has one
          assert.equal(s.journal, e.note and (e.container .. " (" .. e.note .. ")") or e.container, c.id)
          assert.equal(s.year, e.year, c.id)
          assert.equal(s.volume, e.volume, c.id)
          assert.equal(s.doi, e.doi, c.id)
          assert.equal(s.pmid, e.pmid, c.id)
          assert.equal(s.pmcid, e.pmc, c.id)
          if KNOWN_CASE_DEFECTS[c.id] then
            assert.equal(e.url, s.url:sub(1, #e.url), c.id)
          else
            assert.equal(s.url, e.url, c.id)
          end
          local listed = false
          for _, id in ipairs(e.cases or {}) do if id == c.id then listed = true end end
          assert.is_true(listed, c.id .. " in the cases of " .. c.key)
        end
      end
      assert.equal(47, n)
    end)
  end)

  describe("the source list of the research notes (when beside the clone)", function()
    local function section8(path)
      local text = read(path)
      local body = assert(text:match("\n## 8%. Source key\n(.*)$"), "§8 of the notes")
      local paras, order = {}, {}
      local cur
      for line in (body .. "\n"):gmatch("(.-)\n") do
        local head = line:match("^%- (.*)$")
        if head then
          cur = { text = head }
          order[#order + 1] = cur
        elseif cur and line:match("^%s+%S") then
          cur.text = cur.text .. " " .. line:match("^%s+(.*)$")
        elseif line:match("^%s*$") then
          cur = nil
        end
      end
      for _, p in ipairs(order) do
        local lead = p.text:match("^([SCX]%d+%a?[%s/SCX%d%a]-)%s") or ""
        for k in lead:gmatch("[SCX]%d+%a?") do paras[k] = p.text:gsub("%s+", " ") end
      end
      return paras, text
    end

    it("lists every key the notes define, with their years and identifiers", function()
      local path = S.shared_file("DOMAIN.md")
      if not path then return pending(S.skip_reason("DOMAIN.md")) end
      local paras, text = section8(path)
      local n = 0
      for k, para in pairs(paras) do
        n = n + 1
        local e = sources.get(k)
        assert.is_table(e, k)
        assert.is_nil(e.incomplete, k)
        for _, f in ipairs { "year", "volume", "doi", "pmid", "pmc" } do
          if e[f] then assert.truthy(para:find(tostring(e[f]), 1, true), k .. " " .. f .. ": " .. tostring(e[f])) end
        end
      end
      assert.is_true(n >= 90, "keys of §8: " .. n)
      -- the parts the notes define inside an entry
      for _, k in ipairs { "S2-clinical", "S2-tx", "S13b", "S20-tx", "S25-full case", "S26c", "S29b",
                           "S34-DHVD", "S35q", "S63b" } do
        assert.truthy(text:find(k, 1, true), k)
        assert.is_table(sources.get(k), k)
      end
      -- every key the notes cite anywhere (C and X case reports included)
      for k in text:gmatch("%[([SCX]%d+%a?)%]") do assert.is_table(sources.get(k), k) end
    end)

    it("reproduces chosen entries field by field", function()
      local path = S.shared_file("DOMAIN.md")
      if not path then return pending(S.skip_reason("DOMAIN.md")) end
      local paras = section8(path)
      for _, k in ipairs { "S1", "S3", "S6", "S7", "S17", "S23", "S40", "S82", "S84", "S88", "S90", "S92" } do
        local e, para = sources.get(k), paras[k]
        assert.is_string(para, k)
        for _, f in ipairs { "authors", "title", "container", "year", "volume", "doi", "pmid", "pmc" } do
          if e[f] then assert.truthy(para:find(tostring(e[f]), 1, true), k .. " " .. f .. ": " .. tostring(e[f])) end
        end
      end
      local s88 = sources.get("S88")
      assert.equal("10.1001/jamadermatol.2017.4920", s88.doi)
      assert.equal("29238798", s88.pmid)
      assert.equal("PMC5839276", s88.pmc)
      assert.equal("Payne RB, Little AJ, Williams RB, Milner JR", sources.get("S40").authors)
      assert.equal("4758544", sources.get("S40").pmid)
    end)

    it("describes each seed document by what it is", function()
      local dir = S.shared("seeds")
      if not S.shared_file("seeds/000_e321c3efd63be09a.txt") then return pending(S.skip_reason("seeds")) end
      local marks = { ["seed:000"] = "Scleroderma News", ["seed:001"] = "Hidoc Dr.", ["seed:002"] = "dermvettacoma.com",
        ["seed:003"] = "How do you get calcinosis cutis", ["seed:004"] = "WikiMD" }
      local p = io.popen("ls " .. dir)
      local n = 0
      for name in p:lines() do
        local num = name:match("^(%d%d%d)_.*%.txt$")
        if num then
          n = n + 1
          local key = "seed:" .. num
          local e = sources.get(key)
          assert.is_table(e, key)
          assert.matches("^project seed document: ", e.description)
          assert.truthy(read(dir .. "/" .. name):find(marks[key], 1, true), key)
          assert.truthy(e.citation:find(marks[key]:gsub("%?", ""), 1, true)
            or (e.note or ""):find(marks[key], 1, true), key)
        end
      end
      p:close()
      assert.equal(5, n)
    end)
  end)

  describe("docs/clinical-reference.md", function()
    local doc = read("docs/clinical-reference.md")

    it("ends with the bibliography, up to date (lua5.4 lua/calcinosis/sources.lua docs/clinical-reference.md)",
      function()
        assert.equal(doc, (assert(sources.update_document(doc))))
        for _, k in ipairs(sources.keys()) do
          assert.truthy(doc:find("- **" .. k .. "** — ", 1, true), k)
        end
      end)

    it("cites only keys that resolve", function()
      local body = doc:sub(1, doc:find(sources.BIBLIOGRAPHY_BEGIN, 1, true))
      local n = 0
      for inner in body:gmatch("%[([^%[%]\n]+)%]") do
        if inner:match("^[SCX]%d") or inner:match("^seed:") then
          n = n + 1
          assert.is_table(sources.get(inner), inner)
        end
      end
      assert.is_true(n > 300)
    end)
  end)

  describe("the project stands on its own", function()
    it("points nowhere outside the repository in the texts of the clinical modules and the docs", function()
      local paths = { "README.md", "docs/clinical-reference.md", "lua/calcinosis/sources.lua",
        "lua/calcinosis/knowledge.lua", "lua/calcinosis/vocab.lua", "lua/calcinosis/ranges.lua",
        "lua/calcinosis/labs.lua", "lua/calcinosis/lexicon.lua", "lua/calcinosis/result.lua",
        "lua/calcinosis/rules/default.lua" }
      local p = io.popen("ls src/*.c src/*.h")
      for path in p:lines() do paths[#paths + 1] = path end
      p:close()
      for _, path in ipairs(paths) do
        local text = read(path)
        for _, bad in ipairs { "DOMAIN", "../shared", "/work/shared", "seeds/" } do
          assert.falsy(text:find(bad, 1, true), path .. " mentions " .. bad)
        end
      end
    end)
  end)

  describe("results", function()
    local calcinosis = require "calcinosis"
    local json = require "calcinosis.json"
    local patient = json.decode(read("examples/patients/calciphylaxis_uraemic.json"))

    local function keys_cited(groups)
      local want = {}
      for _, g in ipairs(groups) do
        for _, item in ipairs(g) do
          for _, k in ipairs(sources.keys_in(item.source or item.sources or {})) do want[k] = true end
          for _, sub in ipairs(item.cautions or {}) do
            for _, k in ipairs(sources.keys_in(sub.sources)) do want[k] = true end
          end
          for _, sub in ipairs(item.regimen or {}) do
            for _, k in ipairs(sources.keys_in(sub.sources)) do want[k] = true end
          end
        end
      end
      return sorted_keys(want)
    end

    local function ref_keys(r)
      local out = {}
      for i, e in ipairs(r.references) do
        out[i] = e.key
        assert.is_nil(e.unresolved, e.key)
        assert.is_string(e.citation, e.key)
      end
      return out
    end

    it("carry the references of their rules, alternatives, alerts and missing inputs", function()
      local r = calcinosis.classify(patient, nil, { knowledge = false })
      assert.equal("calciphylaxis", r.type)
      assert.same(keys_cited { r.fired, r.alternatives, r.alerts, r.missing }, ref_keys(r))
      assert.is_true(#r.references >= 5)
    end)

    it("add those of the work-up, referrals, treatments and prognosis with the knowledge", function()
      local r = calcinosis.classify(patient)
      assert.is_table(r.workup) -- fills in the knowledge fields
      local keys = ref_keys(r)
      assert.same(keys_cited { r.fired, r.alternatives, r.alerts, r.missing, r.workup, r.referrals, r.treatments,
        { { sources = r.treatment_sources } }, r.prognosis }, keys)
      local has = {}
      for _, k in ipairs(keys) do has[k] = true end
      assert.is_true(has.S16 and has.S59 and has.S11, "work-up and treatment sources")
      -- JSON carries them
      local back = json.decode(json.encode(r))
      assert.equal(#keys, #back.references)
      assert.equal(sources.get(keys[1]).citation, back.references[1].citation)
    end)

    it("list a key a user ruleset cites that does not resolve as unresolved", function()
      local rules = require "calcinosis.rules"
      local rs = assert(rules.compile([[
        return ruleset { name = "refs", version = "1", subtypes = { "metastatic", "idiopathic" },
          rule { id = "m", supports = "metastatic", weight = 2, when = "high(calcium)",
            because = "calcium above the reference range", source = "S1 S777" } }]]))
      local r = rs:classify { age = 50, sex = "F", labs = { calcium = "12.5 mg/dL" } }
      local keys, unresolved = {}, {}
      for _, e in ipairs(r.references) do
        keys[#keys + 1] = e.key
        if e.unresolved then unresolved[#unresolved + 1] = e.key end
      end
      assert.same({ "S1", "S777" }, keys)
      assert.same({ "S777" }, unresolved)
    end)
  end)
end)
