//! The command line: every subcommand, its flags and help text.
//!
//! One file per subcommand; each defines its `Args` (clap derive) and a `run` function.

use clap::{Args, Parser, Subcommand};
use zwilling_core::Result;

pub mod cracks;
pub mod demo;
pub mod grid;
pub mod ground;
pub mod info;
pub mod init;
pub mod iri;
pub mod rain;
pub mod road;
pub mod run;
pub mod status;
pub mod synth;
pub mod tiles;
pub mod view;

/// zwilling — turn a city's street survey into its digital twin.
#[derive(Parser, Debug)]
#[command(name = "zwilling", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand accepts.
#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Print errors only, no progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Worker threads (default: all cores).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the whole pipeline on the bundled synthetic survey and print where the results are.
    Demo(demo::DemoArgs),
    /// Summarise LAS/LAZ files: points, bounds, CRS, format, classes, density, GPS time, VLRs.
    Info(info::InfoArgs),
    /// Generate a synthetic drive-through survey with known truth.
    Synth(synth::SynthArgs),
    /// Remove noise and classify ground points (SMRF), writing LAZ.
    Ground(ground::GroundArgs),
    /// Grid point clouds to rasters (DTM, DSM, nDSM, intensity, RGB, density) as COG.
    Grid(grid::GridArgs),
    /// International Roughness Index (ASTM E1926) of a longitudinal profile file.
    Iri(iri::IriArgs),
    /// Road condition (ZEB): profiles, IRI, ruts, water depth, potholes, grades → GeoPackage.
    Road(road::RoadArgs),
    /// Heavy-rain analysis: fill, sinks, flow paths, 2D rain-on-grid simulation, hazard and risk.
    Rain(rain::RainArgs),
    /// Pavement cracks: detect in images, evaluate against masks.
    Cracks(cracks::CracksArgs),
    /// Write 3D Tiles (CesiumJS) from point clouds.
    Tiles(tiles::TilesArgs),
    /// Serve a tileset and a CesiumJS viewer on localhost.
    View(view::ViewArgs),
    /// Run a pipeline described in a TOML file.
    Run(run::RunArgs),
    /// Write a commented pipeline template.
    Init(init::InitArgs),
    /// Show the progress of a pipeline run in an output folder.
    Status(status::StatusArgs),
    /// Print shell completions.
    Completions {
        /// Shell (bash, zsh, fish, powershell, elvish).
        shell: clap_complete::Shell,
    },
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Info(a) => info::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Ground(a) => ground::run(a),
        Command::Grid(a) => grid::run(a),
        Command::Iri(a) => iri::run(a),
        Command::Road(a) => road::run(a),
        Command::Rain(a) => rain::run(a),
        Command::Cracks(a) => cracks::run(a),
        Command::Tiles(a) => tiles::run(a),
        Command::View(a) => view::run(a),
        Command::Run(a) => run::run(a),
        Command::Init(a) => init::run(a),
        Command::Status(a) => status::run(a),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "zwilling", &mut std::io::stdout());
            Ok(())
        }
    }
}
