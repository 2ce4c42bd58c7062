//! `onboard-api`: serves the API (and, with no Redis configured, runs the worker pools in
//! the same process), runs migrations, or prints the OpenAPI spec.

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use onboard_api::{AppState, bind, spec_yaml};
use onboard_shared::{Config, db, telemetry};
use tokio_util::sync::CancellationToken;

/// Onboard's HTTP API: guest sessions, onboarding configuration and the background
/// analysis of a customer's website. Configured by environment variables (and a `.env`
/// file); see the README for the list.
#[derive(Parser)]
#[command(name = "onboard-api", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API on ONBOARD_LISTEN (the default command). With no REDIS_URL the queue
    /// is the embedded SQLite one and the worker pools run in this process.
    Serve,
    /// Run pending database migrations on DATABASE_URL (or the embedded default) and exit.
    Migrate,
    /// Print the OpenAPI spec, as YAML, to standard output.
    Openapi,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        print!("{}", spec_yaml());
        return Ok(());
    }
    telemetry::init_tracing();
    let config = Arc::new(Config::from_env()?);
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            db::migrate(&config).await.context("running migrations")?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Openapi => unreachable!("answered above"),
    }
}

async fn serve(config: Arc<Config>) -> anyhow::Result<()> {
    let (db, queue) = onboard_shared::connect(&config).await?;
    let stop = CancellationToken::new();
    tokio::spawn({
        let stop = stop.clone();
        async move {
            telemetry::shutdown_signal().await;
            stop.cancel();
        }
    });

    let worker = if config.embedded_queue() {
        Some(embedded_worker(&db, &queue, &config, &stop)?)
    } else {
        None
    };

    let state = AppState::new(db, queue, config.clone());
    let (addr, server) = bind(config.listen, state, {
        let stop = stop.clone();
        async move { stop.cancelled().await }
    })
    .await
    .with_context(|| format!("binding {}", config.listen))?;
    tracing::info!(%addr, embedded_worker = worker.is_some(), "onboard api listening; docs at /docs");
    server.await?;
    if let Some(worker) = worker {
        worker.await??;
    }
    Ok(())
}

type WorkerTask = tokio::task::JoinHandle<anyhow::Result<()>>;

/// The worker pools in this process, for the embedded default (no Redis).
#[cfg(feature = "embedded-worker")]
fn embedded_worker(
    db: &sea_orm::DatabaseConnection,
    queue: &onboard_shared::JobQueue,
    config: &Arc<Config>,
    stop: &CancellationToken,
) -> anyhow::Result<WorkerTask> {
    use onboard_worker::{JobContext, runner};
    let ctx = Arc::new(JobContext::new(db.clone(), queue.clone(), config.clone())?);
    let stop = stop.clone();
    Ok(tokio::spawn(async move {
        runner::run(ctx, async move { stop.cancelled().await })
            .await
            .context("the embedded worker pools stopped")
    }))
}

#[cfg(not(feature = "embedded-worker"))]
fn embedded_worker(
    _: &sea_orm::DatabaseConnection,
    _: &onboard_shared::JobQueue,
    _: &Arc<Config>,
    _: &CancellationToken,
) -> anyhow::Result<WorkerTask> {
    anyhow::bail!(
        "this onboard-api was built without the embedded worker (feature `embedded-worker`): \
         set REDIS_URL and run onboard-worker processes, or build it with default features"
    )
}
