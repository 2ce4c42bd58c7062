//! Monitor: runs whose heartbeat went quiet are reset (re-enqueued while retries remain,
//! else failed), queued runs the queue has lost are pushed again, and the onboarding
//! completion rate of the last 24 hours is reported, with an alert below the threshold.
//! Guests idle past the abandonment threshold are marked abandoned, and the daily analytics
//! rows are refreshed.
//! Maintenance runs of its own kind get the same care: one a dead worker left `running` is
//! failed, and one whose push the queue lost is pushed again.

use chrono::Utc;
use onboard_shared::telemetry::Chain;
use onboard_shared::{
    analytics,
    entities::{analysis_run, guest_session, maintenance_run},
    jobs::MaintenanceKind,
    maintenance,
    progress::RunStatus,
    runs,
};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde_json::{Value, json};
use tracing::warn;

use super::{abandonment, daily_stats};
use crate::context::JobContext;

pub const TIMED_OUT: &str = "Analysis timed out and was reset";
/// A maintenance run whose worker stopped before it finished.
pub const INTERRUPTED: &str = "Interrupted: the worker running it stopped";
/// A maintenance run the queue lost while a later run of its kind was already waiting.
pub const SUPERSEDED: &str = "Skipped: a later run of the same kind replaced it";

pub async fn run(ctx: &JobContext) -> Result<Value, DbErr> {
    let now = Utc::now();
    let jobs = &ctx.config.jobs;
    let stuck_before = now - chrono::Duration::from_std(jobs.stuck_threshold).unwrap_or_default();
    let stuck = analysis_run::Entity::find()
        .filter(analysis_run::Column::Status.eq(RunStatus::Running.as_str()))
        .filter(analysis_run::Column::HeartbeatAt.lt(stuck_before))
        .all(&ctx.db)
        .await?;

    let (mut reset, mut failed) = (0, 0);
    for run in stuck {
        use analysis_run::Column as C;
        // Guarded by the stale heartbeat, so a run that came back to life is left alone.
        let guard = |u: sea_orm::UpdateMany<analysis_run::Entity>| {
            u.filter(C::Id.eq(run.id))
                .filter(C::Status.eq(RunStatus::Running.as_str()))
                .filter(C::HeartbeatAt.lt(stuck_before))
        };
        if run.retry_count < jobs.max_retries {
            let updated = guard(analysis_run::Entity::update_many())
                .col_expr(C::Status, Expr::value(RunStatus::Queued.as_str()))
                .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
                .col_expr(
                    C::HeartbeatAt,
                    Expr::value(Option::<chrono::DateTime<Utc>>::None),
                )
                .col_expr(C::RetryCount, Expr::col(C::RetryCount).add(1))
                .col_expr(C::QueuedAt, Expr::value(now))
                .col_expr(
                    C::PushedAt,
                    Expr::value(Option::<chrono::DateTime<Utc>>::None),
                )
                .col_expr(C::UpdatedAt, Expr::value(now))
                .exec(&ctx.db)
                .await?;
            if updated.rows_affected == 1 {
                reset += 1;
                ctx.queue.progress_feed().guest(run.guest_uuid).await;
            }
        } else {
            let txn = ctx.db.begin().await?;
            let ended = guard(analysis_run::Entity::update_many())
                .col_expr(C::Status, Expr::value(RunStatus::Failed.as_str()))
                .col_expr(C::ErrorMessage, Expr::value(TIMED_OUT))
                .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
                .col_expr(C::CompletedAt, Expr::value(now))
                .col_expr(C::UpdatedAt, Expr::value(now))
                .exec_with_returning(&txn)
                .await?;
            for run in &ended {
                analytics::record_run_end(&txn, run).await?;
            }
            txn.commit().await?;
            failed += ended.len() as u64;
            if !ended.is_empty() {
                ctx.queue.progress_feed().guest(run.guest_uuid).await;
            }
        }
    }

    // Queued runs pushed a while ago that no worker has claimed: the queue may have lost
    // them (Redis restarted or flushed). They are pushed again; where the queue still holds
    // them the idempotency key drops the push.
    let lost_before = now - chrono::Duration::from_std(jobs.queue_lost_after).unwrap_or_default();
    let repushed = runs::repush_older_than(&ctx.db, lost_before).await?;
    let admitted = match runs::admit(&ctx.db, &ctx.queue, ctx.config.limits.slots_per_client).await
    {
        Ok(admitted) => admitted,
        Err(runs::AdmitError::Db(e)) => return Err(e),
        Err(runs::AdmitError::Queue(error)) => {
            warn!(error = %Chain(&error), "queue unavailable; queued runs wait for it");
            0
        }
    };

    let recovered = recover_maintenance(ctx, now, lost_before).await?;

    let idle_before = now - chrono::Duration::from_std(jobs.abandon_after).unwrap_or_default();
    let abandoned = abandonment::mark(&ctx.db, idle_before, now).await?;
    // After the marking, so today's row counts the guests just marked.
    let stats_days = daily_stats::refresh(&ctx.db, now.date_naive()).await?;

    let since = now - chrono::Duration::hours(24);
    let started = guest_session::Entity::find()
        .filter(guest_session::Column::CreatedAt.gte(since))
        .count(&ctx.db)
        .await?;
    let completed = guest_session::Entity::find()
        .filter(guest_session::Column::CreatedAt.gte(since))
        .filter(guest_session::Column::OnboardingCompletedAt.is_not_null())
        .count(&ctx.db)
        .await?;
    let rate = if started == 0 {
        None
    } else {
        Some(completed as f64 / started as f64)
    };
    {
        use onboard_shared::metrics::*;
        metrics::counter!(RUNS_RESET).increment(reset);
        metrics::counter!(RUNS_TIMED_OUT).increment(failed);
        metrics::counter!(GUESTS_ABANDONED).increment(abandoned);
        metrics::counter!(RUNS_REENQUEUED).increment(repushed);
        if let Some(rate) = rate {
            metrics::gauge!(COMPLETION_RATE).set(rate);
        }
    }
    if let Some(rate) = rate
        && rate < jobs.completion_alert_below
    {
        warn!(
            alert = "completion_rate_low",
            rate,
            threshold = jobs.completion_alert_below,
            started,
            completed,
            "onboarding completion rate over the last 24 hours is below the threshold"
        );
    }
    Ok(json!({
        "runsReset": reset,
        "runsFailed": failed,
        "runsRepushed": repushed,
        "runsAdmitted": admitted,
        "maintenanceInterrupted": recovered.interrupted,
        "maintenanceRepushed": recovered.repushed,
        "maintenanceSuperseded": recovered.superseded,
        "guestsStarted24h": started,
        "guestsCompleted24h": completed,
        "completionRate24h": rate,
        "guestsAbandoned": abandoned,
        "statsDaysAggregated": stats_days,
    }))
}

