//! Coordinate transformation of a supported CRS to geographic coordinates and to ECEF (EPSG:4978).
//!
//! Pipeline (the same steps as PROJ's default pipelines, see `docs/crs.md`):
//! projected (x, y) → inverse projection → geodetic (λ, φ) on the CRS's datum → for Amersfoort:
//! geocentric on Bessel 1841 (h = 0) → Helmert "Amersfoort to ETRS89 (8)" → geodetic on GRS80 →
//! ETRS89 ≡ WGS 84 (PROJ's null transformation) → geocentric on the WGS 84 ellipsoid with the
//! given ellipsoidal height. Heights are carried through the horizontal datum shift unchanged, as
//! PROJ's `push v_3 … pop v_3` pipelines do.
//!
//! Axis order is always x = easting/longitude, y = northing/latitude (GIS order, as LAS and
//! GeoTIFF store coordinates); angles in degrees at the API, radians inside.
//!
//! A `Transformer` is `Copy + Send + Sync` and allocates nothing per point: for big batches use the
//! slice methods, in parallel with [`Transformer::par_to_ecef_with_heights`] or your own
//! `rayon::par_chunks`.
//!
//! ```
//! use zwilling_core::CrsInfo;
//! use zwilling_crs::Transformer;
//! let t = Transformer::new(&CrsInfo::from_epsg(25832)).unwrap();
//! let (lon, lat) = t.to_geographic(500_000.0, 5_400_000.0);
//! assert!((lon - 9.0).abs() < 1e-12 && (lat - 48.75).abs() < 0.01);
//! let (x, y) = t.from_geographic(lon, lat);
//! assert!((x - 500_000.0).abs() < 1e-6 && (y - 5_400_000.0).abs() < 1e-6);
//! ```

use crate::ellipsoid::Ellipsoid;
use crate::heights::{self, Heights};
use crate::helmert::Helmert;
use crate::lcc::LambertConic2SP;
use crate::registry::{self, Method};
use crate::sterea::ObliqueStereographic;
use crate::tmerc::TransverseMercator;
use crate::webmerc::WebMercator;
use crate::Quasigeoid;
use rayon::prelude::*;
use zwilling_core::{CrsInfo, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Projection {
    Geographic,
    Geocentric,
    Tm(TransverseMercator),
    Lcc(LambertConic2SP),
    Sterea(ObliqueStereographic),
    WebMerc,
}

/// Converts coordinates of one supported source CRS (see [`crate::supported`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transformer {
    epsg: u32,
    vertical_epsg: Option<u32>,
    projection: Projection,
    ellipsoid: Ellipsoid,
    shift: Option<Helmert>,
}

/// Chunk length of the parallel methods (fixed, so work splits identically at any thread count).
const PAR_CHUNK: usize = 8192;

impl Transformer {
    /// A transformer for `src`. Compound EPSG codes (e.g. 7415) are split; an unknown or
    /// unsupported horizontal CRS is an error listing the supported codes.
    pub fn new(src: &CrsInfo) -> Result<Self> {
        let Some(code) = src.epsg else {
            return Err(Error::crs(match &src.wkt {
                Some(_) => "the CRS WKT has no EPSG code zwilling recognises; assign one, e.g. --crs EPSG:25832+7837",
                None => "the data has no CRS; assign one, e.g. --crs EPSG:25832+7837",
            }));
        };
        let (epsg, vertical_epsg) = match registry::compound_parts(code) {
            Some((h, v)) => (h, src.vertical_epsg.or(Some(v))),
            None => (code, src.vertical_epsg),
        };
        let def = registry::definition(epsg).ok_or_else(|| registry::unsupported(format!("EPSG:{code}")))?;
        let ell = def.datum.ellipsoid();
        let projection = match def.method {
            Method::Geographic => Projection::Geographic,
            Method::Geocentric => Projection::Geocentric,
            Method::TransverseMercator { lat0, lon0, k0, fe, fn_ } => {
                Projection::Tm(TransverseMercator::new(ell, lat0, lon0, k0, fe, fn_))
            }
            Method::LambertConic2SP { lat0, lon0, lat1, lat2, fe, fn_ } => {
                Projection::Lcc(LambertConic2SP::new(ell, lat0, lon0, lat1, lat2, fe, fn_))
            }
            Method::ObliqueStereographic { lat0, lon0, k0, fe, fn_ } => {
                Projection::Sterea(ObliqueStereographic::new(ell, lat0, lon0, k0, fe, fn_))
            }
            Method::WebMercator => Projection::WebMerc,
        };
        Ok(Transformer { epsg, vertical_epsg, projection, ellipsoid: ell, shift: def.datum.to_etrs89() })
    }

