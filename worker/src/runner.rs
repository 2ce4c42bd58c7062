//! The apalis Monitor: five pools (analysis, cleanup, monitor, verification, webhooks), each with its own
//! concurrency, named per process, with a timeout on every job and CPU-heavy work kept off
//! the worker's own task (docs/architecture.md, §3).

use onboard_shared::telemetry::Chain;
use std::{future::Future, sync::Arc};

use apalis::prelude::*;
use onboard_shared::{
    config::JobsConfig,
    jobs::{
        AnalysisJob, CleanupJob, Job, MaintenanceKind, MonitorJob, VerificationJob, WebhookJob,
    },
    metrics::{JOB_DURATION, JOBS},
};
use tracing::{info, warn};

use crate::{context::JobContext, maintenance, pipeline, verification, webhooks};

async fn handle_analysis(job: AnalysisJob, ctx: Data<Arc<JobContext>>) -> Result<(), BoxDynError> {
    measured::<AnalysisJob, _>(&ctx, pipeline::run(&ctx, job.run_id)).await
}

async fn handle_cleanup(job: CleanupJob, ctx: Data<Arc<JobContext>>) -> Result<(), BoxDynError> {
    measured::<CleanupJob, _>(
        &ctx,
        maintenance::run(&ctx, MaintenanceKind::Cleanup, job.run_id),
    )
    .await
}

async fn handle_monitor(job: MonitorJob, ctx: Data<Arc<JobContext>>) -> Result<(), BoxDynError> {
    measured::<MonitorJob, _>(
        &ctx,
        maintenance::run(&ctx, MaintenanceKind::Monitor, job.run_id),
    )
    .await
}

async fn handle_verification(
    job: VerificationJob,
    ctx: Data<Arc<JobContext>>,
) -> Result<(), BoxDynError> {
    measured::<VerificationJob, _>(&ctx, verification::run(&ctx, job.verification_id)).await
}

async fn handle_webhook(job: WebhookJob, ctx: Data<Arc<JobContext>>) -> Result<(), BoxDynError> {
    measured::<WebhookJob, _>(&ctx, webhooks::deliver(&ctx, job.delivery_id)).await
}

/// Runs a handler, counting it by queue and outcome and timing it.
async fn measured<J: Job, E: Into<BoxDynError>>(
    ctx: &JobContext,
    work: impl Future<Output = Result<(), E>>,
) -> Result<(), BoxDynError> {
    let started = std::time::Instant::now();
    let result = work.await.map_err(Into::into);
    let outcome = if result.is_ok() { "ok" } else { "error" };
    if result.is_err() {
        ctx.failed_jobs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    metrics::counter!(JOBS, "queue" => J::NAME, "outcome" => outcome).increment(1);
    metrics::histogram!(JOB_DURATION, "queue" => J::NAME).record(started.elapsed().as_secs_f64());
    result
}

/// How long a pool waits before its `restarts`-th start: nothing the first time, then
/// doubling from half a second up to five, so a pool stopped by a backend outage does not
/// spin against the backend while it is away.
fn restart_pause(restarts: usize) -> std::time::Duration {
    match restarts {
        0 => std::time::Duration::ZERO,
        n => std::time::Duration::from_millis(500 << (n - 1).min(4)).min(MAX_RESTART_PAUSE),
    }
}

const MAX_RESTART_PAUSE: std::time::Duration = std::time::Duration::from_secs(5);

/// Builds one pool's worker over whichever storage the queue uses. A macro, because the
/// two backends' worker types differ and the builder chain must read the same for both.
macro_rules! pool {
    ($monitor:expr, $ctx:expr, $storage:ident, $job:ty, $concurrency:expr, $handler:expr) => {{
        let ctx = $ctx.clone();
        let storage = ctx
            .queue
            .$storage::<$job>()
            .expect("storage of the configured backend");
        let name = format!("{}-{}", ctx.name, <$job as Job>::NAME);
        let jobs = &ctx.config.jobs;
        let (poll, timeout, concurrency) =
            (jobs.poll_interval, jobs.job_timeout, $concurrency(jobs));
        $monitor.register(move |restarts| {
            let pause = restart_pause(restarts);
            let backend =
                storage
                    .clone()
                    .poll_with_interval(poll)
                    .before_start(move |_| async move {
                        tokio::time::sleep(pause).await;
                        Ok(())
                    });
            WorkerBuilder::new(name.clone())
                .backend(backend)
                .data(ctx.clone())
                .concurrency(concurrency)
                .timeout(timeout)
                .parallelize(tokio::spawn)
                .build($handler)
        })
    }};
}

/// Registers the pools over one backend's storages.
macro_rules! pools {
    ($monitor:expr, $ctx:expr, $storage:ident) => {{
        let m = pool!(
            $monitor,
            $ctx,
            $storage,
            AnalysisJob,
            |j: &JobsConfig| j.analysis_concurrency,
            handle_analysis
        );
        let m = pool!(
            m,
            $ctx,
            $storage,
            CleanupJob,
            |j: &JobsConfig| j.cleanup_concurrency,
            handle_cleanup
        );
        let m = pool!(
            m,
            $ctx,
            $storage,
            MonitorJob,
            |j: &JobsConfig| j.monitor_concurrency,
            handle_monitor
        );
        let m = pool!(
            m,
            $ctx,
            $storage,
            VerificationJob,
            |j: &JobsConfig| j.verification_concurrency,
            handle_verification
        );
        pool!(
            m,
            $ctx,
            $storage,
            WebhookJob,
            |_: &JobsConfig| $ctx.config.webhooks.concurrency,
            handle_webhook
        )
    }};
}

/// Runs every pool until `signal` resolves, then stops taking jobs, lets in-flight runs go
/// on for the grace period, and releases those still running.
pub async fn run(
    ctx: Arc<JobContext>,
    signal: impl Future<Output = ()> + Send + 'static,
) -> Result<(), MonitorError> {
    let monitor = Monitor::new().should_restart(|worker, error| {
        // A backend outage kills a worker; it comes back when the backend does.
        warn!(worker = worker.name(), error = %Chain(error), "worker stopped; restarting");
        true
    });
    let monitor = if ctx.queue.kind() == "redis" {
        pools!(monitor, ctx, redis_storage)
    } else {
        pools!(monitor, ctx, sqlite_storage)
    };

    let shutdown = ctx.shutdown.clone();
    let grace = ctx.config.jobs.shutdown_grace;
    info!(worker = %ctx.name, queue = ctx.queue.kind(), "worker pools starting");
    tokio::spawn(crate::admission::run(ctx.clone()));
    tokio::spawn(maintenance::schedule::run(ctx.clone()));
    tokio::spawn(webhooks::dispatch::run(ctx.clone()));
    monitor
        // Backstop: whatever is still running well after the grace period is dropped.
        .with_terminator(async move {
            tokio::time::sleep(grace * 2 + std::time::Duration::from_secs(5)).await
        })
        .run_with_signal(async move {
            signal.await;
            info!(
                "stopping: no new jobs; in-flight runs have {}s",
                grace.as_secs()
            );
            shutdown.stop.cancel();
            let release = shutdown.release.clone();
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                release.cancel();
            });
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn restarts_back_off_up_to_five_seconds() {
        let pauses: Vec<_> = (0..7).map(restart_pause).collect();
        assert_eq!(
            pauses,
            [0, 500, 1000, 2000, 4000, 5000, 5000].map(Duration::from_millis)
        );
    }
}
