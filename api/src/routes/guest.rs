use chrono::{DateTime, Utc};
use onboard_shared::{
    analytics::{self, Auto},
    entities::guest_session,
    session::{self, SessionStatus},
};
use poem::{Request, http::header, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
};
use sea_orm::{ActiveModelTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::Tag;
use crate::{
    error::operation_errors, guest_access, guest_id::GuestId, json::Json, state::AppState,
};

operation_errors!(CreateGuestErrors {
    bad_request: "`invalid_resume_of`: `resumeOf` is not a guest id (a version-4 UUID); \
                  `invalid_request`: the request cannot be read.",
});
operation_errors!(GetGuestErrors {
    bad_request: "`invalid_uuid`: the id is not a guest id (a version-4 UUID).",
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
});

#[derive(Default)]
pub struct GuestApi;

#[derive(Object)]
#[oai(rename_all = "camelCase", example)]
pub struct GuestCreated {
    /// The guest's id: the `user_uuid` of every guest-scoped request.
    pub uuid: Uuid,
    /// When the session expires unless it is used (each use moves this forward).
    pub expires_at: DateTime<Utc>,
    /// True when `resumeOf` named a valid session and this is that session, handed back.
    pub resumed: bool,
    // Described by its type (see `FloatiePosition` in the onboarding routes for why).
    pub status: SessionStatus,
}

impl poem_openapi::types::Example for GuestCreated {
    fn example() -> Self {
        GuestCreated {
            uuid: GuestId::EXAMPLE.0,
            expires_at: "2026-12-06T12:00:00Z".parse().expect("a time"),
            resumed: false,
            status: SessionStatus::Active,
        }
    }
}

#[derive(ApiResponse)]
pub enum CreateGuestResponse {
    /// The new guest session.
    #[oai(status = 201)]
    Created(Json<GuestCreated>),
    /// The session `resumeOf` named, handed back (made active again if it was paused or
    /// abandoned).
    #[oai(status = 200)]
    Resumed(Json<GuestCreated>),
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct OnboardingState {
    /// Absent until the guest sets one.
    pub domain: Option<String>,
    /// 0 before any step, 1 design, 2 content, 3 contact.
    pub current_step: i16,
    /// When onboarding was completed.
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(ApiResponse)]
pub enum GetGuestResponse {
    /// The session's validity and onboarding state.
    #[oai(status = 200)]
    Ok(Json<GuestStatus>),
}

#[derive(Object)]
#[oai(rename_all = "camelCase", example)]
pub struct GuestStatus {
    /// False once the session has expired.
    pub valid: bool,
    // Described by its type.
    pub status: SessionStatus,
    pub expires_at: DateTime<Utc>,
    pub onboarding: OnboardingState,
}

impl poem_openapi::types::Example for GuestStatus {
    fn example() -> Self {
        GuestStatus {
            valid: true,
            status: SessionStatus::Active,
            expires_at: "2026-12-06T12:00:00Z".parse().expect("a time"),
            onboarding: OnboardingState {
                domain: Some("www.acme.com".into()),
                current_step: 2,
                completed_at: None,
            },
        }
    }
}

const MAX_HEADER_KEPT: usize = 512;

#[OpenApi(tag = "Tag::Guest")]
impl GuestApi {
    /// Start a guest session
    ///
    /// An anonymous session for one onboarding: its id is the `user_uuid` of every
    /// guest-scoped request. The browser's user agent and the page it came from are kept
    /// with it (from the request's own headers).
    #[oai(path = "/api/guest", method = "post", operation_id = "createGuest")]
    async fn create(
        &self,
        state: Data<&AppState>,
        req: &Request,
        /// A guest id the browser kept (a resume link): while that session is valid it is
        /// handed back (200) instead of a new one. Knowing the id is what the guest-scoped
        /// operations ask anyway, so this reaches no session the caller could not already.
        #[oai(name = "resumeOf")]
        resume_of: Query<Option<GuestId>>,
    ) -> Result<CreateGuestResponse, CreateGuestErrors> {
        if let Some(id) = resume_of.0
            && let Some(back) = hand_back(&state, id).await?
        {
            return Ok(CreateGuestResponse::Resumed(Json(GuestCreated {
                uuid: back.uuid,
                expires_at: back.expires_at,
                resumed: true,
                status: back.status,
            })));
        }
        let header = |name: header::HeaderName| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(MAX_HEADER_KEPT).collect::<String>())
        };
        let now = Utc::now();
        let txn = state.db.begin().await?;
        let guest = guest_session::ActiveModel::new_guest(
            Uuid::new_v4(),
            now,
            state.config.guest_ttl,
            json!({
                "userAgent": header(header::USER_AGENT),
                "landingPage": header(header::REFERER),
            }),
        )
        .insert(&txn)
        .await?;
        analytics::record(
            &txn,
            Auto::OnboardingStarted,
            Some(guest.uuid),
            None,
            json!({}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(CreateGuestResponse::Created(Json(GuestCreated {
            uuid: guest.uuid,
            expires_at: guest.expires_at,
            resumed: false,
            status: guest.status,
        })))
    }

    /// A guest session's validity and onboarding state
    ///
    /// An expired session answers `valid: false` (not an error), so a UI can tell a
    /// returning customer to start again; a valid one records the activity.
    #[oai(path = "/api/guest/:uuid", method = "get", operation_id = "getGuest")]
    async fn get(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        uuid: Path<GuestId>,
    ) -> Result<GetGuestResponse, GetGuestErrors> {
        let guest = guest_access::find(&state, uuid.0).await?;
        let seen = state.activity.seen(&guest);
        let valid = seen.is_some();
        let guest = match seen {
            Some(seen) => guest_access::with(guest, seen),
            None => guest,
        };
        Ok(GetGuestResponse::Ok(Json(GuestStatus {
            valid,
            status: guest.status,
            expires_at: guest.expires_at,
            onboarding: OnboardingState {
                domain: guest.onboarding_domain,
                current_step: guest.onboarding_step,
                completed_at: guest.onboarding_completed_at,
            },
        })))
    }
}

/// The valid session `id` names, made active again if it was paused or abandoned; `None`
/// when there is no such session or it has expired.
async fn hand_back(
    state: &AppState,
    id: GuestId,
) -> Result<Option<guest_session::Model>, crate::error::ApiError> {
    let guest = match guest_access::active(state, id).await {
        Ok(guest) => guest,
        Err(crate::error::ApiError::NotFound(_) | crate::error::ApiError::Gone(_)) => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if !matches!(
        guest.status,
        SessionStatus::Paused | SessionStatus::Abandoned
    ) {
        return Ok(Some(guest));
    }
    let txn = state.db.begin().await?;
    let resumed = session::resume(
        &txn,
        &guest,
        state.config.guest_ttl,
        "resume_of",
        Utc::now(),
    )
    .await
    .map_err(|e| match e {
        session::SessionError::Db(e) => crate::error::ApiError::from(e),
        other => {
            tracing::error!(error = %other, "a resume link could not resume the session");
            crate::error::ApiError::internal()
        }
    })?;
    txn.commit().await?;
    Ok(Some(resumed))
}
