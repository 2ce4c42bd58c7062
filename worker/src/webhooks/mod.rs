//! Webhook delivery (see `onboard_shared::webhooks`): the dispatcher pushes attempts that
//! are due, and the `webhooks` pool makes them.

pub mod dispatch;
pub mod send;

use chrono::Utc;
use onboard_shared::{
    metrics::{WEBHOOK_ATTEMPTS, WEBHOOK_ENDPOINTS_DISABLED},
    webhooks::deliveries::{self, Finished},
};
use sea_orm::DbErr;
use tracing::{info, warn};

use crate::context::JobContext;

/// Beyond the request's own timeout, how long a claimed attempt stays locked before a
/// worker that stopped answering is given up on.
const LOCK_MARGIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Makes one attempt of a delivery, if it is still due for it.
#[tracing::instrument(skip_all, fields(delivery_id))]
pub async fn deliver(ctx: &JobContext, delivery_id: i64) -> Result<(), DbErr> {
    let config = &ctx.config.webhooks;
    let lock_for = config.timeout + LOCK_MARGIN;
    let Some(attempt) =
        deliveries::claim(&ctx.db, delivery_id, config, lock_for, Utc::now()).await?
    else {
        return Ok(());
    };
    let request = send::Request {
        url: &attempt.endpoint.url,
        format: attempt.endpoint.format,
        secret: &attempt.endpoint.secret,
        msg_id: &attempt.message.msg_id,
        event_type: &attempt.message.event_type,
        payload: &attempt.message.payload,
    };
    let outcome = ctx.webhooks.send(&request).await;
    let (finished, disabled) =
        deliveries::finish(&ctx.db, &attempt, outcome.clone(), config, Utc::now()).await?;
    let endpoint = attempt.endpoint.id;
    let attempts = attempt.delivery.attempts;
    let counted = match finished {
        Finished::Delivered => "delivered",
        Finished::Retrying(_) => "retrying",
        Finished::GivenUp => "given_up",
        Finished::Lost => "lost",
    };
    metrics::counter!(WEBHOOK_ATTEMPTS, "outcome" => counted).increment(1);
    match (&finished, &outcome) {
        (Finished::Delivered, _) => info!(endpoint, attempts, "webhook delivered"),
        (Finished::Retrying(next), deliveries::Outcome::Failed { error, .. }) => {
            info!(endpoint, attempts, %error, next = %next, "webhook attempt failed; will retry")
        }
        (Finished::GivenUp, deliveries::Outcome::Failed { error, .. }) => {
            warn!(endpoint, attempts, %error, "webhook given up: the retry window is over")
        }
        _ => {}
    }
    if disabled {
        metrics::counter!(WEBHOOK_ENDPOINTS_DISABLED).increment(1);
        warn!(
            event = "webhook_endpoint_disabled",
            endpoint,
            url = %attempt.endpoint.url,
            failures = config.disable_after,
            "webhook endpoint disabled after failing attempts in a row"
        );
    }
    Ok(())
}
