//! Conformance: ground classification of a real mobile-mapping street scan (Amsterdam, CycloMedia,
//! `../shared/data/amsterdam-mls/`, tests only). The independent reference is the AHN airborne
//! tile of the same area (AHN's own ground class 2, gridded as a TIN DTM) and the BGT road polygons.
//! Heights `h = z − DTM_AHN(x, y)` split the MLS points into
//! - road surface: inside a BGT road polygon and |h| ≤ 0.2 m → must be ground,
//! - objects on the road (parked cars, bikes, people): inside a road polygon, 0.5 m < h < 2.5 m,
//! - façades and other high structures: h > 3 m → must not be ground.
//!
//! The bounds are the acceptance targets (not yet measured: zwilling-io did not build when this
//! was written): ≥ 95 % of road-surface points ground, ≤ 10 % of road objects, ≤ 1 % of high points.
#![cfg(feature = "conformance")]

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

#[test]
#[ignore = "known failure: only 11 scan points fall on the AHN reference surface, so the groups are too small; see docs/ground.md"]
fn road_is_ground_cars_and_facades_are_not() {
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
    let on_road = |x: f64, y: f64| polys.iter().any(|(b, p)| b.contains(x, y) && inside(p, x, y));
    // (ground, total) per group.
    let (mut road, mut car, mut high) = ((0usize, 0usize), (0usize, 0usize), (0usize, 0usize));
    for (i, &c) in classes.iter().enumerate().take(mls.len()) {
        let Some(g) = dtm.sample_bilinear(mls.x[i], mls.y[i]) else { continue };
        let h = mls.z[i] - g;
        let ground = (c == class::GROUND) as usize;
        let group = if h > 3.0 {
            &mut high
        } else if on_road(mls.x[i], mls.y[i]) && h.abs() <= 0.2 {
            &mut road
        } else if on_road(mls.x[i], mls.y[i]) && h > 0.5 && h < 2.5 {
            &mut car
        } else {
            continue;
        };
        group.0 += ground;
        group.1 += 1;
    }
    let share = |(g, n): (usize, usize)| 100.0 * g as f64 / n as f64;
    let (sr, sc, sh) = (share(road), share(car), share(high));
    println!(
        "ground share: road surface {sr:.2} % of {}, road objects {sc:.2} % of {}, high {sh:.3} % of {}",
        road.1, car.1, high.1
    );
    assert!(road.1 > 50_000 && car.1 > 1_000 && high.1 > 10_000, "groups too small: {road:?} {car:?} {high:?}");
    assert!(sr >= ROAD_MIN, "road surface ground share {sr:.2} %");
    assert!(sc <= CAR_MAX, "road object ground share {sc:.2} %");
    assert!(sh <= HIGH_MAX, "high point ground share {sh:.3} %");
}

/// Target share of road-surface points classified ground (%).
const ROAD_MIN: f64 = 95.0;
/// Target maximum share of road objects classified ground (%).
const CAR_MAX: f64 = 10.0;
/// Target maximum share of points > 3 m above the AHN terrain classified ground (%).
const HIGH_MAX: f64 = 1.0;
