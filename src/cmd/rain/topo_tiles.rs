//! The topographic layers of `rain.gpkg` (`sinks`, `flow_paths`) in the tiled merge
//! (`rain merge --tiles CxR --hydro DIR`), from the raw tile files of the tiled hydrology of the
//! same DEM, so that no step of the merge fills or routes the whole rain DTM (docs/cluster.md,
//! "The tiled mosaic's sinks and flow paths").
//!
//! The algorithms are those of `zwilling_tiled` — block-wise connected-component labelling joined
//! across tile borders for the sinks (`sinks_tiled`) and the flow-path network cut into pieces at
//! tile borders and stitched (`flowpaths_tiled`); both give the whole-grid layers of
//! `topographic_layers` feature for feature, bit for bit. This file only feeds them from files:
//!
//! - **Per tile** ([`tile_summaries`], in each `--tile T` task): the tile's window of the DEM
//!   (`read_geotiff_window_f32`), its filled cells (`DIR/tiles/filled-T.f32`) → `sinks_tile_pass`;
//!   the D8 index codes (`d8-U.u8`) and accumulation in cells (`acc-U.f64`) of the tile with its
//!   one-cell halo, read from the own tile's file and one-cell strips of its neighbours' files →
//!   `flow_paths_tile_pass`. The two summaries go into the tile's merge record.
//! - **Once** ([`layers`], in the `--mosaic` task): `solve_sinks` + `sinks_layer` and
//!   `stitch_flow_paths` on the summaries of all tiles. Their size follows the layers' (sink
//!   outlines and border edges, path cells), not the DEM's.
//!
//! The raw files are those `src/pipeline/slurm/hydro.rs` writes: f32 / u8 / f64 little-endian, the
//! tile's cells row-major; `DIR/tiles/layout.json` holds the tiling and the DTM's NoData. The
//! threshold (m²) and minimum depth (m) are `--flow-threshold` and `--sink-min-depth`, as for
//! `topographic_layers`; the accumulation in cells is turned into area by the libraries.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Layer, Result};
use zwilling_io::raster::{read_geotiff_window_f32, GeoTiffInfo};
use zwilling_rain::sinks::sinks_layer;
use zwilling_tiled::flowpaths_tiled::{flow_paths_tile_pass, stitch_flow_paths, FlowPathTileSummary};
use zwilling_tiled::sinks_tiled::{sinks_tile_pass, solve_sinks, SinkTileSummary};
use zwilling_tiled::{TileLayout, TileRect};

use super::ProductArgs;
use crate::pipeline::slurm::hydro;

/// A tiled hydrology folder (`--hydro DIR`) checked against the merge's DEM and tiling.
#[derive(Debug)]
pub(super) struct Hydro {
    dir: PathBuf,
    layout: TileLayout,
    /// The DTM's NoData, as the filled tiles carry it.
    nodata: Option<f64>,
}

fn same_nodata(a: Option<f64>, b: Option<f64>) -> bool {
    a.map(f64::to_bits) == b.map(f64::to_bits) || matches!((a, b), (Some(x), Some(y)) if x.is_nan() && y.is_nan())
}

impl Hydro {
    /// Reads `dir/tiles/layout.json` and checks that it is the tiling `layout` of the DEM `info`
    /// (size and NoData).
    pub(super) fn open(dir: &Path, layout: &TileLayout, info: &GeoTiffInfo) -> Result<Hydro> {
        let path = dir.join("tiles").join("layout.json");
        let (l, nodata) = hydro::read_layout(dir)?;
        if (l.width, l.height) != (layout.width, layout.height) {
            let msg = format!(
                "is the tiling of a {} × {} DTM, the rain DTM has {} × {} cells",
                l.width, l.height, layout.width, layout.height
            );
            return Err(Error::bad_file(&path, msg));
        }
        if l != *layout {
            let msg = format!(
                "has tiles of {} × {} cells, the merge's --tiles gives {} × {}: run the hydrology with the same COLSxROWS",
                l.tile_width, l.tile_height, layout.tile_width, layout.tile_height
            );
            return Err(Error::bad_file(&path, msg));
        }
        if !same_nodata(nodata, info.nodata) {
            let msg = format!("has NoData {nodata:?}, the rain DTM {:?}: not the same DTM", info.nodata);
            return Err(Error::bad_file(&path, msg));
        }
        Ok(Hydro { dir: dir.to_path_buf(), layout: l, nodata })
    }

