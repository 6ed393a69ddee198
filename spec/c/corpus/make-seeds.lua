-- Writes the seed corpora of the libFuzzer targets (spec/c/fuzz_*.c) into
-- spec/c/corpus/<target>/, deterministically: small inputs made for each
-- target's input format (README.md there). Run from the repository root
-- after `make`: lua5.4 spec/c/corpus/make-seeds.lua
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/5.4/?.so;" .. package.cpath

local function write(dir, name, bytes)
  os.execute("mkdir -p 'spec/c/corpus/" .. dir .. "'")
  local f = assert(io.open("spec/c/corpus/" .. dir .. "/" .. name, "wb"))
  f:write(bytes)
  f:close()
end

local WIDE = table.concat({
  "id,age,sex,species,height_cm,calcium [mg/dL],albumin,albumin_unit,phosphate [mmol/L],creatinine,egfr,pth,findings,sites",
  "P1,60,F,human,165,11.2,3.1,g/dL,2.4,1.9 mg/dL,,310,ckd;dialysis,fingertips",
  "P2,8 mo,M,,70,2.6 mmol/L,35,g/L,high,40 umol/L,<15,,\"N18.6, DM\",",
  "\"P,3\",NA,female,dog,,10.2,,,,,,,hyperadrenocorticism|unknown term,\"scrotum\"",
  "P4,-3,x,cat,300,1e309,abc,mg,.,--,>90 mL/min/{1.73_m2},12 pg/mL,,",
}, "\r\n") .. "\r\n"

-- CSV reader (fuzz_csv): 4 option bytes, then the text
write("fuzz_csv", "wide", "\0\5\1\0" .. WIDE)
write("fuzz_csv", "semicolon", "\1\3\0\7" .. WIDE:gsub(",", ";"))
write("fuzz_csv", "quotes", '\0\1\1\0a,"b ""q"", c","line\nbreak"\n\xEF\xBB\xBF1,2,3\r\n"unterminated')
write("fuzz_csv", "numbers", "\2\9\1\0" .. "1.5,-0,1e308,0x10,inf,nan,.5,5.,1e-320,00012\n")

-- NDJSON reader (fuzz_ndjson): a chunk byte, then the lines
write("fuzz_ndjson", "records", "\3" .. table.concat({
  '{"id":"P1","age":60,"sex":"F","labs":{"calcium":"11.2 mg/dL","albumin":{"value":31,"unit":"g/L"},'
    .. '"phos":[2.1,"mmol/L"]},"findings":["ckd","dialysis"],"sites":["fingertips"]}',
  '{"id":"P\\u00e9\\ud83d\\ude00","age":"8 mo","height_cm":70,"labs":{"17861-6":2.45,"pth":null}}',
  '{"id":2,"labs":{"calcium":"10 mg\\u0000/dL"},"findings":"ckd; esrd"}',
  '[1,2,3]', '{"id":"deep","x":[[[[[[[[[[{}]]]]]]]]]]}', '{"id":"bad" "age":1}', '',
  '{"id":"n","age":1e400,"labs":{"calcium":-1e308}}',
}, "\n") .. "\n")
write("fuzz_ndjson", "truncated", '\1{"id":"P1","labs":{"calcium":"11')

-- long format (fuzz_longcsv): first byte even: a long header is put in front
write("fuzz_longcsv", "long", "\1id,analyte,value,unit,date\np1,calcium,11.5,mg/dL,2024-01-01\np1,calcium,9,mg/dL,2023-12-31\n"
  .. "p1,albumin,3.0,g/dL,\np2,phosphate,2.1,mmol/L,2024-02-30\n\"p,3\",egfr,<15,mL/min/{1.73_m2},9999-99-99\np1,calcium,1,,\n")
write("fuzz_longcsv", "rows", "\0p1,calcium,11.5,mg/dL,2024-01-01\np2,pth,300,pg/mL,not-a-date\n")

-- units and quantities (fuzz_units): two unit texts split by byte 0x01
for i, pair in ipairs {
  "mg/dL\1mmol/L", "10*3/uL\1/L", "<15 mL/min/{1.73_m2}\1mL/min/{1.73_m2}", "\xC2\xB5mol/L\1mg/dL",
  "[in_i]\1cm", "mEq/L\1mmol/L", "2.5e3 g/L\1kg/m3", "mg2/dL2\1mmol2/L2", ">= 7 UMOLL\1umol/L",
  "mL/min/1.73m2\1mL/s", "(mg.dL-1)\1g/(L)", "10^-3.mol/L\1mmol/L", "IU/L\1U/L", "8 mo\1a", "wk\1d",
} do write("fuzz_units", ("pair%02d"):format(i), pair) end

