//! The time stepping of the local inertial scheme (see the module doc of [`super`]).

use rayon::prelude::*;
use zwilling_core::{Error, Grid, Result};

use super::{cfl_time_step, Boundary, Infiltration, MassBalance, SimulationConfig, G};
use crate::neighbours::ESRI_CODE;

/// Face rows per parallel block of the north–south flux update.
const Y_BLOCK: usize = 32;

/// Solves `q (1 + a |q|) = b` for `q` (friction implicit in the new discharge):
/// `q = 2b / (1 + √(1 + 4 a |b|))`, the rationalised root that stays exact as `a → 0`.
#[inline(always)]
fn implicit_friction(b: f32, a: f32) -> f32 {
    2.0 * b / (1.0 + (1.0 + 4.0 * a * b.abs()).sqrt())
}

/// `h^(−7/3)` for `h > 0` without `cbrt` or a division: `y ≈ h^(−1/3)` from the bit pattern
/// (the exponent divided by −3, as in the fast inverse square root), refined by three Newton steps
/// `y ← y (4 − h y³) / 3` (quadratic convergence: 3 % → 1e-3 → 1e-6 → f32 round-off), then
/// `y⁷`. The friction term `a = g Δt n² / h_f^{7/3}` needs it on every wet face, and libm's
/// `cbrtf` plus a division cost more than the whole rest of the face update.
#[inline(always)]
pub(super) fn pow_minus_7_3(h: f32) -> f32 {
    let mut y = f32::from_bits(0x54a2_fa8c_u32.wrapping_sub(h.to_bits() / 3));
    for _ in 0..3 {
        y = y * (4.0 - h * y * y * y) * (1.0 / 3.0);
    }
    let y2 = y * y;
    let y4 = y2 * y2;
    y4 * y2 * y
}

/// The D8 direction index (0 E, 1 NE, … 7 SE) nearest to the vector `(x east, y north)`:
/// `round(atan2(y, x) / 45°) mod 8` by comparisons with tan 22.5° = √2 − 1 instead of `atan2`
/// (identical except exactly on the 22.5° sector borders). Branch-free: the four comparisons
/// (mostly east–west, mostly north–south, x > 0, y > 0) index a table.
#[inline(always)]
pub(super) fn octant(x: f32, y: f32) -> usize {
    const T: f32 = std::f32::consts::SQRT_2 - 1.0;
    // bit 0: |y| ≤ T|x| (east or west); bit 1: |x| ≤ T|y| (north or south); bit 2: x ≥ 0; bit 3: y > 0
    const TABLE: [u8; 16] = [5, 4, 6, 4, 7, 0, 6, 0, 3, 4, 2, 4, 1, 0, 2, 0];
    let (ax, ay) = (x.abs(), y.abs());
    let i = usize::from(ay <= T * ax)
        | usize::from(ax <= T * ay) << 1
        | usize::from(x >= 0.0) << 2
        | usize::from(y > 0.0) << 3;
    TABLE[i] as usize
}

/// Constants of one face-discharge update.
#[derive(Clone, Copy)]
struct FaceConsts {
    /// Depth threshold of wet faces.
    thr: f32,
    /// θ.
    theta: f32,
    /// (1 − θ) / 2.
    side: f32,
    /// g Δt.
    gdt: f32,
    /// 1 / Δx across the face.
    inv_dx: f32,
    /// Δx / (4 Δt): a face takes at most a quarter of its upwind cell's water.
    lim: f32,
}

