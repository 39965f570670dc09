//! DTM accuracy on the synthetic street scene (crate zwilling-synth), whose bare earth is known
//! analytically: ground classification (noise + SMRF, default parameters, 100 m tiles), then the
//! TIN DTM at 0.5 m, compared at every cell centre with `Scene::ground_height`.
//!
//! Issue 3 target: RMSE ≤ 2 cm on the road (carriageway) and ≤ 5 cm on open ground (grass cells
//! that the scanner saw, i.e. that hold a true ground point of the synthetic scan).

use std::collections::HashSet;
use zwilling_cloud::grid::tin::{tin_dtm, GroundCentroids, TinParams};
use zwilling_cloud::ground::{classify_tiled, GroundParams};
use zwilling_core::{class, Grid, PointBlock};
use zwilling_synth::{point_layout, Material, Scene, SceneParams};

#[test]
fn dtm_rmse_on_road_and_open_ground() {
    let scene = Scene::new(SceneParams { length: 60.0, ..SceneParams::default() }).unwrap();
    let mut points = PointBlock::with_capacity(point_layout(), 0);
    scene
        .generate_points(|b| {
            points.append(&b);
            Ok(())
        })
        .unwrap();
    let truth_class = points.classification.clone();
    // Our classification must not see the scene's own classes.
    let blank = vec![class::CREATED; points.len()];
    let classes =
        classify_tiled(&points.x, &points.y, &points.z, &blank, &points.flags, &GroundParams::default(), 100.0)
            .unwrap();
    let res = 0.5;
    let mut centroids = GroundCentroids::default();
    let mut seen_ground = HashSet::new();
    for i in 0..points.len() {
        if classes[i] == class::GROUND {
            centroids.add(points.x[i], points.y[i], points.z[i], res);
        }
        if truth_class[i] == class::GROUND {
            seen_ground.insert(((points.x[i] / res).floor() as i64, (points.y[i] / res).floor() as i64));
        }
    }
    let mut dtm = Grid::covering(&points.bounds().to_2d(), res, f32::NAN).unwrap();
    tin_dtm(&centroids.centroids(), &mut dtm, &TinParams::default());
    let (mut road, mut open) = ((0.0, 0usize), (0.0, 0usize));
    for row in 0..dtm.height {
        for col in 0..dtm.width {
            let v = dtm.data[dtm.idx(col, row)];
            let (x, y) = dtm.transform.cell_center(col, row);
            if v.is_nan() || !seen_ground.contains(&((x / res).floor() as i64, (y / res).floor() as i64)) {
                continue;
            }
            let e2 = (v as f64 - scene.ground_height(x, y)).powi(2);
            let (s, t) = scene.frame.to_frame(x, y);
            if scene.road_surface(x, y).is_some() {
                road.0 += e2;
                road.1 += 1;
            } else if scene.material_sf(s, t) == Material::Grass {
                open.0 += e2;
                open.1 += 1;
            }
        }
    }
    let rmse = |(sum, n): (f64, usize)| (sum / n as f64).sqrt();
    let (road_rmse, open_rmse) = (rmse(road), rmse(open));
    println!("road RMSE {road_rmse:.4} m over {} cells, open ground {open_rmse:.4} m over {} cells", road.1, open.1);
    assert!(road.1 > 1000 && open.1 > 500, "too few cells: {} road, {} open", road.1, open.1);
    assert!(road_rmse <= 0.02, "road RMSE {road_rmse:.4} m");
    assert!(open_rmse <= 0.05, "open-ground RMSE {open_rmse:.4} m");
}
