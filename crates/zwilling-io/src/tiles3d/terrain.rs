//! Terrain mesh tilesets: a DTM as triangle-mesh GLB tiles coloured by a raster (hazard class,
//! hillshade ...), a quadtree with refine `REPLACE`.
//!
//! Level `l` of `L` tiles the grid in squares of `tile_cells · 2^(L−l)` cells sampled every
//! `2^(L−l)` cells, so every level has about `tile_cells²` vertices per tile and the leaves carry
//! the full resolution. Vertices sit at cell centres; a triangle is made only where its three
//! vertices have data, so NoData holes stay open. The geometric error of a tile is its sample
//! spacing (the largest vertical error a decimated lattice can show is bounded by the relief within
//! one spacing; the spacing is a conservative, monotone proxy that halves per level).

use std::path::Path;

use rayon::prelude::*;
use serde_json::json;
use zwilling_core::{Error, Grid, PointBlock, PointLayout, Result};
use zwilling_tiles::glb::{encode_mesh, MeshContent};
use zwilling_tiles::tileset::{TileNode, Tileset};
use zwilling_tiles::LocalFrame;

use super::{write_atomic, TilesReport, ToEcef};

/// Builds `out/tileset.json` and `out/terrain/*.glb` from `dtm`; `colour(col, row)` gives each
/// vertex's colour. `tile_cells` (e.g. 128) is the lattice size of one tile.
pub fn write_terrain_tileset(
    dtm: &Grid<f32>,
    colour: &(dyn Fn(usize, usize) -> [u8; 4] + Sync),
    to_ecef: &ToEcef<'_>,
    out: &Path,
    tile_cells: usize,
) -> Result<TilesReport> {
    if dtm.is_empty() || tile_cells < 2 {
        return Err(Error::invalid("terrain tiles need a non-empty DTM and tile_cells ≥ 2"));
    }
    let dir = out.join("terrain");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let span = dtm.width.max(dtm.height);
    let mut levels = 0u32;
    while tile_cells << levels < span {
        levels += 1;
    }
    // Local frame at the grid centre.
    let (cx, cy) = dtm.transform.cell_center(dtm.width / 2, dtm.height / 2);
    let cz =
        dtm.data
            .iter()
            .copied()
            .filter(|v| !dtm.is_nodata(*v))
            .fold(f64::NAN, |a, v| if a.is_nan() { v as f64 } else { a });
    let mut probe = PointBlock::with_capacity(PointLayout::default(), 1);
    probe.push_xyz(cx, cy, if cz.is_nan() { 0.0 } else { cz }, 0);
    let mut e = Vec::new();
    to_ecef(&probe, &mut e)?;
    let frame = LocalFrame::from_ecef(e[0]);

    let res = dtm.transform.cell_x;
    let root = build(dtm, colour, to_ecef, &frame, &dir, tile_cells, levels, 0, 0, 0, res)?
        .ok_or_else(|| Error::invalid("the DTM has no data cells"))?;
    let tiles = root.count();
    let ts = Tileset { root, transform: frame.transform(), refine: "REPLACE", extras: json!({"kind": "terrain"}) };
    let tileset = out.join("tileset.json");
    write_atomic(&tileset, ts.to_json().as_bytes())?;
    Ok(TilesReport { points: 0, tiles, depth: levels as u8, chunks_built: 0, chunks: 0, tileset })
}

