-- HL7 v2 result messages into patient records (calcinosis.hl7): the public
-- sample messages beside the repository (values read by hand from each
-- file, the segment named in the comments), and hand-written messages for
-- each separator style, MLLP framing, escape, custom encoding characters,
-- malformed case, value type and the user's code table; property tests.
local hl7 = require "calcinosis.hl7"
local support = require "spec.support"
local calcinosis = require "calcinosis"

local DIR = "data/hl7v2/"

local function shared_text(name)
  local path = support.shared_file(DIR .. name)
  if not path then return nil end
  return support.slurp(path)
end

-- a message from segments, joined by `sep` (default "\r")
local function msg(segs, sep)
  return table.concat(segs, sep or "\r")
end

local MSH = "MSH|^~\\&|LAB|FAC|APP|FAC|202401011200||ORU^R01|1|P|2.5"
local PID = "PID|1||P1^^^FAC^MR||Doe^Jane||19600101|F"
local OBR = "OBR|1|O1|F1|CHEM^Chem^L|||202401010800"

local function obx(n, vt, code, value, unit, range, flag, time)
  return ("OBX|%d|%s|%s||%s|%s|%s|%s|||F|||%s"):format(n, vt, code, value, unit or "", range or "", flag or "",
    time or "")
end

local function one(text, opts)
  local recs, problems, info = hl7.records(text, opts)
  return recs, problems, info
end

