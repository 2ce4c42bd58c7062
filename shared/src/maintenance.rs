//! Creating and enqueueing maintenance runs (cleanup, monitor), from cron, the ops API or
//! the command line. Every run has its row; a cron slot's row is unique per kind, so with
//! many worker replicas each slot runs once.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, SqlErr};

use crate::{
    entities::maintenance_run,
    jobs::{CleanupJob, MaintenanceKind, MonitorJob, Trigger},
    queue::{JobQueue, QueueError},
};

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
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
        kind: Set(kind.as_str().to_owned()),
        trigger: Set(trigger.as_str().to_owned()),
        slot: Set(slot),
        status: Set("queued".to_owned()),
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
