//! `zwilling`: street survey to digital twin.
//!
//! The binary is thin glue: it parses the command line (all flags and help text live in
//! `src/cmd/`), sets up logging and progress, and calls the library crates in `crates/`.

// `!(x > 0.0)` is used on purpose in argument checks: it rejects NaN as well as non-positive values.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod alloc_tuning;
mod cmd;
mod geoid;
mod pipeline;
mod progress;

use clap::Parser;

fn main() {
    let cli = cmd::Cli::parse();
    progress::init(cli.global.quiet, cli.global.verbose);
    if let Some(n) = cli.global.threads {
        // The global pool can only be built once; failing here means it already exists.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    }
    if let Err(e) = cmd::run(cli) {
        eprintln!("error: {e}");
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            eprintln!("  caused by: {s}");
            src = s.source();
        }
        std::process::exit(1);
    }
}
