//! A guest-scoped request names its guest by a v4 UUID ([`GuestId`]); the session must exist and be
//! unexpired. Activity slides the expiry forward, written at most once a minute so the
//! 2-second progress poll stays a read.

use chrono::{Duration, Utc};
use onboard_shared::entities::guest_session;
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::{error::ApiError, error::ErrorCode, guest_id::GuestId, state::AppState};

const TOUCH_EVERY: Duration = Duration::seconds(60);

pub async fn find(state: &AppState, id: GuestId) -> Result<guest_session::Model, ApiError> {
    let uuid = id.0;
    guest_session::Entity::find_by_id(uuid)
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(ErrorCode::GuestNotFound, format!("No guest session {uuid}"))
        })
}

/// The guest, if it exists and has not expired; its activity is recorded.
pub async fn active(state: &AppState, id: GuestId) -> Result<guest_session::Model, ApiError> {
    let mut guest = find(state, id).await?;
    let now = Utc::now();
    if guest.expires_at <= now {
        return Err(ApiError::gone(
            ErrorCode::GuestExpired,
            "This guest session has expired; start a new one with POST /api/guest",
        ));
    }
    if now - guest.last_activity_at >= TOUCH_EVERY {
        guest = touch(state, guest).await?;
    }
    Ok(guest)
}

/// Whether a guest read a moment ago can stand in for a fresh read: unexpired, with its
/// activity recorded recently enough.
pub fn still_fresh(guest: &guest_session::Model) -> bool {
    let now = Utc::now();
    guest.expires_at > now && now - guest.last_activity_at < TOUCH_EVERY
}

pub async fn touch(
    state: &AppState,
    guest: guest_session::Model,
) -> Result<guest_session::Model, ApiError> {
    let now = Utc::now();
    let expires_at = now + Duration::from_std(state.config.guest_ttl).unwrap_or_default();
    guest_session::Entity::update(guest_session::ActiveModel {
        uuid: Set(guest.uuid),
        last_activity_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    })
    .exec(&state.db)
    .await?;
    Ok(guest_session::Model {
        last_activity_at: now,
        expires_at,
        ..guest
    })
}
