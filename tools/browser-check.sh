#!/bin/sh
# The browser check of the HTML reports: makes a patient, a cohort, a
# comparison, a sweep and a validation report (build/browser/*.html), opens
# each in Debian's chromium (headless), takes a screenshot (build/browser/*.png)
# and checks that it rendered: a non-trivial screenshot, the expected
# headings and chart elements in the DOM (--dump-dom), no console error
# ("Uncaught", "ERROR:CONSOLE" in the log).
# Usage: sh tools/browser-check.sh [OUTDIR]   (from the checkout; needs make first)
set -u
cd "$(dirname "$0")/.." || exit 2
OUT=${1:-build/browser}
mkdir -p "$OUT"
CAL="lua5.4 bin/calcinosis"
CHROMIUM=${CHROMIUM:-chromium}
command -v "$CHROMIUM" >/dev/null 2>&1 || { echo "browser check: no $CHROMIUM"; exit 1; }
fail=0

# the example patients as one NDJSON cohort with their expected types (for validate)
lua5.4 -e 'package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
  local json = require "calcinosis.json"
  local p = assert(io.popen("ls examples/patients/*.json"))
  for f in p:lines() do local h = assert(io.open(f)); io.write(json.encode(json.decode(h:read("a"))), "\n"); h:close() end
  p:close()' > "$OUT/truth.ndjson" || exit 1

make_report() { # NAME COMMAND...
  name=$1; shift
  "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  if [ "$rc" -gt 1 ] || [ ! -s "$OUT/$name.html" ]; then
    echo "not ok - $name report: exit $rc"; sed 's/^/    /' "$OUT/$name.log"; fail=1
  fi
}
make_report patient $CAL report examples/lab-patient.json --format html -o "$OUT/patient.html"
make_report cohort $CAL report --cohort examples/cohort.csv --format html -o "$OUT/cohort.html"
make_report comparison $CAL compare --rules default --rules examples/variant_strict.lua --report html -o "$OUT/comparison.html" examples/cohort.csv
make_report sweep $CAL sweep --param ca_x_p_limit=50:80:5 --report html -o "$OUT/sweep.html" examples/cohort.csv
make_report validation $CAL validate --truth expected_type --rules default --rules examples/variant_strict.lua --report html -o "$OUT/validation.html" "$OUT/truth.ndjson"

FLAGS="--headless --no-sandbox --disable-gpu --disable-background-networking --enable-logging=stderr --v=0"
# check NAME "HEADING|HEADING" "CHART CHART"
check() {
  name=$1 headings=$2 charts=$3
  url="file://$(pwd)/$OUT/$name.html"
  # shellcheck disable=SC2086
  timeout 120 "$CHROMIUM" $FLAGS --window-size=1200,1600 --screenshot="$OUT/$name.png" "$url" >"$OUT/$name.shot.log" 2>&1
  # shellcheck disable=SC2086
  timeout 120 "$CHROMIUM" $FLAGS --dump-dom "$url" >"$OUT/$name.dom" 2>"$OUT/$name.console.log"
  problems=""
  size=$(wc -c <"$OUT/$name.png" 2>/dev/null || echo 0)
  [ "$size" -gt 20000 ] || problems="$problems screenshot of $size bytes;"
  [ -s "$OUT/$name.dom" ] || problems="$problems empty DOM;"
  old_ifs=$IFS; IFS='|'
  for h in $headings; do
    grep -q "<h[1-4][^>]*>$h</h[1-4]>" "$OUT/$name.dom" || grep -q "<caption>$h" "$OUT/$name.dom" || problems="$problems no heading '$h';"
  done
  IFS=$old_ifs
  for c in $charts; do
    grep -q "<svg [^>]*class=\"chart chart-$c\"" "$OUT/$name.dom" || problems="$problems no $c chart;"
  done
  grep -q 'role="img"' "$OUT/$name.dom" || problems="$problems no role=img;"
  if grep -E 'Uncaught|ERROR:CONSOLE' "$OUT/$name.console.log" "$OUT/$name.shot.log" >/dev/null; then
    problems="$problems console errors;"
  fi
  if [ -n "$problems" ]; then
    echo "not ok - browser: $name report:$problems"; fail=1
  else
    echo "ok - browser: $name report rendered ($size-byte screenshot $OUT/$name.png)"
  fi
}
check patient "Patient report: example-1|Result|Evidence|Laboratory values|References|Research tool statement" "range_band"
check cohort "Subtype counts|Rules: fired and not evaluable|Lab distributions by subtype|Data completeness|Records with problems" "bar box"
check comparison "Comparison report: examples/cohort.csv|Counts per ruleset|calcinosis-default vs bench-v1-strict" "bar heatmap"
check sweep "Subtype counts|Rule fires" "line"
check validation "Ruleset calcinosis-default|Validation table per subtype|McNemar.s test between rulesets" "forest heatmap"
exit $fail
