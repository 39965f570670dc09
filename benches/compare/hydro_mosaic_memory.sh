#!/usr/bin/env bash
# Peak memory (and CPU) per task of the tile-parallel hydrology with `--hydro-mosaic cog` against
# `--hydro-mosaic vrt` (docs/benchmarks/cluster.md, Session 6).
#
# A SIZE × SIZE-cell f32 DTM (1 m, EPSG:25832; tilted plane with sine hills and 0.3 m noise, rounded
# to 0.25 m; tiled 256², Deflate, predictor 3 by gdal_translate — the DTM of Session 5) is cut into
# TILES tiles; every task runs as its own process with one thread (`--step … --task …`, as a Slurm
# array task does), under /usr/bin/time -v. Printed: peak RSS and user+sys CPU of `mosaic` and of
# the per-tile tasks of `fill-final`, `acc-pass` and `acc-final` (maximum over the tiles) for both
# modes, and the ratio of the mosaic's peak RSS. Also checks that every VRT's GDAL checksum equals
# the whole-grid COG's.
#
# Usage: ZW=target/release/zwilling SIZE=4000 TILES=4x4 WORK=/tmp/zw-mosaic benches/compare/hydro_mosaic_memory.sh
# Needs /usr/bin/time, /usr/bin/python3 with numpy, gdal_translate and gdalinfo.
set -euo pipefail
cd "$(dirname "$0")/../.."
ZW=$(readlink -f "${ZW:-target/release/zwilling}")
SIZE=${SIZE:-4000}
TILES=${TILES:-4x4}
WORK=$(readlink -f "${WORK:-$(mktemp -d /tmp/zw-mosaic.XXXXXX)}")
mkdir -p "$WORK"
[ -x "$ZW" ] || { echo "no zwilling binary at $ZW (cargo build --release)" >&2; exit 1; }
cd "$WORK"
if [ ! -s dem-tiled.tif ]; then
  /usr/bin/python3 -c "import numpy as np; n=$SIZE; r,c=np.mgrid[0:n,0:n]; z=0.01*c+0.005*r+3*np.sin(c/97)*np.cos(r/131)+np.random.default_rng(7).random((n,n))*0.3; (np.round(z*4)/4).astype('<f4').tofile('dem.bil')"
  printf 'BYTEORDER I\nLAYOUT BIL\nNROWS %s\nNCOLS %s\nNBANDS 1\nNBITS 32\nPIXELTYPE FLOAT\nULXMAP 350000.5\nULYMAP 5650999.5\nXDIM 1\nYDIM 1\n' "$SIZE" "$SIZE" > dem.hdr
  gdal_translate -q -a_srs EPSG:25832 -co TILED=YES -co COMPRESS=DEFLATE -co PREDICTOR=3 dem.bil dem-tiled.tif
  rm -f dem.bil dem.hdr dem.bil.aux.xml
fi
n=$(( ${TILES%x*} * ${TILES#*x} ))
printf 'mode stage max_rss_kb cpu_s\n' > results.txt
for mode in cog vrt; do
  rm -rf "out-$mode"
  printf '[input]\nclouds = []\ndem = "dem-tiled.tif"\n[output]\ndir = "out-%s"\n' "$mode" > "h-$mode.toml"
  for stage in fill-pass fill-global fill-final dir-pass flats-global acc-pass acc-global acc-final mosaic; do
    case $stage in *-global|mosaic) tasks=0 ;; *) tasks=$(seq 0 $((n - 1))) ;; esac
    max_rss=0; cpu=0
    for t in $tasks; do
      /usr/bin/time -v -o time.txt "$ZW" -q --threads 1 run "h-$mode.toml" --hydro-tiles "$TILES" \
        --hydro-mosaic "$mode" --step "hydro/$stage" --task "$t"
      rss=$(awk -F': ' '/Maximum resident/ {print $2}' time.txt)
      c=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' time.txt)
      [ "$rss" -gt "$max_rss" ] && max_rss=$rss
      cpu=$(awk -v a="$cpu" -v b="$c" 'BEGIN {printf "%.2f", (b > a ? b : a)}')
    done
    printf '%s %s %s %s\n' "$mode" "$stage" "$max_rss" "$cpu" >> results.txt
  done
done
echo "peak RSS (max over the stage's tasks, MB) and CPU s (max over tasks), $SIZE² DTM, $TILES tiles, 1 thread:"
awk 'NR > 1 {rss[$1" "$2] = $3; cpu[$1" "$2] = $4; st[$2] = 1; order[NR] = $2}
     END {printf "%-14s %10s %10s %8s %8s\n", "stage", "cog MB", "vrt MB", "cog s", "vrt s";
          for (i = 2; i <= NR; i++) { s = order[i]; if (seen[s]++) continue;
            printf "%-14s %10.1f %10.1f %8s %8s\n", s, rss["cog "s]/1024, rss["vrt "s]/1024, cpu["cog "s], cpu["vrt "s] }
          printf "mosaic peak RSS ratio cog / vrt: %.1f\n", rss["cog mosaic"] / rss["vrt mosaic"] }' results.txt
for p in filled d8 accumulation; do
  a=$(gdalinfo -checksum "out-cog/hydro/$p.tif" | awk -F= '/Checksum=/ {print $2; exit}')
  b=$(gdalinfo -checksum "out-vrt/hydro/$p.vrt" | awk -F= '/Checksum=/ {print $2; exit}')
  echo "$p: checksum cog $a, vrt $b $([ "$a" = "$b" ] && echo equal || echo DIFFERENT)"
  [ "$a" = "$b" ]
done
du -sh out-cog/hydro/*.tif out-vrt/hydro/*.vrt | sed 's/^/  /'
