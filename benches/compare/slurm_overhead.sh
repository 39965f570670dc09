#!/usr/bin/env bash
# Overhead of the Slurm executor against the local run on the same machine, and the per-tile /
# global costs and exchanged bytes of the tile-parallel hydrology for the scaling model
# (docs/benchmarks/cluster.md).
#
#  1. overhead: the same pipeline (synthetic drive, ground, grid 0.5 m dtm + dsm, tile-parallel
#     hydrology on TILES) locally (`zwilling run`) and as Slurm job arrays (`--executor slurm
#     --cpus-per-task 1 --wait`, so 2 tasks at once on 2 cores); wall time of both, CPU time
#     (local: user+sys from /usr/bin/time -v; Slurm: the submitting process plus the CPU every
#     task prints into its log) and the ratios;
#  2. scaling: the hydrology alone on a synthetic SIZE × SIZE DEM (1 m, pits and flats) cut into
#     2×2 … 16×16 tiles, run task by task on this machine: seconds per stage (from the manifest),
#     per-tile and global, and the bytes of the summaries exchanged through the global steps.
#
# Usage (as root when no Slurm cluster answers: then the private one-node cluster of
# .ci/slurm-test.sh is started and stopped again):
#   benches/compare/slurm_overhead.sh
#   ZW=target/release/zwilling LENGTH=300 TILES=4x2 SIZE=2000 WORK=/tmp/zw-overhead benches/compare/slurm_overhead.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ZW=$(readlink -f "${ZW:-target/release/zwilling}")
LENGTH=${LENGTH:-300}
TILES=${TILES:-4x2}
SIZE=${SIZE:-2000}
WORK=$(readlink -f "${WORK:-$(mktemp -d /tmp/zw-slurm-overhead.XXXXXX)}")
mkdir -p "$WORK"
[ -x "$ZW" ] || cargo build --release
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
if ! sinfo -h >/dev/null 2>&1; then
  eval "$("$ROOT/.ci/slurm-test.sh" cluster-up)"
  trap '"$ROOT/.ci/slurm-test.sh" cluster-down' EXIT
fi
echo "# Slurm executor overhead — $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "binary $ZW, work $WORK, drive ${LENGTH} m, hydrology on $TILES tiles"

cpu_of() { # user+sys seconds from a /usr/bin/time -v file
  awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$1"
}
wall_of() { # wall seconds from a /usr/bin/time -v file
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$1"
}

# --- 1. overhead ------------------------------------------------------------------------------
[ -f "$WORK/scene/scene.laz" ] || "$ZW" -q synth -o "$WORK/scene" --no-images --length "$LENGTH"
for run in local slurm; do
  cat > "$WORK/$run.toml" <<TOML
[input]
clouds = ["$WORK/scene/scene.laz"]
[output]
dir = "$WORK/$run"
[ground]
[grid]
res = 0.5
products = ["dtm", "dsm"]
TOML
  rm -rf "${WORK:?}/$run"
done
/usr/bin/time -v -o "$WORK/local-time.txt" "$ZW" -q run "$WORK/local.toml" --hydro-tiles "$TILES"
/usr/bin/time -v -o "$WORK/slurm-time.txt" "$ZW" -q run "$WORK/slurm.toml" --executor slurm \
  --hydro-tiles "$TILES" --cpus-per-task 1 --wait
for f in ground/scene.laz rasters/dtm.tif rasters/dsm.tif hydro/filled.tif hydro/d8.tif hydro/accumulation.tif; do
  cmp -s "$WORK/local/$f" "$WORK/slurm/$f" || { echo "$f differs between the runs" >&2; exit 1; }
