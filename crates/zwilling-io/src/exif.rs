//! EXIF position and time of a JPEG photo: GPS latitude / longitude / altitude, the GPS image
//! direction and the capture time, read from the APP1 `Exif` segment.
//!
//! Layout (CIPA DC-008 "Exif 2.32", which embeds a TIFF 6.0 structure): after `FF D8`, marker
//! segments `FF xx` + 16-bit big-endian length follow until the scan (`FF DA`); the APP1 segment
//! (`FF E1`) starting with `Exif\0\0` holds a TIFF header (`II` little / `MM` big endian, 42, offset
//! of IFD0). IFD entries are 12 bytes: tag, type, count, value (inline when ≤ 4 bytes, else an
//! offset from the TIFF header). IFD0 tag 0x8769 points to the Exif IFD (0x9003 DateTimeOriginal,
//! ASCII `YYYY:MM:DD HH:MM:SS`), tag 0x8825 to the GPS IFD: 1/2 latitude ref (`N`/`S`) and value,
//! 3/4 longitude ref (`E`/`W`) and value (three RATIONALs: degrees, minutes, seconds), 5/6 altitude
//! ref (0 above, 1 below sea level) and value, 7 time stamp (UTC h, m, s) with 0x1D date stamp
//! (`YYYY:MM:DD`), 0x10/0x11 image direction ref (`T` true / `M` magnetic north) and value (degrees).
//! Only the file's header is read (the segments before the scan), not the image data.
//!
//! ```no_run
//! let geo = zwilling_io::exif::read_exif_geo("photo.jpg".as_ref())?;
//! if let Some((lat, lon)) = geo.and_then(|g| g.latitude.zip(g.longitude)) {
//!     println!("{lat:.6} {lon:.6}");
//! }
//! # Ok::<(), zwilling_core::Error>(())
//! ```

use std::io::Read;
use std::path::Path;
use zwilling_core::{Error, Result};

/// Position, direction and time from a photo's EXIF (every field is `None` when its tag is absent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifGeo {
    /// WGS 84 latitude in degrees (south negative).
    pub latitude: Option<f64>,
    /// WGS 84 longitude in degrees (west negative).
    pub longitude: Option<f64>,
    /// Altitude in metres (below sea level negative), as the GPS reports it.
    pub altitude: Option<f64>,
    /// Direction the image was taken in, degrees clockwise from north.
    pub direction_deg: Option<f64>,
    /// Whether [`ExifGeo::direction_deg`] is relative to magnetic (not true) north.
    pub direction_magnetic: bool,
    /// GPS time (UTC) in seconds since 1970-01-01, from the GPS date and time stamps.
    pub gps_time: Option<f64>,
    /// DateTimeOriginal (camera clock, time zone unknown) in seconds since 1970-01-01.
    pub date_time_original: Option<f64>,
}

impl ExifGeo {
    /// The capture time in seconds: GPS time when present, else DateTimeOriginal.
    pub fn time(&self) -> Option<f64> {
        self.gps_time.or(self.date_time_original)
    }
}

/// Reads the EXIF position and time of a JPEG file; `Ok(None)` when the file has no EXIF
/// segment. A file that is not a JPEG, or malformed EXIF, is an error naming the file.
pub fn read_exif_geo(path: &Path) -> Result<Option<ExifGeo>> {
    let mut f = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| Error::io(path, e))?);
    let mut head = [0u8; 2];
    f.read_exact(&mut head).map_err(|e| Error::io(path, e))?;
    if head != [0xFF, 0xD8] {
        return Err(Error::bad_file(path, "not a JPEG file (EXIF is read from JPEG only)"));
    }
    loop {
        let mut m = [0u8; 4];
        if f.read_exact(&mut m[..2]).is_err() || m[0] != 0xFF {
            return Err(Error::bad_file(path, "broken JPEG marker before the image data"));
        }
        if m[1] == 0xFF || (0xD0..=0xD7).contains(&m[1]) || m[1] == 0x01 {
            continue; // fill byte or marker without length
        }
        if m[1] == 0xDA || m[1] == 0xD9 {
            return Ok(None); // start of scan / end of image: no EXIF before the data
        }
        f.read_exact(&mut m[2..]).map_err(|e| Error::io(path, e))?;
        let len = u16::from_be_bytes([m[2], m[3]]) as usize;
        if len < 2 {
            return Err(Error::bad_file(path, "JPEG segment length below 2"));
        }
        let mut seg = vec![0u8; len - 2];
        f.read_exact(&mut seg).map_err(|_| Error::bad_file(path, "JPEG header segment cut short"))?;
        if m[1] == 0xE1 && seg.starts_with(b"Exif\0\0") {
            return parse_tiff(&seg[6..]).map(Some).map_err(|msg| Error::bad_file(path, format!("EXIF: {msg}")));
        }
    }
}