    /// EPSG code of the horizontal source CRS.
    pub fn epsg(&self) -> u32 {
        self.epsg
    }

    /// EPSG code of the vertical source CRS, when known.
    pub fn vertical_epsg(&self) -> Option<u32> {
        self.vertical_epsg
    }

    /// True when the source CRS is geocentric (EPSG:4978): x, y, z are ECEF already.
    pub fn is_geocentric(&self) -> bool {
        self.projection == Projection::Geocentric
    }

    /// True when the source CRS is geographic (x = longitude, y = latitude in degrees).
    pub fn is_geographic(&self) -> bool {
        self.projection == Projection::Geographic
    }

    /// Source (x, y) → (lon, lat) radians on the source datum. Geocentric input gives NaN.
    #[inline]
    fn inverse_rad(&self, x: f64, y: f64) -> (f64, f64) {
        match &self.projection {
            Projection::Geographic => (x.to_radians(), y.to_radians()),
            Projection::Tm(p) => p.inverse(x, y),
            Projection::Lcc(p) => p.inverse(x, y),
            Projection::Sterea(p) => p.inverse(x, y),
            Projection::WebMerc => WebMercator::inverse(x, y),
            Projection::Geocentric => (f64::NAN, f64::NAN),
        }
    }

    #[inline]
    fn forward_rad(&self, lon: f64, lat: f64) -> (f64, f64) {
        match &self.projection {
            Projection::Geographic => (lon.to_degrees(), lat.to_degrees()),
            Projection::Tm(p) => p.forward(lon, lat),
            Projection::Lcc(p) => p.forward(lon, lat),
            Projection::Sterea(p) => p.forward(lon, lat),
            Projection::WebMerc => WebMercator::forward(lon, lat),
            Projection::Geocentric => (f64::NAN, f64::NAN),
        }
    }

    /// Source-datum geodetic (lon, lat) radians → ETRS89 with the Helmert shift at h = 0 (as PROJ's
    /// 2D pipelines: `push v_3, cart, helmert, inv cart, pop v_3`).
    #[inline]
    fn shift_rad(&self, h: &Helmert, lon: f64, lat: f64) -> (f64, f64) {
        let (lon2, lat2, _) = Ellipsoid::GRS80.from_ecef(h.forward(self.ellipsoid.to_ecef(lon, lat, 0.0)));
        (lon2, lat2)
    }

    /// Source (x, y) → (lon, lat) radians in ETRS89 ≡ WGS 84.
    #[inline]
    fn wgs84_rad(&self, x: f64, y: f64) -> (f64, f64) {
        let (lon, lat) = self.inverse_rad(x, y);
        match &self.shift {
            None => (lon, lat),
            Some(h) => self.shift_rad(h, lon, lat),
        }
    }

    /// Projected (or geographic) source coordinates → (longitude, latitude) in degrees on the
    /// source CRS's own datum (e.g. Amersfoort for RD New). NaN for geocentric sources.
    #[inline]
    pub fn to_geographic(&self, x: f64, y: f64) -> (f64, f64) {
        let (lon, lat) = self.inverse_rad(x, y);
        (lon.to_degrees(), lat.to_degrees())
    }

    /// (longitude, latitude) in degrees on the source datum → source (x, y).
    #[inline]
    pub fn from_geographic(&self, lon: f64, lat: f64) -> (f64, f64) {
        self.forward_rad(lon.to_radians(), lat.to_radians())
    }

    /// Source (x, y) → (longitude, latitude) in degrees in ETRS89 ≡ WGS 84 (datum shift applied).
    #[inline]
    pub fn to_wgs84(&self, x: f64, y: f64) -> (f64, f64) {
        let (lon, lat) = self.wgs84_rad(x, y);
        (lon.to_degrees(), lat.to_degrees())
    }