describe("hl7: the public sample messages", function()
  -- machete_corpus_chem14_lipid_a1c.hl7 (LF segment ends): PID-3
  -- 000000001, PID-7 19480110, PID-8 M; OBR 1 (CHEM14) OBR-7 201007231513,
  -- its OBX have no OBX-14; OBX 3 ALB 3.7 g/dL 3.5-5.5, OBX 8 CREAT 0.9
  -- mg/dL 0.7-1.3, OBX 13 CA 9.5 mg/dL 8.5-10.5, OBX 14 PHOS 3.8 mg/dL
  -- 2.6-4.5, none flagged; 22 OBX in all, 15 of analytes the library does
  -- not know (glucose, protein, bilirubin, AST, BUN, Na, K, Cl, CO2, 5
  -- lipids, HbA1c); ALKP 72 IU/L is alkaline phosphatase.
  it("machete CHEM14: 1 message, 1 patient, local codes CA, PHOS, ALB, CREAT", function()
    local text = shared_text("machete_corpus_chem14_lipid_a1c.hl7")
    if not text then return pending(support.skip_reason(DIR .. "machete_corpus_chem14_lipid_a1c.hl7")) end
    local recs, problems, info = one(text)
    assert.equal(1, info.messages)
    assert.equal(1, #recs)
    assert.same({}, problems)
    local r = recs[1]
    assert.equal("000000001", r.id)
    assert.equal("M", r.sex)
    assert.equal("19480110", r.birth_date)
    assert.same({ calcium = "9.5 mg/dL", phosphate = "3.8 mg/dL", albumin = "3.7 g/dL", creatinine = "0.9 mg/dL",
      alp = "72 IU/L" }, r.labs)
    for name, range in pairs { calcium = "8.5-10.5", phosphate = "2.6-4.5", albumin = "3.5-5.5",
      creatinine = "0.7-1.3" } do
      assert.equal("201007231513", r[name .. "_date"], name)
      assert.equal(range, r[name .. "_range"], name)
      assert.is_nil(r[name .. "_flag"], name)
      assert.equal(1, #r[name .. "_values"], name)
    end
    assert.same({ value = 9.5, unit = "mg/dL", date = "201007231513", range = "8.5-10.5" }, r.calcium_values[1])
    assert.same({}, r.problems)
    assert.equal(15, #r.unrecognised)
    assert.matches("message 1, segment 6 (OBX), OBX-3: code 'GLU^Glucose^L'", r.unrecognised[1], 1, true)
    -- the record classifies as it is (classify ignores the reader-only keys today)
    local res = calcinosis.classify(r)
    assert.same({}, res.problems)
    assert.equal(9.5, res.labs.calcium.value)
    assert.equal(0.9, res.labs.creatinine.value)
  end)

  -- nhapi_oul_r22_albumina_malformed_nm.hl7 (CR): PID-3 first repetition
  -- 11^^^PK^PK, PID-7 19880218, PID-8 M; segment 13 is the ALBUMINA OBX
  -- (MSH, PID, PV1, SPM, OBR, ORC, TQ1, OBX glucose, SPM, OBR, ORC, TQ1,
  -- OBX) with OBX-5 4.5^^BCP Mod.^false; the other OBX (glucose, TSH, T4,
  -- HbA1c) are of analytes the library does not know.
  it("nhapi OUL^R22: the NM field with extra components is reported with message, segment and field", function()
    local text = shared_text("nhapi_oul_r22_albumina_malformed_nm.hl7")
    if not text then return pending(support.skip_reason(DIR .. "nhapi_oul_r22_albumina_malformed_nm.hl7")) end
    local recs, problems, info = one(text)
    assert.equal(1, info.messages)
    assert.equal(1, #recs)
    assert.same({}, problems)
    local r = recs[1]
    assert.equal("11", r.id)
    assert.equal("M", r.sex)
    assert.equal("19880218", r.birth_date)
    assert.same({}, r.labs) -- the albumin is not used
    assert.equal(1, #r.problems)
    assert.equal("message 1, segment 13 (OBX), OBX-5: numeric value '4.5^^BCP Mod.^false' has extra components " ..
      "(value type NM); not used (albumin)", r.problems[1])
    assert.equal(4, #r.unrecognised)
  end)

  it("nhapi then machete in one file: the malformed message does not stop the next", function()
    local a = shared_text("nhapi_oul_r22_albumina_malformed_nm.hl7")
    local b = shared_text("machete_corpus_chem14_lipid_a1c.hl7")
    if not (a and b) then return pending(support.skip_reason(DIR)) end
    local recs, problems, info = one(a .. "\r" .. b)
    assert.equal(2, info.messages)
    assert.same({}, problems)
    assert.equal(2, #recs)
    assert.equal("11", recs[1].id)
    assert.matches("^message 1, segment 13 %(OBX%), OBX%-5", recs[1].problems[1])
    assert.equal("000000001", recs[2].id)
    assert.equal("9.5 mg/dL", recs[2].labs.calcium)
    assert.matches("^message 2, segment 6 %(OBX%)", recs[2].unrecognised[1])
  end)

  -- simhospital_oru_creatinine_aki.hl7: PID-3 3864498978, PID-7
  -- 19670106000000, PID-8 F; OBX 1 tt-0003-01 Creatinine 340.00 UMOLL,
  -- 49 - 92, H, OBX-14 20200111150648
  it("simhospital AKI: creatinine 340.00 UMOLL with its range, flag and time", function()
    local text = shared_text("simhospital_oru_creatinine_aki.hl7")
    if not text then return pending(support.skip_reason(DIR .. "simhospital_oru_creatinine_aki.hl7")) end
    local recs, problems, info = one(text)
    assert.equal(1, info.messages)
    assert.equal(1, #recs)
    assert.same({}, problems)
    local r = recs[1]
    assert.equal("3864498978", r.id)
    assert.equal("F", r.sex)
    assert.equal("19670106000000", r.birth_date)
    assert.same({ creatinine = "340.00 UMOLL" }, r.labs)
    assert.equal("20200111150648", r.creatinine_date)
    assert.equal("49 - 92", r.creatinine_range)
    assert.equal("H", r.creatinine_flag)
    -- the C record logic reads UMOLL: 340 umol/L / 88.40 (10000 / 113.118, creatinine's molar mass)
    local labs = calcinosis.labs { id = r.id, labs = r.labs }
    assert.near(340 * 113.118 / 10000, labs.creatinine.value, 1e-9)
    assert.same({}, labs.problems)
  end)

  -- simhospital_oru_creatinine_single.hl7: PID-3 2590157853, PID-7
  -- 19890118000000, PID-8 F; OBX 1 Creatinine 98.00 UMOLL, 49 - 92, H,
  -- OBX-14 20200501140643
  it("simhospital single: creatinine 98.00 UMOLL", function()
    local text = shared_text("simhospital_oru_creatinine_single.hl7")
    if not text then return pending(support.skip_reason(DIR .. "simhospital_oru_creatinine_single.hl7")) end
    local recs, problems, info = one(text)
    assert.equal(1, info.messages)
    assert.equal(1, #recs)
    assert.same({}, problems)
    local r = recs[1]
    assert.equal("2590157853", r.id)
    assert.equal("F", r.sex)
    assert.equal("19890118000000", r.birth_date)
    assert.same({ creatinine = "98.00 UMOLL" }, r.labs)
    assert.equal("20200501140643", r.creatinine_date)
    assert.equal("49 - 92", r.creatinine_range)
    assert.equal("H", r.creatinine_flag)
    assert.same({}, r.unrecognised)
  end)

  -- simhospital_oru_ue_egfr_lt15.hl7: PID-3 1076943130, PID-7
  -- 19371227000000, PID-8 F; OBX 4 tt-0003-05 eGFR (MDRD) <15 MLMIN [ ],
  -- OBX 5 tt-0003-01 Creatinine 86.25 UMOLL 49 - 92 (no flag), both OBX-14
  -- 20200508130644; OBX 1-3 potassium, sodium, urea (segments 6, 7, 8)
  it("simhospital U&E: creatinine 86.25 UMOLL and the censored eGFR <15 in an NM field", function()
    local text = shared_text("simhospital_oru_ue_egfr_lt15.hl7")
    if not text then return pending(support.skip_reason(DIR .. "simhospital_oru_ue_egfr_lt15.hl7")) end
    local recs, problems, info = one(text)
    assert.equal(1, info.messages)
    assert.equal(1, #recs)
    assert.same({}, problems)
    local r = recs[1]
    assert.equal("1076943130", r.id)
    assert.equal("19371227000000", r.birth_date)
    assert.same({ creatinine = "86.25 UMOLL", egfr = "<15 MLMIN" }, r.labs)
    assert.equal("20200508130644", r.creatinine_date)
    assert.equal("49 - 92", r.creatinine_range)
    assert.is_nil(r.creatinine_flag)
    assert.equal("[ ]", r.egfr_range)
    assert.same({ value = 15, comparator = "<", unit = "MLMIN", date = "20200508130644", range = "[ ]" },
      r.egfr_values[1])
    assert.equal(3, #r.unrecognised)
    assert.matches("segment 8 (OBX), OBX-3: code 'tt-0003-04^Urea^WinPath^^'", r.unrecognised[3], 1, true)
  end)

  -- hapi_escapetest_bloodgas_ft_ionised_ca.hl7: MSH, PV1, ORC, OBR, OBX
  -- (FT); no PID
  it("hapi blood gas: no PID, so its one OBX is a file-level problem, no patient", function()
    local text = shared_text("hapi_escapetest_bloodgas_ft_ionised_ca.hl7")
    if not text then return pending(support.skip_reason(DIR .. "hapi_escapetest_bloodgas_ft_ionised_ca.hl7")) end
    local recs, problems, info = one(text)
    assert.equal(1, info.messages)
    assert.equal(0, #recs)
    assert.same({ "message 1, segment 5 (OBX): no PID segment before it; the message's 1 OBX without a patient " ..
      "are not read" }, problems)
  end)
end)

describe("hl7: framing", function()
  local segs = { MSH, PID, OBR, obx(1, "NM", "17861-6^Calcium^LN", "10.9", "mg/dL", "8.6-10.3", "H") }
  local expected = { calcium = "10.9 mg/dL" }

  for label, sep in pairs { CR = "\r", LF = "\n", CRLF = "\r\n" } do
    it("reads segments ended by " .. label .. " (and a last segment with or without an end)", function()
      for _, tail in ipairs { "", sep } do
        local recs, problems, info = one(msg(segs, sep) .. tail)
        assert.equal(1, info.messages)
        assert.same({}, problems)
        assert.same(expected, recs[1].labs)
        assert.equal("202401010800", recs[1].calcium_date) -- OBR-7: OBX-14 is empty
      end
    end)
  end

  it("reads MLLP-framed messages (0x0B ... 0x1C 0x0D), several in one file, one patient across them", function()
    local m1 = msg(segs)
    local m2 = msg { MSH, PID, "OBR|1|O2|F2|CHEM^Chem^L|||202401020800",
      obx(1, "NM", "17861-6^Calcium^LN", "11.4", "mg/dL", "8.6-10.3", "H") }
    local text = "\011" .. m1 .. "\r\028\r" .. "\011" .. m2 .. "\028\r"
    local recs, problems, info = one(text)
    assert.equal(2, info.messages)
    assert.same({}, problems)
    assert.equal(1, #recs)
    assert.equal("11.4 mg/dL", recs[1].labs.calcium)
    assert.equal("202401020800", recs[1].calcium_date)
    assert.equal(2, #recs[1].calcium_values)
  end)

  it("keeps the latest result by observation time, whatever the file order, and all of them in _values", function()
    local text = msg {
      MSH, PID, OBR,
      obx(1, "NM", "17861-6^Calcium^LN", "9.1", "mg/dL", "", "", "20240105"),
      obx(2, "NM", "17861-6^Calcium^LN", "12.0", "mg/dL", "8.6-10.3", "H", "20240110"),
      obx(3, "NM", "17861-6^Calcium^LN", "10.0", "mg/dL", "", "", "20240101"),
      obx(4, "NM", "2160-0^Creatinine^LN", "1.0", "mg/dL"), -- OBR-7 202401010800
    }
    local r = one(text)[1]
    assert.equal("12.0 mg/dL", r.labs.calcium)
    assert.equal("20240110", r.calcium_date)
    assert.equal("H", r.calcium_flag)
    assert.equal("8.6-10.3", r.calcium_range)
    assert.same({ 9.1, 12.0, 10.0 }, { r.calcium_values[1].value, r.calcium_values[2].value,
      r.calcium_values[3].value })
    assert.equal("202401010800", r.creatinine_date)
  end)

  it("reads several patients of one message (a PID per patient) and keeps them apart", function()
    local text = msg {
      MSH, PID, OBR, obx(1, "NM", "17861-6^Calcium^LN", "9.5", "mg/dL"),
      "PID|2||P2^^^FAC^MR||Roe^Rick||19700202|M", OBR, obx(1, "NM", "17861-6^Calcium^LN", "8.1", "mg/dL"),
    }
    local recs = one(text)
    assert.equal(2, #recs)
    assert.same({ "P1", "F", "9.5 mg/dL" }, { recs[1].id, recs[1].sex, recs[1].labs.calcium })
    assert.same({ "P2", "M", "19700202", "8.1 mg/dL" }, { recs[2].id, recs[2].sex, recs[2].birth_date,
      recs[2].labs.calcium })
  end)

  it("skips a UTF-8 byte-order mark at the start", function()
    local recs, problems, info = one("\239\187\191" .. msg(segs))
    assert.equal(1, info.messages)
    assert.same({}, problems)
    assert.same(expected, recs[1].labs)
  end)

  it("reports a segment before the first MSH with its line, and skips batch envelope segments", function()
    local text = "FHS|^~\\&\rBHS|^~\\&\rXYZ|junk\r" .. msg(segs) .. "\rBTS|1\rFTS|1"
    local recs, problems, info = one(text)
    assert.equal(1, info.messages)
    assert.equal(1, #recs)
    assert.same({ "line 3: segment 'XYZ|junk' is outside a message (no MSH before it); not read" }, problems)
  end)

  it("reports a segment after a batch trailer as outside a message", function()
    local recs, problems = one(msg(segs) .. "\rBTS|1\rOBX|1|NM|17861-6^Calcium^LN||8.0|mg/dL")
    assert.equal("10.9 mg/dL", recs[1].labs.calcium)
    assert.same({ "line 6: segment 'OBX|1|NM|17861-6^Calcium^LN||8.0|mg/dL' is outside a message (no MSH before " ..
      "it); not read" }, problems)
  end)

  it("says so when a text holds no message", function()
    local recs, problems, info = one("id,calcium\n1,9.5\n")
    assert.same({}, recs)
    assert.equal(0, info.messages)
    assert.equal(2, #problems) -- each line named
    local _, p2 = one("")
    assert.same({ "no HL7 v2 message (no segment beginning with MSH)" }, p2)
  end)
end)

describe("hl7: encoding characters and escapes", function()
  -- each escape in OBX-7 (kept as written, escapes decoded)
  local cases = {
    { "\\F\\", "|" }, { "\\S\\", "^" }, { "\\T\\", "&" }, { "\\R\\", "~" }, { "\\E\\", "\\" },
    { "\\X41\\", "A" }, { "\\X4142\\", "AB" }, { "\\H\\", "" }, { "\\N\\", "" }, { "\\.br\\", "\n" },
    { "\\.sp\\", "\n" }, { "\\.in+4\\", "" }, { "\\X414\\", "\\X414\\" }, { "\\Q\\", "\\Q\\" },
    { "\\", "\\" },
  }
  for _, c in ipairs(cases) do
    it(("decodes %s in a field"):format(c[1]), function()
      local r = one(msg { MSH, PID, OBR, obx(1, "NM", "17861-6^Calcium^LN", "9.5", "mg/dL", "a" .. c[1] .. "b") })[1]
      assert.equal("a" .. c[2] .. "b", r.calcium_range)
    end)
  end

  it("decodes escapes in identifiers and keeps delimiters inside them out of the split", function()
    local r = one(msg { MSH, "PID|1||AB\\F\\C\\S\\D^^^FAC||X||19600101|F", OBR,
      obx(1, "NM", "17861-6^Calcium^LN", "9.5", "mg/dL") })[1]
    assert.equal("AB|C^D", r.id)
  end)

  it("honours custom encoding characters declared in MSH (field $, component %, repetition *, escape !, " ..
    "subcomponent @)", function()
    local text = table.concat({
      "MSH$%*!@$LAB$FAC$APP$FAC$202401011200$$ORU%R01$1$P$2.5",
      "PID$1$$Q7%%%FAC*OTHER%%%X$$Doe%Jane$$19600101$F",
      "OBR$1$O1$F1$CHEM%Chem%L$$$202401010800",
      "OBX$1$NM$17861-6%Calcium%LN$$10.4$mg/dL$8.6!F!10.3$H$$$F",
      "OBX$2$NM$2160-0%Creatinine%LN$$1.1^2$mg/dL", -- ^ is a plain character here
    }, "\r")
    local recs, problems = one(text)
    assert.same({}, problems)
    local r = recs[1]
    assert.equal("Q7", r.id)
    assert.equal("10.4 mg/dL", r.labs.calcium)
    assert.equal("8.6$10.3", r.calcium_range)
    assert.equal(1, #r.problems)
    assert.matches("segment 5 (OBX), OBX-5: '1.1^2' is not a number", r.problems[1], 1, true)
  end)
end)

describe("hl7: malformed messages", function()
  local good = msg { MSH, PID, OBR, obx(1, "NM", "17861-6^Calcium^LN", "9.5", "mg/dL") }

  local bad_msh = {
    { "MSH", "message 1, segment 1 (MSH), MSH-1: no field separator after 'MSH'; the message is not read" },
    { "MSH|^~|X", "message 1, segment 1 (MSH), MSH-2: encoding characters '^~' are too few (4 needed: component, " ..
      "repetition, escape, subcomponent); the message is not read" },
    { "MSH|^~\\^|X", "message 1, segment 1 (MSH), MSH-2: encoding characters '^~\\^' repeat '^'; the message is " ..
      "not read" },
    { "MSH|^~\\&#!|X", "message 1, segment 1 (MSH), MSH-2: encoding characters '^~\\&#!' are too many (4, or 5 " ..
      "with the truncation character); the message is not read" },
    { "MSHA^~\\&|X", "message 1, segment 1 (MSH), MSH-1: field separator 'A' is a letter, digit or space; the " ..
      "message is not read" },
    { "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5", "message 1, segment 1 (MSH), MSH-9: message type 'ADT^A01' is " ..
      "not a result message (ORU^R01, OUL^R22); the message is not read" },
    { "MSH|^~\\&|A|B|C|D|2024", "message 1, segment 1 (MSH), MSH-9: message type '' is not a result message " ..
      "(ORU^R01, OUL^R22); the message is not read" },
  }
  for _, c in ipairs(bad_msh) do
    it(("reports %q and still reads the next message"):format(c[1]), function()
      local recs, problems, info = one(msg { c[1], PID, OBR, obx(1, "NM", "17861-6^Calcium^LN", "8.0", "mg/dL") } ..
        "\r" .. good)
      assert.equal(2, info.messages)
      assert.same({ c[2] }, problems)
      assert.equal(1, #recs)
      assert.equal("9.5 mg/dL", recs[1].labs.calcium)
      assert.equal(1, #recs[1].calcium_values) -- nothing of the bad message
    end)
  end

  it("reports a message without PID with its number and the OBX segment, and reads the others", function()
    local recs, problems = one(good .. "\r" .. msg { MSH, OBR, obx(1, "NM", "17861-6^Calcium^LN", "8.0", "mg/dL"),
      obx(2, "NM", "17861-6^Calcium^LN", "8.1", "mg/dL") } .. "\r" .. good)
    assert.same({ "message 2, segment 3 (OBX): no PID segment before it; the message's 2 OBX without a patient " ..
      "are not read" }, problems)
    assert.equal(1, #recs)
    assert.equal(2, #recs[1].calcium_values)
  end)

  local bad_values = {
    { "NM", "4.5^^BCP Mod.^false", "OBX-5: numeric value '4.5^^BCP Mod.^false' has extra components " ..
      "(value type NM); not used (calcium)" },
    { "NM", "4.5~4.6", "OBX-5: numeric value '4.5~4.6' has extra components (value type NM); not used (calcium)" },
    { "NM", "pending", "OBX-5: 'pending' is not a number (value type NM); not used (calcium)" },
    { "", "high", "OBX-5: 'high' is not a number (value type empty); not used (calcium)" },
    { "SN", "^1^-^5", "OBX-5: structured numeric '^1^-^5' is a range or ratio, not one value; not used (calcium)" },
    { "SN", "<>^5", "OBX-5: structured numeric '<>^5' has comparator '<>' (<, >, <=, >= or =); not used (calcium)" },
    { "SN", "<^abc", "OBX-5: structured numeric '<^abc' has no number in its second component; not used (calcium)" },
    { "FT", "Calcium 9.5", "OBX-2: value type 'FT' is not read (NM, SN, ST or empty); OBX-5 'Calcium 9.5' not " ..
      "used (calcium)" },
  }
  for _, c in ipairs(bad_values) do
    it(("reports value type %q with OBX-5 %q with message, segment and field"):format(c[1], c[2]), function()
      local r = one(msg { MSH, PID, OBR, obx(1, c[1], "17861-6^Calcium^LN", c[2], "mg/dL"),
        obx(2, "NM", "1751-7^Albumin^LN", "4.0", "g/dL") })[1]
      assert.same({ "message 1, segment 4 (OBX), " .. c[3] }, r.problems)
      assert.is_nil(r.labs.calcium)
      assert.equal("4.0 g/dL", r.labs.albumin) -- the rest of the message is read
    end)
  end

  it("reports an empty PID-3 (PID-2 used when given) and a sex that changes between messages", function()
    local recs = one(msg { MSH, "PID|1|OLD7|||X||19600101|F", OBR, obx(1, "NM", "17861-6^Calcium^LN", "9", "mg/dL") } ..
      "\r" .. msg { MSH, "PID|1|OLD7|||X||19600101|M" })
    assert.equal(1, #recs)
    assert.equal("OLD7", recs[1].id)
    assert.same({ "message 1, segment 2 (PID), PID-3: no patient identifier; PID-2 'OLD7' used",
      "message 2, segment 2 (PID), PID-3: no patient identifier; PID-2 'OLD7' used",
      "message 2, segment 2 (PID), PID-8: sex 'M' differs from 'F' given before; kept 'F'" }, recs[1].problems)
  end)

  it("does not use a result whose status (OBX-11) is wrong, deleted or cannot be obtained", function()
    local r = one(msg { MSH, PID, OBR,
      "OBX|1|NM|17861-6^Calcium^LN||15.0|mg/dL|8.6-10.3|HH|||W|||20240102",
      "OBX|2|NM|17861-6^Calcium^LN||9.0|mg/dL|8.6-10.3||||C|||20240101",
      "OBX|3|NM|1751-7^Albumin^LN||4.0|g/dL|||||D",
      "OBX|4|NM|2160-0^Creatinine^LN||1.0|mg/dL|||||X" })[1]
    assert.same({ calcium = "9.0 mg/dL" }, r.labs)
    assert.same({
      "message 1, segment 4 (OBX), OBX-11: result status 'W' (wrong, replaced by a corrected result); calcium not used",
      "message 1, segment 6 (OBX), OBX-11: result status 'D' (deleted); albumin not used",
      "message 1, segment 7 (OBX), OBX-11: result status 'X' (cannot be obtained); creatinine not used" },
      r.unrecognised)
  end)

  it("records an OBX without a value and one with an unknown code as unrecognised, not as a lab", function()
    local r = one(msg { MSH, PID, OBR, obx(1, "NM", "17861-6^Calcium^LN", "", "mg/dL"),
      obx(2, "NM", "XYZ^Mystery^L", "5", "mg/dL") })[1]
    assert.same({}, r.labs)
    assert.same({ "message 1, segment 4 (OBX), OBX-5: calcium has no value",
      "message 1, segment 5 (OBX), OBX-3: code 'XYZ^Mystery^L' is not mapped to an analyte" }, r.unrecognised)
  end)
end)

describe("hl7 and lab text through the command: what was not recognised is the unmapped column", function()
  local tmp, clean = support.temp_files()
  teardown(clean)

  it("gives calcinosis.read's unrecognised entries, joined by '; ', in --columns unmapped (never dropped)", function()
    local text = msg { MSH, PID, OBR, obx(1, "NM", "17861-6^Calcium^LN", "9.1", "mg/dL"),
      obx(2, "NM", "XYZ^Mystery^L", "5", "mg/dL"), obx(3, "NM", "QQ^Other^L", "1", "mg/dL") }
    local path = tmp(text, ".hl7")
    local r = one(text)[1]
    assert.equal(2, #r.unrecognised)
    local out, rc, err = support.run(("classify --columns id,problems,unmapped %q"):format(path))
    assert.equal(0, rc, err)
    assert.same({ { "id", "problems", "unmapped" }, { "P1", "", table.concat(r.unrecognised, "; ") } },
      support.parse_csv(out))
    -- a lab text line the grammar does not read, in the same column
    local lt = tmp("Calcium 11.2 mg/dL (8.5-10.5) H\nPatient name: Doe\n", ".txt")
    local out2, rc2, err2 = support.run(("classify --input-format text --columns type,unmapped %q"):format(lt))
    assert.equal(0, rc2, err2)
    assert.same({ "type", "unmapped" }, support.parse_csv(out2)[1])
    assert.equal("Patient name: Doe", support.parse_csv(out2)[2][2])
  end)
end)

describe("hl7: codes and value types", function()
  local tmp, clean = support.temp_files()
  teardown(clean)

  local function labs_of(lines, opts)
    local segs = { MSH, PID, OBR }
    for _, l in ipairs(lines) do segs[#segs + 1] = l end
    local recs, problems = one(msg(segs), opts)
    return recs and recs[1].labs, recs and recs[1] or problems
  end

  it("maps LOINC codes only with coding system LN, also as the alternate identifier", function()
    local labs, r = labs_of { obx(1, "NM", "17861-6^Calcium^LN", "9.5", "mg/dL"),
      obx(2, "NM", "2160-0^Creatinine^L", "1.2", "mg/dL"),             -- a local code that looks like LOINC
      obx(3, "NM", "K77^Alb^99LOC^1751-7^Albumin^LN", "4.1", "g/dL") }
    assert.same({ calcium = "9.5 mg/dL", albumin = "4.1 g/dL" }, labs)
    assert.equal(1, #r.unrecognised)
  end)

  it("never maps a code by its display text", function()
    local labs = labs_of { obx(1, "NM", "CA24H^Calcium^L", "250", "mg/(24.h)") }
    assert.same({}, labs)
  end)

  it("reads SN with comparators, ST numbers and an empty value type with a number", function()
    local labs, r = labs_of { obx(1, "SN", "2160-0^Creatinine^LN", "<^0.3", "mg/dL"),
      obx(2, "SN", "2731-8^PTH^LN", ">=^2500", "pg/mL"),
      obx(3, "SN", "17861-6^Calcium^LN", "=^9.8", "mg/dL"),
      obx(4, "ST", "1751-7^Albumin^LN", "3.9", "g/dL"),
      obx(5, "", "2777-1^Phosphate^LN", "4.4", "mg/dL"),
      obx(6, "ST", "62292-8^25-OH D^LN", "high", "") }
    assert.same({ creatinine = "<0.3 mg/dL", pth = ">=2500 pg/mL", calcium = "9.8 mg/dL", albumin = "3.9 g/dL",
      phosphate = "4.4 mg/dL", vitd25 = "high" }, labs)
    assert.equal("<", r.creatinine_values[1].comparator)
    assert.equal(0.3, r.creatinine_values[1].value)
    -- and the record logic reads them: the censored value keeps its comparator, the word is qualitative
    local t = calcinosis.labs { id = "x", labs = labs }
    assert.equal("<", t.creatinine.comparator)
    assert.equal("high", t.vitd25.qualitative)
    assert.same({}, t.problems)
  end)

  it("reads units the lab spells its own way through the C unit parser (UMOLL, MMOLL, MLMIN)", function()
    local labs = labs_of { obx(1, "NM", "2160-0^Creatinine^LN", "88.4", "UMOLL"),
      obx(2, "NM", "17861-6^Calcium^LN", "2.50", "MMOLL"), obx(3, "NM", "98979-8^eGFR^LN", "44", "MLMIN") }
    local t = calcinosis.labs { id = "x", labs = labs }
    assert.near(1.0, t.creatinine.value, 1e-3)        -- 88.4 umol/L / 88.40
    assert.near(2.5 * 40.078 / 10, t.calcium.value, 1e-9) -- mmol/L x M(Ca) / 10
    assert.near(44, t.egfr.value, 1e-9)
    assert.same({}, t.problems)
  end)

  it("reads the user's code table from a file, over the defaults", function()
    local path = tmp("# my lab's codes\nMYCA = calcium\nXPHOS\tphosphate\nalb, creatinine  # override\n")
    local labs = labs_of({ obx(1, "NM", "MYCA^Calc^L", "9.9", "mg/dL"), obx(2, "NM", "xphos^P^L", "3.3", "mg/dL"),
      obx(3, "NM", "ALB^Albumin^L", "1.1", "mg/dL") }, { codes = path })
    assert.same({ calcium = "9.9 mg/dL", phosphate = "3.3 mg/dL", creatinine = "1.1 mg/dL" }, labs)
    local labs2 = labs_of({ obx(1, "NM", "MYCA^Calc^L", "9.9", "mg/dL") }, { codes = { MYCA = "ca" } })
    assert.same({ calcium = "9.9 mg/dL" }, labs2)
  end)

  it("refuses a code table file with an unknown analyte or a bad line, naming the line", function()
    local bad = tmp("MYCA calcium\nMYP phosphat\n")
    local recs, err = hl7.records(MSH, { codes = bad })
    assert.is_nil(recs)
    assert.equal("codes file " .. bad .. ", line 2: unknown analyte 'phosphat' for code 'MYP' (did you mean " ..
      "'phosphate'?)", err)
    local bad2 = tmp("MYCA\n")
    local _, err2 = hl7.records(MSH, { codes = bad2 })
    assert.equal("codes file " .. bad2 .. ", line 1: 'MYCA' is not 'CODE analyte'", err2)
    local _, err3 = hl7.records(MSH, { codes = "/nonexistent/codes.txt" })
    assert.matches("^codes file: /nonexistent/codes.txt", err3)
  end)

  it("raises on programmer errors: not a string, unknown options, a bad codes table", function()
    assert.has_error(function() hl7.records(nil) end)
    assert.has_error(function() hl7.records("", { code = "x" }) end,
      "calcinosis.hl7.records: unknown option 'code' (did you mean 'codes'?)")
    assert.has_error(function() hl7.records("", { codes = { X = "nonsense" } }) end)
  end)

  it("the default code table names an analyte the C table knows and a source for every entry", function()
    local codes = hl7.default_codes()
    assert.is_true(#codes >= 4)
    codes[1].analyte = "changed" -- a copy: the next call is not affected
    assert.is_not.equal("changed", hl7.default_codes()[1].analyte)
    for _, e in ipairs(hl7.default_codes()) do
      assert.is_table(calcinosis.core.analyte(e.analyte), e.code)
      assert.equal(e.analyte, calcinosis.core.analyte(e.analyte).name)
      assert.is_true(#e.source > 20, e.code)
    end
  end)
end)

describe("hl7: the example", function()
  it("examples/hl7-results.lua reads examples/hl7-results.hl7 and classifies each patient", function()
    local p = assert(io.popen("lua5.4 examples/hl7-results.lua examples/hl7-results.hl7 2>&1; echo rc=$?"))
    local out = p:read("a")
    p:close()
    -- the file: 2 MLLP-framed messages; PT-001 in both (calcium 11.6 on 202403010815 (OBX-14), 11.9 on
    -- 202403080900 (OBR-7) in message 2), PT-002 in message 2; GLU is not mapped
    assert.matches("examples/hl7-results.hl7: 2 message(s), 2 patient(s)", out, 1, true)
    assert.matches("patient PT-001 (sex F, born 19580412): metastatic", out, 1, true)
    assert.matches("calcium     11.9 mg/dL     at 202403080900  flag H  (latest of 2)", out, 1, true)
    assert.matches("pth         >1500 pg/mL    at 202403010815  flag HH", out, 1, true)
    assert.matches("patient PT-002 (sex M, born 19900101)", out, 1, true)
    assert.matches("not read: message 2, segment 9 (OBX), OBX-3: code 'GLU^Glucose^L'", out, 1, true)
    assert.matches("Research tool, not a diagnosis", out, 1, true)
    assert.matches("rc=0\n$", out)
  end)
end)

describe("hl7: property tests", function()
  local rng = require("support").lcg -- (seeded: the same cases on every run)
  local ALPHABET = { "|", "^", "~", "\\", "&", "\r", "\n", "\r\n", "\011", "\028", "MSH", "PID", "OBX", "OBR",
    "NM", "SN", "ST", "1", "9.5", "<", "mg/dL", "17861-6", "LN", "CA", "\\X", "\\F\\", "\\.br\\", " ", "a", "\0",
    "\255", "MSH|^~\\&|", "$", "%" }
  local base = msg { MSH, PID, OBR, obx(1, "NM", "17861-6^Calcium^LN", "9.5", "mg/dL", "8.6\\T\\10.3", "H"),
    obx(2, "SN", "2160-0^Creatinine^LN", "<^0.3", "mg/dL"), obx(3, "NM", "CA^Ca^L", "4.5^^x", "mg/dL") }

  local function check(text)
    local ok, recs, problems, info = pcall(hl7.records, text)
    assert(ok, recs)
    assert.is_table(recs)
    assert.is_table(problems)
    assert.is_number(info.messages)
    for _, p in ipairs(problems) do assert.is_string(p) end
    for _, r in ipairs(recs) do
      assert.is_table(r.labs)
      for _, p in ipairs(r.problems) do assert.matches("^message %d+, segment %d+", p) end
      for _, u in ipairs(r.unrecognised) do assert.matches("^message %d+, segment %d+", u) end
    end
  end

  it("random texts of HL7 pieces (2000, seeded) give records and problems, never an error", function()
    local R = rng(20240301)
    local t0 = os.clock()
    for _ = 1, 2000 do
      local parts = { R(2) == 1 and "MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|2.5\r" or "" }
      for _ = 1, R(60) do parts[#parts + 1] = ALPHABET[R(#ALPHABET)] end
      check(table.concat(parts))
    end
    assert.is_true(os.clock() - t0 < 20)
  end)

  it("mutations of a valid message (2000, seeded: bytes deleted, inserted, replaced) never raise", function()
    local R = rng(777)
    for _ = 1, 2000 do
      local s = base
      for _ = 1, R(6) do
        local i = R(#s)
        local op = R(3)
        if op == 1 then s = s:sub(1, i - 1) .. s:sub(i + 1)
        elseif op == 2 then s = s:sub(1, i) .. ALPHABET[R(#ALPHABET)] .. s:sub(i + 1)
        else s = s:sub(1, i - 1) .. string.char(R(256) - 1) .. s:sub(i + 1) end
      end
      check(s)
    end
  end)

  it("a long file (5000 messages) is read in well under a few seconds", function()
    local m = base
    local parts = {}
    for i = 1, 5000 do parts[i] = (m:gsub("P1%^", "P" .. (i % 300) .. "^")) end
    local t0 = os.clock()
    local recs, _, info = hl7.records(table.concat(parts, "\r"))
    assert.equal(5000, info.messages)
    assert.equal(300, #recs)
    -- (valgrind-suite.sh sets CALCINOSIS_SLOW: valgrind runs about 20 times slower)
    assert.is_true(os.clock() - t0 < 10 * require("support").SLOW)
  end)
end)

describe("hl7: values chosen by date (the C date logic, as for FHIR and long format)", function()
  local text = msg { MSH, PID, OBR,
    obx(1, "NM", "17861-6^Calcium^LN", "9.1", "mg/dL", "", "", "20230115"),
    obx(2, "NM", "17861-6^Calcium^LN", "10.9", "mg/dL", "", "", "20240302"),
    obx(3, "NM", "17861-6^Calcium^LN", "9.7", "mg/dL", "", "", "20240302"), -- same day: the later in the file
    obx(4, "NM", "1751-7^Albumin^LN", "3.9", "g/dL", "", "", "20200101") }

  it("keeps the latest by default, on a tie the later in the file", function()
    local r = one(text)[1]
    assert.equal("9.7 mg/dL", r.labs.calcium)
    assert.equal("20240302", r.calcium_date)
    assert.equal(3, #r.calcium_values)
  end)

  it("keeps the value nearest index_date and drops one outside the window, with a problem", function()
    local r = one(text, { index_date = "2023-02-01", window = "365d" })[1]
    assert.equal("9.1 mg/dL", r.labs.calcium) -- 17 days from 2023-02-01 (the others are 395 days away)
    assert.equal("20230115", r.calcium_date)
    assert.is_nil(r.labs.albumin) -- 2020-01-01: 1127 days before the index date
    assert.same({ "albumin: the value of 2020-01-01 is outside the window (365 days from 2023-02-01); not used" },
      r.problems)
    -- without an index date the window is measured from the patient's latest value (2024-03-02)
    local r2 = one(text, { window = "2y" })[1]
    assert.equal("9.7 mg/dL", r2.labs.calcium)
    assert.is_nil(r2.labs.albumin)
    assert.matches("730%.5 days from 2024%-03%-02", r2.problems[1])
  end)

  it("calcinosis.read passes index_date, window and na to the HL7 reader (it raised before)", function()
    local it = assert(calcinosis.read(text .. "\r\n", { format = "hl7", index_date = "2023-02-01", na = { "NA" } }))
    local rec = it()
    assert.equal("9.1 mg/dL", rec.labs.calcium)
  end)
end)
