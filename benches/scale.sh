#!/usr/bin/env bash
# Scale benchmark of the whole pipeline: synthetic drives of N km, wall time per step (from the
# run summary, `zwilling run --json`), CPU time and peak RSS (/usr/bin/time -v).
#
#   benches/scale.sh [KM ...]          default: 1 2   (issue 8 target run: benches/scale.sh 10 20)
#   ZW=path/to/zwilling  WORK=dir  THREADS=n  POINTS_PER_KM=n (default 10000000: 10 km = 100 M points)
#   HEADING=deg (default 90: the drive runs east, so the scene's bounding box — and every raster over
#   it — grows linearly with the length; the synth default of 68° makes the box grow with its square)
#
# Prints one markdown table row per step and per length (wall and CPU time, throughput, the step's own peak RSS —
# the pipeline resets the kernel's high-water mark before each step); total CPU from /usr/bin/time -v, the run's
# peak RSS from its summary. Results also in $WORK/scale-<km>km.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ZW=${ZW:-target/release/zwilling}
WORK=${WORK:-$(mktemp -d /tmp/zwilling-scale.XXXXXX)}
THREADS=${THREADS:-$(nproc)}
POINTS_PER_KM=${POINTS_PER_KM:-10000000}
HEADING=${HEADING:-90}
KMS=("$@"); [ ${#KMS[@]} -eq 0 ] && KMS=(1 2)
[ -x "$ZW" ] || cargo build --release
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
echo "# zwilling pipeline scale benchmark — $(nproc) cores, $THREADS threads, heading $HEADING°, $(date -u +%FT%TZ), work in $WORK"
echo "| km | points | step | wall s | CPU s | M points/s | peak RSS MB |"
echo "|---:|---:|---|---:|---:|---:|---:|"
for km in "${KMS[@]}"; do
  d="$WORK/${km}km-h${HEADING}"; mkdir -p "$d"
  m=$(python3 -c "print(int(float('$km')*1000))")
  n=$(python3 -c "print(int(float('$km')*$POINTS_PER_KM))")
  if [ ! -f "$d/survey/scene.laz" ]; then
    /usr/bin/time -v -o "$d/synth-time.txt" "$ZW" -q synth --length "$m" --points "$n" --heading "$HEADING" --no-images --out "$d/survey"
  fi
  cat > "$d/pipeline.toml" <<TOML
[input]
clouds = ["survey/scene.laz"]
trajectory = "survey/trajectory.csv"
buildings = "survey/buildings.geojson"
[output]
dir = "out"
[ground]
[grid]
res = 0.5
products = ["dtm", "dsm", "intensity"]
[road]
[rain]
rain = "90mm/1h"
res = 2.0
args = ["--minutes", "60"]
[tiles]
[report]
TOML
  /usr/bin/time -v -o "$d/time.txt" "$ZW" -q --threads "$THREADS" run "$d/pipeline.toml" --force --json > "$d/summary.json"
  cp "$d/summary.json" "$WORK/scale-${km}km.json"
  python3 - "$km" "$d/summary.json" "$d/time.txt" "$d/synth-time.txt" <<'PY'
import json, os, re, sys
km, s, t = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read()
def usage_of(text):
    g = lambda k: re.search(k + r".*?: (.*)", text).group(1)
    wall = g("Elapsed \\(wall clock\\) time")
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
    return secs, float(g("User time")) + float(g("System time")), int(g("Maximum resident set size")) / 1024
if os.path.exists(sys.argv[4]):
    w, c, r = usage_of(open(sys.argv[4]).read())
    print(f"| {km} | {s['points']} | synth (not in the pipeline) | {w:.1f} | {c:.1f} | | {r:.0f} |")
usage = {u["id"]: u for u in s.get("usage", [])}
for st in s["steps"]:
    pps = st.get("points_per_second")
    u = usage.get(st["id"], {})
    cpu = f"{u['cpu_seconds']:.1f}" if u else ""
    rss = f"{u['peak_rss_mb']:.0f}" if u else ""
    pps = f"{pps / 1e6:.2f}" if pps else ""
    print(f"| {km} | {s['points']} | {st['id']} | {st['seconds']:.1f} | {cpu} | {pps} | {rss} |")
g = lambda k: re.search(k + r".*?: (.*)", t).group(1)
# The run's peak from its own summary: the pipeline resets the kernel's high-water mark before each
# step, which also resets what /usr/bin/time reports (its "Maximum resident" is then the last steps' peak).
rss = max(int(g("Maximum resident set size")) / 1024, s.get("peak_rss_mb") or 0)
cpu = float(g("User time")) + float(g("System time"))
print(f"| {km} | {s['points']} | **total** | {s['seconds']:.1f} | {cpu:.0f} | | {rss:.0f} |")
PY
done
