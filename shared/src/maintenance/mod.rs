//! Creating and enqueueing maintenance runs (cleanup, monitor), from cron, the ops API or
//! the command line. Every run has its row; a cron slot's row is unique per kind, so with
//! many worker replicas each slot runs once.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, sea_query::Expr,
};
use serde_json::Value;

pub mod report;

pub use report::{CleanupReport, MonitorReport, Report};

use crate::{
    entities::maintenance_run::{self, Column},
    jobs::{CleanupJob, MaintenanceKind, MonitorJob, Trigger},
    queue::{JobQueue, QueueError},
};

pub use crate::entities::maintenance_run::MaintenanceStatus;

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("the maintenance run could not be recorded")]
    Db(#[from] DbErr),
    #[error("the maintenance run could not be queued")]
    Queue(#[from] QueueError),
}

/// Records a maintenance run and pushes its job. Returns `None` when the slot of this kind
/// already has its run (another replica got there first).
pub async fn enqueue(
    db: &DatabaseConnection,
    queue: &JobQueue,
    kind: MaintenanceKind,
    trigger: Trigger,
    slot: Option<String>,
) -> Result<Option<maintenance_run::Model>, EnqueueError> {
    let inserted = maintenance_run::ActiveModel {
        kind: Set(kind),
        trigger: Set(trigger),
        slot: Set(slot),
        status: Set(MaintenanceStatus::Queued),
        report: Set(serde_json::json!({})),
        error_message: Set(None),
        queued_at: Set(Utc::now()),
        started_at: Set(None),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await;
    let run = match inserted {
        Ok(run) => run,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    push(queue, kind, run.id).await?;
    Ok(Some(run))
}

/// Pushes the job for a maintenance run's row. The key names the row, so a second push of
/// a job the queue still holds is dropped.
pub async fn push(queue: &JobQueue, kind: MaintenanceKind, run_id: i64) -> Result<(), QueueError> {
    let key = format!("maintenance:{run_id}");
    match kind {
        MaintenanceKind::Cleanup => queue.push(CleanupJob { run_id }, Some(&key)).await,
        MaintenanceKind::Monitor => queue.push(MonitorJob { run_id }, Some(&key)).await,
    }
}

/// A maintenance run whose worker stopped before it finished.
pub const INTERRUPTED: &str = "Interrupted: the worker running it stopped";
/// A maintenance run the queue lost while a later run of its kind was already waiting.
pub const SUPERSEDED: &str = "Skipped: a later run of the same kind replaced it";

/// Takes a queued run for this worker (queued → running); false when another worker took
/// it or it is finished.
pub async fn claim<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool, DbErr> {
    Ok(maintenance_run::Entity::update_many()
        .col_expr(Column::Status, Expr::value(MaintenanceStatus::Running))
        .col_expr(Column::StartedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(MaintenanceStatus::Queued))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Records the end of a run: its report, or what went wrong.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    id: i64,
    outcome: Result<Report, String>,
) -> Result<(), DbErr> {
    let (status, report, error) = match outcome {
        Ok(report) => (MaintenanceStatus::Succeeded, report.to_value(), None),
        Err(error) => (
            MaintenanceStatus::Failed,
            Value::Object(Default::default()),
            Some(error),
        ),
    };
    maintenance_run::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::Report, Expr::value(report))
        .col_expr(Column::ErrorMessage, Expr::value(error))
        .col_expr(Column::FinishedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Fails the runs still `running` that started before `started_before` (their worker died:
/// the job timeout has long passed); returns how many.
pub async fn fail_interrupted<C: ConnectionTrait>(
    db: &C,
    started_before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(maintenance_run::Entity::update_many()
        .col_expr(Column::Status, Expr::value(MaintenanceStatus::Failed))
        .col_expr(Column::ErrorMessage, Expr::value(INTERRUPTED))
        .col_expr(Column::FinishedAt, Expr::value(Utc::now()))
        .filter(Column::Status.eq(MaintenanceStatus::Running))
        .filter(Column::StartedAt.lt(started_before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Runs still `queued` since before `queued_before` (the queue lost their push), newest
/// first.
pub async fn lost<C: ConnectionTrait>(
    db: &C,
    queued_before: DateTime<Utc>,
) -> Result<Vec<maintenance_run::Model>, DbErr> {
    maintenance_run::Entity::find()
        .filter(Column::Status.eq(MaintenanceStatus::Queued))
        .filter(Column::QueuedAt.lt(queued_before))
        .order_by_desc(Column::QueuedAt)
        .order_by_desc(Column::Id)
        .all(db)
        .await
}

/// Ends a lost queued run that a later one of its kind replaces; returns whether it did.
pub async fn supersede<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool, DbErr> {
    Ok(maintenance_run::Entity::update_many()
        .col_expr(Column::Status, Expr::value(MaintenanceStatus::Failed))
        .col_expr(Column::ErrorMessage, Expr::value(SUPERSEDED))
        .col_expr(Column::FinishedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(MaintenanceStatus::Queued))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// When the longest-waiting queued run of a kind was queued.
pub async fn oldest_queued_at<C: ConnectionTrait>(
    db: &C,
    kind: MaintenanceKind,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(maintenance_run::Entity::find()
        .select_only()
        .column_as(Column::QueuedAt.min(), "oldest")
        .filter(Column::Kind.eq(kind))
        .filter(Column::Status.eq(MaintenanceStatus::Queued))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten())
}

/// The latest runs (of one kind, when given), newest first.
pub async fn recent<C: ConnectionTrait>(
    db: &C,
    kind: Option<MaintenanceKind>,
    offset: u64,
    limit: u64,
) -> Result<Vec<maintenance_run::Model>, DbErr> {
    of_kind(kind)
        .order_by_desc(Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// How many runs (of one kind, when given) there are.
pub async fn count<C: ConnectionTrait>(
    db: &C,
    kind: Option<MaintenanceKind>,
) -> Result<u64, DbErr> {
    of_kind(kind).count(db).await
}

fn of_kind(kind: Option<MaintenanceKind>) -> sea_orm::Select<maintenance_run::Entity> {
    let query = maintenance_run::Entity::find();
    match kind {
        Some(kind) => query.filter(Column::Kind.eq(kind)),
        None => query,
    }
}
