//! The maintenance schedules, evaluated inside every worker. Each replica wakes at every
//! slot of each cron expression and tries to record the run for `(kind, slot)`; the unique
//! row decides which replica's run it is, so with N replicas each slot runs exactly once.

use onboard_shared::telemetry::Chain;
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use onboard_shared::{
    config::Schedule,
    jobs::{MaintenanceKind, Trigger},
    maintenance,
};
use tracing::{debug, warn};

use crate::context::JobContext;

/// Runs the configured schedules until the worker stops taking jobs.
pub async fn run(ctx: Arc<JobContext>) {
    let jobs = &ctx.config.jobs;
    let schedules = [
        (MaintenanceKind::Monitor, jobs.monitor_cron.clone()),
        (MaintenanceKind::Cleanup, jobs.cleanup_cron.clone()),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for (kind, schedule) in schedules {
        if let Some(schedule) = schedule {
            tasks.spawn(fire(ctx.clone(), kind, schedule));
        }
    }
    tokio::select! {
        _ = ctx.shutdown.stop.cancelled() => {}
        _ = tasks.join_all() => {}
    }
}

async fn fire(ctx: Arc<JobContext>, kind: MaintenanceKind, schedule: Schedule) {
    let mut after = Utc::now();
    while let Some(slot) = schedule.after(&after).next() {
        if let Ok(wait) = (slot - Utc::now()).to_std() {
            tokio::time::sleep(wait).await;
        }
        // The slot's own time names it, so every replica names it alike.
        let name = slot.to_rfc3339_opts(SecondsFormat::Secs, true);
        match maintenance::enqueue(&ctx.db, &ctx.queue, kind, Trigger::Cron, Some(name)).await {
            Ok(Some(run)) => debug!(kind = kind.as_str(), run_id = run.id, %slot, "scheduled run"),
            Ok(None) => debug!(kind = kind.as_str(), %slot, "another replica has this slot"),
            Err(error) => {
                warn!(kind = kind.as_str(), %slot, error = %Chain(&error), "could not schedule a run")
            }
        }
        // A slot missed while this one was late is left to the other replicas.
        after = slot.max(Utc::now());
    }
}
