-- The calcinosis command (run as a separate process, as users run it).
-- (standard output, exit status, standard error; standard error goes to a
-- temp file of the run's own, so that clones tested at once do not race)
local run = require("support").run

describe("calcinosis command", function()
  it("--help prints usage and exits 0", function()
    local out, rc = run("--help")
    assert.equal(0, rc)
    assert.matches("^Usage: calcinosis <command>", out)
    assert.matches("Research tool, not a diagnosis", out)
  end)
  it("names a directory given as input and exits 2, for a cohort and a patient file", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir .. " " .. dir .. ".json"))
    for _, c in ipairs {
      { "classify " .. dir, "calcinosis classify: " .. dir .. ": cannot read %(Is a directory%)" },
      { "classify --jobs 2 " .. dir, "calcinosis classify: " .. dir .. ": cannot read %(Is a directory%)" },
      { "classify " .. dir .. ".json", "calcinosis classify: " .. dir .. ".json: cannot read %(Is a directory%)" },
      { "validate --truth type " .. dir, "calcinosis validate: " .. dir .. ": cannot read %(Is a directory%)" },
    } do
      local out, rc, err = run(c[1])
      assert.equal(2, rc, c[1])
      assert.equal("", out)
      assert.matches("^" .. c[2] .. "\n$", err)
    end
    os.execute("rmdir " .. dir .. " " .. dir .. ".json")
  end)
  it("without arguments prints usage on stderr and exits 2", function()
    local _, rc, err = run("")
    assert.equal(2, rc)
    assert.matches("Usage:", err)
  end)
  it("an unknown command exits 2 with a hint", function()
    local _, rc, err = run("frobnicate")
    assert.equal(2, rc)
    assert.matches("unknown command 'frobnicate'", err)
    assert.matches("Try 'calcinosis %-%-help'", err)
  end)
  it("--version", function()
    local out, rc = run("--version")
    assert.equal(0, rc)
    assert.matches("^calcinosis %d+%.%d+%.%d+", out)
  end)

  describe("labs", function()
    it("prints the lab table with flags and derived values", function()
      local out, rc = run("labs calcium=11.2mg/dL albumin=3.1g/dL age=60 sex=F")
      assert.equal(0, rc)
      assert.matches("calcium%s+11%.2%s+mg/dL%s+high", out)
      assert.matches("albumin%s+3%.10%s+g/dL%s+low", out)
      assert.matches("corrected_calcium%s+11%.9%s+mg/dL%s+high", out)
      assert.matches("Ca %+ 0%.8 x %(4%.0 %- albumin%)", out)
      assert.matches("Research tool, not a diagnosis", out)
    end)
    it("computes eGFR and the KDIGO stage", function()
      local out, rc = run("labs creatinine=120umol/L age=60 sex=M")
      assert.equal(0, rc)
      assert.matches("egfr%s+59%.7", out)
      assert.matches("ckd_stage%s+G3a", out)
      out = run("labs creatinine=120umol/L age=60 sex=M --round-egfr")
      assert.matches("ckd_stage%s+G2", out)
    end)
    it("reports a problem and exits 1 for a value in the wrong unit", function()
      local out, rc = run("labs calcium=2.4mg/dL")
      assert.equal(1, rc)
      assert.matches("looks like 2%.4 mmol/L", out)
    end)
    it("prints JSON with --json", function()
      local out, rc = run("labs --json calcium=10.5mg/dL albumin=3g/dL")
      assert.equal(0, rc)
      local t = require("calcinosis.json").decode(out)
      assert.near(11.3, t.corrected_calcium.value, 1e-9)
      assert.equal("common", t.corrected_calcium.variant)
    end)
    it("reads a patient file", function()
      local out, rc = run("labs --file examples/lab-patient.json")
      assert.equal(0, rc)
      assert.matches("ckd_stage%s+G5", out)
    end)
    it("usage errors exit 2", function()
      local _, rc, err = run("labs")
      assert.equal(2, rc)
      assert.matches("no patient given", err)
      _, rc, err = run("labs --bogus")
      assert.equal(2, rc)
      assert.matches("unknown option '%-%-bogus'", err)
      _, rc, err = run("labs calcium")
      assert.equal(2, rc)
      assert.matches("expected NAME=VALUE", err)
      _, rc, err = run("labs --ca-coefficient 0.9 calcium=10mg/dL")
      assert.equal(2, rc)
      assert.matches("unknown %-%-ca%-coefficient", err)
      _, rc, err = run("labs --file /nonexistent.json")
      assert.equal(2, rc)
      assert.matches("/nonexistent.json", err)
    end)
  end)

  describe("convert", function()
    it("prints the number", function()
      local out, rc = run("convert 11.2 mg/dL mmol/L calcium")
      assert.equal(0, rc)
      assert.near(2.7946, tonumber(out), 1e-4)
    end)
    it("exits 1 with a message when the units do not convert", function()
      local out, rc, err = run("convert 11.2 mg/dL mmol/L")
      assert.equal(1, rc)
      assert.equal("", out)
      assert.matches("needs an analyte", err)
    end)
    it("exits 2 on usage errors", function()
      local _, rc = run("convert abc mg/dL mmol/L")
      assert.equal(2, rc)
      _, rc = run("convert 1 mg/dL")
      assert.equal(2, rc)
    end)
  end)
