//! Conformance: ground filter accuracy on the ISPRS filter-test reference samples
//! (Sithole & Vosselman 2004; `../shared/data/isprs-filtertest/`, classification 2 = reference
//! ground). Runs the default `zwilling ground` stage (noise removal + SMRF, 100 m tiles) and checks
//! type I, type II and total error per sample against the values documented in docs/ground.md
//! (within ±0.1 percentage points), the mean total error below 8 % and every sample below CSF at
//! its defaults (measured by benches/compare/ground_csf.sh on the same files).

use zwilling_cloud::accuracy::FilterAccuracy;
use zwilling_cloud::ground::{classify_tiled, GroundParams};
use zwilling_core::{class, testdata::shared_path};

/// (sample, total error reached %, type I reached %, type II reached %, CSF 1.1.7 total error % at
/// the library defaults: measured by `benches/compare/ground_csf.sh` on the same files, 2026-11-27;
/// samp11 agrees with the 38.2 % given in issue 3).
const REACHED: [(&str, f64, f64, f64, f64); 8] = [
    ("samp11", 7.81, 7.64, 8.04, 38.21),
    ("samp21", 1.83, 0.61, 6.09, 7.18),
    ("samp23", 7.42, 9.7, 4.88, 11.18),
    ("samp31", 1.7, 0.14, 3.52, 5.00),
    ("samp41", 7.61, 11.1, 4.14, 41.56),
    ("samp51", 2.56, 0.23, 10.89, 18.72),
    ("samp53", 8.61, 8.72, 5.98, 37.66),
    ("samp61", 2.18, 2.09, 4.73, 12.24),
];

/// Allowed deviation from the documented per-sample errors, percentage points (the filter is
/// deterministic; this absorbs floating-point differences between platforms).
const TOLERANCE: f64 = 0.1;

#[test]
fn isprs_samples_meet_the_reached_accuracy() {
    let mut sum = 0.0;
    let mut report = String::new();
    for (name, te, t1, t2, csf) in REACHED {
        let path = shared_path(&format!("data/isprs-filtertest/{name}.laz"));
        let (_, b) = zwilling_io::las::read_all(&path).unwrap();
        let reference: Vec<bool> = b.classification.iter().map(|&c| c == class::GROUND).collect();
        let classes =
            classify_tiled(&b.x, &b.y, &b.z, &b.classification, &b.flags, &GroundParams::default(), 100.0).unwrap();
        let predicted: Vec<bool> = classes.iter().map(|&c| c == class::GROUND).collect();
        let acc = FilterAccuracy::from_labels(&reference, &predicted);
        let (a1, a2, at) = (100.0 * acc.type1(), 100.0 * acc.type2(), 100.0 * acc.total());
        report += &format!("{name}: T1 {a1:.2} T2 {a2:.2} TE {at:.2} kappa {:.3}\n", acc.kappa());
        sum += at;
        // Two-sided: a regression fails, and so does an improvement that docs/ground.md does not show.
        let near = |got: f64, want: f64| (got - want).abs() <= TOLERANCE;
        assert!(near(at, te) && near(a1, t1) && near(a2, t2), "{name} differs from the documented numbers:\n{report}");
        assert!(at < csf, "{name}: {at:.2} % not below CSF's {csf} % at its defaults");
    }
    let mean = sum / REACHED.len() as f64;
    println!("{report}mean total error {mean:.2} %");
    assert!(mean < 8.0, "mean total error {mean:.2} %");
}
