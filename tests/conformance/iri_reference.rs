//! Conformance: the quarter car of `zwilling_synth::iri` (ASTM E1926) reproduces the published
//! reference IRI values of Šroubek, Šorel & Žák (2021) on their `profile_1.txt` within 0.5 %
//! (`../shared/data/iri/`).

#[test]
fn reproduces_the_published_reference_profile() {
    // ../shared/data/iri/README_SOURCE.md: Šroubek, Šorel & Žák (2021), profile_1.txt.
    let path = zwilling_core::testdata::shared_path("data/iri/profile_1.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let pts: Vec<(f64, f64)> = text
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace().map(|v| v.parse::<f64>());
            Some((it.next()?.ok()?, it.next()?.ok()?))
        })
        .collect();
    let y: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let rs = zwilling_synth::iri::rectified_slopes(&y, 0.25);
    let want = [3.2898, 2.4396, 3.5671, 4.0826, 2.7246];
    // the reference sections start at 478.5 m = sample 2: steps 2.. (step i starts at
    // sample i)
    for (k, w) in want.iter().enumerate() {
        let steps = &rs[2 + k * 400..2 + (k + 1) * 400];
        let iri = 1000.0 * steps.iter().sum::<f64>() / 400.0;
        assert!((iri / w - 1.0).abs() < 0.005, "section {k}: {iri} vs {w}");
    }
}
