--- The `calcinosis` command. `main(argv)` returns the exit status:
-- 0 all well, 1 some input had problems, 2 usage error (3: an internal error).
--
-- Why the options are parsed here and not with lua-argparse (Debian
-- `lua-argparse` 0.7, evaluated): it would change for users
--   * the exit status of a usage error: argparse exits 1, which this command
--     uses for "some input had problems" (scripts and `make` tell them apart
--     by 2); `pparse` avoids its os.exit for errors, but `--help` still calls
--     os.exit(0) from inside the parser, so `main(argv)` would no longer return
--     a status (the specs and pandoc/LuaTeX hosts call it as a function);
--   * the messages: argparse prints the whole generated usage, a blank line,
--     "Error: unknown option '--colums'" and "Did you mean '--columns'?" on a
--     line of its own; here it is one line, "calcinosis classify: unknown
--     option '--colums' (did you mean '--columns'?)", and a "Try ... --help"
--     line, the format of the column, parameter and term suggestions too;
--   * the help: argparse generates "Usage: calcinosis classify [-h] [--rules
--     <rules>] ..." from the declarations; the hand-written usage texts below
--     (which the man page is made from, tools/gen-man.lua) would have to be
--     passed back in as help strings anyway;
--   * negative numbers: `calcinosis convert -5 ...` is read as an option.
-- What it offers (repeatable options as lists, `--opt=value`, suggestions
-- for options and commands) `parse_opts` already does, in 60 lines, and
-- the option tables (`M.options`) are what the completion scripts in
-- completions/ are checked against.
-- @module calcinosis.cli

local M = {}

--- The ruleset program format this command reads and writes: the header
-- "CALV" and `CAL_VM_VERSION` of src/vm.h (the C core does not export it;
-- spec/cli_spec.lua checks this against src/vm.h and a compiled program).
M.RULESET_FORMAT = { magic = "CALV", version = 1 }

--- The options of each command: name (without "--") -> "flag", "value" or
-- "list" (repeatable); `-h`/`--help` everywhere, `-o` for output and `-q`
-- for quiet where the command has them. The completion scripts in
-- completions/ list exactly these.
M.options = {
  labs = { json = "flag", file = "value", ["ca-coefficient"] = "value", ["round-egfr"] = "flag", units = "value",
    id = "value", ["input-format"] = "value", ["index-date"] = "value", window = "value" },
  convert = { units = "value" },
  classify = {
    rules = "value", trusted = "flag", param = "list", columns = "value", format = "value",
    ["input-format"] = "value", delimiter = "value", output = "value", ["no-header"] = "flag",
    strict = "flag", ["ca-coefficient"] = "value", json = "flag", quiet = "flag", jobs = "value",
    shard = "value", summary = "flag", ["no-warnings"] = "flag", ["index-date"] = "value", window = "value", keep = "value",
    na = "value", ["decimal-comma"] = "flag", map = "value", units = "value",
  },
  compare = {
    rules = "list", format = "value", ["max-changes"] = "value", ["input-format"] = "value",
    output = "value", delimiter = "value", trusted = "flag", quiet = "flag", ["no-warnings"] = "flag",
    report = "value", na = "value", ["decimal-comma"] = "flag", map = "value", ["index-date"] = "value",
    window = "value",
  },
  sweep = {
    rules = "value", param = "value", format = "value", ["input-format"] = "value", output = "value",
    delimiter = "value", trusted = "flag", quiet = "flag", ["no-warnings"] = "flag", report = "value",
    na = "value", ["decimal-comma"] = "flag", map = "value", ["index-date"] = "value", window = "value",
  },
  validate = {
    truth = "value", rules = "list", format = "value", ["max-wrong"] = "value", delimiter = "value",
    trusted = "flag", output = "value", ["no-warnings"] = "flag", report = "value", labels = "value",
    ["input-format"] = "value", na = "value", ["decimal-comma"] = "flag", map = "value",
    ["index-date"] = "value", window = "value",
  },
  report = {
    cohort = "value", rules = "value", param = "list", trusted = "flag", format = "value", output = "value",
    delimiter = "value", ["no-warnings"] = "flag", ["input-format"] = "value", na = "value",
    ["decimal-comma"] = "flag", map = "value", ["index-date"] = "value", window = "value",
  },
  describe = {
    methods = "flag", rules = "value", param = "list", format = "value", ["ca-coefficient"] = "value",
    ["round-egfr"] = "flag", standalone = "flag", trusted = "flag", output = "value", ["no-warnings"] = "flag",
  },
}

--- The values some options take, for the completion scripts
-- (tools/gen-completions.lua); the commands check them themselves.
M.choices = {
  ["ca-coefficient"] = { "common", "payne", "si" },
  delimiter = { ",", ";", "tab", "|" },
  units = { "conventional", "si" },
  format = { classify = { "csv", "ndjson" }, compare = { "text", "csv", "json" }, sweep = { "csv", "text", "json" },
    validate = { "text", "csv", "json" }, report = { "text", "md", "html", "json", "latex" },
    describe = { "text", "md", "latex" } },
  report = { "text", "md", "html", "json", "latex" },
  ["input-format"] = {
    classify = { "auto", "csv", "long", "ndjson", "json", "arff", "fhir", "hl7", "text" },
    compare = { "auto", "csv", "long", "ndjson", "arff", "fhir", "hl7", "text" },
    sweep = { "auto", "csv", "long", "ndjson", "arff", "fhir", "hl7", "text" },
    validate = { "auto", "csv", "long", "ndjson", "arff", "fhir", "hl7", "text" },
    report = { "auto", "csv", "long", "ndjson", "arff", "fhir", "hl7", "text" } },
}

