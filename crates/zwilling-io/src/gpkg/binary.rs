//! GeoPackage geometry blobs: StandardGeoPackageBinary = GP header + ISO WKB.
//!
//! Source: OGC GeoPackage 1.4 §2.1.3 — header `"GP"`, version 0, a flags byte (bit 0 byte order
//! 1 = little endian, bits 1–3 envelope contents 0 none / 1 `[minx, maxx, miny, maxy]` /
//! 2 `+[minz, maxz]`, bit 4 empty geometry, bit 5 extended type), an int32 `srs_id`, the envelope
//! doubles, then the geometry as ISO 13249-3 WKB (types 1 Point, 2 LineString, 3 Polygon,
//! 6 MultiPolygon; +1000 for Z, +2000 M, +3000 ZM). Written little endian with an XY (or XYZ)
//! envelope; empty geometries carry no envelope and the empty flag.

use zwilling_core::{Geometry, Polygon};

/// The 2D envelope of a blob `[minx, maxx, miny, maxy]`, `None` for empty geometries.
pub type Envelope = [f64; 4];

fn coords(g: &Geometry) -> Vec<[f64; 3]> {
    match g {
        Geometry::Point(p) => vec![*p],
        Geometry::LineString(l) => l.clone(),
        Geometry::Polygon(p) => p.exterior.iter().map(|c| [c[0], c[1], f64::NAN]).collect(),
        Geometry::MultiPolygon(ps) => {
            ps.iter().flat_map(|p| p.exterior.iter().map(|c| [c[0], c[1], f64::NAN])).collect()
        }
    }
}

/// XY envelope of a geometry (exterior rings bound polygons), `None` when it has no vertex.
pub fn envelope(g: &Geometry) -> Option<Envelope> {
    let c = coords(g);
    if c.is_empty() || c.iter().all(|p| p[0].is_nan()) {
        return None;
    }
    let mut e = [f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY];
    for p in &c {
        e = [e[0].min(p[0]), e[1].max(p[0]), e[2].min(p[1]), e[3].max(p[1])];
    }
    Some(e)
}

fn put_ring(out: &mut Vec<u8>, ring: &[[f64; 2]]) {
    let closed = ring.len() > 1 && ring.first() != ring.last();
    out.extend_from_slice(&((ring.len() + closed as usize) as u32).to_le_bytes());
    for c in ring.iter().chain(closed.then(|| &ring[0])) {
        out.extend_from_slice(&c[0].to_le_bytes());
        out.extend_from_slice(&c[1].to_le_bytes());
    }
}

fn put_polygon(out: &mut Vec<u8>, p: &Polygon) {
    out.push(1);
    out.extend_from_slice(&3u32.to_le_bytes());
    let rings: Vec<&Vec<[f64; 2]>> = std::iter::once(&p.exterior).chain(&p.holes).filter(|r| !r.is_empty()).collect();
    out.extend_from_slice(&(rings.len() as u32).to_le_bytes());
    for r in rings {
        put_ring(out, r);
    }
}

/// Encodes a geometry as a GeoPackage blob; `z` writes Point/LineString as Z types (NaN z → 0).
pub fn encode(g: &Geometry, srs_id: i32, z: bool) -> Vec<u8> {
    let env = envelope(g);
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0);
    let flags = 1u8 | if env.is_some() { 1 << 1 } else { 1 << 4 };
    out.push(flags);
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(e) = env {
        e.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    }
    let zt = if z { 1000 } else { 0 };
    let put_pt = |out: &mut Vec<u8>, p: &[f64; 3]| {
        out.extend_from_slice(&p[0].to_le_bytes());
        out.extend_from_slice(&p[1].to_le_bytes());
        if z {
            out.extend_from_slice(&(if p[2].is_nan() { 0.0 } else { p[2] }).to_le_bytes());
        }
    };
    out.push(1);
    match g {
        Geometry::Point(p) => {
            out.extend_from_slice(&(1u32 + zt).to_le_bytes());
            put_pt(&mut out, p);
        }
        Geometry::LineString(l) => {
            out.extend_from_slice(&(2u32 + zt).to_le_bytes());
            out.extend_from_slice(&(l.len() as u32).to_le_bytes());
            l.iter().for_each(|p| put_pt(&mut out, p));
        }
        Geometry::Polygon(p) => {
            out.pop();
            put_polygon(&mut out, p);
        }
        Geometry::MultiPolygon(ps) => {
            out.extend_from_slice(&6u32.to_le_bytes());
            out.extend_from_slice(&(ps.len() as u32).to_le_bytes());
            ps.iter().for_each(|p| put_polygon(&mut out, p));
        }
    }
    out
}

/// Header facts of a blob: (empty flag, envelope if stored, offset of the WKB).
pub fn header(b: &[u8]) -> Result<(bool, Option<Envelope>, usize), String> {
    if b.len() < 8 || &b[0..2] != b"GP" {
        return Err("not a GeoPackage geometry blob (no GP magic)".into());
    }
    let flags = b[3];
    let le = flags & 1 == 1;
    let env_len = match (flags >> 1) & 7 {
        0 => 0,
        1 => 4,
        2 | 3 => 6,
        4 => 8,
        e => return Err(format!("invalid envelope indicator {e}")),
    };
    let wkb_at = 8 + env_len * 8;
    if b.len() < wkb_at {
        return Err("truncated GeoPackage geometry header".into());
    }
    let f = |i: usize| {
        let a: [u8; 8] = b[8 + i * 8..16 + i * 8].try_into().unwrap_or_default();
        if le {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        }
    };
    let env = (env_len > 0).then(|| [f(0), f(1), f(2), f(3)]);
    Ok((flags & 0x10 != 0, env, wkb_at))
}

