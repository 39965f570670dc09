//! GDAL Virtual Raster (VRT) mosaics: one raster made of single-band GeoTIFF tiles, written as the
//! XML that GDAL's VRT driver reads, without touching a pixel.
//!
//! The format is GDAL's (`https://gdal.org/drivers/raster/vrt.html`, "VRT — GDAL Virtual Format"):
//!
//! ```text
//! <VRTDataset rasterXSize="W" rasterYSize="H">
//!   <SRS>WKT</SRS>
//!   <GeoTransform>x0, dx, 0, y0, 0, -dy</GeoTransform>
//!   <VRTRasterBand dataType="Float32" band="1">
//!     <NoDataValue>-9999</NoDataValue>
//!     <SimpleSource>
//!       <SourceFilename relativeToVRT="1">tiles/filled-0.tif</SourceFilename>
//!       <SourceBand>1</SourceBand>
//!       <SourceProperties RasterXSize="cols" RasterYSize="rows" DataType="Float32" BlockXSize="512" BlockYSize="512"/>
//!       <SrcRect xOff="0" yOff="0" xSize="cols" ySize="rows"/>
//!       <DstRect xOff="col0" yOff="row0" xSize="cols" ySize="rows"/>
//!     </SimpleSource>
//!     …
//! ```
//!
//! Each tile is a `cols × rows` cut of the mosaic at column `col0`, row `row0` with the mosaic's
//! cell size, CRS and sample type, so source and destination rectangles are equal in size (no
//! resampling) and a read of the VRT returns the tiles' cells unchanged. Cells no tile covers read
//! as the NoData value (GDAL initialises the band with it). `<SRS>` is the CRS's own WKT when it
//! has one, else the OGC WKT1 that `zwilling_crs::wkt_for_crs` makes from its EPSG codes (omitted
//! when the CRS is unknown). GeoTransform numbers are written in the shortest form that parses back
//! to the same `f64`. Tiles must lie inside the mosaic and must not overlap (GDAL would let a later
//! source overwrite an earlier one: a tiling error that should not pass silently).
//!
//! ```no_run
//! use std::path::PathBuf;
//! use zwilling_core::{CrsInfo, GeoTransform};
//! use zwilling_io::raster::{write_vrt_mosaic, SampleType, VrtMosaic, VrtTile};
//! let tiles = vec![
//!     VrtTile { file: PathBuf::from("tiles/a.tif"), col0: 0, row0: 0, cols: 1000, rows: 800 },
//!     VrtTile { file: PathBuf::from("tiles/b.tif"), col0: 1000, row0: 0, cols: 500, rows: 800 },
//! ];
//! let m = VrtMosaic {
//!     width: 1500,
//!     height: 800,
//!     transform: GeoTransform::new(350_000.0, 5_700_000.0, 1.0),
//!     crs: CrsInfo::from_epsg(25832),
//!     nodata: Some(-9999.0),
//!     sample_type: SampleType::F32,
//!     block_size: 512,
//!     tiles,
//! };
//! write_vrt_mosaic(std::path::Path::new("dtm.vrt"), &m).unwrap();
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use zwilling_core::{CrsInfo, Error, GeoTransform, Result};

use super::cog::format_nodata;
use super::sample::SampleType;
use super::write_atomic;

/// One source tile of a [`VrtMosaic`]: a single-band GeoTIFF holding the `cols × rows` cells of the
/// mosaic at column `col0`, row `row0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrtTile {
    /// The tile file; a relative path is written relative to the VRT (`relativeToVRT="1"`).
    pub file: PathBuf,
    /// First column of the tile in the mosaic.
    pub col0: usize,
    /// First row of the tile in the mosaic.
    pub row0: usize,
    /// Columns of the tile.
    pub cols: usize,
    /// Rows of the tile.
    pub rows: usize,
}

