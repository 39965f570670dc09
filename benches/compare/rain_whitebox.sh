#!/usr/bin/env bash
# Fill and D8 flow accumulation: zwilling-rain vs whitebox-workflows 2.0.6 (PyPI) on the same
# synthetic 1 m DEM (SIDE x SIDE cells, default 5000 x 5000 = 25 M), in the same run; prints
# cells/s of both and the ratios, plus CPU time (user+sys) and peak RSS of each tool's process.
# Needs system python3 with GDAL + numpy (writes the DEM) and network access to PyPI once.
# Like with like: "D8 accumulation from pointer" times accumulation alone on both sides (a D8
# pointer grid already in memory -> f64 cell counts); "directions + accumulation" includes the
# direction computation on both sides (whitebox on its flat-gradient fill, ours on the exactly
# flat fill with flats resolved by BFS).
# Usage: benches/compare/rain_whitebox.sh [SIDE] [REPS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
side=${1:-5000}; reps=${2:-3}
venv="$here/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import whitebox_workflows" 2>/dev/null || "$venv/bin/pip" install -q "whitebox-workflows==2.0.6"
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
dem="$d/dem.tif"
/usr/bin/python3 "$here/rain_whitebox.py" make-dem "$dem" "$side"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build -q --release -p zwilling-rain --example rain_perf)
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v "$CARGO_TARGET_DIR/release/examples/rain_perf" topo "$dem" "$reps" >"$d/ours.txt" 2>"$d/ours.time"
/usr/bin/time -v "$venv/bin/python" "$here/rain_whitebox.py" whitebox "$dem" "$reps" >"$d/wbt.txt" 2>"$d/wbt.time"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$d/ours.txt" "$d/wbt.txt"
for f in ours wbt; do
  echo "$f process: $(grep -E 'User time|System time|Maximum resident' "$d/$f.time" | sed 's/^\s*//' | paste -sd';')"
done
rate() { grep -F "$2" "$1" | head -1 | sed -E 's/.* ([0-9.]+) M cells\/s.*/\1/'; }
python3 - "$(rate "$d/ours.txt" 'zwilling fill_depressions')" "$(rate "$d/wbt.txt" 'fill_depressions(fix_flats=False)')" \
  "$(rate "$d/wbt.txt" 'fill_depressions(default)')" "$(rate "$d/ours.txt" 'zwilling flow_accumulation_d8')" \
  "$(rate "$d/wbt.txt" 'd8_flow_accum(pointer)')" "$(rate "$d/ours.txt" 'zwilling d8 directions + accumulation')" \
  "$(rate "$d/wbt.txt" 'd8_flow_accum(filled DEM)')" <<'PY'
import sys
f, wf, wfd, a, wa, da, wda = map(float, sys.argv[1:])
print(f"ratio fill (ours / whitebox, both exactly flat):          {f / wf:.2f}x")
print(f"ratio fill (ours / whitebox default with flat gradient):  {f / wfd:.2f}x")
print(f"ratio D8 accumulation from pointer (ours / whitebox):    {a / wa:.2f}x")
print(f"ratio D8 directions + accumulation from filled DEM:      {da / wda:.2f}x")
PY
