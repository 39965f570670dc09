//! Conformance: the detector with its one default parameter set on the 79 CrackForest images
//! (Shi et al. 2016; non-commercial licence, read from ../shared, never copied).
//!
//! The asserted values are those measured when the defaults were tuned (docs/cracks.md); the
//! bounds are tight so a regression fails.

use image::GrayImage;
use rayon::prelude::*;
use zwilling_core::testdata::shared_path;
use zwilling_cracks::detect::{crack_mask, CrackParams};
use zwilling_cracks::eval::{match_counts, MatchCounts, Scores};

const TOLERANCES: [f64; 3] = [0.0, 2.0, 5.0];
/// Micro-averaged F1 at 0, 2 and 5 px over all 79 images, measured with the defaults on the
/// JPEGs' luma as `zwilling_io::imagery::read_gray` decodes it (session 4; with the former
/// Rec. 709 grey from decoded RGB it was 0.565, 0.793, 0.845).
const REACHED_F1: [f64; 3] = [0.564, 0.792, 0.844];
/// Micro-averaged F1 at 5 px over the 40 odd-numbered (held-out) images (0.855 before session 4).
const REACHED_ODD_F1_5: f64 = 0.854;

struct Sample {
    number: u32,
    image: GrayImage,
    truth: Vec<bool>,
}

fn load() -> Vec<Sample> {
    let dir = shared_path("data/crackforest/images");
    let masks = shared_path("data/crackforest/masks");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    let out: Vec<Sample> = names
        .par_iter()
        .map(|n| {
            let n = n.to_string_lossy().to_string();
            let stem = n.trim_end_matches(".jpg");
            // The CLI's reader: a JPEG's luma channel Y (JFIF), as `zwilling cracks detect` sees it.
            let image = zwilling_io::imagery::read_gray(&dir.join(&n)).unwrap();
            let m = image::open(masks.join(format!("{stem}.png"))).unwrap().to_luma8();
            assert_eq!(image.dimensions(), m.dimensions(), "{n}");
            Sample { number: stem.parse().unwrap(), image, truth: m.as_raw().iter().map(|&v| v > 127).collect() }
        })
        .collect();
    assert_eq!(out.len(), 79, "CrackForest subset in ../shared has 79 images");
    out
}

/// Micro-averaged counts and per-image scores at the three tolerances.
fn evaluate(samples: &[&Sample], p: &CrackParams) -> (Vec<MatchCounts>, Vec<Vec<Scores>>) {
    let per: Vec<Vec<MatchCounts>> = samples
        .par_iter()
        .map(|s| {
            let pred = crack_mask(&s.image, None, p);
            match_counts(&pred, &s.truth, s.image.width() as usize, s.image.height() as usize, &TOLERANCES)
        })
        .collect();
    let mut total = vec![MatchCounts::default(); TOLERANCES.len()];
    for c in &per {
        for (t, ci) in total.iter_mut().zip(c) {
            *t += *ci;
        }
    }
    let scores = (0..TOLERANCES.len()).map(|k| per.iter().map(|c| c[k].scores()).collect()).collect();
    (total, scores)
}

fn report(label: &str, samples: &[&Sample], p: &CrackParams) -> Vec<Scores> {
    let (total, per) = evaluate(samples, p);
    let mut out = vec![];
    for (k, t) in TOLERANCES.iter().enumerate() {
        let s = total[k].scores();
        let m = Scores::mean_of(&per[k]);
        println!(
            "{label} n={} t={t}: micro P {:.3} R {:.3} F1 {:.3} | per-image mean P {:.3} R {:.3} F1 {:.3}",
            samples.len(),
            s.precision,
            s.recall,
            s.f1,
            m.precision,
            m.recall,
            m.f1
        );
        out.push(s);
    }
    out
}

/// Even-numbered images were used to tune the defaults; odd ones were not.
fn split(all: &[Sample]) -> (Vec<&Sample>, Vec<&Sample>) {
    (all.iter().filter(|s| s.number % 2 == 0).collect(), all.iter().filter(|s| s.number % 2 == 1).collect())
}

#[test]
fn crackforest_scores_with_the_default_parameters() {
    let all = load();
    let p = CrackParams::default();
    let s = report("all", &all.iter().collect::<Vec<_>>(), &p);
    // Values reached when the defaults were fixed (docs/cracks.md), micro average over 79 images.
    let reached = [(0.0, REACHED_F1[0]), (2.0, REACHED_F1[1]), (5.0, REACHED_F1[2])];
    for ((t, f1), got) in reached.iter().zip(&s) {
        assert!(got.f1 >= f1 - 0.01, "F1 at {t} px dropped: {:.4} < {f1} − 0.01", got.f1);
    }
    // The target for a training-free detector.
    assert!(s[2].f1 >= 0.75, "F1 at 5 px {:.4} below the target 0.75", s[2].f1);
}

#[test]
fn defaults_tuned_on_even_images_generalise_to_odd_ones() {
    let all = load();
    let (even, odd) = split(&all);
    let p = CrackParams::default();
    let e = report("even (tuning)", &even, &p);
    let o = report("odd (held out)", &odd, &p);
    assert!(o[2].f1 >= REACHED_ODD_F1_5 - 0.01, "held-out F1 at 5 px {:.4}", o[2].f1);
    assert!((e[2].f1 - o[2].f1).abs() < 0.05, "tuning/held-out gap {:.4} vs {:.4}", e[2].f1, o[2].f1);
}

#[test]
#[ignore = "parameter search, run by hand: cargo test --release --features conformance --test conformance -- --ignored tune"]
fn tune() {
    let all = load();
    let even: Vec<&Sample> = all.iter().filter(|s| s.number % 2 == 0).collect();
    let base = CrackParams::default();
    let mut best = (0.0, String::new());
    let spec = std::env::var("ZW_TUNE").unwrap_or_default();
    for variant in spec.split(';').filter(|s| !s.is_empty()) {
        let p: CrackParams = toml_like(&base, variant);
        let (total, _) = evaluate(&even, &p);
        let f = total[2].scores().f1;
        println!("{variant}: F1@0 {:.3} F1@2 {:.3} F1@5 {:.3}", total[0].scores().f1, total[1].scores().f1, f);
        if f > best.0 {
            best = (f, variant.to_string());
        }
    }
    println!("best on even images: {best:?}");
    report("default all", &all.iter().collect::<Vec<_>>(), &base);
}

/// Applies `key=value,key=value` overrides to the parameters (for the search only).
fn toml_like(base: &CrackParams, spec: &str) -> CrackParams {
    let mut p = base.clone();
    for kv in spec.split(',') {
        let (k, v) = kv.split_once('=').unwrap();
        let f: f32 = v.parse().unwrap_or(0.0);
        match k.trim() {
            "bg" => p.background_radius = f as usize,
            "clip" => p.background_clip = f,
            "sm" => p.smooth_radius = f as usize,
            "hl" => p.half_length = f,
            "off" => p.offsets = v.split('/').map(|o| o.parse().unwrap()).collect(),
            "kh" => p.k_high = f,
            "kl" => p.k_low = f,
            "mh" => p.min_high = f,
            "ml" => p.min_low = f,
            "len" => p.shape.min_length = f,
            "wid" => p.shape.max_width = f,
            "grow" => p.grow = f as usize,
            other => panic!("unknown key {other}"),
        }
    }
    p
}