/// New discharge (per unit width, positive from cell `a` to cell `b`) on the face between them:
/// θ-weighted old discharge (`old`, `sides` = sum of the two parallel neighbours' old values),
/// water-surface gradient, implicit Manning friction, the quarter-volume limit; zero where the
/// face is dry (`h_f ≤ thr`) or a cell is inactive. Written without branches so the row loops
/// vectorise; the dry case computes with `h_f = thr` and is masked at the end.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn face_discharge(k: FaceConsts, za: f32, zb: f32, da: f64, db: f64, both: bool, old: f32, sides: f32, n2: f32) -> f32 {
    // water surfaces in f64: a lake at rest stays exactly at rest
    let (ea, eb) = (za as f64 + da, zb as f64 + db);
    let hf = (ea.max(eb) - za.max(zb) as f64) as f32;
    let wet = both & (hf > k.thr);
    let hs = hf.max(k.thr);
    let qa = k.theta * old + k.side * sides;
    let grad = (eb - ea) as f32 * k.inv_dx;
    let q = implicit_friction(qa - k.gdt * hs * grad, k.gdt * n2 * pow_minus_7_3(hs));
    let q = q.min((da as f32).max(0.0) * k.lim).max(-(db as f32).max(0.0) * k.lim);
    if wet {
        q
    } else {
        0.0
    }
}

/// Defines `fn $name(args) { body }` once: the body is compiled twice, for AVX2 (8 f32 / 4 f64
/// lanes instead of SSE2's 4 / 2, used when the CPU has it) and for the baseline, and `$name`
/// dispatches at run time. No FMA is enabled, so both do the same IEEE operations in the same
/// order: the same result bits on any x86-64.
macro_rules! with_avx2 {
    ($(#[$m:meta])* fn $name:ident($($a:ident: $t:ty),* $(,)?) $(-> $r:ty)? $body:block) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        fn $name($($a: $t),*) $(-> $r)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body($($a: $t),*) $(-> $r)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                fn wide($($a: $t),*) $(-> $r)? {
                    body($($a),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 (checked just above).
                    return unsafe { wide($($a),*) };
                }
            }
            body($($a),*)
        }
    };
}

with_avx2! {
    /// One row of faces: `out[f]` is the new discharge on the face between cells `f` and `f + 1` of
    /// the slices (`a` side, `b` side); `o_prev`, `o_cur`, `o_next` are the old discharges on the
    /// face before, on and after it along the flow direction.
    fn face_row(
        k: FaceConsts,
        za: &[f32],
        zb: &[f32],
        da: &[f64],
        db: &[f64],
        aa: &[u8],
        ab: &[u8],
        na: &[f32],
        nb: &[f32],
        o_prev: &[f32],
        o_cur: &[f32],
        o_next: &[f32],
        out: &mut [f32],
    ) {
        let m = out.len();
        let (za, zb, da, db, aa, ab) = (&za[..m], &zb[..m], &da[..m], &db[..m], &aa[..m], &ab[..m]);
        let (na, nb, o_prev, o_cur, o_next) = (&na[..m], &nb[..m], &o_prev[..m], &o_cur[..m], &o_next[..m]);
        for f in 0..m {
            let n2 = 0.5 * (na[f] + nb[f]);
            let both = (aa[f] & ab[f]) == 1;
            out[f] = face_discharge(k, za[f], zb[f], da[f], db[f], both, o_cur[f], o_prev[f] + o_next[f], n2);
        }
    }
}

/// Constants of one depth update.
#[derive(Clone, Copy)]
struct DepthConsts {
    /// Δt / Δx.
    dtdx: f64,
    /// Δt / Δy.
    dtdy: f64,
    /// Rain depth of the step (m).
    rain_dt: f64,
    /// Wet depth for maxima and velocity (m).
    wet: f64,
    /// Time at the end of the step (s).
    t_new: f32,
}

with_avx2! {
    /// New depths of one row from its face discharges (`qxr` the row's `w + 1` east–west faces, `qn`
    /// / `qs` its north and south faces); inactive cells stay dry.
    fn depth_row(k: DepthConsts, dr: &mut [f64], qxr: &[f32], qn: &[f32], qs: &[f32], act: &[u8]) {
        let w = dr.len();
        let (qw, qe, qn, qs, act) = (&qxr[..w], &qxr[1..w + 1], &qn[..w], &qs[..w], &act[..w]);
        for c in 0..w {
            let d = dr[c] + k.dtdx * (qw[c] as f64 - qe[c] as f64) + k.dtdy * (qn[c] as f64 - qs[c] as f64) + k.rain_dt;
            dr[c] = if act[c] != 0 { d } else { 0.0 };
        }
    }
}

