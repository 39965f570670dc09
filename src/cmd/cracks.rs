//! `zwilling cracks`: detect pavement cracks in images, and score crack masks against references.
//!
//! `detect IMAGE_DIR -o MASK_DIR` writes one 8-bit PNG per image (same base name, 255 = crack,
//! 0 = background), in parallel over images. A mask newer than its image is kept (a stopped batch
//! resumes) unless `--force`. With `--poses POSES.csv` and a road surface (`--dtm`, `--plane-z` or
//! `--camera-height`) the cracks are also vectorised, projected into the map CRS and written as a
//! GeoJSON FeatureCollection of LineStrings with `width_m` and `length_m` (`MASK_DIR/cracks.geojson`
//! or `--geojson`). Without `--poses`, a road surface option makes it read each JPEG's EXIF GPS
//! position (projected to `--epsg`), altitude and time instead; the heading is the EXIF
//! GPSImgDirection (true north, turned to grid north) or else the track through the neighbouring
//! images in time order, and the camera is `--camera` with `--gsd` / `--focal-px`.
//! `eval --pred DIR --truth DIR` compares masks of equal base name with the tolerance protocol of
//! docs/cracks.md: pixel counts summed over all images (micro average), plus the per-image mean.
//! `markings --ortho I.tif` finds road markings in an intensity ortho (within the road corridor of
//! `--trajectory` when given) and writes them as GeoJSON (`-o`) and/or as the `markings` layer of a
//! road GeoPackage (`--gpkg road.gpkg`).

use crate::progress;
use clap::{Args, Subcommand};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use zwilling_core::{CrsInfo, Feature, FieldType, Geometry, Layer, Value};
use zwilling_core::{Error, Result};
use zwilling_cracks::corridor::corridor_mask;
use zwilling_cracks::georef::georeferenced_cracks;
use zwilling_cracks::markings::{find_markings_on_road, MarkingParams};
use zwilling_cracks::track_heading::track_headings;
use zwilling_cracks::{detect_cracks, match_counts, Camera, CrackParams, LineString3, MatchCounts, Scores, Surface};
use zwilling_io::exif::{read_exif_geo, ExifGeo};
use zwilling_io::geojson::write_geojson;
use zwilling_io::gpkg::{GeometryType, GpkgWriter, LayerOptions};
use zwilling_io::imagery::{list_images, read_gray, write_png_gray};
use zwilling_io::raster::read_geotiff_f32;
use zwilling_io::trajectory::read_image_poses;

#[derive(Args, Debug)]
pub struct CracksArgs {
    #[command(subcommand)]
    pub command: CracksCommand,
}

#[derive(Subcommand, Debug)]
pub enum CracksCommand {
    /// Detect cracks in every image (JPEG, PNG, TIFF) of a folder; write PNG masks.
    Detect(DetectArgs),
    /// Precision, recall and F1 of predicted masks against reference masks.
    Eval(EvalArgs),
    /// Road markings (bright, thin, long shapes) in an intensity ortho, with a wear score.
    Markings(MarkingsArgs),
    /// Cracks (dark lines) in a georeferenced ortho raster, e.g. the LiDAR intensity ortho: the
    /// second crack source beside pavement photos; writes 2D crack line strings (GeoJSON).
    Ortho(OrthoArgs),
}

#[derive(Args, Debug)]
pub struct OrthoArgs {
    /// Ortho raster (GeoTIFF): one band (`zwilling grid --product intensity`) or RGB (`--product
    /// rgb`, used as its luma).
    #[arg(value_name = "ORTHO.tif")]
    pub ortho: PathBuf,
    /// Output GeoJSON: LineStrings with width_m and length_m, in the raster's CRS.
    #[arg(short, long, value_name = "cracks.geojson")]
    pub output: PathBuf,
}

