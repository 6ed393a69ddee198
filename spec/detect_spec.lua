-- Content detection (calcinosis.detect) and the cohort commands' inputs:
-- the refusals (exit 2, what the file looks like), --input-format, --na,
-- --decimal-comma, --map, --units, and the UCI CKD file on the command line.
local S = require "support"
local detect = require "calcinosis.detect"

local tmp, clean = S.temp_files()
teardown(clean)

local run = S.run

local function lines(s)
  local t = {}
  for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

local HL7 = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240301120000||ORU^R01|MSG1|P|2.5\r" ..
  "PID|1||12345^^^HOSP^MR||DOE^JANE||19570101|F\r" ..
  "OBX|1|NM|2160-0^Creatinine^LN||265|umol/L|45-84|H|||F\r"
local BUNDLE = '{\n  "resourceType": "Bundle",\n  "type": "collection",\n  "entry": [\n    {"resource": ' ..
  '{"resourceType": "Patient", "id": "p1", "gender": "female"}}\n  ]\n}\n'
local ARFF = "% a comment\n@relation ckd\n\n@attribute 'age' numeric\n@attribute 'sc' numeric\n" ..
  "@attribute 'al' {0,1,2,3,4,5}\n@data\n48,1.2,1\n7,?,4\n62,1.8,2,\n"

describe("calcinosis.detect.sniff", function()
  it("tells the formats apart by content, whatever the extension", function()
    local cases = {
      { "id,age,calcium\nP1,60,10\n", "csv" },
      { "id,analyte,value,unit\nP1,calcium,10,mg/dL\n", "long" },
      { '{"id":"P1","labs":{}}\n{"id":"P2"}\n', "ndjson" },
      { '{\n  "id": "P1",\n  "labs": {}\n}\n', "json" },
      { BUNDLE, "fhir" },
      { HL7, "hl7" },
      { "\239\187\191" .. HL7, "hl7" },
      { ARFF, "arff" },
      { "@RELATION x\n@ATTRIBUTE a NUMERIC\n@DATA\n1\n", "arff" },
    }
    for _, c in ipairs(cases) do
      assert.equal(c[2], detect.sniff(c[1], { path = "x.csv" }).format, c[1])
    end
    assert.equal("ndjson", detect.sniff('{"id":"P1"}\n', { path = "x.ndjson" }).format)
    assert.matches("Bundle", detect.sniff(BUNDLE).what)
  end)
  it("finds the delimiter of a CSV header, and the one a wrong --delimiter misses", function()
    assert.equal(";", detect.sniff("id;age;calcium\n").delimiter)
    assert.equal("\t", detect.sniff("id\tage\tcalcium\n").delimiter)
    assert.equal("|", detect.sniff("id|age|calcium\n").delimiter)
    assert.equal(",", detect.sniff("id,age,calcium\n").delimiter)
    local i = detect.sniff("id,age,calcium\n", { delimiter = "|" })
    assert.equal(",", i.delimiter_guess)
    assert.is_nil(detect.sniff("id|age|calcium\n", { delimiter = "|" }).delimiter_guess)
  end)
end)

