//! Runs whose heartbeat went quiet for longer than the stuck threshold: put back in the
//! queue while retries remain, failed ("Analysis timed out and was reset") once spent. A
//! monitor run that finds any raises `alert.runs_stuck` (once, until a run finds none).

use chrono::{DateTime, Utc};
use onboard_shared::{
    alerts::{self, Alert},
    entities::analysis_run,
    runs::stale,
};
use sea_orm::{DbErr, TransactionTrait};
use serde_json::json;

use crate::context::JobContext;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct StuckRuns {
    pub reset: u64,
    pub failed: u64,
}

pub async fn reset_or_fail(ctx: &JobContext, now: DateTime<Utc>) -> Result<StuckRuns, DbErr> {
    let jobs = &ctx.config.jobs;
    let stuck_before = now - chrono::Duration::from_std(jobs.stuck_threshold).unwrap_or_default();
    // The resets and the alert they raise commit together (the outbox's rule).
    let txn = ctx.db.begin().await?;
    let outcome = stale::reset_or_fail(&txn, stuck_before, jobs.max_retries).await?;
    let id = |runs: &[analysis_run::Model]| runs.iter().map(|r| r.id).collect::<Vec<_>>();
    let found = !outcome.reset.is_empty() || !outcome.failed.is_empty();
    let details = json!({
        "reset": outcome.reset.len(),
        "failed": outcome.failed.len(),
        "resetRunIds": id(&outcome.reset),
        "failedRunIds": id(&outcome.failed),
        "stuckAfterSeconds": jobs.stuck_threshold.as_secs(),
    });
    alerts::observe(&txn, Alert::RunsStuck, found, details, now).await?;
    txn.commit().await?;
    for run in outcome.reset.iter().chain(&outcome.failed) {
        ctx.queue.progress_feed().guest(run.guest_uuid).await;
    }
    Ok(StuckRuns {
        reset: outcome.reset.len() as u64,
        failed: outcome.failed.len() as u64,
    })
}
