//! Condition values (Zustandswerte, ZW 1.0–5.0), use, substance and total value of a section.
//!
//! **Normalisation** (ZTV ZEB-StB / FGSV AP 9 K): a measure v maps piecewise linearly through
//!
//! ```text
//! (0, 1.0), (target, 1.5), (warning, 3.5), (threshold, 4.5), (1.5·threshold − 0.5·warning, 5.0)
//! ```
//!
//! clamped to [1.0, 5.0]; NaN stays NaN. The last anchor continues the warning→threshold line
//! (slope 1/(threshold − warning)) to 5.0. Example with rut depth anchors 4 / 15 / 25 mm:
//! 0 → 1.0, 4 → 1.5, 9.5 → 2.5, 15 → 3.5, 20 → 4.0, 25 → 4.5, 30 → 5.0, 100 → 5.0.
//!
//! **Use value** TWGEB = 0.25·ZW(SM4L) + 0.5·ZW(MSPT) + 0.25·ZW(MSPH); when
//! max(ZW(SM4L), ZW(MSPT)) > 3.5 that maximum is taken instead. ZW(SM4L) is by default the worse
//! of ZW(SM4L_M) and ZW(SM4L_A) (preset key `sm4l`). Missing parts: the weighted sum uses the
//! known parts with their weights rescaled to sum 1; no known part → NaN.
//!
//! **Substance value** (asphalt) TWSUB = 0.56·ZW(RISS) + 0.31·ZW(AFLI) + 0.13·ZW(OFS), or
//! max(ZW(RISS), ZW(OFS)) when above 3.5; paving: TWSUB = ZW(OFS_P). While crack detection has
//! not delivered RISS, TWSUB is NaN (NULL in the output), never a fake 1.0.
//!
//! **Total value** GW = max(TWGEB, TWSUB), ignoring a NaN part (so GW = TWGEB without cracks).
//! **Classes**: 1 (≤ 1.5, blue), 2 (≤ 3.5, green), 3 (≤ 4.5, yellow), 4 (> 4.5, red).

use crate::preset::{Anchors, Construction, FunctionClass, Preset, Sm4lRule};
use crate::transverse::nan_max;

/// Condition value of a measure by the anchors (see module docs).
pub fn normalise(v: f64, a: &Anchors) -> f64 {
    if v.is_nan() {
        return f64::NAN;
    }
    let top = 1.5 * a.threshold - 0.5 * a.warning;
    let knots = [(0.0, 1.0), (a.target, 1.5), (a.warning, 3.5), (a.threshold, 4.5), (top, 5.0)];
    if v <= 0.0 {
        return 1.0;
    }
    for w in knots.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if v <= x1 {
            return y0 + (y1 - y0) * (v - x0) / (x1 - x0);
        }
    }
    5.0
}

/// Measures of a section that enter the grades (units of the preset: mm and %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradeInputs {
    /// Mean rut depth MSPT (mm).
    pub mspt: f64,
    /// Fictitious water depth MSPH (mm).
    pub msph: f64,
    /// Max straightedge gap SM4L_M (mm).
    pub sm4l_m: f64,
    /// Mean straightedge gap SM4L_A (mm).
    pub sm4l_a: f64,
    /// Crack share RISS (%), NaN until cracks are observed.
    pub riss: f64,
    /// Patch share AFLI (%).
    pub afli: f64,
    /// Other damage share OFS (%).
    pub ofs: f64,
}

/// Condition values and combined values of a section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grades {
    /// ZW of the rut depth.
    pub zw_rut: f64,
    /// ZW of the water depth.
    pub zw_water: f64,
    /// ZW of SM4L_M.
    pub zw_sm4l_m: f64,
    /// ZW of SM4L_A.
    pub zw_sm4l_a: f64,
    /// ZW(SM4L) entering the use value.
    pub zw_sm4l: f64,
    /// ZW of cracks.
    pub zw_riss: f64,
    /// ZW of patches.
    pub zw_afli: f64,
    /// ZW of other damage.
    pub zw_ofs: f64,
    /// Use value TWGEB.
    pub twgeb: f64,
    /// Substance value TWSUB.
    pub twsub: f64,
    /// Total value GW.
    pub gw: f64,
}

