#!/usr/bin/env python3
"""Expected values for the LAS/LAZ conformance test (tests/conformance/las_laspy.rs).

For every .las/.laz under ../shared/data/ (relative to the repository), laspy (with the lazrs
backend) reads all points and this prints, per file: point count, bounds of the scaled x/y/z
(min/max over the points, not the header) and the classification histogram, as Rust source for
the test's table. Run it with the validators' venv:

    ~/.cache/zwilling-validators/venv/bin/python benches/compare/las_laspy_expected.py
"""
import pathlib
import sys

import laspy
import numpy as np

root = pathlib.Path(__file__).resolve().parents[2]
shared = root.parent / "shared"
files = sorted(p for p in (shared / "data").rglob("*") if p.suffix.lower() in (".las", ".laz"))
print(f"// laspy {laspy.__version__}, numpy {np.__version__}; {len(files)} files")
for p in files:
    las = laspy.read(p)
    x, y, z = np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)
    cls = np.asarray(las.classification).astype(np.int64)
    codes, counts = np.unique(cls, return_counts=True)
    hist = ", ".join(f"({c}, {n})" for c, n in zip(codes, counts))
    rel = p.relative_to(shared).as_posix()
    b = [x.min(), y.min(), z.min(), x.max(), y.max(), z.max()] if len(x) else [0.0] * 6
    bounds = ", ".join(repr(float(v)) for v in b)
    print(f'    ("{rel}", {len(x)}, [{bounds}], &[{hist}]),')
sys.stdout.flush()