end)

describe("calcinosis command: suggestions, ruleset warnings, JSON results", function()
  local json = require "calcinosis.json"
  local _
  local function tmpfile(text)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
    return path
  end

  it("a misspelt command gets a 'did you mean' and exits 2", function()
    local out, rc, err = run("clasify examples/cohort.csv")
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("unknown command 'clasify' %(did you mean 'classify'%?%)", err)
    assert.equal("", (run("--verison")))
    _, rc, err = run("--verison")
    assert.equal(2, rc)
    assert.matches("did you mean '%-%-version'%?", err)
    _, rc, err = run("xyzzy")
    assert.equal(2, rc)
    assert.not_matches("did you mean", err)
  end)

  it("a misspelt option gets a 'did you mean' and exits 2", function()
    local out, rc, err = run("classify --colums id,type examples/cohort.csv")
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("unknown option '%-%-colums' %(did you mean '%-%-columns'%?%)", err)
    _, rc, err = run("labs --jsn calcium=10mg/dL")
    assert.equal(2, rc)
    assert.matches("did you mean '%-%-json'%?", err)
    _, rc, err = run("compare --rules default --rules default --max-chnages 3 examples/cohort.csv")
    assert.equal(2, rc)
    assert.matches("did you mean '%-%-max%-changes'%?", err)
  end)

  it("a --rules ruleset with an unknown term warns on standard error", function()
    local path = tmpfile([[
return ruleset {
  name = "typo", version = "1",
  subtypes = { "metastatic", "idiopathic" },
  rule { id = "metastatic.dialysis", when = "any finding in {dialisys}", supports = "metastatic",
         weight = 1, because = "on dialysis", source = "S1" },
}
]])
    local rs = assert(require("calcinosis.rules").load(path))
    assert.matches("did you mean 'dialysis'", table.concat(rs.warnings, "\n"))
    local out, rc, err = run("classify --rules " .. path .. " --columns id,type examples/cohort.csv")
    os.remove(path)
    assert.equal(0, rc)
    assert.matches("^id,type\n", out)
    assert.matches("calcinosis classify: warning: " .. path:gsub("%p", "%%%0") .. ": .*unknown finding 'dialisys' %(did you mean 'dialysis'%?%)", err)
  end)

  it("the default ruleset prints no warning", function()
    assert.same({}, require("calcinosis.rules").default().warnings)
    local _, rc, err = run("classify --columns id,type examples/cohort.csv")
    assert.equal(0, rc)
    assert.not_matches("warning", err)
  end)

  it("the --json result of one patient has the patient's id", function()
    local out, rc = run("classify --json examples/patients/calciphylaxis_uraemic.json")
    assert.equal(0, rc)
    local f = assert(io.open("examples/patients/calciphylaxis_uraemic.json"))
    local patient = json.decode(f:read("a"))
    f:close()
    local r = json.decode(out)
    assert.is_string(patient.id)
    assert.equal(patient.id, r.id)
  end)

  it("JSON output writes every empty list as [] (all example patients, compare)", function()
    local files = {}
    local p = assert(io.popen("ls examples/patients/*.json"))
    for l in p:lines() do files[#files + 1] = l end
    p:close()
    local out, rc = run("classify --json " .. table.concat(files, " "))
    assert.equal(0, rc)
    assert.not_matches("{}", out)
    local results = json.decode(out)
    assert.equal(#files, #results)
    for i, path in ipairs(files) do
      local f = assert(io.open(path))
      assert.equal(json.decode(f:read("a")).id, results[i].id)
      f:close()
    end
    assert.matches('"alerts": %[%]', out)
    assert.matches('"problems": %[%]', out)
    out = run("labs --json calcium=10mg/dL")
    assert.not_matches("{}", out)
    out = run("compare --format json --rules default --rules examples/variant_strict.lua examples/cohort.csv")
    assert.not_matches('"only_in_[ab]": {}', out)
    assert.matches('"only_in_[ab]": %[%]', out)
  end)

  it("several inputs are patient records only", function()
    local _, rc, err = run("classify examples/cohort.csv examples/patients/dog_trauma.json")
    assert.equal(2, rc)
    assert.matches("patient records %(%.json%) only", err)
  end)
end)

describe("calcinosis command: manners", function()
  local cli = require "calcinosis.cli"
  local function tmpfile(text, ext)
    local path = os.tmpname()
    os.remove(path)
    path = path .. (ext or "")
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
    return path
  end
  local function commands()
    local names = {}
    for name in pairs(cli.commands) do names[#names + 1] = name end
    table.sort(names)
    return names
  end

  it("every command's --help lists its exit statuses 0, 1 and 2", function()
    local out, rc = run("--help")
    assert.equal(0, rc)
    assert.matches("Exit status: 0 [^\n]*, 1 [^\n]*, 2 usage error", out)
    for _, cmd in ipairs(commands()) do
      out, rc = run(cmd .. " --help")
      assert.equal(0, rc, cmd)
      local text = out:gsub("\n%s*", " ")
      assert.matches("Exit status: 0 .-, 1 .-, 2 usage error", text, 1, cmd)
    end
  end)

  it("every option a command accepts is in its --help, and every option of its --help is accepted", function()
    for _, cmd in ipairs(commands()) do
      local spec = assert(cli.options[cmd], cmd)
      local usage = cli.usage[cmd]
      local listed = {}
      for line in usage:gmatch("[^\n]+") do
        local name = line:match("^  %-%-([%w-]+)") or line:match("^  %-%a, %-%-([%w-]+)")
        if name then listed[name] = true end
      end
      for name in pairs(spec) do assert.is_true(listed[name] == true, cmd .. " --" .. name .. " is not in its usage") end
      for name in pairs(listed) do
        assert.is_true(name == "help" or spec[name] ~= nil, cmd .. " --" .. name .. " is not accepted")
      end
      assert.is_true(listed.help, cmd .. " --help")
    end
  end)

  it("--no-warnings silences ruleset warnings in classify, compare, sweep and validate", function()
    local rules = tmpfile([[
return ruleset {
  name = "typo", version = "1",
  subtypes = { "metastatic", "idiopathic" },
  param("limit", 1),
  rule { id = "metastatic.dialysis", when = "any finding in {dialisys}", supports = "metastatic",
         weight = 1, because = "on dialysis", source = "S1" },
}
]], ".lua")
    local cohort = tmpfile("id,calcium,findings,truth\np1,10 mg/dL,dialysis,metastatic\np2,9 mg/dL,,idiopathic\n", ".csv")
    local cases = {
      classify = "classify --rules " .. rules .. " " .. cohort,
      compare = "compare --rules " .. rules .. " --rules default " .. cohort,
      sweep = "sweep --param limit=1:2:1 --rules " .. rules .. " " .. cohort,
      validate = "validate --truth truth --rules " .. rules .. " " .. cohort,
    }
    for cmd, args in pairs(cases) do
      local _, rc, err = run(args)
      assert.equal(0, rc, cmd .. ": " .. err)
      assert.matches("calcinosis " .. cmd .. ": warning: .*unknown finding 'dialisys'", err)
      _, rc, err = run(args .. " --no-warnings")
      assert.equal(0, rc, cmd .. ": " .. err)
      assert.not_matches("warning", err, cmd)
      assert.not_matches("dialisys", err, cmd)
    end
    os.remove(rules)
    os.remove(cohort)
  end)

  it("--version prints the version and the ruleset program format (CAL_VM_VERSION of src/vm.h)", function()
    local out, rc = run("--version")
    assert.equal(0, rc)
    assert.matches("^calcinosis %d+%.%d+%.%d+ %(Lua 5%.4%)\n", out)
    assert.matches("\nruleset program format: CALV 1\n$", out)
    -- the build's revision, when it was built from a git checkout (make writes it)
    local g = io.popen("test -e .git && git describe --always 2>/dev/null")
    local described = g:read("a"):match("^(%S+)")
    g:close()
    if described then
      local rev = out:match("\nrevision: (%S+)\n")
      assert.truthy(rev, "no revision line in a checkout's build")
      -- the build may predate the last commit; its revision is a commit of this checkout
      local c = io.popen("git cat-file -t " .. rev:gsub("%-dirty$", ""):gsub("^.*%-g", "") .. " 2>/dev/null")
      assert.equal("commit", c:read("a"):match("%S+"))
      c:close()
    end
    local f = assert(io.open("src/vm.h"))
    local h = f:read("a")
    f:close()
    assert.equal(cli.RULESET_FORMAT.version, tonumber(h:match("#define CAL_VM_VERSION (%d+)")))
    local magic, version = string.unpack("<c4I2", require("calcinosis.rules").default().compiled.bytes)
    assert.equal(cli.RULESET_FORMAT.magic, magic)
    assert.equal(cli.RULESET_FORMAT.version, version)
  end)

  it("an unknown --columns name gets a 'did you mean' on the command line", function()
    local out, rc, err = run("classify --columns id,tpye examples/cohort.csv")
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("calcinosis classify: unknown column 'tpye' %(did you mean 'type'%?%)", err)
    out, rc, err = run("classify --columns id,calcuim examples/cohort.csv")
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("did you mean 'calcium'%?", err)
    out, rc, err = run("classify --columns '' examples/cohort.csv")
    assert.equal(2, rc)
    assert.matches("%-%-columns is empty", err)
    assert.equal("", out)
  end)

  describe("completions", function()
    local function read(path)
      local f = assert(io.open(path))
      local s = f:read("a")
      f:close()
      return s
    end
    -- the options each command accepts, as words: --name, -o/-q, -h, --help
    local function accepted(cmd)
      local set = { ["-h"] = true, ["--help"] = true }
      for name in pairs(cli.options[cmd]) do
        set["--" .. name] = true
        if name == "output" then set["-o"] = true end
        if name == "quiet" then set["-q"] = true end
      end
      return set
    end

    it("are the output of tools/gen-completions.lua", function()
      for shell, path in pairs { bash = "completions/calcinosis.bash", zsh = "completions/_calcinosis" } do
        local p = assert(io.popen("lua5.4 tools/gen-completions.lua " .. shell))
        local made = p:read("a")
        p:close()
        assert.equal(made, read(path), path .. " is stale: run lua5.4 tools/gen-completions.lua " .. shell)
      end
    end)

    it("bash: the commands and options are exactly those the commands accept", function()
      local text = read("completions/calcinosis.bash")
      local first = assert(text:match("compgen %-W '([^']*)' %-%- \"%$cur\"%)%)\n    return"))
      local names = {}
      for w in first:gmatch("%S+") do if w:sub(1, 1) ~= "-" then names[#names + 1] = w end end
      table.sort(names)
      assert.same(commands(), names)
      local seen = {}
      for cmd, words in text:gmatch("\n    ([%w_-]+)%) opts='([^']*)' ;;") do
        local set = {}
        for w in words:gmatch("%S+") do set[w] = true end
        assert.same(accepted(cmd), set)
        seen[#seen + 1] = cmd
      end
      table.sort(seen)
      assert.same(commands(), seen)
      -- the value cases name options of their command that take a value
      for cmd, opt in text:gmatch("\n    ([%w_-]+):(%-[%w-]+)[|)]") do
        local name = opt == "-o" and "output" or opt:sub(3)
        local kind = cli.options[cmd][name]
        assert.is_true(kind == "value" or kind == "list", cmd .. " " .. opt)
      end
    end)

    it("zsh: the commands and options are exactly those the commands accept", function()
      local text = read("completions/_calcinosis")
      local names = {}
      for name in (text:match("commands=%((.-)\n  %)") or ""):gmatch("\n    '([%w_-]+):") do names[#names + 1] = name end
      table.sort(names)
      assert.same(commands(), names)
      local seen = {}
      for cmd, body in text:gmatch("\n    ([%w_-]+)%)\n      _arguments(.-)\n      ;;") do
        local set = { ["-h"] = true, ["--help"] = true }
        for spec in body:gmatch("\n        '([^']*)'") do
          local rep, opt = spec:match("^(%*?)(%-%-?[%w-]+)=?%[")
          if opt then
            set[opt] = true
            local name = opt == "-o" and "output" or opt == "-q" and "quiet" or opt:sub(3)
            local kind = cli.options[cmd][name]
            assert.is_not_nil(kind, cmd .. " " .. opt)
            assert.equal(kind == "list", rep == "*", cmd .. " " .. opt .. " repeatable")
            assert.equal(kind == "flag", not spec:find("%]:"), cmd .. " " .. opt .. " takes a value")
          end
        end
        assert.same(accepted(cmd), set)
        seen[#seen + 1] = cmd
      end
      table.sort(seen)
      assert.same(commands(), seen)
    end)

    it("bash: completes commands, options and their values", function()
      local function complete(words)
        local sh = ("source completions/calcinosis.bash; COMP_WORDS=(%s); COMP_CWORD=%d; _calcinosis; echo \"${COMPREPLY[*]}\"")
          :format(table.concat(words, " "), #words - 1)
        local p = assert(io.popen("bash -c '" .. sh:gsub("'", "'\\''") .. "'"))
        local s = p:read("a")
        p:close()
        return s:gsub("\n$", "")
      end
      assert.equal("classify compare convert", complete { "calcinosis", "c" })
      assert.equal("--no-header --no-warnings", complete { "calcinosis", "classify", "--no" })
      assert.equal("csv ndjson", complete { "calcinosis", "classify", "--format", "''" })
      assert.equal("text csv json", complete { "calcinosis", "validate", "--format", "''" })
    end)
  end)
end)
