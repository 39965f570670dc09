//! Small numeric helpers for hot loops.

/// `⌊q⌋` as an integer, without a libm call: x86-64's baseline has no rounding instruction, so
/// `f64::floor` is a function call there, while truncation (`as i64`) is one instruction.
/// Saturating like `as`: values beyond the `i64` range give `i64::MIN` / `i64::MAX`, NaN gives 0.
///
/// Used to key points by grid cell (`(⌊x / cell⌋, ⌊y / cell⌋)`).
///
/// ```
/// use zwilling_core::num::floor_i64;
/// assert_eq!(floor_i64(2.7), 2);
/// assert_eq!(floor_i64(-2.3), -3);
/// assert_eq!(floor_i64(-4.0), -4);
/// ```
#[inline]
pub fn floor_i64(q: f64) -> i64 {
    let k = q as i64;
    if (k as f64) > q {
        k.saturating_sub(1)
    } else {
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_floor_within_range_and_saturates_outside() {
        for q in [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1e-300, -1e-300, 123456.999, -123456.001, 4.5e15, -4.5e15] {
            assert_eq!(floor_i64(q), q.floor() as i64, "{q}");
        }
        assert_eq!(floor_i64(f64::NAN), 0);
        assert_eq!(floor_i64(1e30), i64::MAX);
        assert_eq!(floor_i64(-1e30), i64::MIN);
        assert_eq!(floor_i64(f64::NEG_INFINITY), i64::MIN);
    }
}
