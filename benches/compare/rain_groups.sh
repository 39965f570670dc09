#!/usr/bin/env bash
# Whole-grid vs catchment-group rain simulation (docs/benchmarks/rain-groups.md): the same DEM,
# storm and binary, `rain simulate` and `rain simulate --groups K`, CPU (user+sys) and wall time and
# peak RSS from /usr/bin/time -v, measured in the same run; prints the ratios and the max-depth
# difference between the two (numpy).
#
# Needs /usr/bin/python3 with GDAL + numpy (writes the DEM, compares the rasters).
# Usage: benches/compare/rain_groups.sh [SIDE=600] [K=4] [MINUTES=20]   (ZWILLING=binary to skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
SIDE=${1:-600}; K=${2:-4}; MIN=${3:-20}
W=${W:-/tmp/rain-groups-bench}; mkdir -p "$W"
if [ -z "${ZWILLING:-}" ]; then cargo build --release -q; ZWILLING=target/release/zwilling; fi
[ -f "$W/dem_$SIDE.tif" ] || /usr/bin/python3 benches/compare/rain_whitebox.py make-dem "$W/dem_$SIDE.tif" "$SIDE"
run() { # $1 = label, rest = extra args
  local label=$1; shift
  /usr/bin/time -v "$ZWILLING" -q rain simulate --dem "$W/dem_$SIDE.tif" --rain 60mm/15min --minutes "$MIN" \
    --flow-threshold 1000 -o "$W/$label" "$@" 2> "$W/$label.time"
  local cpu wall rss
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$W/$label.time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.2f", s}' "$W/$label.time")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$W/$label.time")
  echo "$label $cpu $wall $rss"
}
"$ZWILLING" -q rain partition --dem "$W/dem_$SIDE.tif" --groups "$K" -o "$W/partition"
/usr/bin/python3 - "$W/partition/plan.json" "$SIDE" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); n = int(sys.argv[2]) ** 2
print(f"{len(p['windows'])} groups, window cells {sum(w['cols'] * w['rows'] for w in p['windows']) / n:.2f} x the DEM,",
      "cells per group", [w['cells'] for w in p['windows']])
PY
A=$(run whole); B=$(run "groups$K" --groups "$K")
echo "label cpu_s wall_s peak_MB"; echo "$A"; echo "$B"
echo "$A $B" | awk '{printf "grouped/whole: CPU %.2fx, wall %.2fx, peak RSS %.2fx\n", $6 / $2, $7 / $3, $8 / $4}'
/usr/bin/python3 - "$W/whole" "$W/groups$K" <<'PY'
import sys, json
from osgeo import gdal
import numpy as np
a = gdal.Open(sys.argv[1] + "/max_depth.tif").ReadAsArray().astype(np.float64)
b = gdal.Open(sys.argv[2] + "/max_depth.tif").ReadAsArray().astype(np.float64)
d = np.abs(a - b); wet = a > 0.05
print(f"max depth: max |diff| {d.max():.4f} m, mean |diff| {d.mean():.5f} m, p99 {np.percentile(d, 99):.4f} m, "
      f"cells > 5 cm in the whole run {wet.sum()}, of them differing by > 1 cm {(d[wet] > 0.01).sum()}")
for lab in sys.argv[1:]:
    m = json.load(open(lab + "/mass_balance.json"))["mass_balance"]
    print(lab.split('/')[-1], "steps", m["steps"], "rain", round(m["rain_in_m3"], 3), "outflow", round(m["outflow_m3"], 3),
          "stored", round(m["final_storage_m3"], 3), "rel. error", m["relative_error"])
PY