/// A TIFF structure in memory with its byte order.
struct Tiff<'a> {
    b: &'a [u8],
    le: bool,
}

/// One IFD entry: type, count and the bytes of its value(s).
struct Entry<'a> {
    typ: u16,
    count: usize,
    data: &'a [u8],
}

impl<'a> Tiff<'a> {
    fn u16(&self, o: usize) -> std::result::Result<u16, String> {
        let s = self.b.get(o..o + 2).ok_or("offset beyond the EXIF segment")?;
        Ok(if self.le { u16::from_le_bytes([s[0], s[1]]) } else { u16::from_be_bytes([s[0], s[1]]) })
    }
    fn u32(&self, o: usize) -> std::result::Result<u32, String> {
        let s: [u8; 4] = self.b.get(o..o + 4).ok_or("offset beyond the EXIF segment")?.try_into().unwrap();
        Ok(if self.le { u32::from_le_bytes(s) } else { u32::from_be_bytes(s) })
    }

    /// The entries of the IFD at `offset` as (tag, entry).
    fn ifd(&self, offset: usize) -> std::result::Result<Vec<(u16, Entry<'a>)>, String> {
        let n = self.u16(offset)? as usize;
        let mut out = Vec::with_capacity(n);
        for k in 0..n {
            let e = offset + 2 + 12 * k;
            let (tag, typ, count) = (self.u16(e)?, self.u16(e + 2)?, self.u32(e + 4)? as usize);
            let size = match typ {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 => 4,
                5 | 10 | 12 => 8,
                _ => continue, // unknown type: skip, as the standard asks
            };
            let bytes = size * count;
            let start = if bytes <= 4 { e + 8 } else { self.u32(e + 8)? as usize };
            let data = self.b.get(start..start + bytes).ok_or(format!("tag {tag:#06x} points beyond the segment"))?;
            out.push((tag, Entry { typ, count, data }));
        }
        Ok(out)
    }

    fn rationals(&self, e: &Entry) -> std::result::Result<Vec<f64>, String> {
        if e.typ != 5 && e.typ != 10 {
            return Err("expected a RATIONAL value".into());
        }
        (0..e.count)
            .map(|k| {
                let t = Tiff { b: e.data, le: self.le };
                let (n, d) = (t.u32(8 * k)?, t.u32(8 * k + 4)?);
                let (n, d) = if e.typ == 10 { (n as i32 as f64, d as i32 as f64) } else { (n as f64, d as f64) };
                Ok(if d == 0.0 { f64::NAN } else { n / d })
            })
            .collect()
    }
}

fn ascii<'e>(e: &Entry<'e>) -> &'e str {
    let s = e.data.split(|&c| c == 0).next().unwrap_or(&[]);
    std::str::from_utf8(s).unwrap_or("").trim()
}

/// Seconds since 1970-01-01 of a proleptic Gregorian date and time (days from civil, H. Hinnant).
fn epoch_seconds(y: i64, mo: i64, d: i64, secs_of_day: f64) -> f64 {
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146097 + doe - 719468) as f64 * 86400.0 + secs_of_day
}

