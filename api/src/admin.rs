//! The ops API's guard: a bearer token equal to `ONBOARD_ADMIN_TOKEN`. Without a token the
//! answer is 401, with a wrong one 403; with none configured the ops API is off (403).
//! The operators' page signs in once with the token and then holds a server-side session.

use chrono::Utc;
use onboard_shared::entities::ops_session;
use poem_openapi::{SecurityScheme, auth::Bearer};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DbErr, EntityTrait};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::{error::ApiError, error::ErrorCode, state::AppState};

/// `Authorization: Bearer <ONBOARD_ADMIN_TOKEN>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub struct AdminToken(Bearer);

impl AdminToken {
    /// Compared in constant time, over digests so the length does not show either.
    pub fn check(&self, state: &AppState) -> Result<(), ApiError> {
        check_token(state, &self.0.token)
    }
}

/// Whether `given` is the admin token: 403 when not, or when no token is configured.
pub fn check_token(state: &AppState, given: &str) -> Result<(), ApiError> {
    let Some(expected) = state.config.admin_token.as_deref() else {
        return Err(ApiError::forbidden(
            ErrorCode::OpsDisabled,
            "The ops API is off: no ONBOARD_ADMIN_TOKEN is configured",
        ));
    };
    if same_digest(&Sha256::digest(given.as_bytes()), expected) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            ErrorCode::InvalidAdminToken,
            "The bearer token is not the admin token",
        ))
    }
}

/// Opens a server-side session of the operators' page for someone who gave the admin
/// token: a random id for the cookie, stored only as its digest, with an expiry, and bound
/// to the token (a new token ends every session). Returns the id.
pub async fn open_session(state: &AppState, token: &str) -> Result<String, DbErr> {
    let id = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let now = Utc::now();
    ops_session::ActiveModel {
        id_hash: Set(hex_digest(id.as_bytes())),
        token_check: Set(token_check(&id, token)),
        created_at: Set(now),
        expires_at: Set(
            now + chrono::Duration::from_std(state.config.ops_session_ttl).unwrap_or_default()
        ),
    }
    .insert(&state.db)
    .await?;
    Ok(id)
}

/// Whether a cookie's session id is a live session opened with the configured token.
pub async fn session_is_open(state: &AppState, id: &str) -> Result<bool, DbErr> {
    let Some(token) = state.config.admin_token.as_deref() else {
        return Ok(false);
    };
    let Some(session) = ops_session::Entity::find_by_id(hex_digest(id.as_bytes()))
        .one(&state.db)
        .await?
    else {
        return Ok(false);
    };
    let bound = session
        .token_check
        .as_bytes()
        .ct_eq(token_check(id, token).as_bytes());
    Ok(session.expires_at > Utc::now() && bool::from(bound))
}

/// Ends one session (sign-out).
pub async fn close_session(state: &AppState, id: &str) -> Result<(), DbErr> {
    ops_session::Entity::delete_by_id(hex_digest(id.as_bytes()))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Ends every session; returns how many were open.
pub async fn close_all_sessions(state: &AppState) -> Result<u64, DbErr> {
    Ok(ops_session::Entity::delete_many()
        .exec(&state.db)
        .await?
        .rows_affected)
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn token_check(id: &str, token: &str) -> String {
    hex_digest(format!("{id}\n{token}").as_bytes())
}

fn same_digest(given: &[u8], expected: &str) -> bool {
    bool::from(given.ct_eq(&Sha256::digest(expected.as_bytes())))
}
