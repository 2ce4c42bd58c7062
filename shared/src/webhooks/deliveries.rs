//! Deliveries, each an event on its way to one endpoint. The row is the truth: the
//! dispatcher pushes an attempt to the `webhooks` queue when it is due, a worker claims it
//! (`pending` → `sending`, under a lock that lapses if the worker dies), and the outcome
//! schedules the next attempt with exponential backoff and jitter, until a 2xx or the end
//! of the retry window.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, Query},
};

use crate::{
    config::WebhookConfig,
    entities::{
        webhook_delivery::{self, Column, DeliveryStatus, Model},
        webhook_endpoint, webhook_message,
    },
};

/// The longest wait between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);
/// Bytes of a response body kept for operators to read.
pub const EXCERPT_BYTES: usize = 1024;

fn at(now: DateTime<Utc>, after: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(after).unwrap_or(chrono::Duration::MAX)
}

/// The wait before the next attempt after `attempts` failed ones: the base doubled per
/// attempt, capped, and drawn from its upper half (`unit` in 0..1) so endpoints that
/// failed together are not retried together.
pub fn backoff(attempts: i32, base: Duration, unit: f64) -> Duration {
    let doubled = base.as_secs_f64() * 2f64.powi((attempts - 1).clamp(0, 40));
    let capped = doubled.min(MAX_DELAY.as_secs_f64());
    Duration::from_secs_f64(capped * (0.5 + 0.5 * unit.clamp(0.0, 1.0)))
}

/// A number in 0..1 from the system's random source, for the jitter.
pub fn jitter() -> f64 {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 4];
    match ring::rand::SystemRandom::new().fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    }
}

/// Marks up to `limit` due deliveries to enabled endpoints as pushed and returns their ids
/// with their attempt count: the caller pushes their jobs. Another dispatcher racing for
/// the same rows gets none of them.
pub async fn take_due<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(i64, i32)>, DbErr> {
    let enabled = Query::select()
        .column(webhook_endpoint::Column::Id)
        .from(webhook_endpoint::Entity)
        .and_where(webhook_endpoint::Column::Enabled.eq(true))
        .to_owned();
    let due: Vec<i64> = webhook_delivery::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Status.eq(DeliveryStatus::Pending))
        .filter(Column::PushedAt.is_null())
        .filter(Column::NextAttemptAt.lte(now))
        .filter(Column::EndpointId.in_subquery(enabled))
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    Ok(webhook_delivery::Entity::update_many()
        .col_expr(Column::PushedAt, Expr::value(now))
        .filter(Column::Id.is_in(due))
        .filter(Column::Status.eq(DeliveryStatus::Pending))
        .filter(Column::PushedAt.is_null())
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.attempts))
        .collect())
}

/// Forgets a push that failed, so the next pass pushes it again.
pub async fn unpush<C: ConnectionTrait>(db: &C, id: i64) -> Result<(), DbErr> {
    webhook_delivery::Entity::update_many()
        .col_expr(Column::PushedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(DeliveryStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// Puts back what a dead worker or a lost queue left: `sending` past its lock (the attempt
/// counts; the next one is due now), and `pending` pushed before `lost_before` that no
/// worker claimed. Returns how many.
pub async fn rescue<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    lost_before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let no_time = Option::<DateTime<Utc>>::None;
    let orphaned = webhook_delivery::Entity::update_many()
        .col_expr(Column::Status, Expr::value(DeliveryStatus::Pending))
        .col_expr(Column::PushedAt, Expr::value(no_time))
        .col_expr(Column::LockedUntil, Expr::value(no_time))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            Column::LastError,
            Expr::value("The worker sending it stopped before an answer came"),
        )
        .filter(Column::Status.eq(DeliveryStatus::Sending))
        .filter(Column::LockedUntil.lt(now))
        .exec(db)
        .await?
        .rows_affected;
    let lost = webhook_delivery::Entity::update_many()
        .col_expr(Column::PushedAt, Expr::value(no_time))
        .filter(Column::Status.eq(DeliveryStatus::Pending))
        .filter(Column::PushedAt.lt(lost_before))
        .exec(db)
        .await?
        .rows_affected;
    Ok(orphaned + lost)
}

/// A claimed attempt: the delivery, its message and its endpoint.
#[derive(Debug)]
pub struct Attempt {
    pub delivery: Model,
    pub message: webhook_message::Model,
    pub endpoint: webhook_endpoint::Model,
}

/// Takes a pushed delivery for one attempt (`pending` → `sending`, locked for `lock_for`).
/// `None` when it is not due for this job (claimed by another, finished, redelivered) or
/// its endpoint is gone or disabled (then it waits, unpushed).
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    id: i64,
    config: &WebhookConfig,
    lock_for: Duration,
    now: DateTime<Utc>,
) -> Result<Option<Attempt>, DbErr> {
    let claimed = webhook_delivery::Entity::update_many()
        .col_expr(Column::Status, Expr::value(DeliveryStatus::Sending))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::LockedUntil, Expr::value(at(now, lock_for)))
        .col_expr(Column::LastAttemptAt, Expr::value(now))
        .col_expr(
            Column::RetryUntil,
            Func::coalesce([
                Expr::col(Column::RetryUntil),
                Expr::value(at(now, config.retry_for)),
            ])
            .into(),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(DeliveryStatus::Pending))
        .filter(Column::PushedAt.is_not_null())
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next();
    let Some(delivery) = claimed else {
        return Ok(None);
    };
    let message = webhook_message::Entity::find_by_id(delivery.message_id)
        .one(db)
        .await?;
    let endpoint = webhook_endpoint::Entity::find_by_id(delivery.endpoint_id)
        .one(db)
        .await?;
    match (message, endpoint) {
        (Some(message), Some(endpoint)) if endpoint.enabled => Ok(Some(Attempt {
            delivery,
            message,
            endpoint,
        })),
        _ => {
            // Not an attempt after all: back to waiting, the count as it was.
            webhook_delivery::Entity::update_many()
                .col_expr(Column::Status, Expr::value(DeliveryStatus::Pending))
                .col_expr(Column::Attempts, Expr::col(Column::Attempts).sub(1))
                .col_expr(Column::PushedAt, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(
                    Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(Column::Id.eq(id))
                .exec(db)
                .await?;
            Ok(None)
        }
    }
}

/// How an attempt went.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A 2xx within the timeout.
    Delivered { status: u16, excerpt: String },
    /// Anything else: a status outside 2xx, a timeout, a refused address, no connection.
    Failed {
        status: Option<u16>,
        excerpt: Option<String>,
        error: String,
    },
}

