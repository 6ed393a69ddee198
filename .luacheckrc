-- luacheck configuration
std = "lua54"
max_line_length = 150
codes = true
files["spec"] = { std = "+busted" }
files["bin/calcinosis"] = { std = "lua54" }
exclude_files = { "build/**", "spec/fixtures/bad/**" } -- hostile inputs, not code of the project
