//! Alert conditions the monitor checks, sent once per condition: an alert goes out when
//! its condition starts to hold, not at every monitor run while it lasts, and a resolved
//! event follows when it clears. The state and the event are written in the caller's
//! transaction, with the change they report.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use serde_json::{Value, json};

use crate::{
    entities::alert_state::{self, Column},
    webhooks::{EventType, outbox},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// The 24-hour onboarding completion rate is under the threshold.
    CompletionRateLow,
    /// The monitor reset or failed runs whose worker went quiet.
    RunsStuck,
}

impl Alert {
    pub fn as_str(self) -> &'static str {
        match self {
            Alert::CompletionRateLow => "completion_rate_low",
            Alert::RunsStuck => "runs_stuck",
        }
    }

    fn event(self) -> EventType {
        match self {
            Alert::CompletionRateLow => EventType::AlertCompletionRateLow,
            Alert::RunsStuck => EventType::AlertRunsStuck,
        }
    }
}

/// What a check changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The condition started to hold: the alert was sent.
    Raised,
    /// It stopped: the resolved event was sent.
    Resolved,
    /// As before: nothing sent.
    Unchanged,
}

/// Records whether the condition holds now, and sends the alert (or its resolution) when
/// that changed. Two monitors checking at once send it once: each change is one guarded
/// statement.
pub async fn observe<C: ConnectionTrait>(
    db: &C,
    alert: Alert,
    holds: bool,
    details: Value,
    now: DateTime<Utc>,
) -> Result<Transition, DbErr> {
    let name = alert.as_str();
    let changed = alert_state::Entity::update_many()
        .col_expr(Column::Active, Expr::value(holds))
        .col_expr(Column::Since, Expr::value(holds.then_some(now)))
        .col_expr(Column::Details, Expr::value(details.clone()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Name.eq(name))
        .filter(Column::Active.eq(!holds))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    let changed = changed || (holds && first_time(db, name, &details, now).await?);
    if !changed {
        return Ok(Transition::Unchanged);
    }
    if holds {
        outbox::record(db, alert.event(), Default::default(), details, now).await?;
        Ok(Transition::Raised)
    } else {
        let data = json!({"alert": name, "details": details});
        outbox::record(db, EventType::AlertResolved, Default::default(), data, now).await?;
        Ok(Transition::Resolved)
    }
}

/// Inserts the alert's first state, as holding; false when a row was already there.
async fn first_time<C: ConnectionTrait>(
    db: &C,
    name: &str,
    details: &Value,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    // ON CONFLICT rather than catching the violation: on PostgreSQL a failed statement
    // aborts the caller's transaction.
    let inserted = alert_state::Entity::insert(alert_state::ActiveModel {
        name: Set(name.to_owned()),
        active: Set(true),
        since: Set(Some(now)),
        details: Set(details.clone()),
        updated_at: Set(now),
    })
    .on_conflict(OnConflict::column(Column::Name).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}
