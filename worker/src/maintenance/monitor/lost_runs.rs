//! Queued runs pushed a while ago that no worker has claimed: the queue may have lost them
//! (Redis restarted or flushed). They are marked for admission again, and admitted; where
//! the queue still holds them, the idempotency key drops the second push.

use chrono::{DateTime, Utc};
use onboard_shared::{
    runs::{RunError, admission},
    telemetry::Chain,
};
use sea_orm::DbErr;
use tracing::warn;

use crate::context::JobContext;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct LostRuns {
    pub repushed: u64,
    pub admitted: u64,
}

pub async fn push_again(ctx: &JobContext, now: DateTime<Utc>) -> Result<LostRuns, DbErr> {
    let lost_after = ctx.config.jobs.queue_lost_after;
    let lost_before = now - chrono::Duration::from_std(lost_after).unwrap_or_default();
    let repushed = admission::repush_older_than(&ctx.db, lost_before).await?;
    let admitted = match crate::admission::admit(ctx).await {
        Ok(admitted) => admitted,
        Err(RunError::Db(e)) => return Err(e),
        Err(error) => {
            warn!(error = %Chain(&error), "queue unavailable; queued runs wait for it");
            0
        }
    };
    Ok(LostRuns { repushed, admitted })
}
