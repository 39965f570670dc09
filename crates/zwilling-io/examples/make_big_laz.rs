//! Writes a large synthetic mobile-mapping LAZ for the decode benchmark (until `zwilling synth`
//! can scale up): `cargo run --release -p zwilling-io --example make_big_laz -- OUT.laz [POINTS]`.
//!
//! Scan lines perpendicular to a trajectory along x (250 profiles/s at 10 m/s), each a 360° sweep
//! hitting a flat road, kerbs and façades; point format 7 (GPS time, RGB), EPSG:25832, 1 mm
//! resolution, with 5 mm pseudo-random noise so the compression ratio resembles real data.

use std::path::PathBuf;

use zwilling_core::{class, CrsInfo, PointBlock, PointLayout};
use zwilling_io::las::{LasWriter, WriterOptions};

fn main() -> zwilling_core::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(args.get(1).map(String::as_str).unwrap_or("big.laz"));
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20_000_000);
    let layout = PointLayout::for_format(7, 0).expect("format 7");
    let opts = WriterOptions {
        point_format: 7,
        offset: [500_000.0, 5_600_000.0, 0.0],
        crs: CrsInfo::compound(25832, 7837),
        ..WriterOptions::default()
    };
    let mut w = LasWriter::create(&out, opts)?;
    let per_line = 1000u64;
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut written = 0u64;
    while written < n {
        let take = (n - written).min(1 << 20) as usize;
        let mut b = PointBlock::with_capacity(layout, take);
        for k in 0..take as u64 {
            let i = written + k;
            let line = i / per_line;
            let a = (i % per_line) as f64 / per_line as f64 * std::f64::consts::TAU;
            let t = 1.0e5 + line as f64 / 250.0 + (i % per_line) as f64 * 4e-6;
            let x0 = 500_100.0 + line as f64 * 0.04;
            let (s, c) = a.sin_cos();
            // Sensor 2.5 m above the road at y = 5 600 050; façades at ±8 m.
            let (mut y, mut z, cls) = if c < -0.3 {
                let r = 2.5 / -c;
                let y = s * r;
                if y.abs() < 8.0 {
                    (y, -2.5 + if y.abs() > 3.5 { 0.12 } else { -0.025 * y.abs() }, class::GROUND)
                } else {
                    (8.0 * y.signum(), c * 8.0 / s.abs(), class::BUILDING)
                }
            } else {
                let y = 8.0 * s.signum();
                (y, (c * 8.0 / s.abs().max(1e-3)).min(15.0), class::BUILDING)
            };
            y += 5_600_050.0 + noise() * 0.01;
            z += 52.5 + noise() * 0.01;
            b.x.push(x0 + noise() * 0.01);
            b.y.push(y);
            b.z.push(z);
            b.intensity.push(if cls == class::GROUND && (y - 5_600_050.0).abs() < 0.1 { 900 } else { 300 });
            b.return_number.push(1);
            b.number_of_returns.push(1);
            b.classification.push(cls);
            b.flags.push(0);
            b.scan_angle.push((a.to_degrees() - 180.0) as f32);
            b.user_data.push(0);
            b.point_source_id.push(1);
            b.gps_time.push(t);
            let g = (120.0 + 60.0 * (y * 0.3).sin()) as u16 * 256;
            b.rgb.push([g, g, g.saturating_add(2000)]);
        }
        w.write_block(&b)?;
        written += take as u64;
    }
    w.finish()?;
    println!("{}: {n} points", out.display());
    Ok(())
}
