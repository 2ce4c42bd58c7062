//! `onboard-worker`: runs the job pools, runs migrations, enqueues a maintenance run for
//! external cron, or prints what the pipeline finds on pages.

use std::{io::Read, path::PathBuf, sync::Arc};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use onboard_shared::{
    Config, db,
    jobs::{MaintenanceKind, Trigger},
    maintenance, telemetry,
};
use onboard_worker::{JobContext, runner};

/// Onboard's worker: the apalis job pools (analysis, cleanup, monitor, verification) over
/// the queue and database the environment names (REDIS_URL, DATABASE_URL; see the README).
#[derive(Parser)]
#[command(name = "onboard-worker", version, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the job pools until SIGTERM or Ctrl-C (runs in flight get
    /// ONBOARD_SHUTDOWN_GRACE_SECS, then go back to the queue). Serves /metrics and
    /// /healthz on ONBOARD_WORKER_METRICS_LISTEN.
    Run,
    /// Run pending database migrations and exit.
    Migrate,
    /// Queue a maintenance run now (for external cron); prints `{"runId", "kind"}`.
    Enqueue {
        /// Which maintenance job.
        kind: Kind,
    },
    /// Print what the pipeline finds on pages: one JSON object per input on standard
    /// output (main text, Markdown, metadata, language, category, FAQ pairs, quality,
    /// brand and channels). Needs no database or queue.
    Extract {
        /// The page's address, for resolving its links (default http://localhost/).
        #[arg(long)]
        url: Option<url::Url>,
        /// HTML files, gzip-compressed or not; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Cleanup,
    Monitor,
}

impl From<Kind> for MaintenanceKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Cleanup => MaintenanceKind::Cleanup,
            Kind::Monitor => MaintenanceKind::Monitor,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init_tracing();
    if let Command::Extract { url, files } = &cli.command {
        return extract_files(url.as_ref(), files);
    }
    let config = Arc::new(Config::from_env()?);
    match cli.command {
        Command::Run => run(config).await,
        Command::Migrate => {
            db::migrate(&config).await.context("running migrations")?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Enqueue { kind } => {
            let kind = MaintenanceKind::from(kind);
            let (db, queue) = onboard_shared::connect(&config).await?;
            let run = maintenance::enqueue(&db, &queue, kind, Trigger::Cli, None)
                .await?
                .context("the run was not created")?;
            println!(
                "{}",
                serde_json::json!({"runId": run.id, "kind": kind.as_str()})
            );
            Ok(())
        }
        Command::Extract { .. } => unreachable!("answered above"),
    }
}

async fn run(config: Arc<Config>) -> anyhow::Result<()> {
    let (db, queue) = onboard_shared::connect(&config).await?;
    let listen = config.worker_metrics_listen;
    let bound = onboard_worker::metrics_endpoint::serve(listen, queue.clone())
        .await
        .with_context(|| format!("ONBOARD_WORKER_METRICS_LISTEN: cannot listen on {listen}"))?;
    tracing::info!(%bound, "metrics listening on http://{bound}/metrics");
    let ctx = Arc::new(JobContext::new(db, queue, config)?);
    runner::run(ctx, telemetry::shutdown_signal()).await?;
    Ok(())
}

/// One JSON object per input on stdout, from the same code the pipeline runs; anything
/// else (logs, parser warnings) goes to stderr.
fn extract_files(url: Option<&url::Url>, files: &[PathBuf]) -> anyhow::Result<()> {
    let base = url
        .cloned()
        .unwrap_or_else(|| url::Url::parse("http://localhost/").expect("a valid URL"));
    for file in files {
        let name = file.display().to_string();
        let mut bytes = Vec::new();
        if name == "-" {
            std::io::stdin().read_to_end(&mut bytes)?;
        } else {
            bytes = std::fs::read(file).with_context(|| format!("reading {name}"))?;
        }
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut plain)
                .with_context(|| format!("decompressing {name}"))?;
            bytes = plain;
        }
        let html = String::from_utf8_lossy(&bytes);
        let analysis = onboard_worker::extract::analyse(&html, &base, None, &[]);
        println!("{}", serde_json::json!({"input": name, "page": analysis}));
    }
    Ok(())
}
