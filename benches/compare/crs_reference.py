#!/usr/bin/env python3
"""Reference values for zwilling-crs, computed with pyproj (PROJ) — the numbers stored in
tests/crs_reference.rs and tests/crs_geoid.rs come from this script.

Usage (from the repository root):
    python3 -m venv benches/compare/.venv
    benches/compare/.venv/bin/pip install "pyproj>=3.7" numpy
    benches/compare/.venv/bin/python benches/compare/crs_reference.py [--grid PATH] [--bench]

Prints, for points in every supported projected CRS: geographic lon/lat on the CRS's own datum,
lon/lat in ETRS89 (= WGS 84 via PROJ's null transformation; for RD New via "Amersfoort to
ETRS89 (8)", the transformation PROJ picks for EPSG:28992 -> EPSG:4258 without the RDNAPTRANS
grid) and ECEF (EPSG:4978) for an ellipsoidal height of 100 m. Then the DHHN2016 -> ellipsoidal
check with the GCG2016 grid (PROJ vgridshift) and, with --bench, pyproj's throughput for
EPSG:25832 -> EPSG:4978 on 2 M points (for docs/benchmarks/crs.md).
"""
import argparse
import time

import numpy as np
import pyproj
from pyproj import CRS, Transformer

POINTS = {
    25832: [(512767.0, 5403708.0), (356000.0, 5645000.0), (280000.0, 5500000.0), (700000.0, 6000000.0)],
    25833: [(390000.0, 5820000.0), (800000.0, 6000000.0)],
    25828: [(400000.0, 3100000.0)],
    25831: [(600000.0, 5700000.0)],
    25838: [(300000.0, 4600000.0)],
    4647: [(32512767.0, 5403708.0)],
    5650: [(33390000.0, 5820000.0)],
    32632: [(512767.0, 5403708.0), (300000.0, 1000.0)],
    32633: [(390000.0, 5820000.0)],
    32601: [(400000.0, 7000000.0)],
    32760: [(600000.0, 8000000.0)],
    32733: [(300000.0, 9999000.0)],
    2154: [(652000.0, 6862000.0), (892000.0, 6247000.0), (145000.0, 6837000.0), (1044000.0, 6298000.0)],
    28992: [(155000.0, 463000.0), (121000.0, 487000.0), (176000.0, 318000.0), (233000.0, 582000.0),
            (13000.0, 380000.0)],
    3857: [(1000000.0, 6700000.0), (-8000000.0, -4000000.0)],
}
H = 100.0


def f(v):
    return repr(float(v))


def reference_points():
    print("// crs, x, y, lon, lat (own datum), lon, lat (ETRS89/WGS 84), ECEF X, Y, Z (h = 100 m)")
    for epsg, pts in POINTS.items():
        crs = CRS.from_epsg(epsg)
        to_geog = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        if epsg == 28992:
            to_etrs = Transformer.from_crs(crs, CRS.from_epsg(4258), always_xy=True)
            etrs_to_ecef = Transformer.from_crs(CRS.from_epsg(4937), CRS.from_epsg(4978), always_xy=True)
            default = Transformer.from_crs(crs, CRS.from_epsg(4978), always_xy=True)
        else:
            to_etrs = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
            to_ecef = Transformer.from_crs(crs, CRS.from_epsg(4978), always_xy=True)
        for x, y in pts:
            lon, lat = to_geog.transform(x, y)
            elon, elat = to_etrs.transform(x, y)
            if epsg == 28992:
                X, Y, Z = etrs_to_ecef.transform(elon, elat, H)
                dX, dY, dZ = default.transform(x, y, H)
                print(f"// pyproj default EPSG:28992->4978 ({default.description}) differs by "
                      f"{np.hypot(np.hypot(dX - X, dY - Y), dZ - Z):.3f} m")
            else:
                X, Y, Z = to_ecef.transform(x, y, H)
                if epsg == 25838:
                    # Zone 38N (42-48 E) lies outside the area of "ETRS89 to WGS 84 (1)" (to 38 E), where PROJ
                    # picks TUREF/ED50-based operations (0.48 m apart); zwilling uses ETRS89 = WGS 84 everywhere,
                    # so the reference is the null transformation written out as a pipeline.
                    cart = Transformer.from_pipeline("+proj=cart +ellps=WGS84")
                    dX, dY, dZ = X, Y, Z
                    X, Y, Z = cart.transform(elon, elat, H)
                    print(f"// EPSG:25838: PROJ's default 25838->4978 ({to_ecef.description}) differs by "
                          f"{np.hypot(np.hypot(dX - X, dY - Y), dZ - Z):.3f} m; ECEF below from +proj=cart")
            print(f"({epsg}, {f(x)}, {f(y)}, {f(lon)}, {f(lat)}, {f(elon)}, {f(elat)}, {f(X)}, {f(Y)}, {f(Z)}),")


