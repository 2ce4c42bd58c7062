//! Runs whose heartbeat went quiet for longer than the stuck threshold: put back in the
//! queue while retries remain, failed ("Analysis timed out and was reset") once spent.

use chrono::{DateTime, Utc};
use onboard_shared::runs::stale;
use sea_orm::DbErr;

use crate::context::JobContext;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct StuckRuns {
    pub reset: u64,
    pub failed: u64,
}

pub async fn reset_or_fail(ctx: &JobContext, now: DateTime<Utc>) -> Result<StuckRuns, DbErr> {
    let jobs = &ctx.config.jobs;
    let stuck_before = now - chrono::Duration::from_std(jobs.stuck_threshold).unwrap_or_default();
    let outcome = stale::reset_or_fail(&ctx.db, stuck_before, jobs.max_retries).await?;
    for run in outcome.reset.iter().chain(&outcome.failed) {
        ctx.queue.progress_feed().guest(run.guest_uuid).await;
    }
    Ok(StuckRuns {
        reset: outcome.reset.len() as u64,
        failed: outcome.failed.len() as u64,
    })
}