describe("cohort commands refuse what is not a cohort (exit 2, what it looks like)", function()
  local files = {}
  setup(function()
    files.hl7 = tmp(HL7, ".csv")
    files.fhir = tmp(BUNDLE, ".json")
    files.arff = tmp(ARFF, ".arff")
    files.comma = tmp("id,age,sex,calcium [mg/dL]\nP1,60,F,11.2\n", ".csv")
    files.dataset = tmp("age,bp,sc,bu\n48,80,1.2,36\n7,50,0.8,18\n", ".csv")
    files.text = tmp("Calcium 11.2 mg/dL\nPhosphate 6.1 mg/dL\n", ".csv")
  end)
  -- (a build with the hl7 or fhir reader reads these: their branches test that)
  local function available(format)
    local ok, read = pcall(require, "calcinosis.read")
    return ok and read.available(format)
  end
  it("HL7 v2 is not read as CSV: it is read as HL7 v2 (named .csv)", function()
    assert.is_truthy(available("hl7"))
    local out, rc = run("classify --columns id,creatinine " .. files.hl7)
    assert.equal(0, rc)
    assert.equal("id,creatinine\n12345,2.99763\n", out) -- 265 umol/L x 113.118 g/mol = 2.99763 mg/dL
  end)
  it("without the HL7 v2 reader (asked for as not available), it is refused, not read as CSV", function()
    local ok, err = detect.input(files.hl7, { available = function() return nil, "HL7 v2 reading is not available in this build" end })
    assert.is_nil(ok)
    assert.matches("it looks like HL7 v2 messages %(MSH segment%); HL7 v2 reading is not available in this build", err)
  end)
  it("(the command, when HL7 v2 cannot be read)", function()
    if available("hl7") then return end -- (covered by the spec above through detect.input)
    local out, rc, err = run("classify " .. files.hl7)
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("it looks like HL7 v2 messages %(MSH segment%); HL7 v2 reading is not available in this build", err)
  end)
  it("a FHIR bundle is not read as one patient called 'patient': it is read as FHIR", function()
    assert.is_truthy(available("fhir"))
    local out, rc = run("classify --columns id,sex,type " .. files.fhir)
    assert.equal(0, rc)
    assert.equal("id,sex,type\np1,F,indeterminate\n", out)
  end)
  it("without the FHIR reader (asked for as not available), a bundle is refused", function()
    local ok, err = detect.input(files.fhir, { available = function() return nil, "FHIR reading is not available in this build" end })
    assert.is_nil(ok)
    assert.matches("it looks like a FHIR JSON resource %(Bundle%); FHIR reading is not available in this build", err)
  end)
  it("(the command, when FHIR cannot be read)", function()
    if available("fhir") then return end -- (covered by the spec above through detect.input)
    local out, rc, err = run("classify " .. files.fhir)
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("it looks like a FHIR JSON resource %(Bundle%); FHIR reading is not available in this build", err)
  end)
  it("a FHIR bundle is read as the records it holds by labs --file, not as one JSON patient record", function()
    if not available("fhir") then return end
    -- the bundle holds one patient, p1 (female, no labs): labs --file reads it through calcinosis.read
    local out, rc, err = run("labs --json --file " .. files.fhir)
    assert.equal(0, rc, err)
    assert.equal("F", require("calcinosis.json").decode(out).sex)
    -- two patients: one must be chosen
    local two = tmp(BUNDLE:gsub('"gender": "female"}}', '"gender": "female"}},\n    {"resource": ' ..
      '{"resourceType": "Patient", "id": "p2", "gender": "male"}}'), ".json")
    out, rc, err = run("labs --file " .. two)
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("2 patient records; choose one with --id ID (ids: p1, p2)", err, 1, true)
    out, rc = run("labs --json --id p2 --file " .. two)
    assert.equal(0, rc)
    assert.equal("M", require("calcinosis.json").decode(out).sex)
  end)
  it("a FHIR bundle is not a patient record for classify with several records", function()
    local out, rc, err = run("classify " .. files.fhir .. " examples/patients/milk_alkali.json")
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("it looks like a FHIR JSON resource (Bundle), not a patient record", err, 1, true)
  end)
  it("--delimiter '|' on a comma file names the delimiter the file uses", function()
    local out, rc, err = run("classify --delimiter '|' " .. files.comma)
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("with the delimiter '|' the header has one column; the file seems to use ',' (give --delimiter ',')",
      err, 1, true)
  end)
  it("a data set's own column names: no column the tool recognises, the closest names, and --map", function()
    local out, rc, err = run("classify " .. files.dataset)
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("no column the tool recognises as a lab value, findings or sites (read: age)", err, 1, true)
    assert.matches("'sc' (did you mean 'scr'?)", err, 1, true)
    assert.matches("--map NAME=ANALYTE", err, 1, true)
  end)
  it("text is not a cohort CSV", function()
    local _, rc, err = run("classify " .. files.text)
    assert.equal(2, rc)
    assert.matches("header has one column", err)
  end)
  it("pasted lab text is refused with a hint to --input-format text, which reads it; other text gets no hint", function()
    local _, rc, err = run("classify " .. files.text)
    assert.equal(2, rc)
    assert.matches("looks like a pasted lab report: give %-%-input%-format text", err)
    local out, rc2 = run("classify --input-format text --columns type,calcium,phosphate " .. files.text)
    assert.equal(0, rc2)
    assert.equal("type,calcium,phosphate\nmetastatic,11.2,6.1\n", out)
    local prose = tmp("Dear colleague,\nplease see the patient.\n", ".csv")
    local _, rc3, err3 = run("classify " .. prose)
    assert.equal(2, rc3)
    assert.not_matches("lab report", err3)
  end)
  it("every command that reads a cohort detects its input", function()
    for _, cmd in ipairs {
      "compare --rules default --rules default ", "sweep --param ca_x_p_limit=50:60:10 ", "validate --truth type ",
    } do
      local _, rc, err = run(cmd .. files.dataset)
      assert.equal(2, rc, cmd)
      assert.matches("'sc' (did you mean 'scr'?)", err, 1, true)
      _, rc, err = run(cmd .. "--delimiter '|' " .. files.comma)
      assert.equal(2, rc, cmd)
      assert.matches("seems to use ','", err, 1, true)
    end
  end)
end)

