use chrono::Utc;
use onboard_shared::entities::{event, site};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use super::Tag;
use crate::{
    error::{ApiError, operation_errors},
    guest_access,
    guest_id::GuestId,
    state::AppState,
};

operation_errors!(EventErrors {
    NotFound = 404: "No guest session has the given guestUuid.",
    TooLarge = 413: "The body, or its eventData, is too large.",
    UnsupportedMediaType = 415: "The body is not JSON.",
});

#[derive(Default)]
pub struct StatsApi;

pub const MAX_EVENT_DATA_BYTES: usize = 8 * 1024;
pub const MAX_EVENT_TYPE: usize = 64;
pub const MAX_SESSION_ID: usize = 128;

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct NewEvent {
    /// 1-64 characters: lower-case letters, digits, `_`, `.`, `:` or `-`, starting with a letter.
    pub event_type: String,
    /// The guest session the event belongs to (v4 UUID).
    pub guest_uuid: GuestId,
    /// The UI's own session id, at most 128 characters.
    pub session_id: Option<String>,
    /// A JSON object of at most 8 KiB.
    pub event_data: Option<Value>,
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
        let type_ok = (1..=MAX_EVENT_TYPE).contains(&input.event_type.len())
            && input
                .event_type
                .starts_with(|c: char| c.is_ascii_lowercase())
            && input.event_type.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'.' | b':' | b'-')
            });
        if !type_ok {
            return Err(ApiError::bad_request(
                "invalid_event_type",
                "eventType takes 1-64 lower-case letters, digits, _ . : or -, starting with a letter",
            ).into());
        }
        if input
            .session_id
            .as_ref()
            .is_some_and(|s| s.is_empty() || s.len() > MAX_SESSION_ID)
        {
            return Err(ApiError::bad_request(
                "invalid_session_id",
                "sessionId takes 1-128 characters",
            )
            .into());
        }
        let data = input
            .event_data
            .unwrap_or_else(|| Value::Object(Default::default()));
        if !data.is_object() {
            return Err(ApiError::bad_request(
                "invalid_event_data",
                "eventData must be a JSON object",
            )
            .into());
        }
        if data.to_string().len() > MAX_EVENT_DATA_BYTES {
            return Err(ApiError::too_large(
                "event_data_too_large",
                format!("eventData must be at most {MAX_EVENT_DATA_BYTES} bytes of JSON"),
            )
            .into());
        }
        let guest = guest_access::find(&state, input.guest_uuid).await?;
        let site_id = match &guest.onboarding_domain {
            Some(domain) => site::Entity::find()
                .filter(site::Column::Domain.eq(domain.as_str()))
                .one(&state.db)
                .await?
                .map(|s| s.id),
            None => None,
        };
        let saved = event::ActiveModel {
            event_type: Set(input.event_type),
            guest_uuid: Set(Some(guest.uuid)),
            site_id: Set(site_id),
            session_id: Set(input.session_id),
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
