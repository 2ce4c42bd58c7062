//! `onboard-worker`: runs the job pools, or enqueues a maintenance run for external cron.

use std::sync::Arc;

use anyhow::Context;
use onboard_shared::{
    Config, db,
    jobs::{MaintenanceKind, Trigger},
    maintenance, telemetry,
};
use onboard_worker::{JobContext, runner};

const USAGE: &str = "usage: onboard-worker [run | migrate | enqueue cleanup|monitor]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init_tracing();
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
            db::migrate(&config).await.context("running migrations")?;
            println!("migrations applied");
            Ok(())
        }
        ["enqueue", kind] => {
            let kind = MaintenanceKind::parse(kind)
                .with_context(|| format!("unknown job {kind:?}; {USAGE}"))?;
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
        _ => anyhow::bail!(USAGE),
    }
}

async fn run(config: Arc<Config>) -> anyhow::Result<()> {
    let (db, queue) = onboard_shared::connect(&config).await?;
    let ctx = Arc::new(JobContext::new(db, queue, config)?);
    runner::run(ctx, telemetry::shutdown_signal()).await?;
    Ok(())
}
