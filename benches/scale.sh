#!/usr/bin/env bash
# Scale benchmark of the whole pipeline: synthetic drives of N km, wall time per step (from the
# run summary, `zwilling run --json`), CPU time and peak RSS (/usr/bin/time -v).
#
#   benches/scale.sh [KM ...]          default: 1 2   (issue 8 target run: benches/scale.sh 10 20)
#   ZW=path/to/zwilling  WORK=dir  THREADS=n  POINTS_PER_KM=n (default 10000000: 10 km = 100 M points)
#
# Prints one markdown table row per step and per length (wall and CPU time, throughput, the step's own peak RSS —
# the pipeline resets the kernel's high-water mark before each step); total CPU and peak RSS from /usr/bin/time -v. Results also in $WORK/scale-<km>km.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ZW=${ZW:-target/release/zwilling}
WORK=${WORK:-$(mktemp -d /tmp/zwilling-scale.XXXXXX)}
THREADS=${THREADS:-$(nproc)}
POINTS_PER_KM=${POINTS_PER_KM:-10000000}
KMS=("$@"); [ ${#KMS[@]} -eq 0 ] && KMS=(1 2)
[ -x "$ZW" ] || cargo build --release
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
echo "# zwilling pipeline scale benchmark — $(nproc) cores, $THREADS threads, $(date -u +%FT%TZ), work in $WORK"
echo "| km | points | step | wall s | CPU s | M points/s | peak RSS MB |"
echo "|---:|---:|---|---:|---:|---:|---:|"
for km in "${KMS[@]}"; do
  d="$WORK/${km}km"; mkdir -p "$d"
  m=$(python3 -c "print(int(float('$km')*1000))")
  n=$(python3 -c "print(int(float('$km')*$POINTS_PER_KM))")
  if [ ! -f "$d/survey/scene.laz" ]; then
    /usr/bin/time -v -o "$d/synth-time.txt" "$ZW" -q synth --length "$m" --points "$n" --no-images --out "$d/survey"
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
  python3 - "$km" "$d/summary.json" "$d/time.txt" <<'PY'
import json, re, sys
km, s, t = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read()
usage = {u["id"]: u for u in s.get("usage", [])}
for st in s["steps"]:
    pps = st.get("points_per_second")
    u = usage.get(st["id"], {})
    cpu = f"{u['cpu_seconds']:.1f}" if u else ""
    rss = f"{u['peak_rss_mb']:.0f}" if u else ""
    pps = f"{pps / 1e6:.2f}" if pps else ""
    print(f"| {km} | {s['points']} | {st['id']} | {st['seconds']:.1f} | {cpu} | {pps} | {rss} |")
g = lambda k: re.search(k + r".*?: (.*)", t).group(1)
rss = int(g("Maximum resident set size")) / 1024
cpu = float(g("User time")) + float(g("System time"))
print(f"| {km} | {s['points']} | **total** | {s['seconds']:.1f} | {cpu:.0f} | | {rss:.0f} |")
PY
done