describe("--input-format overrides detection", function()
  it("content first: a CSV named .ndjson is read as CSV; --input-format ndjson reads it as NDJSON", function()
    local path = tmp("id,age,sex,calcium [mg/dL]\nP1,60,F,11.2\n", ".ndjson")
    local out, rc = run("classify --columns id,type,problems " .. path)
    assert.equal(0, rc)
    assert.equal("P1,metastatic,", lines(out)[2])
    out, rc = run("classify --input-format ndjson --columns id,type,problems " .. path)
    assert.equal(1, rc)
    local rows = lines(out)
    assert.equal(3, #rows) -- two lines, two records, each not a JSON object
    assert.matches("not a JSON object", rows[2])
  end)
  it("an ARFF file forced to csv is refused; auto and arff read it", function()
    local path = tmp(ARFF, ".txt")
    local _, rc, err = run("classify --input-format csv --map sc=creatinine " .. path)
    assert.equal(2, rc)
    assert.matches("looks like an ARFF file", err, 1, true)
    for _, f in ipairs { "", "--input-format arff ", "--input-format auto " } do
      local out, rc2 = run("classify " .. f .. "--map sc=creatinine --columns line,creatinine,problems " .. path)
      assert.equal(1, rc2) -- the trailing comma of the last row
      local rows = lines(out)
      assert.equal(4, #rows)
      assert.equal("8,1.2,", rows[2])   -- the file's line numbers
      assert.equal("9,,", rows[3])      -- '?' is missing, not a problem
      assert.equal('10,1.8,"line 10: 4 fields, expected 3"', rows[4])
    end
  end)
  it("an unknown --input-format is a usage error with 'did you mean'", function()
    local _, rc, err = run("classify --input-format hl8 examples/cohort.csv")
    assert.equal(2, rc)
    assert.matches("did you mean 'hl7'", err, 1, true)
  end)
end)

describe("--na, --decimal-comma, --map, --units", function()
  it("the default codes are missing; --na changes the set", function()
    local path = tmp("id,age,sex,calcium,phosphate,findings\nP1,NA,#N/A,NULL,.,-\nP2,-99,F,-99,4.0,N/A\n", ".csv")
    local out, rc = run("classify --columns id,age,calcium,problems " .. path)
    assert.equal(1, rc) -- P2's -99 are negative
    local rows = lines(out)
    assert.equal("P1,,,", rows[2])
    out, rc = run("classify --na '-99,NA,#N/A,NULL,.,-,N/A' --columns id,age,calcium,problems " .. path)
    assert.equal(0, rc)
    assert.equal("P2,,,", lines(out)[3])
  end)
  it("--decimal-comma: the same output as the dot file (';' the delimiter that goes with it)", function()
    local dot = "id;age;sex;calcium [mmol/L];albumin [g/L];phosphate;findings\n" ..
      "P1;60.5;F;2.95;31.5;2.1 mmol/L;ckd\nP2;44;M;2.3;40;3.4;\n"
    local comma = dot:gsub("(%d)%.(%d)", "%1,%2")
    local cols = "--columns id,type,score,age,calcium:%.3f,ca_corr:%.3f,phosphate:%.3f,problems "
    local a, rca = run("classify --delimiter ';' " .. cols .. tmp(dot, ".csv"))
    local b, rcb = run("classify --decimal-comma " .. cols .. tmp(comma, ".csv"))
    assert.equal(0, rca)
    assert.equal(0, rcb)
    assert.equal(a, b)
    -- by hand: 2.95 mmol/L x 4.0078 = 11.823 mg/dL; + 0.8 x (4.0 - 3.15) = 12.503;
    -- phosphate 2.1 mmol/L x 3.0973761 = 6.504 mg/dL
    assert.matches("^P1,[a-z]+,[%d.]+,60.5,11.823,12.503,6.504,$", lines(b)[2])
  end)
  it("--map from a file, and a mapping to a name the tool does not know", function()
    local map = tmp("# UCI CKD\nsc=creatinine\nbu,urea_nitrogen\n", ".map")
    local data = tmp("age,sc,bu\n48,1.2,36\n", ".csv")
    local _, rc, err = run("classify --map " .. map .. " " .. data)
    assert.equal(2, rc)
    assert.matches("--map: bu=urea_nitrogen: 'urea_nitrogen' is not a column the reader knows", err, 1, true)
    local out
    out, rc = run("classify --map sc=creatinine --columns creatinine " .. data)
    assert.equal(0, rc)
    assert.equal("1.2", lines(out)[2])
  end)
  it("--units si and conventional: the unit in the header, the values converted (checked by hand)", function()
    local path = tmp("id,age,sex,calcium,creatinine,albumin,phosphate,pth\nP1,60,F,11.2,1.0,3.1,4.65,65\n", ".csv")
    local cols = "--columns id,calcium:%.4f,creatinine:%.1f,albumin:%.1f,phosphate:%.3f,pth:%.2f "
    local out, rc = run("classify --units si " .. cols .. path)
    assert.equal(0, rc)
    local rows = lines(out)
    assert.equal("id,calcium [mmol/L],creatinine [umol/L],albumin [g/L],phosphate [mmol/L],pth [pmol/L]", rows[1])
    -- 11.2 mg/dL x 10 / 40.078 = 2.79455; 1.0 mg/dL x 10000 / 113.118 = 88.40 umol/L; 3.1 g/dL = 31 g/L;
    -- 4.65 mg/dL x 10 / 30.973761 = 1.50127; 65 pg/mL x 0.106 = 6.89 pmol/L
    assert.equal("P1,2.7946,88.4,31.0,1.501,6.89", rows[2])
    out = run("classify --units conventional " .. cols .. path)
    rows = lines(out)
    assert.equal("id,calcium [mg/dL],creatinine [mg/dL],albumin [g/dL],phosphate [mg/dL],pth [pg/mL]", rows[1])
    assert.equal("P1,11.2000,1.0,3.1,4.650,65.00", rows[2])
    local _, rc2, err = run("classify --units metric " .. path)
    assert.equal(2, rc2)
    assert.matches("--units must be conventional or si", err, 1, true)
  end)
end)

describe("the UCI CKD file on the command line", function()
  local REL = "data/csv/uci_chronic_kidney_disease_full.arff"
  it("without a mapping: refused, naming sc; with --map sc=creatinine: 400 rows, the malformed ones with their line", function()
    local path = S.shared_file(REL)
    if not path then return pending(S.skip_reason(REL)) end
    local out, rc, err = run("classify " .. path)
    assert.equal(2, rc)
    assert.equal("", out)
    assert.matches("'al' (did you mean 'alb'?)", err, 1, true) -- a suggestion, never a guess: not read as albumin
    out, rc = run("classify --map sc=creatinine --columns line,age,creatinine,problems " .. path)
    assert.equal(1, rc)
    local rows = lines(out)
    assert.equal(401, #rows)
    assert.equal("line,age,creatinine,problems", rows[1])
    local bad = {}
    for i = 2, #rows do
      assert.not_matches("'%?'", rows[i])
      local line, problems = rows[i]:match("^(%d+),[^,]*,[^,]*,(.*)$")
      if problems:find("fields, expected 25", 1, true) then bad[#bad + 1] = tonumber(line) end
    end
    assert.same({ 215, 218, 515 }, bad)
    -- the first data row of the file: 48,80,1.020,1,0,?,normal,...,121,36,1.2,...
    assert.equal("146,48,1.2,", rows[2])
  end)
end)
