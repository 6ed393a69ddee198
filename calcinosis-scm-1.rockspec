rockspec_format = "3.0"
package = "calcinosis"
version = "scm-1"
source = {
  url = "git+https://example.invalid/calcinosis.git",
}
description = {
  summary = "Calcinosis cutis classification and lab-value logic: a C core with a Lua face",
  detailed = [[
calcinosis classifies calcinosis cutis (dystrophic, metastatic, idiopathic,
iatrogenic, calciphylaxis, indeterminate) from labs, findings and sites, with
units, reference ranges, derived values (albumin-corrected calcium, Ca x P,
eGFR, KDIGO stage) and a rule language compiled into programs the C core
verifies and runs. A research tool, not a diagnosis.
]],
  license = "MIT",
  labels = { "medicine", "clinical", "rules", "units" },
}
-- LPeg (>= 1.0) is needed by the rule language. It is not listed here so
-- that `luarocks make` works offline against Debian's lua-lpeg package, which
-- LuaRocks cannot see as a rock; elsewhere run `luarocks install lpeg` first.
dependencies = {
  "lua >= 5.3, < 5.5",
}
build = {
  type = "builtin",
  modules = {
    -- BEGIN MODULES (tools/update-rockspec.lua writes this list)
    ["calcinosis.core"] = {
      sources = {
        "src/analytes.c",
        "src/cohort.c",
        "src/csv.c",
        "src/derived.c",
        "src/engine.c",
        "src/jobs.c",
        "src/lcal_engine.c",
        "src/lcalcinosis.c",
        "src/longcsv.c",
        "src/ndjson.c",
        "src/output.c",
        "src/record.c",
        "src/result.c",
        "src/source.c",
        "src/termmap.c",
        "src/units.c",
        "src/vm.c",
      },
      libraries = { "m" },
      incdirs = { "src" },
    },
    ["calcinosis.classify"] = "lua/calcinosis/classify.lua",
    ["calcinosis.cli"] = "lua/calcinosis/cli.lua",
    ["calcinosis.cli_cohort"] = "lua/calcinosis/cli_cohort.lua",
    ["calcinosis.cohort"] = "lua/calcinosis/cohort.lua",
    ["calcinosis.compare"] = "lua/calcinosis/compare.lua",
    ["calcinosis.engine"] = "lua/calcinosis/engine.lua",
    ["calcinosis"] = "lua/calcinosis/init.lua",
    ["calcinosis.json"] = "lua/calcinosis/json.lua",
    ["calcinosis.knowledge"] = "lua/calcinosis/knowledge.lua",
    ["calcinosis.labs"] = "lua/calcinosis/labs.lua",
    ["calcinosis.ranges"] = "lua/calcinosis/ranges.lua",
    ["calcinosis.report"] = "lua/calcinosis/report.lua",
    ["calcinosis.result"] = "lua/calcinosis/result.lua",
    ["calcinosis.rules.compiler"] = "lua/calcinosis/rules/compiler.lua",
    ["calcinosis.rules.default"] = "lua/calcinosis/rules/default.lua",
    ["calcinosis.rules.explain"] = "lua/calcinosis/rules/explain.lua",
    ["calcinosis.rules"] = "lua/calcinosis/rules/init.lua",
    ["calcinosis.rules.parser"] = "lua/calcinosis/rules/parser.lua",
    ["calcinosis.util"] = "lua/calcinosis/util.lua",
    ["calcinosis.vocab"] = "lua/calcinosis/vocab.lua",
    -- END MODULES
  },
  install = {
    lua = {},
    bin = { calcinosis = "bin/calcinosis" },
  },
  copy_directories = {},
}
