#!/bin/sh
# Benchmark of bench-v1 (../shared/bench/README.md): generates cohorts with
# ../shared/bench/gen_cohort.lua, runs `bench/bench-v1` (calcinosis classify
# with bench/bench-v1.lua) and the plain-Lua implementation bench/plain-v1.lua
# on each, checks that the outputs agree row by row with agree.lua, and
# prints wall time, rows per second and peak memory of both, one core each.
#
# Usage: sh bench/run.sh [N ...]          (default: 100000 1000000 10000000)
#        SEEDS="1 2" sh bench/run.sh 1000000  (several seeds)
#        PLAIN=0 sh bench/run.sh 10000000     (skip the plain-Lua run)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared="$here/../../shared/bench"
[ -d "$shared" ] || shared="$here/../shared/bench"
work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/calcinosis-bench.XXXXXX")}
sizes=${*:-"100000 1000000 10000000"}
seeds=${SEEDS:-20261121}
plain=${PLAIN:-1}
if command -v calcinosis >/dev/null 2>&1; then
  echo "# calcinosis: $(command -v calcinosis)"
else
  (cd "$here/.." && make -s)
  echo "# calcinosis: $here/../bin/calcinosis (not installed; the checkout's build)"
fi
measure() { # measure OUT CMD... -> "seconds maxrss_kb"
  out=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" taskset -c 0 "$@" > "$out"
  cat "$work/time"
}
row() { # N seed impl seconds kb note
  awk -v n="$1" -v seed="$2" -v impl="$3" -v s="$4" -v kb="$5" -v note="$6" \
    'BEGIN { printf "%-10s %-10s %-12s %10.2f %12.0f %10.1f   %s\n", n, seed, impl, s, n / (s > 0 ? s : 0.001), kb / 1024, note }'
}
printf '%-10s %-10s %-12s %10s %12s %10s   %s\n' N seed impl seconds rows/s peak_MiB check
for n in $sizes; do
  for seed in $seeds; do
    in="$work/cohort-$n-$seed.csv"
    [ -s "$in" ] || lua5.4 "$shared/gen_cohort.lua" "$n" "$seed" > "$in"
    set -- $(measure "$work/out-c.csv" "$here/bench-v1" "$in")
    c_s=$1; c_kb=$2
    if [ "$plain" = 1 ]; then
      set -- $(measure "$work/out-lua.csv" lua5.4 "$here/plain-v1.lua" "$in")
      l_s=$1; l_kb=$2
      check=$(lua5.4 "$shared/agree.lua" "$work/out-lua.csv" "$work/out-c.csv" | tail -n 1)
      row "$n" "$seed" calcinosis "$c_s" "$c_kb" "$check"
      row "$n" "$seed" plain-lua "$l_s" "$l_kb" "$(awk -v a="$l_s" -v b="$c_s" 'BEGIN { printf "speedup %.1fx", a / b }')"
    else
      row "$n" "$seed" calcinosis "$c_s" "$c_kb" "(plain-Lua skipped)"
    fi
  done
done
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
