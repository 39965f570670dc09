"""whitebox-workflows side of benches/compare/rain_whitebox.sh.

Usage: rain_whitebox.py make-dem OUT.tif SIDE     (system python3 with GDAL + numpy)
       rain_whitebox.py whitebox DEM.tif REPS      (venv python with whitebox-workflows 2.0.6)

The synthetic DEM is the one of crates/zwilling-rain/benches/rain.rs (`synthetic_dem`): rolling
terrain (two sine/cosine scales), a gentle tilt and a hash-noise term that makes many small
depressions, 1 m cells, EPSG:25832, float32.
"""
import sys
import time


def make_dem(path, side):
    import numpy as np
    from osgeo import gdal, osr

    ds = gdal.GetDriverByName("GTiff").Create(
        path, side, side, 1, gdal.GDT_Float32, ["TILED=NO", "COMPRESS=NONE", "BIGTIFF=IF_SAFER"]
    )
    ds.SetGeoTransform((0.0, 1.0, 0.0, float(side), 0.0, -1.0))
    s = osr.SpatialReference()
    s.ImportFromEPSG(25832)
    ds.SetProjection(s.ExportToWkt())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(-32768.0)
    x = np.arange(side, dtype=np.float32)[None, :]
    cu = np.arange(side, dtype=np.uint32)[None, :]
    block = 1024
    for r0 in range(0, side, block):
        r1 = min(side, r0 + block)
        y = np.arange(r0, r1, dtype=np.float32)[:, None]
        ru = np.arange(r0, r1, dtype=np.uint32)[:, None]
        h = ((cu * np.uint32(73856093)) ^ (ru * np.uint32(19349663))) % np.uint32(1000)
        z = (
            np.float32(0.002) * y
            + np.float32(0.001) * x
            + np.float32(2.0) * np.sin(x * np.float32(0.013)) * np.cos(y * np.float32(0.011))
            + np.float32(0.5) * np.sin(x * np.float32(0.1)) * np.sin(y * np.float32(0.07))
            + h.astype(np.float32) * np.float32(1e-4)
        ).astype(np.float32)
        band.WriteArray(z, 0, r0)
    ds = None


def whitebox(path, reps):
    import whitebox_workflows as wbw

    wbe = wbw.WbEnvironment()
    wbe.verbose = False
    wbe.max_procs = -1
    dem = wbe.read_raster(path)
    n = dem.num_cells() if callable(dem.num_cells) else dem.num_cells

    def timed(name, f):
        best = None
        out = None
        for _ in range(reps):
            t0 = time.perf_counter()
            out = f()
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        print(f"whitebox {name}: {best:.3f} s, {n / best / 1e6:.2f} M cells/s", flush=True)
        return out

    hy = wbe.hydrology
    timed("fill_depressions(fix_flats=False)", lambda: hy.fill_depressions(dem=dem, fix_flats=False))
    filled = timed("fill_depressions(default)", lambda: hy.fill_depressions(dem=dem))
    ptr = timed("d8_pointer(filled)", lambda: hy.d8_pointer(dem=filled))
    timed("d8_flow_accum(pointer)", lambda: hy.d8_flow_accum(input=ptr, out_type="cells", input_is_pointer=True))
    timed("d8_flow_accum(filled DEM)", lambda: hy.d8_flow_accum(input=filled, out_type="cells"))


if __name__ == "__main__":
    if sys.argv[1] == "make-dem":
        make_dem(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "whitebox":
        whitebox(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
