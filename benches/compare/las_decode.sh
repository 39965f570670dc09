#!/usr/bin/env bash
# LAZ decode throughput: zwilling's LasReader (all fields of the full point records into point
# columns) against laspy 2.x + lazrs with the LazrsParallel backend, on the same file in the same
# run, with the same number of threads. Prints points/s, CPU time and peak RSS of each and the ratio.
#
# Usage: benches/compare/las_decode.sh [POINTS=20000000] [REPEATS=3] [THREADS=2]
# Env:   LAS_BENCH_DIR  where the test LAZ is kept (default target-lasio/bench; made once with the
#                       make_big_laz example, point format 7, 50 000-point chunks)
#        LAS_BENCH_PY   python with laspy + lazrs (default: benches/compare/.venv, created here)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
points=${1:-20000000}
repeats=${2:-3}
threads=${3:-2}
dir=${LAS_BENCH_DIR:-$root/target-lasio/bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target-lasio}
mkdir -p "$dir"
laz="$dir/big_${points}.laz"

# Python side: own venv with laspy 2.x + lazrs (numpy comes with laspy).
py=${LAS_BENCH_PY:-}
if [ -z "$py" ]; then
  venv="$root/benches/compare/.venv"
  if ! "$venv/bin/python" -c 'import laspy, lazrs' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'laspy[lazrs]>=2.5,<3'
  fi
  py="$venv/bin/python"
fi

(cd "$root" && cargo build -q --release -p zwilling-io --example las_decode --example make_big_laz)
ours="$CARGO_TARGET_DIR/release/examples/las_decode"
if [ ! -s "$laz" ]; then
  "$CARGO_TARGET_DIR/release/examples/make_big_laz" "$laz" "$points"
fi
cat "$laz" >/dev/null # page cache: both tools read from memory

echo "file: $laz ($(du -h "$laz" | cut -f1), $points points), threads: $threads, repeats: $repeats (best wall time kept)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "laspy $("$py" -c 'import laspy; print(laspy.__version__)'), lazrs $("$py" -m pip show lazrs 2>/dev/null | awk '/^Version/{print $2}')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME CMD...: one timed run; appends "name wall cpu rss_kb points" to $results.
results=$(mktemp)
trap 'rm -f "$results" "$results".*' EXIT
run() {
  local name=$1
  shift
  /usr/bin/time -v -o "$results.time" "$@" >"$results.out"
  local line rss
  line=$(tail -n1 "$results.out")
  rss=$(awk -F': ' '/Maximum resident/{print $2}' "$results.time")
  echo "$name $(echo "$line" | cut -f3) $(echo "$line" | cut -f4) $rss $(echo "$line" | cut -f2)" >>"$results"
}
export RAYON_NUM_THREADS=$threads
for _ in $(seq "$repeats"); do
  run zwilling "$ours" --threads "$threads" "$laz"
  run laspy "$py" "$root/benches/compare/las_decode.py" "$laz"
  run laspy+xyz "$py" "$root/benches/compare/las_decode.py" --xyz "$laz"
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

# Best wall time per tool (CPU time and RSS of that run).
sort -k1,1 -k2,2g "$results" | awk -v ref=zwilling '
  !($1 in wall) { wall[$1] = $2; cpu[$1] = $3; rss[$1] = $4; n[$1] = $5; order[++k] = $1 }
  END {
    printf "%-10s %12s %9s %9s %11s %13s %12s\n", "tool", "points", "wall s", "CPU s", "M pts/s", "M pts/CPU-s", "peak RSS MB"
    for (i = 1; i <= k; i++) {
      t = order[i]
      printf "%-10s %12d %9.3f %9.2f %11.3f %13.3f %12.1f\n", t, n[t], wall[t], cpu[t], n[t] / wall[t] / 1e6, n[t] / cpu[t] / 1e6, rss[t] / 1024
    }
    for (i = 1; i <= k; i++) {
      t = order[i]
      if (t != ref) printf "ratio zwilling / %-9s  throughput (wall) %.2fx   per CPU-second %.2fx\n", t, wall[t] / wall[ref], cpu[t] / cpu[ref]
    }
  }'
