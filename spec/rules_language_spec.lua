-- The condition language: operators, units at compile time, three-valued
-- logic, errors (messages checked), variants, and the ruleset API.
local rules = require "calcinosis.rules"

local NaN = 0 / 0

-- a one-rule ruleset around a condition; extra declarations before the rule
local function src(when, extra)
  return ([[return ruleset { name = "t", version = "1", subtypes = { "a", "b" },
%s
rule { id = "r", when = %q, supports = "a", weight = 1, because = "x", source = "S1" } }]])
    :format(extra or "", when)
end

local function compile(when, extra)
  local rs, err = rules.compile(src(when, extra))
  assert(rs, err)
  return rs
end

-- "true", "false" or "unknown" for a condition on plain inputs
local function state(when, inputs, extra)
  local r = compile(when, extra):evaluate(inputs or {})
  if #r.fired == 1 then return "true" end
  if #r.not_evaluable == 1 then return "unknown" end
  return "false"
end

-- the value of a numeric expression (through a let)
local function value(expr, inputs, unit)
  local extra = ("let(%q, %q%s),"):format("v", expr, unit and (", %q"):format(unit) or "")
  local r = compile("present(v) or missing(v)", extra):evaluate(inputs or {})
  return r.values.v
end

local function err_of(when, extra)
  local rs, err = rules.compile(src(when, extra))
  assert.is_nil(rs)
  return err
end

