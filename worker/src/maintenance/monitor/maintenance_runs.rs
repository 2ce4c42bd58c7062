//! Maintenance rows a worker's death or a queue outage left behind. A run still `running`
//! after the job timeout (apalis has dropped its handler by then) is failed; a run `queued`
//! since before the lost-push threshold is pushed again, the newest of each kind only:
//! after a long outage one cleanup and one monitor catch up, not one per missed slot.

use chrono::{DateTime, Utc};
use onboard_shared::{maintenance, telemetry::Chain};
use sea_orm::DbErr;
use tracing::warn;

use crate::context::JobContext;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    pub interrupted: u64,
    pub repushed: u64,
    pub superseded: u64,
}

pub async fn recover(ctx: &JobContext, now: DateTime<Utc>) -> Result<Recovered, DbErr> {
    let jobs = &ctx.config.jobs;
    let mut recovered = Recovered::default();
    let timeout = jobs.job_timeout + std::time::Duration::from_secs(60);
    let dead_before = now - chrono::Duration::from_std(timeout).unwrap_or_default();
    recovered.interrupted = maintenance::fail_interrupted(&ctx.db, dead_before).await?;

    let lost_before = now - chrono::Duration::from_std(jobs.queue_lost_after).unwrap_or_default();
    let mut repushed_kinds = Vec::new();
    for row in maintenance::lost(&ctx.db, lost_before).await? {
        if repushed_kinds.contains(&row.kind) {
            recovered.superseded += u64::from(maintenance::supersede(&ctx.db, row.id).await?);
            continue;
        }
        repushed_kinds.push(row.kind);
        match maintenance::push(&ctx.queue, row.kind, row.id).await {
            Ok(()) => recovered.repushed += 1,
            Err(error) => {
                warn!(error = %Chain(&error), run_id = row.id, "queue unavailable; maintenance run waits")
            }
        }
    }
    Ok(recovered)
}
