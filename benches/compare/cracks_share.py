#!/usr/bin/env python3
"""Crack share (RISS) per 10 m section of lane 1 from `zwilling cracks detect --poses` output
(cracks.geojson) against a `zwilling synth` scene's truth.json (docs/cracks.md, docs/synth.md).

usage: cracks_share.py SCENE_DIR CRACKS.geojson
Cells: 1 m x 1 m in the road frame (station from the origin along the heading, offset to the
left), rows across from the kerb line t = -lane_width; a cell counts when a crack line passes
through it (dense sampling at 1 mm, close to the exact traversal used by the tests)."""
import json, math, sys

scene, cracks = sys.argv[1], sys.argv[2]
truth = json.load(open(f"{scene}/truth.json"))
p = truth["params"]
h = math.radians(p["heading_deg"])
x0, y0, lane = p["origin_x"], p["origin_y"], p["lane_width"]
cells = set()
for f in json.load(open(cracks))["features"]:
    pts = f["geometry"]["coordinates"]
    for a, b in zip(pts, pts[1:]):
        n = max(1, int(math.hypot(b[0] - a[0], b[1] - a[1]) / 0.001))
        for k in range(n + 1):
            x = a[0] + (b[0] - a[0]) * k / n
            y = a[1] + (b[1] - a[1]) * k / n
            dx, dy = x - x0, y - y0
            s, t = dx * math.sin(h) + dy * math.cos(h), -dx * math.cos(h) + dy * math.sin(h)
            cells.add((math.floor(s), math.floor(t + lane)))
worst = 0.0
for sec in truth["lanes"][0]["sections_10m"]:
    if sec["end"] - sec["start"] < 10 or sec["riss_percent"] is None:
        continue
    i0 = round(sec["start"])
    hit = sum(1 for (i, j) in cells if i0 <= i < i0 + 10 and 0 <= j < round(lane))
    got = 100.0 * hit / (10 * round(lane))
    worst = max(worst, abs(got - sec["riss_percent"]))
    print(f"{sec['start']:6.1f}-{sec['end']:6.1f} m  truth {sec['riss_percent']:5.1f} %  measured {got:5.1f} %")
print(f"largest error {worst:.1f} percentage points")