with_avx2! {
    /// Running maxima of one row after its depth update (depth, speed, time of the maximum depth and
    /// the flow direction then); returns the row's largest depth. Dry cells (depth ≤ wet) only raise
    /// the maximum depth.
    fn maxima_row(
        k: DepthConsts,
        dr: &[f64],
        qxr: &[f32],
        qn: &[f32],
        qs: &[f32],
        hm: &mut [f32],
        vm: &mut [f32],
        tm: &mut [f32],
        dp: &mut [u8],
    ) -> f64 {
        let w = dr.len();
        let (qw, qe, qn, qs) = (&qxr[..w], &qxr[1..w + 1], &qn[..w], &qs[..w]);
        let (hm, vm, tm, dp) = (&mut hm[..w], &mut vm[..w], &mut tm[..w], &mut dp[..w]);
        let mut hmax = 0.0f64;
        for c in 0..w {
            let d = dr[c];
            hmax = hmax.max(d);
            let df = d as f32;
            let wet = d > k.wet;
            let half_inv_d = if wet { 0.5 / df } else { 0.0 };
            let u = (qw[c] + qe[c]) * half_inv_d;
            let v = (qn[c] + qs[c]) * half_inv_d;
            let speed = (u * u + v * v).sqrt();
            vm[c] = vm[c].max(speed);
            let higher = df > hm[c];
            if higher {
                hm[c] = df;
                if wet {
                    tm[c] = k.t_new;
                    dp[c] = if speed > 0.0 { ESRI_CODE[octant(u, -v)] } else { 0 };
                }
            }
        }
        hmax
    }
}

/// Mutable per-row slices of the depth update: row, depth, max depth, max speed, time of max,
/// direction at peak, Green-Ampt infiltrated depth.
type RowState<'a> =
    (usize, &'a mut [f64], &'a mut [f32], &'a mut [f32], &'a mut [f32], &'a mut [u8], Option<&'a mut [f32]>);

/// A running simulation: state on the grid and the accounts.
#[derive(Debug)]
pub struct Simulation {
    cfg: SimulationConfig,
    template: Grid<f32>,
    w: usize,
    h: usize,
    dx: f64,
    dy: f64,
    z: Vec<f32>,
    active: Vec<u8>,
    /// Number of active cells.
    active_cells: usize,
    depth: Vec<f64>,
    /// East–west face discharges per unit width, `(w + 1) · h`, positive eastwards.
    qx: Vec<f32>,
    /// North–south face discharges per unit width, `w · (h + 1)`, positive southwards.
    qy: Vec<f32>,
    n2: Vec<f32>,
    infiltrated: Vec<f32>,
    hmax: Vec<f32>,
    vmax: Vec<f32>,
    tmax: Vec<f32>,
    dir_peak: Vec<u8>,
    t: f64,
    h_max_now: f64,
    mb: MassBalance,
    snapshots: Vec<(f64, Grid<f32>)>,
    next_snapshot: usize,
    next_report: f64,
    outflow_since_report: f64,
    outflow_series: Vec<(f64, f64)>,
}

/// What a simulation produces.
#[derive(Debug, Clone)]
pub struct SimulationResult {
    /// Maximum depth (m) per cell over the run.
    pub max_depth: Grid<f32>,
    /// Maximum flow speed (m/s) per cell, where deeper than the wet depth.
    pub max_velocity: Grid<f32>,
    /// Time (s) of the maximum depth; NaN where never wet.
    pub time_of_max: Grid<f32>,
    /// Flow direction at the time of maximum depth as ESRI D8 code (0 = still or dry).
    pub flow_dir_at_peak: Grid<u8>,
    /// Depth at the end (m).
    pub final_depth: Grid<f32>,
    /// Depth snapshots at the requested times.
    pub snapshots: Vec<(f64, Grid<f32>)>,
    /// Mean outflow over the edges `(end of interval s, m³/s)` of every report interval.
    pub outflow_hydrograph: Vec<(f64, f64)>,
    /// Volumes.
    pub mass_balance: MassBalance,
}

