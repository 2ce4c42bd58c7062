//! `onboard-worker`: runs the job pools, or enqueues a maintenance run for external cron.

use std::sync::Arc;

use anyhow::Context;
use onboard_shared::{
    Config, JobQueue, db,
    jobs::{MaintenanceKind, Trigger},
    maintenance,
};
use onboard_worker::{JobContext, runner};

const USAGE: &str = "usage: onboard-worker [run | migrate | enqueue cleanup|monitor]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing();
    let config = Arc::new(Config::from_env()?);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["run"] => run(config).await,
        ["migrate"] => {
            let db = db::connect(&Config {
                run_migrations: false,
                ..(*config).clone()
            })
            .await?;
            db::migrate(&db).await.context("running migrations")?;
            println!("migrations applied");
            Ok(())
        }
        ["enqueue", kind] => {
            let kind = MaintenanceKind::parse(kind)
                .with_context(|| format!("unknown job {kind:?}; {USAGE}"))?;
            let db = db::connect(&config)
                .await
                .context("connecting to the database")?;
            let queue = JobQueue::connect(&config)
                .await
                .context("connecting to the queue")?;
            let run = maintenance::enqueue(&db, &queue, kind, Trigger::Cli, None)
                .await?
                .context("the run was not created")?;
            println!(
                "{}",
                serde_json::json!({"runId": run.id, "kind": kind.as_str()})
            );
            Ok(())
        }
        _ => anyhow::bail!(USAGE),
    }
}

async fn run(config: Arc<Config>) -> anyhow::Result<()> {
    let db = db::connect(&config)
        .await
        .context("connecting to the database")?;
    let queue = JobQueue::connect(&config)
        .await
        .context("connecting to the queue")?;
    let ctx = Arc::new(JobContext::new(db, queue, config)?);
    runner::run(ctx, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn init_tracing() {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if std::env::var("ONBOARD_LOG_FORMAT").as_deref() == Ok("json") {
        fmt().json().with_env_filter(filter).init();
    } else {
        fmt().with_env_filter(filter).init();
    }
}
