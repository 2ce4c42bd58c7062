//! Monitor: runs whose heartbeat went quiet are reset (re-enqueued while retries remain,
//! else failed), queued runs the queue has lost are pushed again, and the onboarding
//! completion rate of the last 24 hours is reported, with an alert below the threshold.

use chrono::Utc;
use onboard_shared::{
    entities::{analysis_run, guest_session},
    progress::RunStatus,
    runs,
};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use serde_json::{Value, json};
use tracing::warn;

use crate::context::JobContext;

pub const TIMED_OUT: &str = "Analysis timed out and was reset";

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
            let updated = guard(analysis_run::Entity::update_many())
                .col_expr(C::Status, Expr::value(RunStatus::Failed.as_str()))
                .col_expr(C::ErrorMessage, Expr::value(TIMED_OUT))
                .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
                .col_expr(C::CompletedAt, Expr::value(now))
                .col_expr(C::UpdatedAt, Expr::value(now))
                .exec(&ctx.db)
                .await?;
            failed += updated.rows_affected;
            if updated.rows_affected == 1 {
                ctx.queue.progress_feed().guest(run.guest_uuid).await;
            }
        }
    }

    // Queued runs pushed a while ago that no worker has claimed: the queue may have lost
    // them (Redis restarted or flushed). They are pushed again; where the queue still holds
    // them the idempotency key drops the push.
    let lost_before = now - chrono::Duration::from_std(jobs.queue_lost_after).unwrap_or_default();
    let repushed = runs::repush_older_than(&ctx.db, lost_before).await?;
    let admitted = match runs::admit(&ctx.db, &ctx.queue).await {
        Ok(admitted) => admitted,
        Err(runs::AdmitError::Db(e)) => return Err(e),
        Err(runs::AdmitError::Queue(error)) => {
            warn!(%error, "queue unavailable; queued runs wait for it");
            0
        }
    };

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
        "guestsStarted24h": started,
        "guestsCompleted24h": completed,
        "completionRate24h": rate,
    }))
}
