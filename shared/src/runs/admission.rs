//! Pushing runs' jobs to the queue. The row is written first, the job pushed second: a
//! failed push leaves a `queued` row that is pushed later.
//!
//! Admission: apalis-redis's fetch script fails once more than ~8,000 jobs are due at once,
//! so the queue only ever holds a bounded number of waiting analysis jobs. A run beyond
//! that waits as a `queued` row with no `pushed_at`, and every worker admits such rows,
//! oldest first, as the queue drains; one client address has at most a few runs pushed or
//! running at once, so it never holds every worker slot.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{RunError, RunStatus};
use crate::{entities::analysis_run, jobs::AnalysisJob, queue::JobQueue};

/// Waiting analysis jobs the queue may hold; far below the ~8,000 that break apalis-redis.
pub const MAX_ADMITTED: u64 = 1_000;

/// Pushes the job for a queued run when the queue has room and the run's client has fewer
/// than `slots_per_client` runs pushed or running, and records the push; else the run waits
/// for [`admit`]. Returns whether it was pushed.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    queue: &JobQueue,
    run: &analysis_run::Model,
    slots_per_client: usize,
) -> Result<bool, RunError> {
    if let Some(client) = &run.client_ip
        && in_flight_of(db, client).await? >= slots_per_client as u64
    {
        return Ok(false);
    }
    if queue.waiting::<AnalysisJob>().await? >= MAX_ADMITTED {
        return Ok(false);
    }
    push(db, queue, &[(run.id, run.queued_at)]).await?;
    Ok(true)
}

/// How long one admission may hold the lock; far longer than pushing 1,000 jobs takes, and
/// short enough that a worker dying while it holds the lock delays admission only briefly.
const ADMIT_LOCK_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// Pushes the oldest queued runs not yet pushed, as many as the queue has room for, and
/// for each client address no more than `slots_per_client` pushed or running at once (so
/// one address never holds every worker slot; its other runs wait their turn as rows).
/// One worker admits at a time (a lock in the queue), so replicas reading the same room do
/// not fill it twice; one that finds the lock taken admits nothing this time.
pub async fn admit<C: ConnectionTrait>(
    db: &C,
    queue: &JobQueue,
    slots_per_client: usize,
) -> Result<u64, RunError> {
    let Some(token) = queue.try_lock("admission", ADMIT_LOCK_TTL).await? else {
        return Ok(0);
    };
    let admitted = admit_locked(db, queue, slots_per_client).await;
    // A lock that cannot be released (the queue went away) expires on its own.
    queue.unlock("admission", &token).await.ok();
    admitted
}

async fn admit_locked<C: ConnectionTrait>(
    db: &C,
    queue: &JobQueue,
    slots_per_client: usize,
) -> Result<u64, RunError> {
    let room = MAX_ADMITTED.saturating_sub(queue.waiting::<AnalysisJob>().await?);
    if room == 0 {
        return Ok(0);
    }
    // Runs of a client at its slots are passed over, so read a few more than there is room.
    let candidates: Vec<(i64, DateTime<Utc>, Option<String>)> = analysis_run::Entity::find()
        .select_only()
        .column(analysis_run::Column::Id)
        .column(analysis_run::Column::QueuedAt)
        .column(analysis_run::Column::ClientIp)
        .filter(analysis_run::Column::Status.eq(RunStatus::Queued))
        .filter(analysis_run::Column::PushedAt.is_null())
        .order_by_asc(analysis_run::Column::QueuedAt)
        .order_by_asc(analysis_run::Column::Id)
        .limit(room.saturating_mul(2))
        .into_tuple()
        .all(db)
        .await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let mut busy = if candidates.iter().any(|(_, _, client)| client.is_some()) {
        in_flight_by_client(db).await?
    } else {
        HashMap::new()
    };
    let mut chosen = Vec::new();
    for (id, queued_at, client) in candidates {
        if chosen.len() as u64 == room {
            break;
        }
        if let Some(client) = client {
            let slots = busy.entry(client).or_default();
            if *slots >= slots_per_client as u64 {
                continue;
            }
            *slots += 1;
        }
        chosen.push((id, queued_at));
    }
    for batch in chosen.chunks(ADMIT_BATCH) {
        push(db, queue, batch).await?;
    }
    Ok(chosen.len() as u64)
}

