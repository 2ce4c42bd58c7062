//! The onboarding completion rate of the last 24 hours (guests created then that completed),
//! logged as an alert (`alert=completion_rate_low`) when below the configured threshold,
//! and sent to the webhook endpoints once when it falls below (and once when it recovers).

use chrono::{DateTime, Utc};
use onboard_shared::{
    alerts::{self, Alert, Transition},
    entities::guest_session::{self, Column},
};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use tracing::warn;

use crate::context::JobContext;

#[derive(Debug, Default, PartialEq)]
pub struct Completion {
    pub started: u64,
    pub completed: u64,
    /// `None` when no guest started.
    pub rate: Option<f64>,
    /// Whether the rate is below the threshold (the alert was raised).
    pub alert: bool,
}

pub async fn check(ctx: &JobContext, now: DateTime<Utc>) -> Result<Completion, DbErr> {
    let since = now - chrono::Duration::hours(24);
    let started = guest_session::Entity::find()
        .filter(Column::CreatedAt.gte(since))
        .count(&ctx.db)
        .await?;
    let completed = guest_session::Entity::find()
        .filter(Column::CreatedAt.gte(since))
        .filter(Column::OnboardingCompletedAt.is_not_null())
        .count(&ctx.db)
        .await?;
    let rate = (started > 0).then(|| completed as f64 / started as f64);
    let threshold = ctx.config.jobs.completion_alert_below;
    let alert = rate.is_some_and(|rate| rate < threshold);
    let details = json!({
        "rate": rate,
        "threshold": threshold,
        "started": started,
        "completed": completed,
        "windowHours": 24,
    });
    let transition =
        alerts::observe(&ctx.db, Alert::CompletionRateLow, alert, details, now).await?;
    if alert {
        warn!(
            alert = "completion_rate_low",
            rate,
            threshold,
            started,
            completed,
            sent = transition == Transition::Raised,
            "onboarding completion rate over the last 24 hours is below the threshold"
        );
    }
    Ok(Completion {
        started,
        completed,
        rate,
        alert,
    })
}
