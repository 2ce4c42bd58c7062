//! Runs whose worker went quiet: a running run whose heartbeat is older than the stuck
//! threshold is put back in the queue while retries remain, and failed once they are spent.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait, UpdateMany, sea_query::Expr,
};

use super::{RunStatus, lease};
use crate::{
    analytics,
    entities::analysis_run::{self, Column, Model},
};

/// The message of a run failed because its worker went quiet too often.
pub const TIMED_OUT: &str = "Analysis timed out and was reset";

/// What a pass over the stale runs did.
#[derive(Debug, Default)]
pub struct Stale {
    /// Put back in the queue, to be admitted again.
    pub reset: Vec<Model>,
    /// Failed: their retries were spent.
    pub failed: Vec<Model>,
}

/// Resets or fails the running runs whose heartbeat is older than `stuck_before`. Each
/// change is guarded by the stale heartbeat, so a run that came back to life is left alone.
pub async fn reset_or_fail<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    stuck_before: DateTime<Utc>,
    max_retries: i32,
) -> Result<Stale, DbErr> {
    let stuck = analysis_run::Entity::find()
        .filter(Column::Status.eq(RunStatus::Running))
        .filter(Column::HeartbeatAt.lt(stuck_before))
        .all(db)
        .await?;
    let mut outcome = Stale::default();
    for run in stuck {
        let guard = |u: UpdateMany<analysis_run::Entity>| {
            u.filter(Column::Id.eq(run.id))
                .filter(Column::Status.eq(RunStatus::Running))
                .filter(Column::HeartbeatAt.lt(stuck_before))
        };
        if run.retry_count < max_retries {
            let reset = guard(lease::requeue(analysis_run::Entity::update_many(), true))
                .exec_with_returning(db)
                .await?;
            outcome.reset.extend(reset);
        } else {
            let now = Utc::now();
            let txn = db.begin().await?;
            let ended = guard(analysis_run::Entity::update_many())
                .col_expr(Column::Status, Expr::value(RunStatus::Failed))
                .col_expr(Column::ErrorMessage, Expr::value(TIMED_OUT))
                .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
                .col_expr(Column::CompletedAt, Expr::value(now))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .exec_with_returning(&txn)
                .await?;
            for run in &ended {
                analytics::record_run_end(&txn, run).await?;
            }
            txn.commit().await?;
            outcome.failed.extend(ended);
        }
    }
    Ok(outcome)
}
