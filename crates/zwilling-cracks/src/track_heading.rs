//! Heading of each position of a track from its neighbours, for images that carry a GPS position
//! (EXIF) but no direction.
//!
//! For position `i` of a track ordered in time, the heading is the grid azimuth (degrees clockwise
//! from grid north) of the chord from the nearest earlier position at least `min_step` away to
//! the nearest later one (central difference; one-sided at the ends):
//! `heading = atan2(Δx, Δy)` with x east and y north. A central chord is the tangent direction
//! of a smooth path to second order in the spacing; positions closer than `min_step` (a stopped
//! vehicle, GPS jitter) are skipped so that noise does not turn the heading.
//!
//! ```
//! use zwilling_cracks::track_heading::track_headings;
//! let h = track_headings(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], 0.5).unwrap();
//! assert!(h.iter().all(|a| (a - 45.0).abs() < 1e-9));
//! ```

/// Headings (degrees in `[0, 360)`, clockwise from grid north) of the positions `xy` (x east,
/// y north, in time order); `None` when no two positions are `min_step` apart.
pub fn track_headings(xy: &[[f64; 2]], min_step: f64) -> Option<Vec<f64>> {
    let far = |i: usize, j: usize| (xy[j][0] - xy[i][0]).hypot(xy[j][1] - xy[i][1]) >= min_step;
    let mut out = Vec::with_capacity(xy.len());
    for i in 0..xy.len() {
        let before = (0..i).rev().find(|&j| far(i, j));
        let after = (i + 1..xy.len()).find(|&j| far(i, j));
        let (a, b) = match (before, after) {
            (Some(a), Some(b)) => (a, b),
            (None, Some(b)) => (i, b),
            (Some(a), None) => (a, i),
            (None, None) => return None,
        };
        let h = (xy[b][0] - xy[a][0]).atan2(xy[b][1] - xy[a][1]).to_degrees();
        out.push(h.rem_euclid(360.0));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_track_gives_its_azimuth_and_a_stop_is_skipped() {
        // Due west-south-west at azimuth 240°: (sin 240°, cos 240°) per step; a repeated position.
        let (s, c) = (240f64.to_radians().sin(), 240f64.to_radians().cos());
        let mut xy: Vec<[f64; 2]> = (0..5).map(|k| [k as f64 * 3.0 * s, k as f64 * 3.0 * c]).collect();
        xy.insert(2, xy[2]);
        let h = track_headings(&xy, 0.5).unwrap();
        assert_eq!(h.len(), 6);
        assert!(h.iter().all(|a| (a - 240.0).abs() < 1e-9), "{h:?}");
    }

    #[test]
    fn circle_gives_the_tangent_and_a_point_track_gives_none() {
        // Clockwise circle of radius 50 m seen from above, positions every 2°: at angle θ from
        // north the position is (r sin θ, r cos θ) and the tangent azimuth is θ + 90°.
        let xy: Vec<[f64; 2]> =
            (0..90).map(|k| (k as f64 * 2.0).to_radians()).map(|t| [50.0 * t.sin(), 50.0 * t.cos()]).collect();
        let h = track_headings(&xy, 0.5).unwrap();
        for (k, a) in h.iter().enumerate().skip(1).take(88) {
            let want = (k as f64 * 2.0 + 90.0).rem_euclid(360.0);
            assert!((a - want).abs() < 1e-9, "{k}: {a} vs {want}");
        }
        // One-sided at the start: the chord to the next point is off by half the 2° step.
        assert!((h[0] - 91.0).abs() < 1e-9, "{}", h[0]);
        assert_eq!(track_headings(&[[1.0, 2.0], [1.1, 2.0]], 0.5), None);
    }
}