GEOID_POINTS = [(512767.0, 5403708.0, 356.170), (356000.0, 5645000.0, 50.0), (321234.5, 5702345.6, 30.0),
                (799999.0, 5990000.0, 10.0), (650000.0, 5250000.0, 500.0), (400000.0, 6050000.0, 0.0),
                (291234.5, 5702345.6, 0.0), (512345.6, 5333333.3, 250.0)]


def geoid(grid):
    pyproj.datadir.append_data_dir(grid.rsplit("/", 1)[0])
    name = grid.rsplit("/", 1)[1]
    pipe = Transformer.from_pipeline(
        f"+proj=pipeline +step +inv +proj=utm +zone=32 +ellps=GRS80 "
        f"+step +proj=vgridshift +grids={name} +multiplier=1 "
        f"+step +proj=cart +ellps=WGS84")
    geog = Transformer.from_pipeline(
        f"+proj=pipeline +step +inv +proj=utm +zone=32 +ellps=GRS80 "
        f"+step +proj=vgridshift +grids={name} +multiplier=1 +step +proj=unitconvert +xy_in=rad +xy_out=deg")
    by_crs = Transformer.from_crs(CRS.from_string("EPSG:25832+7837"), CRS.from_epsg(4937), always_xy=True)
    print(f"// EPSG:25832 + DHHN2016 -> ellipsoidal with {name} (PROJ vgridshift +multiplier=1); "
          f"PROJ's own EPSG:25832+7837 -> 4937 operation: {by_crs.description}")
    print("// x, y, H, lon, lat, h, zeta, ECEF X, Y, Z")
    for x, y, hn in GEOID_POINTS:
        lon, lat, h = geog.transform(x, y, hn)
        _, _, h2 = by_crs.transform(x, y, hn)
        X, Y, Z = pipe.transform(x, y, hn)
        if not np.isfinite(h):
            print(f"// ({f(x)}, {f(y)}): no value in the grid (NoData or outside), PROJ returns inf")
            continue
        assert abs(h - h2) < 1e-9, (h, h2)
        print(f"({f(x)}, {f(y)}, {f(hn)}, {f(lon)}, {f(lat)}, {f(h)}, {f(h - hn)}, {f(X)}, {f(Y)}, {f(Z)}),")


def bench(n=2_000_000):
    rng = np.random.default_rng(1)
    x = rng.uniform(300000, 700000, n)
    y = rng.uniform(5300000, 6000000, n)
    z = rng.uniform(0, 500, n)
    t = Transformer.from_crs(25832, 4978, always_xy=True)
    t.transform(x[:1000], y[:1000], z[:1000])
    t0 = time.perf_counter()
    t.transform(x, y, z)
    dt = time.perf_counter() - t0
    print(f"// pyproj {pyproj.__version__} (PROJ {pyproj.proj_version_str}) EPSG:25832 -> 4978, {n} points, "
          f"one thread: {dt:.3f} s = {n / dt / 1e6:.2f} M points/s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", default="../shared/data/geoid/de_bkg_gcg2016.tif")
    ap.add_argument("--bench", action="store_true")
    a = ap.parse_args()
    print(f"// pyproj {pyproj.__version__}, PROJ {pyproj.proj_version_str}")
    reference_points()
    geoid(a.grid)
    if a.bench:
        bench()


if __name__ == "__main__":
    main()
