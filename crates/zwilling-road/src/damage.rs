//! Surface damage shares on a 1 m × 1 m grid: cracks (RISS), patches (AFLI), other damage (OFS).
//!
//! ZEB practice (ZTV ZEB-StB, FGSV AP 9 K) records surface damage as the share of a section's
//! area cells that show the damage. Here each evaluation section is divided into cells of
//! `cell` × `cell` metres (1 m) in the road frame: rows along the station, columns across the
//! lane. Then
//!
//! ```text
//! RISS % = 100 · (cells touched by a crack) / (cells of the section)
//! ```
//!
//! A crack is a line string in the map CRS (EPSG:25832) with a width; it touches every cell that
//! a point of the line, sampled every 5 cm, lies in, and every cell within width/2 of such a point.
//! AFLI and OFS count the cells whose centre lies inside a patch / damage polygon.
//! A kind of damage that was not observed (`None`) gives NaN, never 0 %: no crack detection
//! means the RISS column is NULL.

use crate::alignment::Alignment;
use zwilling_core::Polygon;

/// One crack: a line string (map coordinates) and its width (m).
#[derive(Debug, Clone, PartialEq)]
pub struct CrackLine {
    /// Vertices (x, y) in the map CRS.
    pub points: Vec<[f64; 2]>,
    /// Crack width (m).
    pub width: f64,
}

/// What the crack detection observed along the drive (map CRS, EPSG:25832).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrackObservations {
    /// Cracks; `None` when crack detection has not run.
    pub cracks: Option<Vec<CrackLine>>,
    /// Patches (AFLI); `None` when not observed.
    pub patches: Option<Vec<Polygon>>,
    /// Other surface damage (OFS); `None` when not observed.
    pub other: Option<Vec<Polygon>>,
}

/// Damage shares of one section (%), NaN when not observed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DamageShares {
    /// Cracks.
    pub riss: f64,
    /// Patches.
    pub afli: f64,
    /// Other damage.
    pub ofs: f64,
}

/// Shares for each section `[s0, s1)`, over offsets `[o_min, o_max]`, with square cells.
pub fn damage_shares(
    obs: &CrackObservations,
    alignment: &Alignment,
    sections: &[(f64, f64)],
    (o_min, o_max): (f64, f64),
    cell: f64,
) -> Vec<DamageShares> {
    let cols = ((o_max - o_min) / cell).ceil().max(1.0) as usize;
    let riss = obs.cracks.as_ref().map(|cracks| {
        // touched cells as (row from station 0, col)
        let mut touched = std::collections::HashSet::new();
        for c in cracks {
            let r = c.width / 2.0;
            for w in c.points.windows(2) {
                let len = (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
                let n = (len / 0.05).ceil().max(1.0) as usize;
                for k in 0..=n {
                    let t = k as f64 / n as f64;
                    let (x, y) = (w[0][0] + t * (w[1][0] - w[0][0]), w[0][1] + t * (w[1][1] - w[0][1]));
                    let Some((s, o)) = alignment.project(x, y) else { continue };
                    for (ds, d_o) in [(0.0, 0.0), (r, 0.0), (-r, 0.0), (0.0, r), (0.0, -r)] {
                        let (ss, oo) = (s + ds, o + d_o);
                        if oo >= o_min && oo < o_max {
                            touched.insert(((ss / cell).floor() as i64, ((oo - o_min) / cell).floor() as i64));
                        }
                    }
                }
            }
        }
        touched
    });
    let polygon_cells = |polys: &Vec<Polygon>, s0: f64, rows: usize| -> usize {
        let mut n = 0;
        for i in 0..rows {
            for j in 0..cols {
                let p = alignment.point(s0 + (i as f64 + 0.5) * cell, o_min + (j as f64 + 0.5) * cell);
                if polys.iter().any(|poly| poly.contains(p[0], p[1])) {
                    n += 1;
                }
            }
        }
        n
    };
    sections
        .iter()
        .map(|&(s0, s1)| {
            let rows = ((s1 - s0) / cell).ceil().max(1.0) as usize;
            let total = (rows * cols) as f64;
            let r0 = (s0 / cell).floor() as i64;
            let riss = riss.as_ref().map_or(f64::NAN, |t| {
                let mut n = 0;
                for i in 0..rows as i64 {
                    for j in 0..cols as i64 {
                        if t.contains(&(r0 + i, j)) {
                            n += 1;
                        }
                    }
                }
                100.0 * n as f64 / total
            });
            let afli = obs.patches.as_ref().map_or(f64::NAN, |p| 100.0 * polygon_cells(p, s0, rows) as f64 / total);
            let ofs = obs.other.as_ref().map_or(f64::NAN, |p| 100.0 * polygon_cells(p, s0, rows) as f64 / total);
            DamageShares { riss, afli, ofs }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn straight() -> Alignment {
        let pts: Vec<[f64; 3]> = (0..=200).map(|i| [i as f64, 0.0, 0.0]).collect();
        Alignment::from_points(&pts, 1.0, 2.0, 0.0, 3.0).unwrap()
    }

    #[test]
    fn not_observed_is_nan() {
        let s = damage_shares(&CrackObservations::default(), &straight(), &[(0.0, 100.0)], (-2.0, 2.0), 1.0);
        assert!(s[0].riss.is_nan() && s[0].afli.is_nan() && s[0].ofs.is_nan());
    }

    #[test]
    fn a_longitudinal_crack_touches_one_cell_column() {
        // a crack along the road at y = −0.5 (offset +0.5) from x = 10.2 to 29.8: 20 cells of 400
        let obs = CrackObservations {
            cracks: Some(vec![CrackLine { points: vec![[10.2, -0.5], [29.8, -0.5]], width: 0.004 }]),
            patches: Some(vec![Polygon::new(vec![[50.0, -2.0], [60.0, -2.0], [60.0, 2.0], [50.0, 2.0]])]),
            other: None,
        };
        let s = damage_shares(&obs, &straight(), &[(0.0, 100.0), (100.0, 200.0)], (-2.0, 2.0), 1.0);
        assert!((s[0].riss - 5.0).abs() < 1e-9, "{}", s[0].riss);
        assert_eq!(s[1].riss, 0.0);
        assert!((s[0].afli - 10.0).abs() < 1e-9); // 10 m × 4 m of 400 m²
        assert!(s[0].ofs.is_nan());
    }
}
