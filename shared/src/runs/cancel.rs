//! Cancelling: a queued or running run ends `cancelled` at once; the worker holding one
//! notices at its next heartbeat (its lease no longer matches) and stops.

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use super::RunStatus;
use crate::{analytics, entities::analysis_run};

/// Cancels the guest's active runs (only `run_id`, when given), recording each one's end;
/// returns how many.
pub async fn cancel_active<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    guest: Uuid,
    run_id: Option<i64>,
    reason: &str,
) -> Result<u64, DbErr> {
    let now = Utc::now();
    let mut update = analysis_run::Entity::update_many()
        .col_expr(
            analysis_run::Column::Status,
            Expr::value(RunStatus::Cancelled),
        )
        .col_expr(analysis_run::Column::ErrorMessage, Expr::value(reason))
        .col_expr(analysis_run::Column::CompletedAt, Expr::value(now))
        .col_expr(analysis_run::Column::UpdatedAt, Expr::value(now))
        .filter(analysis_run::Column::GuestUuid.eq(guest))
        .filter(analysis_run::Column::Status.is_in(RunStatus::ACTIVE));
    if let Some(id) = run_id {
        update = update.filter(analysis_run::Column::Id.eq(id));
    }
    let txn = db.begin().await?;
    let cancelled = update.exec_with_returning(&txn).await?;
    for run in &cancelled {
        analytics::record_run_end(&txn, run).await?;
    }
    txn.commit().await?;
    Ok(cancelled.len() as u64)
}
