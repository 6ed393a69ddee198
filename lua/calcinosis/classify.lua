--- Classification of one patient: `calcinosis.classify(patient [, ruleset
-- [, options]])`, the default ruleset's result with the knowledge fields
-- (work-up, referrals, treatment options, prognosis, the lab table). The
-- result is the C engine's, presented by `calcinosis.result` (see there for
-- every field).
--
-- Dependencies: calcinosis.engine, calcinosis.result, calcinosis.rules,
-- calcinosis.util.
-- @module calcinosis.classify

local engine = require "calcinosis.engine"
local result_m = require "calcinosis.result"
local util = require "calcinosis.util"
local compat = require "calcinosis.compat"

local M = {}
local knowledge_mt -- below

--- The disclaimer carried by every result.
M.DISCLAIMER = util.DISCLAIMER

--- Calcium, phosphate and PTH status of a lab table (see `calcinosis.result.lab_status`).
M.lab_status = result_m.lab_status

---------------------------------------------------------------------------
-- The default ruleset

--- The default clinical ruleset (lua/calcinosis/rules/default.lua), loaded
-- once in the sandbox like any user ruleset: the same object as
-- `calcinosis.rules.default()`. `M.default_path` is the file it was
-- found in (searched for once, not on every call: a search opens files).
-- @treturn Ruleset|nil
-- @treturn[2] string message
function M.default()
  local rs, err = require("calcinosis.rules").default()
  if rs and M.default_path == nil then
    M.default_path = compat.searchpath("calcinosis.rules.default", package.path)
  end
  return rs, err
end

-- the fields filled in when first read: the presented lists
-- (`calcinosis.result.finish`) and the knowledge fields
local LAZY_FIELDS = { workup = true, referrals = true, treatments = true, treatment_note = true,
  treatment_sources = true, prognosis = true, labs = true, lab_status = true, references = true }
for k in pairs(result_m.LAZY_FIELDS) do LAZY_FIELDS[k] = true end

local function fill(result, ruleset)
  setmetatable(result, nil)
  result_m.finish(result, ruleset, true)
  result_m.add_knowledge(result, ruleset)
  result._labs = nil
  return result
end

-- The metatable of a ruleset's results whose presented lists and knowledge
-- fields are filled in when first read, iterated over (pairs) or assigned
-- (so that a value set is not overwritten later): one per ruleset (weak
-- keys), made once. `__complete` fills them in (`M.complete`).
local metatables = setmetatable({}, { __mode = "k" })
function knowledge_mt(ruleset)
  local mt = metatables[ruleset]
  if not mt then
    mt = {
      __index = function(t, k)
        if LAZY_FIELDS[k] then return rawget(fill(t, ruleset), k) end
        return nil
      end,
      __newindex = function(t, k, v) rawset(fill(t, ruleset), k, v) end,
      __pairs = function(t) return next, fill(t, ruleset), nil end,
      __complete = function(t) return fill(t, ruleset) end,
    }
    metatables[ruleset] = mt
  end
  return mt
end

--- Fills in every field of a result of `M.classify` now (they are filled
-- in when first read, iterated over with pairs or assigned): for code that
-- reads the table with `next` or `rawget`, or hands it to an encoder that
-- does (lua-cjson). Any other value is returned as it is.
-- @param result
-- @return the same result, complete, without a metatable
function M.complete(result)
  local mt = type(result) == "table" and getmetatable(result)
  if type(mt) == "table" and mt.__complete then mt.__complete(result) end
  return result
end

--- Classifies one patient (the engine's result, presented).
-- @tparam table patient the patient record: `{ id, age, sex, species,
--   height_cm, labs = { name = "10.2 mg/dL" | 10.2 | {10.2, "mg/dL"} |
--   { value =, unit = } | "high" }, findings = { terms } | "a;b", sites = ... }`
-- @tparam[opt] Ruleset ruleset default: `M.default()`
-- @tparam[opt] table options `ca_coefficient` = "common" | "payne" | "si",
--   `ranges`, `critical`, `kdigo_rounding`; `knowledge = false` leaves out
--   the work-up, referrals, treatments and prognosis
-- @treturn table the result (see the module description)
function M.classify(patient, ruleset, options)
  if type(patient) ~= "table" then
    error(("calcinosis.classify: bad argument #1 (table expected, got %s)"):format(type(patient)), 2)
  end
  if options ~= nil and type(options) ~= "table" then
    error(("calcinosis.classify: bad argument #3 (table expected, got %s)"):format(type(options)), 2)
  end
  if ruleset == nil then
    local err
    ruleset, err = M.default()
    if not ruleset then error("calcinosis.classify: " .. tostring(err), 2) end
  end
  local plan = engine.for_patients(ruleset, options)
  -- references are made with the knowledge entries' sources when first read
  if options and options.knowledge == false then
    local result = result_m.present(ruleset, plan:classify(patient), patient, options, true)
    result._labs = nil
    return result_m.present_references(result, ruleset)
  end
  -- the presented lists (fired, alternatives, missing, confidence, ...) are
  -- built when first read too: the C core keeps what they are made from
  local lazy = compat.pairs_metamethod
  local result = result_m.present(ruleset, plan:classify(patient, lazy), patient, options, true, lazy)
  -- the knowledge fields are filled in when first read (or iterated over:
  -- pairs and the JSON encoder see them), so that a caller who reads the
  -- type and the confidence of many patients does not pay for them; where
  -- pairs has no __pairs (5.1, LuaJIT) they are filled in now
  if not compat.pairs_metamethod then return fill(result, ruleset) end
  return setmetatable(result, knowledge_mt(ruleset))
end

return M