impl Simulation {
    /// Sets up a simulation on `dem`; `initial_depth` (m per cell) defaults to dry.
    pub fn new(dem: &Grid<f32>, cfg: SimulationConfig, initial_depth: Option<Vec<f64>>) -> Result<Self> {
        let (w, h) = (dem.width, dem.height);
        let n = w * h;
        let (dx, dy) = (dem.transform.cell_x, dem.transform.cell_y);
        if n == 0 || !(dx > 0.0 && dy > 0.0) {
            return Err(Error::invalid("simulation needs a non-empty DEM with positive cell size"));
        }
        let cfl_ok = cfg.cfl > 0.0 && cfg.cfl <= 1.0;
        if !(cfl_ok && (0.0..=1.0).contains(&cfg.theta) && cfg.max_dt > 0.0) {
            return Err(Error::invalid(format!(
                "simulation: cfl must be in (0, 1], theta in [0, 1], max_dt > 0 (got {}, {}, {})",
                cfg.cfl, cfg.theta, cfg.max_dt
            )));
        }
        for b in [cfg.edges.north, cfg.edges.south, cfg.edges.east, cfg.edges.west] {
            if let Boundary::Normal { slope } = b {
                if !(slope > 0.0) {
                    return Err(Error::invalid(format!("normal-depth boundary needs a slope > 0, got {slope}")));
                }
            }
        }
        let len_ok = |v: usize, what: &str| {
            if v == n {
                Ok(())
            } else {
                Err(Error::invalid(format!("{what} has {v} cells, the DEM {n}")))
            }
        };
        let mut active: Vec<u8> = dem.data.iter().map(|&v| u8::from(!dem.is_nodata(v))).collect();
        if let Some(c) = &cfg.closed {
            len_ok(c.len(), "closed-cell mask")?;
            for (a, &c) in active.iter_mut().zip(c) {
                if c {
                    *a = 0;
                }
            }
        }
        let z: Vec<f32> = dem.data.iter().zip(&active).map(|(&v, &a)| if a == 1 { v } else { 0.0 }).collect();
        let n2 = match &cfg.manning_grid {
            Some(g) => {
                len_ok(g.len(), "Manning raster")?;
                g.iter().map(|&m| m * m).collect()
            }
            None => vec![(cfg.manning * cfg.manning) as f32],
        };
        let depth = match initial_depth {
            Some(d) => {
                len_ok(d.len(), "initial depth")?;
                d.iter().zip(&active).map(|(&h, &a)| if a == 1 { h.max(0.0) } else { 0.0 }).collect()
            }
            None => vec![0.0; n],
        };
        let infiltrated =
            if matches!(cfg.infiltration, Infiltration::GreenAmpt { .. }) { vec![0.0f32; n] } else { vec![] };
        let storage: f64 = depth.chunks(w).map(|r| r.iter().sum::<f64>()).collect::<Vec<_>>().iter().sum::<f64>();
        let h_max_now = depth.iter().fold(0.0f64, |a, &b| a.max(b));
        let mut template = dem.clone();
        template.data = vec![];
        let mb = MassBalance { initial_storage_m3: storage * dx * dy, ..Default::default() };
        let mut snapshot_times = cfg.snapshot_times.clone();
        snapshot_times.sort_by(f64::total_cmp);
        let cfg = SimulationConfig { snapshot_times, ..cfg };
        Ok(Simulation {
            template,
            w,
            h,
            dx,
            dy,
            z,
            active_cells: active.iter().filter(|&&a| a == 1).count(),
            active,
            depth,
            qx: vec![0.0; (w + 1) * h],
            qy: vec![0.0; w * (h + 1)],
            n2,
            infiltrated,
            hmax: vec![0.0; n],
            vmax: vec![0.0; n],
            tmax: vec![f32::NAN; n],
            dir_peak: vec![0; n],
            t: 0.0,
            h_max_now,
            mb,
            snapshots: vec![],
            next_snapshot: 0,
            next_report: cfg.report_interval_s,
            outflow_since_report: 0.0,
            outflow_series: vec![],
            cfg,
        })
    }