#[derive(Args, Debug)]
pub struct MarkingsArgs {
    /// Intensity ortho (GeoTIFF, e.g. from `zwilling grid --product intensity`).
    #[arg(long, value_name = "I.tif")]
    pub ortho: PathBuf,
    /// Output GeoJSON: LineStrings with length_m, width_m and wear_score (Michelson contrast, 0..1).
    #[arg(short, long, value_name = "markings.geojson", required_unless_present = "gpkg")]
    pub output: Option<PathBuf>,
    /// Road GeoPackage (e.g. from `zwilling road`) to add the `markings` layer to (replacing an
    /// older one; the other layers are kept).
    #[arg(long, value_name = "road.gpkg")]
    pub gpkg: Option<PathBuf>,
    /// Vehicle trajectory CSV (time,x,y,z,heading,pitch,roll): only the road corridor from
    /// `--road-right` m right to `--road-left` m left of it is searched (no kerbs, sidewalks, walls).
    #[arg(long, value_name = "T.csv", requires_all = ["road_left", "road_right"])]
    pub trajectory: Option<PathBuf>,
    /// Distance from the trajectory to the left road edge (kerb), metres.
    #[arg(long, value_name = "M", requires = "trajectory")]
    pub road_left: Option<f64>,
    /// Distance from the trajectory to the right road edge (kerb), metres.
    #[arg(long, value_name = "M", requires = "trajectory")]
    pub road_right: Option<f64>,
    /// A marking is at least this many times brighter than the asphalt around it.
    #[arg(long, default_value_t = 1.5)]
    pub min_ratio: f32,
    /// Shortest marking kept, metres.
    #[arg(long, default_value_t = 1.0)]
    pub min_length: f64,
}

#[derive(Args, Debug)]
pub struct DetectArgs {
    /// Folder of road images.
    #[arg(value_name = "IMAGE_DIR")]
    pub images: PathBuf,
    /// Output folder for the masks (created if missing).
    #[arg(short, long, value_name = "MASK_DIR")]
    pub output: PathBuf,
    /// PNG of the image size whose non-zero pixels are the vehicle (ignored in every image).
    #[arg(long, value_name = "PNG")]
    pub vehicle_mask: Option<PathBuf>,
    /// Recompute masks that already exist.
    #[arg(long)]
    pub force: bool,
    /// Image poses (CSV: image,time,x,y,z,heading,pitch,roll,camera,gsd,width,height,focal_px):
    /// also write georeferenced crack polylines.
    #[arg(long, value_name = "POSES.csv")]
    pub poses: Option<PathBuf>,
    /// Terrain model (GeoTIFF) the image rays are intersected with.
    #[arg(long, value_name = "DTM.tif", conflicts_with_all = ["plane_z", "camera_height"])]
    pub dtm: Option<PathBuf>,
    /// Road surface as a horizontal plane at this height (map vertical datum).
    #[arg(long, value_name = "Z", conflicts_with = "camera_height")]
    pub plane_z: Option<f64>,
    /// Road surface this far below each image's camera (m), e.g. 2.5 for `zwilling synth` images.
    #[arg(long, value_name = "M")]
    pub camera_height: Option<f64>,
    /// Without --poses: camera model of the EXIF-located images (ortho needs --gsd, pinhole
    /// --focal-px; down-looking, optical axis straight down; equirectangular panoramas level).
    #[arg(long, default_value = "ortho", value_name = "MODEL")]
    pub camera: String,
    /// Without --poses: ground sample distance of the `ortho` camera, m per pixel.
    #[arg(long, value_name = "M")]
    pub gsd: Option<f64>,
    /// Without --poses: focal length of the `pinhole` camera in pixels.
    #[arg(long, value_name = "PX")]
    pub focal_px: Option<f64>,
    /// Output GeoJSON of the georeferenced cracks [default: MASK_DIR/cracks.geojson].
    #[arg(long, value_name = "PATH")]
    pub geojson: Option<PathBuf>,
    /// EPSG code of the pose coordinates, written as the GeoJSON CRS.
    #[arg(long, default_value_t = 25832)]
    pub epsg: u32,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Folder of predicted masks (non-zero = crack).
    #[arg(long, value_name = "DIR")]
    pub pred: PathBuf,
    /// Folder of reference masks (non-zero = crack); every one needs a prediction of the same base name.
    #[arg(long, value_name = "DIR")]
    pub truth: PathBuf,
    /// Distance tolerance(s) in pixels, comma separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.0, 2.0, 5.0], value_name = "PX")]
    pub tolerance: Vec<f64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: CracksArgs) -> Result<()> {
    match a.command {
        CracksCommand::Detect(d) => detect(d),
        CracksCommand::Eval(e) => eval(e),
        CracksCommand::Markings(m) => markings(m),
        CracksCommand::Ortho(o) => ortho_cracks(o),
    }
}

