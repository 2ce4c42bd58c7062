//! Domain verification: a guest proves it controls its domain before it may apply a
//! configuration to that domain's site. The token goes in a `<meta>` tag on the home page
//! or in a file under `/.well-known/`; the check itself runs as a job in the worker (the
//! api never fetches a site) and this endpoint waits a few seconds for its result.

use std::time::Duration;

use chrono::{DateTime, Utc};
use onboard_shared::{
    entities::{domain_verification, guest_session},
    verification::{self, CheckStart, FILE_PATH, Method, Status},
};
use poem::web::Data;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Query};
use sea_orm::EntityTrait;

use super::Tag;
use crate::{
    error::{ApiError, ErrorCode, operation_errors},
    guest_access,
    guest_id::GuestId,
    json::Json,
    state::AppState,
};

operation_errors!(IssueErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Conflict = 409: "`domain_required`: the guest has not set a domain yet.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});
operation_errors!(ReadErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id; \
                     `verification_not_found`: no token was issued for the guest's domain.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});
operation_errors!(CheckErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id.",
    rate_limited: "`too_many_checks`: the last check ended less than 5 seconds ago; \
                   `rate_limited`: too many requests from this address. Try again after \
                   `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id; \
                     `verification_not_found`: no token was issued for the guest's domain.",
    Conflict = 409: "`domain_required`: the guest has not set a domain yet.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
    Unprocessable = 422: "`verification_failed`: the site does not carry the token; the \
                          message says what was looked for and what the site answered.",
});

#[derive(Default)]
pub struct VerificationApi;

/// How often a waiting check reads its row.
const POLL: Duration = Duration::from_millis(100);

/// Where a verification is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum VerificationStatus {
    /// Issued, never checked.
    Pending,
    Checking,
    Verified,
    Failed,
}

/// How control of the domain was shown; present once verified.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum VerificationMethod {
    /// The `<meta>` tag on the home page.
    Meta,
    /// The file under `/.well-known/`.
    File,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct VerificationView {
    /// The domain this verification is for (the guest's current domain).
    pub domain: String,
    /// The guest's token for this domain.
    pub token: String,
    pub status: VerificationStatus,
    // Described by its type (see `FloatiePosition` in the onboarding routes for why).
    pub method: Option<VerificationMethod>,
    /// What the last failed check looked for and what the site answered.
    pub detail: Option<String>,
    /// Put this tag in the `<head>` of the site's home page …
    pub meta_tag: String,
    /// … or serve the token, on a line of its own, at this path of the site.
    pub file_path: String,
    pub checked_at: Option<DateTime<Utc>>,
    pub verified_at: Option<DateTime<Utc>>,
}

impl poem_openapi::types::Example for VerificationView {
    fn example() -> Self {
        let token = "onboard-3b1f0c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f";
        VerificationView {
            domain: "www.acme.com".into(),
            token: token.into(),
            status: VerificationStatus::Pending,
            method: None,
            detail: None,
            meta_tag: verification::meta_tag(token),
            file_path: FILE_PATH.into(),
            checked_at: None,
            verified_at: None,
        }
    }
}

impl From<domain_verification::Model> for VerificationView {
    fn from(v: domain_verification::Model) -> Self {
        VerificationView {
            meta_tag: verification::meta_tag(&v.token),
            file_path: FILE_PATH.to_owned(),
            domain: v.domain,
            token: v.token,
            status: match v.status {
                Status::Pending => VerificationStatus::Pending,
                Status::Checking => VerificationStatus::Checking,
                Status::Verified => VerificationStatus::Verified,
                Status::Failed => VerificationStatus::Failed,
            },
            method: v.method.map(|m| match m {
                Method::Meta => VerificationMethod::Meta,
                Method::File => VerificationMethod::File,
            }),
            detail: v.detail,
            checked_at: v.checked_at,
            verified_at: v.verified_at,
        }
    }
}

#[derive(ApiResponse)]
pub enum IssueResponse {
    /// A token was issued for the guest's domain.
    #[oai(status = 201)]
    Created(Json<VerificationView>),
    /// The guest already has a token for this domain; it is unchanged.
    #[oai(status = 200)]
    Existing(Json<VerificationView>),
}

#[derive(ApiResponse)]
pub enum ReadResponse {
    /// The verification of the guest's current domain.
    #[oai(status = 200)]
    Ok(Json<VerificationView>),
}

