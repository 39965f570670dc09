//! `zwilling ground`: noise removal and SMRF ground classification, tile by tile, writing LAZ.
//!
//! Out-of-core in three passes so that memory does not grow with the input (see docs/ground.md):
//! 1. stream every input once (LAZ chunks decoded in parallel) and spill each point (x, y, z,
//!    class, flags, ordinal) into the spill file of every tile whose buffered area holds it
//!    (64 KiB write buffer per tile); at the same time park what pass 3 needs: for layered LAZ
//!    (point formats 6–10) three bytes per point (returns, scanner channel, class; the layers
//!    nobody reads — GPS time, scan angle, user data, point source, NIR, waveform, extra bytes —
//!    are not even decoded), for other LAZ the full point records, uncompressed, in a record
//!    spill ([`RecordSpill`]) so that pass 3 does not decode them again;
//! 2. classify the tiles in parallel, one buffered tile in memory per worker, and write the new
//!    class of every point a tile owns into a one-byte-per-point class file at its ordinal;
//! 3. layered LAZ: copy every chunk with only its classification layer re-encoded
//!    ([`LazClassPatcher`], chunks in parallel; the other layers' compressed bytes unchanged);
//!    other files: read the points back (from the record spill, or from the file when it is an
//!    uncompressed LAS) and write them with the patched classes, all other attributes as read,
//!    compressing LAZ chunks in parallel while the next block is read.

use clap::Args;
use rayon::prelude::*;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use zwilling_cloud::ground::{classify, GroundParams};
use zwilling_cloud::noise::NoiseParams;
use zwilling_cloud::smrf::SmrfParams;
use zwilling_core::PointBlock;
use zwilling_core::{class, Bounds2, CrsInfo, Error, Result, TilePlan};
use zwilling_io::las::{
    expand_inputs, is_point_cloud, LasReader, LasWriter, LazClassPatcher, RecordSpill, RecordSpillReader, SkipFields,
    WriterOptions, DEFAULT_BLOCK,
};

#[derive(Args, Debug)]
pub struct GroundArgs {
    /// LAS/LAZ files or directories of them (classified together, so tiles see across file edges).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output: a .laz/.las file (one input) or a directory (same file names as the inputs).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Assign this CRS (EPSG:N or EPSG:N+V), replacing what the files say.
    #[arg(long, value_name = "EPSG:N")]
    pub crs: Option<String>,
    /// Trust classes already in the files: only unclassified (0/1) points are decided.
    #[arg(long)]
    pub keep_existing: bool,
    /// Skip noise removal.
    #[arg(long)]
    pub no_noise: bool,
    /// SMRF cell size in metres (default: from the point spacing, 0.5–1 m).
    #[arg(long, value_name = "M")]
    pub cell: Option<f64>,
    /// SMRF slope tolerance (rise over run).
    #[arg(long, default_value_t = 0.15)]
    pub slope: f64,
    /// SMRF maximum window radius in metres (about half the widest building).
    #[arg(long, default_value_t = 18.0, value_name = "M")]
    pub window: f64,
    /// SMRF elevation threshold in metres (0.3 keeps object rims next to kerbs out of the ground in dense
    /// mobile-mapping scans; see docs/ground.md §5).
    #[arg(long, default_value_t = 0.5, value_name = "M")]
    pub threshold: f64,
    /// SMRF elevation scalar (extra threshold per unit slope).
    #[arg(long, default_value_t = 1.25)]
    pub scalar: f64,
    /// Tile edge in metres (memory per worker grows with the points of one buffered tile).
    #[arg(long, default_value_t = 100.0, value_name = "M")]
    pub tile: f64,
}

/// Bytes of one spilled point: x, y, z (f64), class, flags, ordinal (u64).
const RECORD: usize = 8 * 3 + 2 + 8;
/// Spill buffer per tile before it is appended to its file.
const SPILL_BUFFER: usize = 64 * 1024;

