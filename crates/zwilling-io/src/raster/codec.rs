//! Compression and predictors of TIFF strips and tiles.
//!
//! - Compression (TIFF tag 259): 1 none, 5 LZW (TIFF 6.0 §13, MSB-first codes with the "early
//!   change" code-width switch, decoded with `weezl`), 8 / 32946 Deflate (a zlib stream, RFC 1950/1951,
//!   `flate2`), 32773 PackBits (TIFF 6.0 §9: a header byte n ≥ 0 copies n + 1 literal bytes, n in
//!   −127…−1 repeats the next byte 1 − n times, −128 is a no-op).
//! - Predictor (tag 317): 2 = horizontal differencing (TIFF 6.0 §14) — each sample is stored as the
//!   wrapping difference to the same sample of the previous pixel in the row; 3 = floating point
//!   (Adobe TIFF Technical Note 3, 2005) — the bytes of each row are reordered into planes, most
//!   significant byte first, and then differenced bytewise with a stride of samples-per-pixel.
//!
//! Encoding writes Deflate only (what COGs use); it is deterministic for a given level.

use std::io::{Read, Write};

use super::sample::Sample;

/// No compression.
pub const COMPRESSION_NONE: u16 = 1;
/// LZW.
pub const COMPRESSION_LZW: u16 = 5;
/// Adobe Deflate (zlib stream).
pub const COMPRESSION_DEFLATE: u16 = 8;
/// Old Deflate code (same stream).
pub const COMPRESSION_DEFLATE_OLD: u16 = 32946;
/// PackBits.
pub const COMPRESSION_PACKBITS: u16 = 32773;

/// Decompresses one strip or tile to at least `expected` bytes (extra bytes are cut off).
pub(crate) fn decompress(compression: u16, data: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let mut out = match compression {
        COMPRESSION_NONE => data.to_vec(),
        COMPRESSION_DEFLATE | COMPRESSION_DEFLATE_OLD => {
            let mut out = Vec::with_capacity(expected);
            let mut dec = flate2::read::ZlibDecoder::new(data).take(expected as u64);
            if let Err(e) = dec.read_to_end(&mut out) {
                if out.len() < expected {
                    return Err(format!("corrupt Deflate data: {e}"));
                }
            }
            out
        }
        COMPRESSION_LZW => {
            let mut out = Vec::with_capacity(expected);
            let mut dec = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
            let res = dec.into_vec(&mut out).decode(data);
            if let Err(e) = res.status {
                if out.len() < expected {
                    return Err(format!("corrupt LZW data: {e}"));
                }
            }
            out
        }
        COMPRESSION_PACKBITS => unpack_bits(data, expected)?,
        c => return Err(format!("compression {c} ({}) is not supported", compression_name(c))),
    };
    if out.len() < expected {
        return Err(format!("a block decompresses to {} bytes, expected {expected}", out.len()));
    }
    out.truncate(expected);
    Ok(out)
}

/// Human name of a TIFF compression code for error messages.
pub fn compression_name(c: u16) -> &'static str {
    match c {
        1 => "none",
        2 => "CCITT RLE",
        3 | 4 => "CCITT fax",
        5 => "LZW",
        6 | 7 => "JPEG",
        8 | 32946 => "Deflate",
        32773 => "PackBits",
        34887 => "LERC",
        34925 => "LZMA",
        50000 => "ZSTD",
        50001 => "WebP",
        50002 => "JPEG-XL",
        _ => "unknown",
    }
}

fn unpack_bits(data: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(expected);
    let mut i = 0;
    while i < data.len() && out.len() < expected {
        let n = data[i] as i8;
        i += 1;
        if n >= 0 {
            let end = i + n as usize + 1;
            let lit = data.get(i..end).ok_or("truncated PackBits literal run")?;
            out.extend_from_slice(lit);
            i = end;
        } else if n != -128 {
            let b = *data.get(i).ok_or("truncated PackBits repeat run")?;
            out.resize(out.len() + 1 + (-(n as i16)) as usize, b);
            i += 1;
        }
    }
    Ok(out)
}

/// Deflate (zlib stream) at `level` 1–9.
pub(crate) fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::with_capacity(data.len() / 2), flate2::Compression::new(level));
    enc.write_all(data).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

/// Turns decompressed bytes of a block (`rows` × `row_px` pixels of `spp` samples) into samples,
/// undoing the predictor. `big` is the file's byte order.
pub(crate) fn decode_samples<T: Sample>(
    bytes: &mut [u8],
    big: bool,
    predictor: u16,
    row_px: usize,
    spp: usize,
    rows: usize,
) -> Result<Vec<T>, String> {
    let row_samples = row_px * spp;
    let n = row_samples * rows;
    if bytes.len() < n * T::BYTES {
        return Err(format!("a block holds {} bytes, expected {}", bytes.len(), n * T::BYTES));
    }
    match predictor {
        1 => Ok(bytes[..n * T::BYTES].chunks_exact(T::BYTES).map(|c| T::from_bytes(c, big)).collect()),
        2 => {
            let mut v: Vec<T> = bytes[..n * T::BYTES].chunks_exact(T::BYTES).map(|c| T::from_bytes(c, big)).collect();
            for row in v.chunks_exact_mut(row_samples) {
                for i in spp..row.len() {
                    row[i] = row[i].wrapping_acc(row[i - spp]);
                }
            }
            Ok(v)
        }
        3 => {
            let rb = row_samples * T::BYTES;
            let mut v = Vec::with_capacity(n);
            let mut be = [0u8; 8];
            for row in bytes[..n * T::BYTES].chunks_exact_mut(rb) {
                for i in spp..rb {
                    row[i] = row[i].wrapping_add(row[i - spp]);
                }
                for j in 0..row_samples {
                    for (k, b) in be[..T::BYTES].iter_mut().enumerate() {
                        *b = row[k * row_samples + j];
                    }
                    v.push(T::from_bytes(&be[..T::BYTES], true));
                }
            }
            Ok(v)
        }
        p => Err(format!("predictor {p} is not supported (1, 2 and 3 are)")),
    }
}