#[derive(ApiResponse)]
pub enum CheckResponse {
    /// The domain is verified.
    #[oai(status = 200)]
    Verified(Json<VerificationView>),
    /// The check is still running; read the result with `GET /api/onboarding/verification`.
    #[oai(status = 202)]
    Checking(Json<VerificationView>),
}

#[OpenApi(tag = "Tag::Onboarding")]
impl VerificationApi {
    /// Get a token that proves control of the guest's domain
    ///
    /// Put it on the site as a `<meta>` tag in the home page's `<head>`, or on a line of
    /// the file under `/.well-known/`, then ask for a check. Applying a configuration to a
    /// site (`complete`) needs a verified token. Asking again returns the same token.
    #[oai(
        path = "/api/onboarding/verification",
        method = "post",
        operation_id = "issueVerification"
    )]
    async fn issue(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<IssueResponse, IssueErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let domain = domain_of(&guest)?;
        let (row, new) = verification::issue(&state.db, guest.uuid, domain).await?;
        Ok(if new {
            IssueResponse::Created(Json(row.into()))
        } else {
            IssueResponse::Existing(Json(row.into()))
        })
    }

    /// The guest's verification of its current domain
    ///
    /// The token, the places to put it, and the state of the last check.
    #[oai(
        path = "/api/onboarding/verification",
        method = "get",
        operation_id = "getVerification"
    )]
    async fn read(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<ReadResponse, ReadErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        Ok(ReadResponse::Ok(Json(
            current(&state, &guest).await?.into(),
        )))
    }

    /// Check now whether the site carries the guest's token
    ///
    /// Answers within a few seconds: 200 when verified, 422 `verification_failed` naming
    /// what was looked for, or 202 while the check is still running (read its result with
    /// `GET /api/onboarding/verification`). A check may be repeated 5 seconds after the
    /// last one ended.
    #[oai(
        path = "/api/onboarding/verification/check",
        method = "post",
        operation_id = "checkVerification"
    )]
    async fn check(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<CheckResponse, CheckErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        domain_of(&guest)?;
        let row = current(&state, &guest).await?;
        let started = verification::start_check(&state.db, &state.queue, row)
            .await
            .map_err(|e| match e {
                verification::CheckError::Db(e) => ApiError::from(e),
                verification::CheckError::Queue(e) => ApiError::from(e),
            })?;
        let mut row = match started {
            CheckStart::Verified(row) => return Ok(CheckResponse::Verified(Json(row.into()))),
            CheckStart::TooSoon(_, wait) => {
                return Err(ApiError::too_many(
                    ErrorCode::TooManyChecks,
                    format!(
                        "The last check ended a moment ago; check again in {} s",
                        wait.as_secs().max(1)
                    ),
                    wait.as_secs(),
                )
                .into());
            }
            CheckStart::Checking(row) => row,
        };
        let deadline = tokio::time::Instant::now() + state.config.verification_wait;
        while row.status == Status::Checking && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            row = domain_verification::Entity::find_by_id(row.id)
                .one(&state.db)
                .await?
                .ok_or_else(|| not_issued(&row.domain))?;
        }
        match row.status {
            Status::Verified => Ok(CheckResponse::Verified(Json(row.into()))),
            Status::Failed => Err(ApiError::unprocessable(
                ErrorCode::VerificationFailed,
                row.detail
                    .unwrap_or_else(|| "The site does not carry the token".to_owned()),
            )
            .into()),
            _ => Ok(CheckResponse::Checking(Json(row.into()))),
        }
    }
}

fn domain_of(guest: &guest_session::Model) -> Result<&str, ApiError> {
    guest.onboarding_domain.as_deref().ok_or_else(|| {
        ApiError::conflict(
            ErrorCode::DomainRequired,
            "Set a domain with POST /api/onboarding/config first",
        )
    })
}

fn not_issued(domain: &str) -> ApiError {
    ApiError::not_found(
        ErrorCode::VerificationNotFound,
        format!(
            "No verification token for {domain} yet; get one with POST /api/onboarding/verification"
        ),
    )
}

/// The guest's verification of its current domain.
async fn current(
    state: &AppState,
    guest: &guest_session::Model,
) -> Result<domain_verification::Model, ApiError> {
    let Some(domain) = guest.onboarding_domain.as_deref() else {
        return Err(not_issued("a domain"));
    };
    verification::of(&state.db, guest.uuid, domain)
        .await?
        .ok_or_else(|| not_issued(domain))
}
