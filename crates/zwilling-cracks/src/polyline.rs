//! Vectorised cracks: skeleton → traced pixel chains → simplified polylines with length and width.
//!
//! 1. The mask is thinned ([`crate::skeleton::thin`]).
//! 2. Skeleton pixels are classified by their 8-neighbour count `B` and crossing number `A`
//!    (0→1 transitions around the pixel): end points `B = 1`, junctions `A ≥ 3`. Chains are traced
//!    from every end point and junction to the next one (4-neighbours before diagonal ones, so
//!    staircase corners are not skipped); what is left are closed loops, traced once each.
//! 3. Each chain is simplified with Douglas–Peucker (Douglas & Peucker 1973, Cartographica 10(2))
//!    at `tolerance` pixels, which also removes the length bias of the 8-connected staircase
//!    (a chain at 26.6° is 7.9 % longer than the line it digitises).
//! 4. Length = Σ segment lengths of the simplified polyline. Width from the area `A` of the
//!    8-connected mask component the polyline belongs to, the total length `L` of its chains and
//!    the number `e` of free skeleton ends (each about `w/2` short of the crack's end):
//!    `A = w·(L + e·w/2)`, so `w = (√(L² + 2eA) − L)/e` (`A/L` for a closed loop). A rasterised
//!    band of width `w` has on average `w` pixels per unit length at any angle, whereas the
//!    distance transform along the skeleton is biased for oblique cracks. Every polyline of a
//!    crack network carries the network's mean width.
//!
//! Coordinates are image coordinates in pixels, `x` right and `y` down, a pixel `(col, row)`
//! covering `[col, col+1) × [row, row+1)` so its centre is `(col + 0.5, row + 0.5)`.
//!
//! ```
//! use zwilling_cracks::polyline::crack_polylines;
//! // A horizontal bar 3 px wide from x = 10 to 49.
//! let (w, h) = (60, 11);
//! let mask: Vec<bool> = (0..w * h).map(|i| (4..7).contains(&(i / w)) && (10..50).contains(&(i % w))).collect();
//! let lines = crack_polylines(&mask, w, h, 1.0, 5.0);
//! assert_eq!(lines.len(), 1);
//! assert!((lines[0].mean_width - 3.0).abs() < 0.2);
//! ```

use crate::{shape::components, skeleton};
use serde::Serialize;

/// One vectorised crack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrackPolyline {
    /// Vertices `[x, y]` in image pixels (pixel centres at `+0.5`).
    pub points: Vec<[f64; 2]>,
    /// Length along the simplified polyline, pixels.
    pub length: f64,
    /// Mean crack width, pixels.
    pub mean_width: f64,
}

/// Polylines of the cracks in a `w × h` mask, simplified at `tolerance` pixels; polylines shorter
/// than `min_length` pixels (spurs, specks) are dropped.
pub fn crack_polylines(mask: &[bool], w: usize, h: usize, tolerance: f64, min_length: f64) -> Vec<CrackPolyline> {
    let skel = skeleton::thin(mask, w, h);
    let comps = components(mask, w, h);
    let mut comp_of = vec![usize::MAX; w * h];
    for (k, c) in comps.iter().enumerate() {
        for &p in &c.pixels {
            comp_of[p] = k;
        }
    }
    let traced: Vec<(usize, Vec<[f64; 2]>, f64)> = trace_chains(&skel, w, h)
        .into_iter()
        .map(|chain| {
            let pts: Vec<[f64; 2]> = chain.iter().map(|&i| [(i % w) as f64 + 0.5, (i / w) as f64 + 0.5]).collect();
            let points = douglas_peucker(&pts, tolerance);
            let length = points.windows(2).map(|s| dist(s[0], s[1])).sum::<f64>();
            (comp_of[chain[0]], points, length)
        })
        .collect();
    let mut comp_len = vec![0.0f64; comps.len()];
    for (k, _, l) in &traced {
        comp_len[*k] += l;
    }
    let mut comp_ends = vec![0usize; comps.len()];
    for i in (0..w * h).filter(|&i| skel[i]) {
        if skeleton::neighbours(&skel, w, h, i).iter().filter(|&&b| b).count() == 1 {
            comp_ends[comp_of[i]] += 1;
        }
    }
    traced
        .into_iter()
        .filter(|(_, points, length)| *length >= min_length && points.len() >= 2)
        .map(|(k, points, length)| {
            let mean_width = band_width(comps[k].pixels.len() as f64, comp_len[k].max(1.0), comp_ends[k]);
            CrackPolyline { points, length, mean_width }
        })
        .collect()
}