describe("rule language", function()
  describe("operators", function()
    it("compares", function()
      assert.equal("true", state("calcium > 10", { calcium = 11 }))
      assert.equal("false", state("calcium > 10", { calcium = 10 }))
      assert.equal("true", state("calcium >= 10", { calcium = 10 }))
      assert.equal("true", state("calcium < 10", { calcium = 9 }))
      assert.equal("true", state("calcium <= 10", { calcium = 10 }))
      assert.equal("true", state("calcium == 10", { calcium = 10 }))
      assert.equal("true", state("calcium = 10", { calcium = 10 }))
      assert.equal("true", state("calcium != 10", { calcium = 9 }))
      assert.equal("true", state("calcium ~= 10", { calcium = 9 }))
    end)
    it("does arithmetic with precedence", function()
      assert.equal(7, value("1 + 2 * 3"))
      assert.equal(9, value("(1 + 2) * 3"))
      assert.equal(-1, value("1 - 2"))
      assert.equal(2.5, value("5 / 2"))
      assert.equal(512, value("2 ^ 3 ^ 2"))
      assert.equal(-4, value("-2 ^ 2"))
      assert.equal(3, value("min(3, 4)"))
      assert.equal(4, value("max(3, 4)"))
      assert.equal(3, value("abs(-3)"))
      assert.equal(14, value("calcium + phosphate", { calcium = 10, phosphate = 4 }))
    end)
    it("evaluates between inclusively", function()
      assert.equal("true", state("calcium between 8.5 and 10.5", { calcium = 8.5 }))
      assert.equal("true", state("calcium between 8.5 and 10.5", { calcium = 10.5 }))
      assert.equal("false", state("calcium between 8.5 and 10.5", { calcium = 10.6 }))
    end)
    it("has and, or, not and parentheses", function()
      assert.equal("true", state("calcium > 1 and (phosphate > 1 or pth > 1)",
        { calcium = 2, phosphate = 0, pth = 2 }))
      assert.equal("false", state("not (calcium > 1)", { calcium = 2 }))
    end)
    it("has if then else", function()
      assert.equal(6.5, value("if age < 18 years then 6.5 else 4.5", { age = 10 }))
      assert.equal(4.5, value("if age < 18 years then 6.5 else 4.5", { age = 30 }))
      assert.equal("true", state("if female then calcium > 10 else calcium > 11",
        { sex = "F", calcium = 10.5 }))
      assert.equal("false", state("if female then calcium > 10 else calcium > 11",
        { sex = "M", calcium = 10.5 }))
    end)
    it("tests sets of findings and sites", function()
      local extra = 'set("S", { "a", "b", "c" }),'
      assert.equal("true", state("any finding in S", { findings = { "x", "b" } }, extra))
      assert.equal("false", state("any finding in S", { findings = { "x" } }, extra))
      assert.equal("false", state("any finding in S", { sites = { "a" } }, extra))
      assert.equal("true", state("any site in S", { sites = { "a" } }, extra))
      assert.equal("true", state("no finding in S", { findings = {} }, extra))
      assert.equal("false", state("no finding in S", { findings = { "c" } }, extra))
      assert.equal("true", state("at least 2 findings in S", { findings = { "a", "c" } }, extra))
      assert.equal("false", state("at least 2 findings in S", { findings = { "a", "x" } }, extra))
      assert.equal("true", state("any finding in {a, z}", { findings = { "z" } }))
      assert.equal("true", state("finding ckd", { findings = { "CKD" } }))
      assert.equal("true", state("site scrotum", { sites = { "scrotum" } }))
    end)
    it("includes sets in sets", function()
      local extra = 'set("A", { "a" }), set("B", { "b" }), set("AB", { "A", "B", "c" }),'
      assert.equal("true", state("any finding in AB", { findings = { "b" } }, extra))
      assert.equal("true", state("at least 3 findings in AB", { findings = { "a", "b", "c" } }, extra))
    end)
    it("has present() and missing(), always known", function()
      assert.equal("true", state("present(calcium)", { calcium = 1 }))
      assert.equal("false", state("present(calcium)", {}))
      assert.equal("true", state("missing(calcium)", {}))
      assert.equal("false", state("missing(calcium)", { calcium = 1 }))
      assert.equal("true", state("missing(calcium * phosphate)", { calcium = 1 }))
    end)
    it("tests lab flags with high(), low(), normal()", function()
      assert.equal("true", state("high(calcium)", { calcium_flag = "high" }))
      assert.equal("true", state("high(calcium)", { calcium_flag = "critical_high" }))
      assert.equal("false", state("high(calcium)", { calcium_flag = "normal" }))
      assert.equal("true", state("low(calcium)", { calcium_flag = "low" }))
      assert.equal("true", state("normal(calcium)", { calcium_flag = "normal" }))
      assert.equal("unknown", state("high(calcium)", {}))
    end)
    it("has lets and params", function()
      local extra = 'param("lim", "10 mg/dL"), let("twice", "calcium * 2"), let("big", "twice > lim"),'
      assert.equal("true", state("big", { calcium = 6 }, extra))
      assert.equal("false", state("big", { calcium = 4 }, extra))
    end)
  end)

  describe("units at compile time", function()
    it("converts a molar literal to the analyte's canonical unit", function()
      -- 2.62 mmol/L calcium = 10.5 mg/dL
      assert.equal("true", state("calcium > 2.62 mmol/L", { calcium = 10.6 }))
      assert.equal("false", state("calcium > 2.62 mmol/L", { calcium = 10.4 }))
      local rs = compile("calcium > 2.62 mmol/L")
      local consts = rs.compiled.consts
      local found = false
      for _, c in ipairs(consts) do if math.abs(c - 10.5) < 0.01 then found = true end end
      assert.is_true(found, "the constant is converted when compiled")
    end)
    it("converts mass units and time units", function()
      assert.equal("true", state("albumin < 30 g/L", { albumin = 2.9 }))
      assert.equal("true", state("age < 6 mo", { age = 0.4 }))
      assert.equal("false", state("age < 6 months", { age = 0.6 }))
      assert.equal("true", state("age >= 18 years", { age = 18 }))
      assert.equal("true", state("ca_x_p > 4.4 mmol2/L2 or ca_x_p > 55 mg2/dL2", { ca_x_p = 60 }))
    end)
    it("applies a unit written on one bound of between to both", function()
      assert.equal("true", state("calcium between 2.1 and 2.6 mmol/L", { calcium = 9.5 }))
      assert.equal("false", state("calcium between 2.1 and 2.6 mmol/L", { calcium = 8.0 }))
    end)
    it("converts params into the unit they are compared with", function()
      local extra = 'param("lim", "2.62 mmol/L"),'
      assert.equal("true", state("calcium > lim", { calcium = 10.6 }, extra))
    end)
    it("infers mg2/dL2 for a product of two mg/dL values", function()
      assert.equal("true", state("calcium * phosphate > 55 mg2/dL2", { calcium = 10, phosphate = 6 }))
    end)
    it("rejects a comparison across dimensions, naming both units", function()
      local e = err_of("age > 2 mmol/L")
      assert.matches("2 mmol/L", e, 1, true)
      assert.matches("(a)", e, 1, true)
      e = err_of("calcium > 18 years")
      assert.matches("years", e, 1, true)
      assert.matches("mg/dL", e, 1, true)
      e = err_of("calcium > albumin")
      assert.matches("mg/dL", e, 1, true)
      assert.matches("g/dL", e, 1, true)
    end)
    it("rejects an unknown unit", function()
      assert.matches("unknown unit 'furlongs'", err_of("calcium > 10 furlongs"), 1, true)
    end)
    it("asks for a let when an expression's unit cannot be told", function()
      assert.matches("put it in a let", err_of("calcium / albumin > 2 mg/dL"), 1, true)
    end)
  end)

  describe("three-valued logic", function()
    -- inputs giving a true (t), false (f) and unknown (u) atom
    local atoms = { t = "calcium > 1", f = "calcium > 100", u = "pth > 1" }
    local inputs = { calcium = 10 }
    local K = { t = "true", f = "false", u = "unknown" }
    local AND = { tt = "t", tf = "f", tu = "u", ft = "f", ff = "f", fu = "f", ut = "u", uf = "f", uu = "u" }
    local OR = { tt = "t", tf = "t", tu = "t", ft = "t", ff = "f", fu = "u", ut = "t", uf = "u", uu = "u" }
    for a in pairs(atoms) do
      for b in pairs(atoms) do
        it(a .. " and " .. b .. " / " .. a .. " or " .. b, function()
          assert.equal(K[AND[a .. b]], state(("(%s) and (%s)"):format(atoms[a], atoms[b]), inputs))
          assert.equal(K[OR[a .. b]], state(("(%s) or (%s)"):format(atoms[a], atoms[b]), inputs))
        end)
      end
      it("not " .. a, function()
        local NOT = { t = "f", f = "t", u = "u" }
        assert.equal(K[NOT[a]], state(("not (%s)"):format(atoms[a]), inputs))
      end)
    end
    it("a comparison with a missing value is unknown, whatever the operator", function()
      for _, op in ipairs { "<", "<=", ">", ">=", "==", "!=" } do
        assert.equal("unknown", state("pth " .. op .. " 1", {}))
      end
      assert.equal("unknown", state("pth between 1 and 2", {}))
      assert.equal("unknown", state("pth + 1 > 0", {}))
    end)
    it("if with an unknown condition is unknown unless both branches agree", function()
      assert.equal("unknown", state("(if pth > 1 then 1 else 2) > 0", {}))
      assert.equal("true", state("(if pth > 1 then 1 else 1) > 0", {}))
      assert.equal("unknown", state("if pth > 1 then true else false", {}))
    end)
    it("the literal unknown is unknown", function()
      assert.equal("unknown", state("unknown", {}))
      assert.equal("false", state("unknown and false", {}))
      assert.equal("true", state("unknown or true", {}))
    end)
    it("reports a rule left unknown as not evaluable, naming what it lacked", function()
      local rs = compile("corrected_calcium > 10.5 mg/dL and pth > 65 pg/mL")
      local r = rs:classify { age = 50, sex = "F", labs = { calcium = "11 mg/dL" } }
      assert.equal(0, #r.fired)
      assert.equal(1, #r.not_evaluable)
      assert.equal("r", r.not_evaluable[1].id)
      assert.same({ "corrected_calcium", "pth" }, r.not_evaluable[1].missing)
    end)
    it("names the inputs missing behind a let", function()
      local rs = compile("x > 1", 'let("x", "pth * 2"),')
      local r = rs:classify { age = 50, labs = {} }
      assert.same({ "pth" }, r.not_evaluable[1].missing)
    end)
  end)

  describe("errors", function()
    it("gives file, line, column, rule id, the expression and a caret", function()
      local e = err_of("calcum > 10")
      assert.matches("^%(string%):3:%d+: rule 'r': unknown name 'calcum' %(did you mean 'calcium'%?%)", e)
      assert.matches("\n    calcum > 10\n    %^", e)
    end)
    it("points the caret at the offending token", function()
      local e = err_of("calcium > 10 and phosphat > 2")
      local lines = {}
      for l in e:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.equal("    calcium > 10 and phosphat > 2", lines[2])
      assert.equal(("    " .. (" "):rep(17) .. "^"), lines[3])
      -- the column in the file is where the token is
      local col = tonumber(e:match("^%(string%):%d+:(%d+):"))
      local line3 = src("calcium > 10 and phosphat > 2"):match("[^\n]*\n[^\n]*\n([^\n]*)")
      assert.equal(line3:find("phosphat", 1, true), col)
    end)
    it("reports syntax errors", function()
      assert.matches("syntax error: unexpected '>'", err_of("calcium > > 1"), 1, true)
      assert.matches("syntax error: unexpected end of expression", err_of("calcium >"), 1, true)
      assert.matches("syntax error: unexpected end of expression", err_of("(calcium > 1"), 1, true)
      assert.matches("syntax error: unexpected 'then'", err_of("if then 1 else 2"), 1, true)
    end)
    it("reports type errors", function()
      assert.matches("'and' needs a condition, got a number", err_of("calcium and true"), 1, true)
      assert.matches("'>' needs a number, got a condition", err_of("(calcium > 1) > 2"), 1, true)
      assert.matches("a rule's condition must be a condition", err_of("calcium + 1"), 1, true)
    end)
    it("reports unknown sets, functions and subtypes with suggestions", function()
      assert.matches("unknown set 'IATR' (did you mean 'IATRO'?)",
        err_of("any finding in IATR", 'set("IATRO", { "x" }),'), 1, true)
      assert.matches("unknown function 'presnt' (did you mean 'present'?)", err_of("presnt(calcium)"), 1, true)
      local rs, e = rules.compile([[return ruleset { name = "t", version = "1", subtypes = { "metastatic" },
        rule { id = "r", when = "true", supports = "metastatc", weight = 1, because = "x", source = "S1" } }]])
      assert.is_nil(rs)
      assert.matches("supports unknown subtype 'metastatc' (did you mean 'metastatic'?)", e, 1, true)
    end)
    it("reports duplicate rule ids and missing fields", function()
      local rs, e = rules.compile([[return ruleset { name = "t", version = "1", subtypes = { "a" },
        rule { id = "r", when = "true", supports = "a", weight = 1, because = "x", source = "S1" },
        rule { id = "r", when = "true", supports = "a", weight = 1, because = "x", source = "S1" } }]])
      assert.is_nil(rs)
      assert.matches(":3:%d+: rule 'r': rule id declared twice", e)
      rs, e = rules.compile([[return ruleset { name = "t", version = "1", subtypes = { "a" },
        rule { id = "r", when = "true", supports = "a", weight = 1, because = "x" } }]])
      assert.is_nil(rs)
      assert.matches("rule 'r': a rule needs a source key", e, 1, true)
    end)
    it("reports each kind of unit error with both units", function()
      assert.matches("cannot compare 2 mmol/L with 'age' (a): cannot convert", err_of("age > 2 mmol/L"), 1, true)
      assert.matches("cannot compare 2 years with 10 mg/dL: cannot convert", err_of("10 mg/dL > 2 years"), 1, true)
      assert.matches("cannot compare 'calcium' (mg/dL) with 'albumin' (g/dL): different units",
        err_of("calcium > albumin"), 1, true)
      assert.matches("cannot compare 5 years with a value in mg/dL",
        err_of("x > 1", 'let("x", "5 years", "mg/dL"),'), 1, true)
      assert.matches("declared unit a does not match the expression's unit mg/dL",
        err_of("x > 1", 'let("x", "calcium * 2 + calcium", "a"),'), 1, true)
      assert.matches("unknown unit 'parsecs'", err_of("x > 1", 'param("p", "3 parsecs"),'), 1, true)
    end)
    it("reports each kind of syntax error with the token", function()
      assert.matches("syntax error: unexpected '}'", err_of("any finding in {a,}"), 1, true)
      assert.matches("syntax error: unexpected end of expression", err_of("calcium between 1 and"), 1, true)
      assert.matches("syntax error: unexpected ')'", err_of("min(calcium,)"), 1, true)
      assert.matches("syntax error: unexpected '2'", err_of("at 2 findings in {a}"), 1, true)
      assert.matches("syntax error: unexpected '#'", err_of("calcium # 2"), 1, true)
    end)
    it("reports misuse of functions", function()
      assert.matches("min() takes 2 arguments, got 1", err_of("min(calcium) > 1"), 1, true)
      assert.matches("high() takes the name of a lab value", err_of("high(1 + 2)"), 1, true)
      assert.matches("'>' needs a number, got a condition", err_of("female > 1"), 1, true)
    end)
    it("reports declarations made twice and sets that include themselves", function()
      assert.matches("'x' is declared twice", err_of("x", 'let("x", "true"), let("x", "false"),'), 1, true)
      assert.matches("includes itself", err_of("any finding in A", 'set("A", { "B" }), set("B", { "A" }),'),
        1, true)
      assert.matches("did you mean 'ca_corr'", err_of("ca_cor > 1", 'let("ca_corr", "calcium"),'), 1, true)
      assert.matches("'S' is a set", err_of("S > 1", 'set("S", { "a" }),'), 1, true)
    end)
    it("parses nested expressions without backtracking blow-up, and reports too deep ones", function()
      local t = os.clock()
      local deep = ("calcium + ("):rep(30) .. "1" .. (")"):rep(30) .. " > 2"
      assert.truthy(rules.compile(src(deep)))
      assert.is_true(os.clock() - t < 1 * require("support").SLOW) -- (valgrind-suite.sh: about 20x slower)
      assert.matches("too deeply nested", err_of(("("):rep(200) .. "true" .. (")"):rep(200)), 1, true)
      -- 70 pending values (right-associative ^) are more than the VM's stack
      assert.matches("expression too deep for the VM", err_of(("1 ^ "):rep(70) .. "1 > 2"), 1, true)
      assert.truthy(rules.compile(src(("1 ^ "):rep(50) .. "1 > 2")))
    end)
    it("shows only the offending line of a multi-line expression", function()
      local e = err_of("x > 1", 'let("x", [[calcium\n  + phosphat\n  + 1]]),')
      assert.matches("\n      %+ phosphat\n        %^$", e)
      assert.matches("^%(string%):3:5: let 'x'", e)
    end)
    it("reports a Lua syntax error in the file", function()
      local rs, e = rules.compile("return ruleset {")
      assert.is_nil(rs)
      assert.matches("(string)", e, 1, true)
    end)
  end)

  describe("rulesets", function()
    local base_src = [[return ruleset { name = "base", version = "2", subtypes = { "a", "b" },
      param("lim", "10 mg/dL"),
      rule { id = "a.ca", when = "calcium > lim", supports = "a", weight = 2, because = "ca high", source = "S1" },
      rule { id = "b.p", when = "phosphate > 4", supports = "b", weight = 2, because = "p high", source = "S2" },
      rule { id = "b.young", when = "age < 18 years", supports = "b", weight = 1, because = "young", source = "S3" },
    }]]
    local base = assert(rules.compile(base_src))

    it("carries name, version and hash in every result", function()
      local r = base:evaluate { calcium = 11 }
      assert.equal("base", r.name)
      assert.equal("2", r.version)
      assert.equal(base.hash, r.hash)
      assert.same({ name = "base", version = "2", hash = base.hash }, r.ruleset)
      assert.matches("^%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x$", base.hash)
    end)
    it("has a stable hash that changes with the rules", function()
      assert.equal(base.hash, assert(rules.compile(base_src)).hash)
      local other = assert(rules.compile((base_src:gsub('"10 mg/dL"', '"11 mg/dL"'))))
      assert.not_equal(base.hash, other.hash)
    end)
    it("decides by score, tie order and indeterminate", function()
      assert.equal("a", base:evaluate({ calcium = 11, phosphate = 5 }).type)  -- tie 2:2 -> a
      assert.equal("b", base:evaluate({ calcium = 11, phosphate = 5, age = 10 }).type)
      assert.equal("indeterminate", base:evaluate({}).type)
      local rs = assert(base:variant { decision = { tie = "indeterminate", label = "unclear" } })
      assert.equal("unclear", rs:evaluate({ calcium = 11, phosphate = 5 }).type)
      assert.equal("b", rs:evaluate({ calcium = 11, phosphate = 5, age = 10 }).type)
      rs = assert(base:variant { decision = { indeterminate_at_most = 2 } })
      assert.equal("indeterminate", rs:evaluate({ calcium = 11 }).type)
      assert.equal("b", rs:evaluate({ phosphate = 5, age = 10 }).type)
    end)
    it("overrides params", function()
      local v = assert(base:variant { name = "strict", params = { lim = "2.2 mmol/L" } })
      assert.equal("strict", v.name)
      assert.equal("a", v:evaluate({ calcium = 9 }).type)
      assert.equal("indeterminate", base:evaluate({ calcium = 9 }).type)
      assert.not_equal(base.hash, v.hash)
    end)
    it("drops rules by id", function()
      local v = assert(base:variant { drop = { "b.young" } })
      assert.equal(2, #v:rules())
      assert.equal("indeterminate", v:evaluate({ age = 10 }).type)
    end)
    it("overrides rules by id and appends new ones", function()
      local v = assert(base:variant {
        rules = {
          rules.rule { id = "b.p", when = "phosphate > 6", supports = "b", weight = 2, because = "p", source = "S2" },
          rules.rule { id = "a.pth", when = "pth > 65", supports = "a", weight = 5, because = "pth", source = "S2" },
        },
      })
      local ids = {}
      for i, r in ipairs(v:rules()) do ids[i] = r.id end
      assert.same({ "a.ca", "b.p", "b.young", "a.pth" }, ids)
      assert.equal("indeterminate", v:evaluate({ phosphate = 5 }).type)
      assert.equal("a", v:evaluate({ pth = 100 }).type)
    end)
    it("rejects unknown params and rule ids in a variant, with suggestions", function()
      local v, e = base:variant { params = { limm = 3 } }
      assert.is_nil(v)
      assert.matches("unknown param 'limm' (did you mean 'lim'?)", e, 1, true)
      v, e = base:variant { drop = { "b.yung" } }
      assert.is_nil(v)
      assert.matches("cannot drop unknown rule or declaration 'b.yung' (did you mean 'b.young'?)", e, 1, true)
    end)
    it("makes variants in a ruleset file, from an included ruleset", function()
      local rs = assert(rules.load("examples/variant_strict.lua"))
      assert.equal("bench-v1-strict", rs.name)
      local ids = {}
      for _, r in ipairs(rs:rules()) do ids[r.id] = true end
      assert.is_nil(ids["idiopathic.young"])
      assert.is_true(ids["metastatic.ionized"])
      local r = rs:evaluate { age = 50, sex = "F", calcium = 9, phosphate = 6.5 }
      local fired = {}
      for _, f in ipairs(r.fired) do fired[f.id] = true end
      assert.is_true(fired["metastatic.ca_x_p"]) -- 58.5 > 55
    end)
    it("lists its rules and describes itself", function()
      local list = base:rules()
      assert.equal("a.ca", list[1].id)
      assert.equal("ca high", list[1].sentence)
      assert.equal("S1", list[1].source)
      local d = base:describe()
      assert.matches("ruleset base 2", d, 1, true)
      assert.matches("param lim = 10 mg/dL", d, 1, true)
      assert.matches("rule a.ca: calcium > lim -> a +2 [S1]", d, 1, true)
    end)
    it("explains fired rules with actual values and units", function()
      local rs = compile("corrected_calcium > 10.5 mg/dL and any finding in {ckd, dialysis}")
      local r = rs:classify { age = 50, sex = "F", labs = { calcium = "10.5 mg/dL", albumin = "3.0 g/dL" },
        findings = { "dialysis" } }
      assert.equal(1, #r.fired)
      assert.same({ "corrected_calcium 11.30 mg/dL > 10.5 mg/dL", "finding dialysis in {ckd, dialysis}" },
        r.fired[1].why)
      assert.equal("x", r.fired[1].because)
      assert.equal("S1", r.fired[1].source)
      assert.equal(1, r.fired[1].weight)
    end)
    it("explains converted literals with the unit they were written in", function()
      local rs = compile("calcium > 2.5 mmol/L")
      local r = rs:classify { age = 50, labs = { calcium = "11 mg/dL" } }
      assert.matches("^calcium 11.00 mg/dL > 10.0%d* mg/dL %(2.5 mmol/L%)$", r.fired[1].why[1])
    end)
    it("classify allocates no per-rule closures and reuses its buffers", function()
      local vars = base._vars
      base:evaluate { calcium = 11 }
      base:classify { age = 50, labs = { calcium = "11 mg/dL" } }
      assert.equal(vars, base._vars)
    end)
    it("matches findings through the vocabulary and warns of unknown set terms", function()
      local rs = compile("any finding in S", 'set("S", { "ckd", "lupsu" }),')
      assert.equal(1, #rs.warnings)
      assert.matches("set 'S'", rs.warnings[1], 1, true)
      assert.matches("lupus", rs.warnings[1], 1, true)
      assert.matches("warning: set 'S'", rs:describe(), 1, true)
      assert.equal(1, #rs:evaluate({ findings = { "Chronic kidney disease" } }).fired)
      -- implied terms count: esrd implies ckd
      assert.equal(1, #rs:evaluate({ findings = { "esrd" } }).fired)
    end)
    it("builds a ruleset from a table with rules.ruleset", function()
      local rs = assert(rules.ruleset { name = "x", version = 1, subtypes = { "a" },
        rules.rule { id = "r", when = "true", supports = "a", weight = 1, because = "b", source = "S1" } })
      assert.equal("a", rs:evaluate({}).type)
    end)
    it("loads the default ruleset once, in the sandbox", function()
      local rs = assert(rules.default())
      assert.equal(rs, rules.default())
      assert.is_true(#rs:rules() > 0)
      assert.same({}, rs.warnings)
    end)
    it("returns nil and a message for bad arguments", function()
      assert.is_nil((rules.load("does/not/exist.lua")))
      assert.is_nil((rules.compile(42)))
      local rs, e = rules.compile("return 42")
      assert.is_nil(rs)
      assert.matches("must return ruleset", e, 1, true)
    end)
  end)

  it("keeps NaN out of values", function()
    assert.is_nil(value("pth * 2", {}))
    assert.is_nil(value("1 / 0")) -- not finite: unknown, as the VM has it (src/vm.c FINITE_OR_NAN)
    assert.not_equal(NaN, value("1"))
  end)
end)
