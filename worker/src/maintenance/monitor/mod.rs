//! The monitor job: six tasks in sequence, each with its own part of the report.
//! 1. [`stuck_runs`]: runs whose worker went quiet are put back in the queue, or failed
//!    once their retries are spent;
//! 2. [`lost_runs`]: queued runs the queue has lost are pushed again, and waiting ones
//!    admitted;
//! 3. [`maintenance_runs`]: maintenance runs a dead worker or a lost push left behind are
//!    failed or pushed again;
//! 4. idle, unfinished guests are marked abandoned (`abandonment`);
//! 5. the daily analytics rows are refreshed (`daily_stats`), after the marking so today's
//!    row counts the guests just marked;
//! 6. [`completion_alert`]: the 24-hour completion rate is reported, with an alert below
//!    the threshold.

pub mod completion_alert;
pub mod lost_runs;
pub mod maintenance_runs;
pub mod stuck_runs;

use chrono::Utc;
use onboard_shared::{
    maintenance::MonitorReport,
    metrics::{COMPLETION_RATE, GUESTS_ABANDONED, RUNS_REENQUEUED, RUNS_RESET, RUNS_TIMED_OUT},
};
use sea_orm::DbErr;

use super::{abandonment, daily_stats};
use crate::context::JobContext;

pub async fn run(ctx: &JobContext) -> Result<MonitorReport, DbErr> {
    let now = Utc::now();
    let jobs = &ctx.config.jobs;

    let stuck = stuck_runs::reset_or_fail(ctx, now).await?;
    let lost = lost_runs::push_again(ctx, now).await?;
    let recovered = maintenance_runs::recover(ctx, now).await?;
    let idle_before = now - chrono::Duration::from_std(jobs.abandon_after).unwrap_or_default();
    let abandoned = abandonment::mark(&ctx.db, idle_before, now).await?;
    let stats_days = daily_stats::refresh(&ctx.db, now.date_naive()).await?;
    let completion = completion_alert::check(ctx, now).await?;

    metrics::counter!(RUNS_RESET).increment(stuck.reset);
    metrics::counter!(RUNS_TIMED_OUT).increment(stuck.failed);
    metrics::counter!(GUESTS_ABANDONED).increment(abandoned);
    metrics::counter!(RUNS_REENQUEUED).increment(lost.repushed);
    if let Some(rate) = completion.rate {
        metrics::gauge!(COMPLETION_RATE).set(rate);
    }
    Ok(MonitorReport {
        runs_reset: stuck.reset,
        runs_failed: stuck.failed,
        runs_repushed: lost.repushed,
        runs_admitted: lost.admitted,
        maintenance_interrupted: recovered.interrupted,
        maintenance_repushed: recovered.repushed,
        maintenance_superseded: recovered.superseded,
        guests_started_24h: completion.started,
        guests_completed_24h: completion.completed,
        completion_rate_24h: completion.rate,
        guests_abandoned: abandoned,
        stats_days_aggregated: stats_days,
    })
}
