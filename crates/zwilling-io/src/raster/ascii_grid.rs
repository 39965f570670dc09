//! ESRI ASCII grid (`.asc`) reader and writer.
//!
//! Format (ESRI "ASCII raster format", as GDAL's AAIGrid driver reads and writes it): a header of
//! `ncols`, `nrows`, `xllcorner` | `xllcenter`, `yllcorner` | `yllcenter`, `cellsize` (or GDAL's
//! `dx` and `dy` for rectangular cells) and optional `NODATA_value`, keys in any case, then
//! `nrows` rows of `ncols` numbers from north to south. The lower-left *corner* is
//! `(xll, yll)`; with `xllcenter` it is the centre of the lower-left cell, i.e. half a cell inward.
//! The top-left origin of the [`Grid`] is therefore `(xllcorner, yllcorner + nrows·dy)`.
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! # let p = dir.path().join("a.asc");
//! std::fs::write(&p, "ncols 2\nnrows 1\nxllcorner 10\nyllcorner 20\ncellsize 5\nNODATA_value -9999\n1.5 -9999\n").unwrap();
//! let g = zwilling_io::raster::read_ascii_grid(&p).unwrap();
//! assert_eq!(g.transform.to_gdal(), [10.0, 5.0, 0.0, 25.0, 0.0, -5.0]);
//! assert_eq!((g.data[0], g.nodata), (1.5, Some(-9999.0)));
//! ```

use std::io::{BufWriter, Write};
use std::path::Path;

use zwilling_core::{Error, GeoTransform, Grid, Result};

use super::sample::Sample;
use super::write_atomic;

/// Reads an ESRI ASCII grid as f64 values (CRS unknown: `.prj` files are not read).
pub fn read_ascii_grid(path: &Path) -> Result<Grid<f64>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |m: String| Error::bad_file(path, m);
    let mut tokens = text.split_ascii_whitespace().peekable();
    let (mut ncols, mut nrows) = (None, None);
    let (mut xll, mut yll, mut centre_x, mut centre_y) = (None, None, false, false);
    let (mut dx, mut dy, mut nodata) = (None, None, None);
    while let Some(&t) = tokens.peek() {
        if !t.starts_with(|c: char| c.is_ascii_alphabetic()) || t.eq_ignore_ascii_case("nan") {
            break;
        }
        let key = tokens.next().unwrap_or_default().to_ascii_lowercase();
        let val = tokens.next().ok_or_else(|| bad(format!("header key {key} without a value")))?;
        let num = || val.parse::<f64>().map_err(|_| bad(format!("header {key}: {val:?} is not a number")));
        match key.as_str() {
            "ncols" => ncols = Some(num()?),
            "nrows" => nrows = Some(num()?),
            "xllcorner" => xll = Some(num()?),
            "yllcorner" => yll = Some(num()?),
            "xllcenter" => (xll, centre_x) = (Some(num()?), true),
            "yllcenter" => (yll, centre_y) = (Some(num()?), true),
            "cellsize" => (dx, dy) = (Some(num()?), Some(num()?)),
            "dx" => dx = Some(num()?),
            "dy" => dy = Some(num()?),
            "nodata_value" => nodata = Some(num()?),
            _ => return Err(bad(format!("unknown header key {key:?}: not an ESRI ASCII grid?"))),
        }
    }
    let missing = |k: &str| bad(format!("header lacks {k}: not an ESRI ASCII grid?"));
    let ncols = ncols.ok_or_else(|| missing("ncols"))?;
    let nrows = nrows.ok_or_else(|| missing("nrows"))?;
    let (xll, yll) = (xll.ok_or_else(|| missing("xllcorner"))?, yll.ok_or_else(|| missing("yllcorner"))?);
    let (dx, dy) = (dx.ok_or_else(|| missing("cellsize"))?, dy.ok_or_else(|| missing("cellsize"))?);
    if !(ncols >= 1.0 && nrows >= 1.0 && ncols.fract() == 0.0 && nrows.fract() == 0.0 && dx > 0.0 && dy > 0.0) {
        return Err(bad(format!("invalid header: {ncols} × {nrows} cells of {dx} × {dy}")));
    }
    let (w, h) = (ncols as usize, nrows as usize);
    let mut data = Vec::with_capacity(w.saturating_mul(h).min(1 << 28));
    for t in tokens {
        let v = t.parse::<f64>().map_err(|_| bad(format!("value {} ({t:?}) is not a number", data.len() + 1)))?;
        data.push(v);
    }
    if data.len() != w * h {
        return Err(bad(format!("{} values for {w} × {h} = {} cells", data.len(), w * h)));
    }
    let x0 = if centre_x { xll - 0.5 * dx } else { xll };
    let y0 = if centre_y { yll - 0.5 * dy } else { yll };
    let transform = GeoTransform { origin_x: x0, origin_y: y0 + h as f64 * dy, cell_x: dx, cell_y: dy };
    Ok(Grid { width: w, height: h, data, transform, crs: Default::default(), nodata })
}