/// `YYYY:MM:DD` → (year, month, day).
fn parse_date(s: &str) -> Option<(i64, i64, i64)> {
    let mut it = s.get(..10)?.split(':').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (it.next()??, it.next()??, it.next()??);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

fn parse_tiff(b: &[u8]) -> std::result::Result<ExifGeo, String> {
    let le = match b.get(..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return Err("no TIFF header (II / MM) after 'Exif'".into()),
    };
    let t = Tiff { b, le };
    if t.u16(2)? != 42 {
        return Err("TIFF magic number is not 42".into());
    }
    let ifd0 = t.ifd(t.u32(4)? as usize)?;
    let pointer = |tag: u16| ifd0.iter().find(|(t2, _)| *t2 == tag).map(|(_, e)| Tiff { b: e.data, le }.u32(0));
    let mut g = ExifGeo::default();
    if let Some(off) = pointer(0x8769) {
        for (tag, e) in t.ifd(off? as usize)? {
            if tag == 0x9003 {
                let s = ascii(&e);
                if let (Some((y, m, d)), Some(hms)) = (parse_date(s), s.get(11..19)) {
                    let p: Vec<f64> = hms.split(':').filter_map(|v| v.parse().ok()).collect();
                    if p.len() == 3 {
                        g.date_time_original = Some(epoch_seconds(y, m, d, p[0] * 3600.0 + p[1] * 60.0 + p[2]));
                    }
                }
            }
        }
    }
    if let Some(off) = pointer(0x8825) {
        let (mut lat_ref, mut lon_ref, mut alt_below) = ("N", "E", false);
        let (mut date, mut tod) = (None, None);
        let dms = |v: Vec<f64>| (v.len() == 3).then(|| v[0] + v[1] / 60.0 + v[2] / 3600.0).filter(|x| x.is_finite());
        for (tag, e) in t.ifd(off? as usize)? {
            match tag {
                0x01 => lat_ref = ascii(&e),
                0x02 => g.latitude = dms(t.rationals(&e)?),
                0x03 => lon_ref = ascii(&e),
                0x04 => g.longitude = dms(t.rationals(&e)?),
                0x05 => alt_below = e.data.first() == Some(&1),
                0x06 => g.altitude = t.rationals(&e)?.first().copied().filter(|x| x.is_finite()),
                0x07 => {
                    let v = t.rationals(&e)?;
                    tod = (v.len() == 3).then(|| v[0] * 3600.0 + v[1] * 60.0 + v[2]).filter(|x| x.is_finite());
                }
                0x10 => g.direction_magnetic = ascii(&e).eq_ignore_ascii_case("M"),
                0x11 => g.direction_deg = t.rationals(&e)?.first().copied().filter(|x| x.is_finite()),
                0x1D => date = parse_date(ascii(&e)),
                _ => {}
            }
        }
        if lat_ref.eq_ignore_ascii_case("S") {
            g.latitude = g.latitude.map(|v| -v);
        }
        if lon_ref.eq_ignore_ascii_case("W") {
            g.longitude = g.longitude.map(|v| -v);
        }
        if alt_below {
            g.altitude = g.altitude.map(|v| -v);
        }
        if let (Some((y, m, d)), Some(s)) = (date, tod) {
            g.gps_time = Some(epoch_seconds(y, m, d, s));
        }
    }
    Ok(g)
}

/// An APP1 segment (marker included, little-endian TIFF) carrying the GPS tags of `geo`:
/// latitude / longitude (required; degrees, minutes and seconds to 1e-4″), altitude, image
/// direction (true or magnetic) and GPS date and time (to 1 ms) when set. Insert it after a JPEG's
/// `FF D8` with [`insert_app1`], e.g. to give synthetic survey images a position.
pub fn exif_gps_app1(geo: &ExifGeo) -> Result<Vec<u8>> {
    let (Some(lat), Some(lon)) = (geo.latitude, geo.longitude) else {
        return Err(Error::invalid("EXIF GPS needs a latitude and a longitude"));
    };
    let dms = |v: f64| {
        let s = (v.abs() * 3600.0 * 1e4).round() as u64;
        [(s / 36_000_000, 1), ((s / 600_000) % 60, 1), (s % 600_000, 10_000)]
    };
    let mut entries: Vec<(u16, u16, u32, Vec<u8>)> = vec![]; // tag, type, count, value bytes
    let ascii = |c: &str| c.bytes().chain([0]).collect::<Vec<u8>>();
    let rat = |v: &[(u64, u64)]| {
        v.iter().flat_map(|&(n, d)| [(n as u32).to_le_bytes(), (d as u32).to_le_bytes()].concat()).collect::<Vec<u8>>()
    };
    entries.push((0x01, 2, 2, ascii(if lat < 0.0 { "S" } else { "N" })));
    entries.push((0x02, 5, 3, rat(&dms(lat))));
    entries.push((0x03, 2, 2, ascii(if lon < 0.0 { "W" } else { "E" })));
    entries.push((0x04, 5, 3, rat(&dms(lon))));
    if let Some(alt) = geo.altitude {
        entries.push((0x05, 1, 1, vec![(alt < 0.0) as u8]));
        entries.push((0x06, 5, 1, rat(&[((alt.abs() * 1e4).round() as u64, 10_000)])));
    }
    let civil = geo.gps_time.map(|t| {
        let (days, secs) = (t.div_euclid(86400.0) as i64, t.rem_euclid(86400.0));
        (civil_from_days(days), secs)
    });
    if let Some((_, secs)) = civil {
        let ms = (secs * 1000.0).round() as u64;
        entries.push((0x07, 5, 3, rat(&[(ms / 3_600_000, 1), ((ms / 60_000) % 60, 1), (ms % 60_000, 1000)])));
    }
    if let Some(d) = geo.direction_deg {
        entries.push((0x10, 2, 2, ascii(if geo.direction_magnetic { "M" } else { "T" })));
        entries.push((0x11, 5, 1, rat(&[((d.rem_euclid(360.0) * 1e4).round() as u64, 10_000)])));
    }
    if let Some(((y, m, d), _)) = civil {
        entries.push((0x1D, 2, 11, ascii(&format!("{y:04}:{m:02}:{d:02}"))));
    }
    // TIFF header (8) + IFD0 with the GPS pointer (18) + GPS IFD + values longer than 4 bytes.
    let gps_ifd = 26u32;
    let mut data_at = gps_ifd + 2 + 12 * entries.len() as u32 + 4;
    let mut t = b"II".to_vec();
    t.extend(42u16.to_le_bytes());
    t.extend(8u32.to_le_bytes());
    t.extend(1u16.to_le_bytes());
    t.extend([0x25, 0x88, 4, 0, 1, 0, 0, 0]);
    t.extend(gps_ifd.to_le_bytes());
    t.extend(0u32.to_le_bytes());
    t.extend((entries.len() as u16).to_le_bytes());
    let mut data = vec![];
    for (tag, typ, count, mut v) in entries {
        t.extend(tag.to_le_bytes());
        t.extend(typ.to_le_bytes());
        t.extend(count.to_le_bytes());
        if v.len() <= 4 {
            v.resize(4, 0);
            t.extend(v);
        } else {
            t.extend(data_at.to_le_bytes());
            data_at += v.len() as u32;
            data.extend(v);
        }
    }
    t.extend(0u32.to_le_bytes());
    t.extend(data);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend(((t.len() + 8) as u16).to_be_bytes());
    seg.extend(b"Exif\0\0");
    seg.extend(t);
    Ok(seg)
}

/// The JPEG `jpeg` with the segment `app1` inserted right after its start-of-image marker.
pub fn insert_app1(jpeg: &[u8], app1: &[u8]) -> Result<Vec<u8>> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(Error::invalid("not a JPEG stream (no FF D8 start marker)"));
    }
    Ok([&jpeg[..2], app1, &jpeg[2..]].concat())
}