    /// (longitude, latitude) in degrees in ETRS89 ≡ WGS 84 → source (x, y). With a datum shift, the
    /// inverse Helmert start is refined by two fixed-point steps so that this is the exact inverse of
    /// [`Transformer::to_wgs84`] (a plain inverse Helmert at h = 0 would be off by up to 0.7 mm,
    /// because h = 0 on GRS80 is ≈ 40 m above h = 0 on Bessel in the Netherlands).
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (lon, lat) = (lon.to_radians(), lat.to_radians());
        match &self.shift {
            None => self.forward_rad(lon, lat),
            Some(h) => {
                let (mut l, mut p, _) = self.ellipsoid.from_ecef(h.inverse(Ellipsoid::GRS80.to_ecef(lon, lat, 0.0)));
                for _ in 0..2 {
                    let (l2, p2) = self.shift_rad(h, l, p);
                    l += lon - l2;
                    p += lat - p2;
                }
                self.forward_rad(l, p)
            }
        }
    }

    /// Source (x, y) and ellipsoidal height `h` → ECEF (EPSG:4978) X, Y, Z in metres. For a
    /// geocentric source, (x, y, h) is returned unchanged.
    #[inline]
    pub fn to_ecef(&self, x: f64, y: f64, h: f64) -> [f64; 3] {
        if self.is_geocentric() {
            return [x, y, h];
        }
        let (lon, lat) = self.wgs84_rad(x, y);
        Ellipsoid::WGS84.to_ecef(lon, lat, h)
    }

    /// ECEF (EPSG:4978) → source (x, y) and ellipsoidal height.
    pub fn from_ecef(&self, xyz: [f64; 3]) -> (f64, f64, f64) {
        if self.is_geocentric() {
            return (xyz[0], xyz[1], xyz[2]);
        }
        let (lon, lat, h) = Ellipsoid::WGS84.from_ecef(xyz);
        let (x, y) = self.from_wgs84(lon.to_degrees(), lat.to_degrees());
        (x, y, h)
    }

    /// Batch [`Transformer::to_wgs84`]: `lon[i], lat[i]` from `x[i], y[i]`.
    pub fn to_wgs84_slice(&self, x: &[f64], y: &[f64], lon: &mut [f64], lat: &mut [f64]) -> Result<()> {
        check_len(&[x.len(), y.len(), lon.len(), lat.len()])?;
        for i in 0..x.len() {
            (lon[i], lat[i]) = self.to_wgs84(x[i], y[i]);
        }
        Ok(())
    }

    /// Batch [`Transformer::to_ecef`] with heights taken as ellipsoidal (see
    /// [`Transformer::to_ecef_with_heights`] for the checked variant).
    pub fn to_ecef_slice(&self, x: &[f64], y: &[f64], h: &[f64], out: &mut [[f64; 3]]) -> Result<()> {
        check_len(&[x.len(), y.len(), h.len(), out.len()])?;
        for i in 0..x.len() {
            out[i] = self.to_ecef(x[i], y[i], h[i]);
        }
        Ok(())
    }

    /// How heights will reach ECEF with the given quasigeoid (see [`heights::decide`]). Call it
    /// once before a batch to warn the user early.
    pub fn heights(&self, geoid: Option<&Quasigeoid>) -> Result<Heights> {
        heights::decide(self.epsg, self.vertical_epsg, geoid)
    }

    /// Source (x, y, z) → ECEF, converting z to an ellipsoidal height when a fitting quasigeoid is
    /// given (`h = z + ζ`). Returns what the heights are: callers must warn when
    /// [`Heights::is_ellipsoidal`] is false. Errors: a grid that does not fit the vertical CRS, an
    /// unknown vertical CRS with a grid, a point outside the grid, or slices of different lengths.
    pub fn to_ecef_with_heights(
        &self,
        x: &[f64],
        y: &[f64],
        z: &[f64],
        geoid: Option<&Quasigeoid>,
        out: &mut [[f64; 3]],
    ) -> Result<Heights> {
        check_len(&[x.len(), y.len(), z.len(), out.len()])?;
        let mode = self.heights(geoid)?;
        match (&mode, geoid) {
            (Heights::Quasigeoid { .. }, Some(g)) => {
                for i in 0..x.len() {
                    let (lon, lat) = self.wgs84_rad(x[i], y[i]);
                    let (lon_d, lat_d) = (lon.to_degrees(), lat.to_degrees());
                    let zeta = g.anomaly(lon_d, lat_d).ok_or_else(|| g.outside(lon_d, lat_d))?;
                    out[i] = Ellipsoid::WGS84.to_ecef(lon, lat, z[i] + zeta);
                }
            }
            _ => self.to_ecef_slice(x, y, z, out)?,
        }
        Ok(mode)
    }

    /// [`Transformer::to_ecef_with_heights`] on all cores (rayon, fixed chunks; results are
    /// identical to the serial method).
    pub fn par_to_ecef_with_heights(
        &self,
        x: &[f64],
        y: &[f64],
        z: &[f64],
        geoid: Option<&Quasigeoid>,
        out: &mut [[f64; 3]],
    ) -> Result<Heights> {
        check_len(&[x.len(), y.len(), z.len(), out.len()])?;
        let mode = self.heights(geoid)?;
        out.par_chunks_mut(PAR_CHUNK).enumerate().try_for_each(|(k, o)| {
            let r = k * PAR_CHUNK..k * PAR_CHUNK + o.len();
            self.to_ecef_with_heights(&x[r.clone()], &y[r.clone()], &z[r], geoid, o).map(|_| ())
        })?;
        Ok(mode)
    }
}

