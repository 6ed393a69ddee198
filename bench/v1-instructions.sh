#!/bin/sh
# Instructions of bench-v1 (valgrind callgrind, which counts instructions:
# unlike timings, not disturbed by other load on the machine or by the 10 ms
# timer of /usr/bin/time), for a baseline commit and this checkout, side by
# side in one run:
#
#   sh bench/v1-instructions.sh [BASE] [N1] [N2]
#
# BASE (default 22b8e1f, main when the fourth speed session began) is taken
# out of git into a temporary folder and built there. A bench-v1 cohort of N2
# rows (default 100000; N1 default 20000) is generated with
# ../shared/bench/gen_cohort.lua (SHARED=DIR: the shared bench folder), and
# `bin/calcinosis classify` runs the bench-v1 command (bench/bench-v1) under
# callgrind on its header alone, on its first N1 rows and on all N2 rows:
#
#   start-up   the header-only run: everything before the first row
#              (loading the library, compiling bench/bench-v1.lua, the plan)
#   per row    (instructions at N2 - instructions at N1) / (N2 - N1)
#
# and, for 1,000,000 rows, start-up + 10^6 x per row. Both checkouts write
# the same bytes (cmp, printed). Counts vary by about 1% from run to run (the
# seed of Lua's string hashes is drawn at start; address randomization is off).
# Needs valgrind (apt-get install valgrind).
set -eu
cd "$(dirname "$0")/.."
BASE=${1:-22b8e1f}
N1=${2:-20000}
N2=${3:-100000}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
shared=${SHARED:-"$PWD/../shared/bench"}
[ -f "$shared/gen_cohort.lua" ] || { echo "no bench-v1 generator at $shared/gen_cohort.lua (set SHARED)" >&2; exit 2; }
make -s
TMP=$(mktemp -d "${TMPDIR:-/tmp}/calcinosis-v1ins.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
mkdir "$TMP/base"
# (tools/: the bytecode build of later commits; older ones have none)
paths="lua src bin bench Makefile"
git cat-file -e "$BASE:tools" 2>/dev/null && paths="$paths tools"
# shellcheck disable=SC2086 # the paths, split
git archive "$BASE" $paths | tar -x -C "$TMP/base"
make -s -C "$TMP/base" >/dev/null
lua5.4 "$shared/gen_cohort.lua" "$N2" 20261121 > "$TMP/all.csv"
head -n 1 "$TMP/all.csv" > "$TMP/rows0.csv"
head -n $((N1 + 1)) "$TMP/all.csv" > "$TMP/rows1.csv"

# total instructions of one run: CHECKOUT INPUT OUT
count() {
  setarch "$(uname -m)" -R valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" \
    lua5.4 "$1/bin/calcinosis" classify --quiet --rules "$1/bench/bench-v1.lua" \
    --columns 'id,type,score,fired,ca_corr:%.2f,ca_x_p:%.1f,egfr:%.0f' -o "$3" "$2" \
    >/dev/null 2>"$TMP/vg.err" || [ $? -eq 1 ] || { cat "$TMP/vg.err" >&2; exit 1; }
  sed -n 's/^summary: *//p' "$TMP/cg.out"
}
printf '# bench-v1 instructions (callgrind; start-up: header only; per row: %d and %d rows), baseline %s and this checkout\n' \
  "$N1" "$N2" "$BASE"
printf '%-12s %16s %16s %8s\n' what baseline now ratio
for v in base now; do
  dir=$TMP/base; [ "$v" = now ] && dir=$PWD
  s=$(count "$dir" "$TMP/rows0.csv" "$TMP/$v-0.csv")
  a=$(count "$dir" "$TMP/rows1.csv" "$TMP/$v-1.csv")
  b=$(count "$dir" "$TMP/all.csv" "$TMP/$v-2.csv")
  eval "${v}_start=$s ${v}_row=$(( (b - a) / (N2 - N1) ))"
done
# shellcheck disable=SC2154 # set by eval above
{
  printf '%-12s %16d %16d %7.2fx\n' start-up "$base_start" "$now_start" "$(echo "$base_start / $now_start" | bc -l)"
  printf '%-12s %16d %16d %7.2fx\n' "per row" "$base_row" "$now_row" "$(echo "$base_row / $now_row" | bc -l)"
  b1=$((base_start + 1000000 * base_row)); n1=$((now_start + 1000000 * now_row))
  printf '%-12s %16d %16d %7.2fx\n' "1M rows" "$b1" "$n1" "$(echo "$b1 / $n1" | bc -l)"
}
if cmp -s "$TMP/base-2.csv" "$TMP/now-2.csv"; then echo "# outputs ($N2 rows): same bytes"
else echo "# outputs ($N2 rows): DIFFERENT"; exit 1; fi
