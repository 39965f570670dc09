//! Conformance: ground classification of a real mobile-mapping street scan (Amsterdam, CycloMedia,
//! `../shared/data/amsterdam-mls/`, tests only). The independent reference is the AHN3 airborne
//! tile of the same 50 × 50 m (AHN's own ground class 2, gridded here as a TIN DTM at 0.5 m) and the
//! BGT road polygons of the same area. Both are in RD New (EPSG:28992) with NAP heights, like the
//! scan (checked: the median difference of the lowest scan point and the lowest AHN ground point per
//! 1 m cell is 0.5 cm).
//!
//! **What the shared scan holds.** The file is the upstream repository's *sidewalk* product
//! (`run1/sidewalk/processed_…`): the carriageway inside the BGT road polygons was cut away (2 of
//! 454 236 points lie inside the polygons, which cover about a third of the tile) and the points are
//! cut to a slab up to about 2.5 m above the ground (9 points above 3 m; no façades). The first
//! version of this test grouped points by "inside a road polygon", so only a handful of points
//! landed in its groups. The test now asserts that premise explicitly and checks what the scan does
//! hold, with heights `h = z − DTM_AHN(x, y)`:
//! - paved surface (sidewalks, verges, parking strips next to the road): |h| ≤ 0.15 m (AHN3's
//!   specified vertical accuracy is 5 cm systematic + 5 cm stochastic) → must be ground;
//! - street furniture, parked cars, bikes, hedges: 1.0 m < h < 2.5 m → must not be ground;
//! - the lower parts of such objects, 0.5 m < h ≤ 1.0 m → mostly not ground (SMRF accepts points
//!   within `t + k·|∇z|` of its surface, so object rims next to kerbs pass; see docs/ground.md §5).
//!
//! The bounds are the shares reached when this test was written plus a small margin, so that a
//! regression fails (numbers in docs/ground.md).

use zwilling_cloud::grid::tin::{tin_dtm, GroundCentroids, TinParams};
use zwilling_cloud::ground::{classify_tiled, GroundParams};
use zwilling_core::{class, testdata::shared_path, Bounds2, Grid};

fn road_polygons() -> Vec<Vec<[f64; 2]>> {
    let path = shared_path("data/amsterdam-mls/bgt_roads_demo.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let start = l.find('"')?;
            let end = l[start + 1..].find('"')? + start + 1;
            serde_json::from_str::<Vec<[f64; 2]>>(&l[start + 1..end]).ok()
        })
        .collect()
}

/// Even–odd point-in-polygon test.
fn inside(poly: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut c = false;
    let n = poly.len();
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + n - 1) % n]);
        if (a[1] > y) != (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0] {
            c = !c;
        }
    }
    c
}

/// (ground, total) of one group.
#[derive(Debug, Default, Clone, Copy)]
struct Share(usize, usize);

impl Share {
    fn add(&mut self, ground: bool) {
        self.0 += ground as usize;
        self.1 += 1;
    }
    fn percent(self) -> f64 {
        100.0 * self.0 as f64 / self.1.max(1) as f64
    }
}

#[test]
fn paved_surface_is_ground_objects_are_not() {
    let (_, ahn) = zwilling_io::las::read_all(&shared_path("data/amsterdam-mls/ahn_2386_9702.laz")).unwrap();
    let mut centroids = GroundCentroids::default();
    for i in 0..ahn.len() {
        if ahn.classification[i] == class::GROUND {
            centroids.add(ahn.x[i], ahn.y[i], ahn.z[i], 0.5);
        }
    }
    let mut dtm = Grid::covering(&ahn.bounds().to_2d(), 0.5, f32::NAN).unwrap();
    tin_dtm(&centroids.centroids(), &mut dtm, &TinParams { max_edge: 20.0 });

    let (_, mls) = zwilling_io::las::read_all(&shared_path("data/amsterdam-mls/mls_run1_2386_9702.laz")).unwrap();
    let blank = vec![class::CREATED; mls.len()];
    let classes = classify_tiled(&mls.x, &mls.y, &mls.z, &blank, &mls.flags, &GroundParams::default(), 100.0).unwrap();
    let polys: Vec<(Bounds2, Vec<[f64; 2]>)> = road_polygons()
        .into_iter()
        .map(|p| {
            let mut b = Bounds2::EMPTY;
            p.iter().for_each(|q| b.add(q[0], q[1]));
            (b, p)
        })
        .collect();
    assert!(polys.len() >= 20, "expected the BGT road polygons, read {}", polys.len());
    let on_road = |x: f64, y: f64| polys.iter().any(|(b, p)| b.contains(x, y) && inside(p, x, y));
    // The premise: the carriageway is not in this scan (the upstream sidewalk product).
    let in_polygons = (0..mls.len()).filter(|&i| on_road(mls.x[i], mls.y[i])).count();
    let polygon_cells = dtm_cells_in(&dtm, &on_road);
    assert!(
        in_polygons < 10 && polygon_cells * 5 > dtm.width * dtm.height,
        "{in_polygons} scan points inside the road polygons covering {polygon_cells} of {} cells: the scan now \
         holds the carriageway, so check the road surface inside the polygons again",
        dtm.width * dtm.height
    );
    let (mut surface, mut rims, mut objects, mut high) = (Share::default(), Share::default(), Share::default(), 0);
    for (i, &c) in classes.iter().enumerate() {
        let Some(g) = dtm.sample_bilinear(mls.x[i], mls.y[i]) else { continue };
        let h = mls.z[i] - g;
        let ground = c == class::GROUND;
        if h.abs() <= 0.15 {
            surface.add(ground);
        } else if h > 0.5 && h <= 1.0 {
            rims.add(ground);
        } else if h > 1.0 && h < 2.5 {
            objects.add(ground);
        } else if h >= 2.5 {
            high += 1;
        }
    }
    let (ss, sr, so) = (surface.percent(), rims.percent(), objects.percent());
    println!(
        "ground share: paved surface {ss:.2} % of {}, objects 0.5–1 m {sr:.2} % of {}, objects 1–2.5 m {so:.2} % of {}; \
         {high} points ≥ 2.5 m; {in_polygons} points inside the road polygons ({polygon_cells} of {} DTM cells)",
        surface.1, rims.1, objects.1, dtm.width * dtm.height
    );
    assert!(
        surface.1 > 40_000 && rims.1 > 100_000 && objects.1 > 50_000,
        "groups too small: {surface:?} {rims:?} {objects:?}"
    );
    assert!(ss >= SURFACE_MIN, "paved surface ground share {ss:.2} %");
    assert!(sr <= RIM_MAX, "objects 0.5–1 m ground share {sr:.2} %");
    assert!(so <= OBJECT_MAX, "objects 1–2.5 m ground share {so:.2} %");
}

/// Cells of `grid` whose centre `inside` accepts.
fn dtm_cells_in(grid: &Grid<f32>, inside: &impl Fn(f64, f64) -> bool) -> usize {
    let mut n = 0;
    for r in 0..grid.height {
        for c in 0..grid.width {
            let (x, y) = grid.transform.cell_center(c, r);
            n += inside(x, y) as usize;
        }
    }
    n
}

/// Minimum share of paved-surface points classified ground (%); reached 99.63 % (2026-11-27).
const SURFACE_MIN: f64 = 99.3;
/// Maximum share of object points 0.5–1 m above the terrain classified ground (%); reached 19.96 %.
const RIM_MAX: f64 = 21.0;
/// Maximum share of object points 1–2.5 m above the terrain classified ground (%); reached 2.68 %.
const OBJECT_MAX: f64 = 3.2;