fn check_len(lens: &[usize]) -> Result<()> {
    if lens.windows(2).any(|w| w[0] != w[1]) {
        return Err(Error::invalid(format!("coordinate slices differ in length: {lens:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_problem() {
        let e = Transformer::new(&CrsInfo::from_epsg(31467)).unwrap_err().to_string();
        assert!(e.contains("EPSG:31467 is not supported") && e.contains("28992"), "{e}");
        assert!(Transformer::new(&CrsInfo::default()).unwrap_err().to_string().contains("--crs"));
        let t = Transformer::new(&CrsInfo::from_epsg(7415)).unwrap();
        assert_eq!((t.epsg(), t.vertical_epsg()), (28992, Some(5709)));
        let mut out = [[0.0; 3]; 2];
        assert!(t.to_ecef_slice(&[1.0], &[1.0, 2.0], &[0.0, 0.0], &mut out).is_err());
    }

    #[test]
    fn geographic_and_geocentric_sources() {
        // A geographic source: ECEF of (lon, lat, h) on WGS 84, GN 7-2 §4.1.1 example.
        let t = Transformer::new(&CrsInfo::from_epsg(4326)).unwrap();
        let lat = 53.0 + 48.0 / 60.0 + 33.820 / 3600.0;
        let lon = 2.0 + 7.0 / 60.0 + 46.380 / 3600.0;
        let p = t.to_ecef(lon, lat, 73.0);
        assert!((p[0] - 3_771_793.968).abs() < 1e-3 && (p[2] - 5_124_304.349).abs() < 1e-3);
        let (x, y, h) = t.from_ecef(p);
        assert!((x - lon).abs() < 1e-11 && (y - lat).abs() < 1e-11 && (h - 73.0).abs() < 1e-6);
        let g = Transformer::new(&CrsInfo::from_epsg(4978)).unwrap();
        assert_eq!(g.to_ecef(1.0, 2.0, 3.0), [1.0, 2.0, 3.0]);
        assert_eq!(g.heights(None).unwrap(), Heights::Ellipsoidal);
    }

    #[test]
    fn rd_new_round_trip_through_the_datum_shift() {
        let t = Transformer::new(&CrsInfo::from_epsg(28992)).unwrap();
        for (x, y) in [(155_000.0, 463_000.0), (13_000.0, 310_000.0), (270_000.0, 610_000.0)] {
            let (lon, lat) = t.to_wgs84(x, y);
            let (x2, y2) = t.from_wgs84(lon, lat);
            assert!((x2 - x).abs() < 1e-6 && (y2 - y).abs() < 1e-6, "{x} {y}: {x2} {y2}");
            let (x3, y3, h3) = t.from_ecef(t.to_ecef(x, y, 50.0));
            assert!((x3 - x).abs() < 1e-6 && (y3 - y).abs() < 1e-6 && (h3 - 50.0).abs() < 1e-6);
        }
    }

    #[test]
    fn parallel_equals_serial() {
        let t = Transformer::new(&CrsInfo::compound(25832, 7837)).unwrap();
        let n = 20_000;
        let x: Vec<f64> = (0..n).map(|i| 400_000.0 + i as f64 * 3.7).collect();
        let y: Vec<f64> = (0..n).map(|i| 5_600_000.0 + i as f64 * 1.3).collect();
        let z: Vec<f64> = (0..n).map(|i| 100.0 + (i % 17) as f64).collect();
        let (mut a, mut b) = (vec![[0.0; 3]; n], vec![[0.0; 3]; n]);
        let ha = t.to_ecef_with_heights(&x, &y, &z, None, &mut a).unwrap();
        let hb = t.par_to_ecef_with_heights(&x, &y, &z, None, &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(ha, hb);
        assert!(!ha.is_ellipsoidal());
    }
}