struct Wkb<'a> {
    b: &'a [u8],
    i: usize,
    le: bool,
}

impl Wkb<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let s = self.b.get(self.i..self.i + n).ok_or("truncated WKB")?;
        self.i += n;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        let le = self.le;
        let a: [u8; 4] = self.take(4)?.try_into().unwrap_or_default();
        Ok(if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }
    fn f64(&mut self) -> Result<f64, String> {
        let le = self.le;
        let a: [u8; 8] = self.take(8)?.try_into().unwrap_or_default();
        Ok(if le { f64::from_le_bytes(a) } else { f64::from_be_bytes(a) })
    }
    /// Reads a byte-order mark and type; returns (base type, has z, has m).
    fn head(&mut self) -> Result<(u32, bool, bool), String> {
        self.le = self.take(1)?[0] == 1;
        let t = self.u32()?;
        let (ez, em) = (t & 0x8000_0000 != 0, t & 0x4000_0000 != 0); // EWKB flags
        let t = t & 0x0FFF_FFFF;
        Ok((t % 1000, ez || matches!(t / 1000, 1 | 3), em || matches!(t / 1000, 2 | 3)))
    }
    fn count(&mut self) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n > self.b.len() {
            return Err("WKB count larger than the blob".into());
        }
        Ok(n)
    }
    fn point(&mut self, z: bool, m: bool) -> Result<[f64; 3], String> {
        let (x, y) = (self.f64()?, self.f64()?);
        let zz = if z { self.f64()? } else { f64::NAN };
        if m {
            self.f64()?;
        }
        Ok([x, y, zz])
    }
    fn polygon_body(&mut self, z: bool, m: bool) -> Result<Polygon, String> {
        let mut rings = Vec::new();
        for _ in 0..self.count()? {
            let n = self.count()?;
            let mut r = Vec::with_capacity(n);
            for _ in 0..n {
                let p = self.point(z, m)?;
                r.push([p[0], p[1]]);
            }
            rings.push(r);
        }
        let mut it = rings.into_iter();
        Ok(Polygon { exterior: it.next().unwrap_or_default(), holes: it.collect() })
    }
}

/// Decodes a GeoPackage blob into a [`Geometry`] (Point, LineString, Polygon, MultiPolygon).
pub fn decode(b: &[u8]) -> Result<Geometry, String> {
    let (_, _, at) = header(b)?;
    let mut w = Wkb { b, i: at, le: true };
    let (t, z, m) = w.head()?;
    Ok(match t {
        1 => Geometry::Point(w.point(z, m)?),
        2 => {
            let n = w.count()?;
            Geometry::LineString((0..n).map(|_| w.point(z, m)).collect::<Result<_, _>>()?)
        }
        3 => Geometry::Polygon(w.polygon_body(z, m)?),
        6 => {
            let n = w.count()?;
            let mut ps = Vec::with_capacity(n);
            for _ in 0..n {
                let (t, z, m) = w.head()?;
                if t != 3 {
                    return Err(format!("MultiPolygon member of WKB type {t}"));
                }
                ps.push(w.polygon_body(z, m)?);
            }
            Geometry::MultiPolygon(ps)
        }
        t => return Err(format!("WKB geometry type {t} is not supported (points, lines, polygons are)")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_blob_matches_the_standard_layout() {
        // GP, version 0, flags 0b011 (LE, XY envelope), srs 25832, 4 envelope doubles, WKB point.
        let b = encode(&Geometry::Point([1.0, 2.0, f64::NAN]), 25832, false);
        assert_eq!(&b[0..4], &[b'G', b'P', 0, 3]);
        assert_eq!(i32::from_le_bytes(b[4..8].try_into().unwrap()), 25832);
        assert_eq!(b.len(), 8 + 32 + 1 + 4 + 16);
        assert_eq!(&b[40..45], &[1, 1, 0, 0, 0]);
        assert_eq!(header(&b).unwrap(), (false, Some([1.0, 1.0, 2.0, 2.0]), 40));
    }

    #[test]
    fn geometries_round_trip() {
        let line = Geometry::LineString(vec![[0.0, 0.0, 1.5], [3.0, -1.0, 2.5]]);
        assert_eq!(decode(&encode(&line, 1, true)).unwrap(), line);
        let sq = Polygon {
            exterior: vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]],
            holes: vec![vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]]],
        };
        let mp = Geometry::MultiPolygon(vec![sq.clone(), sq.clone()]);
        assert_eq!(decode(&encode(&mp, 1, false)).unwrap(), mp);
        // Open rings are closed by the writer.
        let open = Polygon::new(vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]);
        match decode(&encode(&Geometry::Polygon(open), 1, false)).unwrap() {
            Geometry::Polygon(p) => assert_eq!(p.exterior.len(), 4),
            g => panic!("{g:?}"),
        }
        let empty = encode(&Geometry::LineString(vec![]), 1, false);
        assert_eq!(header(&empty).unwrap(), (true, None, 8));
        assert!(decode(b"GP\0\x03xx").is_err());
        assert!(decode(&encode(&line, 1, true)[..50]).is_err());
    }
}
