--- HL7 v2: the default table of laboratory-local observation codes (OBX-3)
-- and the analytes they stand for. Data, each entry with where the code was
-- seen: the codes public sample feeds send for the analytes the library
-- knows. LOINC codes need no entry (the C analyte table knows them, with
-- coding system `LN`); a local code means what its laboratory says, so an
-- entry is added only when a published message shows it with its name.
-- Users extend or override the table with a file (`calcinosis.hl7.read_codes`).
--
-- Dependencies: none.
-- @module calcinosis.hl7.codes

local MACHETE = "Johnson Labs CHEM14 panel, local codes (system L), in the Machete HL7 test corpus " ..
  "(github.com/phatboyg/Machete, src/Machete.HL7.Tests/Corpus, sample 088)"
local SIMHOSP = "WinPath test codes of Simulated Hospital's U&E results (github.com/google/simhospital, " ..
  "docs/artifacts/messages.out)"
local NHAPI = "DiagnomedLab codes (system DN) in nHapi's OUL^R22 test message (github.com/nHapiNET/nHapi, " ..
  "tests/NHapi.NUnit/Parser/PipeParserUnexpectedSegmentTests.cs)"

return {
  { code = "CA", analyte = "calcium", name = "Calcium", source = MACHETE },
  { code = "PHOS", analyte = "phosphate", name = "Phosphorus", source = MACHETE },
  { code = "ALB", analyte = "albumin", name = "Albumin", source = MACHETE },
  { code = "CREAT", analyte = "creatinine", name = "Creatinine", source = MACHETE },
  { code = "ALKP", analyte = "alp", name = "Alkaline Phosphatase", source = MACHETE },
  { code = "tt-0003-01", analyte = "creatinine", name = "Creatinine", source = SIMHOSP },
  { code = "tt-0003-05", analyte = "egfr", name = "eGFR (MDRD)", source = SIMHOSP },
  { code = "0302060", analyte = "albumin", name = "ALBUMINA", source = NHAPI },
}
