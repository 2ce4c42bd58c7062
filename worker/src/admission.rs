//! Admission (docs/architecture.md, §3): queued runs waiting as rows are pushed to the queue
//! as it drains,
//! by every worker, so a backlog of any size never holds more than
//! [`runs::admission::MAX_ADMITTED`] waiting jobs in the queue.

use onboard_shared::telemetry::Chain;
use std::{sync::Arc, time::Duration};

use onboard_shared::{flags, runs};
use tracing::{debug, info, warn};

use crate::context::JobContext;

/// How often a worker looks for runs to admit.
const EVERY: Duration = Duration::from_millis(500);

/// Admits queued runs until the worker stops taking jobs.
pub async fn run(ctx: Arc<JobContext>) {
    let mut ticker = tokio::time::interval(EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = ctx.shutdown.stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        match admit(&ctx).await {
            Ok(admitted) => {
                if failing {
                    info!("admission works again");
                }
                failing = false;
                if admitted > 0 {
                    debug!(admitted, "queued runs admitted");
                }
            }
            // The database or the queue is away: the rows wait, and the next tick tries
            // again (warned once per outage, not twice a second).
            Err(error) if !failing => {
                failing = true;
                warn!(error = %Chain(&error), "admission failed; queued runs wait");
            }
            Err(error) => debug!(error = %Chain(&error), "admission still failing"),
        }
    }
}

/// Admits queued runs unless the `analysis` kill switch is off (then they wait as rows).
pub async fn admit(ctx: &JobContext) -> Result<u64, runs::RunError> {
    if !ctx.flags.switch_on(flags::ANALYSIS).await? {
        return Ok(0);
    }
    runs::admission::admit(&ctx.db, &ctx.queue, ctx.config.limits.slots_per_client).await
}
