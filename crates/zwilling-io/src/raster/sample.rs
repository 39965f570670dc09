//! The pixel sample types a GeoTIFF can hold and how they map to TIFF tags.
//!
//! TIFF 6.0 describes a sample by `BitsPerSample` (258) and `SampleFormat` (339: 1 = unsigned
//! integer, 2 = two's complement signed integer, 3 = IEEE floating point). [`Sample`] ties each
//! Rust type to that pair, to its little-endian bytes and to the predictor the writer uses
//! (2 = horizontal differencing for integers, 3 = floating point for floats; TIFF Technical Note 3).

/// `SampleFormat` value for unsigned integers.
pub const FORMAT_UINT: u16 = 1;
/// `SampleFormat` value for signed integers.
pub const FORMAT_INT: u16 = 2;
/// `SampleFormat` value for IEEE floats.
pub const FORMAT_FLOAT: u16 = 3;

/// The sample type of a raster band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleType {
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 16-bit integer.
    U16,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 32-bit integer.
    U32,
    /// Signed 32-bit integer.
    I32,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
}

impl SampleType {
    /// The type for a TIFF `(BitsPerSample, SampleFormat)` pair, if supported.
    pub fn from_tiff(bits: u16, format: u16) -> Option<SampleType> {
        Some(match (bits, format) {
            (8, FORMAT_UINT) => SampleType::U8,
            (8, FORMAT_INT) => SampleType::I8,
            (16, FORMAT_UINT) => SampleType::U16,
            (16, FORMAT_INT) => SampleType::I16,
            (32, FORMAT_UINT) => SampleType::U32,
            (32, FORMAT_INT) => SampleType::I32,
            (32, FORMAT_FLOAT) => SampleType::F32,
            (64, FORMAT_FLOAT) => SampleType::F64,
            _ => return None,
        })
    }

    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            SampleType::U8 | SampleType::I8 => 1,
            SampleType::U16 | SampleType::I16 => 2,
            SampleType::U32 | SampleType::I32 | SampleType::F32 => 4,
            SampleType::F64 => 8,
        }
    }

    /// True for floating-point types.
    pub fn is_float(self) -> bool {
        matches!(self, SampleType::F32 | SampleType::F64)
    }

    /// GDAL's name of the type (`Byte`, `Int16`, `Float32`, ...).
    pub fn gdal_name(self) -> &'static str {
        match self {
            SampleType::U8 => "Byte",
            SampleType::I8 => "Int8",
            SampleType::U16 => "UInt16",
            SampleType::I16 => "Int16",
            SampleType::U32 => "UInt32",
            SampleType::I32 => "Int32",
            SampleType::F32 => "Float32",
            SampleType::F64 => "Float64",
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that can be a GeoTIFF sample (`u8, i8, u16, i16, u32, i32, f32, f64`).
pub trait Sample: Copy + Send + Sync + Default + PartialEq + std::fmt::Debug + sealed::Sealed + 'static {
    /// The TIFF sample type.
    const TYPE: SampleType;
    /// Bytes per sample.
    const BYTES: usize;
    /// Appends the little-endian bytes of `self`.
    fn put_le(self, out: &mut Vec<u8>);
    /// Reads a value from its bytes in the file's byte order (`big` = Motorola order).
    fn from_bytes(b: &[u8], big: bool) -> Self;
    /// The value as f64 (exact for every type but large u64-range values).
    fn to_f64(self) -> f64;
    /// The value nearest to `v` (saturating for integers, NaN → 0).
    fn from_f64(v: f64) -> Self;
    /// `self - prev` with wrap-around (predictor 2 for integers; plain subtraction of bit patterns
    /// is not used for floats, they use predictor 3).
    fn wrapping_diff(self, prev: Self) -> Self;
    /// `self + prev` with wrap-around (inverse of [`Sample::wrapping_diff`]).
    fn wrapping_acc(self, prev: Self) -> Self;
}

macro_rules! int_sample {
    ($t:ty, $st:expr) => {
        impl sealed::Sealed for $t {}
        impl Sample for $t {
            const TYPE: SampleType = $st;
            const BYTES: usize = std::mem::size_of::<$t>();
            #[inline]
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn from_bytes(b: &[u8], big: bool) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
                if big {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                }
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                v.round() as $t
            }
            #[inline]
            fn wrapping_diff(self, prev: Self) -> Self {
                self.wrapping_sub(prev)
            }
            #[inline]
            fn wrapping_acc(self, prev: Self) -> Self {
                self.wrapping_add(prev)
            }
        }
    };
}

macro_rules! float_sample {
    ($t:ty, $st:expr) => {
        impl sealed::Sealed for $t {}
        impl Sample for $t {
            const TYPE: SampleType = $st;
            const BYTES: usize = std::mem::size_of::<$t>();
            #[inline]
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn from_bytes(b: &[u8], big: bool) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
                if big {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                }
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn wrapping_diff(self, prev: Self) -> Self {
                <$t>::from_bits(self.to_bits().wrapping_sub(prev.to_bits()))
            }
            #[inline]
            fn wrapping_acc(self, prev: Self) -> Self {
                <$t>::from_bits(self.to_bits().wrapping_add(prev.to_bits()))
            }
        }
    };
}

int_sample!(u8, SampleType::U8);
int_sample!(i8, SampleType::I8);
int_sample!(u16, SampleType::U16);
int_sample!(i16, SampleType::I16);
int_sample!(u32, SampleType::U32);
int_sample!(i32, SampleType::I32);
float_sample!(f32, SampleType::F32);
float_sample!(f64, SampleType::F64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiff_pairs_map_to_types() {
        assert_eq!(SampleType::from_tiff(16, FORMAT_INT), Some(SampleType::I16));
        assert_eq!(SampleType::from_tiff(32, FORMAT_FLOAT), Some(SampleType::F32));
        assert_eq!(SampleType::from_tiff(16, FORMAT_FLOAT), None);
        assert_eq!(SampleType::F64.bytes(), 8);
    }

    #[test]
    fn byte_order_and_wrapping() {
        assert_eq!(i16::from_bytes(&[0x12, 0x34], true), 0x1234);
        assert_eq!(i16::from_bytes(&[0x34, 0x12], false), 0x1234);
        assert_eq!(200u8.wrapping_diff(10).wrapping_acc(10), 200);
        assert_eq!(5u8.wrapping_diff(10), 251);
        assert_eq!(i16::from_f64(1e9), i16::MAX);
        assert_eq!(u8::from_f64(-3.0), 0);
    }
}
