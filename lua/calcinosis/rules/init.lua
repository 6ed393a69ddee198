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
-- `param`, `let`, `include`, `alternative`, `alert`, `ask`, `confidence`)
-- and safe basics (`pairs`, `ipairs`, `next`, `select`, `type`, `tostring`,
-- `tonumber`, `error`, `assert`, a read-only `string` of bounded functions
-- (no `dump`; also the methods called on strings meanwhile), copies of
-- `table`, `math`, `utf8` with bounded counts); no `getmetatable`, `pcall`,
-- `coroutine`, `io`, `os`, `require`, `load`, `debug`, `package` or
-- `collectgarbage`. An instruction budget (count hook), a memory budget (a
-- guard on the state's allocator, so that even one huge concatenation fails
-- cleanly) and a processor-time budget stop runaway scripts with a clear
-- error (`M.budget`, `M.limits`). The script gets read-only proxies of the
-- rulesets it builds (`name`, `version`, `hash`, `warnings`, `:variant`,
-- `:rules`, `:describe`) and hands over plain data, copied. `include(path)`
-- loads another ruleset file (a relative path ending in .lua, or a module
-- name `a.b` for a/b.lua) in the same sandbox: from the including file's
-- folder, else from the `include_path` folders of the load options; the
-- file must be a regular file whose real path (symbolic links and `..`
-- resolved, with LuaFileSystem) lies in the folder the load started from or
-- in an `include_path` folder (default: the current folder).
-- `load(path, { trusted = true })` runs a file you trust with the full
-- environment and no budgets (its includes are not checked).
-- @module calcinosis.rules
local compiler = require "calcinosis.rules.compiler"
local util = require "calcinosis.util"
local compat = require "calcinosis.compat"

local M = {}

local NaN = 0 / 0
local FLAG = { critical_low = -2, low = -1, normal = 0, high = 1, critical_high = 2 }

--- A compiled ruleset (returned by `load`, `compile`, `ruleset`, `variant`).
-- Fields (read-only): `name`, `version`, `hash` (`calcinosis.engine.hash`
-- with the default options: the programs, whose bytes include the metadata
-- (ids, conditions, sentences, sources), the vocabulary and the default
-- ranges and options),
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
M.Ruleset = Ruleset
-- the methods are in `Ruleset` (`M.Ruleset`); instances have a locked
-- metatable whose __index is that table, which no field lookup returns
local ruleset_hash -- below: the hash, computed on first read
local RS_MT = {
  __index = function(self, k)
    if k == "hash" then return ruleset_hash(self) end
    return Ruleset[k]
  end,
  __tostring = function(self)
    return string.format("ruleset %s %s (%s)", self.name, self.version, self.hash)
  end,
  __metatable = "calcinosis.ruleset",
}
local is_ruleset = setmetatable({}, { __mode = "k" }) -- the compiled rulesets

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
    t.file = t.file or string.gsub(source, "^[@=]", "")
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

-- `where` ("file:line: ") and `line`: the call of ruleset{...}
local function spec_of(t, ctx, where, line)
  if type(t) ~= "table" then error(where .. "ruleset{...} expects a table", 0) end
  local spec = {
    name = t.name, version = t.version, subtypes = t.subtypes, decision = t.decision,
    file = ctx and ctx.file or "(string)", source_text = ctx and ctx.source, decls = {},
  }
  spec.line = line
  local function add(d)
    if type(d) ~= "table" or not d.kind then
      error(where .. "ruleset{...}: positional entries must be rule{}, set(), param(), let(), alternative{}, " ..
        "alert{}, ask{} or confidence{}", 0)
    end
    spec.decls[#spec.decls + 1] = d
  end
  for _, d in ipairs(t) do add(d) end
  for _, field in ipairs { "sets", "params", "lets", "rules", "alternatives", "alerts", "asks", "confidences" } do
    if t[field] ~= nil then
      if type(t[field]) ~= "table" then error(where .. string.format("ruleset{...}: %s must be a list", field), 0) end
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

local active_sandbox -- forward: the running sandboxed load (see Sandbox)

-- The hash of the result's configuration with the default options
-- (calcinosis.engine.hash), computed when it is first read, not at build:
-- the vocabulary's digest it includes costs about 20 ms of processor time,
-- most of a command's start-up, and most runs never show a hash. It is
-- trusted code, run outside a sandbox's budget hook (a ruleset file that
-- reads `hash` does not pay for it), and kept in the ruleset.
ruleset_hash = function(self)
  local hook, mask, count = debug.gethook()
  if hook then debug.sethook() end
  local t0 = os.clock()
  local ok, h = pcall(require("calcinosis.engine").hash, { compiled = rawget(self, "compiled") })
  local sandbox = active_sandbox()
  if sandbox then sandbox.paused = sandbox.paused + (os.clock() - t0) end
  if hook then debug.sethook(hook, mask, count) end
  if not ok then error(h, 0) end
  assert(h, "calcinosis.engine.hash gave no hash")
  rawset(self, "hash", h)
  return h
end

local function build(spec)
  fill_sources(spec)
  -- the compiler is trusted code whose work is bounded by the declarations:
  -- it runs outside the sandbox's budget hook, and its time is not counted
  local hook, mask, count = debug.gethook()
  if hook then debug.sethook() end
  local t0 = os.clock()
  local ok, c = pcall(compiler.compile, spec)
  local sandbox = active_sandbox()
  if sandbox then sandbox.paused = sandbox.paused + (os.clock() - t0) end
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
  -- the explanations of fired rules: the operand programs and the templates (src/explain.h)
  local operands = {}
  for i, bytes in ipairs(c.explain.programs) do
    local p, perr2 = core().vm_load(bytes)
    if not p then return nil, "explanation program rejected by the verifier: " .. perr2 end
    operands[i] = p
  end
  local explainer, xerr = core().explainer(c.explain.bytes, operands)
  if not explainer then return nil, "explanations rejected: " .. xerr end
  local self = setmetatable({
    name = spec.name, version = tostring(spec.version), spec = spec, program = prog,
    result_program = post, confidence_program = conf, explainer = explainer,
    compiled = c, warnings = c.warnings,
    -- buffers reused by classify
    _vars = {}, _terms = {}, _state = {}, _lets = {}, _scores = {},
  }, RS_MT)
  is_ruleset[self] = true
  for i = 1, #c.slots do self._vars[i] = NaN end
  for i = 1, #c.rules do self._state[i] = 0 end
  for i = 1, #c.lets do self._lets[i] = NaN end
  for i = 1, #c.subtypes do self._scores[i] = 0 end
  return self
