//! `onboard-worker`: runs the job pools, or enqueues a maintenance run for external cron.

use std::sync::Arc;

use anyhow::Context;
use onboard_shared::{
    Config, db,
    jobs::{MaintenanceKind, Trigger},
    maintenance, telemetry,
};
use onboard_worker::{JobContext, runner};

const USAGE: &str =
    "usage: onboard-worker [run | migrate | enqueue cleanup|monitor | extract [--url URL] FILE...]";

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
        ["extract", rest @ ..] => extract_files(rest),
        _ => anyhow::bail!(USAGE),
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

/// `extract [--url URL] FILE...`: one JSON object per input (a file of HTML, gzip-compressed
/// or not, or `-` for stdin), from the same code the pipeline runs.
fn extract_files(args: &[&str]) -> anyhow::Result<()> {
    use std::io::Read;

    let (url, files) = match args {
        ["--url", url, files @ ..] => (Some(*url), files),
        files => (None, files),
    };
    anyhow::ensure!(!files.is_empty(), USAGE);
    let base = url::Url::parse(url.unwrap_or("http://localhost/")).context("--url")?;
    for file in files {
        let mut bytes = Vec::new();
        if *file == "-" {
            std::io::stdin().read_to_end(&mut bytes)?;
        } else {
            bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
        }
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut plain)
                .with_context(|| format!("decompressing {file}"))?;
            bytes = plain;
        }
        let html = String::from_utf8_lossy(&bytes);
        let analysis = onboard_worker::extract::analyse(&html, &base, None, &[]);
        println!("{}", serde_json::json!({"input": file, "page": analysis}));
    }
    Ok(())
}