/// Writes a grid as an ESRI ASCII grid (atomically). Rectangular cells use GDAL's `dx`/`dy`
/// keys. NaN cells are written as the NoData value (−9999 when the grid has none).
pub fn write_ascii_grid<T: Sample>(path: &Path, grid: &Grid<T>) -> Result<()> {
    let t = &grid.transform;
    if grid.data.len() != grid.width * grid.height || grid.is_empty() {
        return Err(Error::invalid(format!("{}: grid size does not match its data", path.display())));
    }
    let has_nan = T::TYPE.is_float() && grid.data.iter().any(|v| v.to_f64().is_nan());
    let nodata = grid.nodata.or(has_nan.then_some(-9999.0));
    write_atomic(path, |file| {
        let mut w = BufWriter::with_capacity(1 << 20, file);
        writeln!(w, "ncols {}", grid.width)?;
        writeln!(w, "nrows {}", grid.height)?;
        writeln!(w, "xllcorner {}", t.origin_x)?;
        writeln!(w, "yllcorner {}", t.origin_y - grid.height as f64 * t.cell_y)?;
        if t.cell_x == t.cell_y {
            writeln!(w, "cellsize {}", t.cell_x)?;
        } else {
            writeln!(w, "dx {}", t.cell_x)?;
            writeln!(w, "dy {}", t.cell_y)?;
        }
        if let Some(nd) = nodata {
            writeln!(w, "NODATA_value {nd}")?;
        }
        for row in grid.data.chunks_exact(grid.width) {
            for (i, v) in row.iter().enumerate() {
                let f = v.to_f64();
                let sep = if i == 0 { "" } else { " " };
                match (f.is_nan(), nodata) {
                    (true, Some(nd)) => write!(w, "{sep}{nd}")?,
                    _ if T::TYPE.is_float() => write!(w, "{sep}{v:?}")?,
                    _ => write!(w, "{sep}{f}")?,
                }
            }
            writeln!(w)?;
        }
        w.flush()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_registration_and_dx_dy() {
        // xllcenter 10, dx 2 → corner 9; yllcenter 20, dy 4 → corner 18, top = 18 + 3·4 = 30.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.asc");
        std::fs::write(&p, "NCOLS 2\nNROWS 3\nXLLCENTER 10\nYLLCENTER 20\nDX 2\nDY 4\n1 2\n3 4\n5 6\n").unwrap();
        let g = read_ascii_grid(&p).unwrap();
        assert_eq!(g.transform.to_gdal(), [9.0, 2.0, 0.0, 30.0, 0.0, -4.0]);
        assert_eq!(g.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(g.nodata, None);
    }

    #[test]
    fn round_trip_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.asc");
        let mut g = Grid::filled(3, 2, GeoTransform::new(100.0, 200.0, 0.5), 0.0f32);
        g.data = vec![1.25, f32::NAN, -3.0, 1e-7, 123456.79, 0.1];
        write_ascii_grid(&p, &g).unwrap();
        let r = read_ascii_grid(&p).unwrap();
        assert_eq!(r.nodata, Some(-9999.0));
        assert_eq!(r.transform, g.transform);
        let back: Vec<f32> = r.data.iter().map(|&v| v as f32).collect();
        assert_eq!(back[1], -9999.0);
        assert_eq!([back[0], back[2], back[3], back[4], back[5]], [1.25, -3.0, 1e-7, 123456.79, 0.1]);

        std::fs::write(&p, "ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3\n").unwrap();
        let e = read_ascii_grid(&p).unwrap_err().to_string();
        assert!(e.contains("r.asc") && e.contains("3 values for 2 × 2"), "{e}");
        std::fs::write(&p, "hello world\n").unwrap();
        assert!(read_ascii_grid(&p).unwrap_err().to_string().contains("unknown header key"));
    }
}
