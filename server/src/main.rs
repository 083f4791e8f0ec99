//! The `convo-export` binary: the sync server and its command line.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match convo_server::cli::run(convo_server::cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