#[derive(Debug, Default)]
struct Recovered {
    interrupted: u64,
    repushed: u64,
    superseded: u64,
}

/// Maintenance rows a worker's death or a queue outage left behind. A run still `running`
/// after the job timeout (apalis has dropped its handler by then) is failed; a run `queued`
/// since before `lost_before` is pushed again, the newest of each kind only: after a long
/// outage one cleanup and one monitor catch up, not one per missed slot.
async fn recover_maintenance(
    ctx: &JobContext,
    now: chrono::DateTime<Utc>,
    lost_before: chrono::DateTime<Utc>,
) -> Result<Recovered, DbErr> {
    use maintenance_run::Column as C;
    let mut recovered = Recovered::default();
    let timeout = ctx.config.jobs.job_timeout + std::time::Duration::from_secs(60);
    let dead_before = now - chrono::Duration::from_std(timeout).unwrap_or_default();
    recovered.interrupted = maintenance_run::Entity::update_many()
        .col_expr(C::Status, Expr::value("failed"))
        .col_expr(C::ErrorMessage, Expr::value(INTERRUPTED))
        .col_expr(C::FinishedAt, Expr::value(now))
        .filter(C::Status.eq("running"))
        .filter(C::StartedAt.lt(dead_before))
        .exec(&ctx.db)
        .await?
        .rows_affected;

    let waiting = maintenance_run::Entity::find()
        .filter(C::Status.eq("queued"))
        .filter(C::QueuedAt.lt(lost_before))
        .order_by_desc(C::QueuedAt)
        .order_by_desc(C::Id)
        .all(&ctx.db)
        .await?;
    let mut repushed_kinds = Vec::new();
    for row in waiting {
        let Some(kind) = MaintenanceKind::parse(&row.kind) else {
            continue;
        };
        if repushed_kinds.contains(&kind) {
            recovered.superseded += maintenance_run::Entity::update_many()
                .col_expr(C::Status, Expr::value("failed"))
                .col_expr(C::ErrorMessage, Expr::value(SUPERSEDED))
                .col_expr(C::FinishedAt, Expr::value(now))
                .filter(C::Id.eq(row.id))
                .filter(C::Status.eq("queued"))
                .exec(&ctx.db)
                .await?
                .rows_affected;
            continue;
        }
        repushed_kinds.push(kind);
        match maintenance::push(&ctx.queue, kind, row.id).await {
            Ok(()) => recovered.repushed += 1,
            Err(error) => {
                warn!(error = %Chain(&error), run_id = row.id, "queue unavailable; maintenance run waits")
            }
        }
    }
    Ok(recovered)
}