local DISCLAIMER = "Research tool, not a diagnosis: results are literature-based suggestions for a clinician to review."

M.usage = {}

M.usage.main = [[
Usage: calcinosis <command> [options] [arguments]

Classification of calcinosis cutis and the laboratory logic it needs.

Commands:
  classify  classify patients: one record (.json) or a cohort (CSV, NDJSON)
  compare   compare rulesets over a cohort (counts, confusion, kappa, changes)
  sweep     subtype counts over a range of one parameter's values
  validate  score the classification of a cohort against reference labels
  report    a patient or cohort report (text, Markdown, HTML, JSON, LaTeX)
  describe  the ruleset in effect: its rules, or a methods section for a paper
  labs      print the lab table of one patient (flags, derived values)
  convert   convert a value between units

Options:
  -h, --help     show this help, or a command's help after the command
  --version      print the version, the build's revision (git describe of the
                 checkout it was built from, when it was) and the ruleset
                 program format

Run 'calcinosis <command> --help' for the options of a command.

Exit status: 0 success, 1 some input had problems, 2 usage error, 3 internal
error.
]] .. DISCLAIMER .. "\n"

M.usage.labs = [[
Usage: calcinosis labs [--json] [--ca-coefficient common|payne|si] [--round-egfr] NAME=VALUE...
       calcinosis labs [options] --file PATIENT.json
       calcinosis labs [options] --file FILE [--id ID]   (any input format)

Prints the lab table of one patient: each value in its canonical unit with
its reference range and flag, then the derived values (albumin-corrected
calcium, Ca x P, eGFR, KDIGO stage) and any problems found.

NAME=VALUE pairs: age=60 (or age=8mo), sex=F|M, species=human|dog|cat,
height_cm=120, id=ID, and lab values such as calcium=11.2mg/dL,
albumin=3.1g/dL, creatinine=88umol/L, pth=high.

Options:
  --file FILE             read the patient record from a JSON file, or from
                          a file of any input format (CSV, long format,
                          NDJSON, ARFF, FHIR, HL7 v2; the content decides)
  --id ID                 with --file: the patient with this id (needed when
                          the file holds more than one)
  --input-format FMT      with --file: auto (default), csv, long, ndjson,
                          arff, fhir, hl7 or text
  --index-date DATE       with --file: the values dated nearest DATE (as in
                          classify)
  --window LEN            with --file: values farther than LEN from the index
                          date are not used (as in classify)
  --json                  print the table as JSON
  --ca-coefficient NAME   albumin correction: common (0.8, default), payne (1.0), si
  --round-egfr            round eGFR to an integer before KDIGO banding
  --units U               values and ranges in conventional (the analyte's
                          canonical unit, the default) or si units
  -h, --help              show this help

Exit status: 0 when all input was read, 1 when some had problems, 2 usage error.
]]

M.usage.convert = [[
Usage: calcinosis convert VALUE FROM_UNIT TO_UNIT [ANALYTE]
       calcinosis convert --units conventional|si VALUE FROM_UNIT ANALYTE

Converts VALUE from one unit to another and prints the number. Mass, molar
and equivalent units convert with the analyte's molar mass and valence:
  calcinosis convert 11.2 mg/dL mmol/L calcium
With --units, the unit converted to is the analyte's conventional
(canonical) or SI unit, printed after the number:
  calcinosis convert --units si 11.2 mg/dL calcium

Options:
  --units U       to the analyte's conventional or si unit
  -h, --help      show this help

Exit status: 0 on success, 1 when the value cannot be converted, 2 usage error.
]]