/// What finishing an attempt led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    Delivered,
    /// Another attempt is due then.
    Retrying(DateTime<Utc>),
    /// The retry window is over.
    GivenUp,
    /// The delivery was not ours to finish (its lock lapsed and another took it).
    Lost,
}

/// Records an attempt's outcome, schedules the next one, and keeps the endpoint's count
/// of failures in a row; returns what happened and whether this failure disabled the
/// endpoint.
pub async fn finish<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    attempt: &Attempt,
    outcome: Outcome,
    config: &WebhookConfig,
    now: DateTime<Utc>,
) -> Result<(Finished, bool), DbErr> {
    let delivery = &attempt.delivery;
    let no_time = Option::<DateTime<Utc>>::None;
    let mine = |update: sea_orm::UpdateMany<webhook_delivery::Entity>| {
        update
            .col_expr(Column::LockedUntil, Expr::value(no_time))
            .col_expr(Column::PushedAt, Expr::value(no_time))
            .filter(Column::Id.eq(delivery.id))
            .filter(Column::Status.eq(DeliveryStatus::Sending))
            .filter(Column::Attempts.eq(delivery.attempts))
    };
    let txn = db.begin().await?;
    let (finished, succeeded, written) = match outcome {
        Outcome::Delivered { status, excerpt } => {
            let written = mine(webhook_delivery::Entity::update_many())
                .col_expr(Column::Status, Expr::value(DeliveryStatus::Delivered))
                .col_expr(Column::DeliveredAt, Expr::value(now))
                .col_expr(Column::LastStatusCode, Expr::value(i32::from(status)))
                .col_expr(Column::LastResponse, Expr::value(excerpt))
                .col_expr(Column::LastError, Expr::value(Option::<String>::None))
                .exec(&txn)
                .await?
                .rows_affected;
            (Finished::Delivered, true, written)
        }
        Outcome::Failed {
            status,
            excerpt,
            error,
        } => {
            let next = at(now, backoff(delivery.attempts, config.retry_base, jitter()));
            let until = delivery.retry_until.unwrap_or(now);
            let (status_after, finished) = if next > until {
                (DeliveryStatus::Failed, Finished::GivenUp)
            } else {
                (DeliveryStatus::Pending, Finished::Retrying(next))
            };
            let written = mine(webhook_delivery::Entity::update_many())
                .col_expr(Column::Status, Expr::value(status_after))
                .col_expr(Column::NextAttemptAt, Expr::value(next))
                .col_expr(Column::LastStatusCode, Expr::value(status.map(i32::from)))
                .col_expr(Column::LastResponse, Expr::value(excerpt))
                .col_expr(Column::LastError, Expr::value(error))
                .exec(&txn)
                .await?
                .rows_affected;
            (finished, false, written)
        }
    };
    if written == 0 {
        txn.rollback().await?;
        return Ok((Finished::Lost, false));
    }
    let disabled = count_on_endpoint(&txn, attempt.endpoint.id, succeeded, config).await?;
    txn.commit().await?;
    Ok((finished, disabled))
}