pub fn run(a: GroundArgs) -> Result<()> {
    let inputs = expand_inputs(&a.inputs)?;
    let crs = match &a.crs {
        Some(s) => Some(CrsInfo::parse(s).ok_or_else(|| Error::crs(format!("cannot read --crs {s:?} (use EPSG:N)")))?),
        None => None,
    };
    for (name, v) in [("slope", a.slope), ("window", a.window), ("threshold", a.threshold), ("tile", a.tile)] {
        if !(v > 0.0) {
            return Err(Error::invalid(format!("--{name} must be > 0 (got {v})")));
        }
    }
    if a.cell.is_some_and(|c| !(c > 0.0)) {
        return Err(Error::invalid("--cell must be > 0"));
    }
    let outputs = output_paths(&inputs, &a.output)?;
    let params = GroundParams {
        noise: (!a.no_noise).then(NoiseParams::default),
        smrf: SmrfParams { cell: a.cell, slope: a.slope, window: a.window, threshold: a.threshold, scalar: a.scalar },
        keep_existing: a.keep_existing,
        high_noise_class: class::HIGH_NOISE,
    };
    // Extent and ordinals.
    let mut extent = Bounds2::EMPTY;
    let mut first_ordinal = vec![0u64];
    // Layered LAZ (point formats 6-10) is rewritten by re-encoding only its classification layer
    // (`LazClassPatcher`); a new CRS needs new records, so it takes the full rewrite.
    let mut patchable = Vec::with_capacity(inputs.len());
    for p in &inputs {
        patchable.push(crs.is_none() && LazClassPatcher::open(p)?.is_some());
        let r = LasReader::open(p)?;
        let b = r.info().bounds.to_2d();
        if !b.is_empty() {
            extent = extent.union(&b);
        }
        first_ordinal.push(first_ordinal.last().unwrap() + r.info().point_count);
    }
    let total = *first_ordinal.last().unwrap();
    let work_parent = outputs[0].parent().map(Path::to_path_buf).unwrap_or_default();
    let work = work_parent.join(format!(".zwilling-ground-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| Error::io(&work, e))?;
    let result = (|| {
        let plan = TilePlan::new(&extent, a.tile, params.tile_overlap())?;
        let parked = spill(&inputs, &patchable, &plan, &work, total)?;
        let classes_path = work.join("classes.u8");
        classify_tiles(&plan, &work, &classes_path, total, &params)?;
        let files = Rewrite { inputs: &inputs, outputs: &outputs, patchable: &patchable, work: &work };
        rewrite(&files, parked, &first_ordinal, &classes_path, crs.as_ref())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}

/// Where each input's classified copy goes.
fn output_paths(inputs: &[PathBuf], output: &Path) -> Result<Vec<PathBuf>> {
    if is_point_cloud(output) && !output.is_dir() {
        if inputs.len() != 1 {
            return Err(Error::invalid(format!(
                "{} inputs need an output directory, not the file {}",
                inputs.len(),
                output.display()
            )));
        }
        return Ok(vec![output.to_path_buf()]);
    }
    std::fs::create_dir_all(output).map_err(|e| Error::io(output, e))?;
    let outs: Vec<PathBuf> = inputs.iter().map(|p| output.join(p.file_name().unwrap_or_default())).collect();
    for (i, o) in inputs.iter().zip(&outs) {
        if std::fs::canonicalize(i).ok() == std::fs::canonicalize(o).ok() {
            return Err(Error::invalid(format!("output {} would overwrite its input", o.display())));
        }
    }
    Ok(outs)
}

fn tile_file(work: &Path, t: usize) -> PathBuf {
    work.join(format!("tile{t:06}.bin"))
}

/// Per point of a patchable input (pass 1 → pass 3): returns byte (r | n << 4), scanner channel
/// and class as read — what re-encoding the classification layer needs.
const KEY: usize = 3;

fn key_file(work: &Path, k: usize) -> PathBuf {
    work.join(format!("keys{k:06}.bin"))
}

/// Appends the keys of `b`'s points to `out`.
fn push_keys(out: &mut Vec<u8>, b: &PointBlock) {
    out.clear();
    out.reserve(b.len() * KEY);
    for i in 0..b.len() {
        out.push((b.return_number[i] & 0x0F) | (b.number_of_returns[i] << 4));
        out.push((b.flags[i] >> zwilling_core::points::flag::SCANNER_CHANNEL_SHIFT) & 3);
        out.push(b.classification[i]);
    }
}

/// At most this many inputs keep a record spill open (one file descriptor each) until pass 3;
/// later ones are decoded again instead.
const MAX_RECORD_SPILLS: usize = 256;

/// Per-tile spill buffers of pass 1.
struct TileSpill<'a> {
    plan: &'a TilePlan,
    work: &'a Path,
    buffers: Vec<Vec<u8>>,
}

impl TileSpill<'_> {
    fn flush(&mut self, t: usize) -> Result<()> {
        let path = tile_file(self.work, t);
        let mut f = OpenOptions::new().create(true).append(true).open(&path).map_err(|e| Error::io(&path, e))?;
        f.write_all(&self.buffers[t]).map_err(|e| Error::io(&path, e))?;
        self.buffers[t].clear();
        Ok(())
    }

    /// Appends the points of `b` (the first has ordinal `ordinal`) to the tiles that hold them.
    fn push(&mut self, b: &PointBlock, ordinal: u64) -> Result<()> {
        let plan = self.plan;
        for i in 0..b.len() {
            let (x, y) = (b.x[i], b.y[i]);
            let Some(home) = plan.tile_of(x, y) else { continue };
            let (hc, hr) = (home % plan.cols, home / plan.cols);
            for row in hr.saturating_sub(1)..=(hr + 1).min(plan.rows - 1) {
                for col in hc.saturating_sub(1)..=(hc + 1).min(plan.cols - 1) {
                    let t = row * plan.cols + col;
                    if !plan.tiles[t].buffered.contains(x, y) {
                        continue;
                    }
                    let buf = &mut self.buffers[t];
                    buf.extend_from_slice(&x.to_le_bytes());
                    buf.extend_from_slice(&y.to_le_bytes());
                    buf.extend_from_slice(&b.z[i].to_le_bytes());
                    buf.push(b.classification[i]);
                    buf.push(b.flags[i]);
                    buf.extend_from_slice(&(ordinal + i as u64).to_le_bytes());
                    if buf.len() >= SPILL_BUFFER {
                        self.flush(t)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Pass 1: every point into the spill file of each tile whose buffered area holds it, and every
/// LAZ input's records into a record spill (returned per input; `None`: read the file again).
fn spill(
    inputs: &[PathBuf],
    patchable: &[bool],
    plan: &TilePlan,
    work: &Path,
    total: u64,
) -> Result<Vec<Option<RecordSpillReader>>> {
    let bar = crate::progress::bar(total, "spill");
    let mut tiles = TileSpill { plan, work, buffers: vec![Vec::new(); plan.tiles.len()] };
    let mut parked = Vec::with_capacity(inputs.len());
    let mut ordinal = 0u64;
    let mut b = PointBlock::default();
    for (k, p) in inputs.iter().enumerate() {
        let mut r = LasReader::open(p)?;
        let mut records = match r.info().is_compressed && !patchable[k] && k < MAX_RECORD_SPILLS {
            true => Some(RecordSpill::create(work, r.info())?),
            false => None,
        };
        let mut keys = None;
        if patchable[k] {
            // Pass 3 copies every layer but the classes: decode only what the filter and the
            // class layer need.
            r.skip_fields(SkipFields::all_but_geometry_and_appearance());
            let path = key_file(work, k);
            let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            keys = Some((path, std::io::BufWriter::with_capacity(1 << 20, f), Vec::new()));
        }
        while r.read_block_into(&mut b, DEFAULT_BLOCK)? {
            let (t, s) = rayon::join(
                || tiles.push(&b, ordinal),
                || -> Result<()> {
                    if let Some(s) = records.as_mut() {
                        s.push(&b)?;
                    }
                    if let Some((path, w, buf)) = keys.as_mut() {
                        push_keys(buf, &b);
                        w.write_all(buf).map_err(|e| Error::io(path, e))?;
                    }
                    Ok(())
                },
            );
            t?;
            s?;
            ordinal += b.len() as u64;
            bar.inc(b.len() as u64);
        }
        if let Some((path, w, _)) = keys {
            w.into_inner().map_err(|e| Error::io(&path, e.into_error()))?;
        }
        parked.push(records.map(RecordSpill::into_reader).transpose()?);
    }
    for t in 0..plan.tiles.len() {
        if !tiles.buffers[t].is_empty() {
            tiles.flush(t)?;
        }
    }
    bar.finish_and_clear();
    Ok(parked)
}

/// Pass 2: classify each buffered tile and store the owned points' classes at their ordinals.
fn classify_tiles(plan: &TilePlan, work: &Path, classes_path: &Path, total: u64, params: &GroundParams) -> Result<()> {
    let classes = File::create(classes_path).map_err(|e| Error::io(classes_path, e))?;
    classes.set_len(total).map_err(|e| Error::io(classes_path, e))?;
    let bar = crate::progress::bar(plan.tiles.len() as u64, "tiles");
    plan.tiles.par_iter().enumerate().try_for_each(|(t, tile)| -> Result<()> {
        let path = tile_file(work, t);
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut f) => f.read_to_end(&mut bytes).map_err(|e| Error::io(&path, e))?,
            Err(_) => {
                bar.inc(1);
                return Ok(());
            }
        };
        let _ = std::fs::remove_file(&path);
        let n = bytes.len() / RECORD;
        let (mut x, mut y, mut z) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut c, mut fl, mut ord) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for r in bytes.chunks_exact(RECORD) {
            let f = |k: usize| f64::from_le_bytes(r[k..k + 8].try_into().unwrap());
            x.push(f(0));
            y.push(f(8));
            z.push(f(16));
            c.push(r[24]);
            fl.push(r[25]);
            ord.push(u64::from_le_bytes(r[26..34].try_into().unwrap()));
        }
        drop(bytes);
        let new = classify(&x, &y, &z, &c, &fl, params);
        // Stored as class + 1 so that 0 means "not decided" (kept as read); 255 wraps to 0 and is
        // kept as read, which is what it would get anyway.
        let mut owned: Vec<(u64, u8)> =
            (0..n).filter(|&k| tile.owns(x[k], y[k])).map(|k| (ord[k], new[k].wrapping_add(1))).collect();
        owned.sort_unstable();
        // Write contiguous runs.
        let mut k = 0;
        while k < owned.len() {
            let start = owned[k].0;
            let mut run = vec![owned[k].1];
            while k + run.len() < owned.len() && owned[k + run.len()].0 == start + run.len() as u64 {
                run.push(owned[k + run.len()].1);
            }
            classes.write_at(&run, start).map_err(|e| Error::io(classes_path, e))?;
            k += run.len();
        }
        bar.inc(1);
        Ok(())
    })?;
    bar.finish_and_clear();
    Ok(())
}

/// Where pass 3 reads an input's points from (one per input file at a time, so size does not matter).
#[allow(clippy::large_enum_variant)]
enum Points {
    Parked(RecordSpillReader),
    File(LasReader),
}

impl Points {
    fn read_into(&mut self, b: &mut PointBlock, n: usize) -> Result<bool> {
        match self {
            Points::Parked(s) => s.read_block_into(b, n),
            Points::File(r) => r.read_block_into(b, n),
        }
    }
}

/// The files of pass 3.
struct Rewrite<'a> {
    inputs: &'a [PathBuf],
    outputs: &'a [PathBuf],
    /// Inputs rewritten by [`LazClassPatcher`] (their keys are in [`key_file`]).
    patchable: &'a [bool],
    work: &'a Path,
}

/// Pass 3: rewrite every input with the new classes.
fn rewrite(
    files: &Rewrite,
    parked: Vec<Option<RecordSpillReader>>,
    first_ordinal: &[u64],
    classes_path: &Path,
    crs: Option<&CrsInfo>,
) -> Result<()> {
    let classes = File::open(classes_path).map_err(|e| Error::io(classes_path, e))?;
    let bar = crate::progress::bar(*first_ordinal.last().unwrap_or(&0), "write");
    for (k, ((input, output), parked)) in files.inputs.iter().zip(files.outputs).zip(parked).enumerate() {
        if files.patchable[k] {
            let patcher = LazClassPatcher::open(input)?
                .ok_or_else(|| Error::bad_file(input, "changed while it was being classified"))?;
            let keys_path = key_file(files.work, k);
            let keys = File::open(&keys_path).map_err(|e| Error::io(&keys_path, e))?;
            let (mut buf, mut new) = (Vec::new(), Vec::new());
            patcher.write(output, |first, n, out| {
                buf.resize(n * KEY, 0);
                keys.read_exact_at(&mut buf, first * KEY as u64).map_err(|e| Error::io(&keys_path, e))?;
                new.resize(n, 0u8);
                classes.read_exact_at(&mut new, first_ordinal[k] + first).map_err(|e| Error::io(classes_path, e))?;
                for (key, &stored) in buf.chunks_exact(KEY).zip(&new) {
                    out.returns.push(key[0]);
                    out.scanner_channel.push(key[1]);
                    out.classification.push(if stored != 0 { stored - 1 } else { key[2] });
                }
                bar.inc(n as u64);
                Ok(())
            })?;
            let _ = std::fs::remove_file(&keys_path);
            continue;
        }
        let mut r = LasReader::open(input)?;
        if let Some(c) = crs {
            r.set_crs_override(c.clone());
        }
        // Formats 0–5 hold classes up to 31 only in 5 bits: high noise (18) fits, but LAS 1.2/1.3
        // readers know 7 as the only noise class, so 18 is written as 7 there.
        let legacy = r.info().point_format < 6;
        let opts = WriterOptions::like(r.info());
        // Whole LAZ chunks per block, so that every chunk of a block is compressed in parallel.
        let chunk = opts.laz_chunk_size.max(1) as usize;
        let block_len = (DEFAULT_BLOCK / chunk).max(1) * chunk;
        let mut w = LasWriter::create(output, opts)?;
        let mut points = match parked {
            Some(s) => Points::Parked(s),
            None => Points::File(r),
        };
        let mut ordinal = first_ordinal[k];
        let mut new = Vec::new();
        let (mut cur, mut next) = (PointBlock::default(), PointBlock::default());
        let mut more = points.read_into(&mut cur, block_len)?;
        while more {
            new.resize(cur.len(), 0u8);
            classes.read_exact_at(&mut new, ordinal).map_err(|e| Error::io(classes_path, e))?;
            for (c, &stored) in cur.classification.iter_mut().zip(&new) {
                if stored != 0 {
                    let n = stored - 1;
                    *c = if legacy && n == class::HIGH_NOISE { class::LOW_NOISE } else { n };
                }
            }
            ordinal += cur.len() as u64;
            // Read (and parse) the next block while this one is encoded and compressed.
            let (read, written) = rayon::join(|| points.read_into(&mut next, block_len), || w.write_block(&cur));
            written?;
            more = read?;
            bar.inc(cur.len() as u64);
            std::mem::swap(&mut cur, &mut next);
        }
        w.finish()?;
    }
    bar.finish_and_clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::points::flag;
    use zwilling_core::PointLayout;

    fn args(input: &Path, output: &Path, crs: Option<&str>) -> GroundArgs {
        GroundArgs {
            inputs: vec![input.to_path_buf()],
            output: output.to_path_buf(),
            crs: crs.map(str::to_string),
            keep_existing: false,
            no_noise: false,
            cell: None,
            slope: 0.15,
            window: 18.0,
            threshold: 0.5,
            scalar: 1.25,
            tile: 100.0,
        }
    }

    /// A flat 40 m × 40 m street (z = 0) with a 4 m high box (a parked van) on it, two scanner
    /// channels, two returns, colours and extra bytes, all points "unclassified" (1).
    fn street() -> PointBlock {
        let mut b = PointBlock::with_capacity(PointLayout::for_format(7, 1).unwrap(), 16_000);
        for i in 0..16_000usize {
            let (x, y) = ((i % 160) as f64 * 0.25, (i / 160) as f64 * 0.4);
            let van = (15.0..20.0).contains(&x) && (15.0..18.0).contains(&y);
            b.push_xyz(x, y, if van { 4.0 } else { 0.01 * (i % 3) as f64 }, class::UNCLASSIFIED);
            let k = b.len() - 1;
            b.flags[k] = ((i % 2) as u8) << flag::SCANNER_CHANNEL_SHIFT;
            (b.return_number[k], b.number_of_returns[k]) = (1 + (i % 2) as u8, 2);
            b.gps_time[k] = i as f64 * 1e-5;
            b.rgb[k] = [i as u16, 7, 9];
            b.extra[k] = i as u8;
            b.user_data[k] = (i % 11) as u8;
        }
        b
    }

    /// The layered-LAZ path (classification layer re-encoded, other layers copied) gives the same
    /// points as the full rewrite (taken when `--crs` changes the records): the classes SMRF
    /// gives (street ground, van not) and every other attribute as in the input.
    #[test]
    fn patched_laz_equals_full_rewrite() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("street.laz");
        let scene = street();
        let opts = WriterOptions {
            point_format: 7,
            extra_bytes: 1,
            laz_chunk_size: 5000,
            offset: [0.0; 3],
            ..WriterOptions::default()
        };
        let mut w = LasWriter::create(&input, opts).unwrap();
        w.write_block(&scene).unwrap();
        w.finish().unwrap();
        let (patched, full) = (d.path().join("patched.laz"), d.path().join("full.laz"));
        run(args(&input, &patched, None)).unwrap();
        run(args(&input, &full, Some("EPSG:25832"))).unwrap();
        let read = |p: &Path| {
            let mut r = LasReader::open(p).unwrap();
            let mut b = PointBlock::default();
            r.read_block_into(&mut b, 100_000).unwrap();
            b
        };
        let (p, f) = (read(&patched), read(&full));
        assert_eq!(p.classification, f.classification);
        let ground = |i: usize| p.classification[i] == class::GROUND;
        let van: Vec<usize> = (0..p.len()).filter(|&i| scene.z[i] > 1.0).collect();
        assert!(!van.is_empty() && van.iter().all(|&i| !ground(i)), "the van is not ground");
        let street_ground = (0..p.len()).filter(|&i| scene.z[i] < 1.0 && ground(i)).count();
        assert!(street_ground as f64 > 0.95 * (p.len() - van.len()) as f64, "{street_ground} street points ground");
        let mut expected = read(&input);
        expected.classification = p.classification.clone();
        assert!(p == expected, "every other attribute as read");
    }
}