/// A mosaic of GeoTIFF tiles as one virtual raster (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct VrtMosaic {
    /// Columns of the mosaic.
    pub width: usize,
    /// Rows of the mosaic.
    pub height: usize,
    /// Georeferencing of the mosaic's top-left cell.
    pub transform: GeoTransform,
    /// CRS of the mosaic (and of every tile).
    pub crs: CrsInfo,
    /// NoData value of the band (and of every tile).
    pub nodata: Option<f64>,
    /// Sample type of the band (and of every tile).
    pub sample_type: SampleType,
    /// Block (TIFF tile) size of the sources, for `<SourceProperties>` (512 for [`write_cog`](super::write_cog)).
    pub block_size: usize,
    /// The tiles, in the order they are listed.
    pub tiles: Vec<VrtTile>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Checks the mosaic: a positive size and cell size, at least one tile, every tile non-empty,
/// inside the mosaic and overlapping no other. Errors name `path`.
fn check(path: &Path, m: &VrtMosaic) -> Result<()> {
    let bad = |msg: String| Err(Error::invalid(format!("{}: {msg}", path.display())));
    let t = &m.transform;
    if m.width == 0 || m.height == 0 {
        return bad(format!("cannot write a VRT of {} × {} cells", m.width, m.height));
    }
    if !(t.cell_x > 0.0 && t.cell_y > 0.0 && t.origin_x.is_finite() && t.origin_y.is_finite()) {
        return bad(format!("invalid georeferencing {t:?}"));
    }
    if m.tiles.is_empty() {
        return bad("a VRT mosaic needs at least one tile".into());
    }
    for (k, s) in m.tiles.iter().enumerate() {
        let inside = |start: usize, len: usize, size: usize| start.checked_add(len).is_some_and(|end| end <= size);
        if s.cols == 0 || s.rows == 0 || !inside(s.col0, s.cols, m.width) || !inside(s.row0, s.rows, m.height) {
            return bad(format!(
                "tile {k} ({}) of {} × {} cells at column {}, row {} does not lie inside the mosaic of {} × {} cells",
                s.file.display(),
                s.cols,
                s.rows,
                s.col0,
                s.row0,
                m.width,
                m.height
            ));
        }
    }
    // Overlaps: sweep the tiles by first row; only tiles whose row spans intersect can overlap.
    let mut order: Vec<usize> = (0..m.tiles.len()).collect();
    order.sort_by_key(|&k| (m.tiles[k].row0, m.tiles[k].col0));
    for (i, &a) in order.iter().enumerate() {
        let ta = &m.tiles[a];
        for &b in &order[i + 1..] {
            let tb = &m.tiles[b];
            if tb.row0 >= ta.row0 + ta.rows {
                break;
            }
            if tb.col0 < ta.col0 + ta.cols && ta.col0 < tb.col0 + tb.cols {
                return bad(format!(
                    "tiles {a} ({}) and {b} ({}) overlap: a mosaic's tiles must not share cells",
                    ta.file.display(),
                    tb.file.display()
                ));
            }
        }
    }
    Ok(())
}

