//! `zwilling run pipeline.toml`.

use clap::{Args, ValueEnum};
use std::path::PathBuf;
use zwilling_core::Result;

use crate::pipeline;
use crate::pipeline::slurm::{
    self,
    hydro::{Mosaic, TileCount},
};

/// Where the steps run.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Executor {
    /// On this machine, one step after the other, each on all cores.
    Local,
    /// As Slurm job arrays (one array task per step or tile), chained with afterok dependencies.
    Slurm,
    /// Write Kubernetes Indexed Job manifests to OUT/k8s (not run).
    K8sManifest,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The pipeline file (see `zwilling init`).
    pub config: PathBuf,
    /// Redo every step, even those an earlier run finished.
    #[arg(long)]
    pub force: bool,
    /// Print the run summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Only check the pipeline file and list the steps; do no work.
    #[arg(long)]
    pub check: bool,
    /// Where the steps run (see docs/cluster.md).
    #[arg(long, value_enum, default_value = "local")]
    pub executor: Executor,
    /// Also fill, route (D8) and accumulate the DTM tile-parallel on COLSxROWS tiles
    /// (Barnes 2016/2017) into OUT/hydro; one array task per tile on Slurm.
    #[arg(long, value_name = "COLSxROWS")]
    pub hydro_tiles: Option<TileCount>,
    /// With --hydro-tiles: `cog` writes OUT/hydro/{filled,d8,accumulation}.tif of the whole DTM on
    /// one node; `vrt` writes one COG per tile (OUT/hydro/tiles/*-<t>.tif) and GDAL VRTs
    /// OUT/hydro/*.vrt over them, so no task holds more than a tile (DTMs larger than a node's
    /// memory); `both` writes both.
    #[arg(long, value_enum, default_value = "cog", value_name = "HOW")]
    pub hydro_mosaic: Mosaic,
    /// Slurm partition.
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// Slurm time limit per array task, e.g. 2:00:00.
    #[arg(long, value_name = "T")]
    pub time: Option<String>,
    /// CPUs per Slurm array task (also zwilling's threads there).
    #[arg(long, value_name = "N")]
    pub cpus_per_task: Option<usize>,
    /// Slurm: list the tasks of the last submission that did not finish and resubmit only those.
    #[arg(long)]
    pub retry_failed: bool,
    /// Slurm: wait until the submitted jobs end and fail if a task did not finish.
    #[arg(long)]
    pub wait: bool,
    /// k8s-manifest: container image with the zwilling binary.
    #[arg(long, default_value = "zwilling:latest")]
    pub image: String,
    /// k8s-manifest: ReadWriteMany PersistentVolumeClaim holding inputs and outputs.
    #[arg(long, default_value = "zwilling-data")]
    pub claim: String,
    /// k8s-manifest: where the claim is mounted in the pods (default: the output folder's parent).
    #[arg(long)]
    pub mount: Option<PathBuf>,
    /// k8s-manifest: pods at once per stage.
    #[arg(long, default_value_t = 32)]
    pub parallelism: usize,
    /// Internal (cluster tasks): run only array task --task of the plan's job JOB (its stage name, or
    /// `<stage>-2`, `<stage>-3`, … for later jobs of the same stage).
    #[arg(long, hide = true, value_name = "JOB", requires = "task")]
    pub step: Option<String>,
    /// Internal (cluster tasks): the array index.
    #[arg(long, hide = true, requires = "step")]
    pub task: Option<usize>,
}

pub fn run(a: RunArgs) -> Result<()> {
    let cfg = pipeline::config::load(&a.config)?;
    if a.hydro_mosaic != Mosaic::Cog && a.hydro_tiles.is_none() {
        return Err(zwilling_core::Error::invalid("--hydro-mosaic needs --hydro-tiles COLSxROWS"));
    }
    let hydro_tiles = a.hydro_tiles.map(|t| t.with_mosaic(a.hydro_mosaic));
    if let (Some(stage), Some(task)) = (&a.step, a.task) {
        return slurm::run_task(&cfg, hydro_tiles, stage, task);
    }
    if a.check {
        for j in slurm::jobs(&cfg, hydro_tiles)? {
            for t in &j.tasks {
                match &t.work {
                    slurm::Work::Step(s) => println!("{:<16} zwilling {}", s.id, s.argv.join(" ")),
                    slurm::Work::Hydro(_) => println!("{:<16} (tile-parallel hydrology)", t.id),
                }
            }
        }
        return Ok(());
    }
    match a.executor {
        Executor::Slurm => {
            let opts = slurm::SlurmOptions {
                partition: a.partition,
                time: a.time,
                cpus_per_task: a.cpus_per_task,
                retry_failed: a.retry_failed,
                wait: a.wait,
                hydro_tiles,
            };
            slurm::submit(&cfg, &a.config, &opts)?;
            return Ok(());
        }
        Executor::K8sManifest => {
            let dir = cfg.out.join("k8s");
            let config = std::fs::canonicalize(&a.config).map_err(|e| zwilling_core::Error::io(&a.config, e))?;
            let mount = a.mount.clone().unwrap_or_else(|| cfg.out.parent().map(PathBuf::from).unwrap_or_default());
            let o = slurm::k8s::K8sOptions {
                image: a.image,
                claim: a.claim,
                mount,
                cpus: a.cpus_per_task.unwrap_or(4),
                parallelism: a.parallelism,
            };
            let files = slurm::k8s::write(&dir, &slurm::jobs(&cfg, hydro_tiles)?, &config, hydro_tiles, &o)?;
            eprintln!(
                "wrote {} Kubernetes manifests; apply them in order with {}",
                files.len() - 1,
                dir.join("run.sh").display()
            );
            return Ok(());
        }
        Executor::Local => {}
    }
    let summary = pipeline::execute(&cfg, a.force)?;
    if let Some(tiles) = hydro_tiles {
        // The tile-parallel hydrology, task by task on this machine (the same code the cluster runs).
        for j in slurm::jobs(&cfg, Some(tiles))?.iter().filter(|j| j.stage.starts_with("hydro/")) {
            for k in 0..j.tasks.len() {
                slurm::run_task(&cfg, Some(tiles), &j.id, k)?;
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary).expect("plain JSON"));
    } else if !crate::progress::quiet() {
        print!("{}", pipeline::summary_text(&summary));
    }
    Ok(())
}
