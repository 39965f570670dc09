//! The ground classification stage: noise removal ([`crate::noise`]), then SMRF
//! ([`crate::smrf`]), mapped to ASPRS classes; in one piece or tile by tile in parallel.
//!
//! Classes written (ASPRS LAS 1.4 R15, Table 17): 2 ground, 7 low noise, 18 high noise (7 for
//! point formats 0–5, whose 5-bit field cannot hold 18 — see [`GroundParams::high_noise_class`]).
//! Points that were ground or noise before but are not now become 1 (unclassified); every other
//! class is left as it was. With `keep_existing`, points that already carry a class other than
//! 0/1 keep it, and only unclassified points are decided.
//!
//! **Tiles**: [`classify_tiled`] splits the area into square tiles ([`zwilling_core::TilePlan`])
//! with an overlap buffer, classifies each buffered tile on its own (rayon, in parallel) and
//! keeps the result for the points the tile owns. With the buffer at least the SMRF window, a
//! point's result does not depend on the tiling. Results are the same at any thread count.

use crate::noise::{find_noise, NoiseParams};
use crate::smrf::{classify_ground, SmrfParams};
use rayon::prelude::*;
use zwilling_core::points::flag;
use zwilling_core::{class, Bounds2, Result, TilePlan};

/// Parameters of the ground stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundParams {
    /// Noise removal; `None` skips it.
    pub noise: Option<NoiseParams>,
    /// Ground filter.
    pub smrf: SmrfParams,
    /// Trust existing classes other than 0 and 1.
    pub keep_existing: bool,
    /// Class for high noise: 18 (LAS 1.4 formats 6–10) or 7 (formats 0–5).
    pub high_noise_class: u8,
}

impl Default for GroundParams {
    fn default() -> Self {
        GroundParams {
            noise: Some(NoiseParams::default()),
            smrf: SmrfParams::default(),
            keep_existing: false,
            high_noise_class: class::HIGH_NOISE,
        }
    }
}

impl GroundParams {
    /// Tile overlap that makes tiled results equal to untiled ones away from the data's edge:
    /// the SMRF window plus two cells.
    pub fn tile_overlap(&self) -> f64 {
        self.smrf.window + 2.0
    }
}

/// New classes for the points `(x, y, z)` with current classes `classes` and `flags` (withheld
/// points are left alone).
pub fn classify(x: &[f64], y: &[f64], z: &[f64], classes: &[u8], flags: &[u8], params: &GroundParams) -> Vec<u8> {
    let n = x.len();
    let decidable: Vec<bool> = (0..n)
        .map(|i| flags[i] & flag::WITHHELD == 0 && (!params.keep_existing || classes[i] <= class::UNCLASSIFIED))
        .collect();
    let noise = match &params.noise {
        Some(p) => find_noise(x, y, z, p),
        None => vec![None; n],
    };
    let existing_noise = |c: u8| c == class::LOW_NOISE || c == class::HIGH_NOISE;
    // Points that shape the ground surface: not noise, not withheld, and with keep_existing
    // not of a trusted non-ground class.
    let usable: Vec<bool> = (0..n)
        .map(|i| {
            let trusted = params.keep_existing && !decidable[i];
            flags[i] & flag::WITHHELD == 0
                && if trusted { classes[i] == class::GROUND } else { noise[i].is_none() }
                && !(params.keep_existing && existing_noise(classes[i]))
        })
        .collect();
    let ground = classify_ground(x, y, z, &usable, &params.smrf);
    (0..n)
        .map(|i| {
            if !decidable[i] {
                return classes[i];
            }
            match noise[i] {
                Some(class::LOW_NOISE) => class::LOW_NOISE,
                Some(_) => params.high_noise_class,
                None if ground[i] => class::GROUND,
                None if classes[i] == class::GROUND || existing_noise(classes[i]) => class::UNCLASSIFIED,
                None => classes[i],
            }
        })
        .collect()
}

