//! Domain verification: a guest proves it controls its domain before it may apply a
//! configuration to that domain's site. The token goes in a `<meta>` tag on the home page
//! or in a file under `/.well-known/`; the check itself runs as a job in the worker (the
//! api never fetches a site) and this endpoint waits a few seconds for its result.

use std::time::Duration;

use chrono::{DateTime, Utc};
use onboard_shared::{
    entities::{domain_verification, guest_session},
    verification::{self, CheckStart, FILE_PATH, Status},
};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query, payload::Json};
use sea_orm::EntityTrait;

use super::Tag;
use crate::{
    error::{ApiError, operation_errors},
    guest_access,
    guest_id::GuestId,
    state::AppState,
};

operation_errors!(IssueErrors {
    NotFound = 404: "No guest session has this id.",
    Conflict = 409: "The guest has not set a domain yet (`domain_required`).",
    Gone = 410: "The guest session has expired.",
});
operation_errors!(ReadErrors {
    NotFound = 404: "No guest session has this id, or no verification was issued for its \
                     domain (`verification_not_found`).",
    Gone = 410: "The guest session has expired.",
});
operation_errors!(CheckErrors {
    NotFound = 404: "No guest session has this id, or no verification was issued for its \
                     domain (`verification_not_found`).",
    Conflict = 409: "The guest has not set a domain yet (`domain_required`).",
    Gone = 410: "The guest session has expired.",
    Unprocessable = 422: "The site does not carry the token (`verification_failed`); the \
                          message says what was looked for and what the site answered.",
});

#[derive(Default)]
pub struct VerificationApi;

/// How often a waiting check reads its row.
const POLL: Duration = Duration::from_millis(100);

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct VerificationView {
    /// The domain this verification is for (the guest's current domain).
    pub domain: String,
    /// The guest's token for this domain.
    pub token: String,
    /// `pending` (never checked), `checking`, `verified` or `failed`.
    pub status: String,
    /// How control was shown once verified: `meta` or `file`.
    pub method: Option<String>,
    /// What the last failed check looked for and what the site answered.
    pub detail: Option<String>,
    /// Put this tag in the `<head>` of the site's home page …
    pub meta_tag: String,
    /// … or serve the token, on a line of its own, at this path of the site.
    pub file_path: String,
    pub checked_at: Option<DateTime<Utc>>,
    pub verified_at: Option<DateTime<Utc>>,
}

impl From<domain_verification::Model> for VerificationView {
    fn from(v: domain_verification::Model) -> Self {
        VerificationView {
            meta_tag: verification::meta_tag(&v.token),
            file_path: FILE_PATH.to_owned(),
            domain: v.domain,
            token: v.token,
            status: v.status.as_str().to_owned(),
            method: v.method.map(|m| m.as_str().to_owned()),
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
    /// Get a token that proves control of the guest's domain. Put it on the site as a
    /// `<meta>` tag in the home page's `<head>` or as a file under `/.well-known/`, then ask
    /// for a check. Applying a configuration to a site (`complete`) needs a verified token.
    #[oai(
        path = "/api/onboarding/verification",
        method = "post",
        operation_id = "issueVerification"
    )]
    async fn issue(
        &self,
        state: Data<&AppState>,
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

    /// The guest's verification of its current domain.
    #[oai(
        path = "/api/onboarding/verification",
        method = "get",
        operation_id = "getVerification"
    )]
    async fn read(
        &self,
        state: Data<&AppState>,
        user_uuid: Query<GuestId>,
    ) -> Result<Json<VerificationView>, ReadErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        Ok(Json(current(&state, &guest).await?.into()))
    }

    /// Check now whether the site carries the guest's token. Answers within a few seconds:
    /// 200 when verified, 422 `verification_failed` naming what was looked for, or 202
    /// while the check is still running. A check may be repeated 5 seconds after the last
    /// one ended.
    #[oai(
        path = "/api/onboarding/verification/check",
        method = "post",
        operation_id = "checkVerification"
    )]
    async fn check(
        &self,
        state: Data<&AppState>,
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
                    "too_many_checks",
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
                "verification_failed",
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
            "domain_required",
            "Set a domain with POST /api/onboarding/config first",
        )
    })
}

fn not_issued(domain: &str) -> ApiError {
    ApiError::not_found(
        "verification_not_found",
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