/// Encodes samples of a block as little-endian bytes with `predictor` applied (1, 2 or 3).
pub(crate) fn encode_samples<T: Sample>(v: &[T], predictor: u16, row_px: usize, spp: usize) -> Vec<u8> {
    let row_samples = row_px * spp;
    let mut out = Vec::with_capacity(v.len() * T::BYTES);
    match predictor {
        2 => {
            for row in v.chunks_exact(row_samples) {
                for (i, &s) in row.iter().enumerate() {
                    let d = if i >= spp { s.wrapping_diff(row[i - spp]) } else { s };
                    d.put_le(&mut out);
                }
            }
        }
        3 => {
            let rb = row_samples * T::BYTES;
            let mut le = Vec::with_capacity(T::BYTES);
            for row in v.chunks_exact(row_samples) {
                let start = out.len();
                out.resize(start + rb, 0);
                let planes = &mut out[start..];
                for (j, &s) in row.iter().enumerate() {
                    le.clear();
                    s.put_le(&mut le);
                    for k in 0..T::BYTES {
                        // plane k holds byte k counted from the most significant one
                        planes[k * row_samples + j] = le[T::BYTES - 1 - k];
                    }
                }
                for i in (spp..rb).rev() {
                    planes[i] = planes[i].wrapping_sub(planes[i - spp]);
                }
            }
        }
        _ => v.iter().for_each(|s| s.put_le(&mut out)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packbits_example_from_tiff_spec() {
        // TIFF 6.0 §9 example: packed and unpacked data.
        let packed = [0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7, 0xAA];
        let unpacked = [
            0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22, 0xAA, 0xAA, 0xAA, 0xAA,
            0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
        ];
        assert_eq!(decompress(COMPRESSION_PACKBITS, &packed, 24).unwrap(), unpacked);
        assert!(decompress(COMPRESSION_PACKBITS, &packed[..3], 24).is_err());
    }

    #[test]
    fn horizontal_predictor_stores_differences() {
        // TIFF 6.0 §14: a row 10 12 15 (one sample per pixel) is stored as 10 2 3.
        let enc = encode_samples(&[10u16, 12, 15], 2, 3, 1);
        assert_eq!(enc, [10, 0, 2, 0, 3, 0]);
        let mut b = enc.clone();
        assert_eq!(decode_samples::<u16>(&mut b, false, 2, 3, 1, 1).unwrap(), vec![10, 12, 15]);
    }

    #[test]
    fn floating_point_predictor_byte_planes() {
        // TN3: row of f32 1.0 (3F800000) and 2.0 (40000000): planes 3F 40 | 80 00 | 00 00 | 00 00,
        // then bytewise differences: 3F 01 | 40 80 | 00 00 | 00 00.
        let enc = encode_samples(&[1.0f32, 2.0], 3, 2, 1);
        assert_eq!(enc, [0x3F, 0x01, 0x40, 0x80, 0, 0, 0, 0]);
        let mut b = enc.clone();
        assert_eq!(decode_samples::<f32>(&mut b, false, 3, 2, 1, 1).unwrap(), vec![1.0, 2.0]);
    }

    #[test]
    fn all_predictors_round_trip_through_deflate_and_lzw_free_paths() {
        let v: Vec<f64> = (0..6 * 4 * 3).map(|i| (i as f64 * 0.37).sin() * 100.0).collect();
        for p in [1, 2, 3] {
            let enc = deflate(&encode_samples(&v, p, 6, 3), 6);
            let mut raw = decompress(COMPRESSION_DEFLATE, &enc, v.len() * 8).unwrap();
            assert_eq!(decode_samples::<f64>(&mut raw, false, p, 6, 3, 4).unwrap(), v, "predictor {p}");
        }
    }

    #[test]
    fn lzw_decodes_a_tiff_stream() {
        // Encode with weezl's TIFF-flavoured encoder and check the decoder path returns the input.
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 7 + i / 300) as u8).collect();
        let enc = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8).encode(&data).unwrap();
        assert_eq!(decompress(COMPRESSION_LZW, &enc, data.len()).unwrap(), data);
        assert!(decompress(COMPRESSION_DEFLATE, &[1, 2, 3], 10).is_err());
        assert!(decompress(7, &[1, 2, 3], 10).unwrap_err().contains("JPEG"));
    }
}