/// Width `w` of a band of area `a` whose skeleton has length `l` and `e` free ends, each end
/// about `w/2` short of the band's end: `a = w·(l + e·w/2)`, solved for `w > 0`.
fn band_width(a: f64, l: f64, e: usize) -> f64 {
    if e == 0 {
        return a / l;
    }
    let e = e as f64;
    (-l + (l * l + 2.0 * e * a).sqrt()) / e
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Offsets of the 8 neighbours, 4-neighbours first.
const STEPS: [(isize, isize); 8] = [(0, -1), (1, 0), (0, 1), (-1, 0), (1, -1), (1, 1), (-1, 1), (-1, -1)];

/// Pixel chains of a skeleton between end points / junctions, then closed loops.
fn trace_chains(skel: &[bool], w: usize, h: usize) -> Vec<Vec<usize>> {
    let nb = |i: usize| -> Vec<usize> {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        STEPS
            .iter()
            .filter_map(|&(dx, dy)| {
                let (nx, ny) = (x + dx, y + dy);
                (nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h && skel[ny as usize * w + nx as usize])
                    .then(|| ny as usize * w + nx as usize)
            })
            .collect()
    };
    let is_node: Vec<bool> = (0..w * h)
        .map(|i| {
            if !skel[i] {
                return false;
            }
            let n = skeleton::neighbours(skel, w, h, i);
            let b = n.iter().filter(|&&v| v).count();
            let a = (0..8).filter(|&k| !n[k] && n[(k + 1) % 8]).count();
            b <= 1 || a >= 3
        })
        .collect();
    let mut visited = vec![false; w * h];
    let mut chains = Vec::new();
    let walk = |start: usize, first: usize, visited: &mut Vec<bool>| -> Vec<usize> {
        let mut chain = vec![start, first];
        let (mut prev, mut cur) = (start, first);
        loop {
            if is_node[cur] {
                break;
            }
            visited[cur] = true;
            let next = nb(cur)
                .into_iter()
                .find(|&q| q != prev && !(q == start && chain.len() < 4) && (is_node[q] || !visited[q]));
            match next {
                Some(q) => {
                    chain.push(q);
                    prev = cur;
                    cur = q;
                }
                None => break,
            }
        }
        chain
    };
    for s in 0..w * h {
        if !is_node[s] {
            continue;
        }
        if nb(s).is_empty() {
            continue; // an isolated pixel is no crack
        }
        for q in nb(s) {
            if visited[q] && !is_node[q] {
                continue;
            }
            if is_node[q] && q < s {
                continue; // adjacent nodes: the pair is traced once
            }
            chains.push(walk(s, q, &mut visited));
        }
    }
    // Closed loops: no node on them.
    for s in 0..w * h {
        if skel[s] && !visited[s] {
            visited[s] = true;
            if let Some(q) = nb(s).into_iter().find(|&q| !visited[q]) {
                let mut c = walk(s, q, &mut visited);
                c.push(s);
                chains.push(c);
            }
        }
    }
    chains
}

/// Douglas–Peucker simplification at `tolerance` (perpendicular distance), keeping both ends.
pub fn douglas_peucker(pts: &[[f64; 2]], tolerance: f64) -> Vec<[f64; 2]> {
    if pts.len() <= 2 {
        return pts.to_vec();
    }
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0usize, pts.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (pa, pb) = (pts[a], pts[b]);
        let (dx, dy) = (pb[0] - pa[0], pb[1] - pa[1]);
        let len = (dx * dx + dy * dy).sqrt();
        let mut best = (0.0, 0usize);
        for (k, p) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d = if len > 0.0 { ((p[0] - pa[0]) * dy - (p[1] - pa[1]) * dx).abs() / len } else { dist(*p, pa) };
            if d > best.0 {
                best = (d, k);
            }
        }
        if best.0 > tolerance {
            keep[best.1] = true;
            stack.push((a, best.1));
            stack.push((best.1, b));
        }
    }
    pts.iter().zip(&keep).filter(|(_, &k)| k).map(|(p, _)| *p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rasterises a segment of width `width` (pixels whose centre lies within width/2 of it).
    fn draw(w: usize, h: usize, a: [f64; 2], b: [f64; 2], width: f64) -> Vec<bool> {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let l2 = dx * dx + dy * dy;
        (0..w * h)
            .map(|i| {
                let p = [(i % w) as f64 + 0.5, (i / w) as f64 + 0.5];
                let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0);
                dist(p, [a[0] + t * dx, a[1] + t * dy]) <= width / 2.0
            })
            .collect()
    }

    #[test]
    fn straight_crack_length_and_width_at_several_angles() {
        for (b, width) in [([180.0, 40.0], 3.0), ([170.0, 110.0], 3.0), ([60.0, 180.0], 5.0), ([150.0, 150.0], 1.0)] {
            let a = [20.0, 20.0];
            let m = draw(200, 200, a, b, width);
            let lines = crack_polylines(&m, 200, 200, 1.0, 10.0);
            assert_eq!(lines.len(), 1, "{b:?}");
            let true_len = dist(a, b);
            // The skeleton ends about half a width inside the caps.
            assert!((lines[0].length - true_len).abs() <= width + 1.5, "{b:?}: {} vs {true_len}", lines[0].length);
            assert!((lines[0].mean_width - width).abs() <= 0.6, "{b:?}: width {}", lines[0].mean_width);
        }
    }

    #[test]
    fn a_cross_gives_four_branches_and_a_ring_one_closed_chain() {
        let mut m = draw(100, 100, [10.0, 50.5], [90.0, 50.5], 1.0);
        for (i, v) in draw(100, 100, [50.5, 10.0], [50.5, 90.0], 1.0).into_iter().enumerate() {
            m[i] |= v;
        }
        let lines = crack_polylines(&m, 100, 100, 1.0, 5.0);
        assert_eq!(lines.len(), 4);
        let total: f64 = lines.iter().map(|l| l.length).sum();
        // Each arm rasterises to 82 pixels (rows 9..=90: the caps reach half a pixel further), 81 px long.
        assert!((total - 162.0).abs() < 2.0, "{total}");
        let ring: Vec<bool> = (0..60 * 60)
            .map(|i| {
                let (x, y) = ((i % 60) as f64 - 29.5, (i / 60) as f64 - 29.5);
                ((x * x + y * y).sqrt() - 20.0).abs() < 0.8
            })
            .collect();
        let lines = crack_polylines(&ring, 60, 60, 1.0, 5.0);
        assert_eq!(lines.len(), 1);
        // Circumference 2π·20 = 125.7; the simplified polygon is a little shorter.
        assert!((lines[0].length - 125.7).abs() < 5.0, "{}", lines[0].length);
    }

    #[test]
    fn douglas_peucker_keeps_corners_only() {
        let pts: Vec<[f64; 2]> = (0..=10).map(|i| [i as f64, 0.0]).chain((1..=10).map(|i| [10.0, i as f64])).collect();
        assert_eq!(douglas_peucker(&pts, 0.5), vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]);
    }
}
