//! Writes `N` synthetic pavement images (default 2048 × 1536, or `W H`) as JPEG (quality 90) into a
//! folder, for the end-to-end throughput measurement of `zwilling cracks detect`
//! (docs/benchmarks/cracks.md):
//! `cargo run --release -p zwilling-cracks --example bench_images -- /tmp/cr2048 16 [W H]`.

use zwilling_cracks::synthetic::{meandering_crack, pavement, SyntheticCrack};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: bench_images DIR [N] [W H]"));
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    std::fs::create_dir_all(&dir).expect("create the output folder");
    let w: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2048);
    let h: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1536);
    let s = w as f64 / 480.0;
    for k in 0..n {
        let cracks = vec![
            SyntheticCrack {
                points: meandering_crack([20.0 * s, 60.0 * s], 0.1, 420.0 * s, 0.3, k),
                width: 3.0,
                contrast: 0.3,
            },
            SyntheticCrack {
                points: meandering_crack([400.0 * s, 300.0 * s], -1.8, 220.0 * s, 0.25, k + 1),
                width: 4.0,
                contrast: 0.4,
            },
        ];
        let (img, _) = pavement(w, h, k, &cracks);
        let rgb = image::DynamicImage::ImageLuma8(img).into_rgb8();
        let path = dir.join(format!("img_{k:04}.jpg"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create image file"));
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut f, 90).encode_image(&rgb).expect("encode JPEG");
    }
    println!("{n} images of {w} × {h} written to {}", dir.display());
}
