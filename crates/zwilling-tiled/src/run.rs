//! All three steps of each algorithm chained in memory, tiles in parallel (rayon).
//!
//! This is how one machine fills and routes a DEM with tiles (and how the tests compare the tiled
//! algorithms with `zwilling_rain`); a cluster runs the same step functions in separate processes
//! and passes the serialised summaries through files (`zwilling run --executor slurm`).
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_tiled::{run::hydrology_tiled, TileLayout};
//! let mut dem = Grid::filled(8, 8, GeoTransform::new(0.0, 8.0, 1.0), 4.0f32);
//! dem.data[3 * 8 + 4] = 1.0;
//! let (filled, _dir, acc) = hydrology_tiled(&dem, None, TileLayout::new(8, 8, 3, 3).unwrap()).unwrap();
//! assert_eq!(filled.data[3 * 8 + 4], 4.0);
//! assert_eq!(acc.data.iter().filter(|a| a.is_nan()).count(), 0);
//! ```

use rayon::prelude::*;
use zwilling_core::{Error, Grid, Result};

use zwilling_rain::simulate::groups::{check_group_count, Partition, NO_GROUP};

use crate::layout::is_nodata;
use crate::{accumulation, catchments, directions, fill, TileLayout};

fn check(layout: &TileLayout, w: usize, h: usize) -> Result<()> {
    layout.check_size(w, h)
}

/// Tile-parallel depression filling; equals `zwilling_rain::fill::fill_depressions`.
pub fn fill_tiled(dem: &Grid<f32>, layout: TileLayout) -> Result<Grid<f32>> {
    check(&layout, dem.width, dem.height)?;
    let window = |t: usize| layout.window(t, 1).extract(&dem.data, dem.width);
    let summaries = (0..layout.count())
        .into_par_iter()
        .map(|t| fill::fill_tile_pass(&layout, t, &window(t), dem.nodata))
        .collect::<Result<Vec<_>>>()?;
    let spill = fill::solve_spill_graph(&layout, &summaries)?;
    let tiles = (0..layout.count())
        .into_par_iter()
        .map(|t| fill::finalise_fill_tile(&layout, t, &window(t), dem.nodata, &spill[t]))
        .collect::<Result<Vec<_>>>()?;
    let mut out = dem.data.clone();
    for (t, v) in tiles.iter().enumerate() {
        layout.tile(t).insert(v, &mut out, dem.width);
    }
    Ok(dem.with_data(out))
}

/// Tile-parallel D8 directions of a filled DEM; equal `zwilling_rain::d8::flow_directions_d8`.
pub fn directions_tiled(filled: &Grid<f32>, layout: TileLayout) -> Result<Grid<u8>> {
    check(&layout, filled.width, filled.height)?;
    let passes = (0..layout.count())
        .into_par_iter()
        .map(|t| {
            let w = layout.window(t, 1).extract(&filled.data, filled.width);
            directions::directions_tile_pass(&layout, t, &w, filled.nodata)
        })
        .collect::<Result<Vec<_>>>()?;
    let summaries: Vec<_> = passes.iter().map(|p| p.1.clone()).collect();
    let flats = directions::resolve_open_flats(&layout, &summaries)?;
    let mut out = vec![0u8; filled.len()];
    for (t, (mut dir, _)) in passes.into_iter().enumerate() {
        directions::finalise_directions_tile(&layout, t, &mut dir, &flats[t])?;
        layout.tile(t).insert(&dir, &mut out, filled.width);
    }
    Ok(filled.with_data(out))
}

/// Tile-parallel D8 accumulation; equals `zwilling_rain::accumulation::flow_accumulation_d8` for
/// integer or dyadic weights (see [`crate::accumulation`]).
pub fn accumulation_tiled(dir: &Grid<u8>, weight: Option<&Grid<f32>>, layout: TileLayout) -> Result<Grid<f64>> {
    check(&layout, dir.width, dir.height)?;
    if let Some(w) = weight {
        check(&layout, w.width, w.height)?;
    }
    let tile_dir = |t: usize| layout.tile(t).extract(&dir.data, dir.width);
    let tile_w = |t: usize| weight.map(|w| layout.tile(t).extract(&w.data, w.width));
    let summaries = (0..layout.count())
        .into_par_iter()
        .map(|t| accumulation::accumulation_tile_pass(&layout, t, &tile_dir(t), tile_w(t).as_deref()))
        .collect::<Result<Vec<_>>>()?;
    let inflow = accumulation::solve_links(&layout, &summaries)?;
    let tiles = (0..layout.count())
        .into_par_iter()
        .map(|t| accumulation::finalise_accumulation_tile(&layout, t, &tile_dir(t), tile_w(t).as_deref(), &inflow[t]))
        .collect::<Result<Vec<_>>>()?;
    let mut out = vec![0f64; dir.len()];
    for (t, v) in tiles.iter().enumerate() {
        layout.tile(t).insert(v, &mut out, dir.width);
    }
    let mut g = dir.with_data(out);
    g.nodata = Some(f64::NAN);
    Ok(g)
}

/// Filling, directions and accumulation chained: `(filled, directions, accumulation)`.
pub fn hydrology_tiled(
    dem: &Grid<f32>,
    weight: Option<&Grid<f32>>,
    layout: TileLayout,
) -> Result<(Grid<f32>, Grid<u8>, Grid<f64>)> {
    let filled = fill_tiled(dem, layout)?;
    let dir = directions_tiled(&filled, layout)?;
    let acc = accumulation_tiled(&dir, weight, layout)?;
    Ok((filled, dir, acc))
}