/// The ortho as one grey band: a single band as it is (intensity), an RGB(A) ortho as its luma
/// `Y = 0.299 R + 0.587 G + 0.114 B` (ITU-R BT.601, the JPEG/JFIF luma the photos are read as);
/// a cell is NoData when its red band is.
fn ortho_band(path: &Path) -> Result<zwilling_core::Grid<f32>> {
    let bands = zwilling_io::raster::read_geotiff_bands(path)?;
    match bands.len() {
        1 => Ok(bands[0].to_f32()),
        3 | 4 => {
            let [r, g, b] = [0, 1, 2].map(|k| bands[k].to_f32());
            let mut y = r.clone();
            for (i, v) in y.data.iter_mut().enumerate() {
                if !r.is_nodata(*v) {
                    *v = 0.299 * r.data[i] + 0.587 * g.data[i] + 0.114 * b.data[i];
                }
            }
            Ok(y)
        }
        n => Err(Error::bad_file(path, format!("has {n} bands: expected 1 (intensity) or 3–4 (RGB ortho)"))),
    }
}

fn ortho_cracks(a: OrthoArgs) -> Result<()> {
    let ortho = ortho_band(&a.ortho)?;
    let t = &ortho.transform;
    if (t.cell_x - t.cell_y).abs() > 1e-9 * t.cell_x {
        return Err(Error::bad_file(&a.ortho, "the ortho's cells are not square"));
    }
    let lines = zwilling_cracks::ortho_source::ortho_cracks(&ortho, &CrackParams::default());
    let crs = if ortho.crs.epsg.is_some() { ortho.crs.clone() } else { CrsInfo::from_epsg(25832) };
    let mut layer =
        Layer::new("cracks", crs, vec![("width_m".into(), FieldType::Real), ("length_m".into(), FieldType::Real)]);
    for l in lines {
        layer.features.push(Feature {
            geometry: Geometry::LineString(l.points),
            values: vec![Value::Real(l.width_m), Value::Real(l.length_m)],
        });
    }
    write_geojson(&a.output, &layer)?;
    if !progress::quiet() {
        eprintln!("{} crack line strings written to {}", layer.features.len(), a.output.display());
    }
    Ok(())
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn is_fresh(mask: &Path, image: &Path) -> bool {
    let m = std::fs::metadata(mask).and_then(|m| m.modified());
    let i = std::fs::metadata(image).and_then(|m| m.modified());
    matches!((m, i), (Ok(m), Ok(i)) if m >= i)
}

/// Where the cracks of one image lie: camera (`None`: from the `--camera` options and the image
/// size) and pose.
#[derive(Debug)]
struct Georef {
    camera: Option<Camera>,
    pose: zwilling_core::TrajectoryPoint,
}

/// Poses of `images` from their EXIF GPS tags (see the module docs); `need_z`: the altitude is
/// used (a `--dtm` or `--plane-z` surface), else a missing altitude is taken as 0.
fn exif_georef(images: &[PathBuf], epsg: u32, camera: &str, need_z: bool) -> Result<Vec<Georef>> {
    let tr = zwilling_crs::Transformer::new(&CrsInfo::from_epsg(epsg))?;
    let geo: Vec<ExifGeo> = images
        .par_iter()
        .map(|p| {
            let g = read_exif_geo(p)?.unwrap_or_default();
            if g.latitude.is_none() || g.longitude.is_none() {
                return Err(Error::bad_file(p, "no EXIF GPS position; give the poses with --poses"));
            }
            if need_z && g.altitude.is_none() {
                return Err(Error::bad_file(p, "no EXIF GPS altitude; use --camera-height or --poses"));
            }
            Ok(g)
        })
        .collect::<Result<_>>()?;
    let xy: Vec<[f64; 2]> = geo
        .iter()
        .map(|g| {
            let (x, y) = tr.from_wgs84(g.longitude.unwrap(), g.latitude.unwrap());
            [x, y]
        })
        .collect();
    // Track order: by time when every image has one, else by file name (the listing order).
    let mut order: Vec<usize> = (0..images.len()).collect();
    if geo.iter().all(|g| g.time().is_some()) {
        order.sort_by(|&a, &b| geo[a].time().unwrap().total_cmp(&geo[b].time().unwrap()));
    }
    let track: Vec<[f64; 2]> = order.iter().map(|&k| xy[k]).collect();
    let mut track_heading = vec![f64::NAN; images.len()];
    if let Some(h) = track_headings(&track, 0.5) {
        for (&k, h) in order.iter().zip(h) {
            track_heading[k] = h;
        }
    }
    let pitch = if matches!(camera.to_ascii_lowercase().as_str(), "ortho" | "pinhole") { -90.0 } else { 0.0 };
    (0..images.len())
        .map(|k| {
            let g = &geo[k];
            let heading = match g.direction_deg.filter(|_| !g.direction_magnetic) {
                Some(true_deg) => {
                    // Grid convergence: the grid azimuth of true north at the image.
                    let (lon, lat) = (g.longitude.unwrap(), g.latitude.unwrap());
                    let n = tr.from_wgs84(lon, lat + 1e-4);
                    let gamma = (n.0 - xy[k][0]).atan2(n.1 - xy[k][1]).to_degrees();
                    (true_deg + gamma).rem_euclid(360.0)
                }
                None if track_heading[k].is_finite() => track_heading[k],
                None => {
                    return Err(Error::bad_file(
                        &images[k],
                        "no EXIF GPSImgDirection (true north) and no neighbouring image 0.5 m away to take the \
                         heading from; give --poses",
                    ))
                }
            };
            let pose = zwilling_core::TrajectoryPoint {
                time: g.time().unwrap_or(k as f64),
                x: xy[k][0],
                y: xy[k][1],
                z: g.altitude.unwrap_or(0.0),
                heading,
                pitch,
                roll: 0.0,
            };
            Ok(Georef { camera: None, pose })
        })
        .collect()
}

fn detect(a: DetectArgs) -> Result<()> {
    crate::alloc_tuning::keep_large_buffers();
    let images = list_images(&a.images)?;
    if images.is_empty() {
        return Err(Error::bad_file(&a.images, "no JPEG, PNG or TIFF images in this folder"));
    }
    std::fs::create_dir_all(&a.output).map_err(|e| Error::io(&a.output, e))?;
    let vehicle = a.vehicle_mask.as_deref().map(read_gray).transpose()?;
    let params = CrackParams::default();
    // Georeferencing inputs, checked before any image is processed.
    let has_surface = a.dtm.is_some() || a.plane_z.is_some() || a.camera_height.is_some();
    let georef: Option<Vec<Georef>> = match &a.poses {
        None if has_surface => {
            // Checked once here with a placeholder size; the real size comes from each image.
            Camera::from_model(&a.camera, a.gsd, Some(2), Some(2), a.focal_px)
                .map_err(|e| Error::invalid(format!("without --poses: {e} (--camera, --gsd, --focal-px)")))?;
            Some(exif_georef(&images, a.epsg, &a.camera, a.camera_height.is_none())?)
        }
        None => None,
        Some(path) => {
            if !has_surface {
                return Err(Error::invalid("--poses needs a road surface: --dtm, --plane-z or --camera-height"));
            }
            let records = read_image_poses(path)?;
            let mut out = Vec::with_capacity(images.len());
            for img in &images {
                let name = img.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let r = records
                    .iter()
                    .find(|r| r.image == name || stem(Path::new(&r.image)) == stem(img))
                    .ok_or_else(|| Error::bad_file(path, format!("no pose for image {name}")))?;
                let camera =
                    Camera::from_model(&r.camera, r.gsd, r.width, r.height, r.focal_px).map_err(|e| e.in_file(path))?;
                out.push(Georef { camera: Some(camera), pose: r.pose });
            }
            Some(out)
        }
    };
    let dtm = a.dtm.as_deref().map(read_geotiff_f32).transpose()?;
    let pb = progress::bar(images.len() as u64, "images");
    let results: Vec<Result<(bool, Vec<LineString3>)>> = images
        .par_iter()
        .enumerate()
        .map(|(k, img_path)| {
            let out = a.output.join(format!("{}.png", stem(img_path)));
            let fresh = !a.force && is_fresh(&out, img_path);
            let r = (|| {
                if fresh && georef.is_none() {
                    return Ok((false, vec![]));
                }
                let img = read_gray(img_path)?;
                let mask = if fresh {
                    let m = read_gray(&out)?;
                    if m.dimensions() != img.dimensions() {
                        return Err(Error::bad_file(&out, "mask size differs from its image; rerun with --force"));
                    }
                    m
                } else {
                    let m = detect_cracks(&img, vehicle.as_ref(), &params).map_err(|e| e.in_file(img_path))?;
                    write_png_gray(&out, &m)?;
                    m
                };
                let lines = match &georef {
                    None => vec![],
                    Some(g) => {
                        let g = &g[k];
                        let surface = match (&dtm, a.plane_z, a.camera_height) {
                            (Some(d), _, _) => Surface::Dtm(d),
                            (None, Some(z), _) => Surface::Plane { z },
                            (None, None, Some(hc)) => Surface::Plane { z: g.pose.z - hc },
                            _ => unreachable!("checked above"),
                        };
                        let valid: Option<Vec<bool>> =
                            vehicle.as_ref().map(|v| v.as_raw().iter().map(|&m| m == 0).collect());
                        let m: Vec<bool> = mask.as_raw().iter().map(|&v| v > 0).collect();
                        let camera = match &g.camera {
                            Some(c) => *c,
                            None => {
                                Camera::from_model(&a.camera, a.gsd, Some(img.width()), Some(img.height()), a.focal_px)
                                    .map_err(|e| e.in_file(img_path))?
                            }
                        };
                        georeferenced_cracks(&img, valid.as_deref(), &m, &params, &g.pose, &camera, &surface)
                    }
                };
                Ok((!fresh, lines))
            })();
            pb.inc(1);
            r
        })
        .collect();
    pb.finish_and_clear();
    let mut written = 0;
    let mut layer = Layer::new(
        "cracks",
        CrsInfo::from_epsg(a.epsg),
        vec![("width_m".into(), FieldType::Real), ("length_m".into(), FieldType::Real)],
    );
    for r in results {
        let (new, lines) = r?;
        written += new as usize;
        for l in lines {
            layer.features.push(Feature {
                geometry: Geometry::LineString(l.points),
                values: vec![Value::Real(l.width_m), Value::Real(l.length_m)],
            });
        }
    }
    tracing::info!("{written} masks written, {} kept", images.len() - written);
    if !progress::quiet() {
        eprintln!("{written} masks written to {}, {} up to date", a.output.display(), images.len() - written);
    }
    if georef.is_some() {
        let path = a.geojson.clone().unwrap_or_else(|| a.output.join("cracks.geojson"));
        write_geojson(&path, &layer)?;
        if !progress::quiet() {
            eprintln!("{} georeferenced crack polylines written to {}", layer.features.len(), path.display());
        }
    }
    Ok(())
}

fn markings(a: MarkingsArgs) -> Result<()> {
    if !(a.min_ratio > 1.0) || !(a.min_length > 0.0) {
        return Err(Error::invalid("--min-ratio must be > 1 and --min-length > 0"));
    }
    let ortho = read_geotiff_f32(&a.ortho)?;
    if (ortho.transform.cell_x - ortho.transform.cell_y).abs() > 1e-9 * ortho.transform.cell_x {
        return Err(Error::bad_file(&a.ortho, "cells must be square for marking detection"));
    }
    let params = MarkingParams { min_ratio: a.min_ratio, min_length_m: a.min_length, ..MarkingParams::default() };
    let road = match (&a.trajectory, a.road_left, a.road_right) {
        (Some(t), Some(left), Some(right)) => {
            if !left.is_finite() || !right.is_finite() || left + right <= 0.0 {
                return Err(Error::invalid("--road-left and --road-right must span a band (left > −right)"));
            }
            let traj = zwilling_io::trajectory::read_trajectory(t)?;
            if traj.len() < 2 {
                return Err(Error::bad_file(t, "a trajectory needs at least two points"));
            }
            let path: Vec<[f64; 2]> = traj.iter().map(|p| [p.x, p.y]).collect();
            let m = corridor_mask(&ortho.transform, ortho.width, ortho.height, &path, left, right);
            if !m.iter().any(|&v| v) {
                return Err(Error::bad_file(t, format!("the road corridor does not overlap {}", a.ortho.display())));
            }
            Some(m)
        }
        _ => None,
    };
    let found = find_markings_on_road(&ortho, road.as_deref(), &params);
    let mut layer = Layer::new(
        "markings",
        ortho.crs.clone(),
        vec![
            ("length_m".into(), FieldType::Real),
            ("width_m".into(), FieldType::Real),
            ("wear_score".into(), FieldType::Real),
        ],
    );
    for m in &found {
        layer.features.push(Feature {
            geometry: Geometry::LineString(m.points.iter().map(|p| [p[0], p[1], f64::NAN]).collect()),
            values: vec![Value::Real(m.length_m), Value::Real(m.width_m), Value::Real(m.wear_score)],
        });
    }
    let total: f64 = found.iter().map(|m| m.length_m).sum();
    if let Some(out) = &a.output {
        write_geojson(out, &layer)?;
        if !progress::quiet() {
            eprintln!("{} markings ({total:.1} m) written to {}", found.len(), out.display());
        }
    }
    if let Some(g) = &a.gpkg {
        let mut w = GpkgWriter::update(g)?;
        w.replace_layer(
            &layer,
            &LayerOptions { geometry_type: Some(GeometryType::LineString), ..LayerOptions::for_layer(&layer) },
        )?;
        w.finish()?;
        if !progress::quiet() {
            eprintln!("{} markings ({total:.1} m) written as layer markings to {}", found.len(), g.display());
        }
    }
    Ok(())
}

fn eval(a: EvalArgs) -> Result<()> {
    if a.tolerance.iter().any(|t| !(*t >= 0.0)) {
        return Err(Error::invalid("--tolerance must be ≥ 0"));
    }
    let truths = list_images(&a.truth)?;
    if truths.is_empty() {
        return Err(Error::bad_file(&a.truth, "no reference masks (PNG, TIFF, JPEG) in this folder"));
    }
    let preds = list_images(&a.pred)?;
    let pb = progress::bar(truths.len() as u64, "masks");
    let per: Vec<Result<Vec<MatchCounts>>> = truths
        .par_iter()
        .map(|t| {
            let s = stem(t);
            let p = preds
                .iter()
                .find(|p| stem(p) == s)
                .ok_or_else(|| Error::bad_file(t, format!("no prediction named {s}.* in {}", a.pred.display())))?;
            let (tm, pm) = (read_gray(t)?, read_gray(p)?);
            if tm.dimensions() != pm.dimensions() {
                return Err(Error::bad_file(
                    p,
                    format!("is {:?} but the reference {} is {:?}", pm.dimensions(), t.display(), tm.dimensions()),
                ));
            }
            let (w, h) = (tm.width() as usize, tm.height() as usize);
            let truth: Vec<bool> = tm.as_raw().iter().map(|&v| v > 0).collect();
            let pred: Vec<bool> = pm.as_raw().iter().map(|&v| v > 0).collect();
            pb.inc(1);
            Ok(match_counts(&pred, &truth, w, h, &a.tolerance))
        })
        .collect();
    pb.finish_and_clear();
    let per: Vec<Vec<MatchCounts>> = per.into_iter().collect::<Result<_>>()?;
    let rows: Vec<(f64, MatchCounts, Scores)> = a
        .tolerance
        .iter()
        .enumerate()
        .map(|(k, &t)| {
            let mut total = MatchCounts::default();
            for c in &per {
                total += c[k];
            }
            let mean = Scores::mean_of(&per.iter().map(|c| c[k].scores()).collect::<Vec<_>>());
            (t, total, mean)
        })
        .collect();
    if a.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(t, c, m)| {
                let s = c.scores();
                serde_json::json!({
                    "tolerance_px": t,
                    "precision": s.precision, "recall": s.recall, "f1": s.f1,
                    "counts": c,
                    "per_image_mean": m,
                })
            })
            .collect();
        let out = serde_json::json!({ "images": per.len(), "averaging": "micro (pixel counts summed over images)", "results": v });
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| Error::invalid(e.to_string()))?);
    } else {
        println!("{} images; micro average over all pixels (per-image mean in brackets)", per.len());
        println!("{:>9}  {:>15}  {:>15}  {:>15}", "tolerance", "precision", "recall", "F1");
        for (t, c, m) in &rows {
            let s = c.scores();
            println!(
                "{:>7} px  {:>6.3} ({:.3})  {:>6.3} ({:.3})  {:>6.3} ({:.3})",
                t, s.precision, m.precision, s.recall, m.recall, s.f1, m.f1
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_io::exif::{exif_gps_app1, insert_app1};

    /// Three JPEGs at the given (lat, lon, GPSImgDirection), one second apart, listed in reverse
    /// time order by name (the track must follow the time stamps, not the names).
    fn images(dir: &Path, at: &[(f64, f64, Option<f64>)]) -> Vec<PathBuf> {
        let mut jpeg = vec![];
        let img = image::RgbImage::from_pixel(32, 16, image::Rgb([100, 100, 100]));
        img.write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).unwrap();
        at.iter()
            .enumerate()
            .map(|(k, &(lat, lon, dir_deg))| {
                let geo = ExifGeo {
                    latitude: Some(lat),
                    longitude: Some(lon),
                    altitude: Some(100.0 + k as f64),
                    direction_deg: dir_deg,
                    gps_time: Some(1_700_000_000.0 + k as f64),
                    ..ExifGeo::default()
                };
                let p = dir.join(format!("img_{}.jpg", at.len() - k));
                std::fs::write(&p, insert_app1(&jpeg, &exif_gps_app1(&geo).unwrap()).unwrap()).unwrap();
                p
            })
            .rev()
            .collect()
    }

    #[test]
    fn exif_poses_take_position_projection_and_heading_from_the_tags_or_the_track() {
        let dir = tempfile::tempdir().unwrap();
        // On UTM zone 32's central meridian (9° E) easting is exactly 500 000 m and grid north is
        // true north; a track going north has heading 0.
        let north = images(dir.path(), &[(51.0, 9.0, None), (51.0001, 9.0, None), (51.0002, 9.0, None)]);
        let g = exif_georef(&north, 25832, "ortho", true).unwrap();
        for (k, r) in g.iter().enumerate() {
            assert!((r.pose.x - 500_000.0).abs() < 1e-6, "{}", r.pose.x);
            assert!(r.pose.heading.min(360.0 - r.pose.heading) < 1e-6, "{}", r.pose.heading);
            assert_eq!((r.pose.pitch, r.pose.roll), (-90.0, 0.0));
            // Listed in reverse: the last listed image is the first in time.
            assert_eq!(r.pose.z, 100.0 + (2 - k) as f64);
        }
        // 11.1 m apart per 0.0001° of latitude (meridian arc ≈ 111.2 km per degree at 51°).
        assert!((g[0].pose.y - g[1].pose.y - 11.13).abs() < 0.02, "{}", g[0].pose.y - g[1].pose.y);
        // GPSImgDirection 45.25° true, 1° east of the central meridian at 51° N: grid azimuth =
        // true azimuth − meridian convergence γ, γ ≈ Δλ·sin φ = 0.777° (first order).
        let d2 = tempfile::tempdir().unwrap();
        let east = images(d2.path(), &[(51.0, 10.0, Some(45.25)), (51.0, 10.0001, Some(45.25))]);
        let g = exif_georef(&east, 25832, "ortho", true).unwrap();
        let gamma = 1.0 * 51f64.to_radians().sin(); // Δλ = 1°, so γ in degrees
        for r in &g {
            assert!((r.pose.heading - (45.25 - gamma)).abs() < 0.01, "{} vs {}", r.pose.heading, 45.25 - gamma);
        }
        // One image without direction: no track → a clear error naming the file.
        let d3 = tempfile::tempdir().unwrap();
        let one = images(d3.path(), &[(51.0, 9.0, None)]);
        let e = exif_georef(&one, 25832, "ortho", true).unwrap_err().to_string();
        assert!(e.contains("img_1.jpg") && e.contains("heading"), "{e}");
    }

    #[test]
    fn ortho_cracks_are_written_in_map_coordinates() {
        // A 2 cm EPSG:25832 ortho with a dark 6 cm crack along row 80, columns 30–209 (see
        // zwilling_cracks::ortho_source): its line must come out at y = 2000 − 80.5 · 0.02.
        let dir = tempfile::tempdir().unwrap();
        let (w, h) = (240, 160);
        let data = (0..w * h)
            .map(|i| {
                if (79..82).contains(&(i / w)) && (30..210).contains(&(i % w)) {
                    40.0
                } else {
                    120.0 + ((i * 7919) % 9) as f32 - 4.0
                }
            })
            .collect();
        let mut g = zwilling_core::Grid {
            data,
            ..zwilling_core::Grid::filled(w, h, zwilling_core::GeoTransform::new(1000.0, 2000.0, 0.02), 0.0f32)
        };
        g.crs = CrsInfo::from_epsg(25832);
        let tif = dir.path().join("i.tif");
        zwilling_io::raster::write_cog(&tif, &g, &zwilling_io::raster::CogOptions::default()).unwrap();
        let out = dir.path().join("c.geojson");
        ortho_cracks(OrthoArgs { ortho: tif, output: out.clone() }).unwrap();
        let layer = zwilling_io::geojson::read_geojson(&out).unwrap();
        let longest = layer
            .features
            .iter()
            .filter_map(|f| match &f.geometry {
                Geometry::LineString(p) => Some(p.clone()),
                _ => None,
            })
            .max_by(|a, b| (a[a.len() - 1][0] - a[0][0]).abs().total_cmp(&(b[b.len() - 1][0] - b[0][0]).abs()))
            .unwrap();
        for p in &longest {
            assert!((p[1] - 1998.39).abs() < 0.02, "{p:?}");
        }
        assert!((longest[longest.len() - 1][0] - longest[0][0]).abs() > 3.2);
        // The same scene as an RGB ortho (grey asphalt, grey crack) is read as its luma: same line.
        let rgb: Vec<_> = (0..3).map(|_| g.clone()).collect();
        let tif3 = dir.path().join("rgb.tif");
        zwilling_io::raster::write_cog_bands(&tif3, &rgb, &zwilling_io::raster::CogOptions::default()).unwrap();
        let out3 = dir.path().join("c3.geojson");
        ortho_cracks(OrthoArgs { ortho: tif3, output: out3.clone() }).unwrap();
        assert_eq!(
            zwilling_io::geojson::read_geojson(&out3).unwrap().features.len(),
            layer.features.len(),
            "RGB and single-band orthos of the same scene"
        );
        // A bad file names itself.
        let e = ortho_cracks(OrthoArgs { ortho: out.clone(), output: dir.path().join("x.geojson") }).unwrap_err();
        assert!(e.to_string().contains("c.geojson"), "{e}");
    }
}