/// The endpoint's failures in a row: back to 0 on a success, one more on a failure, and
/// the endpoint disabled when they reach the limit. Returns whether it was disabled now.
async fn count_on_endpoint<C: ConnectionTrait>(
    db: &C,
    endpoint_id: i64,
    succeeded: bool,
    config: &WebhookConfig,
) -> Result<bool, DbErr> {
    use webhook_endpoint::Column as E;
    if succeeded {
        webhook_endpoint::Entity::update_many()
            .col_expr(E::ConsecutiveFailures, Expr::value(0))
            .filter(E::Id.eq(endpoint_id))
            .filter(E::ConsecutiveFailures.ne(0))
            .exec(db)
            .await?;
        return Ok(false);
    }
    webhook_endpoint::Entity::update_many()
        .col_expr(
            E::ConsecutiveFailures,
            Expr::col(E::ConsecutiveFailures).add(1),
        )
        .filter(E::Id.eq(endpoint_id))
        .exec(db)
        .await?;
    let limit = i32::try_from(config.disable_after).unwrap_or(i32::MAX);
    let disabled = webhook_endpoint::Entity::update_many()
        .col_expr(E::Enabled, Expr::value(false))
        .col_expr(
            E::DisabledReason,
            Expr::value(format!(
                "Disabled by the service after {limit} failed attempts in a row"
            )),
        )
        .col_expr(E::UpdatedAt, Expr::value(Utc::now()))
        .filter(E::Id.eq(endpoint_id))
        .filter(E::Enabled.eq(true))
        .filter(E::ConsecutiveFailures.gte(limit))
        .exec(db)
        .await?
        .rows_affected;
    Ok(disabled == 1)
}

/// Sends a delivery again from now, with a new retry window and the same `webhook-id`.
/// `None` when there is no such delivery or an attempt of it is under way.
pub async fn redeliver<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Model>, DbErr> {
    let no_time = Option::<DateTime<Utc>>::None;
    Ok(webhook_delivery::Entity::update_many()
        .col_expr(Column::Status, Expr::value(DeliveryStatus::Pending))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(Column::RetryUntil, Expr::value(no_time))
        .col_expr(Column::PushedAt, Expr::value(no_time))
        .col_expr(Column::LockedUntil, Expr::value(no_time))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.ne(DeliveryStatus::Sending))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next())
}

/// A delivery with the message it carries.
#[derive(Debug, Clone)]
pub struct Listed {
    pub delivery: Model,
    pub msg_id: String,
    pub event_type: String,
}

/// An endpoint's latest deliveries, newest first.
pub async fn recent<C: ConnectionTrait>(
    db: &C,
    endpoint_id: i64,
    limit: u64,
) -> Result<Vec<Listed>, DbErr> {
    let deliveries = webhook_delivery::Entity::find()
        .filter(Column::EndpointId.eq(endpoint_id))
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = deliveries.iter().map(|d| d.message_id).collect();
    let messages: std::collections::HashMap<i64, webhook_message::Model> =
        webhook_message::Entity::find()
            .filter(webhook_message::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    Ok(deliveries
        .into_iter()
        .filter_map(|delivery| {
            let message = messages.get(&delivery.message_id)?;
            Some(Listed {
                msg_id: message.msg_id.clone(),
                event_type: message.event_type.clone(),
                delivery,
            })
        })
        .collect())
}

pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Model>, DbErr> {
    webhook_delivery::Entity::find_by_id(id).one(db).await
}

/// Deletes finished deliveries (delivered or given up) made before `before`, and the
/// messages left with no delivery; returns how many deliveries. Pending ones are kept
/// whatever their age: an operator may still enable their endpoint.
pub async fn prune<C: ConnectionTrait>(db: &C, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let pruned = webhook_delivery::Entity::delete_many()
        .filter(Column::Status.is_in([DeliveryStatus::Delivered, DeliveryStatus::Failed]))
        .filter(Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected;
    let still_sent = Query::select()
        .column(Column::MessageId)
        .from(webhook_delivery::Entity)
        .to_owned();
    webhook_message::Entity::delete_many()
        .filter(webhook_message::Column::CreatedAt.lt(before))
        .filter(webhook_message::Column::Id.not_in_subquery(still_sent))
        .exec(db)
        .await?;
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_jitter_and_is_capped() {
        let base = Duration::from_secs(5);
        assert_eq!(backoff(1, base, 1.0), Duration::from_secs(5));
        assert_eq!(backoff(1, base, 0.0), Duration::from_millis(2500));
        assert_eq!(backoff(4, base, 1.0), Duration::from_secs(40));
        assert_eq!(backoff(30, base, 1.0), MAX_DELAY);
        // The default schedule spans about a day in its first 15-20 attempts.
        let total: Duration = (1..=17).map(|n| backoff(n, base, 0.75)).sum();
        assert!(
            total > Duration::from_secs(12 * 3600) && total < Duration::from_secs(36 * 3600),
            "{total:?}"
        );
    }
}