    /// Current simulated time (s).
    pub fn time(&self) -> f64 {
        self.t
    }

    /// Current depths (m), row-major.
    pub fn depth(&self) -> &[f64] {
        &self.depth
    }

    /// Bytes held by the per-cell state (terrain, mask, depth, face discharges, Manning, infiltration,
    /// maxima), the memory the solver needs per DEM cell.
    pub fn state_bytes(&self) -> usize {
        fn b<T>(v: &[T]) -> usize {
            std::mem::size_of_val(v)
        }
        b(&self.z)
            + b(&self.active)
            + b(&self.depth)
            + b(&self.qx)
            + b(&self.qy)
            + b(&self.n2)
            + b(&self.infiltrated)
            + b(&self.hmax)
            + b(&self.vmax)
            + b(&self.tmax)
            + b(&self.dir_peak)
    }

    /// Largest face discharge magnitude (m²/s) on the grid.
    pub fn max_abs_discharge(&self) -> f64 {
        self.qx.iter().chain(&self.qy).fold(0.0f64, |a, &q| a.max(q.abs() as f64))
    }

    /// The mass balance so far.
    pub fn mass_balance(&self) -> MassBalance {
        let mut mb = self.mb;
        mb.final_storage_m3 = self.storage();
        mb.simulated_s = self.t;
        mb.close();
        mb
    }

    fn storage(&self) -> f64 {
        let rows: Vec<f64> = self.depth.par_chunks(self.w).map(|r| r.iter().sum::<f64>()).collect();
        rows.iter().sum::<f64>() * self.dx * self.dy
    }

    /// Advances to `t_end`, calling `progress(t)` after every step.
    pub fn run_until(&mut self, t_end: f64, mut progress: impl FnMut(f64)) {
        while self.t < t_end - 1e-9 {
            let mut dt = cfl_time_step(self.cfg.cfl, self.dx.min(self.dy), self.h_max_now, self.cfg.max_dt);
            let mut limit = t_end.min(self.cfg.rain.next_change_after(self.t)).min(self.next_report);
            if let Some(&ts) = self.cfg.snapshot_times.get(self.next_snapshot) {
                limit = limit.min(ts.max(self.t));
            }
            if limit > self.t {
                dt = dt.min(limit - self.t);
            }
            self.step(dt);
            progress(self.t);
        }
    }

    /// One time step of `dt` seconds.
    pub fn step(&mut self, dt: f64) {
        let rain_dt = self.cfg.rain.rate_at(self.t + 0.5 * dt) * dt;
        self.update_qx(dt);
        self.update_qy(dt);
        let out = self.edge_outflow(dt);
        self.mb.outflow_m3 += out;
        self.outflow_since_report += out;
        let (h_max, infil, active_cells) = self.update_depth(dt, rain_dt);
        self.mb.rain_in_m3 += rain_dt * active_cells as f64 * self.dx * self.dy;
        self.mb.infiltration_m3 += infil * self.dx * self.dy;
        let mut h_max = h_max;
        for k in 0..self.cfg.inflows.len() {
            let p = &self.cfg.inflows[k];
            let q = p.discharge_at(self.t + 0.5 * dt);
            if p.col < self.w && p.row < self.h && q > 0.0 {
                let i = p.row * self.w + p.col;
                if self.active[i] == 1 {
                    self.depth[i] += q * dt / (self.dx * self.dy);
                    self.mb.inflow_m3 += q * dt;
                    h_max = h_max.max(self.depth[i]);
                }
            }
        }
        self.h_max_now = h_max;
        self.t += dt;
        self.mb.steps += 1;
        if self.t >= self.next_report - 1e-9 {
            self.outflow_series.push((self.t, self.outflow_since_report / self.cfg.report_interval_s));
            self.outflow_since_report = 0.0;
            self.next_report += self.cfg.report_interval_s;
        }
        while let Some(&ts) = self.cfg.snapshot_times.get(self.next_snapshot) {
            if self.t < ts - 1e-9 {
                break;
            }
            let g = self.template.with_data(self.depth.iter().map(|&d| d as f32).collect());
            self.snapshots.push((self.t, g));
            self.next_snapshot += 1;
        }
    }

