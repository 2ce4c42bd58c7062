//! The ops API's guard: a bearer token equal to `ONBOARD_ADMIN_TOKEN`. Without a token the
//! answer is 401, with a wrong one 403; with none configured the ops API is off (403).

use poem_openapi::{SecurityScheme, auth::Bearer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{error::ApiError, state::AppState};

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
            "ops_disabled",
            "The ops API is off: no ONBOARD_ADMIN_TOKEN is configured",
        ));
    };
    if same_digest(&Sha256::digest(given.as_bytes()), expected) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "invalid_admin_token",
            "The bearer token is not the admin token",
        ))
    }
}

/// The operators' page session: the hex SHA-256 of the admin token, so the browser keeps a
/// value that opens the page but is not the token the API takes.
pub fn session_value(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a session value belongs to the configured admin token (constant time).
pub fn check_session(state: &AppState, value: &str) -> bool {
    state.config.admin_token.as_deref().is_some_and(|expected| {
        let wanted = session_value(expected);
        bool::from(value.as_bytes().ct_eq(wanted.as_bytes()))
    })
}

fn same_digest(given: &[u8], expected: &str) -> bool {
    bool::from(given.ct_eq(&Sha256::digest(expected.as_bytes())))
}
