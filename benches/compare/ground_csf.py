"""Ground filtering comparison: `zwilling ground` (noise + SMRF) vs. CSF (PyPI cloth-simulation-filter
1.1.7, every parameter at the library default), same machine, same files, same run.

For every file both tools run as separate processes under /usr/bin/time -v, end to end (read LAZ,
classify, write LAZ with class 2 = ground), so wall time, CPU time (user + sys) and peak RSS are
measured the same way. CSF also reports its filter-only time. Files whose path contains "isprs"
carry the reference labels (class 2 = ground): type I / type II / total error and Cohen's kappa are
computed from each tool's output file. Optionally `--grid` also times `zwilling grid --product dtm`.

Prints a markdown table (and the raw numbers as JSON with --json FILE). Run through ground_csf.sh,
which makes the venv. `python ground_csf.py csf IN OUT` is the CSF worker (used by the driver).
"""
import argparse, json, os, subprocess, sys, tempfile, time
import numpy as np
import laspy


def scores(ref, pred):
    """Sithole & Vosselman (2004) filter-test errors in % and Cohen's kappa."""
    a = np.sum(ref & pred); b = np.sum(ref & ~pred); c = np.sum(~ref & pred); d = np.sum(~ref & ~pred)
    n = a + b + c + d
    t1 = b / max(a + b, 1); t2 = c / max(c + d, 1); te = (b + c) / n
    po = (a + d) / n; pe = ((a + b) * (a + c) + (c + d) * (b + d)) / n ** 2
    return [100 * t1, 100 * t2, 100 * te, (po - pe) / (1 - pe)]


def csf_worker(src, dst):
    import CSF
    t0 = time.perf_counter()
    las = laspy.read(src)
    xyz = np.vstack((las.x, las.y, las.z)).T.copy()
    t1 = time.perf_counter(); c1 = time.process_time()
    csf = CSF.CSF()  # every parameter at the library default
    csf.setPointCloud(xyz)
    g, ng = CSF.VecInt(), CSF.VecInt()
    csf.do_filtering(g, ng, False)
    t2 = time.perf_counter(); c2 = time.process_time()
    cls = np.ones(len(xyz), dtype=np.uint8)
    cls[np.array(g, dtype=np.int64)] = 2
    las.classification = cls
    las.write(dst)
    t3 = time.perf_counter()
    print(json.dumps(dict(read=t1 - t0, filter=t2 - t1, filter_cpu=c2 - c1, write=t3 - t2)))


def timed(cmd):
    """Runs cmd under /usr/bin/time -v: (wall s, user+sys s, peak RSS MiB, stdout)."""
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    f = lambda key: next(l for l in p.stderr.splitlines() if key in l).rsplit(": ", 1)[1].strip()
    wall = f("Elapsed (wall clock) time")
    secs = sum(float(v) * 60 ** i for i, v in enumerate(reversed(wall.split(":"))))
    cpu = float(f("User time (seconds)")) + float(f("System time (seconds)"))
    return secs, cpu, int(f("Maximum resident set size")) / 1024, p.stdout


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "csf":
        return csf_worker(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser()
    ap.add_argument("--zwilling", required=True)
    ap.add_argument("--grid", action="store_true", help="also time zwilling grid --product dtm --res 0.5")
    ap.add_argument("--no-csf", action="store_true", help="zwilling only (for files CSF takes too long on)")
    ap.add_argument("--json", help="write the raw numbers here")
    ap.add_argument("--labelled", action="store_true",
                    help="every file's class 2 is the reference ground (ISPRS paths are always taken as labelled; "
                         "zwilling synth files carry their truth classes)")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("ZW_TMP")) as tmp:
        for f in a.files:
            name = os.path.basename(f)
            n = laspy.open(f).header.point_count
            labelled = a.labelled or "isprs" in f
            row = dict(name=name, n=n, load=os.getloadavg()[0])
            zw_out = os.path.join(tmp, "zw_" + name)
            row["zw"] = timed([a.zwilling, "-q", "ground", f, "-o", zw_out])
            zg = np.asarray(laspy.read(zw_out).classification) == 2
            row["zw_share"] = 100 * zg.mean()
            if not a.no_csf:
                csf_out = os.path.join(tmp, "csf_" + name)
                row["csf"] = timed([sys.executable, os.path.abspath(__file__), "csf", f, csf_out])
                worker = json.loads(row["csf"][3].strip().splitlines()[-1])
                row["csf_filter"], row["csf_filter_cpu"] = worker["filter"], worker["filter_cpu"]
                cg = np.asarray(laspy.read(csf_out).classification) == 2
                row["csf_share"] = 100 * cg.mean()
                os.remove(csf_out)
            if labelled:
                ref = np.asarray(laspy.read(f).classification) == 2
                row["zw_acc"] = scores(ref, zg)
                if not a.no_csf:
                    row["csf_acc"] = scores(ref, cg)
            os.remove(zw_out)
            if a.grid:
                row["grid"] = timed([a.zwilling, "-q", "grid", f, "--product", "dtm", "--res", "0.5",
                                     "-o", os.path.join(tmp, "dtm.tif")])
            for k in ("zw", "csf", "grid"):
                if k in row:
                    row[k] = row[k][:3]
            rows.append(row)
            print(name, json.dumps(row), file=sys.stderr, flush=True)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    report(rows)


def report(rows):
    fmt = lambda s: "%.2f / %.2f / **%.2f** / %.3f" % tuple(s)
    lab = [r for r in rows if "zw_acc" in r]
    if lab:
        print("| file | points | zwilling T.I / T.II / total % / κ | CSF 1.1.7 T.I / T.II / total % / κ |")
        print("|---|---:|---|---|")
        for r in lab:
            print(f"| {r['name']} | {r['n']} | {fmt(r['zw_acc'])} | {fmt(r['csf_acc']) if 'csf_acc' in r else '–'} |")
        mz = np.mean([r["zw_acc"][2] for r in lab])
        mc = np.mean([r["csf_acc"][2] for r in lab if "csf_acc" in r]) if "csf_acc" in lab[0] else float("nan")
        print(f"| **mean** | | **{mz:.2f}** total | **{mc:.2f}** total |\n")
    print("| file | points | tool | wall s | CPU s | pts/s (wall) | pts/s (CPU) | peak RSS MiB | ground % | load |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        for k, label in (("zw", "zwilling ground"), ("csf", "CSF 1.1.7 (Python)"), ("grid", "zwilling grid dtm 0.5 m")):
            if k not in r:
                continue
            w, c, m = r[k]
            share = "%.1f" % r[k + "_share"] if k + "_share" in r else ""
            print(f"| {r['name']} | {r['n']} | {label} | {w:.2f} | {c:.2f} | {r['n'] / w:.0f} | {r['n'] / c:.0f} | {m:.0f} | {share} | {r['load']:.1f} |")
        if "csf" in r:
            print(f"| {r['name']} | {r['n']} | CSF filter only (no I/O) | {r['csf_filter']:.2f} | {r['csf_filter_cpu']:.2f} | "
                  f"{r['n'] / r['csf_filter']:.0f} | {r['n'] / r['csf_filter_cpu']:.0f} | | | |")
    for r in rows:
        if "csf" in r:
            print(f"\n{r['name']}: zwilling/CSF throughput ratio {r['csf'][0] / r['zw'][0]:.1f}× wall, "
                  f"{r['csf'][1] / r['zw'][1]:.1f}× CPU; peak RSS {r['zw'][2]:.0f} vs {r['csf'][2]:.0f} MiB", end="")
    print()


if __name__ == "__main__":
    main()