    fn n2_at(&self, i: usize) -> f32 {
        if self.n2.len() == 1 {
            self.n2[0]
        } else {
            self.n2[i]
        }
    }

    /// Outward discharge per unit width at an edge cell for a boundary (≥ 0).
    fn edge_q(&self, b: Boundary, i: usize, width_limit: f32) -> f32 {
        if self.active[i] == 0 {
            return 0.0;
        }
        let hb = self.depth[i].max(0.0) as f32;
        if hb <= self.cfg.depth_threshold as f32 {
            return 0.0;
        }
        let q = match b {
            Boundary::Closed => 0.0,
            Boundary::Critical => hb * (G as f32 * hb).sqrt(),
            Boundary::Normal { slope } => hb.powf(5.0 / 3.0) * (slope as f32).sqrt() / self.n2_at(i).sqrt(),
        };
        q.min(hb * width_limit)
    }

    fn update_qx(&mut self, dt: f64) {
        let (w, thr, theta) = (self.w, self.cfg.depth_threshold as f32, self.cfg.theta as f32);
        let gdt = (G * dt) as f32;
        let lim = (self.dx / (4.0 * dt)) as f32;
        let inv_dx = (1.0 / self.dx) as f32;
        let west: Vec<f32> = (0..self.h).map(|r| -self.edge_q(self.cfg.edges.west, r * w, lim)).collect();
        let east: Vec<f32> = (0..self.h).map(|r| self.edge_q(self.cfg.edges.east, r * w + w - 1, lim)).collect();
        let (z, d, act) = (&self.z, &self.depth, &self.active);
        let n2s = &self.n2;
        let uniform = n2s.len() == 1;
        let k = FaceConsts { thr, theta, side: (1.0 - theta) * 0.5, gdt, inv_dx, lim };
        let n2_uniform = vec![n2s[0]; if uniform { w } else { 0 }];
        self.qx.par_chunks_mut(w + 1).enumerate().for_each_init(
            || vec![0.0f32; w + 1],
            |old, (r, row)| {
                old.copy_from_slice(row);
                let base = r * w;
                let m = w - 1;
                let (zl, zr) = (&z[base..base + m], &z[base + 1..base + w]);
                let (dl, dr) = (&d[base..base + m], &d[base + 1..base + w]);
                let (al, ar) = (&act[base..base + m], &act[base + 1..base + w]);
                let (nl, nr) = if uniform {
                    (&n2_uniform[..m], &n2_uniform[1..])
                } else {
                    (&n2s[base..base + m], &n2s[base + 1..base + w])
                };
                let (op, oc, on) = (&old[..m], &old[1..w], &old[2..w + 1]);
                face_row(k, zl, zr, dl, dr, al, ar, nl, nr, op, oc, on, &mut row[1..w]);
                row[0] = west[r];
                row[w] = east[r];
            },
        );
    }

