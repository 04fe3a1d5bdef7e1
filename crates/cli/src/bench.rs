//! `evident bench ...`
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Ingest of one large file and many small files, beside SHA-256 and durable-write limits
    Ingest,
}

pub fn run(_which: &BenchCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet")
}
