-- Property tests of the rule-condition grammar (lua/calcinosis/rules/parser.lua)
-- and of the compiler behind it: seeded random sentences of the grammar
-- and mutations of them (bytes deleted, inserted, swapped; NUL, control
-- and UTF-8 bytes; deep nesting; huge numbers) give an AST or a clean
-- message, never an error that escapes, and never take long. Reproducible:
-- the generator is a fixed LCG with the seeds below.
local parser = require "calcinosis.rules.parser"
local rules = require "calcinosis.rules"

-- time bounds are multiplied by CALCINOSIS_SLOW (spec/valgrind-suite.sh sets it: valgrind runs ~20x slower)
local SLOW = require("support").SLOW

-- an input as failure messages show it: at most 200 bytes
local function shown(s)
  return #s > 200 and (("%q"):format(s:sub(1, 200)) .. (" ... (%d bytes)"):format(#s)) or ("%q"):format(s)
end

local lcg = require("support").lcg

local NAMES = { "calcium", "phosphate", "corrected_calcium", "ca_x_p", "egfr", "pth", "age", "albumin", "ckd_stage",
  "female", "male", "dog", "x", "lim" }
local UNITS = { "", "", "mg/dL", "mmol/L", "mg2/dL2", "years", "mL/min/{1.73_m2}", "pg/mL", "g/L", "umol/L" }
local NUMS = { "0", "1", "2.5", "10.5", "70", "1e3", ".5", "1e308", "0.0001", "12" }
local RELS = { "<", "<=", ">", ">=", "==", "=", "!=", "~=" }
local FUNCS = { "present", "missing", "high", "low", "normal", "abs", "critical" }