    fn tile_file(&self, name: &str, t: usize, ext: &str) -> PathBuf {
        hydro::tile_file(&self.dir, name, t, ext)
    }

    /// The cells of `win` from the raw files `<name>-<u>.<ext>` (see [`hydro::read_tile_window`]).
    fn read_window<T: Copy + Default, const N: usize>(
        &self,
        name: &str,
        ext: &str,
        win: TileRect,
        decode: fn([u8; N]) -> T,
    ) -> Result<Vec<T>> {
        hydro::read_tile_window(&self.dir, &self.layout, (name, ext), win, decode)
    }
}

/// What a tile task of the merge adds to its record with `--hydro`: the tile's summaries for
/// the sink and flow-path layers, and the options they were made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct TopoSummaries {
    /// `--sink-min-depth` (m) as f64 bits.
    min_depth: u64,
    /// `--flow-threshold` (m²) as f64 bits.
    threshold_m2: u64,
    sinks: SinkTileSummary,
    flow_paths: FlowPathTileSummary,
}

/// Step 1 of the sinks and flow paths for tile `t` (see the module doc). `dem` is the rain DTM
/// (the plan's), `info` its directories.
pub(super) fn tile_summaries(
    h: &Hydro,
    dem: &Path,
    info: &GeoTiffInfo,
    t: usize,
    p: &ProductArgs,
) -> Result<TopoSummaries> {
    let rect = h.layout.tile(t);
    let z = read_geotiff_window_f32(dem, rect.col0, rect.row0, rect.cols, rect.rows)?;
    let filled = h.read_window("filled", "f32", rect, f32::from_le_bytes)?;
    let sinks = sinks_tile_pass(&h.layout, t, &z.data, &filled, z.nodata, h.nodata, &info.transform, p.sink_min_depth)
        .map_err(|e| e.in_file(h.tile_file("filled", t, "f32")))?;
    drop((z, filled));
    let win = h.layout.window(t, 1);
    let dir = h.read_window("d8", "u8", win, |b: [u8; 1]| b[0])?;
    let acc = h.read_window("acc", "f64", win, f64::from_le_bytes)?;
    let flow_paths = flow_paths_tile_pass(&h.layout, t, &dir, &acc, &info.transform, p.flow_threshold)
        .map_err(|e| e.in_file(h.tile_file("d8", t, "u8")))?;
    Ok(TopoSummaries {
        min_depth: p.sink_min_depth.to_bits(),
        threshold_m2: p.flow_threshold.to_bits(),
        sinks,
        flow_paths,
    })
}

impl TopoSummaries {
    /// Refuses summaries made with other options than `p` (`record`: the file they came from).
    pub(super) fn check(&self, p: &ProductArgs, record: &Path) -> Result<()> {
        if self.min_depth != p.sink_min_depth.to_bits() || self.threshold_m2 != p.flow_threshold.to_bits() {
            let msg = format!(
                "was made with --sink-min-depth {} --flow-threshold {}, the mosaic has {} and {}: rerun the tile",
                f64::from_bits(self.min_depth),
                f64::from_bits(self.threshold_m2),
                p.sink_min_depth,
                p.flow_threshold
            );
            return Err(Error::bad_file(record, msg));
        }
        Ok(())
    }
}