done
tasks=$(cat "$WORK"/slurm/.slurm/logs/*.log | grep -c ' s CPU$' || true)
task_cpu=$(cat "$WORK"/slurm/.slurm/logs/*.log | awk '/ s CPU$/ {s += $(NF-2)} END {printf "%.2f", s}')
task_wall=$(cat "$WORK"/slurm/.slurm/logs/*.log | awk '/ s CPU$/ {s += $(NF-5)} END {printf "%.2f", s}')
lw=$(wall_of "$WORK/local-time.txt"); lc=$(cpu_of "$WORK/local-time.txt")
sw=$(wall_of "$WORK/slurm-time.txt"); sc=$(python3 -c "print(f'{$(cpu_of "$WORK/slurm-time.txt") + $task_cpu:.2f}')")
points=$(python3 -c "import json; print(json.load(open('$WORK/local/summary.json'))['points'])")
echo
echo "| run | wall s | CPU s (user+sys) | processes |"
echo "|---|---:|---:|---:|"
echo "| local (\`zwilling run\`, $(nproc) threads) | $lw | $lc | 1 |"
echo "| Slurm (\`--executor slurm --cpus-per-task 1\`) | $sw | $sc | $tasks array tasks (sum of their wall times $task_wall s) |"
echo
echo "points $points; Slurm / local: wall $(python3 -c "print(f'{$sw / $lw:.2f}')")×, CPU $(python3 -c "print(f'{$sc / $lc:.2f}')")×"
echo "all 6 products byte-identical"

# --- 2. scaling of the tile-parallel hydrology ----------------------------------------------
echo
echo "## Tile-parallel hydrology on a ${SIZE} × ${SIZE} DEM"
dem="$WORK/dem-$SIZE.tif"
if [ ! -f "$dem" ]; then
  # A 1 m DEM: a tilted plane with sine hills, 400 closed pits and flat terraces (rounded to
  # 0.25 m), as raw float32 + ENVI-style header, converted by GDAL to a GeoTIFF in EPSG:25832.
  python3 - "$WORK/dem-$SIZE" "$SIZE" <<'PY'
import array, math, random, sys
base, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
pits = [(rnd.randrange(n), rnd.randrange(n), rnd.uniform(1, 4), rnd.uniform(5, 30)) for _ in range(400)]
z = array.array("f", bytes(4 * n * n))
for r in range(n):
    for c in range(n):
        z[r * n + c] = round((0.01 * c + 0.005 * r + 3 * math.sin(c / 97) * math.cos(r / 131)) * 4) / 4
for (pc, pr, depth, radius) in pits:
    rad = int(radius)
    for r in range(max(0, pr - rad), min(n, pr + rad + 1)):
        for c in range(max(0, pc - rad), min(n, pc + rad + 1)):
            d2 = (c - pc) ** 2 + (r - pr) ** 2
            if d2 <= radius * radius:
                z[r * n + c] -= depth * (1 - d2 / (radius * radius))
open(base + ".bil", "wb").write(z.tobytes())
open(base + ".hdr", "w").write(f"BYTEORDER I\nLAYOUT BIL\nNROWS {n}\nNCOLS {n}\nNBANDS 1\nNBITS 32\n"
                                f"PIXELTYPE FLOAT\nULXMAP 350000.5\nULYMAP 5650999.5\nXDIM 1\nYDIM 1\n")
PY
  gdal_translate -q -of GTiff -a_srs EPSG:25832 "$WORK/dem-$SIZE.bil" "$dem"
fi
echo
echo "| tiles | cells per tile | per-tile stages, s per tile (mean) | global stages, s | summary bytes exchanged | filled.tif equal to 1×1 |"
echo "|---|---:|---:|---:|---:|---|"
for t in 1x1 2x2 4x4 8x8 16x16; do
  out="$WORK/hydro-$t"
  rm -rf "$out"
  cat > "$WORK/hydro-$t.toml" <<TOML
[input]
clouds = []
dem = "$dem"
[output]
dir = "$out"
TOML
  "$ZW" -q --threads 1 run "$WORK/hydro-$t.toml" --hydro-tiles "$t"
  python3 - "$out" "$t" "$SIZE" "$WORK/hydro-1x1/hydro/filled.tif" <<'PY'
import filecmp, json, os, sys
out, t, size, ref = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c, r = map(int, t.split("x"))
steps = json.load(open(os.path.join(out, "manifest.json")))["steps"]
per_tile = sum(s["seconds"] for k, s in steps.items() if k.count("/") == 2) / (c * r)
glob = sum(s["seconds"] for k, s in steps.items() if k.count("/") == 1 and k.startswith("hydro/"))
tiles = os.path.join(out, "hydro", "tiles")
summary = sum(os.path.getsize(os.path.join(tiles, f)) for f in os.listdir(tiles) if f.endswith(".json"))
same = filecmp.cmp(os.path.join(out, "hydro", "filled.tif"), ref, shallow=False)
cells = (size // c) * (size // r)
print(f"| {t} | {cells} | {per_tile:.2f} | {glob:.2f} | {summary} | {'yes' if same else 'NO'} |")
PY
done
echo
echo "per-tile stages: fill-pass, fill-final, dir-pass, acc-pass, acc-final (one process each, 1 thread);"
echo "global: fill-global, flats-global, acc-global, mosaic (mosaic writes the three COGs of the whole DEM)"
