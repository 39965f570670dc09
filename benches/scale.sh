#!/usr/bin/env bash
# Scale benchmark of the whole pipeline: synthetic drives of N km, wall time per step (from the
# run summary, `zwilling run --json`), CPU time and peak RSS (/usr/bin/time -v).
#
#   benches/scale.sh [KM ...]          default: 1 2   (issue 8 target run: benches/scale.sh 10 20)
#   ZW=path/to/zwilling  WORK=dir  THREADS=n  STAGES="ground grid road rain tiles"
#
# Prints one markdown table row per step and per length; results also in $WORK/scale-<km>km.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ZW=${ZW:-target/release/zwilling}
WORK=${WORK:-$(mktemp -d /tmp/zwilling-scale.XXXXXX)}
THREADS=${THREADS:-$(nproc)}
KMS=("$@"); [ ${#KMS[@]} -eq 0 ] && KMS=(1 2)
[ -x "$ZW" ] || cargo build --release
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
echo "# zwilling pipeline scale benchmark — $(nproc) cores, $THREADS threads, $(date -u +%FT%TZ), work in $WORK"
echo "| km | points | step | wall s | M points/s |"
echo "|---:|---:|---|---:|---:|"
for km in "${KMS[@]}"; do
  d="$WORK/${km}km"; mkdir -p "$d"
  m=$(python3 -c "print(int(float('$km')*1000))")
  [ -f "$d/survey/scene.laz" ] || "$ZW" -q synth --length "$m" --no-images --out "$d/survey"
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
for st in s["steps"]:
    pps = st.get("points_per_second")
    print(f"| {km} | {s['points']} | {st['id']} | {st['seconds']:.1f} | {pps / 1e6:.2f} |" if pps else
          f"| {km} | {s['points']} | {st['id']} | {st['seconds']:.1f} | |")
g = lambda k: re.search(k + r".*?: (.*)", t).group(1)
rss = int(g("Maximum resident set size")) / 1024
cpu = float(g("User time")) + float(g("System time"))
print(f"| {km} | {s['points']} | **total** | {s['seconds']:.1f} | CPU {cpu:.0f} s, peak RSS {rss:.0f} MB |")
PY
done
