//! The dispatcher every worker runs: deliveries due are pushed to the `webhooks` queue
//! (one dispatcher wins each row), and what a dead worker or a lost queue left is put
//! back. The rows are the truth; the queue only carries attempts that are due.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use onboard_shared::{jobs::WebhookJob, queue::QueueError, telemetry::Chain, webhooks::deliveries};
use sea_orm::DbErr;
use tracing::{debug, warn};

use crate::context::JobContext;

/// How often a worker looks for deliveries due.
const EVERY: Duration = Duration::from_millis(500);
/// How often it looks for deliveries left behind.
const RESCUE_EVERY: u32 = 10;
/// Deliveries pushed in one pass.
const BATCH: u64 = 200;

pub async fn run(ctx: Arc<JobContext>) {
    let mut ticker = tokio::time::interval(EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pass = 0u32;
    let mut failing = false;
    loop {
        tokio::select! {
            _ = ctx.shutdown.stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let rescue = pass.is_multiple_of(RESCUE_EVERY);
        pass = pass.wrapping_add(1);
        match dispatch(&ctx, rescue).await {
            Ok(pushed) => {
                failing = false;
                if pushed > 0 {
                    debug!(pushed, "webhook deliveries pushed");
                }
            }
            Err(error) if !failing => {
                failing = true;
                warn!(error = %Chain(&error), "webhook dispatch failed; deliveries wait");
            }
            Err(error) => debug!(error = %Chain(&error), "webhook dispatch still failing"),
        }
    }
}

/// Why a pass pushed nothing; the rows wait for the next one.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("the deliveries could not be read or marked")]
    Db(#[from] DbErr),
    #[error("the queue refused the deliveries' jobs")]
    Queue(#[from] QueueError),
}

/// One pass; returns how many deliveries were pushed.
pub async fn dispatch(ctx: &JobContext, rescue: bool) -> Result<usize, DispatchError> {
    let now = Utc::now();
    if rescue {
        let lost_after =
            chrono::Duration::from_std(ctx.config.jobs.queue_lost_after).unwrap_or_default();
        deliveries::rescue(&ctx.db, now, now - lost_after).await?;
    }
    let due = deliveries::take_due(&ctx.db, now, BATCH).await?;
    let jobs = due
        .iter()
        .map(|&(delivery_id, attempts)| {
            (
                WebhookJob { delivery_id },
                Some(format!("webhook:{delivery_id}:{attempts}")),
            )
        })
        .collect();
    if let Err(error) = ctx.queue.push_many(jobs).await {
        for (id, _) in &due {
            deliveries::unpush(&ctx.db, *id).await.ok();
        }
        return Err(error.into());
    }
    Ok(due.len())
}