/// A run pushed to the queue and not yet finished, or running: it holds (or is about to
/// hold) a worker slot.
fn in_flight() -> Condition {
    use analysis_run::Column;
    Condition::any()
        .add(Column::Status.eq(RunStatus::Running))
        .add(
            Condition::all()
                .add(Column::Status.eq(RunStatus::Queued))
                .add(Column::PushedAt.is_not_null()),
        )
}

async fn in_flight_of<C: ConnectionTrait>(db: &C, client: &str) -> Result<u64, DbErr> {
    analysis_run::Entity::find()
        .filter(analysis_run::Column::ClientIp.eq(client))
        .filter(in_flight())
        .count(db)
        .await
}

async fn in_flight_by_client<C: ConnectionTrait>(db: &C) -> Result<HashMap<String, u64>, DbErr> {
    let rows: Vec<(String, i64)> = analysis_run::Entity::find()
        .select_only()
        .column(analysis_run::Column::ClientIp)
        .column_as(analysis_run::Column::Id.count(), "n")
        .filter(analysis_run::Column::ClientIp.is_not_null())
        .filter(in_flight())
        .group_by(analysis_run::Column::ClientIp)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(client, n)| (client, n.max(0) as u64))
        .collect())
}

/// Runs pushed in one backend call by [`admit`]: one round trip instead of hundreds.
const ADMIT_BATCH: usize = 250;

/// Pushes the jobs of runs, each as queued at `queued_at`, in one backend call, then records
/// the push in one statement (a run re-queued meanwhile keeps its own `pushed_at`). The
/// idempotency key names the run and the moment it was queued, so a duplicate push of the
/// same queueing is dropped while a re-queue (after a release or a reset, which moves
/// `queued_at`) goes through.
async fn push<C: ConnectionTrait>(
    db: &C,
    queue: &JobQueue,
    runs: &[(i64, DateTime<Utc>)],
) -> Result<(), RunError> {
    let jobs = runs
        .iter()
        .map(|&(id, queued_at)| {
            let key = format!("run:{id}:{}", queued_at.timestamp_micros());
            (AnalysisJob { run_id: id }, Some(key))
        })
        .collect();
    queue.push_many(jobs).await?;
    let pushed = runs.iter().fold(Condition::any(), |any, &(id, queued_at)| {
        any.add(
            Condition::all()
                .add(analysis_run::Column::Id.eq(id))
                .add(analysis_run::Column::QueuedAt.eq(queued_at)),
        )
    });
    analysis_run::Entity::update_many()
        .col_expr(analysis_run::Column::PushedAt, Expr::value(Utc::now()))
        .filter(pushed)
        .exec(db)
        .await?;
    Ok(())
}

/// Marks queued runs pushed before `before` as not pushed, so the next [`admit`] pushes them
/// again: the queue lost them (Redis restarted or flushed) or still holds them, in which
/// case the idempotency key drops the second push. Returns how many.
pub async fn repush_older_than<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(analysis_run::Entity::update_many()
        .col_expr(
            analysis_run::Column::PushedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(analysis_run::Column::Status.eq(RunStatus::Queued))
        .filter(analysis_run::Column::PushedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Puts a queued run whose job was delivered back to waiting as a row, for while the
/// `analysis` kill switch is off: admission pushes it again once the switch is on. Moves
/// `queued_at`, so that push is not dropped as a duplicate of this one.
pub async fn hold<C: ConnectionTrait>(db: &C, run_id: i64) -> Result<bool, DbErr> {
    Ok(analysis_run::Entity::update_many()
        .col_expr(
            analysis_run::Column::PushedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(analysis_run::Column::QueuedAt, Expr::value(Utc::now()))
        .filter(analysis_run::Column::Id.eq(run_id))
        .filter(analysis_run::Column::Status.eq(RunStatus::Queued))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
