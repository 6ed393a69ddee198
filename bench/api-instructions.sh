#!/bin/sh
# Instructions per call of the single-patient API (valgrind callgrind, which
# counts instructions: unlike timings, not disturbed by other load on the
# machine), for a baseline commit and this checkout, side by side in one run:
#
#   sh bench/api-instructions.sh [BASE] [N1] [N2]
#
# BASE (default 702182c, main before the third single-patient speed work) is
# taken out of git into a temporary folder and built there. For each call
# (calcinosis.classify, ruleset:classify, calcinosis.labs) bench/api.lua runs
# under callgrind with N1 and with N2 patients (defaults 200 and 600), and
# once more each making the same patients without calling anything
# (API_ONLY=none); the difference of the two totals, less that of making the
# patients, divided by the number of calls it adds (bench/api.lua calls each
# patient of the first batch of 1000 twice, warm-up and timed), is the cost
# of one call, without start-up (loading the library, compiling the ruleset).
# Then (TIMES, default 20000; 0 skips it) bench/api.lua's own timings with
# TIMES patients, baseline and this checkout alternately, RUNS times each
# (default 3), and the fastest and the median run of each: CPU seconds,
# which other load on the machine disturbs (hence the counts; COUNTS=0
# skips them).
# Needs valgrind (apt-get install valgrind).
set -eu
cd "$(dirname "$0")/.."
BASE=${1:-702182c}
N1=${2:-200}
N2=${3:-600}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
make -s
TMP=$(mktemp -d "${TMPDIR:-/tmp}/calcinosis-apiins.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
# (tools/: the bytecode build of later commits; older ones have none)
paths="lua src Makefile"
git cat-file -e "$BASE:tools" 2>/dev/null && paths="$paths tools"
# shellcheck disable=SC2086 # the paths, split
git archive "$BASE" $paths | tar -x -C "$TMP"
make -s -C "$TMP" >/dev/null

# total instructions of one run: ROOT (lua/ and build/5.4), CALL, N
count() {
  CALCINOSIS_ROOT=$1 API_ONLY=$2 valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" \
    lua5.4 bench/api.lua "$3" >/dev/null 2>"$TMP/vg.err" || { cat "$TMP/vg.err" >&2; exit 1; }
  sed -n 's/^summary: *//p' "$TMP/cg.out"
}
calls() { w=$1; [ "$w" -gt 1000 ] && w=1000; echo $(( $1 + w )); }
per_call() {
  a=$(count "$1" "$2" "$N1"); b=$(count "$1" "$2" "$N2")
  echo $(( (b - a - GEN) / ($(calls "$N2") - $(calls "$N1")) ))
}
if [ "${COUNTS:-1}" != 0 ]; then
  GEN=$(( $(count "$PWD" none "$N2") - $(count "$PWD" none "$N1") ))
  printf '# instructions per call (callgrind, N = %d and %d), baseline %s and this checkout\n' "$N1" "$N2" "$BASE"
  printf '%-30s %14s %14s %8s\n' call baseline now ratio
  for c in classify ruleset labs; do
    old=$(per_call "$TMP" "$c")
    new=$(per_call "$PWD" "$c")
    case $c in classify) name="calcinosis.classify(patient)";; ruleset) name="ruleset:classify(patient)";;
      labs) name="calcinosis.labs(patient)";; esac
    printf '%-30s %14d %14d %7.2fx\n' "$name" "$old" "$new" "$(echo "$old / $new" | bc -l)"
  done
  echo
fi

TIMES=${TIMES:-20000}
RUNS=${RUNS:-3}
[ "$TIMES" -gt 0 ] || exit 0
printf '# microseconds per call (bench/api.lua %d, os.clock), %d runs each, alternating\n' "$TIMES" "$RUNS"
for r in $(seq "$RUNS"); do
  for v in baseline now; do
    root=$TMP; [ "$v" = now ] && root=$PWD
    CALCINOSIS_ROOT=$root lua5.4 bench/api.lua "$TIMES" | sed -n 's/^\(c[a-z.]*(patient)\|ruleset:classify(patient)\) *\([0-9.]*\) us.*/\1 \2/p' |
      while read -r name us; do printf '%-9s run %d  %-30s %8s us\n' "$v" "$r" "$name" "$us"; done
  done
done | tee "$TMP/times"
# the fastest and the median run of each (other load only ever makes a run slower)
printf '\n%-30s %22s %22s\n' call "baseline fastest/median" "now fastest/median"
for name in "calcinosis.classify(patient)" "ruleset:classify(patient)" "calcinosis.labs(patient)"; do
  for v in baseline now; do
    awk -v v="$v" -v n="$name" '$1 == v && $4 == n { print $5 }' "$TMP/times" | sort -n |
      awk '{ x[NR] = $1 } END { printf "%s %s\n", x[1], x[int((NR + 1) / 2)] }'
  done | { read -r bf bm; read -r nf nm; printf '%-30s %10s %10s us %10s %10s us\n' "$name" "$bf" "$bm" "$nf" "$nm"; }
done
