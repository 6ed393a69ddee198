-- The C program verifier and interpreter: hand-assembled bad programs are
-- rejected with a message, random bytes and single-field mutations of valid
-- programs never crash the process (run this file under `make asan` too),
-- and the VM agrees with the Lua reference evaluator on random conditions.
local core = require "calcinosis.core"
local rules = require "calcinosis.rules"
local compiler = require "calcinosis.rules.compiler"
local oracle = require "rule_oracle"

local OP = compiler.OP
local pack = string.pack
local NaN = 0 / 0

-- assembler for the format of src/vm.h
local function asm(p)
  local consts, sets, code, lets, rls = p.consts or {}, p.sets or {}, p.code or {}, p.lets or {}, p.rules or {}
  local tw = p.term_words or 1
  local meta = p.meta or ""
  local parts = { pack("<c4I2I2I2I2I2I2I2I2I2I2I4dI4", p.magic or "CALV", p.version or 1, p.flags or 0,
    p.nvars or 2, #lets, #consts, #sets, tw, #rls, p.nsubtypes or 2, p.tie or 0, #code,
    p.at_most or 0, #meta) }
  for _, v in ipairs(consts) do parts[#parts + 1] = pack("<d", v) end
  for _, s in ipairs(sets) do for w = 1, tw do parts[#parts + 1] = pack("<i8", s[w] or 0) end end
  for _, ins in ipairs(code) do
    parts[#parts + 1] = pack("<I4", type(ins) == "table" and (OP[ins[1]] | ((ins[2] or 0) << 8)) or ins)
  end
  for _, l in ipairs(lets) do parts[#parts + 1] = pack("<I4I4", l[1], l[2]) end
  for _, r in ipairs(rls) do parts[#parts + 1] = pack("<I4I4I2d", r[1], r[2], r[3] or 0, r[4] or 1) end
  parts[#parts + 1] = meta
  return table.concat(parts)
end

-- a valid little program: let0 = var0 * 2; rule0: let0 > c1 and any of set0
local function good()
  return {
    consts = { 2, 10, 0 },
    sets = { { 5 } },
    code = {
      { "VAR", 0 }, { "CONST", 0 }, { "MUL" }, { "RET" },                      -- let 0: 0..3
      { "LET", 0 }, { "CONST", 1 }, { "GT" }, { "ANDJ", 13 },                   -- rule 0: 4..13
      { "COUNT", 0 }, { "CONST", 2 }, { "GT" }, { "AND" }, { "NOT" }, { "RET" },
    },
    lets = { { 0, 4 } },
    rules = { { 4, 10, 1, 2.5 } },
  }
end

local function load_err(p)
  local prog, err = core.vm_load(type(p) == "string" and p or asm(p))
  assert.is_nil(prog)
  assert.is_string(err)
  return err
end

local function modify(f)
  local p = good()
  f(p)
  return p
end

describe("rule VM", function()
  it("loads and runs a valid program", function()
    local prog = assert(core.vm_load(asm(good())))
    local state, lets, scores = {}, {}, {}
    -- set0 = 0b101 = terms 0 and 2; rule: not (let0 > 10 and any term of set0)
    local t = prog:run({ 6 }, { 0 }, state, lets, scores)
    assert.equal(12, lets[1])
    assert.equal(0, state[1]) -- not (true and true)
    assert.equal(0, t)        -- indeterminate
    local best
    t, best = prog:run({ 6 }, { 1 }, state, lets, scores)
    assert.equal(1, state[1]) -- not (true and false)
    assert.equal(2, t)
    assert.equal(2.5, best)
    assert.same({ 0, 2.5 }, scores)
    prog:run({ 1 }, { 0 }, state, lets, scores)
    assert.equal(0, state[1]) -- 2 > 10 is false: ANDJ jumps over the rest, RET returns false
    t = prog:run({}, { 2 }, state, lets, scores)
    assert.equal(2, state[1]) -- not (unknown and true) = unknown
    assert.equal(0, t)
    t = prog:run({}, {}, state, lets, scores)
    assert.equal(1, state[1]) -- not (unknown and false) = true
    assert.equal(2, t)
  end)

  it("hashes the program bytes (FNV-1a 64)", function()
    local a = assert(core.vm_load(asm(good())))
    local b = assert(core.vm_load(asm(good())))
    assert.equal(a:hash(), b:hash())
    local c = assert(core.vm_load(asm(modify(function(p) p.meta = "x" end))))
    assert.not_equal(a:hash(), c:hash())
    -- FNV-1a 64 of the bytes, computed here independently
    local h = 0xcbf29ce484222325
    for i = 1, #asm(good()) do
      h = ((h ~ asm(good()):byte(i)) * 0x100000001b3) & 0xffffffffffffffff
    end
    assert.equal(("%016x"):format(h), a:hash())
  end)

  describe("rejects", function()
    local cases = {
      { "bad magic", function(p) p.magic = "XXXX" end, "bad program magic" },
      { "another version", function(p) p.version = 2 end, "unsupported program version 2" },
      { "unknown flags", function(p) p.flags = 1 end, "unknown program flags" },
      { "too many subtypes", function(p) p.nsubtypes = 17 end, "exceeds a limit" },
      { "no subtypes", function(p) p.nsubtypes = 0 end, "out of limits" },
      { "too many term words", function(p) p.term_words = 17 end, "exceeds a limit" },
      { "an unknown tie policy", function(p) p.tie = 2 end, "unknown tie policy" },
      { "a NaN threshold", function(p) p.at_most = NaN end, "threshold is NaN" },
      { "a bad opcode", function(p) p.code[3] = 200 end, "bad opcode 200" },
      { "a constant index out of range", function(p) p.code[2] = { "CONST", 3 } end, "constant 3 out of range" },
      { "a slot out of range", function(p) p.code[1] = { "VAR", 2 } end, "slot 2 out of range" },
      { "a let reading itself", function(p) p.code[1] = { "LET", 0 } end, "let 0 not available" },
      { "a rule reading a let that does not exist", function(p) p.code[5] = { "LET", 1 } end,
        "let 1 not available" },
      { "a set out of range", function(p) p.code[9] = { "COUNT", 1 } end, "set 1 out of range" },
      { "a backward jump", function(p) p.code[8] = { "ANDJ", 5 } end, "not forward" },
      { "a jump to itself", function(p) p.code[8] = { "ANDJ", 7 } end, "not forward" },
      { "a jump out of its block", function(p) p.code[8] = { "ANDJ", 14 } end, "not forward inside the block" },
      { "a jump landing at another depth", function(p) p.code[8] = { "ANDJ", 10 } end, "from a jump" },
      { "a stack underflow", function(p) p.code[2] = { "NEG" }; p.code[3] = { "ADD" } end, "stack underflow" },
      { "a block leaving two values", function(p) p.code[3] = { "CONST", 0 } end, "leaves 3 values" },
      { "a block without RET", function(p) p.code[4] = { "NEG" } end, "does not end with RET" },
      { "a RET inside a block", function(p) p.code[6] = { "RET" } end, "RET before the end" },
      { "an operand on an operator", function(p) p.code[3] = { "MUL", 1 } end, "takes no operand" },
      { "a block outside the code", function(p) p.rules[1] = { 4, 11, 1, 1 } end, "outside the code" },
      { "an empty block", function(p) p.lets[1] = { 0, 0 } end, "outside the code" },
      { "a subtype out of range", function(p) p.rules[1] = { 4, 10, 2, 1 } end, "subtype 2 out of range" },
      { "a NaN weight", function(p) p.rules[1] = { 4, 10, 1, NaN } end, "not a finite number" },
      { "an infinite weight", function(p) p.rules[1] = { 4, 10, 1, math.huge } end, "not a finite number" },
      -- code outside every block is verified too (it wrote past a heap buffer: SIGSEGV, or
      -- heap-buffer-overflow under ASan)
      { "a jump outside the code, in no block", function(p) p.code[15] = { "ANDJ", 100000 } end,
        "jump target 100000 outside the code" },
      { "a bad opcode in no block", function(p) p.code[15] = 99 end, "bad opcode 99" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        assert.matches(c[3], load_err(modify(c[2])), 1, true)
      end)
    end
    it("a stack overflow", function()
      local code = {}
      for i = 1, 65 do code[i] = { "CONST", 0 } end
      for i = 66, 129 do code[i] = { "ADD" } end
      code[130] = { "RET" }
      assert.matches("stack overflow", load_err { consts = { 1 }, code = code, rules = { { 0, 130 } } }, 1, true)
      -- 64 deep is fine
      code = {}
      for j = 1, 64 do code[j] = { "CONST", 0 } end
      for i = 65, 127 do code[i] = { "ADD" } end
      code[128] = { "RET" }
      local prog = assert(core.vm_load(asm { consts = { 1 }, code = code, rules = { { 0, 128 } } }))
      local t, best = prog:run({}, {}, {}, {}, {})
      assert.equal(1, t)
      assert.equal(1, best)
    end)
    it("a size that does not match the header", function()
      local bytes = asm(good())
      assert.matches("does not match its header", load_err(bytes .. "x"), 1, true)
      assert.matches("does not match its header", load_err(bytes:sub(1, -2)), 1, true)
      assert.matches("too short", load_err(bytes:sub(1, 39)), 1, true)
      assert.matches("too short", load_err(""), 1, true)
    end)
  end)

  -- runs a loaded program on a few inputs; it must not crash
  local function exercise(prog)
    local info = prog:info()
    local vars = {}
    for i = 1, info.vars do vars[i] = i % 3 == 0 and NaN or i end
    for _, terms in ipairs { {}, { 0, 1, 2, 3 }, { 63, 64, 1000 } } do
      prog:run(vars, terms, {}, {}, {})
    end
  end

  it("never crashes on random bytes", function()
    math.randomseed(42)
    local loaded = 0
    for _ = 1, 3000 do
      local n = math.random(0, 200)
      local b = {}
      for i = 1, n do b[i] = string.char(math.random(0, 255)) end
      local bytes = table.concat(b)
      if math.random() < 0.5 and n >= 4 then bytes = "CALV" .. bytes:sub(5) end
      local prog = core.vm_load(bytes)
      if prog then loaded = loaded + 1; exercise(prog) end
    end
    assert.is_true(loaded < 3000)
  end)

  it("never crashes on random bodies behind a valid header", function()
    math.randomseed(7)
    local bytes = asm(good())
    local rejected = 0
    for _ = 1, 3000 do
      local b = { bytes:sub(1, 40) }
      for _ = 41, #bytes do b[#b + 1] = string.char(math.random(0, 255)) end
      local prog = core.vm_load(table.concat(b))
      if prog then exercise(prog) else rejected = rejected + 1 end
    end
    assert.is_true(rejected > 0)
  end)

  -- single-field mutations of a real compiled ruleset: every field of the
  -- header, every constant, instruction, block and rule entry
  it("never crashes on single-field mutations of a compiled ruleset", function()
    local rs = assert(rules.load("bench/bench-v1.lua"))
    local bytes = rs.compiled.bytes
    local info = rs.program:info()
    local fields = {}
    local function add(off, size) fields[#fields + 1] = { off, size } end
    for off = 4, 38, 2 do add(off, 2) end -- u16 fields (and halves of u32/f64)
    add(24, 4); add(28, 8); add(36, 4)
    local off = 40
    for _ = 1, info.consts do add(off, 8); off = off + 8 end
    for _ = 1, info.sets * info.term_words do add(off, 8); off = off + 8 end
    for _ = 1, info.code do add(off, 4); add(off, 1); add(off + 1, 3); off = off + 4 end
    for _ = 1, info.lets do add(off, 4); add(off + 4, 4); off = off + 8 end
    for _ = 1, info.rules do add(off, 4); add(off + 4, 4); add(off + 8, 2); add(off + 10, 8); off = off + 18 end
    local values = { 0, 1, 2, 0x7f, 0xff, 0xffff, 0xffffffff, 0x7fffffff, 0x80 }
    local loaded, rejected = 0, 0
    math.randomseed(3)
    for _, f in ipairs(fields) do
      local o, size = f[1], f[2]
      local list = {}
      for _, v in ipairs(values) do list[#list + 1] = v end
      for _ = 1, 3 do list[#list + 1] = math.random(0, 0x7fffffff) end
      for _, v in ipairs(list) do
        local field = pack("<I8", v):sub(1, size)
        local mutated = bytes:sub(1, o) .. field .. bytes:sub(o + size + 1)
        assert(#mutated == #bytes)
        local prog = core.vm_load(mutated)
        if prog then
          loaded = loaded + 1
          exercise(prog)
        else
          rejected = rejected + 1
        end
      end
    end
    assert.is_true(rejected > 1000, "rejected " .. rejected)
    assert.is_true(loaded > 100, "loaded " .. loaded)
  end)

  -- random conditions: the VM and the Lua reference evaluator agree
  describe("agrees with the reference evaluator", function()
    math.randomseed(99)
    local R = math.random
    local nums = { "calcium", "phosphate", "magnesium", "creatinine" } -- all mg/dL
    local gen_num, gen_bool
    gen_num = function(d)
      local k = d > 3 and R(1, 2) or R(1, 9)
      if k == 1 then return nums[R(#nums)] end
      if k == 8 then return ("(%s ^ %s)"):format(({ "0.5", "1", "2", "1.5" })[R(4)], gen_num(d + 1)) end
      if k == 9 then return ("(%s ^ %s)"):format(gen_num(d + 1), gen_num(d + 1)) end
      if k == 2 then return tostring(R(-5, 15)) end
      if k == 3 then return ("(%s %s %s)"):format(gen_num(d + 1), ({ "+", "-", "*", "/" })[R(4)], gen_num(d + 1)) end
      if k == 4 then return ("(if %s then %s else %s)"):format(gen_bool(d + 1), gen_num(d + 1), gen_num(d + 1)) end
      if k == 5 then return ("%s(%s, %s)"):format(({ "min", "max" })[R(2)], gen_num(d + 1), gen_num(d + 1)) end
      if k == 6 then return ("abs(%s)"):format(gen_num(d + 1)) end
      return ("-%s"):format(gen_num(d + 1))
    end
    gen_bool = function(d)
      local k = d > 3 and R(1, 3) or R(1, 10)
      if k == 1 then return ("%s %s %s"):format(gen_num(d + 1), ({ "<", "<=", ">", ">=", "==", "!=" })[R(6)], gen_num(d + 1)) end
      if k == 2 then return ({ "true", "false", "unknown" })[R(3)] end
      if k == 3 then return ("%s finding in S"):format(({ "any", "no" })[R(2)]) end
      if k == 4 then return ("(%s and %s)"):format(gen_bool(d + 1), gen_bool(d + 1)) end
      if k == 5 then return ("(%s or %s)"):format(gen_bool(d + 1), gen_bool(d + 1)) end
      if k == 6 then return ("not %s"):format(gen_bool(d + 1)) end
      if k == 7 then return ("%s between %s and %s"):format(gen_num(d + 1), gen_num(d + 1), gen_num(d + 1)) end
      if k == 8 then return ("(if %s then %s else %s)"):format(gen_bool(d + 1), gen_bool(d + 1), gen_bool(d + 1)) end
      if k == 9 then return ("%s(%s)"):format(({ "present", "missing" })[R(2)], gen_num(d + 1)) end
      return ("at least %d findings in S"):format(R(0, 3))
    end
    it("on 300 random rulesets x 20 random inputs (one by one and in batches), with the same explanations", function()
      local mismatches, skipped, explained = {}, 0, 0
      for _ = 1, 300 do
        local conds = {}
        for i = 1, 5 do conds[i] = gen_bool(0) end
        -- 1 to 4 subtypes, either tie policy, a floor of 0 to 3: the winner too
        local subtypes = ({ { "a" }, { "a", "b" }, { "a", "b", "c" }, { "a", "b", "c", "d" } })[R(4)]
        local decision = ('decision = { tie = "%s", indeterminate_at_most = %d }')
          :format(R(2) == 1 and "order" or "indeterminate", R(0, 3))
        local decls = { 'set("S", { "a", "b", "c" })', ('let("x", %q)'):format(gen_num(1)), decision }
        for i, c in ipairs(conds) do
          decls[#decls + 1] = ('rule { id = "r%d", when = %q, supports = "%s", weight = %d, because = "b", source = "S1" }')
            :format(i, c .. " or x > 3", subtypes[R(#subtypes)], R(1, 3))
        end
        local src = ('return ruleset { name = "f", version = "1", subtypes = { "%s" }, %s }')
          :format(table.concat(subtypes, '", "'), table.concat(decls, ",\n"))
        local rs, err = rules.compile(src)
        -- products of mg/dL values are mg2/dL2, which cannot be added to mg/dL
        if not rs then
          assert.matches("different units", err, 1, true)
          skipped = skipped + 1
        end
        local batch_rows = {}
        for _ = 1, rs and 20 or 0 do
          local p = { findings = {} }
          for _, n in ipairs(nums) do
            if R() < 0.7 then p[n] = ({ 0, 1, 2.5, -3, 10, R() * 20 })[R(6)] end
          end
          for _, t in ipairs { "a", "b", "c", "d" } do
            if R() < 0.4 then p.findings[#p.findings + 1] = t end
          end
          local res = rs:evaluate(p)
          -- the batch interpreter (cohort runs) on the same inputs
          local vars = {}
          for i = 1, #rs.compiled.slots do vars[i] = rs._vars[i] end
          local terms = {}
          for i, t in ipairs(rs._terms) do terms[i] = t end
          batch_rows[#batch_rows + 1] = { vars = vars, terms = terms, state = {}, lets = { rs._lets[1] },
            type = res.type, score = res.score }
          for i = 1, #rs.compiled.rules do batch_rows[#batch_rows].state[i] = rs._state[i] end
          local want, wlets = oracle.run(rs)
          for i = 1, #want do
            if rs._state[i] ~= want[i] and #mismatches < 5 then
              mismatches[#mismatches + 1] = ("%s: VM %d, reference %d"):format(rs.compiled.rules[i].when,
                rs._state[i], want[i])
            end
          end
          local a, b = rs._lets[1], wlets[1]
          if not (a == b or (a ~= a and b ~= b)) and #mismatches < 5 then
            mismatches[#mismatches + 1] = ("let: VM %s, reference %s"):format(a, b)
          end
          -- why the fired rules fired: the C engine's text against the oracle's
          local reasons = rs.explainer:reasons(rs._vars, rs._lets, rs._terms, rs._state)
          for i = 1, #want do
            if rs._state[i] == 1 then
              explained = explained + 1
              local g, w = table.concat(reasons[i], " | "), table.concat(oracle.reasons(rs, i), " | ")
              if g ~= w and #mismatches < 5 then
                mismatches[#mismatches + 1] = ("why %s: C {%s}, reference {%s}"):format(rs.compiled.rules[i].when, g, w)
              end
            elseif reasons[i] ~= nil and #mismatches < 5 then
              mismatches[#mismatches + 1] = ("why of a rule that did not fire: %s"):format(rs.compiled.rules[i].when)
            end
          end
        end
        if rs then
          local vl, tl = {}, {}
          for i, row in ipairs(batch_rows) do vl[i], tl[i] = row.vars, row.terms end
          local got = require("calcinosis.core").vm_run_batch(rs.program, vl, tl)
          for i, row in ipairs(batch_rows) do
            for k, st in ipairs(row.state) do
              if got[i].state[k] ~= st and #mismatches < 5 then
                mismatches[#mismatches + 1] = ("batch: %s: %d, one by one %d"):format(rs.compiled.rules[k].when,
                  got[i].state[k], st)
              end
            end
            local a, b = got[i].lets[1], row.lets[1]
            if not (a == b or (a ~= a and b ~= b)) and #mismatches < 5 then
              mismatches[#mismatches + 1] = ("batch let: %s, one by one %s"):format(a, b)
            end
            local gtype = rs.compiled.subtypes[got[i].type] or "indeterminate"
            if (gtype ~= row.type or got[i].best ~= row.score) and #mismatches < 5 then
              mismatches[#mismatches + 1] = ("batch winner: %s %s, one by one %s %s")
                :format(gtype, got[i].best, row.type, row.score)
            end
          end
        end
      end
      assert.same({}, mismatches)
      assert.is_true(skipped < 100, "skipped " .. skipped)
      assert.is_true(explained > 1000, "explained " .. explained)
    end)
  end)

  it("loads and runs programs whose blocks share code (the fast code has room for each block)", function()
    -- three blocks over the same four instructions: the fast code made for
    -- them is three times the code (it had room for the code once: a heap
    -- overflow, which the ASan run of the suite reports, found by fuzz_explain)
    local p = good()
    p.lets = { { 0, 4 }, { 0, 4 }, { 0, 4 } }
    p.rules = { { 0, 4, 0, 1 }, { 0, 4, 1, 1 } }
    local prog = assert(core.vm_load(asm(p)))
    local state, lets = {}, {}
    prog:run({ 3, 0 }, {}, state, lets, {})
    assert.same({ 6, 6, 6 }, lets)
    assert.same({ 1, 1 }, state)
  end)

  it("disassembles", function()
    local prog = assert(core.vm_load(asm(good())))
    assert.matches("0  VAR    0", prog:disasm(), 1, true)
    assert.matches("ANDJ   13", prog:disasm(), 1, true)
  end)
end)