-- rule programs (fuzz_vm): as the rule compiler writes them
local rules = require "calcinosis.rules"
local function ruleset(body)
  return assert(rules.compile(('return ruleset { name = "s", version = "1", subtypes = { "a", "b" }, '
    .. 'set("S", { "ckd", "dialysis", "lupus" }), %s }'):format(body)))
end
local progs = {
  small = ruleset([[rule { id = "r1", when = "calcium > 10.5 mg/dL and phosphate > 4.5 mg/dL", supports = "a", weight = 2,
    because = "x", source = "S1" },
  rule { id = "r2", when = "any finding in S or missing(pth)", supports = "b", weight = 1, because = "x", source = "S1" }]]),
  lets = ruleset([[let("u", "if present(corrected_calcium) then corrected_calcium else calcium", { unit = "mg/dL", analyte = "calcium" }),
  let("q", "u * phosphate", { unit = "mg2/dL2" }),
  rule { id = "r1", when = "q > 55 mg2/dL2 or u between 8 mg/dL and 9 mg/dL", supports = "a", weight = 1.5, because = "x", source = "S1" },
  rule { id = "r2", when = "at least 2 findings in S and not (age < 18)", supports = "b", weight = 1, because = "x", source = "S1" },
  rule { id = "r3", when = "abs(calcium - 10 mg/dL) > 1 mg/dL and high(pth) and egfr ^ 2 > 100", supports = "a", weight = 1,
    because = "x", source = "S1" }]]),
  bench = assert(rules.load("bench/bench-v1.lua")),
}
for name, rs in pairs(progs) do
  write("fuzz_vm", name, rs.compiled.bytes)
  write("fuzz_vm", name .. "-result", rs.compiled.result.bytes)
end

-- explanations (fuzz_explain): u16 length, an operand program, the templates
for name, rs in pairs(progs) do
  local ex = rs.compiled.explain
  if #ex.programs == 1 and #ex.programs[1] < 65536 then
    write("fuzz_explain", name, string.pack("<I2", #ex.programs[1]) .. ex.programs[1] .. ex.bytes)
  end
end

-- record logic (fuzz_record): an option byte, then a wide CSV
write("fuzz_record", "wide", "\0" .. WIDE)
write("fuzz_record", "dog", "\37" .. "id;species;age [mo];calcium (mmol/L);phosphate_unit;phosphate;sex\n"
  .. "d1;canine;30;3.1;mg/dL;9;M\nd2;feline;x;;;;\n")
write("fuzz_record", "child", "\4" .. "patient_id,age_days,height,creatinine [umol/L],calcium,albumin [g/L],sites,diagnoses\n"
  .. "c1,400,80,35,9.9,40,\"heel, elbows\",N18.6\nc2,7000,150,0.6 mg/dL,11,38,,\n")

-- record logic with a plan's reading settings (fuzz_record_settings): an
-- option byte (1: missing-value codes, 2: decimal commas, 4: the column
-- mapping sc/bu/"x y", 8: ';' as delimiter), then a CSV header and rows
write("fuzz_record_settings", "na", "\1" .. "id,age,calcium,phosphate,sex\nr1,NA,9.5,?,F\nr2,-99,,4.1,M\n")
write("fuzz_record_settings", "comma", "\10" .. "id;age;calcium [mmol/L];albumin [g/L]\nr1;61,5;2,45;38,0\nr2;7;2,61;\n")
write("fuzz_record_settings", "mapped", "\5" .. "id,sc,bu,x y,age\nr1,1.2,40,30,NA\nr2,3.4,,6,50\n")

-- ARFF reader (fuzz_arff): an even first byte puts a small header in front,
-- the second byte the read size (1 to 16 bytes)
write("fuzz_arff", "whole", "\1\7" .. "% UCI-like\n@relation ckd\n@attribute 'age' numeric\n"
  .. "@attribute sc numeric\n@attribute htn {yes,no}\n@attribute class {ckd,notckd}\n@data\n"
  .. "48,1.2,yes,ckd\n?,3.8,no,notckd\n% a comment\n62,?,?,ckd\n")
write("fuzz_arff", "rows", "\0\2" .. "1,x\n'2',y\n?,?\n")
print("seed corpora written to spec/c/corpus/")