end

-- ---------------------------------------------------------------------------
-- Sandbox
--
-- What a sandboxed script gets and hands back is plain data or a read-only
-- proxy, so that nothing it does outlives its budgets or reaches other
-- rulesets:
-- * `ruleset{...}`, `include` and `:variant{...}` give it a proxy of the
--   compiled ruleset (`name`, `version`, `hash`, `warnings` (a copy),
--   `variant`, `rules`, `describe`): writes raise, the metatable is locked,
--   the Ruleset class and the compiled program are out of reach;
-- * the declarations it hands over are copied as plain data (strings,
--   numbers, booleans, tables of them; a function is refused), so that later
--   changes by the script never reach the compiled ruleset;
-- * `string` and, meanwhile, the string metatable's __index are one
--   read-only proxy of bounded functions; the host code the script calls
--   (`ruleset`, `include`, the proxies' methods, the compiler) runs with the
--   host's string table, and the budget hook uses functions captured here;
-- * C functions that the instruction hook cannot interrupt are bounded: the
--   pattern functions are a matcher written in Lua (the hook counts it),
--   `rep`, `byte`, `char`, `format`, `table.concat`, `table.move`,
--   `table.unpack`, `table.sort`, `utf8.char` and `utf8.codepoint` check
--   their counts (`M.limits`); what stays is linear in the size of strings
--   the memory budget bounds, and a processor-time budget is the backstop.

-- the host's functions, captured when this module is loaded (a script can
-- replace none of them)
local sformat, ssub, sbyte, sfind, sgsub, smatch, sgmatch, schar, srep =
  string.format, string.sub, string.byte, string.find, string.gsub, string.match, string.gmatch,
  string.char, compat.rep
local tconcat, tpack, tunpack, tmove, tsort = table.concat, compat.tpack, compat.unpack, compat.move, table.sort
local tointeger = compat.tointeger
local clock = os.clock
local debug_getinfo, debug_sethook, debug_gethook = debug.getinfo, debug.sethook, debug.gethook

