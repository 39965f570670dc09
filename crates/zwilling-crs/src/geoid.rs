//! Quasigeoid (height anomaly) grids: normal heights ↔ ellipsoidal heights.
//!
//! `h = H + ζ(φ, λ)`: the ellipsoidal height `h` (ETRS89/GRS80) is the normal height `H` (e.g.
//! DHHN2016) plus the height anomaly `ζ` interpolated bilinearly in a grid given in geographic
//! degrees — for Germany the BKG's GCG2016 (`de_bkg_gcg2016.tif`, ζ ≈ 36–50 m; CC-BY-4.0 © BKG).
//!
//! Interpolation is PROJ's (`vgridshift`): grid nodes are the cell centres of the [`Grid`] (core
//! convention: origin at the outer top-left corner, value at the cell centre). A GeoTIFF marked
//! `RasterPixelIsPoint` (as GCG2016 is, `AREA_OR_POINT=Point`) has its tie point on the first node,
//! so its reader must shift the origin by half a cell up and left (what GDAL reports as the
//! geotransform) before handing the grid here. Points outside the rectangle of node centres, or
//! next to a NoData node, are an error: nothing is extrapolated.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_crs::Quasigeoid;
//! // 2 × 2 nodes at lon 9.0/10.0, lat 51.0/50.0 (cell size 1°, outer corner 8.5°E 51.5°N).
//! let mut g = Grid::filled(2, 2, GeoTransform::new(8.5, 51.5, 1.0), 0.0f32);
//! g.data = vec![40.0, 42.0, 44.0, 46.0];
//! let q = Quasigeoid::from_grid(&g, 7837, "test").unwrap();
//! assert!((q.height_anomaly(9.5, 50.5).unwrap() - 43.0).abs() < 1e-12);
//! assert!(q.height_anomaly(8.9, 50.5).is_err());
//! ```

use zwilling_core::{Error, Grid, Result};

/// A height-anomaly grid in geographic degrees (ETRS89), ready for fast bilinear lookups.
#[derive(Debug, Clone, PartialEq)]
pub struct Quasigeoid {
    name: String,
    vertical_epsg: u32,
    width: usize,
    height: usize,
    /// Longitude of the first node column (cell centre), degrees.
    lon0: f64,
    /// Latitude of the first (northernmost) node row, degrees.
    lat0: f64,
    dlon: f64,
    dlat: f64,
    data: Vec<f32>,
    nodata: Option<f32>,
}

impl Quasigeoid {
    /// A quasigeoid from a height-anomaly grid in geographic degrees (ETRS89 incl. its German
    /// realisation ETRS89/DREF91/2016 (EPSG:10283/10284, as PROJ-data tags GCG2016), WGS 84, or no CRS
    /// given) relating the vertical CRS `vertical_epsg` (e.g. 7837 = DHHN2016) to ellipsoidal
    /// heights; `name` is used in messages (e.g. `GCG2016`).
    pub fn from_grid(grid: &Grid<f32>, vertical_epsg: u32, name: &str) -> Result<Self> {
        if let Some(c) = grid.crs.epsg.filter(|c| ![4258, 4326, 4171, 4937, 4979, 10283, 10284].contains(c)) {
            return Err(Error::crs(format!(
                "quasigeoid grid {name} must be in geographic ETRS89/WGS 84 degrees, not EPSG:{c}"
            )));
        }
        let t = &grid.transform;
        let (lon0, lat0) = t.cell_center(0, 0);
        let (lon1, lat1) = t.cell_center(grid.width.max(1) - 1, grid.height.max(1) - 1);
        let plausible = (-180.0..=360.0).contains(&lon0)
            && (-180.0..=360.0).contains(&lon1)
            && (-90.0..=90.0).contains(&lat0)
            && (-90.0..=90.0).contains(&lat1);
        if grid.width < 2 || grid.height < 2 || !plausible || grid.data.len() != grid.width * grid.height {
            return Err(Error::crs(format!(
                "quasigeoid grid {name} is not a geographic grid of at least 2 × 2 nodes (size {} × {}, first node \
                 lon {lon0}, lat {lat0})",
                grid.width, grid.height
            )));
        }
        Ok(Quasigeoid {
            name: name.to_string(),
            vertical_epsg,
            width: grid.width,
            height: grid.height,
            lon0,
            lat0,
            dlon: t.cell_x,
            dlat: t.cell_y,
            data: grid.data.clone(),
            nodata: grid.nodata.map(|v| v as f32),
        })
    }

    /// The German Combined Quasigeoid 2016 (BKG) for DHHN2016 heights (EPSG:7837).
    pub fn gcg2016(grid: &Grid<f32>) -> Result<Self> {
        Self::from_grid(grid, zwilling_core::crs::EPSG_DHHN2016, "GCG2016")
    }

    /// Name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// EPSG code of the vertical CRS whose heights this grid converts.
    pub fn vertical_epsg(&self) -> u32 {
        self.vertical_epsg
    }

    /// (west, south, east, north) of the node rectangle in degrees.
    pub fn extent(&self) -> (f64, f64, f64, f64) {
        let east = self.lon0 + (self.width - 1) as f64 * self.dlon;
        let south = self.lat0 - (self.height - 1) as f64 * self.dlat;
        (self.lon0, south, east, self.lat0)
    }