/// Tile-parallel catchment partition: [`fill_tiled`], [`directions_tiled`] and the three steps of
/// [`crate::catchments`]; equals `zwilling_rain::simulate::groups::partition_catchments(dem, k)`
/// (labels, NoData, windows).
pub fn partition_tiled(dem: &Grid<f32>, layout: TileLayout, k: usize) -> Result<Partition> {
    check(&layout, dem.width, dem.height)?;
    check_group_count(k)?;
    if dem.data.iter().all(|&v| is_nodata(v, dem.nodata)) {
        return Err(Error::invalid("catchment groups: the DEM has no valid cells"));
    }
    let dir = directions_tiled(&fill_tiled(dem, layout)?, layout)?;
    let tile_dir = |t: usize| layout.tile(t).extract(&dir.data, dir.width);
    let tile_valid = |t: usize| -> Vec<bool> {
        layout.tile(t).extract(&dem.data, dem.width).iter().map(|&v| !is_nodata(v, dem.nodata)).collect()
    };
    let summaries = (0..layout.count())
        .into_par_iter()
        .map(|t| catchments::catchment_tile_pass(&layout, t, &tile_dir(t), &tile_valid(t)))
        .collect::<Result<Vec<_>>>()?;
    let solution = catchments::solve_catchments(&layout, &summaries, k)?;
    let tiles = (0..layout.count())
        .into_par_iter()
        .map(|t| catchments::finalise_catchment_tile(&layout, t, &tile_dir(t), &tile_valid(t), &solution.tiles[t]))
        .collect::<Result<Vec<_>>>()?;
    let mut labels = dem.with_data(vec![NO_GROUP; dem.len()]);
    labels.nodata = Some(NO_GROUP as f64);
    for (t, v) in tiles.iter().enumerate() {
        layout.tile(t).insert(v, &mut labels.data, dem.width);
    }
    Ok(Partition { labels, windows: solution.windows })
}

/// Test DEMs with pits, flats that cross tile borders, and NoData (NaN and a NoData value).
#[cfg(test)]
pub(crate) fn test_dems() -> Vec<Grid<f32>> {
    use rand::{Rng, SeedableRng};
    use zwilling_core::GeoTransform;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let mut make = |w: usize, h: usize, f: &mut dyn FnMut(usize, usize, &mut rand_chacha::ChaCha8Rng) -> f32| {
        let mut g = Grid::filled(w, h, GeoTransform::new(0.0, h as f64, 1.0), 0.0f32);
        for r in 0..h {
            for c in 0..w {
                g.data[r * w + c] = f(c, r, &mut rng);
            }
        }
        g
    };
    let mut dems = vec![];
    // Rough terrain on a gentle slope: many small pits.
    dems.push(make(53, 41, &mut |c, r, g| 0.02 * (c + r) as f32 + g.gen_range(0.0..1.0f32)));
    // Quantised terrain: plateaus and flats everywhere, NaN holes.
    dems.push(make(60, 47, &mut |c, r, g| {
        if (c / 9 + r / 7) % 5 == 3 && g.gen_bool(0.3) {
            f32::NAN
        } else {
            (g.gen_range(0..4) + ((c as i32 - 30).abs() + (r as i32 - 23).abs()) / 8) as f32
        }
    }));
    // A large bowl (one filled lake across many tiles) with a NoData value region and rough rim.
    let mut bowl = make(44, 39, &mut |c, r, g| {
        let d = ((c as f32 - 20.0).powi(2) + (r as f32 - 18.0).powi(2)).sqrt();
        if (5..9).contains(&c) && (30..35).contains(&r) {
            -9999.0
        } else {
            (d * 0.3).floor() + g.gen_range(0..2) as f32 * 0.5
        }
    });
    bowl.nodata = Some(-9999.0);
    dems.push(bowl);
    // Thin strips.
    dems.push(make(31, 1, &mut |_, _, g| g.gen_range(0..3) as f32));
    dems.push(make(1, 29, &mut |_, _, g| g.gen_range(0..3) as f32));
    dems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_dems_exercise_pits_flats_and_nodata() {
        // The equality tests elsewhere only mean something if the DEMs have depressions to fill,
        // flats that cross tile borders and NoData.
        let dems = test_dems();
        for (k, dem) in dems.iter().enumerate().take(3) {
            let filled = zwilling_rain::fill::fill_depressions(dem).unwrap();
            let raised = dem.data.iter().zip(&filled.data).filter(|(a, b)| a != b && !a.is_nan()).count();
            assert!(raised > 20, "dem {k}: only {raised} cells filled");
            let layout = TileLayout::new(dem.width, dem.height, 7, 5).unwrap();
            let open: usize = (0..layout.count())
                .map(|t| {
                    let w = layout.window(t, 1).extract(&filled.data, dem.width);
                    directions::directions_tile_pass(&layout, t, &w, dem.nodata).unwrap().1.open.len()
                })
                .sum();
            assert!(open > 20, "dem {k}: only {open} open flat cells");
        }
        assert!(dems[1].data.iter().any(|v| v.is_nan()));
        assert!(dems[2].data.contains(&-9999.0));
    }

    #[test]
    fn layout_must_match_the_grid() {
        let dem = &test_dems()[3];
        assert!(fill_tiled(dem, TileLayout::new(30, 1, 4, 1).unwrap()).is_err());
    }
}
