--- calcinosis.rules: the rule language.
--
-- A ruleset is a Lua file that returns `ruleset { ... }`:
--
--     return ruleset {
--       name = "example", version = "1.0",
--       subtypes = { "metastatic", "dystrophic" },      -- tie order
--       decision = { tie = "order", indeterminate_at_most = 0, label = "indeterminate" },
--       set("DYS", { "lupus", "trauma" }),
--       param("ca_limit", "10.5 mg/dL"),
--       let("ca_corr", "if present(albumin) then calcium + 0.8 * (4 - albumin) else calcium",
--           { unit = "mg/dL", analyte = "calcium" }),
--       rule { id = "metastatic.ca", when = "ca_corr > ca_limit", supports = "metastatic",
--              weight = 3, because = "calcium is high", source = "S1" },
--     }
--
-- Declarations are positional, in order; `rules = {...}` and `sets = {...}`
-- fields are accepted too. A let may use lets declared before it. The
-- condition language is described in `calcinosis.rules.parser` (grammar) and
-- `calcinosis.rules.compiler` (names, units, three-valued semantics).
--
-- Decision: the score of a subtype is the sum of the weights of its fired
-- rules; `type` is the subtype with the highest score, ties going to the
-- first in `subtypes` (decision.tie = "order") or to indeterminate
-- (decision.tie = "indeterminate"); when the best score is <=
-- `decision.indeterminate_at_most` (default 0) the type is `decision.label`
-- (default "indeterminate").
--
-- Files run in a sandbox: only the DSL functions (`ruleset`, `rule`, `set`,
-- `param`, `let`, `include`) and safe basics (`pairs`, `ipairs`, `next`,
-- `select`, `type`, `tostring`, `tonumber`, `error`, `assert`, copies of
-- `string` (no `dump`, bounded `rep`, also for methods called on strings),
-- `table`, `math`, `utf8`); no `getmetatable`, `pcall`, `coroutine`, `io`,
-- `os`, `require`, `load`, `debug`, `package` or `collectgarbage`. An
-- instruction budget (count hook) and a memory budget (a guard on the
-- state's allocator, so that even one huge concatenation fails cleanly) stop
-- runaway scripts with a clear error (`M.budget`). `include(path)` loads
-- another ruleset file (a relative path ending in .lua, from the including
-- file's folder, or a module name on `package.path`) in the same sandbox.
-- `load(path, { trusted = true })` runs a file you trust with the full
-- environment and no budgets.
-- @module calcinosis.rules
local compiler = require "calcinosis.rules.compiler"
local explain = require "calcinosis.rules.explain"

local M = {}

local NaN = 0 / 0
local FLAG = { critical_low = -2, low = -1, normal = 0, high = 1, critical_high = 2 }

--- A compiled ruleset (returned by `load`, `compile`, `ruleset`, `variant`).
-- Fields (read-only): `name`, `version`, `hash` (FNV-1a 64 of the program
-- bytes, which include the metadata: ids, conditions, sentences, sources),
-- `warnings` (unknown terms or source keys), `program` (the verified VM
-- program, userdata "calcinosis.program"), and `compiled`, the compiler's
-- output that C callers map their inputs with: `slots` (list of `{ kind,
-- name, sex }` in slot order), `term_ids` ("finding:ckd" -> id), `lets` (list
-- of `{ name, unit, expr, ast }`), `rules` (list of `{ id, when, supports,
-- weight, because, source, ast }`), `subtypes` (tie order), `label`, `tie`,
-- `params` (name -> `{ value, unit }`), `sets` (name -> terms), `setlist`,
-- `consts`, `bytes`.
-- @type Ruleset
local Ruleset = {}
Ruleset.__index = Ruleset
M.Ruleset = Ruleset

local function core() return require "calcinosis.core" end

-- ---------------------------------------------------------------------------
-- DSL constructors (plain data; `ruleset` compiles)

local function caller_line(level)
  local info = debug.getinfo(level + 1, "Sl")
  return info and info.currentline, info and info.source
end

-- source text of the files being loaded, by file name (for error carets)
local source_by_file = {}

local function decl(kind, t, level)
  t.kind = kind
  local line, source = caller_line(level + 1)
  t.line = t.line or line
  if source then
    t.file = t.file or source:gsub("^[@=]", "")
    t.source_text = t.source_text or source_by_file[t.file]
  end
  return t
end

--- Declares a rule: `rule { id =, when =, supports =, weight =, because =, source = }`.
-- @tparam table t
-- @treturn table the declaration
function M.rule(t)
  if type(t) ~= "table" then error("rule{...} expects a table", 2) end
  local d = {}
  for k, v in pairs(t) do d[k] = v end
  decl("rule", d, 2)
  return d
end

--- Declares a named set of terms; terms that name other sets are included.
-- @tparam string name
-- @tparam table terms list of terms or set names
function M.set(name, terms)
  if type(name) ~= "string" or type(terms) ~= "table" then
    error("set(name, { terms... }) expects a name and a list", 2)
  end
  local list = {}
  for i, v in ipairs(terms) do
    if type(v) == "table" and v.kind == "set" then list[i] = v.name else list[i] = tostring(v) end
  end
  local d = decl("set", { name = name, terms = list }, 2)
  return d
end

--- Declares a named parameter with a default: a number or "55 mg2/dL2".
-- @tparam string name
-- @param value default
-- @tparam[opt] string doc what the parameter means
function M.param(name, value, doc)
  if type(name) ~= "string" then error("param(name, value) expects a name", 2) end
  local d = decl("param", { name = name, value = value, doc = doc }, 2)
  return d
end

--- Declares a named derived value.
-- `let(name, expr [, unit_or_options])` where options are `{ unit =, analyte = }`
-- (the analyte lets a molar literal be converted when compared with it).
-- @tparam string name
-- @tparam string expr
function M.let(name, expr, opts)
  if type(name) ~= "string" or type(expr) ~= "string" then
    error("let(name, expression [, unit]) expects two strings", 2)
  end
  if type(opts) == "string" then opts = { unit = opts } end
  opts = opts or {}
  local d = decl("let", { name = name, expr = expr, unit = opts.unit, analyte = opts.analyte }, 2)
  return d
end

local function result_decl(kind)
  return function(t)
    if type(t) ~= "table" then error(kind .. "{...} expects a table", 2) end
    local d = {}
    for k, v in pairs(t) do d[k] = v end
    decl(kind, d, 2)
    return d
  end
end

--- Declares an alternative label the literature allows: `alternative { id =,
-- when =, labels = { subtype, ... }, reason = | reasons = { subtype = text }, source = }`.
-- After the decision, when the condition holds, each label other than the
-- result's type is listed in `alternatives` with its reason (see
-- `calcinosis.rules.compiler` for the names a result condition may read).
-- A variant drops it as `"alternative.<id>"`.
-- @function alternative
M.alternative = result_decl("alternative")

--- Declares an alert: `alert { id =, when =, severity = "urgent" | "critical" |
-- "warning", text =, source = }`; `{type}` in the text is the result's type.
-- @function alert
M.alert = result_decl("alert")

--- Declares a missing input worth asking for: `ask { id =, when =, inputs =
-- { names }, text =, source = [, priority =] [, weight =] [, changes =] }`.
-- Listed when the condition holds and its weight (its own plus the weights
-- of the not-evaluable rules that read its inputs) is above 0, ranked by
-- priority, then whether it could change the type, then weight.
-- @function ask
M.ask = result_decl("ask")

--- Declares a confidence factor: `confidence { id =, when =, factor =, because = }`.
-- The confidence is the margin of the winning score times the factors whose
-- conditions hold.
-- @function confidence
M.confidence = result_decl("confidence")

local RESULT_KINDS = compiler.RESULT_KINDS

-- the key of a declaration for variants: rules by id, result declarations
-- as "<kind>.<id>", the rest as "<kind>:<name>"
local function decl_key(d)
  if d.kind == "rule" then return d.id end
  if RESULT_KINDS[d.kind] then return d.kind .. "." .. tostring(d.id) end
  return d.kind .. ":" .. tostring(d.name)
end

-- ---------------------------------------------------------------------------
-- Compilation into a Ruleset object

local function spec_of(t, ctx)
  if type(t) ~= "table" then error("ruleset{...} expects a table", 3) end
  local spec = {
    name = t.name, version = t.version, subtypes = t.subtypes, decision = t.decision,
    file = ctx and ctx.file or "(string)", source_text = ctx and ctx.source, decls = {},
  }
  spec.line = caller_line(3)
  local function add(d)
    if type(d) ~= "table" or not d.kind then
      error("ruleset{...}: positional entries must be rule{}, set(), param(), let(), alternative{}, " ..
        "alert{}, ask{} or confidence{}", 4)
    end
    spec.decls[#spec.decls + 1] = d
  end
  for _, d in ipairs(t) do add(d) end
  for _, field in ipairs { "sets", "params", "lets", "rules", "alternatives", "alerts", "asks", "confidences" } do
    if t[field] ~= nil then
      if type(t[field]) ~= "table" then error(("ruleset{...}: %s must be a list"):format(field), 3) end
      for _, d in ipairs(t[field]) do add(d) end
    end
  end
  return spec
end

local function fill_sources(spec)
  for _, d in ipairs(spec.decls) do
    d.file = d.file or spec.file
    d.source_text = d.source_text or spec.source_text
  end
end

local function build(spec)
  fill_sources(spec)
  -- the compiler is trusted code whose work is bounded by the declarations:
  -- it runs outside the sandbox's budget hook
  local hook, mask, count = debug.gethook()
  if hook then debug.sethook() end
  local ok, c = pcall(compiler.compile, spec)
  if hook then debug.sethook(hook, mask, count) end
  if not ok then
    if type(c) == "table" and c.compile_error then return nil, c.compile_error end
    error(c, 0)
  end
  local prog, err = core().vm_load(c.bytes)
  if not prog then return nil, "program rejected by the verifier: " .. err end
  local post, perr = core().vm_load(c.result.bytes)
  if not post then return nil, "result program rejected by the verifier: " .. perr end
  local conf, cerr = core().vm_load(c.result.conf_bytes)
  if not conf then return nil, "confidence program rejected by the verifier: " .. cerr end
  local self = setmetatable({
    name = spec.name, version = tostring(spec.version), spec = spec, program = prog,
    result_program = post, confidence_program = conf,
    hash = core().hash(c.bytes .. c.result.bytes .. c.result.conf_bytes), compiled = c, warnings = c.warnings,
    -- buffers reused by classify
    _vars = {}, _terms = {}, _state = {}, _lets = {}, _scores = {},
  }, Ruleset)
  for i = 1, #c.slots do self._vars[i] = NaN end
  for i = 1, #c.rules do self._state[i] = 0 end
  for i = 1, #c.lets do self._lets[i] = NaN end
  for i = 1, #c.subtypes do self._scores[i] = 0 end
  self._term_names = {}
  for key, id in pairs(c.term_ids) do self._term_names[id] = key end
  return self
end

-- ---------------------------------------------------------------------------
-- Sandbox

local MAX_REP = 1000000

local function safe_string()
  local s = {}
  for k, v in pairs(string) do s[k] = v end
  s.dump = nil
  -- (the memory guard bounds every allocation anyway; this gives a clearer
  -- message for the most common bomb)
  s.rep = function(str, n, sep)
    local len = #tostring(str) + #tostring(sep or "")
    if (tonumber(n) or 0) * len > MAX_REP then
      error("string.rep: result too large for a ruleset", 2)
    end
    return string.rep(str, n, sep)
  end
  return s
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

--- Default budgets of a sandboxed load.
M.budget = { instructions = 2000000, memory_kb = 65536 }

local load_file -- forward

local function make_env(ctx)
  local env = {
    pairs = pairs, ipairs = ipairs, next = next, select = select, type = type,
    tostring = tostring, tonumber = tonumber, error = error, assert = assert,
    string = ctx.string_lib, table = copy(table), math = copy(math), utf8 = copy(utf8),
    rule = M.rule, set = M.set, param = M.param, let = M.let,
    alternative = M.alternative, alert = M.alert, ask = M.ask, confidence = M.confidence,
    _VERSION = _VERSION,
  }
  env.ruleset = function(t)
    local spec = spec_of(t, ctx)
    local rs, err = build(spec)
    if not rs then error(err, 0) end
    return rs
  end
  env.include = function(path)
    if type(path) ~= "string" then error("include(path) expects a string", 2) end
    local full
    if path:sub(1, 1) == "/" and not ctx.options.trusted then
      error("include: absolute paths are not allowed in a sandboxed ruleset", 2)
    end
    if path:match("%.lua$") then
      full = path:sub(1, 1) == "/" and path or (ctx.dir .. path)
    else
      full = package.searchpath(path, package.path)
      if not full then error(("include: module '%s' not found"):format(path), 2) end
    end
    local rs, err = load_file(full, ctx.options, ctx)
    if not rs then error(err, 0) end
    return rs
  end
  if ctx.options.trusted then setmetatable(env, { __index = _G }) end
  return env
end

local function run_chunk(chunk, ctx)
  if ctx.options.trusted or ctx.parent then
    return pcall(chunk)
  end
  -- Outermost sandboxed load. The memory budget is enforced by the C
  -- allocator guard (core.vm_memguard), so that even one huge operation
  -- fails cleanly; the instruction budget by a count hook. The string
  -- metatable's __index is the safe string table meanwhile (so that
  -- ("x"):rep(1e10) is refused too).
  local budget = ctx.options.budget or M.budget
  local every = 1000
  local steps = 0
  local oldhook, oldmask, oldcount = debug.gethook()
  local smt = getmetatable("")
  local old_index = smt.__index
  -- the hook removes itself before raising: the sandboxed code has no pcall,
  -- and the loader's own pcalls pass errors on
  local function hook()
    steps = steps + every
    if steps > budget.instructions then
      debug.sethook()
      error(("instruction budget exceeded (%d instructions)"):format(budget.instructions), 2)
    end
  end
  smt.__index = ctx.string_lib
  core().vm_memguard(budget.memory_kb * 1024)
  debug.sethook(hook, "", every)
  local ok, res, res2 = pcall(chunk)
  debug.sethook(oldhook, oldmask, oldcount)
  core().vm_memguard()
  smt.__index = old_index
  if not ok and res == "not enough memory" then
    res = ("%s: memory budget exceeded (%d KB)"):format(ctx.file, budget.memory_kb)
  end
  return ok, res, res2
end

local function load_source(src, chunkname, file, options, parent)
  local ctx = {
    file = file, source = src, options = options, parent = parent,
    dir = file:match("^(.*[/\\])") or "./",
    string_lib = parent and parent.string_lib or safe_string(),
  }
  if parent then
    parent.depth = (parent.depth or 0) + 1
    ctx.depth = parent.depth
    if ctx.depth > 8 then return nil, file .. ": include nested too deeply" end
  end
  local env = make_env(ctx)
  local chunk, err = load(src, chunkname, "t", env)
  if not chunk then return nil, err end
  local previous = source_by_file[file]
  source_by_file[file] = src
  local ok, res, res2 = run_chunk(chunk, ctx)
  source_by_file[file] = previous
  if parent then parent.depth = parent.depth - 1 end
  if not ok then
    if type(res) == "table" and res.compile_error then res = res.compile_error end
    return nil, tostring(res)
  end
  if res == nil and type(res2) == "string" then return nil, res2 end
  if getmetatable(res) ~= Ruleset then
    return nil, file .. ": the file must return ruleset { ... } (got " .. type(res) .. ")"
  end
  return res
end

load_file = function(path, options, parent)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local src = f:read("a")
  f:close()
  return load_source(src, "@" .. path, path, options or {}, parent)
end

--- Loads a ruleset file in the sandbox.
-- @tparam string path
-- @tparam[opt] table options `{ trusted = true }` runs the file with the full
-- environment and no budgets (only for files you trust); `{ budget = {
-- instructions =, memory_kb = } }` changes the budgets
-- @treturn Ruleset|nil the ruleset
-- @treturn[2] string message
function M.load(path, options)
  if type(path) ~= "string" then return nil, "rules.load: path must be a string" end
  return load_file(path, options or {})
end

--- Compiles a ruleset from source text (a Lua chunk returning `ruleset{...}`),
-- in the sandbox.
-- @tparam string source
-- @tparam[opt] table options as for `load`, plus `name` (chunk name for messages)
-- @treturn Ruleset|nil
-- @treturn[2] string message
function M.compile(source, options)
  if type(source) ~= "string" then return nil, "rules.compile: source must be a string" end
  options = options or {}
  local name = options.name or "(string)"
  return load_source(source, "=" .. name, name, options)
end

local default_ruleset

--- The default clinical ruleset (`calcinosis.rules.default`, the file
-- lua/calcinosis/rules/default.lua found on `package.path`), loaded in the
-- sandbox like any file, once; later calls return the same ruleset.
-- @treturn Ruleset|nil
-- @treturn[2] string message
function M.default()
  if default_ruleset then return default_ruleset end
  local path = package.searchpath("calcinosis.rules.default", package.path)
  if not path then return nil, "the default ruleset (calcinosis/rules/default.lua) is not installed" end
  local rs, err = load_file(path, {})
  if not rs then return nil, err end
  default_ruleset = rs
  return rs
end

--- Builds a ruleset directly from a table (no sandbox; for code that already
-- holds the declarations).
-- @tparam table t as given to `ruleset{...}`
-- @treturn Ruleset|nil
-- @treturn[2] string message
function M.ruleset(t)
  return build(spec_of(t, nil))
end

-- ---------------------------------------------------------------------------
-- Ruleset methods

--- Makes a variant: `base:variant { name =, version =, params = { name = value },
-- drop = { ids }, rules = { rule{...} } (same id replaces, new id appends),
-- sets = { set(...) }, lets = { let(...) }, subtypes =, decision = }`.
-- @tparam table t
-- @treturn Ruleset|nil
-- @treturn[2] string message
function Ruleset:variant(t)
  if type(t) ~= "table" then return nil, "variant{...} expects a table" end
  local base = self.spec
  local line, source = caller_line(2)
  local vdecl = { kind = "variant", name = t.name, file = (source or ""):gsub("^[@=]", ""),
    line = line }
  local function fail(msg) return nil, ("%s:%d: variant '%s': %s"):format(vdecl.file, line or 0,
    tostring(t.name or base.name), msg) end
  local decls = {}
  local by_id, by_name = {}, {}
  for i, d in ipairs(base.decls) do
    decls[i] = d
    if d.kind == "rule" or RESULT_KINDS[d.kind] then by_id[decl_key(d)] = i else by_name[decl_key(d)] = i end
  end
  local function names_of(kind)
    local list = {}
    for _, d in ipairs(decls) do
      if d and d.kind == kind then list[#list + 1] = d.id or d.name end
    end
    return list
  end
  local function droppable()
    local list = {}
    for _, d in ipairs(decls) do
      if d.kind == "rule" or RESULT_KINDS[d.kind] then list[#list + 1] = decl_key(d) end
    end
    return list
  end
  for pname, value in pairs(t.params or {}) do
    local i = by_name["param:" .. pname]
    if not i then
      local s = compiler.suggest(pname, names_of("param"))
      return fail(("unknown param '%s'%s"):format(pname, s and (" (did you mean '%s'?)"):format(s) or ""))
    end
    local d = {}
    for k, v in pairs(decls[i]) do d[k] = v end
    d.value = value
    d.file, d.line, d.source_text = vdecl.file, line, nil
    decls[i] = d
  end
  for _, list in ipairs { t.sets or {}, t.lets or {}, t.rules or {}, t.alternatives or {}, t.alerts or {},
    t.asks or {}, t.confidences or {}, t } do
    for _, d in ipairs(list) do
      if type(d) ~= "table" or not d.kind then
        return fail("entries must be rule{}, set(), param(), let(), alternative{}, alert{}, ask{} or confidence{}")
      end
      local key = decl_key(d)
      local by = (d.kind == "rule" or RESULT_KINDS[d.kind]) and by_id or by_name
      local i = by[key]
      if i then decls[i] = d else
        decls[#decls + 1] = d
        by[key] = #decls
      end
    end
  end
  local drop = {}
  for _, id in ipairs(t.drop or {}) do
    if not by_id[id] then
      local s = compiler.suggest(tostring(id), droppable())
      return fail(("cannot drop unknown rule or declaration '%s'%s"):format(tostring(id),
        s and (" (did you mean '%s'?)"):format(s) or ""))
    end
    drop[by_id[id]] = true
  end
  local kept = {}
  for i, d in ipairs(decls) do if not drop[i] then kept[#kept + 1] = d end end
  local spec = {
    name = t.name or (base.name .. "+variant"), version = t.version or base.version,
    subtypes = t.subtypes or base.subtypes, decision = t.decision or base.decision,
    file = base.file, source_text = base.source_text, line = base.line, decls = kept,
    extends = base,
  }
  return build(spec)
end

-- the term ids present, for `evaluate`: terms given as canonical terms or
-- synonyms (through the vocabulary), with the terms they imply
local function fill_terms(self, inputs)
  local terms, n, ids = self._terms, 0, self.compiled.term_ids
  for _, kind in ipairs { "finding", "site" } do
    local list = inputs[kind .. "s"]
    if type(list) == "table" and #list > 0 then
      local norm = {}
      for i, t in ipairs(list) do norm[i] = compiler.normalize(t) end
      for _, t in ipairs(compiler.expand(norm)) do
        local id = ids[kind .. ":" .. t]
        if id then n = n + 1; terms[n] = id end
      end
    end
  end
  for i = n + 1, #terms do terms[i] = nil end
end

-- fill the input slots from plain values in canonical units
local function fill_values(self, inputs)
  local vars = self._vars
  for i, s in ipairs(self.compiled.slots) do
    local v = NaN
    local kind = s.kind
    if kind == "sex" then
      local sex = inputs.sex
      if sex == "F" or sex == "M" then v = (sex == s.sex) and 1 or 0 end
    elseif kind == "species" then
      v = ((inputs.species or "human") == s.name) and 1 or 0
    elseif kind == "flag" then
      v = FLAG[inputs[s.name .. "_flag"]] or NaN
    else
      local x = inputs[s.name]
      if type(x) == "number" then v = x end
    end
    vars[i] = v
  end
  fill_terms(self, inputs)
end

local function run(self)
  local c = self.compiled
  local t, best = self.program:run(self._vars, self._terms, self._state, self._lets, self._scores)
  local scores = {}
  for i, s in ipairs(c.subtypes) do scores[s] = self._scores[i] end
  local values = {}
  for i, l in ipairs(c.lets) do
    local v = self._lets[i]
    if v == v then values[l.name] = v end
  end
  local result = {
    type = t == 0 and c.label or c.subtypes[t],
    score = best,
    scores = scores,
    fired = {},
    not_evaluable = {},
    values = values,
    name = self.name, version = self.version, hash = self.hash,
    ruleset = { name = self.name, version = self.version, hash = self.hash },
  }
  for i, r in ipairs(c.rules) do
    local st = self._state[i]
    if st == 1 then
      result.fired[#result.fired + 1] = { id = r.id, subtype = r.supports, weight = r.weight,
        because = r.because, sentence = r.because, source = r.source }
    elseif st == 2 then
      result.not_evaluable[#result.not_evaluable + 1] = { id = r.id }
    end
  end
  return result
end

--- Classifies one patient: the C engine reads the record (the same record
-- logic as every cohort reader), runs the decision program and the result
-- declarations; the result is presented by `calcinosis.result.present`.
-- @tparam table patient the patient record (see `calcinosis.classify`)
-- @tparam[opt] table options those of `calcinosis.labs` (`ca_coefficient`,
--   `kdigo_rounding`, `ranges`, `critical`), plus `knowledge = true` to add
--   the work-up, referrals, treatments and prognosis and the lab table
--   (as `calcinosis.classify` does)
-- @treturn table the result: `{ id, type, score, scores, fired, not_evaluable,
--   values, problems, alternatives, alerts, missing, confidence, findings,
--   sites, notes, species, name, version, hash, ruleset, disclaimer }` (see
--   `calcinosis.classify`)
function Ruleset:classify(patient, options)
  if type(patient) ~= "table" then error("classify(patient): patient must be a table", 2) end
  local present = require "calcinosis.result"
  local plan = require("calcinosis.engine").for_patients(self, options)
  local result = present.present(self, plan:classify(patient), patient, options)
  if options and options.knowledge then present.add_knowledge(result, self) end
  result._labs = nil
  return result
end

--- Classifies plain inputs, without the record logic and without
-- explanations (for tests of rules whose values are already in canonical
-- units).
-- @tparam table inputs `{ calcium = 10.2, age = 54, sex = "F", calcium_flag =
-- "high", findings = {...}, sites = {...} }`: numbers in canonical units
-- @treturn table `{ type, score, scores, fired, not_evaluable, values, ... }`
-- (fired entries have no `why`, not_evaluable entries no `missing`)
function Ruleset:evaluate(inputs)
  if type(inputs) ~= "table" then error("evaluate(inputs): inputs must be a table", 2) end
  fill_values(self, inputs)
  return run(self)
end

-- evaluation context for explanations (from the buffers of the last run)
function Ruleset:_ctx()
  local c = self.compiled
  local present = {}
  for _, id in ipairs(self._terms) do present[id] = true end
  return { vars = self._vars, lets = self._lets, terms = present, sets = c.setlist, let_decls = c.lets }
end

--- Evaluates every rule with the Lua reference evaluator (slow; for tests),
-- on plain inputs as `evaluate` takes them.
-- @treturn table states by rule index (0 false, 1 true, 2 unknown), lets
function Ruleset:reference(inputs)
  fill_values(self, inputs)
  local c = self.compiled
  local ctx = self:_ctx()
  local lets = {}
  ctx.lets = lets
  for i, l in ipairs(c.lets) do lets[i] = explain.eval(l.ast, ctx) end
  local states = {}
  for i, r in ipairs(c.rules) do
    local v = explain.eval(r.ast, ctx)
    states[i] = v ~= v and 2 or (v ~= 0 and 1 or 0)
  end
  return states, lets
end

--- The rules: a list of `{ id, when, subtype, weight, because, source }`.
function Ruleset:rules()
  local out = {}
  for i, r in ipairs(self.compiled.rules) do
    out[i] = { id = r.id, when = r.when, subtype = r.supports, weight = r.weight,
      because = r.because, sentence = r.because, source = r.source }
  end
  return out
end

--- Readable text of the whole ruleset.
-- @treturn string
function Ruleset:describe()
  local c = self.compiled
  local out = {}
  local function add(...) out[#out + 1] = string.format(...) end
  add("ruleset %s %s (hash %s)", self.name, self.version, self.hash)
  add("subtypes, in tie order: %s", table.concat(c.subtypes, ", "))
  add("decision: highest score wins; ties go to %s; %s when the best score is <= %s",
    c.tie == "order" and "the first in that order" or "indeterminate", c.label,
    compiler.fmt(c.indeterminate_at_most))
  local names = {}
  for k in pairs(c.sets) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do add("set %s = { %s }", k, table.concat(c.sets[k], ", ")) end
  names = {}
  for k in pairs(c.params) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local p = c.params[k]
    add("param %s = %s%s%s", k, compiler.fmt(p.value), p.unit and (" " .. p.unit) or "",
      p.decl.doc and ("  -- " .. p.decl.doc) or "")
  end
  for _, l in ipairs(c.lets) do
    add("let %s = %s%s", l.name, l.expr, l.unit and ("  [" .. l.unit .. "]") or "")
  end
  for _, r in ipairs(c.rules) do
    add("rule %s: %s -> %s %+g [%s]", r.id, r.when, r.supports, r.weight, r.source)
    add("    because %s", r.because)
  end
  for _, w in ipairs(c.warnings) do add("warning: %s", w) end
  return table.concat(out, "\n")
end

Ruleset.__tostring = function(self)
  return ("ruleset %s %s (%s)"):format(self.name, self.version, self.hash)
end

return M