/// The VRT XML of a mosaic (what [`write_vrt_mosaic`] writes), after the checks described there;
/// errors name `path`.
pub fn vrt_mosaic_xml(path: &Path, m: &VrtMosaic) -> Result<String> {
    check(path, m)?;
    let mut x = format!("<VRTDataset rasterXSize=\"{}\" rasterYSize=\"{}\">\n", m.width, m.height);
    let wkt = m.crs.wkt.clone().or_else(|| zwilling_crs::wkt_for_crs(&m.crs));
    if let Some(wkt) = wkt {
        x += &format!("  <SRS>{}</SRS>\n", escape(&wkt));
    }
    let gt: Vec<String> = m.transform.to_gdal().iter().map(|v| format!("{v:e}")).collect();
    x += &format!("  <GeoTransform>{}</GeoTransform>\n", gt.join(", "));
    let ty = m.sample_type.gdal_name();
    x += &format!("  <VRTRasterBand dataType=\"{ty}\" band=\"1\">\n");
    if let Some(nd) = m.nodata {
        x += &format!("    <NoDataValue>{}</NoDataValue>\n", format_nodata(nd));
    }
    for s in &m.tiles {
        let relative = u8::from(s.file.is_relative());
        // Forward slashes, as GDAL writes them on every platform.
        let name = s.file.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let name = if s.file.has_root() { format!("/{}", name.trim_start_matches('/')) } else { name };
        x += "    <SimpleSource>\n";
        x += &format!("      <SourceFilename relativeToVRT=\"{relative}\">{}</SourceFilename>\n", escape(&name));
        x += "      <SourceBand>1</SourceBand>\n";
        x += &format!(
            "      <SourceProperties RasterXSize=\"{}\" RasterYSize=\"{}\" DataType=\"{ty}\" BlockXSize=\"{}\" \
             BlockYSize=\"{}\"/>\n",
            s.cols, s.rows, m.block_size, m.block_size
        );
        x += &format!("      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"{}\" ySize=\"{}\"/>\n", s.cols, s.rows);
        x += &format!(
            "      <DstRect xOff=\"{}\" yOff=\"{}\" xSize=\"{}\" ySize=\"{}\"/>\n",
            s.col0, s.row0, s.cols, s.rows
        );
        x += "    </SimpleSource>\n";
    }
    x += "  </VRTRasterBand>\n</VRTDataset>\n";
    Ok(x)
}

