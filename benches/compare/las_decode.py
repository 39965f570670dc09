"""laspy side of benches/compare/las_decode.sh: reads a LAS/LAZ file with laspy 2.x and the
lazrs LazrsParallel backend (all point records decoded into laspy's record array) and prints
one tab-separated line: path, points, wall seconds, CPU seconds (user + system, all threads),
M points/s, checksum. With --xyz the scaled x, y, z float64 arrays are materialised as well
(what zwilling's reader hands out besides the other fields).

Usage: python las_decode.py [--xyz] FILE
"""
import sys
import time

import laspy
import numpy as np
from laspy import LazBackend


def main() -> None:
    args = sys.argv[1:]
    xyz = "--xyz" in args
    path = [a for a in args if a != "--xyz"][0]
    if not LazBackend.LazrsParallel.is_available():
        sys.exit("lazrs (LazrsParallel backend) is not installed")
    t, c = time.perf_counter(), time.process_time()
    las = laspy.read(path, laz_backend=LazBackend.LazrsParallel)
    n = len(las.points)
    check = float(las.points.array["Z"][0]) if n else 0.0
    if xyz:
        x, y, z = (np.asarray(v, dtype=np.float64) for v in (las.x, las.y, las.z))
        check += float(x[0] + y[-1] + z[-1]) if n else 0.0
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"{path}\t{n}\t{wall:.4f}\t{cpu:.2f}\t{n / wall / 1e6:.3f}\t{check:.3f}")


if __name__ == "__main__":
    main()