/// (year, month, day) of a day count since 1970-01-01 (inverse of [`epoch_seconds`]'s date part).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds an APP1 EXIF segment (marker included) by hand, in either byte order, with IFD0 →
    /// Exif IFD (DateTimeOriginal) and GPS IFD. Independent of the parser above: entries are
    /// written from the Exif 2.32 tables.
    pub(crate) fn exif_app1(le: bool, lat: [(u32, u32); 3], lon: [(u32, u32); 3], south_west: bool) -> Vec<u8> {
        let u16b = |v: u16| if le { v.to_le_bytes().to_vec() } else { v.to_be_bytes().to_vec() };
        let u32b = |v: u32| if le { v.to_le_bytes().to_vec() } else { v.to_be_bytes().to_vec() };
        // TIFF: header 8, IFD0 at 8 with 2 entries (2 + 24 + 4 = 30) → Exif IFD at 38 with 1 entry
        // (18) → GPS IFD at 56 with 10 entries (2 + 120 + 4 = 126) → data area at 182.
        let (exif_ifd, gps_ifd, data0) = (38u32, 56u32, 182u32);
        let mut data: Vec<u8> = vec![];
        let mut put = |bytes: Vec<u8>| {
            let off = data0 + data.len() as u32;
            data.extend(bytes);
            off
        };
        let dto = put(b"2024:06:01 10:20:30\0".to_vec());
        let rat = |v: &[(u32, u32)]| v.iter().flat_map(|&(n, d)| [u32b(n), u32b(d)].concat()).collect::<Vec<u8>>();
        let lat_off = put(rat(&lat));
        let lon_off = put(rat(&lon));
        let alt_off = put(rat(&[(12345, 100)]));
        let time_off = put(rat(&[(8, 1), (20, 1), (3050, 100)]));
        let dir_off = put(rat(&[(4525, 100)]));
        let date_off = put(b"2024:06:01\0".to_vec());
        let entry = |tag: u16, typ: u16, count: u32, value: Vec<u8>| {
            let mut v = [u16b(tag), u16b(typ), u32b(count)].concat();
            let mut val = value;
            val.resize(4, 0);
            v.extend(val);
            v
        };
        let mut t = if le { b"II".to_vec() } else { b"MM".to_vec() };
        t.extend(u16b(42));
        t.extend(u32b(8));
        t.extend(u16b(2));
        t.extend(entry(0x8769, 4, 1, u32b(exif_ifd)));
        t.extend(entry(0x8825, 4, 1, u32b(gps_ifd)));
        t.extend(u32b(0));
        t.extend(u16b(1));
        t.extend(entry(0x9003, 2, 20, u32b(dto)));
        t.extend(u32b(0));
        t.extend(u16b(10));
        let (ns, ew) = if south_west { (b"S\0", b"W\0") } else { (b"N\0", b"E\0") };
        t.extend(entry(0x01, 2, 2, ns.to_vec()));
        t.extend(entry(0x02, 5, 3, u32b(lat_off)));
        t.extend(entry(0x03, 2, 2, ew.to_vec()));
        t.extend(entry(0x04, 5, 3, u32b(lon_off)));
        t.extend(entry(0x05, 1, 1, vec![0]));
        t.extend(entry(0x06, 5, 1, u32b(alt_off)));
        t.extend(entry(0x07, 5, 3, u32b(time_off)));
        t.extend(entry(0x10, 2, 2, b"T\0".to_vec()));
        t.extend(entry(0x11, 5, 1, u32b(dir_off)));
        t.extend(entry(0x1D, 2, 11, u32b(date_off)));
        t.extend(u32b(0));
        assert_eq!(t.len(), data0 as usize);
        t.extend(data);
        let mut seg = vec![0xFF, 0xE1];
        seg.extend(((t.len() + 8) as u16).to_be_bytes());
        seg.extend(b"Exif\0\0");
        seg.extend(t);
        seg
    }

    /// A small JPEG with the segment inserted after SOI.
    pub(crate) fn jpeg_with(app1: &[u8]) -> Vec<u8> {
        let mut buf = vec![];
        let img = image::RgbImage::from_pixel(16, 8, image::Rgb([90, 100, 110]));
        img.write_to(&mut std::io::Cursor::new(&mut buf), image::ImageFormat::Jpeg).unwrap();
        [&buf[..2], app1, &buf[2..]].concat()
    }

    #[test]
    fn reads_gps_position_direction_and_times_in_both_byte_orders() {
        let dir = tempfile::tempdir().unwrap();
        for (le, sw) in [(true, false), (false, true)] {
            // 51° 28' 40.12" and 7° 0' 36.5"; altitude 123.45 m; 08:20:30.5 UTC on 2024-06-01.
            let app1 = exif_app1(le, [(51, 1), (28, 1), (4012, 100)], [(7, 1), (0, 1), (365, 10)], sw);
            let p = dir.path().join(format!("g{le}.jpg"));
            std::fs::write(&p, jpeg_with(&app1)).unwrap();
            let g = read_exif_geo(&p).unwrap().expect("EXIF present");
            let sign = if sw { -1.0 } else { 1.0 };
            assert!((g.latitude.unwrap() - sign * (51.0 + 28.0 / 60.0 + 40.12 / 3600.0)).abs() < 1e-12);
            assert!((g.longitude.unwrap() - sign * (7.0 + 36.5 / 3600.0)).abs() < 1e-12);
            assert_eq!(g.altitude, Some(123.45));
            assert_eq!((g.direction_deg, g.direction_magnetic), (Some(45.25), false));
            // 2024-06-01 is day 19875 since 1970-01-01 (date -u -d 2024-06-01 +%s = 1717200000).
            assert_eq!(g.gps_time, Some(1_717_200_000.0 + 8.0 * 3600.0 + 20.0 * 60.0 + 30.5));
            assert_eq!(g.date_time_original, Some(1_717_200_000.0 + 10.0 * 3600.0 + 20.0 * 60.0 + 30.0));
            assert_eq!(g.time(), g.gps_time);
            // The image still decodes.
            assert_eq!(crate::imagery::read_gray(&p).unwrap().dimensions(), (16, 8));
        }
    }

    #[test]
    fn written_gps_tags_read_back() {
        let geo = ExifGeo {
            latitude: Some(-33.856784),
            longitude: Some(151.215297),
            altitude: Some(-4.5),
            direction_deg: Some(271.5),
            direction_magnetic: true,
            gps_time: Some(1_717_200_000.0 + 86_399.25),
            date_time_original: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.jpg");
        std::fs::write(&p, insert_app1(&jpeg_with(&[]), &exif_gps_app1(&geo).unwrap()).unwrap()).unwrap();
        let back = read_exif_geo(&p).unwrap().unwrap();
        // Seconds of arc are stored to 1e-4″ (3e-8°).
        assert!((back.latitude.unwrap() - geo.latitude.unwrap()).abs() < 3e-8);
        assert!((back.longitude.unwrap() - geo.longitude.unwrap()).abs() < 3e-8);
        assert_eq!((back.altitude, back.direction_deg, back.direction_magnetic), (Some(-4.5), Some(271.5), true));
        assert_eq!(back.gps_time, geo.gps_time);
        assert_eq!(civil_from_days(19875), (2024, 6, 1));
        assert!(exif_gps_app1(&ExifGeo::default()).is_err());
    }

    #[test]
    fn no_exif_is_none_and_bad_files_are_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.jpg");
        std::fs::write(&plain, jpeg_with(&[])).unwrap();
        assert_eq!(read_exif_geo(&plain).unwrap(), None);
        let png = dir.path().join("x.png");
        image::GrayImage::new(4, 4).save(&png).unwrap();
        assert!(read_exif_geo(&png).unwrap_err().to_string().contains("x.png"));
        let mut app1 = exif_app1(true, [(51, 1), (0, 1), (0, 1)], [(7, 1), (0, 1), (0, 1)], false);
        app1[10] = b'X'; // break the TIFF byte-order mark
        let bad = dir.path().join("bad.jpg");
        std::fs::write(&bad, jpeg_with(&app1)).unwrap();
        let e = read_exif_geo(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.jpg") && e.contains("TIFF header"), "{e}");
    }
}
