#!/usr/bin/env bash
# 3D Tiles: zwilling tiles vs py3dtiles on the same LAZ, same run, same machine.
# Usage: benches/compare/tiles_py3dtiles.sh [LAZ]   (default: a synthetic survey made with `zwilling synth`)
# Prints points/s and peak RSS of both and appends nothing: copy the table into docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$here/.venv"
[ -x "$venv/bin/py3dtiles" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "py3dtiles[las]" laspy lazrs; }
cargo build --release -q --manifest-path "$root/Cargo.toml"
zw="$root/target/release/zwilling"
work=$(mktemp -d)
laz=${1:-}
if [ -z "$laz" ]; then
  "$zw" -q synth --out "$work/survey" --length 2000 --no-images
  laz="$work/survey/scene.laz"
fi
n=$("$zw" info "$laz" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["point_count"])')
t() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1; }
read -r zs zk < <(t "$zw" -q tiles "$laz" -o "$work/zw")
read -r ps pk < <(t "$venv/bin/py3dtiles" convert "$laz" --out "$work/py" --overwrite --srs_in 25832 --srs_out 4978)
python3 - "$n" "$zs" "$zk" "$ps" "$pk" <<'PY'
import sys
n, zs, zk, ps, pk = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"| tool | points | wall s | points/s | peak RSS MB |\n|---|---|---|---|---|")
print(f"| zwilling tiles | {n} | {zs:.1f} | {n/zs/1e6:.2f} M | {zk/1024:.0f} |")
print(f"| py3dtiles convert | {n} | {ps:.1f} | {n/ps/1e6:.2f} M | {pk/1024:.0f} |")
print(f"\nratio (points/s): {ps/zs:.1f}×")
PY