#[allow(clippy::too_many_arguments)]
fn build(
    dtm: &Grid<f32>,
    colour: &(dyn Fn(usize, usize) -> [u8; 4] + Sync),
    to_ecef: &ToEcef<'_>,
    frame: &LocalFrame,
    dir: &Path,
    tile_cells: usize,
    levels: u32,
    level: u32,
    tx: usize,
    ty: usize,
    res: f64,
) -> Result<Option<TileNode>> {
    let step = 1usize << (levels - level);
    let extent = tile_cells * step;
    let (c0, r0) = (tx * extent, ty * extent);
    if c0 >= dtm.width || r0 >= dtm.height {
        return Ok(None);
    }
    let children: Vec<Result<Option<TileNode>>> = if level < levels {
        (0..4usize)
            .into_par_iter()
            .map(|q| {
                build(
                    dtm,
                    colour,
                    to_ecef,
                    frame,
                    dir,
                    tile_cells,
                    levels,
                    level + 1,
                    tx * 2 + (q & 1),
                    ty * 2 + (q >> 1),
                    res,
                )
            })
            .collect()
    } else {
        vec![]
    };
    let mut kids = vec![];
    for c in children {
        if let Some(n) = c? {
            kids.push(n);
        }
    }
    // Lattice columns/rows of this tile (inclusive of the next tile's first line, so tiles join).
    let cols: Vec<usize> = (0..=tile_cells).map(|i| c0 + i * step).filter(|&c| c < dtm.width).collect();
    let rows: Vec<usize> = (0..=tile_cells).map(|i| r0 + i * step).filter(|&r| r < dtm.height).collect();
    let (nc, nr) = (cols.len(), rows.len());
    let mut probe = PointBlock::with_capacity(PointLayout::default(), nc * nr);
    let mut valid = vec![false; nc * nr];
    for (j, &r) in rows.iter().enumerate() {
        for (i, &c) in cols.iter().enumerate() {
            let v = dtm.data[dtm.idx(c, r)];
            let (x, y) = dtm.transform.cell_center(c, r);
            valid[j * nc + i] = !dtm.is_nodata(v);
            probe.push_xyz(x, y, if dtm.is_nodata(v) { 0.0 } else { v as f64 }, 0);
        }
    }
    let mut indices = vec![];
    for j in 0..nr.saturating_sub(1) {
        for i in 0..nc.saturating_sub(1) {
            let (a, b, c, d) = (j * nc + i, j * nc + i + 1, (j + 1) * nc + i, (j + 1) * nc + i + 1);
            // Rows run south: (a, c, b) is counter-clockwise seen from above.
            for t in [[a, c, b], [b, c, d]] {
                if t.iter().all(|&v| valid[v]) {
                    indices.extend(t.iter().map(|&v| v as u32));
                }
            }
        }
    }
    if indices.is_empty() && kids.is_empty() {
        return Ok(None);
    }
    let mut ecef = Vec::new();
    to_ecef(&probe, &mut ecef)?;
    let local: Vec<[f64; 3]> = ecef.iter().map(|&p| frame.to_local(p)).collect();
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for (k, p) in local.iter().enumerate() {
        if valid[k] {
            for a in 0..3 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
    }
    let content = if indices.is_empty() {
        None
    } else {
        let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, (lo[2] + hi[2]) / 2.0];
        let mut normals = vec![[0.0f64; 3]; local.len()];
        for t in indices.chunks_exact(3) {
            let (p0, p1, p2) = (local[t[0] as usize], local[t[1] as usize], local[t[2] as usize]);
            let u = [p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]];
            let v = [p2[0] - p0[0], p2[1] - p0[1], p2[2] - p0[2]];
            let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
            for &k in t {
                for a in 0..3 {
                    normals[k as usize][a] += n[a];
                }
            }
        }
        let mesh = MeshContent {
            centre,
            positions: local
                .iter()
                .map(|p| [(p[0] - centre[0]) as f32, (p[1] - centre[1]) as f32, (p[2] - centre[2]) as f32])
                .collect(),
            normals: normals
                .iter()
                .map(|n| {
                    let l = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                    if l > 0.0 {
                        [(n[0] / l) as f32, (n[1] / l) as f32, (n[2] / l) as f32]
                    } else {
                        [0.0, 0.0, 1.0]
                    }
                })
                .collect(),
            colors: rows.iter().flat_map(|&r| cols.iter().map(move |&c| (c, r))).map(|(c, r)| colour(c, r)).collect(),
            indices,
        };
        let name = format!("{level}-{tx}-{ty}.glb");
        write_atomic(&dir.join(&name), &encode_mesh(&mesh))?;
        Some(format!("terrain/{name}"))
    };
    let mut node = TileNode { min: lo, max: hi, geometric_error: step as f64 * res, content, children: kids };
    if level == levels {
        node.geometric_error = 0.0;
    }
    node.enclose_children();
    Ok(Some(node))
}