    fn update_qy(&mut self, dt: f64) {
        let (w, h, thr, theta) = (self.w, self.h, self.cfg.depth_threshold as f32, self.cfg.theta as f32);
        let gdt = (G * dt) as f32;
        let lim = (self.dy / (4.0 * dt)) as f32;
        let inv_dy = (1.0 / self.dy) as f32;
        let north: Vec<f32> = (0..w).map(|c| -self.edge_q(self.cfg.edges.north, c, lim)).collect();
        let south: Vec<f32> = (0..w).map(|c| self.edge_q(self.cfg.edges.south, (h - 1) * w + c, lim)).collect();
        // Old values of the face rows just outside each block.
        let blocks = (h + 1).div_ceil(Y_BLOCK);
        let halo: Vec<(Vec<f32>, Vec<f32>)> = (0..blocks)
            .map(|b| {
                let (a, e) = (b * Y_BLOCK, ((b + 1) * Y_BLOCK).min(h + 1));
                let above = if a > 0 { self.qy[(a - 1) * w..a * w].to_vec() } else { vec![] };
                let below = if e <= h { self.qy[e * w..(e + 1) * w].to_vec() } else { vec![] };
                (above, below)
            })
            .collect();
        let (z, d, act) = (&self.z, &self.depth, &self.active);
        let n2s = &self.n2;
        let uniform = n2s.len() == 1;
        let k = FaceConsts { thr, theta, side: (1.0 - theta) * 0.5, gdt, inv_dx: inv_dy, lim };
        let n2_uniform = vec![n2s[0]; if uniform { w } else { 0 }];
        self.qy.par_chunks_mut(w * Y_BLOCK).enumerate().for_each(|(b, chunk)| {
            let a = b * Y_BLOCK;
            let rows = chunk.len() / w;
            let mut prev_old: Vec<f32> = if a > 0 { halo[b].0.clone() } else { chunk[..w].to_vec() };
            let mut cur_old = vec![0.0f32; w];
            for lr in 0..rows {
                let fr = a + lr;
                cur_old.copy_from_slice(&chunk[lr * w..(lr + 1) * w]);
                if fr == 0 {
                    chunk[..w].copy_from_slice(&north);
                } else if fr == h {
                    chunk[lr * w..(lr + 1) * w].copy_from_slice(&south);
                } else {
                    let (next_part, this) = {
                        let (head, tail) = chunk.split_at_mut((lr + 1) * w);
                        (tail, &mut head[lr * w..])
                    };
                    let next_old: &[f32] = if lr + 1 < rows { &next_part[..w] } else { &halo[b].1 };
                    let (nb, sb) = ((fr - 1) * w, fr * w);
                    let (zu, zs) = (&z[nb..nb + w], &z[sb..sb + w]);
                    let (du, ds) = (&d[nb..nb + w], &d[sb..sb + w]);
                    let (au, as_) = (&act[nb..nb + w], &act[sb..sb + w]);
                    let (nu, ns) =
                        if uniform { (&n2_uniform[..], &n2_uniform[..]) } else { (&n2s[nb..nb + w], &n2s[sb..sb + w]) };
                    let (po, co, no) = (&prev_old[..w], &cur_old[..w], &next_old[..w]);
                    face_row(k, zu, zs, du, ds, au, as_, nu, ns, po, co, no, &mut this[..w]);
                }
                std::mem::swap(&mut prev_old, &mut cur_old);
            }
        });
    }

    /// Volume (m³) leaving over the edges in this step, summed in a fixed order.
    fn edge_outflow(&self, dt: f64) -> f64 {
        let (w, h) = (self.w, self.h);
        let mut v = 0.0f64;
        for r in 0..h {
            v += (-(self.qx[r * (w + 1)] as f64) + self.qx[r * (w + 1) + w] as f64) * self.dy;
        }
        for c in 0..w {
            v += (-(self.qy[c] as f64) + self.qy[h * w + c] as f64) * self.dx;
        }
        v * dt
    }

