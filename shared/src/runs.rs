//! Creating and (re-)enqueueing analysis runs. The row is written first, the job pushed
//! second: a failed push leaves a `queued` row that the monitor job re-enqueues.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    entities::analysis_run,
    jobs::AnalysisJob,
    progress::{RunStatus, StepName, initial_steps},
    queue::{JobQueue, QueueError},
};

/// Inserts a queued run for a guest and a site.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    site_id: i64,
    guest: Uuid,
) -> Result<analysis_run::Model, DbErr> {
    let now = Utc::now();
    analysis_run::ActiveModel {
        site_id: Set(site_id),
        guest_uuid: Set(guest),
        status: Set(RunStatus::Queued.as_str().to_owned()),
        steps: Set(serde_json::to_value(initial_steps()).expect("steps serialise")),
        current_step: Set(0),
        total_steps: Set(StepName::ALL.len() as i16),
        completion_percentage: Set(0),
        error_message: Set(None),
        retry_count: Set(0),
        pages_discovered: Set(0),
        pages_crawled: Set(0),
        pages_failed: Set(0),
        pages_skipped: Set(0),
        lease_owner: Set(None),
        heartbeat_at: Set(None),
        queued_at: Set(now),
        started_at: Set(None),
        completed_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Pushes the job for a queued run. The idempotency key names the run and the moment it
/// was queued, so a duplicate push of the same queueing is dropped while a re-queue (after
/// a release or a reset, which moves `queued_at`) goes through.
pub async fn enqueue(queue: &JobQueue, run: &analysis_run::Model) -> Result<(), QueueError> {
    let key = format!("run:{}:{}", run.id, run.queued_at.timestamp_micros());
    queue.push(AnalysisJob { run_id: run.id }, Some(&key)).await
}

/// Cancels the guest's active runs (only `run_id`, when given); returns how many. The worker
/// holding one notices at its next heartbeat, stops, and leaves the row as it is.
pub async fn cancel_active<C: ConnectionTrait>(
    db: &C,
    guest: Uuid,
    run_id: Option<i64>,
    reason: &str,
) -> Result<u64, DbErr> {
    let now = Utc::now();
    let mut update = analysis_run::Entity::update_many()
        .col_expr(
            analysis_run::Column::Status,
            Expr::value(RunStatus::Cancelled.as_str()),
        )
        .col_expr(analysis_run::Column::ErrorMessage, Expr::value(reason))
        .col_expr(analysis_run::Column::CompletedAt, Expr::value(now))
        .col_expr(analysis_run::Column::UpdatedAt, Expr::value(now))
        .filter(analysis_run::Column::GuestUuid.eq(guest))
        .filter(
            analysis_run::Column::Status
                .is_in([RunStatus::Queued.as_str(), RunStatus::Running.as_str()]),
        );
    if let Some(id) = run_id {
        update = update.filter(analysis_run::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}
