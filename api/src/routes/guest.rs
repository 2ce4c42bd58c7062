use chrono::{DateTime, Utc};
use onboard_shared::{
    analytics::{self, Auto},
    entities::guest_session,
};
use poem::{Request, http::header, web::Data};
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path};
use sea_orm::{ActiveModelTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::Tag;
use crate::{
    error::operation_errors, guest_access, guest_id::GuestId, json::Json, state::AppState,
};

operation_errors!(CreateGuestErrors {
    bad_request: "`invalid_request`: the request cannot be read.",
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
}

impl poem_openapi::types::Example for GuestCreated {
    fn example() -> Self {
        GuestCreated {
            uuid: GuestId::EXAMPLE.0,
            expires_at: "2026-12-06T12:00:00Z".parse().expect("a time"),
        }
    }
}

#[derive(ApiResponse)]
pub enum CreateGuestResponse {
    /// The new guest session.
    #[oai(status = 201)]
    Created(Json<GuestCreated>),
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
    pub expires_at: DateTime<Utc>,
    pub onboarding: OnboardingState,
}

impl poem_openapi::types::Example for GuestStatus {
    fn example() -> Self {
        GuestStatus {
            valid: true,
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
    ) -> Result<CreateGuestResponse, CreateGuestErrors> {
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
            expires_at: guest.expires_at,
            onboarding: OnboardingState {
                domain: guest.onboarding_domain,
                current_step: guest.onboarding_step,
                completed_at: guest.onboarding_completed_at,
            },
        })))
    }
}