/// Step 2: the `sinks` and `flow_paths` layers of the whole DEM (`info`) from the summaries of
/// every tile of `layout`, in tile order (checked with [`TopoSummaries::check`]).
pub(super) fn layers(layout: &TileLayout, info: &GeoTiffInfo, summaries: Vec<TopoSummaries>) -> Result<(Layer, Layer)> {
    let (sinks, paths): (Vec<_>, Vec<_>) = summaries.into_iter().map(|s| (s.sinks, s.flow_paths)).unzip();
    let sink_layer = sinks_layer(&solve_sinks(layout, &info.transform, &sinks)?, &info.crs);
    drop(sinks);
    let path_layer = stitch_flow_paths(layout, &info.transform, &paths, &info.crs)?;
    Ok((sink_layer, path_layer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::rain::{run, RainArgs, RainCommand};
    use crate::pipeline::slurm::Work;
    use clap::Parser;
    use zwilling_core::{CrsInfo, GeoTransform, Geometry};
    use zwilling_io::raster::{write_cog, CogOptions};

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: RainCommand,
    }

    /// `zwilling rain ARGS` in this process.
    fn rain(args: &[&str]) -> Result<()> {
        let cli = Cli::try_parse_from(std::iter::once("rain").chain(args.iter().copied())).unwrap();
        run(RainArgs { command: cli.command })
    }

    fn s(p: &Path) -> &str {
        p.to_str().unwrap()
    }

    /// 60 × 50 cells of 1 m (EPSG:25832 + DHHN2016, NoData −9999): rolling terrain on a slope, a
    /// pit on the corner of four of the 3 × 2 tiles (20 × 25 cells), a basin across the border of
    /// two tiles, a pit inside one tile and a NoData block.
    fn scene(dir: &Path) -> PathBuf {
        let (w, h) = (60, 50);
        let mut dem = zwilling_rain::testdem::rolling_dem(w, h);
        dem.transform = GeoTransform::new(350_000.0, 5_700_050.0, 1.0);
        dem.crs = CrsInfo::compound(25832, 7837);
        dem.nodata = Some(-9999.0);
        for r in 0..h {
            for c in 0..w {
                let z = &mut dem.data[r * w + c];
                *z += 0.04 * (c + r) as f32;
                match (c, r) {
                    (17..23, 22..28) => *z -= 0.6,
                    (36..44, 10..12) => *z -= 0.8,
                    (8..11, 35..38) => *z -= 0.5,
                    (50..53, 40..43) => *z = -9999.0,
                    _ => {}
                }
            }
        }
        let path = dir.join("dem.tif");
        write_cog(&path, &dem, &CogOptions { tile_size: 16, ..Default::default() }).unwrap();
        path
    }

    /// The 3 × 2 tiles (of 20 × 25 cells) holding the cells of a flow path's vertices (cell
    /// centres) or of a sink (the cells whose centre its outline contains).
    fn tiles_of(g: &Geometry) -> Vec<usize> {
        let tile = |c: usize, r: usize| (r / 25) * 3 + c / 20;
        let cells_in = |ps: &[zwilling_core::Polygon]| {
            let ps = ps.to_vec();
            (0..50 * 60)
                .map(|i| (i % 60, i / 60))
                .filter(move |&(c, r)| ps.iter().any(|p| p.contains(350_000.5 + c as f64, 5_700_049.5 - r as f64)))
        };
        let mut t: Vec<usize> = match g {
            Geometry::LineString(l) => {
                l.iter().map(|p| tile((p[0] - 350_000.0) as usize, (5_700_050.0 - p[1]) as usize)).collect()
            }
            Geometry::Polygon(p) => cells_in(std::slice::from_ref(p)).map(|(c, r)| tile(c, r)).collect(),
            Geometry::MultiPolygon(ps) => cells_in(ps).map(|(c, r)| tile(c, r)).collect(),
            Geometry::Point(_) => panic!("unexpected geometry {g:?}"),
        };
        t.sort_unstable();
        t.dedup();
        t
    }

    #[test]
    fn tiled_topography_from_the_hydrology_tiles_writes_the_bytes_of_the_whole_dem() {
        std::env::set_var("SOURCE_DATE_EPOCH", "1700000000"); // GeoPackage timestamps
        let d = tempfile::tempdir().unwrap();
        let dem = scene(d.path());
        let parts = d.path().join("partition");
        rain(&["partition", "--dem", s(&dem), "--groups", "2", "-o", s(&parts)]).unwrap();
        let plan = parts.join("plan.json");
        let sim = ["--minutes", "0.5", "--flow-threshold", "20", "--sink-min-depth", "0.03", "--geojson"];
        let groups = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&plan).unwrap()).unwrap()
            ["windows"]
            .as_array()
            .unwrap()
            .len();
        for g in 0..groups {
            let (gs, gd) = (g.to_string(), parts.join("groups").join(g.to_string()));
            let mut a = vec!["simulate", "--dem", s(&dem), "--plan", s(&plan), "--group", &gs, "-o", s(&gd)];
            a.extend(&sim[..2]);
            rain(&a).unwrap();
        }
        // The tiled hydrology of the DEM on the same 3 × 2 tiles, every task in order through files
        // (its raw tiles are complete before its own mosaic, which is not needed here).
        let hydro_out = d.path().join("rain");
        let tiles: hydro::TileCount = "3x2".parse().unwrap();
        for job in hydro::jobs(&hydro_out, &dem, tiles).iter().filter(|j| j.stage != "hydro/mosaic") {
            for task in &job.tasks {
                let Work::Hydro(h) = &task.work else { unreachable!() };
                hydro::run(h).unwrap();
            }
        }
        let hd = hydro_out.join("hydro");
        let merge = |out: &Path, extra: &[&str]| {
            let mut a = vec!["merge", "--plan", s(&plan), "-o", s(out)];
            a.extend(sim);
            a.extend(extra);
            rain(&a)
        };
        let whole = d.path().join("whole");
        merge(&whole, &[]).unwrap();
        // Task by task, as the cluster runs it.
        let tiled = d.path().join("tiled");
        for t in 0..6 {
            merge(&tiled, &["--tiles", "3x2", "--hydro", s(&hd), "--tile", &t.to_string()]).unwrap();
        }
        merge(&tiled, &["--tiles", "3x2", "--hydro", s(&hd), "--mosaic"]).unwrap();
        for f in ["rain.gpkg", "sinks.geojson", "flow_paths.geojson", "flow_arrows.geojson"] {
            let want = std::fs::read(whole.join(f)).unwrap();
            assert!(want == std::fs::read(tiled.join(f)).unwrap(), "{f}: tiled merge with --hydro");
        }
        // The scene is what it claims: sinks in one, two and four tiles, paths across tile borders.
        let gpkg = whole.join("rain.gpkg");
        let sinks = zwilling_io::gpkg::read_layer(&gpkg, "sinks").unwrap();
        let spans: Vec<usize> = sinks.features.iter().map(|f| tiles_of(&f.geometry).len()).collect();
        for n in [1, 2, 4] {
            assert!(spans.contains(&n), "no sink in {n} tiles: {spans:?}");
        }
        let paths = zwilling_io::gpkg::read_layer(&gpkg, "flow_paths").unwrap();
        let crossing = paths.features.iter().filter(|f| tiles_of(&f.geometry).len() > 1).count();
        assert!(crossing >= 3, "{crossing} of {} flow paths cross a tile border", paths.features.len());
        // The tile records carry the summaries.
        assert!(std::fs::read_to_string(tiled.join("tiles/merge-0.json")).unwrap().contains("\"topo\""));

        // Refused, naming the file: records made with another threshold or without --hydro …
        let mut a = vec!["merge", "--plan", s(&plan), "-o", s(&tiled), "--flow-threshold", "30"];
        a.extend(["--tiles", "3x2", "--hydro", s(&hd), "--mosaic"]);
        let e = rain(&a).unwrap_err().to_string();
        assert!(e.contains("merge-0.json") && e.contains("--flow-threshold 20"), "{e}");
        let record = tiled.join("tiles/merge-2.json");
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("topo").unwrap();
        std::fs::write(&record, v.to_string()).unwrap();
        let e = merge(&tiled, &["--tiles", "3x2", "--hydro", s(&hd), "--mosaic"]).unwrap_err().to_string();
        assert!(e.contains("merge-2.json") && e.contains("without --hydro"), "{e}");
        // … and a hydrology on other tiles.
        let e = merge(&tiled, &["--tiles", "2x2", "--hydro", s(&hd), "--tile", "0"]).unwrap_err().to_string();
        assert!(e.contains("layout.json") && e.contains("same COLSxROWS"), "{e}");
    }
}
