use std::collections::BTreeMap;

use chrono::Utc;
use onboard_shared::{analytics::UiEvent, entities::event, sites};
use poem::web::Data;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, types::Example};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::Value;

use super::Tag;
use crate::{
    error::{ApiError, ErrorCode, operation_errors},
    guest_access,
    guest_id::GuestId,
    json::Json,
    state::AppState,
    strict_string::StrictString,
};

operation_errors!(EventErrors {
    bad_request: "`invalid_request` (the body is not JSON of the documented shape); a field \
                  that breaks its rule, named by its code: `invalid_event_type`, \
                  `invalid_custom_type` (missing with `custom`, or given with another type), \
                  `invalid_guest_uuid`, `invalid_session_id`, `invalid_event_data`.",
    NotFound = 404: "`guest_not_found`: no guest session has this `guestUuid`.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
    TooLarge = 413: "`event_data_too_large`: `eventData` is over 8 KiB of JSON; \
                     `payload_too_large`: the body is over the limit.",
    UnsupportedMediaType = 415: "`unsupported_media_type`: the body is not JSON.",
});

#[derive(Default)]
pub struct StatsApi;

pub const MAX_EVENT_DATA_BYTES: usize = 8 * 1024;

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct NewEvent {
    // Described by its type (see `FloatiePosition` in the onboarding routes for why).
    pub event_type: UiEvent,
    /// With `custom` (and only then): the UI's own name for the event, 1-57 lower-case
    /// letters, digits and `_ . : -`. Recorded as `custom.<customType>`.
    #[oai(validator(pattern = r"^[a-z0-9_.:-]{1,57}$"))]
    pub custom_type: Option<StrictString>,
    /// The guest session the event belongs to (v4 UUID).
    pub guest_uuid: GuestId,
    /// The UI's own session id, 1-128 characters.
    #[oai(validator(min_length = 1, max_length = 128))]
    pub session_id: Option<StrictString>,
    /// A JSON object of at most 8 KiB.
    pub event_data: Option<BTreeMap<String, Value>>,
}

impl Example for NewEvent {
    fn example() -> Self {
        NewEvent {
            event_type: UiEvent::StepViewed,
            custom_type: None,
            guest_uuid: GuestId::EXAMPLE,
            session_id: Some("ui-session-1".to_owned().into()),
            event_data: Some(BTreeMap::from([("step".to_owned(), Value::from(2))])),
        }
    }
}

/// `accepted`: the event is recorded.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum EventStatus {
    Accepted,
}

#[derive(Object)]
#[oai(example)]
pub struct EventAccepted {
    pub status: EventStatus,
    pub id: i64,
}

impl Example for EventAccepted {
    fn example() -> Self {
        EventAccepted {
            status: EventStatus::Accepted,
            id: 42,
        }
    }
}

#[derive(ApiResponse)]
pub enum EventResponse {
    /// The event was recorded.
    #[oai(status = 202)]
    Accepted(Json<EventAccepted>),
}

#[OpenApi(tag = "Tag::Stats")]
impl StatsApi {
    /// Record an analytics event
    ///
    /// An event from the onboarding UI (a page or step viewed, a button clicked, …),
    /// counted in the daily analytics by type.
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
        let event_type = match (input.event_type, input.custom_type) {
            (UiEvent::Custom, Some(name)) => format!("custom.{}", String::from(name)),
            (UiEvent::Custom, None) => {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidCustomType,
                    "customType is required with the event type custom: the UI's own name \
                     for the event, such as video_played.",
                )
                .into());
            }
            (other, None) => other.as_str().to_owned(),
            (other, Some(_)) => {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidCustomType,
                    format!(
                        "customType goes only with the event type custom, not with {}.",
                        other.as_str()
                    ),
                )
                .into());
            }
        };
        let data = Value::Object(input.event_data.unwrap_or_default().into_iter().collect());
        if data.to_string().len() > MAX_EVENT_DATA_BYTES {
            return Err(ApiError::too_large(
                ErrorCode::EventDataTooLarge,
                format!(
                    "eventData is {} bytes of JSON; at most {MAX_EVENT_DATA_BYTES} are accepted.",
                    data.to_string().len()
                ),
            )
            .into());
        }
        let guest = guest_access::active(&state, input.guest_uuid).await?;
        let site_id = sites::id_of(&state.db, guest.onboarding_domain.as_deref()).await?;
        let saved = event::ActiveModel {
            event_type: Set(event_type),
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
            status: EventStatus::Accepted,
            id: saved.id,
        })))
    }
}
