//! A guest-scoped request names its guest by a v4 UUID ([`GuestId`]); the session must exist and be
//! unexpired. Activity slides the expiry forward, written off the request path at most once
//! a minute (`guest_activity`), so the 2-second progress poll stays a read.

use onboard_shared::entities::guest_session;
use sea_orm::EntityTrait;

use crate::{
    error::ApiError, error::ErrorCode, guest_activity::Seen, guest_id::GuestId, state::AppState,
};

pub async fn find(state: &AppState, id: GuestId) -> Result<guest_session::Model, ApiError> {
    let uuid = id.0;
    guest_session::Entity::find_by_id(uuid)
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(ErrorCode::GuestNotFound, format!("No guest session {uuid}"))
        })
}

/// The guest, if it exists and has not expired; its activity is noted (see
/// `guest_activity`).
pub async fn active(state: &AppState, id: GuestId) -> Result<guest_session::Model, ApiError> {
    let guest = find(state, id).await?;
    match state.activity.seen(&guest) {
        Some(seen) => Ok(with(guest, seen)),
        None => Err(ApiError::gone(
            ErrorCode::GuestExpired,
            "This guest session has expired; start a new one with POST /api/guest",
        )),
    }
}

/// The guest as this process knows it: its row with the activity noted since.
pub fn with(guest: guest_session::Model, seen: Seen) -> guest_session::Model {
    guest_session::Model {
        last_activity_at: seen.last_activity_at,
        expires_at: seen.expires_at,
        ..guest
    }
}