-- a random sentence of the grammar (depth-bounded)
local function gen(R)
  local num, bool
  function num(d)
    local k = d > 3 and R(3) or R(9)
    if k == 1 then return NUMS[R(#NUMS)] .. (R(3) == 1 and (" " .. UNITS[R(#UNITS)]) or "") end
    if k == 2 or k == 3 then return NAMES[R(#NAMES)] end
    if k == 4 then return "(" .. num(d + 1) .. " " .. ({ "+", "-", "*", "/" })[R(4)] .. " " .. num(d + 1) .. ")" end
    if k == 5 then return "-" .. num(d + 1) end
    if k == 6 then return num(d + 1) .. " ^ " .. NUMS[R(3)] end
    if k == 7 then return "abs(" .. num(d + 1) .. ")" end
    -- in parentheses: an unbracketed `else` takes a whole expression (`... else x and y`),
    -- so `a between if c then x else y and z` has no parse in a PEG
    if k == 8 then return "(if " .. bool(d + 1) .. " then " .. num(d + 1) .. " else " .. num(d + 1) .. ")" end
    return "(" .. num(d + 1) .. ")"
  end
  function bool(d)
    local k = d > 3 and R(2) or R(10)
    if k == 1 then return num(d + 1) .. " " .. RELS[R(#RELS)] .. " " .. num(d + 1) end
    if k == 2 then return FUNCS[R(5)] .. "(" .. NAMES[R(#NAMES)] .. ")" end
    if k == 3 then return bool(d + 1) .. " and " .. bool(d + 1) end
    if k == 4 then return bool(d + 1) .. " or " .. bool(d + 1) end
    if k == 5 then return "not " .. bool(d + 1) end
    if k == 6 then return num(d + 1) .. " between " .. num(d + 1) .. " and " .. num(d + 1) end
    if k == 7 then return ({ "any", "no" })[R(2)] .. " " .. ({ "finding", "findings", "site", "sites" })[R(4)] .. " in S" end
    if k == 8 then return "at least " .. R(0, 5) .. " findings in {ckd, dialysis, lupus}" end
    if k == 9 then return ({ "true", "false", "unknown" })[R(3)] end
    return "(" .. bool(d + 1) .. ")"
  end
  return bool(0)
end

local JUNK = { "\0", "\1", "\n", "\t", "\"", "'", "(", ")", "{", "}", ",", "^", "µ", "\xC3", "\xFF", "🙂", " ", "9",
  "e", ".", "and", "if", "between", "1e999", "--", "%", "\\", "[", "]" }

local function mutate(R, s)
  for _ = 1, R(1, 4) do
    local k, i = R(5), R(0, #s)
    if k == 1 then s = s:sub(1, i) .. s:sub(i + 2)                      -- delete a byte
    elseif k == 2 then s = s:sub(1, i) .. JUNK[R(#JUNK)] .. s:sub(i + 1) -- insert a token or byte
    elseif k == 3 then s = s:sub(1, i) .. string.char(R(0, 255)) .. s:sub(i + 2) -- replace a byte
    elseif k == 4 then s = s:sub(i + 1) .. s:sub(1, i)                   -- rotate
    else s = s:sub(1, i) .. s:sub(i + 1, i + R(1, 12)):rep(R(1, 3)) .. s:sub(i + 1) end -- repeat a slice
  end
  return s
end

-- parse must return an AST or nil, a short message and a position; any
-- error is a failure
local function check_parse(src)
  local t0 = os.clock()
  local ok, ast, msg, pos = pcall(parser.parse, src)
  local dt = os.clock() - t0
  assert(ok, ("parse raised %s on %s"):format(tostring(ast), shown(src)))
  assert(dt < 1 * SLOW, ("parse took %.2f s on %s"):format(dt, shown(src)))
  if ast then
    assert(type(ast) == "table" and type(ast.tag) == "string", ("no AST for %s"):format(shown(src)))
  else
    assert(type(msg) == "string" and #msg > 0 and #msg < 400, ("bad message %q for %s"):format(tostring(msg), shown(src)))
    assert(math.type(pos) == "integer" and pos >= 1 and pos <= #src + 1, ("bad position %s for %s"):format(tostring(pos), shown(src)))
  end
  return ast
end

local function compile(when)
  return rules.compile(([[return ruleset { name = "p", version = "1", subtypes = { "a" },
  set("S", { "ckd", "dialysis" }), param("lim", 3), let("x", "calcium * 2", { unit = "mg/dL" }),
  rule { id = "r", when = %q, supports = "a", weight = 1, because = "b", source = "S1" } }]]):format(when))
end

local function check_compile(src)
  local t0 = os.clock()
  local ok, rs, err = pcall(compile, src)
  local dt = os.clock() - t0
  assert(ok, ("compile raised %s on %s"):format(tostring(rs), shown(src)))
  assert(dt < 2 * SLOW, ("compile took %.2f s on %s"):format(dt, shown(src)))
  if not rs then
    assert(type(err) == "string" and #err > 0, ("no message for %s"):format(shown(src)))
    assert(#err < 2000, ("message of %d bytes for %s"):format(#err, shown(src)))
    assert(not err:find("stack traceback", 1, true) and not err:find("parser.lua:", 1, true)
      and not err:find("compiler.lua:", 1, true), ("internal error for %s: %s"):format(shown(src), err))
    if utf8.len(src) then assert(utf8.len(err), ("message not valid UTF-8 for %s"):format(shown(src))) end
  else
    local r = rs:classify({ id = "p", age = 50, sex = "F", labs = { calcium = "10.2 mg/dL", pth = "90 pg/mL" } })
    assert(r.type == "a" or r.type == rs.compiled.label, ("type %s for %s"):format(tostring(r.type), shown(src)))
  end
  return rs
end

describe("rule grammar (property tests)", function()
  it("every generated sentence of the grammar parses (3000 cases)", function()
    local R = lcg(20261202)
    for _ = 1, 3000 do
      local s = gen(R)
      if not check_parse(s) then
        error(("a sentence of the grammar does not parse: %s (%s)"):format(shown(s), tostring(select(2, parser.parse(s)))))
      end
    end
  end)

  it("mutated sentences give an AST or a clean message with a position (4000 cases)", function()
    local R = lcg(7)
    local refused = 0
    for _ = 1, 4000 do
      if not check_parse(mutate(R, gen(R))) then refused = refused + 1 end
    end
    assert.is_true(refused > 400, "the mutations should break many sentences: " .. refused)
  end)

  it("random bytes give a clean message (2000 cases)", function()
    local R = lcg(99)
    for _ = 1, 2000 do
      local t = {}
      for i = 1, R(0, 60) do t[i] = string.char(R(0, 255)) end
      check_parse(table.concat(t))
    end
  end)

  it("through the compiler: generated and mutated conditions compile and run, or give a message (1000 cases)", function()
    local R = lcg(31337)
    local compiled, refused = 0, 0
    for i = 1, 1000 do
      local s = gen(R)
      if i % 2 == 0 then s = mutate(R, s) end
      if check_compile(s) then compiled = compiled + 1 else refused = refused + 1 end
    end
    assert.is_true(compiled > 100 and refused > 100, ("compiled %d, refused %d"):format(compiled, refused))
  end)

  it("deep nesting, long inputs and huge numbers end at once with a message", function()
    for _, s in ipairs {
      ("("):rep(100000) .. "true" .. (")"):rep(100000),
      ("not "):rep(50000) .. "true",
      ("-"):rep(100000) .. "1 > 0",
      ("calcium + "):rep(20000) .. "1 > 0",
      ("1"):rep(100000) .. " > 0",
      "calcium > 1" .. ("0"):rep(400) .. " mg/dL",
      ("if true then "):rep(5000) .. "1" .. (" else 2"):rep(5000) .. " > 0",
      ("true and "):rep(30000) .. "true",
      "at least " .. ("9"):rep(40) .. " findings in S",
    } do
      check_parse(s)
      check_compile(s)
    end
  end)
end)