/// Writes the mosaic as a GDAL VRT at `path` (atomically: a temporary file beside it, renamed into
/// place). An empty tile list, a tile outside the mosaic, overlapping tiles or an invalid size or
/// georeferencing is an error naming `path`; nothing is written then.
pub fn write_vrt_mosaic(path: &Path, m: &VrtMosaic) -> Result<()> {
    let xml = vrt_mosaic_xml(path, m)?;
    write_atomic(path, |f| f.write_all(xml.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mosaic() -> VrtMosaic {
        // 10 × 7 cells in tiles of 4 × 4: 3 × 2 tiles, partial at the right and bottom edges.
        let mut tiles = vec![];
        for (k, (r0, c0)) in [(0, 0), (0, 4), (0, 8), (4, 0), (4, 4), (4, 8)].into_iter().enumerate() {
            let (cols, rows) = ((10 - c0).min(4), (7 - r0).min(4));
            tiles.push(VrtTile { file: format!("tiles/t-{k}.tif").into(), col0: c0, row0: r0, cols, rows });
        }
        VrtMosaic {
            width: 10,
            height: 7,
            transform: GeoTransform::new(350_000.0, 5_700_000.5, 0.5),
            crs: CrsInfo::from_epsg(25832),
            nodata: Some(-9999.0),
            sample_type: SampleType::F32,
            block_size: 512,
            tiles,
        }
    }

    /// `name="value"` attributes of the first `<tag …/>` in `text`.
    fn attrs<'a>(text: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
        let start = text.find(&format!("<{tag} ")).unwrap_or_else(|| panic!("no <{tag}> in {text}"));
        let body = &text[start + tag.len() + 2..];
        let body = &body[..body.find('>').unwrap()];
        body.trim_end_matches('/')
            .split('"')
            .collect::<Vec<_>>()
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].trim().trim_end_matches('='), c[1]))
            .collect()
    }

    #[test]
    fn xml_is_well_formed_with_exact_rects() {
        let m = mosaic();
        let x = vrt_mosaic_xml(Path::new("m.vrt"), &m).unwrap();
        // Well-formed: every opening tag is closed in order (the XML has no text with '<').
        let mut stack: Vec<String> = vec![];
        for part in x.split('<').skip(1) {
            let tag = &part[..part.find('>').unwrap()];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "{x}");
            } else if !tag.ends_with('/') {
                stack.push(tag.split_whitespace().next().unwrap().to_string());
            }
        }
        assert!(stack.is_empty(), "{x}");
        assert!(x.starts_with(
            "<VRTDataset rasterXSize=\"10\" rasterYSize=\"7\">\n  <SRS>PROJCS[&quot;ETRS89 / UTM zone 32N"
        ));
        assert!(x.contains("<GeoTransform>3.5e5, 5e-1, 0e0, 5.7000005e6, 0e0, -5e-1</GeoTransform>"));
        assert!(x.contains("<VRTRasterBand dataType=\"Float32\" band=\"1\">\n    <NoDataValue>-9999</NoDataValue>"));
        // One source per tile; DstRect at the tile, SrcRect the whole tile; rects tile the grid once.
        let sources: Vec<&str> = x.split("<SimpleSource>").skip(1).collect();
        assert_eq!(sources.len(), 6);
        let mut cover = vec![0u8; 70];
        for (k, s) in sources.iter().enumerate() {
            let t = &m.tiles[k];
            assert!(s.contains(&format!("<SourceFilename relativeToVRT=\"1\">tiles/t-{k}.tif</SourceFilename>")));
            let dst = attrs(s, "DstRect");
            let want = [t.col0, t.row0, t.cols, t.rows].map(|v| v.to_string());
            assert_eq!(dst, [("xOff", &*want[0]), ("yOff", &*want[1]), ("xSize", &*want[2]), ("ySize", &*want[3])]);
            assert_eq!(attrs(s, "SrcRect"), [("xOff", "0"), ("yOff", "0"), ("xSize", &*want[2]), ("ySize", &*want[3])]);
            let p = attrs(s, "SourceProperties");
            assert_eq!(p[0], ("RasterXSize", &*want[2]));
            assert_eq!(p[2], ("DataType", "Float32"));
            for r in t.row0..t.row0 + t.rows {
                for c in t.col0..t.col0 + t.cols {
                    cover[r * 10 + c] += 1;
                }
            }
        }
        assert!(cover.iter().all(|&n| n == 1), "{cover:?}");
        // The GeoTransform parses back to the same numbers.
        let gt = x.split("<GeoTransform>").nth(1).unwrap().split('<').next().unwrap();
        let gt: Vec<f64> = gt.split(", ").map(|v| v.parse().unwrap()).collect();
        assert_eq!(gt, m.transform.to_gdal());
    }

    #[test]
    fn nan_nodata_bytes_and_unknown_crs() {
        let mut m = mosaic();
        m.nodata = Some(f64::NAN);
        m.crs = CrsInfo::default();
        m.sample_type = SampleType::U8;
        m.tiles[0].file = "/abs/a&b.tif".into();
        let x = vrt_mosaic_xml(Path::new("m.vrt"), &m).unwrap();
        assert!(!x.contains("<SRS>"));
        assert!(x.contains("<NoDataValue>nan</NoDataValue>"));
        assert!(x.contains("dataType=\"Byte\"") && x.contains("DataType=\"Byte\""));
        assert!(x.contains("<SourceFilename relativeToVRT=\"0\">/abs/a&amp;b.tif</SourceFilename>"));
        m.nodata = None;
        assert!(!vrt_mosaic_xml(Path::new("m.vrt"), &m).unwrap().contains("NoDataValue"));
    }

    #[test]
    fn bad_mosaics_name_the_file_and_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.vrt");
        let mut empty = mosaic();
        empty.tiles.clear();
        let mut outside = mosaic();
        outside.tiles[5].cols = 3; // 8 + 3 > 10
        let mut overlap = mosaic();
        overlap.tiles[4].col0 = 3;
        let mut zero = mosaic();
        zero.tiles[2].rows = 0;
        let mut far = mosaic();
        far.tiles[0].row0 = usize::MAX;
        for (m, what) in [
            (empty, "at least one tile"),
            (outside, "tile 5 (tiles/t-5.tif)"),
            (overlap, "tiles 3 (tiles/t-3.tif) and 4 (tiles/t-4.tif) overlap"),
            (zero, "tile 2"),
            (far, "does not lie inside the mosaic of 10 × 7 cells"),
        ] {
            let e = write_vrt_mosaic(&p, &m).unwrap_err().to_string();
            assert!(e.contains("bad.vrt") && e.contains(what), "{e}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
        write_vrt_mosaic(&p, &mosaic()).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), vrt_mosaic_xml(&p, &mosaic()).unwrap());
    }
}
