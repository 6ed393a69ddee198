-- Hardening, the findings of the issue that spec/hardening_rules_spec.lua,
-- spec/rules_sandbox_spec.lua and spec/cli_spec.lua do not check: rules
-- that divide by zero, numbers out of range, a NUL in a value's message,
-- write errors of every command, --jobs and unreadable inputs. Each fails
-- on the code before the fix (see the commit message).
local support = require "support"
local rules = require "calcinosis.rules"

local tmp, clean = support.temp_files()
teardown(clean)

-- a ruleset around one condition
local function cond(when)
  return rules.compile(([[return ruleset { name = "t", version = "1", subtypes = { "a" },
  rule { id = "r", when = %q, supports = "a", weight = 1, because = "x", source = "S1" } }]]):format(when))
end

local function no_crash(out, rc, err, sig)
  assert.is_nil(sig, "ended by signal " .. tostring(sig))
  assert.is_nil(err:find("traceback", 1, true), err)
  assert.is_nil(err:find("internal error", 1, true), err)
  return out, rc, err
end

local function run(args) return no_crash(support.run(args)) end

local TRUTH = tmp("id,calcium [mg/dL],truth\np1,11,metastatic\np2,9,idiopathic\n", ".csv")

describe("hardening findings", function()
  describe("rules", function()
    it("calcium / 0 > 1 mg/dL does not fire (the quotient is not finite: unknown), with a warning", function()
      for _, when in ipairs { "calcium / 0 > 1 mg/dL", "calcium / (2 - 2) > 1 mg/dL", "calcium * 1e308 > 1" } do
        local rs = assert(cond(when))
        local r = rs:classify({ id = "p", age = 40, labs = { calcium = "10 mg/dL" } })
        assert.equal(0, #r.fired, when)
        assert.not_equal("a", r.type, when)
      end
      local rs = assert(cond("calcium / 0 > 1 mg/dL"))
      assert.matches("division by the number 0", table.concat(rs.warnings, "\n"), 1, true)
    end)

    it("a between with its bounds reversed warns that it never holds", function()
      local rs = assert(cond("calcium between 12 mg/dL and 8 mg/dL"))
      assert.matches("reversed", table.concat(rs.warnings, "\n"), 1, true)
    end)

    it("numbers that are not finite or overflow their conversion are refused", function()
      for _, when in ipairs { "calcium > 1e309 mg/dL", "calcium > 1e308 mmol/L", "age > 1e999" } do
        local rs, err = cond(when)
        assert.is_nil(rs, when)
        assert.truthy(err:find("not finite", 1, true) or err:find("overflows", 1, true), err)
      end
    end)
  end)

  describe("the command line", function()
    it("--param ca_x_p_limit='1e309 mg2/dL2' is refused, naming the param, exit 2", function()
      for _, v in ipairs { "'ca_x_p_limit=1e309 mg2/dL2'", "ca_x_p_limit=1e309", "ca_x_p_limit=-1e400" } do
        local out, rc, err = run("classify --param " .. v .. " examples/cohort.csv")
        assert.equal(2, rc, v)
        assert.equal("", out)
        assert.matches("param 'ca_x_p_limit': [^\n]* is not a finite number", err)
        assert.is_nil(err:find("%.lua:%d"), err)
      end
    end)

    it("--jobs takes a whole number: 9999999999999999999, 1.5, 0 and abc are usage errors", function()
      for _, j in ipairs { "9999999999999999999", "1.5", "0", "abc", "1e3" } do
        local out, rc, err = run("classify --jobs " .. j .. " examples/cohort.csv")
        assert.equal(2, rc, j)
        assert.equal("", out)
        assert.matches("--jobs must be a whole number", err, 1, true)
      end
      local _, rc = run("classify --jobs 100 -o /dev/null examples/cohort.csv")
      assert.equal(0, rc)
    end)

    it("a directory as labs --file or --rules is named, exit 2", function()
      local dir = tmp() .. ".d.json"
      assert(os.execute("mkdir -p '" .. dir .. "'"))
      local out, rc, err = run("labs --file " .. dir)
      assert.equal(2, rc)
      assert.equal("", out)
      assert.matches(dir .. ": cannot read (Is a directory)", err, 1, true)
      out, rc, err = run("classify --rules " .. dir .. " examples/cohort.csv")
      assert.equal(2, rc)
      assert.equal("", out)
      assert.matches(dir, err, 1, true)
      os.execute("rmdir '" .. dir .. "'")
    end)
  end)

  describe("write errors", function()
    local cases = {
      "classify examples/cohort.csv",
      "classify --jobs 2 examples/cohort.csv",
      "classify --format ndjson examples/cohort.csv",
      "classify examples/patients/heel_stick_infant.json",
      "classify --json examples/patients/heel_stick_infant.json",
      "labs calcium=11.2mg/dL albumin=3.1g/dL",
      "labs --json calcium=11.2mg/dL",
      "convert 11.2 mg/dL mmol/L calcium",
      "compare --rules default --rules examples/variant_strict.lua examples/cohort.csv",
      "sweep --param ca_x_p_limit=50:60:5 examples/cohort.csv",
      "validate --truth truth " .. TRUTH,
      "--help",
      "--version",
      "classify --help",
    }
    for _, c in ipairs(cases) do
      it("'" .. c .. "' > /dev/full: exit 2, naming standard output, once", function()
        local out, rc, err = run(c .. " >/dev/full")
        assert.equal("", out)
        assert.equal(2, rc, err)
        assert.matches("standard output: ", err, 1, true)
        local _, n = err:gsub("standard output", "")
        assert.equal(1, n, err)
      end)
    end

    it("-o /dev/full names the file (classify, compare, sweep, validate)", function()
      for _, c in ipairs {
        "classify -o /dev/full examples/cohort.csv",
        "compare -o /dev/full --rules default --rules examples/variant_strict.lua examples/cohort.csv",
        "sweep -o /dev/full --param ca_x_p_limit=50:60:5 examples/cohort.csv",
        "validate -o /dev/full --truth truth " .. TRUTH,
      } do
        local _, rc, err = run(c)
        assert.equal(2, rc, c)
        assert.matches("/dev/full: ", err, 1, true)
      end
    end)
  end)

  describe("messages", function()
    it("a NUL in an NDJSON unit does not cut the message: the value is shown whole, the NUL as \\x00", function()
      local input = tmp('{"id":"n1","labs":{"calcium":"10 mg\\u0000/dL"}}\n{"id":"n2","age":"4\\u0000 y"}\n', ".ndjson")
      local out, rc = run("classify --columns id,problems " .. input)
      assert.equal(1, rc)
      local rows = support.parse_csv(out, true)
      assert.equal(3, #rows)
      assert.matches("calcium: '10 mg\\x00/dL': invalid character in unit 'mg\\x00/dL'", rows[2][2], 1, true)
      assert.matches("age: '4\\x00 y' is not an age", rows[3][2], 1, true)
    end)

    it("a line break in a value does not break a problem message", function()
      local out, rc = run("labs 'sex=x\ny' calcium=1")
      assert.equal(1, rc)
      assert.matches("unknown sex 'x\\x0ay'", out, 1, true)
    end)
  end)
end)