    /// Height anomaly ζ in metres at (lon, lat) degrees, or `None` outside the grid or next to NoData.
    #[inline]
    pub fn anomaly(&self, lon: f64, lat: f64) -> Option<f64> {
        let fx = (lon - self.lon0) / self.dlon;
        let fy = (self.lat0 - lat) / self.dlat;
        let (wmax, hmax) = ((self.width - 1) as f64, (self.height - 1) as f64);
        if !(fx >= 0.0 && fy >= 0.0 && fx <= wmax && fy <= hmax) {
            return None;
        }
        // On the last node row/column use the cell before it (weight 1 on the node).
        let c0 = (fx.floor() as usize).min(self.width - 2);
        let r0 = (fy.floor() as usize).min(self.height - 2);
        let (tx, ty) = (fx - c0 as f64, fy - r0 as f64);
        let i = r0 * self.width + c0;
        let v = [self.data[i], self.data[i + 1], self.data[i + self.width], self.data[i + self.width + 1]];
        if v.iter().any(|&z| z.is_nan() || Some(z) == self.nodata) {
            return None;
        }
        let [a, b, c, d] = v.map(f64::from);
        Some((a * (1.0 - tx) + b * tx) * (1.0 - ty) + (c * (1.0 - tx) + d * tx) * ty)
    }

    /// Height anomaly ζ in metres at (lon, lat) degrees; an error naming the point outside the grid.
    pub fn height_anomaly(&self, lon: f64, lat: f64) -> Result<f64> {
        self.anomaly(lon, lat).ok_or_else(|| self.outside(lon, lat))
    }

    /// Ellipsoidal height `h = H + ζ` of normal height `normal_height` at (lon, lat) degrees.
    pub fn ellipsoidal_height(&self, lon: f64, lat: f64, normal_height: f64) -> Result<f64> {
        Ok(normal_height + self.height_anomaly(lon, lat)?)
    }

    /// Normal height `H = h − ζ` of ellipsoidal height `h` at (lon, lat) degrees.
    pub fn normal_height(&self, lon: f64, lat: f64, ellipsoidal_height: f64) -> Result<f64> {
        Ok(ellipsoidal_height - self.height_anomaly(lon, lat)?)
    }

    /// The error for a point without a height anomaly.
    pub(crate) fn outside(&self, lon: f64, lat: f64) -> Error {
        let (w, s, e, n) = self.extent();
        Error::crs(format!(
            "no height anomaly at lon {lon:.6}°, lat {lat:.6}° in quasigeoid {}: outside its grid \
             (lon {w:.4}…{e:.4}°, lat {s:.4}…{n:.4}°) or next to a NoData node",
            self.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::GeoTransform;

    fn plane_grid() -> Grid<f32> {
        // ζ = 40 + 2·lon − 3·lat on nodes every 0.5° (a plane is reproduced exactly by bilinear).
        let mut g =
            Grid::filled(5, 4, GeoTransform { origin_x: 5.75, origin_y: 52.25, cell_x: 0.5, cell_y: 0.5 }, 0.0f32);
        for r in 0..4 {
            for c in 0..5 {
                let (lon, lat) = g.transform.cell_center(c, r);
                let i = g.idx(c, r);
                g.data[i] = (40.0 + 2.0 * lon - 3.0 * (lat - 50.0)) as f32;
            }
        }
        g.nodata = Some(-32768.0);
        g
    }

    #[test]
    fn reproduces_a_plane_up_to_the_last_node() {
        let q = Quasigeoid::from_grid(&plane_grid(), 7837, "plane").unwrap();
        assert_eq!(q.extent(), (6.0, 50.5, 8.0, 52.0));
        for (lon, lat) in [(6.0, 52.0), (8.0, 50.5), (7.3, 51.1), (6.0001, 50.5)] {
            let want = 40.0 + 2.0 * lon - 3.0 * (lat - 50.0);
            assert!((q.height_anomaly(lon, lat).unwrap() - want).abs() < 1e-5, "{lon} {lat}");
        }
        assert!((q.ellipsoidal_height(7.0, 51.0, 100.0).unwrap() - (100.0 + 51.0)).abs() < 1e-5);
        assert!((q.normal_height(7.0, 51.0, 151.0).unwrap() - 100.0).abs() < 1e-5);
    }

    #[test]
    fn outside_and_nodata_are_errors() {
        let mut g = plane_grid();
        g.data[0] = -32768.0;
        let q = Quasigeoid::from_grid(&g, 7837, "plane").unwrap();
        let e = q.height_anomaly(5.9, 51.0).unwrap_err().to_string();
        assert!(e.contains("lon 5.900000°") && e.contains("plane"), "{e}");
        assert!(q.height_anomaly(8.01, 51.0).is_err() && q.height_anomaly(7.0, 52.01).is_err());
        assert!(q.height_anomaly(6.2, 51.9).is_err(), "next to NoData");
        assert!(q.height_anomaly(f64::NAN, 51.0).is_err());
        let mut bad = plane_grid();
        bad.crs = zwilling_core::CrsInfo::from_epsg(25832);
        assert!(Quasigeoid::gcg2016(&bad).is_err());
    }
}
