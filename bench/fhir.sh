#!/bin/sh
# FHIR Bulk Data read speed, side by side in one run (one core, taskset -c 0):
# builds Observation.ndjson (a few hundred MB) from the Synthea bundles of
# the shared data folder repeated with new ids (bench/fhir-gen.lua), in a
# temporary folder, then times on the same machine in the same run:
#   cat > /dev/null and wc -l of the file (the floor),
#   the NDJSON patient reader on flat.ndjson of about the same size,
#   calcinosis classify --input-format fhir --columns id on Observation.ndjson
#   (one core), on the whole folder (Patient + Observation), and --jobs 2.
# Prints MB/s for each, by wall time (best of 3) and by processor time (user +
# system, which other work on a shared machine disturbs less).
#
# Usage: sh bench/fhir.sh [MB]        (default 300)
#        FHIR_DATA=DIR                the bundles (default: ../shared/data/fhir/synthea)
#        BENCH_DIR=DIR                keep the files there (reused)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mb=${1:-300}
data=${FHIR_DATA:-"$here/../../shared/data/fhir/synthea"}
[ -d "$data" ] || data="$here/../shared/data/fhir/synthea"
[ -d "$data" ] || { echo "bench/fhir.sh: no Synthea bundles (set FHIR_DATA)" >&2; exit 2; }
if [ -n "${BENCH_DIR:-}" ]; then mkdir -p "$BENCH_DIR"; work=$(cd "$BENCH_DIR" && pwd)
else work=$(mktemp -d "${TMPDIR:-/tmp}/calcinosis-fhir.XXXXXX"); trap 'rm -rf "$work"' EXIT; fi
cd "$here/.."
make -s
calc="$here/../bin/calcinosis"
mkdir -p "$work/bulk"
[ -s "$work/bulk/Observation.ndjson" ] || lua5.4 bench/fhir-gen.lua "$data" "$work/bulk" "$mb"
mv -f "$work/bulk/flat.ndjson" "$work/flat.ndjson" 2>/dev/null || true
obs="$work/bulk/Observation.ndjson"
bytes=$(wc -c < "$obs")
fbytes=$(wc -c < "$work/flat.ndjson")
echo "# Observation.ndjson: $bytes bytes; flat.ndjson: $fbytes bytes; $(nproc) cores"
t() { # t BYTES LABEL CMD... : best of 3 by wall time; its processor time (user + system) beside
  b=$1; label=$2; shift 2
  best=
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" > /dev/null || true # exit 1: records with problems
    read -r w u s <<EOF
$(tail -n 1 "$work/time")
EOF
    if [ -z "$best" ] || [ "$(echo "$w < $best" | bc -l)" = 1 ]; then best=$w; cpu=$(echo "$u + $s" | bc -l); fi
  done
  printf '%-58s %7.2f s %7.1f MB/s   cpu %6.2f s %7.1f MB/s\n' "$label" "$best" \
    "$(echo "$b / 1000000 / $best" | bc -l)" "$cpu" "$(echo "$b / 1000000 / ($cpu + 0.001)" | bc -l)"
}
t "$bytes" "cat > /dev/null (Observation.ndjson)" taskset -c 0 cat "$obs"
t "$bytes" "wc -l (Observation.ndjson)" taskset -c 0 wc -l "$obs"
t "$fbytes" "NDJSON records, --columns id (flat.ndjson)" taskset -c 0 "$calc" classify --quiet --columns id "$work/flat.ndjson"
t "$bytes" "FHIR, --columns id (Observation.ndjson, 1 core)" taskset -c 0 "$calc" classify --quiet --input-format fhir --columns id "$obs"
t "$bytes" "FHIR, --columns id,type,calcium,calcium_date (1 core)" taskset -c 0 "$calc" classify --quiet --input-format fhir --columns id,type,calcium,calcium_date "$obs"
t "$bytes" "FHIR folder (Patient + Observation), --columns id (1 core)" taskset -c 0 "$calc" classify --quiet --input-format fhir --columns id "$work/bulk"
t "$bytes" "FHIR, --columns id, --jobs 2 (one process: read whole)" "$calc" classify --quiet --jobs 2 --input-format fhir --columns id "$obs"
