//! `zwilling synth`: write a synthetic drive-through survey with known truth to a folder.
//!
//! DIR gets `scene.laz` (LAS 1.4, point format 7, EPSG:25832 + DHHN2016 as OGC WKT),
//! `trajectory.csv`, `images/img_NNNNN.jpg` + `images/poses.csv` + `images/masks/img_NNNNN.png`,
//! `buildings.geojson` and `truth.json`. See docs/synth.md.

use std::path::{Path, PathBuf};

use clap::Args;
use rayon::prelude::*;
use zwilling_core::{CrsInfo, Error, Feature, FieldType, Geometry, Layer, Polygon, Result, Value};
use zwilling_io::las::{LasWriter, WriterOptions};
use zwilling_io::trajectory::{write_image_poses, write_trajectory, ImagePoseRecord};
use zwilling_io::write_atomic;
use zwilling_synth::image::codecs::{jpeg::JpegEncoder, png::PngEncoder};
use zwilling_synth::image::{ExtendedColorType, ImageEncoder};
use zwilling_synth::{scene_crs, Scene, SceneParams};

use crate::progress;

#[derive(Args, Debug, Clone)]
pub struct SynthArgs {
    /// Output folder (created if missing; existing files of the same names are replaced).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Random seed: the same seed gives the same files, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Length of the road in metres (default 500).
    #[arg(long, value_name = "M")]
    pub length: Option<f64>,
    /// Approximate number of points: scales the length (or, with --length, the scan line rate).
    #[arg(long, value_name = "N")]
    pub points: Option<u64>,
    /// Drive direction in degrees clockwise from grid north (0 = north, 90 = east); default 68.
    /// An axis-parallel heading (0, 90, 180, 270) keeps the bounding box, and with it every raster
    /// of the scene, linear in the length.
    #[arg(long, value_name = "DEG", allow_negative_numbers = true)]
    pub heading: Option<f64>,
    /// Standard deviation of the coordinate noise in metres.
    #[arg(long, default_value_t = 0.005, value_name = "M")]
    pub noise: f64,
    /// Skip the pavement images (faster for point benchmarks).
    #[arg(long)]
    pub no_images: bool,
}

/// What `synth` wrote.
#[derive(Debug, Clone)]
pub struct SynthSummary {
    pub laz: PathBuf,
    pub points: u64,
    pub images: usize,
    pub length: f64,
}

pub fn run(a: SynthArgs) -> Result<()> {
    let s = generate(&a)?;
    if !progress::quiet() {
        eprintln!("synth: {} points over {:.0} m, {} images → {}", s.points, s.length, s.images, s.laz.display());
    }
    Ok(())
}

/// The scene parameters for the arguments (`--points` resolved against an estimate).
pub fn params_for(a: &SynthArgs) -> Result<SceneParams> {
    let mut p = SceneParams { seed: a.seed, noise_sigma: a.noise, ..SceneParams::default() };
    if let Some(l) = a.length {
        p.length = l;
    }
    if let Some(h) = a.heading {
        p.heading_deg = h;
    }
    p.validate()?;
    if let Some(n) = a.points {
        if n == 0 {
            return Err(Error::invalid("--points must be > 0"));
        }
        let est = Scene::new(p.clone())?.estimate_points() as f64;
        let f = n as f64 / est.max(1.0);
        if a.length.is_some() {
            p.line_rate *= f;
        } else {
            p.length = (p.length * f).max(20.0).round();
        }
        p.validate()?;
    }
    Ok(p)
}

/// Writes the whole scene for the arguments.
pub fn generate(a: &SynthArgs) -> Result<SynthSummary> {
    let params = params_for(a)?;
    let out = &a.out;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let scene = Scene::new(params.clone())?;
    let laz = out.join("scene.laz");
    let points = write_points(&scene, &laz)?;
    write_trajectory(&out.join("trajectory.csv"), &scene.trajectory())?;
    write_geojson_buildings(&scene, &out.join("buildings.geojson"))?;
    let images = if a.no_images { 0 } else { write_images(&scene, &out.join("images"))? };
    let truth = serde_json::to_string_pretty(&scene.truth()).map_err(|e| Error::invalid(e.to_string()))?;
    write_atomic(&out.join("truth.json"), truth.as_bytes())?;
    Ok(SynthSummary { laz, points, images, length: params.length })
}