--- The counts the sandbox's C functions accept (a clear error beyond).
-- `rep`: bytes and repetitions of a `string.rep` result; `values`: values
-- one call takes or returns (`string.byte`, `string.char`, `table.unpack`,
-- `utf8.char`, `utf8.codepoint`, conversions of `string.format`);
-- `elements`: elements of one `table.concat`, `table.move` or `table.sort`;
-- `plain_find`: subject bytes times pattern bytes of a plain `string.find`.
-- (5.1, LuaJIT: `values` is their C stack's limit, 7997)
M.limits = { rep = 1000000, values = math.min(100000, compat.max_values), elements = 1000000, plain_find = 100000000 }
local LIMIT = M.limits

--- Default budgets of a sandboxed load: instructions (a count hook), memory
-- (a guard on the state's allocator, so that even one huge concatenation
-- fails cleanly) and processor seconds (checked by the same hook; the
-- compiler's time is not counted).
M.budget = { instructions = 2000000, memory_kb = 65536, seconds = 10 }

local source_of_frame -- forward: "file:line: " of the innermost ruleset file frame

-- the innermost frame of a ruleset file being loaded, as "file:line: "
source_of_frame = function(from)
  for level = from or 2, 200 do
    local info = debug_getinfo(level, "Sl")
    if not info then break end
    local src = info.source and sgsub(info.source, "^[@=]", "")
    if info.what ~= "C" and src and source_by_file[src] then
      return sformat("%s:%d: ", src, info.currentline or 0)
    end
  end
  return ""
end

-- errors of the sandbox's functions: raised at the script's line
local function fail_at_script(msg)
  error(source_of_frame(3) .. msg, 0)
end

local function typename(v)
  if v == nil then return "no value" end
  return type(v)
end

local function argerr(n, fname, msg)
  fail_at_script(sformat("bad argument #%d to '%s' (%s)", n, fname, msg))
end

local function checkstr(v, n, fname)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  argerr(n, fname, "string expected, got " .. typename(v))
end

local function optint(v, n, fname, default)
  if v == nil and default ~= nil then return default end
  local x = (type(v) == "number" or type(v) == "string") and tointeger(tonumber(v) or v)
  if not x then
    if type(v) == "number" or (type(v) == "string" and tonumber(v)) then
      argerr(n, fname, "number has no integer representation")
    end
    argerr(n, fname, "number expected, got " .. typename(v))
  end
  return x
end

-- string positions as the string library reads them (5.4)
local function posrelat(pos, len)
  if pos > 0 then return pos
  elseif pos == 0 then return 1
  elseif pos < -len then return 1 end
  return len + pos + 1
end

local function endpos(pos, len)
  if pos > len then return len
  elseif pos >= 0 then return pos
  elseif pos < -len then return 0 end
  return len + pos + 1
end

-- ---- a Lua pattern matcher (the matcher of lstrlib.c, in Lua, so that the
-- instruction budget counts its work: no backtracking pattern can run
-- unbounded)

local MATCH_ERROR = {} -- key of the errors the matcher raises
local MAXCCALLS, MAXCAPTURES = 200, 32
local CAP_UNFINISHED, CAP_POSITION = -1, -2

local function merr(msg) error({ [MATCH_ERROR] = msg }, 0) end

local CLASS = {
  [97] = function(c) return (c >= 65 and c <= 90) or (c >= 97 and c <= 122) end, -- a
  [99] = function(c) return c < 32 or c == 127 end, -- c
  [100] = function(c) return c >= 48 and c <= 57 end, -- d
  [103] = function(c) return c >= 33 and c <= 126 end, -- g
  [108] = function(c) return c >= 97 and c <= 122 end, -- l
  [112] = function(c) -- p
    return (c >= 33 and c <= 47) or (c >= 58 and c <= 64) or (c >= 91 and c <= 96) or (c >= 123 and c <= 126)
  end,
  [115] = function(c) return (c >= 9 and c <= 13) or c == 32 end, -- s
  [117] = function(c) return c >= 65 and c <= 90 end, -- u
  [119] = function(c) return (c >= 48 and c <= 57) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122) end, -- w
  [120] = function(c) return (c >= 48 and c <= 57) or (c >= 65 and c <= 70) or (c >= 97 and c <= 102) end, -- x
}

local function match_class(c, cl)
  local upper = cl and cl >= 65 and cl <= 90
  local f = CLASS[upper and cl + 32 or cl]
  if not f then return cl == c end
  local r = f(c)
  if upper then return not r end
  return r
end

local function class_end(ms, p)
  local pat = ms.pat
  local c = sbyte(pat, p)
  p = p + 1
  if c == 37 then -- %
    if p >= ms.p_end then merr("malformed pattern (ends with '%')") end
    return p + 1
  elseif c == 91 then -- [
    if sbyte(pat, p) == 94 then p = p + 1 end
    repeat
      if p >= ms.p_end then merr("malformed pattern (missing ']')") end
      local cc = sbyte(pat, p)
      p = p + 1
      if cc == 37 and p < ms.p_end then p = p + 1 end
    until sbyte(pat, p) == 93
    return p + 1
  end
  return p
end

local function match_bracket(ms, c, p, ec)
  local pat = ms.pat
  local sig = true
  if sbyte(pat, p + 1) == 94 then sig = false; p = p + 1 end
  while true do
    p = p + 1
    if p >= ec then break end
    local pc = sbyte(pat, p)
    if pc == 37 then
      p = p + 1
      if match_class(c, sbyte(pat, p)) then return sig end
    elseif sbyte(pat, p + 1) == 45 and p + 2 < ec then
      p = p + 2
      if pc <= c and c <= sbyte(pat, p) then return sig end
    elseif pc == c then
      return sig
    end
  end
  return not sig
end

local function single_match(ms, s, p, ep)
  if s >= ms.src_end then return false end
  local c = sbyte(ms.src, s)
  local pc = sbyte(ms.pat, p)
  if pc == 46 then return true -- .
  elseif pc == 37 then return match_class(c, sbyte(ms.pat, p + 1))
  elseif pc == 91 then return match_bracket(ms, c, p, ep - 1)
  end
  return pc == c
end

local match -- forward

local function match_balance(ms, s, p)
  if p >= ms.p_end - 1 then merr("malformed pattern (missing arguments to '%b')") end
  local src = ms.src
  if s >= ms.src_end or sbyte(src, s) ~= sbyte(ms.pat, p) then return nil end
  local b, e = sbyte(ms.pat, p), sbyte(ms.pat, p + 1)
  local cont = 1
  s = s + 1
  while s < ms.src_end do
    local c = sbyte(src, s)
    if c == e then
      cont = cont - 1
      if cont == 0 then return s + 1 end
    elseif c == b then
      cont = cont + 1
    end
    s = s + 1
  end
  return nil
end

local function max_expand(ms, s, p, ep)
  local i = 0
  while single_match(ms, s + i, p, ep) do i = i + 1 end
  while i >= 0 do
    local res = match(ms, s + i, ep + 1)
    if res then return res end
    i = i - 1
  end
  return nil
end

local function min_expand(ms, s, p, ep)
  while true do
    local res = match(ms, s, ep + 1)
    if res then return res end
    if single_match(ms, s, p, ep) then s = s + 1 else return nil end
  end
end

local function start_capture(ms, s, p, what)
  local level = ms.level
  if level >= MAXCAPTURES then merr("too many captures") end
  ms.cap_init[level + 1], ms.cap_len[level + 1] = s, what
  ms.level = level + 1
  local res = match(ms, s, p)
  if not res then ms.level = ms.level - 1 end
  return res
end

local function end_capture(ms, s, p)
  local l
  for i = ms.level, 1, -1 do
    if ms.cap_len[i] == CAP_UNFINISHED then l = i break end
  end
  if not l then merr("invalid pattern capture") end
  ms.cap_len[l] = s - ms.cap_init[l]
  local res = match(ms, s, p)
  if not res then ms.cap_len[l] = CAP_UNFINISHED end
  return res
end

local function match_capture(ms, s, c)
  local l = c - 48 -- capture index, 1-based
  if l < 1 or l > ms.level or ms.cap_len[l] == CAP_UNFINISHED then
    merr(sformat("invalid capture index %%%d", l))
  end
  local len = ms.cap_len[l]
  if len == CAP_POSITION or ms.src_end - s < len then return nil end
  local src, init = ms.src, ms.cap_init[l]
  for k = 0, len - 1 do -- byte by byte: the hook counts long comparisons
    if sbyte(src, init + k) ~= sbyte(src, s + k) then return nil end
  end
  return s + len
end

match = function(ms, s, p)
  if ms.depth == 0 then merr("pattern too complex") end
  ms.depth = ms.depth - 1
  local pat, p_end = ms.pat, ms.p_end
  while p ~= p_end do
    local pc = sbyte(pat, p)
    local nx = sbyte(pat, p + 1)
    if pc == 40 then -- (
      if nx == 41 then s = start_capture(ms, s, p + 2, CAP_POSITION)
      else s = start_capture(ms, s, p + 1, CAP_UNFINISHED) end
      break
    elseif pc == 41 then -- )
      s = end_capture(ms, s, p + 1)
      break
    elseif pc == 36 and p + 1 == p_end then -- $ at the end
      if s ~= ms.src_end then s = nil end
      break
    elseif pc == 37 and nx == 98 then -- %b
      s = match_balance(ms, s, p + 2)
      if not s then break end
      p = p + 4
    elseif pc == 37 and nx == 102 then -- %f
      p = p + 2
      if sbyte(pat, p) ~= 91 then merr("missing '[' after '%f' in pattern") end
      local ep = class_end(ms, p)
      local prev = s == 1 and 0 or sbyte(ms.src, s - 1)
      local cur = s < ms.src_end and sbyte(ms.src, s) or 0
      if not match_bracket(ms, prev, p, ep - 1) and match_bracket(ms, cur, p, ep - 1) then
        p = ep
      else
        s = nil
        break
      end
    elseif pc == 37 and nx and nx >= 48 and nx <= 57 then -- %0-%9
      s = match_capture(ms, s, nx)
      if not s then break end
      p = p + 2
    else
      local ep = class_end(ms, p)
      local epc = sbyte(pat, ep)
      if not single_match(ms, s, p, ep) then
        if epc == 42 or epc == 63 or epc == 45 then -- * ? -: may match empty
          p = ep + 1
        else
          s = nil
          break
        end
      elseif epc == 63 then -- ?
        local res = match(ms, s + 1, ep + 1)
        if res then
          s = res
          break
        end
        p = ep + 1
      elseif epc == 43 then -- +
        s = max_expand(ms, s + 1, p, ep)
        break
      elseif epc == 42 then -- *
        s = max_expand(ms, s, p, ep)
        break
      elseif epc == 45 then -- -
        s = min_expand(ms, s, p, ep)
        break
      else
        s = s + 1
        p = ep
      end
    end
  end
  ms.depth = ms.depth + 1
  return s
end

local function new_state(s, p)
  return { src = s, src_end = #s + 1, pat = p, p_end = #p + 1, level = 0, depth = MAXCCALLS,
    cap_init = {}, cap_len = {} }
end

local function reprep(ms)
  ms.level, ms.depth = 0, MAXCCALLS
end

local function get_capture(ms, i, s, e)
  if i > ms.level then
    if i ~= 1 then merr(sformat("invalid capture index %%%d", i)) end
    return ssub(ms.src, s, e - 1)
  end
  local len, init = ms.cap_len[i], ms.cap_init[i]
  if len == CAP_UNFINISHED then merr("unfinished capture") end
  if len == CAP_POSITION then return init end
  return ssub(ms.src, init, init + len - 1)
end

-- the captures of a match (the whole match when there are none and s is given)
local function captures(ms, s, e)
  local n = (ms.level == 0 and s) and 1 or ms.level
  local out = {}
  for i = 1, n do out[i] = get_capture(ms, i, s, e) end
  return out, n
end

-- the results of a protected matcher call: matcher errors at the script's
-- line, every other error (a budget, the script's own) passed on as it is
local function finish(ok, ...)
  if ok then return ... end
  local e = ...
  if type(e) == "table" and rawget(e, MATCH_ERROR) then fail_at_script(rawget(e, MATCH_ERROR)) end
  error(e, 0)
end

local SPECIALS = "[%^%$%*%+%?%.%(%[%%%-]"

local function find_aux(find, s, p, init, plain)
  local ls = #s
  if init > ls + 1 then return nil end
  if find and (plain or not sfind(p, SPECIALS)) then
    if #p > 0 and (ls - init + 2) * #p > LIMIT.plain_find then
      merr(sformat("string.find: subject (%d bytes) and pattern (%d bytes) too long for a plain search in a ruleset",
        ls, #p))
    end
    return sfind(s, p, init, true)
  end
  local ms = new_state(s, p)
  local anchor = sbyte(p, 1) == 94
  local pstart = anchor and 2 or 1
  local s1 = init
  repeat
    reprep(ms)
    local e = match(ms, s1, pstart)
    if e then
      if find then
        local caps, n = captures(ms, nil, 0)
        return s1, e - 1, tunpack(caps, 1, n)
      end
      local caps, n = captures(ms, s1, e)
      return tunpack(caps, 1, n)
    end
    s1 = s1 + 1
  until s1 > ms.src_end or anchor
  return nil
end

local function sb_find(s, p, init, plain)
  s = checkstr(s, 1, "find")
  p = checkstr(p, 2, "find")
  init = posrelat(optint(init, 3, "find", 1), #s)
  return finish(pcall(find_aux, true, s, p, init, plain))
end

local function sb_match(s, p, init)
  s = checkstr(s, 1, "match")
  p = checkstr(p, 2, "match")
  init = posrelat(optint(init, 3, "match", 1), #s)
  return finish(pcall(find_aux, false, s, p, init))
end

local function gmatch_step(g)
  local ms = g.ms
  while g.src <= ms.src_end do
    reprep(ms)
    local e = match(ms, g.src, 1)
    if e and e ~= g.lastmatch then
      local start = g.src
      g.src, g.lastmatch = e, e
      local caps, n = captures(ms, start, e)
      return tunpack(caps, 1, n)
    end
    g.src = g.src + 1
  end
  return nil
end

local function sb_gmatch(s, p, init)
  s = checkstr(s, 1, "gmatch")
  p = checkstr(p, 2, "gmatch")
  init = posrelat(optint(init, 3, "gmatch", 1), #s)
  if init > #s + 1 then init = #s + 2 end -- past the end: no match, not even an empty one
  local g = { ms = new_state(s, p), src = init }
  return function() return finish(pcall(gmatch_step, g)) end
end

local function add_s(ms, s, e, news)
  if not sfind(news, "%", 1, true) then return news end
  local out, i = {}, 1
  while true do
    local q = sfind(news, "%", i, true)
    if not q then
      out[#out + 1] = ssub(news, i)
      break
    end
    out[#out + 1] = ssub(news, i, q - 1)
    local c = sbyte(news, q + 1)
    if c == 37 then out[#out + 1] = "%"
    elseif c == 48 then out[#out + 1] = ssub(ms.src, s, e - 1)
    elseif c and c >= 49 and c <= 57 then out[#out + 1] = tostring(get_capture(ms, c - 48, s, e))
    else merr("invalid use of '%' in replacement string") end
    i = q + 2
  end
  return tconcat(out)
end

local function add_value(ms, s, e, repl, tr)
  local v
  if tr == "function" then
    local caps, n = captures(ms, s, e)
    v = repl(tunpack(caps, 1, n))
  elseif tr == "table" then
    v = repl[get_capture(ms, 1, s, e)]
  else
    return add_s(ms, s, e, repl)
  end
  if not v then return ssub(ms.src, s, e - 1) end
  local tv = type(v)
  if tv ~= "string" and tv ~= "number" then merr(sformat("invalid replacement value (a %s)", tv)) end
  return tostring(v)
end

local function gsub_aux(s, p, repl, tr, max_n)
  local ms = new_state(s, p)
  local anchor = sbyte(p, 1) == 94
  local pstart = anchor and 2 or 1
  local src, lastmatch, n = 1, nil, 0
  local out, copied = {}, 1 -- bytes before `copied` are in out
  while n < max_n do
    reprep(ms)
    local e = match(ms, src, pstart)
    if e and e ~= lastmatch then
      n = n + 1
      if copied < src then out[#out + 1] = ssub(s, copied, src - 1) end
      out[#out + 1] = add_value(ms, src, e, repl, tr)
      src, lastmatch = e, e
      copied = e
    elseif src < ms.src_end then
      src = src + 1
    else
      break
    end
    if anchor then break end
  end
  out[#out + 1] = ssub(s, copied)
  return tconcat(out), n
end

local function sb_gsub(s, p, repl, max_n)
  s = checkstr(s, 1, "gsub")
  p = checkstr(p, 2, "gsub")
  local tr = type(repl)
  if tr == "number" then repl, tr = tostring(repl), "string" end
  if tr ~= "string" and tr ~= "function" and tr ~= "table" then
    argerr(3, "gsub", "string/function/table expected, got " .. typename(repl))
  end
  max_n = optint(max_n, 4, "gsub", #s + 1)
  return finish(pcall(gsub_aux, s, p, repl, tr, max_n))
end

-- ---- the other bounded functions

local function sb_rep(s, n, sep)
  s = checkstr(s, 1, "rep")
  n = optint(n, 2, "rep")
  sep = sep == nil and "" or checkstr(sep, 3, "rep")
  if n <= 0 then return "" end
  -- the count too: rep of an empty string loops in C as often as asked
  if n > LIMIT.rep or n * #s + (n - 1) * #sep > LIMIT.rep then
    fail_at_script(sformat("string.rep: result too large for a ruleset (%d repetitions of %d bytes; "
      .. "at most %d repetitions and %d bytes)", n, #s + #sep, LIMIT.rep, LIMIT.rep))
  end
  return srep(s, n, sep)
end

local function sb_byte(s, i, j)
  s = checkstr(s, 1, "byte")
  local pi = optint(i, 2, "byte", 1)
  local pose = endpos(optint(j, 3, "byte", pi), #s)
  local posi = posrelat(pi, #s)
  if pose - posi + 1 > LIMIT.values then
    fail_at_script(sformat("string.byte: too many values (%d; at most %d in a ruleset)", pose - posi + 1,
      LIMIT.values))
  end
  return sbyte(s, posi, pose)
end

local function sb_char(...)
  local n = select("#", ...)
  if n > LIMIT.values then
    fail_at_script(sformat("string.char: too many values (%d; at most %d in a ruleset)", n, LIMIT.values))
  end
  return schar(...)
end

-- checks every conversion of a format: flags, a width and a precision of at
-- most 2 digits (as Lua 5.4 does; 5.3 too, then), a known conversion
local function sb_format(fmt, ...)
  fmt = checkstr(fmt, 1, "format")
  local i, count = 1, 0
  while true do
    local q = sfind(fmt, "%", i, true)
    if not q then break end
    if sbyte(fmt, q + 1) == 37 then
      i = q + 2
    else
      local spec, conv, e = smatch(fmt, "^([-+ #0]*%d?%d?%.?%d?%d?)(.)()", q + 1)
      if not spec or not sfind("cdiouxXaAfeEgGqs", conv, 1, true) or #spec > 12
        or smatch(spec, "^[-+ #0]*%d%d%d") then
        fail_at_script(sformat("string.format: invalid conversion '%%%s' in a ruleset",
          ssub(fmt, q + 1, math.min(#fmt, q + 8))))
      end
      count = count + 1
      if count > LIMIT.values then
        fail_at_script(sformat("string.format: too many conversions (at most %d in a ruleset)", LIMIT.values))
      end
      i = e
    end
  end
  return sformat(fmt, ...)
end

-- how many elements t[i..j] are (i, j: arguments number n and n + 1)
local function count_range(t, i, j, n, fname)
  if type(t) ~= "table" then return nil end
  local first = optint(i, n, fname, 1)
  local last = optint(j, n + 1, fname, #t)
  return (last + 0.0) - first + 1
end

local function sb_concat(t, sep, i, j)
  local n = count_range(t, i, j, 3, "concat")
  if n and n > LIMIT.elements then
    fail_at_script(sformat("table.concat: too many elements (%.0f; at most %d in a ruleset)", n, LIMIT.elements))
  end
  return tconcat(t, sep, i, j)
end

local function sb_unpack(t, i, j)
  local n = count_range(t, i, j, 2, "unpack")
  if n and n > LIMIT.values then
    fail_at_script(sformat("table.unpack: too many values (%.0f; at most %d in a ruleset)", n, LIMIT.values))
  end
  return tunpack(t, i, j)
end

local function sb_move(a1, f, e, t, a2)
  local first = optint(f, 2, "move")
  local last = optint(e, 3, "move")
  if last >= first and (last + 0.0) - first + 1 > LIMIT.elements then
    fail_at_script(sformat("table.move: too many elements (%.0f; at most %d in a ruleset)", last - first + 1.0,
      LIMIT.elements))
  end
  if a2 == nil then return tmove(a1, f, e, t) end
  return tmove(a1, f, e, t, a2)
end

local function sb_sort(t, comp)
  if type(t) == "table" and #t > LIMIT.elements then
    fail_at_script(sformat("table.sort: too many elements (%d; at most %d in a ruleset)", #t, LIMIT.elements))
  end
  return tsort(t, comp)
end

local function sb_utf8_char(...)
  local n = select("#", ...)
  if n > LIMIT.values then
    fail_at_script(sformat("utf8.char: too many values (%d; at most %d in a ruleset)", n, LIMIT.values))
  end
  return compat.utf8.char(...)
end

local utf8_codepoint = compat.utf8.codepoint
local function sb_codepoint(s, i, j, lax)
  s = checkstr(s, 1, "codepoint")
  local len = #s
  local function rel(pos)
    if pos >= 0 then return pos elseif -pos > len then return 0 end
    return len + pos + 1
  end
  local posi = rel(optint(i, 2, "codepoint", 1))
  local pose = rel(optint(j, 3, "codepoint", posi))
  if pose - posi + 1 > LIMIT.values then
    fail_at_script(sformat("utf8.codepoint: too many values (%d; at most %d in a ruleset)", pose - posi + 1,
      LIMIT.values))
  end
  return utf8_codepoint(s, i, j, lax)
end

-- a read-only view of a table of functions (pairs sees them, writes raise)
local read_only_of = setmetatable({}, { __mode = "k" }) -- proxy -> table (the pairs of 5.1, LuaJIT)
local function read_only(t, what)
  local proxy = {}
  read_only_of[proxy] = t
  return setmetatable(proxy, {
    __index = t,
    __newindex = function() fail_at_script(what .. " is read-only in a ruleset") end,
    __pairs = function() return function(_, k) return next(t, k) end, proxy, nil end,
    __metatable = false,
  })
end

local SAFE_STRING -- the read-only `string` of the sandbox, also the string methods meanwhile
do
  local s = {}
  for k, v in pairs(string) do s[k] = v end
  s.dump, s.gfind = nil, nil -- gfind: 5.1's gmatch
  s.find, s.match, s.gmatch, s.gsub = sb_find, sb_match, sb_gmatch, sb_gsub
  s.rep, s.byte, s.char, s.format = sb_rep, sb_byte, sb_char, sb_format
  SAFE_STRING = read_only(s, "string")
end

-- pairs that sees through the read-only views where pairs has no __pairs
local sb_pairs = pairs
if not compat.pairs_metamethod then
  sb_pairs = function(t)
    local real_t = read_only_of[t]
    if real_t then return next, real_t, nil end
    return pairs(t)
  end
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function safe_table()
  local t = copy(table)
  t.concat, t.unpack, t.move, t.sort = sb_concat, sb_unpack, sb_move, sb_sort
  return t
end

local function safe_utf8()
  local t = copy(compat.utf8)
  t.char, t.codepoint = sb_utf8_char, sb_codepoint
  return t
end

-- ---- the state while a sandboxed load runs

local active -- the outermost sandboxed load running: { index = the host's string __index, paused = s }
active_sandbox = function() return active end

local function string_mt() return getmetatable("") end

-- runs host code called by a script with the host's string methods, then
-- puts the sandbox's back (errors pass through unchanged)
local function call_host(f, ...)
  if not active then return f(...) end
  local smt = string_mt()
  local mine = smt.__index
  smt.__index = active.index
  local r = tpack(pcall(f, ...))
  smt.__index = mine
  if not r[1] then error(r[2], 0) end
  return tunpack(r, 2, r.n)
end

-- data a script hands over, copied: strings, numbers, booleans and tables of
-- them (a table seen twice is copied once); anything else is refused
local PLAIN_ERROR = {}
local function plain(v, depth, seen)
  local tv = type(v)
  if tv == "string" or tv == "number" or tv == "boolean" or tv == "nil" then return v end
  if tv ~= "table" then
    error({ [PLAIN_ERROR] = sformat("a declaration holds a %s: declarations hold plain data "
      .. "(strings, numbers, booleans and tables of them)", tv) }, 0)
  end
  if seen[v] then return seen[v] end
  if depth > 32 then error({ [PLAIN_ERROR] = "declarations nested too deeply" }, 0) end
  local c = {}
  seen[v] = c
  for k, x in next, v do c[plain(k, depth + 1, seen)] = plain(x, depth + 1, seen) end
  return c
end

local function plain_copy(v, what)
  local ok, c = pcall(plain, v, 1, {})
  if ok then return c end
  if type(c) == "table" and rawget(c, PLAIN_ERROR) then
    error(source_of_frame(3) .. what .. ": " .. rawget(c, PLAIN_ERROR), 0)
  end
  error(c, 0)
end

-- ---- read-only proxies of compiled rulesets

local real_of = setmetatable({}, { __mode = "k" })  -- proxy -> ruleset
local proxy_for = setmetatable({}, { __mode = "k" }) -- ruleset -> proxy

local make_variant -- forward (Ruleset:variant's work)

local PROXY_METHODS = {}
local PROXY_FIELDS = { name = true, version = true, hash = true }

local function real(p, what)
  local rs = real_of[p]
  if not rs then fail_at_script(sformat("%s: call it on a ruleset, as rs:%s(...)", what, what)) end
  return rs
end

local PROXY_MT = {
  __index = function(p, k)
    local rs = real_of[p]
    if PROXY_FIELDS[k] then return rs[k] end
    if k == "warnings" then
      local w = {}
      for i, x in ipairs(rs.warnings) do w[i] = x end
      return w
    end
    return PROXY_METHODS[k]
  end,
  __newindex = function() fail_at_script("a ruleset is read-only") end,
  __tostring = function(p) return sformat("ruleset %s %s (%s)", real_of[p].name, real_of[p].version, real_of[p].hash) end,
  __metatable = "calcinosis.ruleset (read-only)",
}

local function proxy(rs)
  local p = proxy_for[rs]
  if not p then
    p = setmetatable({}, PROXY_MT)
    real_of[p], proxy_for[rs] = rs, p
  end
  return p
end

function PROXY_METHODS.variant(p, t)
  local rs = real(p, "variant")
  if type(t) ~= "table" then return nil, "variant{...} expects a table" end
  local info = debug_getinfo(2, "Sl")
  local file = info and info.source and sgsub(info.source, "^[@=]", "")
  t = plain_copy(t, "variant{...}")
  local v, err = call_host(make_variant, rs, t, file, info and info.currentline)
  if not v then return nil, err end
  return proxy(v)
end

function PROXY_METHODS.rules(p)
  return call_host(Ruleset.rules, real(p, "rules"))
end

function PROXY_METHODS.describe(p)
  return call_host(Ruleset.describe, real(p, "describe"))
end

-- ---- include: inside the allowed folders, regular files only

local function get_lfs()
  local ok, lfs = pcall(require, "lfs")
  if ok and type(lfs) == "table" and type(lfs.symlinkattributes) == "function"
    and type(lfs.attributes) == "function" and type(lfs.currentdir) == "function" then
    return lfs
  end
  return nil
end

local function split_path(path)
  local t = {}
  for c in sgmatch(path, "[^/]+") do t[#t + 1] = c end
  return t
end

-- the real path (absolute, no '.', '..' or symbolic link); parts that do not
-- exist are kept as they are
local function realpath(lfs, path)
  if ssub(path, 1, 1) ~= "/" then
    local cwd = lfs.currentdir()
    if not cwd then return nil, "cannot read the current folder" end
    path = cwd .. "/" .. path
  end
  local todo, out, i, hops = split_path(path), {}, 1, 0
  while i <= #todo do
    local c = todo[i]
    i = i + 1
    if c == ".." then
      out[#out] = nil
    elseif c ~= "." then
      local here = "/" .. tconcat(out, "/") .. (#out > 0 and "/" or "") .. c
      if lfs.symlinkattributes(here, "mode") == "link" then
        hops = hops + 1
        local target = lfs.symlinkattributes(here, "target")
        if hops > 32 or type(target) ~= "string" then return nil, "cannot resolve the symbolic link " .. here end
        local rest = split_path(target)
        for j = i, #todo do rest[#rest + 1] = todo[j] end
        todo, i = rest, 1
        if ssub(target, 1, 1) == "/" then out = {} end
      else
        out[#out + 1] = c
      end
    end
  end
  return "/" .. tconcat(out, "/")
end

local function inside(dir, path)
  return dir == "/" or path == dir or ssub(path, 1, #dir + 1) == dir .. "/"
end

-- the folders a sandboxed load may include from (real paths): the folder
-- of the file the load started from and the load option include_path
-- (default: the current folder)
local function include_roots(lfs, ctx)
  if ctx.roots then return ctx.roots end
  local list = { ctx.dir }
  local ip = ctx.options.include_path
  if ip == nil then ip = { "." } elseif type(ip) == "string" then ip = { ip } end
  if type(ip) ~= "table" then error("include_path must be a list of folders", 0) end
  for _, d in ipairs(ip) do
    if type(d) ~= "string" then error("include_path must be a list of folders", 0) end
    list[#list + 1] = d
  end
  local roots = {}
  for _, d in ipairs(list) do
    local r = realpath(lfs, d)
    if r then roots[#roots + 1] = r end
  end
  ctx.roots = roots
  return roots
end

local load_file -- forward

local function include_file(ctx, path, where)
  local options = ctx.options
  local function refuse(msg, ...) error(where .. "include: " .. sformat(msg, ...), 0) end
  if options.trusted then
    local full
    if smatch(path, "%.lua$") then
      full = ssub(path, 1, 1) == "/" and path or (ctx.dir .. path)
    else
      full = compat.searchpath(path, package.path)
      if not full then refuse("module '%s' not found", path) end
    end
    local rs, err = load_file(full, options, ctx)
    if not rs then error(err, 0) end
    return rs
  end
  if ssub(path, 1, 1) == "/" then refuse("absolute paths are not allowed in a sandboxed ruleset") end
  local rel
  if smatch(path, "%.lua$") then
    rel = path
  elseif smatch(path, "^[%a_][%w_]*$") or (smatch(path, "^[%a_][%w_.]*[%w_]$") and not sfind(path, "..", 1, true)) then
    rel = sgsub(path, "%.", "/") .. ".lua"
  else
    refuse("'%s' is neither a relative path ending in .lua nor a module name", path)
  end
  local lfs = get_lfs()
  if not lfs then
    -- without lfs no path can be checked before it is opened (a symbolic
    -- link out of the folder, a FIFO that blocks the open)
    refuse("a sandboxed ruleset includes files only where LuaFileSystem (lfs) can check them; "
      .. "install lfs, or load a file you trust with { trusted = true }")
  end
  local roots = include_roots(lfs, ctx)
  local tried = { ctx.dir .. rel }
  for i = 2, #roots do tried[#tried + 1] = roots[i] .. "/" .. rel end
  local found
  for _, cand in ipairs(tried) do
    local rp = realpath(lfs, cand)
    if rp and lfs.attributes(rp, "mode") then found = rp break end
  end
  if not found then refuse("'%s' not found (looked for %s)", path, tconcat(tried, ", ")) end
  local ok = false
  for _, r in ipairs(roots) do
    if inside(r, found) then ok = true break end
  end
  if not ok then
    refuse("'%s' is %s, outside the folders a sandboxed ruleset may include from (%s); "
      .. "name more with the load option include_path", path, found, tconcat(roots, ", "))
  end
  local mode = lfs.attributes(found, "mode")
  if mode ~= "file" then refuse("'%s' is not a regular file (%s: a %s)", path, found, tostring(mode)) end
  local rs, err = load_file(found, options, ctx)
  if not rs then error(err, 0) end
  return rs
end

-- ---- environments and runs

-- "file:line: " of the caller of the function calling this (only the file
-- after a tail call)
local function caller_where(level, file)
  local info = debug_getinfo(level + 1, "Sl")
  if not info or info.what == "C" then return file and (file .. ": ") or "" end
  return sformat("%s:%d: ", sgsub(info.source or "?", "^[@=]", ""), info.currentline or 0)
end

local function make_env(ctx)
  local trusted = ctx.options.trusted
  local env = {
    pairs = sb_pairs, ipairs = ipairs, next = next, select = select, type = type,
    tostring = tostring, tonumber = tonumber, error = error, assert = assert,
    rule = M.rule, set = M.set, param = M.param, let = M.let,
    alternative = M.alternative, alert = M.alert, ask = M.ask, confidence = M.confidence,
    _VERSION = _VERSION,
  }
  if trusted then
    env.string, env.table, env.math, env.utf8 = copy(string), copy(table), copy(math), copy(compat.utf8)
    env.string.dump = nil
  else
    env.string, env.table, env.math, env.utf8 = SAFE_STRING, safe_table(), copy(math), safe_utf8()
  end
  env.ruleset = function(t)
    if type(t) ~= "table" then error("ruleset{...} expects a table", 2) end
    local where, line = caller_where(2, ctx.file), debug_getinfo(2, "l").currentline
    if not trusted then t = plain_copy(t, "ruleset{...}") end
    local rs = call_host(function()
      local r, err = build(spec_of(t, ctx, where, line))
      if not r then error(err, 0) end
      return r
    end)
    return trusted and rs or proxy(rs)
  end
  env.include = function(path)
    if type(path) ~= "string" then error("include(path) expects a string", 2) end
    local rs = call_host(include_file, ctx, path, caller_where(2, ctx.file))
    return trusted and rs or proxy(rs)
  end
  if trusted then setmetatable(env, { __index = _G }) end
  return env
end

-- the message of an error object that is not a string
local function error_handler(file)
  return function(e)
    local te = type(e)
    if te == "string" or te == "number" then return e end
    if te == "table" and rawget(e, "compile_error") ~= nil then return e end
    local where = source_of_frame(2)
    if where == "" then where = file .. ": " end
    return sformat("error in ruleset file %s(error object is a %s value)", where, te)
  end
end

-- the outermost sandboxed run: the memory guard, the string methods, the
-- budget hook, all put back whatever happens
local function run_sandboxed(chunk, ctx, handler)
  local budget = ctx.options.budget or M.budget
  local instructions = budget.instructions or M.budget.instructions
  local memory_kb = budget.memory_kb or M.budget.memory_kb
  local seconds = budget.seconds or M.budget.seconds
  local memguard = core().vm_memguard
  local smt = string_mt()
  local oldhook, oldmask, oldcount = debug_gethook()
  local state = { index = smt.__index, paused = 0, previous = active }
  local every, steps, t0 = 1000, 0, clock()
  -- the hook removes itself before raising: the sandboxed code has no
  -- pcall, and the loader's own pcalls pass errors on
  local function hook()
    steps = steps + every
    if steps > instructions then
      debug_sethook()
      error(source_of_frame(3) .. sformat("instruction budget exceeded (%d instructions)", instructions), 0)
    end
    if clock() - t0 - state.paused > seconds then
      debug_sethook()
      error(source_of_frame(3) .. sformat("time budget exceeded (%g s of processor time)", seconds), 0)
    end
  end
  -- LuaJIT: its compiler off meanwhile, so that the hook sees every instruction
  local jit_was_on = compat.jit_suspend()
  local gok, gerr = pcall(memguard, math.floor(memory_kb * 1024))
  if not gok then compat.jit_restore(jit_was_on) return false, gerr end
  active = state
  smt.__index = SAFE_STRING
  debug_sethook(hook, "", every)
  local ok, res, res2 = xpcall(chunk, handler)
  -- nothing is allocated before the guard is off
  memguard()
  compat.jit_restore(jit_was_on)
  debug_sethook(oldhook, oldmask, oldcount)
  smt.__index = state.index
  active = state.previous
  if not ok and (res == "not enough memory" -- 5.3's lauxlib raises a buffer's as an error:
      or (type(res) == "string" and sfind(res, "not enough memory for buffer allocation", 1, true))) then
    res = sformat("%s: memory budget exceeded (%d KB)", ctx.file, memory_kb)
  end
  return ok, res, res2
end

-- a run inside a sandboxed load (an included file)
local function run_nested(chunk, handler)
  local smt = string_mt()
  local mine = smt.__index
  smt.__index = SAFE_STRING
  local ok, res, res2 = xpcall(chunk, handler)
  smt.__index = mine
  return ok, res, res2
end

local function load_source(src, chunkname, file, options, parent)
  local ctx = {
    file = file, source = src, options = options, parent = parent,
    dir = smatch(file, "^(.*[/\\])") or "./",
    roots = parent and parent.roots,
  }
  if parent then
    parent.depth = (parent.depth or 0) + 1
    ctx.depth = parent.depth
    if ctx.depth > 8 then
      parent.depth = parent.depth - 1
      return nil, file .. ": include nested too deeply"
    end
  end
  local env = make_env(ctx)
  local chunk, err = compat.load(src, chunkname, "t", env)
  if not chunk then
    if parent then parent.depth = parent.depth - 1 end
    if src:sub(1, 1) == "\27" then err = file .. ": a binary (compiled) Lua chunk, not a ruleset text (only text is loaded)" end
    return nil, err
  end
  local previous = source_by_file[file]
  source_by_file[file] = src
  local handler = error_handler(file)
  local ok, res, res2
  if options.trusted then ok, res, res2 = xpcall(chunk, handler)
  elseif parent then ok, res, res2 = run_nested(chunk, handler)
  else ok, res, res2 = run_sandboxed(chunk, ctx, handler) end
  source_by_file[file] = previous
  if parent then
    parent.depth = parent.depth - 1
    parent.roots = ctx.roots
  end
  if not ok then
    if type(res) == "table" and rawget(res, "compile_error") then res = rawget(res, "compile_error") end
    if type(res) ~= "string" and type(res) ~= "number" then
      res = sformat("error in ruleset file %s: (error object is a %s value)", file, type(res))
    end
    return nil, tostring(res)
  end
  if res == nil and type(res2) == "string" then return nil, res2 end
  local rs
  if options.trusted then rs = is_ruleset[res] and res else rs = real_of[res] end
  if not rs then
    return nil, file .. ": the file must return ruleset { ... } (got " .. type(res) .. ")"
  end
  return rs
end

load_file = function(path, options, parent)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local src = f:read("*a")
  f:close()
  if not src then return nil, path .. ": cannot be read" end
  return load_source(src, "@" .. path, path, options or {}, parent)
end

--- Loads a ruleset file in the sandbox.
-- @tparam string path
-- @tparam[opt] table options `{ trusted = true }` runs the file with the full
-- environment and no budgets (only for files you trust); `{ budget = {
-- instructions =, memory_kb =, seconds = } }` changes the budgets;
-- `{ include_path = { folder, ... } }` names the folders, besides the one of
-- this file, that `include` may read from (default: the current folder)
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
  local path = compat.searchpath("calcinosis.rules.default", package.path)
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
  local info = debug.getinfo(2, "Sl")
  local where = (info and info.what ~= "C") and
    string.format("%s:%d: ", string.gsub(info.source or "?", "^[@=]", ""), info.currentline or 0) or ""
  return build(spec_of(t, nil, where, info and info.currentline))
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
  local info = debug.getinfo(2, "Sl")
  return make_variant(self, t, info and info.source and string.gsub(info.source, "^[@=]", ""),
    info and info.currentline)
end

-- the folder of this library: a variant made by its own code (the command
-- line's --param) is reported without a file of the library
local LIB_DIR = string.match(debug.getinfo(1, "S").source, "^@(.*)rules[/\\]init%.lua$")

-- Ruleset:variant's work; `file` and `line` are where the variant is made
make_variant = function(self, t, file, line)
  if type(t) ~= "table" then return nil, "variant{...} expects a table" end
  local base = self.spec
  if file and LIB_DIR and string.sub(file, 1, #LIB_DIR) == LIB_DIR and not source_by_file[file] then
    file, line = nil, nil
  end
  local function fail(msg)
    local what = string.format("variant '%s': %s", tostring(t.name or base.name), msg)
    if not file then return nil, what end
    return nil, string.format("%s:%d: %s", file, line or 0, what)
  end
  local decls = {}
  local by_id, by_name = {}, {}
  for i, d in ipairs(base.decls) do
    decls[i] = d
    if d.kind == "rule" or RESULT_KINDS[d.kind] then by_id[decl_key(d)] = i else by_name[decl_key(d)] = i end
  end
  local function names_of(kind)
    local list = {}
    for _, d in ipairs(decls) do
      if d and d.kind == kind then list[#list + 1] = tostring(d.id or d.name) end
    end
    return list
  end
  local function droppable()
    local list = {}
    for _, d in ipairs(decls) do
      if d.kind == "rule" or RESULT_KINDS[d.kind] then list[#list + 1] = tostring(decl_key(d)) end
    end
    return list
  end
  if t.params ~= nil and type(t.params) ~= "table" then return fail("params must be a table") end
  -- (in sorted order: with two unknown names, the same one is reported every run)
  for _, pname in ipairs(util.sorted_keys(t.params or {})) do
    local value = t.params[pname]
    local i = by_name["param:" .. tostring(pname)]
    if not i then
      local s = util.suggest(tostring(pname), names_of("param"))
      return fail(string.format("unknown param '%s'%s", tostring(pname),
        s and string.format(" (did you mean '%s'?)", s) or ""))
    end
    -- the value is checked here, so that the message names the param and
    -- the value given (not the declaration of the base)
    local v, msg = compiler.quantity(value)
    if v == nil then return fail(string.format("param '%s': %s", pname, msg)) end
    local d = {}
    for k, x in pairs(decls[i]) do d[k] = x end
    d.value = value
    if file then d.file, d.line, d.source_text = file, line, nil end
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
      local s = util.suggest(tostring(id), droppable())
      return fail(string.format("cannot drop unknown rule or declaration '%s'%s", tostring(id),
        s and string.format(" (did you mean '%s'?)", s) or ""))
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

return M
