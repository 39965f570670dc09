//! Thinning of a binary mask to a one-pixel-wide skeleton (Zhang & Suen).
//!
//! T. Y. Zhang and C. Y. Suen, "A fast parallel algorithm for thinning digital patterns",
//! Comm. ACM 27(3), 1984. With the neighbours `P2..P9` clockwise from north, `B` = number of set
//! neighbours and `A` = number of 0→1 transitions in the cyclic sequence `P2, P3, …, P9, P2`, a set
//! pixel is deleted when `2 ≤ B ≤ 6`, `A = 1` and, in the first sub-iteration,
//! `P2·P4·P6 = 0` and `P4·P6·P8 = 0` (second: `P2·P4·P8 = 0` and `P2·P6·P8 = 0`), repeated until
//! nothing changes. Pixels outside the image count as unset.
//!
//! ```
//! use zwilling_cracks::skeleton::thin;
//! // A 3-pixel-thick horizontal bar thins to its middle row.
//! let (w, h) = (12, 5);
//! let mask: Vec<bool> = (0..w * h).map(|i| (1..4).contains(&(i / w)) && (1..11).contains(&(i % w))).collect();
//! let s = thin(&mask, w, h);
//! assert!(s.iter().enumerate().filter(|(_, &b)| b).all(|(i, _)| i / w == 2));
//! ```

/// The Zhang–Suen skeleton of a `w × h` mask.
pub fn thin(mask: &[bool], w: usize, h: usize) -> Vec<bool> {
    assert_eq!(mask.len(), w * h, "mask must be w*h long");
    let mut m: Vec<bool> = mask.to_vec();
    let mut candidates: Vec<usize> = (0..w * h).filter(|&i| m[i]).collect();
    let mut delete = Vec::new();
    loop {
        let mut changed = false;
        for step in 0..2 {
            delete.clear();
            for &i in &candidates {
                if !m[i] {
                    continue;
                }
                let n = neighbours(&m, w, h, i);
                let b = n.iter().filter(|&&v| v).count();
                if !(2..=6).contains(&b) {
                    continue;
                }
                let a = (0..8).filter(|&k| !n[k] && n[(k + 1) % 8]).count();
                if a != 1 {
                    continue;
                }
                // n = [P2 (N), P3 (NE), P4 (E), P5 (SE), P6 (S), P7 (SW), P8 (W), P9 (NW)]
                let (p2, p4, p6, p8) = (n[0], n[2], n[4], n[6]);
                // First sub-iteration: P2·P4·P6 = 0 and P4·P6·P8 = 0, i.e. ¬P4 ∨ ¬P6 ∨ (¬P2 ∧ ¬P8);
                // second: P2·P4·P8 = 0 and P2·P6·P8 = 0, i.e. ¬P2 ∨ ¬P8 ∨ (¬P4 ∧ ¬P6).
                let ok = if step == 0 { !p4 || !p6 || (!p2 && !p8) } else { !p2 || !p8 || (!p4 && !p6) };
                if ok {
                    delete.push(i);
                }
            }
            for &i in &delete {
                m[i] = false;
            }
            changed |= !delete.is_empty();
        }
        if !changed {
            break;
        }
        candidates.retain(|&i| m[i]);
    }
    m
}

/// The 8 neighbours `P2..P9` (N, NE, E, SE, S, SW, W, NW) of pixel `i`; outside = unset.
pub fn neighbours(m: &[bool], w: usize, h: usize, i: usize) -> [bool; 8] {
    let (x, y) = ((i % w) as isize, (i / w) as isize);
    let get = |dx: isize, dy: isize| {
        let (nx, ny) = (x + dx, y + dy);
        nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h && m[ny as usize * w + nx as usize]
    };
    [get(0, -1), get(1, -1), get(1, 0), get(1, 1), get(0, 1), get(-1, 1), get(-1, 0), get(-1, -1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thick_diagonal_thins_to_a_connected_one_pixel_line() {
        let (w, h) = (30, 30);
        let mask: Vec<bool> = (0..w * h).map(|i| ((i % w) as i32 - (i / w) as i32).abs() <= 2).collect();
        let s = thin(&mask, w, h);
        // One pixel per row in the interior, on the diagonal ±1.
        for y in 5..25 {
            let xs: Vec<usize> = (0..w).filter(|&x| s[y * w + x]).collect();
            assert!(!xs.is_empty() && xs.len() <= 2, "row {y}: {xs:?}");
            assert!(xs.iter().all(|&x| (x as i32 - y as i32).abs() <= 1));
        }
    }

    #[test]
    fn single_pixels_and_lines_stay() {
        let mut m = vec![false; 25];
        m[12] = true;
        assert_eq!(thin(&m, 5, 5), m);
        let line: Vec<bool> = (0..25).map(|i| i / 5 == 2).collect();
        assert_eq!(thin(&line, 5, 5), line);
    }
}
