#!/usr/bin/env bash
# 3D Tiles: `zwilling tiles` vs py3dtiles 12.x on the same LAZ, in the same run, on the same machine.
# Usage: benches/compare/tiles_py3dtiles.sh [--points N | LAZ] [--pairs K] [--skip-py3dtiles]
#   --points N  a synthetic survey of N points made with `zwilling synth` (default 5000000)
#   LAZ         an existing LAZ file (EPSG:25832 assumed for py3dtiles)
#   --pairs K   K pairs of runs (zwilling, then py3dtiles; default 3) and the median ratio: py3dtiles' time on
#               the same file has varied by 1.4x between quiet runs here, so one pair is not enough
# Prints a markdown table (wall s, CPU s = user+sys, points/s, peak RSS of both tools per pair), the ratio per
# pair and the median ratios. Fairness: both tools read the same file (in the page cache after the first run),
# write to the same temporary folder on the same disk (deleted after each run), and py3dtiles runs with
# --jobs $(nproc) worker processes, as many as zwilling's threads.
# Uses $CARGO_TARGET_DIR when set; ZW=path/to/zwilling uses that binary instead of building. The venv is benches/compare/.venv-py3dtiles (created on first use).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$here/.venv-py3dtiles"   # its own: py3dtiles needs laspy without lazrs (see below)
points=5000000
laz=""
skip_py=0
pairs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --points) points=$2; shift 2 ;;
    --skip-py3dtiles) skip_py=1; shift ;;
    --pairs) pairs=$2; shift 2 ;;
    *) laz=$1; shift ;;
  esac
done
if [ $skip_py = 0 ] && [ ! -x "$venv/bin/py3dtiles" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "py3dtiles[las]>=12,<13" laspy
fi
# laspy's LAZ backend for py3dtiles must be laszip, not lazrs: lazrs decodes on a rayon thread pool, and
# py3dtiles forks its workers after the parent has used that pool, so a worker deadlocks in
# `read_n_points` and the conversion hangs forever (seen with py3dtiles 12.1.1, lazrs 0.6).
if [ $skip_py = 0 ]; then
  "$venv/bin/pip" uninstall -q -y lazrs 2>/dev/null || true
  "$venv/bin/pip" install -q laszip
fi
if [ -n "${ZW:-}" ]; then
  zw=$ZW   # a prebuilt binary (no cargo build)
else
  cargo build --release -q --manifest-path "$root/Cargo.toml" --bin zwilling
  zw="${CARGO_TARGET_DIR:-$root/target}/release/zwilling"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tiles-bench.XXXX")
trap 'rm -rf "$work"' EXIT
if [ -z "$laz" ]; then
  "$zw" -q synth --out "$work/survey" --points "$points" --no-images
  laz="$work/survey/scene.laz"
fi
n=$("$zw" info "$laz" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["point_count"])')
# /usr/bin/time -v → "wall user sys maxrss_kb"
measure() {
  /usr/bin/time -v "$@" >/dev/null 2>"$work/time.txt" || { cat "$work/time.txt" >&2; exit 1; }
  python3 - "$work/time.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def g(k): return re.search(re.escape(k) + r"[^:]*:\s*(\S+)", t).group(1)
w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*(\S+)", t).group(1)
parts = [float(p) for p in w.split(":")]
wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
print(wall, g("User time (seconds)"), g("System time (seconds)"), g("Maximum resident set size"))
PY
}
runs=()
for pair in $(seq 1 "$pairs"); do
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  read -r zw_wall zw_user zw_sys zw_rss < <(measure "$zw" -q tiles "$laz" -o "$work/zw")
  rm -rf "$work/zw"
  if [ $skip_py = 0 ]; then
    read -r py_wall py_user py_sys py_rss < <(measure "$venv/bin/py3dtiles" convert "$laz" --out "$work/py" \
      --overwrite --srs_in 25832 --force-srs-in --srs_out 4978 --spec-version 1.1 --jobs "$(nproc)")
    rm -rf "$work/py"
  else
    py_wall=nan py_user=nan py_sys=nan py_rss=nan
  fi
  load1=$(cut -d' ' -f1-3 /proc/loadavg)
  runs+=("$zw_wall $zw_user $zw_sys $zw_rss $py_wall $py_user $py_sys $py_rss $load0 $load1")
done
python3 - "$n" "${runs[@]}" <<'PY'
import os, statistics, sys
n = int(sys.argv[1])
rows = [a.split() for a in sys.argv[2:]]
print(f"{n} points; {os.cpu_count()} cores; {len(rows)} pair(s), zwilling first in each\n")
print("| pair | tool | wall s | CPU s (user+sys) | points/s (wall) | points/s per CPU s | peak RSS MB | load avg before → after |")
print("|---|---|---|---|---|---|---|---|")
rw, rc, zw_w, py_w = [], [], [], []
for i, r in enumerate(rows, 1):
    zw, py = [float(x) for x in r[0:4]], [float(x) for x in r[4:8]]
    load = f"{' '.join(r[8:11])} → {' '.join(r[11:14])}"
    for name, (w, u, s, rss) in (("zwilling tiles", zw), ("py3dtiles convert 12.x", py)):
        if w != w:
            continue  # --skip-py3dtiles
        print(f"| {i} | {name} | {w:.1f} | {u + s:.1f} | {n / w / 1e6:.2f} M | {n / (u + s) / 1e6:.2f} M | {rss / 1024:.0f} | {load} |")
    zw_w.append(zw[0]); py_w.append(py[0])
    rw.append(py[0] / zw[0]); rc.append((py[1] + py[2]) / (zw[1] + zw[2]))
if all(x == x for x in py_w):
    f = lambda v: ", ".join(f"{x:.1f}" for x in v)
    print(f"\nratio zwilling / py3dtiles per pair: {f(rw)}× (wall), {f(rc)}× (CPU time)")
    print(f"median ratio: {statistics.median(rw):.1f}× (wall), {statistics.median(rc):.1f}× (CPU time); "
          f"median zwilling wall vs the fastest py3dtiles run: {min(py_w) / statistics.median(zw_w):.1f}×")
PY