fn write_points(scene: &Scene, path: &Path) -> Result<u64> {
    let p = &scene.params;
    let opts = WriterOptions {
        point_format: 7,
        minor_version: 4,
        scale: [0.001; 3],
        offset: [p.origin_x.round(), p.origin_y.round(), 0.0],
        crs: scene_crs(),
        global_encoding: 1, // GPS time is adjusted standard GPS time
        system_identifier: "zwilling synth".into(),
        ..WriterOptions::default()
    };
    let mut w = LasWriter::create(path, opts)?;
    let bar = progress::bar(scene.chunk_count(), "points");
    let stats = scene.generate_points(|block| {
        bar.inc(1);
        w.write_block(&block)
    })?;
    bar.finish_and_clear();
    w.finish()?;
    Ok(stats.points)
}

fn write_geojson_buildings(scene: &Scene, path: &Path) -> Result<()> {
    let crs = CrsInfo { wkt: None, ..scene_crs() };
    let fields = vec![
        ("id".to_string(), FieldType::Int),
        ("base_z".to_string(), FieldType::Real),
        ("roof_z".to_string(), FieldType::Real),
        ("height".to_string(), FieldType::Real),
    ];
    let mut layer = Layer::new("buildings", crs, fields);
    for (i, b) in scene.buildings.iter().enumerate() {
        layer.features.push(Feature {
            geometry: Geometry::Polygon(Polygon::new(scene.footprint(b))),
            values: vec![Value::Int(i as i64), Value::Real(b.base), Value::Real(b.top), Value::Real(b.top - b.base)],
        });
    }
    zwilling_io::geojson::write_geojson(path, &layer)
}

fn write_images(scene: &Scene, dir: &Path) -> Result<usize> {
    let masks = dir.join("masks");
    std::fs::create_dir_all(&masks).map_err(|e| Error::io(&masks, e))?;
    let poses = scene.image_poses();
    let bar = progress::bar(poses.len() as u64, "images");
    let batch = rayon::current_num_threads().max(1) * 2;
    for chunk in poses.chunks(batch) {
        let encoded: Vec<Result<(Vec<u8>, Vec<u8>)>> = chunk
            .par_iter()
            .map(|pose| {
                let (img, mask) = scene.render_image(pose);
                let mut jpg = Vec::new();
                JpegEncoder::new_with_quality(&mut jpg, 90)
                    .write_image(img.as_raw(), img.width(), img.height(), ExtendedColorType::L8)
                    .map_err(|e| Error::invalid(format!("JPEG encoding of {}: {e}", pose.file)))?;
                let mut png = Vec::new();
                PngEncoder::new(&mut png)
                    .write_image(mask.as_raw(), mask.width(), mask.height(), ExtendedColorType::L8)
                    .map_err(|e| Error::invalid(format!("PNG encoding of {}: {e}", pose.file)))?;
                Ok((jpg, png))
            })
            .collect();
        for (pose, enc) in chunk.iter().zip(encoded) {
            let (jpg, png) = enc?;
            write_atomic(&dir.join(&pose.file), &jpg)?;
            write_atomic(&masks.join(pose.file.replace(".jpg", ".png")), &png)?;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let records: Vec<ImagePoseRecord> = poses
        .iter()
        .map(|p| ImagePoseRecord {
            image: p.file.clone(),
            pose: zwilling_core::TrajectoryPoint {
                time: p.time,
                x: p.x,
                y: p.y,
                z: p.z,
                heading: p.heading,
                pitch: p.pitch,
                roll: p.roll,
            },
            camera: p.camera.clone(),
            gsd: Some(p.gsd),
            width: Some(p.width),
            height: Some(p.height),
            focal_px: None,
        })
        .collect();
    write_image_poses(&dir.join("poses.csv"), &records)?;
    Ok(poses.len())
}