/// [`classify`] tile by tile (tiles of `tile_size` with [`GroundParams::tile_overlap`]) in
/// parallel. Same result at any thread count.
pub fn classify_tiled(
    x: &[f64],
    y: &[f64],
    z: &[f64],
    classes: &[u8],
    flags: &[u8],
    params: &GroundParams,
    tile_size: f64,
) -> Result<Vec<u8>> {
    let mut extent = Bounds2::EMPTY;
    for i in 0..x.len() {
        extent.add(x[i], y[i]);
    }
    let plan = TilePlan::new(&extent, tile_size, params.tile_overlap())?;
    let mut members: Vec<Vec<u32>> = vec![vec![]; plan.tiles.len()];
    for i in 0..x.len() {
        for (t, tile) in plan.tiles.iter().enumerate() {
            if tile.buffered.contains(x[i], y[i]) {
                members[t].push(i as u32);
            }
        }
    }
    let results: Vec<Vec<(u32, u8)>> = plan
        .tiles
        .par_iter()
        .zip(members.par_iter())
        .map(|(tile, idx)| {
            let pick = |v: &[f64]| idx.iter().map(|&i| v[i as usize]).collect::<Vec<_>>();
            let pick8 = |v: &[u8]| idx.iter().map(|&i| v[i as usize]).collect::<Vec<_>>();
            let (tx, ty, tz) = (pick(x), pick(y), pick(z));
            let c = classify(&tx, &ty, &tz, &pick8(classes), &pick8(flags), params);
            idx.iter().enumerate().filter(|(k, _)| tile.owns(tx[*k], ty[*k])).map(|(k, &i)| (i, c[k])).collect()
        })
        .collect();
    let mut out = classes.to_vec();
    for (i, c) in results.into_iter().flatten() {
        out[i as usize] = c;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gently sloping terrain at 0.5 m spacing with two boxes and two noise points.
    fn scene() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (mut x, mut y, mut z) = (vec![], vec![], vec![]);
        for i in 0..240 {
            for j in 0..120 {
                let (px, py) = (i as f64 * 0.5, j as f64 * 0.5);
                let mut h = 10.0 + 0.02 * px + 0.01 * py;
                if (20.0..32.0).contains(&px) && (20.0..35.0).contains(&py) {
                    h += 6.0;
                }
                if (80.0..84.5).contains(&px) && (10.0..12.0).contains(&py) {
                    h += 1.6;
                }
                x.push(px);
                y.push(py);
                z.push(h);
            }
        }
        x.extend([50.2, 70.3]);
        y.extend([30.1, 40.2]);
        z.extend([60.0, -5.0]);
        (x, y, z)
    }

    #[test]
    fn classes_and_tiling() {
        let (x, y, z) = scene();
        let n = x.len();
        let mut classes = vec![class::UNCLASSIFIED; n];
        classes[0] = class::BUILDING; // a wrong existing class on open ground
        let flags = vec![0u8; n];
        let p = GroundParams::default();
        let whole = classify(&x, &y, &z, &classes, &flags, &p);
        assert_eq!(whole[n - 2], class::HIGH_NOISE);
        assert_eq!(whole[n - 1], class::LOW_NOISE);
        assert_eq!(whole[0], class::GROUND, "reclassified without keep_existing");
        let box_point = (26.0 / 0.5) as usize * 120 + (28.0 / 0.5) as usize;
        assert_eq!(whole[box_point], class::UNCLASSIFIED);
        let ground = whole.iter().filter(|&&c| c == class::GROUND).count();
        let objects = (24 * 30) + (9 * 4);
        assert!((n - 2 - ground).abs_diff(objects) < 40, "{} non-ground, {objects} object points", n - 2 - ground);
        // Tiles of 40 m with the default overlap give the same classes.
        let tiled = classify_tiled(&x, &y, &z, &classes, &flags, &p, 40.0).unwrap();
        assert_eq!(tiled, whole);
        // keep_existing trusts the building class.
        let keep = classify(&x, &y, &z, &classes, &flags, &GroundParams { keep_existing: true, ..p });
        assert_eq!(keep[0], class::BUILDING);
        assert_eq!(keep[1], class::GROUND);
    }
}
