//! `onboard-api`: serves the API (and, with no Redis configured, runs the worker pools in
//! the same process), runs migrations, or prints the OpenAPI spec.

use std::sync::Arc;

use anyhow::Context;
use onboard_api::{AppState, bind, spec_yaml};
use onboard_shared::{Config, db, telemetry};
use onboard_worker::{JobContext, runner};
use tokio_util::sync::CancellationToken;

const USAGE: &str = "usage: onboard-api [serve | migrate | openapi]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("openapi") {
        print!("{}", spec_yaml());
        return Ok(());
    }
    telemetry::init_tracing();
    let config = Arc::new(Config::from_env()?);
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => serve(config).await,
        ["migrate"] => {
            db::migrate(&config).await.context("running migrations")?;
            println!("migrations applied");
            Ok(())
        }
        _ => anyhow::bail!(USAGE),
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
        let ctx = Arc::new(JobContext::new(db.clone(), queue.clone(), config.clone())?);
        let stop = stop.clone();
        Some(tokio::spawn(runner::run(ctx, async move {
            stop.cancelled().await
        })))
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
