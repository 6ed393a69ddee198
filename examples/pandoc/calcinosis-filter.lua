--- A pandoc Lua filter:
--
-- * each code block of class `calcinosis` holding a patient record (the
--   JSON shape of `calcinosis.classify`) becomes that patient's full report
--   (`calcinosis.report.patient`: the type with confidence, alternatives
--   and alerts, the problems in the data, the evidence, what is missing,
--   the lab table, work-up, referrals, treatment options, prognosis, the
--   ruleset, the references and the research-tool statement);
-- * each code block of class `calcinosis-cohort` naming a cohort file (CSV
--   or NDJSON, relative to the folder pandoc runs in) becomes the cohort
--   report's tables: the counts by type (default), or the sections named by
--   its `sections` attribute (`sections="counts,rules,completeness"`).
--
-- The report is made as Markdown (`calcinosis.report.markdown`) and read
-- back with `pandoc.read`, so it converts to any output pandoc writes;
-- figures are left out (SVG files; the HTML report has them).
--
--     pandoc --lua-filter examples/pandoc/calcinosis-filter.lua report.md -o report.html
--
-- pandoc 2 embeds Lua 5.3: install the module for it
-- (`luarocks --lua-version=5.3 install calcinosis`) or point LUA_PATH and
-- LUA_CPATH at a checkout (see examples/pandoc/README.md).
-- luacheck: globals pandoc
local calcinosis = require "calcinosis"
local json = require "calcinosis.json"
local report = require "calcinosis.report"

local function para(...)
  return pandoc.Para({ ... })
end

local function problem_blocks(message)
  return { para(pandoc.Strong({ pandoc.Str("calcinosis:") }), pandoc.Space(), pandoc.Str(message)) }
end

-- a report document as pandoc blocks, its title a level-2 heading
local function blocks_of(doc)
  local md = report.render(doc, "md", { figures = false, level = 2 })
  return pandoc.read(md, "markdown").blocks
end

local function patient_block(block)
  local patient, err = json.decode(block.text)
  if type(patient) ~= "table" then
    return pandoc.Div(problem_blocks("not a JSON patient record: " .. tostring(err)), { class = "calcinosis" })
  end
  local result, cerr = calcinosis.classify(patient)
  if not result then return pandoc.Div(problem_blocks(tostring(cerr)), { class = "calcinosis" }) end
  return pandoc.Div(blocks_of(report.patient(result, patient)), { class = "calcinosis" })
end

local function cohort_block(block)
  local path = block.text:match("^%s*(.-)%s*$")
  local sections = {}
  for s in (block.attributes.sections or "counts"):gmatch("[^,%s]+") do sections[#sections + 1] = s end
  local rs = require("calcinosis.rules").default()
  local ok, doc, err = pcall(report.cohort, rs, path, { sections = sections })
  if not ok or not doc then
    return pandoc.Div(problem_blocks(path .. ": " .. tostring(ok and err or doc)), { class = "calcinosis-cohort" })
  end
  return pandoc.Div(blocks_of(doc), { class = "calcinosis-cohort" })
end

return {
  {
    CodeBlock = function(block)
      if block.classes:includes("calcinosis") then return patient_block(block) end
      if block.classes:includes("calcinosis-cohort") then return cohort_block(block) end
      return nil
    end,
  },
}
