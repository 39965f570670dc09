#!/usr/bin/env bash
# Compare GDAL's COG driver with zwilling's write_cog on the same 2048 x 2048 f32 grid (as benches/raster_cog.rs builds it).
# Needs system GDAL (gdal_translate) and python3 with osgeo + numpy. Usage: benches/compare/io-raster.sh
set -euo pipefail
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
/usr/bin/python3 - "$d/src.tif" <<'PY'
import sys, numpy as np
from osgeo import gdal, osr
n = 2048
c = np.arange(n, dtype=np.float32)[None, :]; r = np.arange(n, dtype=np.float32)[:, None]
k = ((np.arange(n)[None, :] * 7 + np.arange(n)[:, None] * 13) % 17).astype(np.float32)
a = (80.0 + np.sin(c * 0.01) * 3.0 + r * 0.002 + k * 0.003).astype(np.float32)
ds = gdal.GetDriverByName('GTiff').Create(sys.argv[1], n, n, 1, gdal.GDT_Float32)
ds.SetGeoTransform((362000, 0.5, 0, 5620000, 0, -0.5)); s = osr.SpatialReference(); s.ImportFromEPSG(25832)
ds.SetProjection(s.ExportToWkt()); b = ds.GetRasterBand(1); b.WriteArray(a); b.SetNoDataValue(-9999); ds = None
PY
for i in 1 2 3; do
  /usr/bin/time -f "gdal_translate -of COG (DEFLATE, PREDICTOR=YES, AVERAGE, ALL_CPUS): %e s" \
    gdal_translate -q -of COG -co COMPRESS=DEFLATE -co PREDICTOR=YES -co RESAMPLING=AVERAGE -co NUM_THREADS=ALL_CPUS "$d/src.tif" "$d/cog.tif"
done
cargo bench -p zwilling-io --bench raster_cog -- --warm-up-time 1 --measurement-time 5