/// Grades a section.
pub fn grade(m: &GradeInputs, fk: FunctionClass, bw: Construction, preset: &Preset) -> Grades {
    let zw = |name: &str, v: f64| normalise(v, &preset.anchors(name, fk));
    let (zw_rut, zw_water) = (zw("MSPT", m.mspt), zw("MSPH", m.msph));
    let (zw_sm4l_m, zw_sm4l_a) = (zw("SM4L_M", m.sm4l_m), zw("SM4L_A", m.sm4l_a));
    let zw_sm4l = match preset.sm4l {
        Sm4lRule::Max => nan_max(zw_sm4l_m, zw_sm4l_a),
        Sm4lRule::M => zw_sm4l_m,
        Sm4lRule::A => zw_sm4l_a,
    };
    let u = &preset.use_value;
    let twgeb = use_value(zw_sm4l, zw_rut, zw_water, [u.w_sm4l, u.w_rut, u.w_water], u.override_above);
    let (zw_riss, zw_afli, zw_ofs, twsub) = match bw {
        Construction::Asphalt => {
            let (r, a, o) = (zw("RISS", m.riss), zw("AFLI", m.afli), zw("OFS", m.ofs));
            let s = &preset.substance_value;
            (r, a, o, substance_value(r, a, o, [s.w_riss, s.w_afli, s.w_ofs], s.override_above))
        }
        Construction::Paving => {
            let o = zw("OFS_P", m.ofs);
            (f64::NAN, f64::NAN, o, o)
        }
    };
    let gw = nan_max(twgeb, twsub);
    Grades { zw_rut, zw_water, zw_sm4l_m, zw_sm4l_a, zw_sm4l, zw_riss, zw_afli, zw_ofs, twgeb, twsub, gw }
}

/// Use value from ZW(SM4L), ZW(rut), ZW(water) with weights and override (see module docs).
pub fn use_value(zw_sm4l: f64, zw_rut: f64, zw_water: f64, w: [f64; 3], override_above: f64) -> f64 {
    let worst = nan_max(zw_sm4l, zw_rut);
    if worst > override_above {
        return worst;
    }
    weighted(&[zw_sm4l, zw_rut, zw_water], &w)
}

/// Substance value (asphalt); NaN while RISS is unknown.
pub fn substance_value(zw_riss: f64, zw_afli: f64, zw_ofs: f64, w: [f64; 3], override_above: f64) -> f64 {
    if zw_riss.is_nan() {
        return f64::NAN;
    }
    let worst = nan_max(zw_riss, zw_ofs);
    if worst > override_above {
        return worst;
    }
    weighted(&[zw_riss, zw_afli, zw_ofs], &w)
}

/// Weighted mean over the known values, weights rescaled; NaN when none is known.
fn weighted(v: &[f64], w: &[f64]) -> f64 {
    let (mut s, mut ws) = (0.0, 0.0);
    for (x, wi) in v.iter().zip(w) {
        if x.is_finite() {
            s += x * wi;
            ws += wi;
        }
    }
    if ws > 0.0 {
        s / ws
    } else {
        f64::NAN
    }
}

/// Condition class 1–4 of a value (0 for NaN).
pub fn class(v: f64) -> i64 {
    if v.is_nan() {
        0
    } else if v <= 1.5 {
        1
    } else if v <= 3.5 {
        2
    } else if v <= 4.5 {
        3
    } else {
        4
    }
}

