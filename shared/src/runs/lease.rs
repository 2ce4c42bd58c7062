//! The lease a worker holds on a run while it works on it: claimed in one short statement,
//! refreshed by a heartbeat, released on shutdown. A second delivery of a run whose lease
//! is fresh does nothing, and a finished run is never claimed again.

use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, UpdateMany,
    sea_query::{Expr, ExprTrait},
};

use super::RunStatus;
use crate::entities::analysis_run::{self, Column};

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// This worker now holds the run.
    Acquired(Box<analysis_run::Model>),
    /// Another worker holds a fresh lease, or the run is finished or gone: nothing to do.
    NotClaimable(&'static str),
}

/// Takes the lease on a queued or running run whose lease is free or stale.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    run_id: i64,
    owner: &str,
    ttl: Duration,
) -> Result<Claim, DbErr> {
    let now = Utc::now();
    let stale_before = now - ChronoDuration::from_std(ttl).unwrap_or_default();
    // One statement takes the lease and reads the run back.
    let claimed = analysis_run::Entity::update_many()
        .col_expr(Column::LeaseOwner, Expr::value(owner))
        .col_expr(Column::HeartbeatAt, Expr::value(now))
        .col_expr(Column::Status, Expr::value(RunStatus::Running))
        .col_expr(Column::StartedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(run_id))
        .filter(Column::Status.is_in(RunStatus::ACTIVE))
        .filter(
            Condition::any()
                .add(Column::LeaseOwner.is_null())
                .add(Column::HeartbeatAt.is_null())
                .add(Column::HeartbeatAt.lt(stale_before)),
        )
        .exec_with_returning(db)
        .await?;
    if let Some(run) = claimed.into_iter().next() {
        return Ok(Claim::Acquired(Box::new(run)));
    }
    let run = analysis_run::Entity::find_by_id(run_id).one(db).await?;
    Ok(Claim::NotClaimable(match run {
        None => "the run no longer exists",
        Some(r) if !r.status.is_active() => "the run is finished",
        Some(_) => "another worker holds a fresh lease",
    }))
}

/// Refreshes the lease. `false` means it is no longer ours (reset, cancelled or taken).
pub async fn renew<C: ConnectionTrait>(db: &C, run_id: i64, owner: &str) -> Result<bool, DbErr> {
    let updated = analysis_run::Entity::update_many()
        .col_expr(Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(run_id))
        .filter(Column::LeaseOwner.eq(owner))
        .filter(Column::Status.eq(RunStatus::Running))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Gives the run back as `queued` so another worker can take it at once. Returns the run
/// when it was ours to release, so the caller can enqueue it again.
pub async fn release<C: ConnectionTrait>(
    db: &C,
    run_id: i64,
    owner: &str,
    count_retry: bool,
) -> Result<Option<analysis_run::Model>, DbErr> {
    Ok(requeue(analysis_run::Entity::update_many(), count_retry)
        .filter(Column::Id.eq(run_id))
        .filter(Column::LeaseOwner.eq(owner))
        .filter(Column::Status.eq(RunStatus::Running))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next())
}

/// The update that puts a running run back in the queue: no lease, queued now, waiting to
/// be pushed again. Released runs and runs the monitor resets go back the same way.
pub(super) fn requeue(
    update: UpdateMany<analysis_run::Entity>,
    count_retry: bool,
) -> UpdateMany<analysis_run::Entity> {
    let now = Utc::now();
    let update = update
        .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(
            Column::HeartbeatAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(Column::Status, Expr::value(RunStatus::Queued))
        .col_expr(Column::QueuedAt, Expr::value(now))
        .col_expr(
            Column::PushedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now));
    if count_retry {
        update.col_expr(Column::RetryCount, Expr::col(Column::RetryCount).add(1))
    } else {
        update
    }
}
