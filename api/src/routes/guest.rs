use chrono::{DateTime, Utc};
use onboard_shared::{
    analytics::{self, Auto},
    entities::guest_session,
};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Header, param::Path, payload::Json};
use sea_orm::{ActiveModelTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::Tag;
use crate::{error::operation_errors, guest_access, guest_id::GuestId, state::AppState};

operation_errors!(CreateGuestErrors {});
operation_errors!(GetGuestErrors {
    NotFound = 404: "No guest session has this id.",
});

#[derive(Default)]
pub struct GuestApi;

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct GuestCreated {
    pub uuid: Uuid,
    pub expires_at: DateTime<Utc>,
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
    pub domain: Option<String>,
    pub current_step: i16,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct GuestStatus {
    /// False once the session has expired.
    pub valid: bool,
    pub expires_at: DateTime<Utc>,
    pub onboarding: OnboardingState,
}

const MAX_HEADER_KEPT: usize = 512;

#[OpenApi(tag = "Tag::Guest")]
impl GuestApi {
    /// Start a guest session.
    #[oai(path = "/api/guest", method = "post", operation_id = "createGuest")]
    async fn create(
        &self,
        state: Data<&AppState>,
        #[oai(name = "User-Agent")] user_agent: Header<Option<String>>,
        #[oai(name = "Referer")] referer: Header<Option<String>>,
    ) -> Result<CreateGuestResponse, CreateGuestErrors> {
        let clip =
            |s: Option<String>| s.map(|s| s.chars().take(MAX_HEADER_KEPT).collect::<String>());
        let now = Utc::now();
        let txn = state.db.begin().await?;
        let guest = guest_session::ActiveModel::new_guest(
            Uuid::new_v4(),
            now,
            state.config.guest_ttl,
            json!({"userAgent": clip(user_agent.0), "landingPage": clip(referer.0)}),
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

    /// A guest session's validity and onboarding state; records activity while valid.
    #[oai(path = "/api/guest/:uuid", method = "get", operation_id = "getGuest")]
    async fn get(
        &self,
        state: Data<&AppState>,
        uuid: Path<GuestId>,
    ) -> Result<Json<GuestStatus>, GetGuestErrors> {
        let mut guest = guest_access::find(&state, uuid.0).await?;
        let valid = guest.expires_at > Utc::now();
        if valid {
            guest = guest_access::touch(&state, guest).await?;
        }
        Ok(Json(GuestStatus {
            valid,
            expires_at: guest.expires_at,
            onboarding: OnboardingState {
                domain: guest.onboarding_domain,
                current_step: guest.onboarding_step,
                completed_at: guest.onboarding_completed_at,
            },
        }))
    }
}
