//! The onboarding session as a state machine, in one place: its statuses, the moves
//! between them, each step's completion criteria ([`steps`]), the estimate of the time
//! left ([`estimate`]) and the next thing to do ([`next`]).
//!
//! ```text
//!            pause                 monitor: idle past ONBOARD_ABANDON_AFTER_SECS
//!   active ─────────► paused        active ───────────────────────────────► abandoned
//!     ▲  ◄─────────── │               ▲                                        │
//!     │     resume,   │               └──── resume, a configuration write ─────┘
//!     │  a config     │                       (the abandonment stays counted)
//!     │  write        │
//!     └──── complete ─┴──► completed (from active or paused; final)
//! ```
//!
//! A paused session is never marked abandoned; it expires `ONBOARD_PAUSED_TTL_HOURS` after
//! it was paused, and reading it is not activity. Every move is one guarded statement (two
//! requests racing move it once) and records its analytics event, which the webhooks
//! deliver too, in the same transaction.

pub mod estimate;
pub mod next;
pub mod steps;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::Expr};
use serde::{Deserialize, Serialize};

pub use crate::entities::guest_session::SessionStatus;
use crate::{
    analytics::{self, Auto},
    entities::guest_session::{self, Column, Model},
};

/// A move the session cannot make.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the session's row could not be read or written")]
    Db(#[from] DbErr),
    #[error("a {from} session cannot be {to}")]
    Transition {
        from: SessionStatus,
        to: &'static str,
    },
}

/// The data of `onboarding.paused` and `onboarding.resumed`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Moved {
    /// The status the session left.
    pub from: SessionStatus,
    /// What moved it: `request` (pause or resume), `write` (a configuration write),
    /// `resume_of` (a new session handed back the old one).
    pub by: &'static str,
}

/// Pauses an active (or abandoned) session until `now + paused_ttl`; a paused one is left
/// as it is. Returns the session as it is now.
pub async fn pause<C: ConnectionTrait>(
    db: &C,
    guest: &Model,
    paused_ttl: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<Model, SessionError> {
    let to = Shift {
        status: SessionStatus::Paused,
        paused_at: Some(now),
        lives: paused_ttl,
        event: Auto::OnboardingPaused,
        by: "request",
    };
    shift(db, guest, to, now).await
}

/// Makes a paused or abandoned session active again (its expiry `now + ttl`); an active one
/// is left as it is. `by` says what brought the guest back.
pub async fn resume<C: ConnectionTrait>(
    db: &C,
    guest: &Model,
    ttl: std::time::Duration,
    by: &'static str,
    now: DateTime<Utc>,
) -> Result<Model, SessionError> {
    let to = Shift {
        status: SessionStatus::Active,
        paused_at: None,
        lives: ttl,
        event: Auto::OnboardingResumed,
        by,
    };
    shift(db, guest, to, now).await
}

/// A move between active and paused: the status it reaches, and what it records.
struct Shift {
    status: SessionStatus,
    paused_at: Option<DateTime<Utc>>,
    /// How long the session lives from the move.
    lives: std::time::Duration,
    event: Auto,
    by: &'static str,
}

/// Makes a move: nothing when the session is already there, refused from completed, else
/// one statement guarded by the status read (a racing request moves it once) and its event.
async fn shift<C: ConnectionTrait>(
    db: &C,
    guest: &Model,
    to: Shift,
    now: DateTime<Utc>,
) -> Result<Model, SessionError> {
    if guest.status == to.status {
        return Ok(guest.clone());
    }
    if guest.status == SessionStatus::Completed {
        return Err(SessionError::Transition {
            from: guest.status,
            to: match to.status {
                SessionStatus::Paused => "paused",
                _ => "resumed",
            },
        });
    }
    let expires = now + chrono::Duration::from_std(to.lives).unwrap_or_default();
    let moved = guest_session::Entity::update_many()
        .col_expr(Column::Status, Expr::value(to.status))
        .col_expr(Column::PausedAt, Expr::value(to.paused_at))
        .col_expr(Column::LastActivityAt, Expr::value(now))
        .col_expr(Column::ExpiresAt, Expr::value(expires))
        .filter(Column::Uuid.eq(guest.uuid))
        .filter(Column::Status.eq(guest.status))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next();
    let Some(moved) = moved else {
        return current(db, guest).await;
    };
    let data = Moved {
        from: guest.status,
        by: to.by,
    };
    analytics::record(db, to.event, Some(guest.uuid), None, data, now).await?;
    Ok(moved)
}

/// The row as it is now, after another request moved it first.
async fn current<C: ConnectionTrait>(db: &C, guest: &Model) -> Result<Model, SessionError> {
    Ok(guest_session::Entity::find_by_id(guest.uuid)
        .one(db)
        .await?
        .unwrap_or_else(|| guest.clone()))
}
