"""Ground filtering comparison: zwilling ground (SMRF) vs. CSF (cloth-simulation-filter 1.1.7).

Prints a markdown table: per file the points, for both tools type I / type II / total error and
Cohen's kappa against the file's classification (2 = reference ground, ISPRS samples only) and
throughput (points/s). Run through ground_csf.sh, which makes the venv.
"""
import argparse, os, subprocess, sys, tempfile, time
import numpy as np
import laspy
import CSF


def scores(ref, pred):
    a = np.sum(ref & pred); b = np.sum(ref & ~pred); c = np.sum(~ref & pred); d = np.sum(~ref & ~pred)
    n = a + b + c + d
    t1 = b / max(a + b, 1); t2 = c / max(c + d, 1); te = (b + c) / n
    po = (a + d) / n; pe = ((a + b) * (a + c) + (c + d) * (b + d)) / n ** 2
    return 100 * t1, 100 * t2, 100 * te, (po - pe) / (1 - pe)


def csf_ground(xyz):
    csf = CSF.CSF()  # every parameter at the library default
    csf.setPointCloud(xyz)
    g, ng = CSF.VecInt(), CSF.VecInt()
    csf.do_filtering(g, ng, False)
    out = np.zeros(len(xyz), dtype=bool)
    out[np.array(g, dtype=np.int64)] = True
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zwilling", required=True)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in a.files:
            name = os.path.basename(f)
            las = laspy.read(f)
            n = len(las.points)
            ref = np.asarray(las.classification) == 2
            labelled = "isprs" in f
            # CSF: filter alone, and end to end (read, filter, write LAZ).
            best_alg, best_e2e = 1e9, 1e9
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                l2 = laspy.read(f)
                xyz = np.vstack((l2.x, l2.y, l2.z)).T.copy()
                t1 = time.perf_counter()
                cg = csf_ground(xyz)
                t2 = time.perf_counter()
                cls = np.where(cg, 2, 1).astype(np.uint8)
                l2.classification = cls
                l2.write(os.path.join(tmp, "csf_" + name))
                t3 = time.perf_counter()
                best_alg = min(best_alg, t2 - t1); best_e2e = min(best_e2e, t3 - t0)
            # zwilling end to end.
            out = os.path.join(tmp, "zw_" + name)
            best_zw = 1e9
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                subprocess.run([a.zwilling, "-q", "ground", f, "-o", out], check=True)
                best_zw = min(best_zw, time.perf_counter() - t0)
            zg = np.asarray(laspy.read(out).classification) == 2
            row = dict(name=name, n=n, csf_alg=n / best_alg, csf_e2e=n / best_e2e, zw_e2e=n / best_zw,
                       zw_share=100 * zg.mean(), csf_share=100 * cg.mean())
            if labelled:
                row["csf"] = scores(ref, cg); row["zw"] = scores(ref, zg)
            rows.append(row)
            print(name, row, file=sys.stderr)
    print("| file | points | zwilling T.I / T.II / total % / κ | CSF T.I / T.II / total % / κ | zwilling pts/s (end to end) | CSF pts/s (end to end) | CSF pts/s (filter only) | ratio e2e |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    fmt = lambda s: "%.2f / %.2f / **%.2f** / %.3f" % s
    for r in rows:
        acc_z = fmt(r["zw"]) if "zw" in r else "ground %.1f %%" % r["zw_share"]
        acc_c = fmt(r["csf"]) if "csf" in r else "ground %.1f %%" % r["csf_share"]
        print(f"| {r['name']} | {r['n']} | {acc_z} | {acc_c} | {r['zw_e2e']:.0f} | {r['csf_e2e']:.0f} | {r['csf_alg']:.0f} | {r['zw_e2e']/r['csf_e2e']:.2f} |")
    lab = [r for r in rows if "zw" in r]
    if lab:
        print(f"\nMean total error over {len(lab)} ISPRS samples: zwilling {np.mean([r['zw'][2] for r in lab]):.2f} %, "
              f"CSF {np.mean([r['csf'][2] for r in lab]):.2f} %")


if __name__ == "__main__":
    main()