M.usage.classify = [[
Usage: calcinosis classify [options] [INPUT|-]
       calcinosis classify [--json] [options] PATIENT.json...
       calcinosis classify [options] FHIR.ndjson...

Classifies patients. INPUT is a cohort (CSV, one patient per row or one
observation per row; NDJSON, one patient record per line; FHIR R4, HL7 v2,
ARFF) or one patient record (.json); several patient records give their
results one after the other (a JSON array with --json); several FHIR files
(Bulk Data NDJSON, bundles) are read as one export, joined by patient. Without INPUT or with '-', reads CSV from
standard input.
One output row per input record, in input order, whatever is wrong with it;
a record's problems go to the 'problems' column.

Options:
  --rules FILE          ruleset file (default: the built-in clinical ruleset)
  --trusted             load --rules with the full Lua environment (no sandbox)
  --param NAME=VALUE    override a ruleset parameter (repeatable), e.g.
                        --param ca_x_p_limit="55 mg2/dL2"
  --columns LIST        output columns, comma-separated (default:
                        id,type,score,fired,problems). Available: id, type,
                        score, fired, not_evaluable, problems, line, age, sex,
                        ckd_stage, confidence, confidence_value, alerts,
                        alternatives, missing, ruleset, version, hash (of
                        the rules and every option that changes a result),
                        any lab or derived value or let of the ruleset, each
                        with an optional format: ca_corr:%.2f; and any column
                        of the input (its header name, or NDJSON key), copied
                        as read, so that the output joins back to the input
  --keep LIST           input columns to copy after --columns, as read (always
                        the input's, even when a result column has the name),
                        e.g. --keep site,visit
  --format FMT          output: csv (default) or ndjson
  --input-format FMT    auto (default: from the content), csv, long, ndjson,
                        json, arff, fhir (FHIR R4: a Bundle, a resource, Bulk
                        Data NDJSON or a folder of it), hl7 or text
  --index-date DATE     long format and FHIR: per lab, the value dated nearest
                        DATE (default: the latest); ages from the birth date
                        at DATE (default: the latest lab date)
  --window LEN          long format and FHIR: values farther than LEN from the
                        index date (default: the latest lab date) are not
                        used: 365d, 52w, 12mo, 2y
  --delimiter D         input delimiter: ',' (default; detected), ';', 'tab', '|'
  --na LIST             missing-value codes, comma-separated (default: NA,N/A,
                        #N/A,NULL,.,- and nan, none, missing, --, not done,
                        unknown; an empty cell is always missing; ARFF adds ?)
  --decimal-comma       numbers written with a decimal comma (2,45); the
                        delimiter is then ';' unless --delimiter is given
  --map LIST|FILE       read a data set's columns as the tool's:
                        sc=creatinine,bu=urea or a file of NAME=COLUMN lines
  --units U             lab and derived value columns in conventional (the
                        analyte's canonical unit) or si units, the unit in
                        each column's header: 'calcium [mmol/L]'
  -o, --output FILE     write to FILE instead of standard output
  --no-header           no CSV header line
  --strict              stop at the first record with a problem
  --jobs N              split a CSV or NDJSON file over N processes (same
                        output, same order; a file, not standard input)
  --shard K/N           only the K-th of N parts of the file, cut at record
                        boundaries as --jobs cuts (for cluster array jobs:
                        the N outputs concatenated in order are the output
                        of one run; the CSV header line is in part 1)
  --ca-coefficient V    albumin correction: common (0.8), payne (1.0), si
  --json                with patient records (.json): print the result as JSON
  --summary             after a cohort run, print the counts by type (to standard
                        output with -o, else to standard error)
  --no-warnings         do not print the ruleset's warnings
  -q, --quiet           no progress line
  -h, --help            show this help

A progress line (records, records/s, percent, time left) goes to standard
error when it is a terminal.

An input that is not a cohort is refused (exit 2) with what it looks like:
ARFF read as CSV, FHIR JSON or HL7 v2 where this build cannot read them, a
CSV with one column because the delimiter is wrong (naming the delimiter
the file seems to use), a CSV with no column the tool recognises (with the
closest known names: map a data set's names with --map).

Exit status: 0 all records read cleanly, 1 some records had problems (or
--strict stopped), 2 usage error or an input that is not a cohort.
]]

M.usage.compare = [[
Usage: calcinosis compare --rules A --rules B [--rules C ...] [options] INPUT

Classifies the cohort under each ruleset and reports the subtype counts
under each, the confusion matrix and Cohen's kappa between each pair, and
the patients whose type changes, with the rules that made the difference.

Options:
  --rules FILE          a ruleset (at least two; 'default' is the built-in one)
  --format FMT          text (default), csv (the changed patients) or json
  --max-changes N       changed patients listed in text and json (default 20 / 1000)
  --input-format FMT    auto (default: from the content), csv, long, ndjson,
                        arff, fhir, hl7 or text
  --delimiter D         input delimiter: ',' (default; detected), ';', 'tab', '|'
  --na LIST             missing-value codes, comma-separated (as in classify)
  --decimal-comma       numbers written with a decimal comma (as in classify)
  --map LIST|FILE       read a data set's columns as the tool's (as in classify)
  --index-date DATE     long format and FHIR: the values dated nearest DATE (as in
                        classify)
  --window LEN          long format and FHIR: values farther than LEN from the
                        index date are not used (as in classify)
  --trusted             load the --rules files with the full Lua environment
  --no-warnings         do not print the rulesets' warnings
  --report FMT          write the comparison report instead: text, md, html,
                        json or latex (counts, confusion heat maps, kappa, changes)
  -o, --output FILE     write to FILE instead of standard output
  -q, --quiet           accepted as in classify (compare prints no progress)
  -h, --help            show this help

Exit status: 0 success, 1 some records had problems, 2 usage error.
]]

M.usage.validate = [[
Usage: calcinosis validate --truth COLUMN [--rules FILE ...] [options] COHORT
       calcinosis validate --labels LABELS.csv --truth COLUMN [options] COHORT

Classifies COHORT (any input format) with each ruleset (default: the default
ruleset) and scores the types against the reference labels in COLUMN (a CSV,
long-format or ARFF column or an NDJSON key; or, with --labels, a column of
a CSV file of labels joined to the records by its 'id' column, for FHIR,
HL7 v2 or any input; subtype names and their synonyms, e.g. "dystrophic
calcinosis cutis", "calcific uremic arteriolopathy"): the confusion matrix,
per subtype sensitivity, specificity, PPV, NPV and F1 with Wilson 95%
intervals, accuracy, Cohen's kappa with its standard error, macro-F1, the
patients it got wrong with the rules that fired, and McNemar's test between
each pair of rulesets. Records without a reference label, or with one that
names no subtype, are left out and counted; an indeterminate result is a
prediction like any other.

Options:
  --truth COLUMN        the column (or key) of the reference labels
  --labels FILE         read COLUMN from FILE (CSV with an 'id' column), by record id
  --rules FILE          a ruleset; repeat to compare (default: the default ruleset)
  --format FMT          text (default), csv or json
  --max-wrong N         wrong patients listed per ruleset in text (default 20)
  --input-format FMT    auto (default: from the content), csv, long, ndjson,
                        arff, fhir, hl7 or text
  --delimiter D         CSV delimiter (default ',')
  --na LIST             missing-value codes, comma-separated (as in classify)
  --decimal-comma       numbers written with a decimal comma (as in classify)
  --map LIST|FILE       read a data set's columns as the tool's (as in classify)
  --index-date DATE     long format, FHIR, HL7: the values dated nearest DATE
                        (as in classify)
  --window LEN          values farther than LEN from the index date are not
                        used (as in classify)
  --trusted             run the ruleset files unsandboxed
  --no-warnings         do not print the rulesets' warnings
  --report FMT          write the validation report instead: text, md, html,
                        json or latex (tables with intervals, forest plots)
  -o, --output FILE     write to FILE instead of standard output
  -h, --help            show this help

Exit status: 0 success, 1 some records had problems, 2 usage error.
]]

M.usage.describe = [[
Usage: calcinosis describe [--rules FILE] [--param NAME=VALUE ...] [options]
       calcinosis describe --methods [--format md|latex] [--rules FILE] [options]

Describes the ruleset in effect with these options: its name, version and
hash (of the rules, parameters, vocabulary, reference ranges and every
option that changes a result), then its rules (the default), or with
--methods a methods section for a paper: the tool's version and revision,
the ruleset's name, version and hash, the decision pathway (from the
compiled ruleset), every threshold and reference range used with its
citation, the options in effect and the references in full.

Options:
  --methods             write the methods section (Markdown, or LaTeX)
  --format FMT          with --methods: md (default) or latex; else text
  --standalone          with --format latex: a whole document (pdflatex compiles it)
  --rules FILE          ruleset (default: the built-in clinical ruleset)
  --param NAME=VALUE    override a ruleset parameter (repeatable)
  --ca-coefficient V    albumin correction: common (0.8), payne (1.0), si
  --round-egfr          round eGFR to an integer before KDIGO banding
  --trusted             load --rules with the full Lua environment (no sandbox)
  --no-warnings         do not print the ruleset's warnings
  -o, --output FILE     write to FILE instead of standard output
  -h, --help            show this help

Exit status: 0 success, 1 with --methods when a source key the ruleset cites
is not in the bibliography (listed as such), 2 usage error.
]]

M.usage.sweep = [[
Usage: calcinosis sweep --param NAME=FROM:TO:STEP [--rules FILE] [options] INPUT

Classifies the cohort at each value of one parameter and prints, at each
value, the subtype counts, how many records each rule fired for and could
not evaluate (so that a parameter which moves no subtype still shows its
effect), and the hash of the ruleset at that value. Values are in the
parameter's declared unit, e.g.
  calcinosis sweep --param ca_x_p_limit=50:80:5 cohort.csv

CSV columns: the parameter, one per subtype, fired:RULE and
not_evaluable:RULE for every rule, hash. The text output lists the rules
whose counts change with the value.

Options:
  --param NAME=FROM:TO:STEP  the parameter and its values (required)
  --rules FILE          ruleset (default: the built-in clinical ruleset)
  --format FMT          csv (default), text or json
  --input-format FMT    auto (default: from the content), csv, long, ndjson,
                        arff, fhir, hl7 or text
  --delimiter D         input delimiter: ',' (default; detected), ';', 'tab', '|'
  --na LIST             missing-value codes, comma-separated (as in classify)
  --decimal-comma       numbers written with a decimal comma (as in classify)
  --map LIST|FILE       read a data set's columns as the tool's (as in classify)
  --index-date DATE     long format and FHIR: the values dated nearest DATE (as in
                        classify)
  --window LEN          long format and FHIR: values farther than LEN from the
                        index date are not used (as in classify)
  --trusted             load --rules with the full Lua environment (no sandbox)
  --no-warnings         do not print the ruleset's warnings
  --report FMT          write the sweep report instead: text, md, html, json
                        or latex (subtype and rule-fire counts as line charts)
  -o, --output FILE     write to FILE instead of standard output
  -q, --quiet           accepted as in classify (sweep prints no progress)
  -h, --help            show this help

Exit status: 0 success, 1 some records had problems, 2 usage error.
]]

M.usage.report = [[
Usage: calcinosis report [options] PATIENT.json
       calcinosis report --cohort COHORT [options]

Writes the report of one patient record (.json): the type with its
confidence, alternatives and alerts, the problems in the data, the evidence
(each rule that fired, with the values that made it fire and its source),
what could not be evaluated and what is missing, the lab table with
reference ranges and flags and a chart of each value against its band,
work-up, referrals, treatment options, prognosis, the ruleset and the
references in full. With --cohort, the report of a cohort (CSV or NDJSON):
subtype counts, rule fires and not-evaluable counts, lab distributions by
subtype, data completeness and the records with problems.

Options:
  --cohort FILE         a cohort report of FILE instead of a patient report
  --format FMT          text (default), md (Markdown, its SVG figures written
                        beside -o FILE), html (one self-contained file), json
                        or latex (booktabs tables)
  --rules FILE          ruleset (default: the built-in clinical ruleset)
  --param NAME=VALUE    override a ruleset parameter (repeatable)
  --trusted             load --rules with the full Lua environment (no sandbox)
  --delimiter D         cohort delimiter: ',' (default), ';' or 'tab'
  --input-format FMT    with --cohort: auto (default: from the content), csv,
                        long, ndjson, arff, fhir, hl7 or text
  --na LIST             missing-value codes, comma-separated (as in classify)
  --decimal-comma       numbers written with a decimal comma (as in classify)
  --map LIST|FILE       read a data set's columns as the tool's (as in classify)
  --index-date DATE     long format, FHIR, HL7, text: the values dated nearest
                        DATE (as in classify)
  --window LEN          values farther than LEN from the index date are not
                        used (as in classify)
  --no-warnings         do not print the ruleset's warnings
  -o, --output FILE     write to FILE instead of standard output
  -h, --help            show this help

Text on a terminal is in colour unless NO_COLOR is set.

Exit status: 0 all records read cleanly, 1 some records had problems, 2 usage error
(or an input that cannot be read).
]]

local function out(...) io.stdout:write(...) end
local function err(...) io.stderr:write(...) end

--- Prints "calcinosis CMD: MSG" and the --help hint to standard error.
-- @tparam string|nil cmd the command (nil for the main usage)
-- @tparam string msg
-- @treturn integer 2, the exit status of a usage error
local function usage_error(cmd, msg)
  err("calcinosis", cmd and (" " .. cmd) or "", ": ", msg, "\n")
  err("Try 'calcinosis", cmd and (" " .. cmd) or "", " --help' for more information.\n")
  return 2
end

local function read_file(path)
  local f, e = io.open(path, "rb")
  if not f then return nil, e end
  local s, re = f:read("*a")
  f:close()
  if not s then return nil, ("%s: cannot read (%s)"):format(path, tostring(re or "read error")) end
  return s
end

local function fmt_num(v)
  if v == nil then return "" end
  local a = math.abs(v)
  if a >= 100 then return ("%.0f"):format(v)
  elseif a >= 10 then return ("%.1f"):format(v)
  else return ("%.2f"):format(v) end
end

local function pad(s, n)
  s = tostring(s or "")
  local len = require("calcinosis.compat").utf8.len(s) or #s
  if len >= n then return s .. " " end
  return s .. (" "):rep(n - len)
end

local function range_text(r)
  if not r then return "" end
  local s
  if r.low and r.high then s = ("%g-%g"):format(r.low, r.high)
  elseif r.low then s = (">= %g"):format(r.low)
  elseif r.high then s = ("<= %g"):format(r.high)
  else s = "" end
  return s .. (r.source and (" (" .. r.source .. ")") or "")
end

local MEASURED_ORDER = { "calcium", "ionized_calcium", "albumin", "phosphate", "creatinine",
  "pth", "vitd25", "vitd125", "magnesium", "alp" }
local DERIVED_ORDER = { "corrected_calcium", "ca_x_p", "egfr", "ckd_stage" }

--- Renders a lab table (from `calcinosis.labs`) as text.
-- @tparam table t lab table
-- @treturn string
function M.render_labs(t)
  local lines = {}
  local function row(name, e, note)
    local value
    if name == "ckd_stage" then value = e.value or "-"
    else value = e.value and fmt_num(e.value) or (e.qualitative or "-") end
    lines[#lines + 1] = pad(name, 19) .. pad(value, 9) .. pad(name == "ckd_stage" and "" or e.unit, 18)
      .. pad(e.flag or "", 14) .. (note or range_text(e.range))
  end
  lines[#lines + 1] = pad("analyte", 19) .. pad("value", 9) .. pad("unit", 18) .. pad("flag", 14) .. "reference range (source)"
  for _, name in ipairs(MEASURED_ORDER) do
    if t[name] then row(name, t[name]) end
  end
  if t.egfr and t.egfr.source == "reported" then row("egfr (reported)", t.egfr) end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "derived"
  for _, name in ipairs(DERIVED_ORDER) do
    local e = t[name]
    if e then
      local note
      if name == "corrected_calcium" then
        note = e.method or e.note or ""
        if e.value and e.range then note = range_text(e.range) .. "; " .. note end
        if e.missing and #e.missing > 0 then note = "missing: " .. table.concat(e.missing, ", ") end
      elseif name == "ca_x_p" then
        note = e.value and (("%s mmol2/L2; with %s"):format(fmt_num(e.si and e.si.value), e.basis)) or "missing: calcium or phosphate"
      elseif name == "egfr" then
        note = e.method or (e.source == "reported" and "as reported" or "")
        if e.missing and #e.missing > 0 then note = "missing: " .. table.concat(e.missing, ", ") end
      elseif name == "ckd_stage" then
        note = e.value and e.rule or "needs eGFR"
      end
      row(name, e, note)
    end
  end
  if #t.problems > 0 then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "problems"
    for _, p in ipairs(t.problems) do lines[#lines + 1] = "  - " .. p end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = DISCLAIMER
  return table.concat(lines, "\n") .. "\n"
end

local SHORT = { ["-o"] = "--output", ["-q"] = "--quiet" }

--- " (did you mean 'PREFIX<closest>'?)", or "" when no candidate is close
-- (`calcinosis.util.suggest`).
-- @tparam string name what was given
-- @tparam {string,...} candidates
-- @tparam[opt] string prefix put before the suggestion ("--" for options)
-- @treturn string
local function did_you_mean(name, candidates, prefix)
  local s = require("calcinosis.util").suggest(name, candidates)
  return s and (" (did you mean '%s%s'?)"):format(prefix or "", s) or ""
end

--- Parses command-line options.
-- @tparam {string,...} args the arguments after the command
-- @tparam table spec option name (without "--") -> "flag", "value" or "list"
-- @treturn[1] table options by name (`help` for -h/--help)
-- @treturn[1] {string,...} the other arguments
-- @treturn[2] nil
-- @treturn[2] string the usage error, with a "did you mean" for a misspelt option
local function parse_opts(args, spec)
  local opts, rest = {}, {}
  local i = 1
  while i <= #args do
    local a = args[i]
    if SHORT[a] and spec[SHORT[a]:sub(3)] then a = SHORT[a] end
    if a == "--" then
      for j = i + 1, #args do rest[#rest + 1] = args[j] end
      break
    elseif a == "-h" or a == "--help" then
      opts.help = true
    elseif a:sub(1, 2) == "--" then
      local name, val = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      local kind = spec[name]
      if not kind then
        local names = { "help" }
        for k in pairs(spec) do names[#names + 1] = k end
        table.sort(names)
        return nil, ("unknown option '--%s'%s"):format(name, did_you_mean(name, names, "--"))
      end
      if kind == "flag" then
        if val then return nil, ("option '--%s' takes no value"):format(name) end
        opts[name] = true
      else
        if not val then
          i = i + 1
          val = args[i]
          if val == nil then return nil, ("option '--%s' needs a value"):format(name) end
        end
        if kind == "list" then
          opts[name] = opts[name] or {}
          table.insert(opts[name], val)
        else
          opts[name] = val
        end
      end
    elseif a:sub(1, 1) == "-" and #a > 1 and not tonumber(a) then
      return nil, ("unknown option '%s'"):format(a)
    else
      rest[#rest + 1] = a
    end
    i = i + 1
  end
  return opts, rest
end

local PATIENT_KEYS = { age = true, sex = true, species = true, height_cm = true, id = true }

--- `calcinosis labs`: prints the lab table of one patient.
-- @tparam {string,...} args the arguments after the command
-- @treturn integer the exit status
function M.labs(args)
  local calcinosis = require "calcinosis"
  local opts, rest = parse_opts(args, M.options.labs)
  if not opts then return usage_error("labs", rest) end
  if opts.help then out(M.usage.labs) return 0 end
  local patient
  local core = require "calcinosis.core"
  for _, o in ipairs { { "index-date", core.date }, { "window", core.window } } do
    if opts[o[1]] and not o[2](opts[o[1]]) then
      return usage_error("labs", "--" .. o[1] .. ": " .. select(2, o[2](opts[o[1]])))
    end
  end
  if opts.file then
    local folder = core.file_kind(opts.file) == "directory" -- (a FHIR Bulk Data folder)
    local text, e
    if not folder then
      text, e = read_file(opts.file)
      if not text then err("calcinosis labs: ", e, "\n") return 2 end
    end
    local forced = opts["input-format"] ~= "auto" and opts["input-format"] or nil
    if forced then
      local formats = require("calcinosis.detect").FORMATS
      local known = false
      for _, f in ipairs(formats) do known = known or f == forced end
      if not known then
        return usage_error("labs", ("--input-format must be one of auto, %s, got '%s'%s"):format(
          table.concat(formats, ", "), forced, did_you_mean(forced, formats)))
      end
    end
    local seen = not forced and text and require("calcinosis.detect").sniff(text:sub(1, 65536), { path = opts.file })
    if seen and seen.format == "json" then
      local p, derr = require("calcinosis.json").decode(text)
      if type(p) ~= "table" or not M.json_object_text(text) then
        err(("calcinosis labs: %s: not a JSON patient record (%s)\n"):format(opts.file, derr or "not an object"))
        return 2
      end
      patient = p
    else -- a file of records (a cohort, a FHIR export, HL7 messages): the one patient, or --id's
      local p, perr = M.one_record(opts.file, { format = forced, index_date = opts["index-date"],
        window = opts.window }, opts.id)
      if not p then err("calcinosis labs: ", perr, "\n") return 2 end
      patient = p
    end
  else
    patient = { labs = {} }
  end
  if #rest == 0 and not opts.file then return usage_error("labs", "no patient given (NAME=VALUE pairs or --file)") end
  for _, a in ipairs(rest) do
    local k, v = a:match("^([^=]+)=(.*)$")
    if not k then return usage_error("labs", ("expected NAME=VALUE, got '%s'"):format(a)) end
    if PATIENT_KEYS[k] then
      patient[k] = (k == "age" or k == "height_cm") and (tonumber(v) or v) or v
    else
      patient.labs = patient.labs or {}
      patient.labs[k] = v
    end
  end
  local ca = opts["ca-coefficient"]
  if ca and not require("calcinosis.labs").ca_variants[ca] then
    return usage_error("labs", ("unknown --ca-coefficient '%s' (common, payne or si)"):format(ca))
  end
  if opts.units and not require("calcinosis.engine").UNITS[opts.units] then
    return usage_error("labs", ("--units must be conventional or si, got '%s'"):format(opts.units))
  end
  local t = calcinosis.labs(patient, { ca_coefficient = ca, kdigo_rounding = opts["round-egfr"] })
  if opts.units == "si" then M.labs_in_si(t) end
  if opts.json then
    t.disclaimer = DISCLAIMER
    out(require("calcinosis.json").encode(t, { indent = "  " }), "\n")
  else
    out(M.render_labs(t))
  end
  return #t.problems > 0 and 1 or 0
end

--- Rewrites a lab table (from `calcinosis.labs`, values in each analyte's
-- conventional unit) in SI units: each value and reference range of an
-- analyte that has an SI unit (`calcinosis.analyte(name).si_unit`),
-- converted by the C unit logic (`calcinosis.convert`); the others as
-- they are.
-- @tparam table t lab table, changed in place
-- @treturn table t
function M.labs_in_si(t)
  local calcinosis = require "calcinosis"
  for name, e in pairs(t) do
    local a = type(e) == "table" and e.unit and calcinosis.analyte(name)
    if a and a.si_unit and e.unit ~= a.si_unit then
      local function conv(v) return v and calcinosis.convert(v, e.unit, a.si_unit, name) or v end
      e.value = conv(e.value)
      if e.range then
        local r = {}
        for k, v in pairs(e.range) do r[k] = v end
        r.low, r.high = conv(r.low), conv(r.high)
        e.range = r
      end
      e.unit = a.si_unit
    end
  end
  return t
end

--- The one patient record of a file of any input format (`calcinosis.read`),
-- or the one with the id `id`.
-- @tparam string path
-- @tparam table opts `calcinosis.read` options (`format`, `index_date`, `window`)
-- @tparam[opt] string id
-- @treturn table|nil the record
-- @treturn[2] string why not: not a file of records, no such id, or more than one record without an id
function M.one_record(path, opts, id)
  local it, e = require("calcinosis.read").read(path, opts)
  if not it then return nil, e end
  local found, n, ids = nil, 0, {}
  for r in it do
    n = n + 1
    if #ids < 5 then ids[#ids + 1] = tostring(r.id) end
    if id == nil then found = found or r
    elseif tostring(r.id) == id then found = r break end
  end
  if id ~= nil and not found then
    return nil, ("%s: no patient with id '%s' (ids: %s%s)"):format(path, id, table.concat(ids, ", "), n > 5 and ", ..." or "")
  end
  if n == 0 then return nil, ("%s: no patient record in it"):format(path) end
  if id == nil and n > 1 then
    return nil, ("%s: %d patient records; choose one with --id ID (ids: %s%s)"):format(path, n, table.concat(ids, ", "),
      n > 5 and ", ..." or "")
  end
  return found
end

--- `calcinosis convert`: converts a value between units.
-- @tparam {string,...} args the arguments after the command
-- @treturn integer the exit status
function M.convert(args)
  local calcinosis = require "calcinosis"
  local opts, rest = parse_opts(args, M.options.convert)
  if not opts then return usage_error("convert", rest) end
  if opts.help then out(M.usage.convert) return 0 end
  if opts.units then
    if not require("calcinosis.engine").UNITS[opts.units] then
      return usage_error("convert", ("--units must be conventional or si, got '%s'"):format(opts.units))
    end
    if #rest ~= 3 then return usage_error("convert", "with --units, expected VALUE FROM_UNIT ANALYTE") end
    local v = tonumber(rest[1])
    if not v then return usage_error("convert", ("VALUE '%s' is not a number"):format(rest[1])) end
    local a = calcinosis.analyte(rest[3])
    if not a then return usage_error("convert", ("unknown analyte '%s'"):format(rest[3])) end
    local to = opts.units == "si" and a.si_unit or a.unit
    if not to then err("calcinosis convert: ", a.name, " has no SI unit\n") return 1 end
    local r, e = calcinosis.convert(v, rest[2], to, a.name)
    if not r then err("calcinosis convert: ", e, "\n") return 1 end
    out(("%.10g %s"):format(r, to), "\n")
    return 0
  end
  if #rest < 3 or #rest > 4 then return usage_error("convert", "expected VALUE FROM_UNIT TO_UNIT [ANALYTE]") end
  local v = tonumber(rest[1])
  if not v then return usage_error("convert", ("VALUE '%s' is not a number"):format(rest[1])) end
  local r, e = calcinosis.convert(v, rest[2], rest[3], rest[4])
  if not r then err("calcinosis convert: ", e, "\n") return 1 end
  out(("%.10g"):format(r), "\n")
  return 0
end

-- Runs the command with an argument list; returns the exit status.
-- @tparam {string,...} argv
-- @treturn integer
local function run_main(argv)
  local args = {}
  for i = 1, #argv do args[i] = argv[i] end
  local cmd = table.remove(args, 1)
  if cmd == nil then err(M.usage.main) return 2 end
  if cmd == "-h" or cmd == "--help" or cmd == "help" then out(M.usage.main) return 0 end
  if cmd == "--version" then
    local calcinosis = require "calcinosis"
    out(calcinosis._VERSION, " (", rawget(_G, "jit") and _G.jit.version or _VERSION, ")\n")
    if calcinosis.REVISION then out("revision: ", calcinosis.REVISION, "\n") end
    out(("ruleset program format: %s %d\n"):format(M.RULESET_FORMAT.magic, M.RULESET_FORMAT.version))
    return 0
  end
  local handler = M.commands[cmd]
  if not handler then
    local names = {}
    for k in pairs(M.commands) do names[#names + 1] = k end
    table.sort(names)
    local hint = cmd:sub(1, 2) == "--" and did_you_mean(cmd:sub(3), { "help", "version" }, "--")
      or did_you_mean(cmd, names)
    return usage_error(nil, ("unknown command '%s'%s"):format(cmd, hint))
  end
  local ok, status = xpcall(function() return handler(args) end, debug.traceback)
  if not ok then
    err("calcinosis ", cmd, ": internal error: ", tostring(status), "\n")
    return 3
  end
  return status
end

--- Runs the command line `argv` (without the program name) and returns the
-- exit status: 0 all well, 1 some input had problems, 2 usage, input or
-- output error (a write to standard output that failed, e.g. to a full
-- disk, is reported naming it, whatever the command; 3 an internal error).
-- @tparam {string,...} argv
-- @treturn integer
function M.main(argv)
  local status = run_main(argv)
  local werr = require("calcinosis.core").stdout_error()
  if werr then
    local cmd = argv[1] and M.commands[argv[1]] and (" " .. argv[1]) or ""
    err("calcinosis", cmd, ": standard output: ", werr, "\n")
    return status == 3 and 3 or 2
  end
  return status
end

--- Whether JSON text holds an object (its first character, after a UTF-8
-- byte-order mark and spaces, is `{`): a patient file holding a list or a
-- number is refused, not read as a patient.
-- @tparam string text
-- @treturn boolean
function M.json_object_text(text)
  return text:gsub("^\239\187\191", ""):match("^%s*{") ~= nil
end

--- Closes an output file opened for a command (nothing for standard output,
-- which `main` checks): false after printing the write error, naming the file.
-- @tparam string cmd the command, for the message
-- @param o the file
-- @tparam[opt] string path its name
-- @treturn boolean
function M.close_output(cmd, o, path)
  if o == io.stdout then return true end
  local ok, e = o:close()
  if ok then return true end
  err("calcinosis ", cmd, ": ", path or "output", ": ", tostring(e or "write error"), "\n")
  return false
end

--- Subcommand handlers by name (each takes the argument list, returns a status).
M.commands = {
  labs = M.labs,
  convert = M.convert,
  classify = function(args) return require("calcinosis.cli_cohort").classify(args) end,
  compare = function(args) return require("calcinosis.cli_cohort").compare(args) end,
  sweep = function(args) return require("calcinosis.cli_cohort").sweep(args) end,
  validate = function(args) return require("calcinosis.cli_validate").main(args) end,
  report = function(args) return require("calcinosis.cli_report").main(args) end,
  describe = function(args) return require("calcinosis.cli_describe").main(args) end,
}

--- Checks a report format (`report --format`, `--report` of compare,
-- sweep and validate).
-- @tparam string cmd the command
-- @tparam string format
-- @treturn integer|nil nil when the format is known, else 2 after the usage error
function M.check_report_format(cmd, format)
  for _, f in ipairs(require("calcinosis.report").formats) do if f == format then return nil end end
  return usage_error(cmd, ("report format must be text, md, html, json or latex, got '%s'"):format(tostring(format)))
end

--- Writes a report document (`calcinosis.report.write`) to `output` or
-- standard output: text in colour when standard output is a terminal and
-- NO_COLOR is not set; Markdown to standard output has no figures (they are
-- files beside -o FILE), which is said on standard error.
-- @tparam string cmd the command
-- @tparam table doc
-- @tparam string format
-- @tparam[opt] string output
-- @treturn integer 0, or 2 when the file cannot be written
function M.write_report(cmd, doc, format, output)
  local to_stdout = output == nil or output == "-"
  local no_color = os.getenv("NO_COLOR")
  local color = to_stdout and format == "text" and (no_color == nil or no_color == "")
    and require("calcinosis.core").isatty(1)
  if to_stdout and format == "md" and #require("calcinosis.report.document").figures(doc) > 0 then
    err("calcinosis ", cmd, ": Markdown on standard output has no figures; give -o FILE to write them beside it\n")
  end
  local ok, e = require("calcinosis.report").write(doc, format, output, { color = color })
  if not ok then err("calcinosis ", cmd, ": ", tostring(e), "\n") return 2 end
  return 0
end

--- Prints the warnings of a loaded ruleset (unknown terms with "did you
-- mean", odd source keys) to standard error as "calcinosis CMD: warning:
-- FILE: ...", unless `silent` (--no-warnings).
-- @tparam string cmd the command
-- @tparam string|nil path the --rules argument (nil for the default)
-- @tparam table rs the ruleset
-- @tparam[opt] boolean silent
function M.print_warnings(cmd, path, rs, silent)
  if silent then return end
  for _, w in ipairs(rs.warnings or {}) do
    err("calcinosis ", cmd, ": warning: ", path or "default", ": ", w, "\n")
  end
end

M.parse_opts = parse_opts
M.did_you_mean = did_you_mean
M.usage_error = usage_error
M.DISCLAIMER = DISCLAIMER

--- One CSV line (without its line end) of the given fields, for every CSV
-- the commands write in Lua (compare, sweep, validate): each field is
-- quoted as the C output quotes it (`core.csv_field`: in quotes, `"`
-- doubled, when it holds `,`, `"`, CR or LF), so a rule id, subtype or
-- ruleset name with those never shifts the columns.
-- @tparam {string|number,...} fields
-- @treturn string
function M.csv_row(fields)
  local field = require("calcinosis.core").csv_field
  local t = {}
  for i = 1, #fields do t[i] = field(tostring(fields[i])) end
  return table.concat(t, ",")
end

return M
