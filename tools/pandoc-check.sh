#!/bin/sh
# The pandoc check: runs examples/pandoc/calcinosis-filter.lua with pandoc
# (Debian's pandoc 2.17 embeds Lua 5.3; the caller puts the Lua 5.3 build of
# calcinosis on LUA_PATH / LUA_CPATH) over examples/pandoc/example.md, and
# checks the full patient report and the cohort table in the Markdown, in
# HTML and in a .docx (its word/document.xml).
# Usage: sh tools/pandoc-check.sh OUTDIR   (from the checkout)
set -eu
cd "$(dirname "$0")/.."
OUT=$1
mkdir -p "$OUT"
F=examples/pandoc/calcinosis-filter.lua
IN=examples/pandoc/example.md
pandoc --lua-filter "$F" -t markdown "$IN" -o "$OUT/pandoc.md"
pandoc --lua-filter "$F" -s --metadata title=calcinosis "$IN" -o "$OUT/pandoc.html"
pandoc --lua-filter "$F" "$IN" -o "$OUT/pandoc.docx"
unzip -p "$OUT/pandoc.docx" word/document.xml > "$OUT/document.xml"
need() { # FILE TEXT...
  file=$1; shift
  for t in "$@"; do
    grep -qF -- "$t" "$file" || { echo "$file lacks: $t"; exit 1; }
  done
}
need "$OUT/pandoc.md" "## Patient report: example-1" "**Type: metastatic (score 11); confidence high (1.00)**" \
  "### Laboratory values" "metastatic.known_cause" "### References" "Reiter N" "is not an age" \
  "### Research tool statement" "Research tool, not a diagnosis" "## Cohort report: examples/cohort.csv" "### Subtype counts"
need "$OUT/pandoc.html" ">Patient report: example-1</h2>" ">Laboratory values</h3>" ">Evidence</h3>" \
  ">Subtype counts</h3>" "<table" "Research tool, not a diagnosis"
need "$OUT/document.xml" "Patient report: example-1" "Laboratory values" "Evidence" "References" "Subtype counts" \
  "Research tool statement" "metastatic.known_cause"
echo "pandoc: the full patient report and the cohort table in Markdown, HTML and .docx"