    /// Depth update; returns (largest depth, infiltrated depth summed over cells, active cells).
    fn update_depth(&mut self, dt: f64, rain_dt: f64) -> (f64, f64, usize) {
        let w = self.w;
        let (dtdx, dtdy) = (dt / self.dx, dt / self.dy);
        let wet = self.cfg.wet_depth;
        let t_new = (self.t + dt) as f32;
        let infil = self.cfg.infiltration;
        let (qx, qy, act) = (&self.qx, &self.qy, &self.active);
        let ga = !self.infiltrated.is_empty();
        let mut dummy: Vec<f32> = vec![];
        let inf_rows: Vec<&mut [f32]> =
            if ga { self.infiltrated.chunks_mut(w).collect() } else { dummy.chunks_mut(1).take(0).collect() };
        let mut inf_iter = inf_rows.into_iter();
        let mut rows: Vec<RowState> = Vec::with_capacity(self.h);
        for (r, ((((dr, hm), vm), tm), dp)) in self
            .depth
            .chunks_mut(w)
            .zip(self.hmax.chunks_mut(w))
            .zip(self.vmax.chunks_mut(w))
            .zip(self.tmax.chunks_mut(w))
            .zip(self.dir_peak.chunks_mut(w))
            .enumerate()
        {
            rows.push((r, dr, hm, vm, tm, dp, if ga { inf_iter.next() } else { None }));
        }
        let k = DepthConsts { dtdx, dtdy, rain_dt, wet, t_new };
        let per_row: Vec<(f64, f64)> = rows
            .into_par_iter()
            .map(|(r, dr, hm, vm, tm, dp, mut fr)| {
                let qxr = &qx[r * (w + 1)..(r + 1) * (w + 1)];
                let (qn, qs) = (&qy[r * w..(r + 1) * w], &qy[(r + 1) * w..(r + 2) * w]);
                let ar = &act[r * w..(r + 1) * w];
                depth_row(k, dr, qxr, qn, qs, ar);
                let mut inf_row = 0.0f64;
                if !matches!(infil, Infiltration::None) {
                    for c in 0..w {
                        if ar[c] == 0 {
                            continue;
                        }
                        let cap = match infil {
                            Infiltration::None => 0.0,
                            Infiltration::Constant { rate } => rate * dt,
                            Infiltration::GreenAmpt { conductivity, suction, moisture_deficit } => {
                                let f = fr.as_ref().map_or(0.0, |f| f[c] as f64).max(1e-4);
                                conductivity * (1.0 + suction * moisture_deficit / f) * dt
                            }
                        };
                        if cap > 0.0 {
                            let taken = cap.min(dr[c].max(0.0));
                            dr[c] -= taken;
                            inf_row += taken;
                            if let Some(f) = fr.as_mut() {
                                f[c] += taken as f32;
                            }
                        }
                    }
                }
                (maxima_row(k, dr, qxr, qn, qs, hm, vm, tm, dp), inf_row)
            })
            .collect();
        let mut out = (0.0f64, 0.0f64, self.active_cells);
        for (a, b) in per_row {
            out.0 = out.0.max(a);
            out.1 += b;
        }
        out
    }

    /// Ends the run and hands out the result grids and the closed mass balance.
    pub fn finish(self) -> SimulationResult {
        let mb = self.mass_balance();
        let t = &self.template;
        let mut time_of_max = t.with_data(self.tmax);
        time_of_max.nodata = Some(f64::NAN);
        let mut max_depth = t.with_data(self.hmax);
        max_depth.nodata = None;
        let mut max_velocity = t.with_data(self.vmax);
        max_velocity.nodata = None;
        let mut flow_dir_at_peak = t.with_data(self.dir_peak);
        flow_dir_at_peak.nodata = None;
        let mut final_depth = t.with_data(self.depth.iter().map(|&d| d as f32).collect());
        final_depth.nodata = None;
        SimulationResult {
            max_depth,
            max_velocity,
            time_of_max,
            flow_dir_at_peak,
            final_depth,
            snapshots: self.snapshots,
            outflow_hydrograph: self.outflow_series,
            mass_balance: mb,
        }
    }
}