/// Map colours of the classes 1–4 (blue, green, yellow, red) as `#rrggbb`.
pub const CLASS_COLOURS: [(i64, &str, &str); 4] =
    [(1, "#0070c0", "≤ 1.5"), (2, "#00b050", "1.5 – 3.5"), (3, "#ffff00", "3.5 – 4.5"), (4, "#ff0000", "> 4.5")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rut_normalisation_check_of_the_issue() {
        let a = Anchors { target: 4.0, warning: 15.0, threshold: 25.0 };
        for (v, zw) in
            [(0.0, 1.0), (4.0, 1.5), (9.5, 2.5), (15.0, 3.5), (20.0, 4.0), (25.0, 4.5), (30.0, 5.0), (100.0, 5.0)]
        {
            assert!((normalise(v, &a) - zw).abs() < 1e-12, "{v} → {}", normalise(v, &a));
        }
        assert!(normalise(f64::NAN, &a).is_nan());
        assert_eq!(normalise(-3.0, &a), 1.0);
    }

    #[test]
    fn use_value_checks_of_the_issue() {
        let w = [0.25, 0.5, 0.25];
        // ZW(SM4L) 2, ZW(rut) 3, ZW(water) 1 → 0.5 + 1.5 + 0.25
        assert!((use_value(2.0, 3.0, 1.0, w, 3.5) - 2.25).abs() < 1e-12);
        assert_eq!(use_value(1.0, 4.0, 1.0, w, 3.5), 4.0);
        assert_eq!(use_value(4.2, 1.0, 1.0, w, 3.5), 4.2);
        // missing water: weights 0.25 / 0.5 rescaled
        assert!((use_value(2.0, 3.0, f64::NAN, w, 3.5) - (0.5 + 1.5) / 0.75).abs() < 1e-12);
    }

    #[test]
    fn total_value_without_cracks_is_the_use_value() {
        let p = Preset::ap9k_municipal();
        let m = GradeInputs {
            mspt: 9.5,
            msph: 0.0,
            sm4l_m: 4.0,
            sm4l_a: 1.0,
            riss: f64::NAN,
            afli: f64::NAN,
            ofs: f64::NAN,
        };
        let g = grade(&m, FunctionClass::A, Construction::Asphalt, &p);
        assert!((g.zw_rut - 2.5).abs() < 1e-12 && g.zw_water == 1.0 && g.zw_sm4l == 1.5);
        assert!((g.twgeb - (0.25 * 1.5 + 0.5 * 2.5 + 0.25 * 1.0)).abs() < 1e-12);
        assert!(g.twsub.is_nan());
        assert_eq!(g.gw, g.twgeb);
        assert_eq!(class(g.gw), 2);
    }

    #[test]
    fn substance_value_for_asphalt_and_paving() {
        let p = Preset::ap9k_municipal();
        let m = GradeInputs { mspt: 0.0, msph: 0.0, sm4l_m: 0.0, sm4l_a: 0.0, riss: 15.0, afli: 1.0, ofs: 1.0 };
        let g = grade(&m, FunctionClass::A, Construction::Asphalt, &p);
        // ZW: RISS 3.5, AFLI 1.5, OFS 1.5 → 0.56·3.5 + 0.31·1.5 + 0.13·1.5
        assert!((g.twsub - (0.56 * 3.5 + 0.44 * 1.5)).abs() < 1e-12);
        let g = grade(&GradeInputs { riss: 30.0, ..m }, FunctionClass::A, Construction::Asphalt, &p);
        assert_eq!(g.twsub, 5.0);
        assert_eq!(g.gw, 5.0);
        let g = grade(&GradeInputs { ofs: 25.0, ..m }, FunctionClass::B, Construction::Paving, &p);
        assert!((g.twsub - 3.5).abs() < 1e-12); // OFS_P B warning 25 %
    }

    #[test]
    fn classes_follow_the_bounds() {
        assert_eq!([class(1.0), class(1.5), class(1.51), class(3.5), class(4.5), class(4.6)], [1, 1, 2, 2, 3, 4]);
        assert_eq!(class(f64::NAN), 0);
    }
}
