use std::collections::BTreeMap;

use chrono::Utc;
use onboard_shared::{entities::event, sites};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::Value;

use super::Tag;
use crate::{
    error::{ApiError, operation_errors},
    guest_access,
    guest_id::GuestId,
    state::AppState,
    strict_string::StrictString,
};

operation_errors!(EventErrors {
    NotFound = 404: "No guest session has the given guestUuid.",
    Gone = 410: "The guest session has expired.",
    TooLarge = 413: "The body, or its eventData, is too large.",
    UnsupportedMediaType = 415: "The body is not JSON.",
});

#[derive(Default)]
pub struct StatsApi;

pub const MAX_EVENT_DATA_BYTES: usize = 8 * 1024;

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct NewEvent {
    /// One of `page.viewed`, `step.viewed`, `button.clicked`, `help.opened`,
    /// `preview.opened`, `suggestion.accepted`, `suggestion.dismissed`, `error.shown`, or
    /// the UI's own type under the `custom.` prefix (`custom.video_played`). 1-64
    /// characters. The types the service records by itself (`onboarding.*`, `step.navigated`,
    /// `design.updated`, `analysis.*`) are refused.
    #[oai(validator(
        pattern = r"^(page\.viewed|step\.viewed|button\.clicked|help\.opened|preview\.opened|suggestion\.accepted|suggestion\.dismissed|error\.shown|custom\.[a-z0-9_.:-]{1,57})$"
    ))]
    pub event_type: StrictString,
    /// The guest session the event belongs to (v4 UUID).
    pub guest_uuid: GuestId,
    /// The UI's own session id, 1-128 characters.
    #[oai(nullable, validator(min_length = 1, max_length = 128))]
    pub session_id: Option<StrictString>,
    /// A JSON object of at most 8 KiB.
    #[oai(nullable)]
    pub event_data: Option<BTreeMap<String, Value>>,
}

#[derive(Object)]
pub struct EventAccepted {
    /// `accepted`.
    pub status: String,
    pub id: i64,
}

#[derive(ApiResponse)]
pub enum EventResponse {
    /// The event was recorded.
    #[oai(status = 202)]
    Accepted(Json<EventAccepted>),
}

#[OpenApi(tag = "Tag::Stats")]
impl StatsApi {
    /// Record an analytics event from the onboarding UI.
    #[oai(
        path = "/api/stats/events",
        method = "post",
        operation_id = "recordEvent"
    )]
    async fn record(
        &self,
        state: Data<&AppState>,
        body: Json<NewEvent>,
    ) -> Result<EventResponse, EventErrors> {
        let input = body.0;
        let data = Value::Object(input.event_data.unwrap_or_default().into_iter().collect());
        if data.to_string().len() > MAX_EVENT_DATA_BYTES {
            return Err(ApiError::too_large(
                "event_data_too_large",
                format!("eventData must be at most {MAX_EVENT_DATA_BYTES} bytes of JSON"),
            )
            .into());
        }
        let guest = guest_access::active(&state, input.guest_uuid).await?;
        let site_id = sites::id_of(&state.db, guest.onboarding_domain.as_deref()).await?;
        let saved = event::ActiveModel {
            event_type: Set(input.event_type.into()),
            guest_uuid: Set(Some(guest.uuid)),
            site_id: Set(site_id),
            session_id: Set(input.session_id.map(Into::into)),
            data: Set(data),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&state.db)
        .await?;
        Ok(EventResponse::Accepted(Json(EventAccepted {
            status: "accepted".into(),
            id: saved.id,
        })))
    }
}
