//! `zwilling cracks`: detect pavement cracks in images, and score crack masks against references.
//!
//! `detect IMAGE_DIR -o MASK_DIR` writes one 8-bit PNG per image (same base name, 255 = crack,
//! 0 = background), in parallel over images. A mask newer than its image is kept (a stopped batch
//! resumes) unless `--force`. `eval --pred DIR --truth DIR` compares masks of equal base name with
//! the tolerance protocol of docs/cracks.md: pixel counts summed over all images (micro average),
//! plus the per-image mean.

use crate::progress;
use clap::{Args, Subcommand};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use zwilling_core::{Error, Result};
use zwilling_cracks::{detect_cracks, match_counts, CrackParams, MatchCounts, Scores};
use zwilling_io::imagery::{list_images, read_gray, write_png_gray};

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
    }
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn is_fresh(mask: &Path, image: &Path) -> bool {
    let m = std::fs::metadata(mask).and_then(|m| m.modified());
    let i = std::fs::metadata(image).and_then(|m| m.modified());
    matches!((m, i), (Ok(m), Ok(i)) if m >= i)
}

fn detect(a: DetectArgs) -> Result<()> {
    let images = list_images(&a.images)?;
    if images.is_empty() {
        return Err(Error::bad_file(&a.images, "no JPEG, PNG or TIFF images in this folder"));
    }
    std::fs::create_dir_all(&a.output).map_err(|e| Error::io(&a.output, e))?;
    let vehicle = a.vehicle_mask.as_deref().map(read_gray).transpose()?;
    let params = CrackParams::default();
    let pb = progress::bar(images.len() as u64, "images");
    let results: Vec<Result<bool>> = images
        .par_iter()
        .map(|img_path| {
            let out = a.output.join(format!("{}.png", stem(img_path)));
            let r = if !a.force && is_fresh(&out, img_path) {
                Ok(false)
            } else {
                let img = read_gray(img_path)?;
                let mask = detect_cracks(&img, vehicle.as_ref(), &params).map_err(|e| e.in_file(img_path))?;
                write_png_gray(&out, &mask).map(|_| true)
            };
            pb.inc(1);
            r
        })
        .collect();
    pb.finish_and_clear();
    let mut written = 0;
    for r in results {
        written += r? as usize;
    }
    tracing::info!("{written} masks written, {} kept", images.len() - written);
    if !progress::quiet() {
        eprintln!("{written} masks written to {}, {} up to date", a.output.display(), images.len() - written);
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
