//! The operators' webhook endpoints (admin token): register, list, change, delete, rotate
//! the signing secret, send a test event, read an endpoint's recent deliveries and
//! redeliver one. Delivery itself is the worker's (`onboard_shared::webhooks`).

use chrono::{DateTime, Utc};
use onboard_shared::{
    entities::{
        webhook_delivery::DeliveryStatus,
        webhook_endpoint::{self, Format},
    },
    webhooks::{
        EventType,
        deliveries::{self, Listed},
        endpoints::{self, Changes, NewEndpoint},
        outbox,
    },
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    types::Example,
};
use serde_json::json;

use super::Tag;
use crate::{
    admin::AdminToken,
    error::{ApiError, ErrorCode, operation_errors},
    json::Json,
    no_null::NoNull,
    state::AppState,
    strict_string::StrictString,
};

operation_errors!(CreateErrors {
    bad_request: "`invalid_url`: not an http(s) URL of at most 2,048 characters without \
                  credentials; `invalid_event_types`: an unknown event type; \
                  `invalid_format`: not `standard` or `chat`; `invalid_description`: longer \
                  than 500 characters; `invalid_request`: the body cannot be read.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
});
operation_errors!(ListErrors {
    bad_request: "`invalid_request`: the request is malformed.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
});
operation_errors!(EndpointErrors {
    bad_request: "`invalid_id`: the id is not a whole number.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
    NotFound = 404: "`webhook_not_found`: no endpoint has this id.",
});
operation_errors!(UpdateErrors {
    bad_request: "`invalid_id`: the id is not a whole number; `invalid_url`, \
                  `invalid_event_types`, `invalid_format`, `invalid_description`, \
                  `invalid_enabled`: that field's value is not accepted.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
    NotFound = 404: "`webhook_not_found`: no endpoint has this id.",
});
operation_errors!(TestErrors {
    bad_request: "`invalid_id`: the id is not a whole number.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
    NotFound = 404: "`webhook_not_found`: no endpoint has this id.",
    Conflict = 409: "`endpoint_disabled`: the endpoint is disabled; enable it first.",
});
operation_errors!(DeliveriesErrors {
    bad_request: "`invalid_id`: the id is not a whole number; `invalid_limit`: not a number \
                  from 1 to 100.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
    NotFound = 404: "`webhook_not_found`: no endpoint has this id.",
});
operation_errors!(RedeliverErrors {
    bad_request: "`invalid_id`: the id is not a whole number.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
    NotFound = 404: "`delivery_not_found`: no delivery has this id.",
    Conflict = 409: "`delivery_in_progress`: an attempt of it is being made now; try again \
                     when it has finished.",
});

#[derive(Default)]
pub struct WebhooksApi;

/// The longest endpoint URL accepted.
const MAX_URL: usize = 2048;
/// Deliveries listed when `limit` is not given.
const DEFAULT_LISTED: u64 = 20;

/// A new endpoint.
#[derive(Object)]
#[oai(rename_all = "camelCase", example)]
pub struct EndpointInput {
    /// Where events are POSTed: an http(s) URL, without credentials. Only publicly routable
    /// addresses are reached, unless `ONBOARD_WEBHOOK_ALLOW_CIDRS` allows more.
    #[oai(validator(max_length = 2048))]
    pub url: StrictString,
    /// For the operators; at most 500 characters.
    #[oai(nullable, validator(max_length = 500))]
    pub description: Option<StrictString>,
    /// The event types wanted; left out or empty, every type.
    #[oai(validator(max_items = 16))]
    pub event_types: NoNull<Vec<EventType>>,
    // Described by its type (see `FloatiePosition` in the onboarding routes for why).
    pub format: NoNull<Format>,
    /// Whether events are sent to it (default true).
    #[oai(nullable)]
    pub enabled: Option<bool>,
}

impl Example for EndpointInput {
    fn example() -> Self {
        EndpointInput {
            url: StrictString("https://hooks.example.com/onboard".into()),
            description: Some(StrictString("Alerts to the on-call channel".into())),
            event_types: NoNull(Some(vec![
                EventType::AlertCompletionRateLow,
                EventType::AlertRunsStuck,
            ])),
            format: NoNull(Some(Format::Chat)),
            enabled: Some(true),
        }
    }
}

/// A change to an endpoint: each field given replaces what is set. Enabling an endpoint
/// the service disabled clears its failure count.
#[derive(Object, Default)]
#[oai(rename_all = "camelCase", example)]
pub struct EndpointUpdate {
    #[oai(nullable, validator(max_length = 2048))]
    pub url: Option<StrictString>,
    #[oai(nullable, validator(max_length = 500))]
    pub description: Option<StrictString>,
    /// Empty: every type.
    #[oai(validator(max_items = 16))]
    pub event_types: NoNull<Vec<EventType>>,
    pub format: NoNull<Format>,
    #[oai(nullable)]
    pub enabled: Option<bool>,
}

impl Example for EndpointUpdate {
    fn example() -> Self {
        EndpointUpdate {
            enabled: Some(true),
            ..Default::default()
        }
    }
}

/// A registered endpoint (its secret is shown only when made).
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct EndpointView {
    pub id: i64,
    pub url: String,
    pub description: String,
    /// The event types it takes; empty means every type.
    pub event_types: Vec<EventType>,
    pub format: Format,
    pub enabled: bool,
    /// Attempts in a row that failed; at `ONBOARD_WEBHOOK_DISABLE_AFTER` the service
    /// disables the endpoint.
    pub consecutive_failures: i32,
    /// Why the service disabled it, when it did.
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Example for EndpointView {
    fn example() -> Self {
        EndpointView {
            id: 3,
            url: "https://hooks.example.com/onboard".into(),
            description: "Alerts to the on-call channel".into(),
            event_types: vec![EventType::AlertCompletionRateLow],
            format: Format::Chat,
            enabled: true,
            consecutive_failures: 0,
            disabled_reason: None,
            created_at: "2026-11-30T08:00:00Z".parse().expect("a time"),
            updated_at: "2026-11-30T08:00:00Z".parse().expect("a time"),
        }
    }
}

impl From<webhook_endpoint::Model> for EndpointView {
    fn from(e: webhook_endpoint::Model) -> Self {
        EndpointView {
            event_types: endpoints::event_types(&e).unwrap_or_default(),
            id: e.id,
            url: e.url,
            description: e.description,
            format: e.format,
            enabled: e.enabled,
            consecutive_failures: e.consecutive_failures,
            disabled_reason: e.disabled_reason,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An endpoint with its signing secret: shown here once.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct EndpointWithSecret {
    pub endpoint: EndpointView,
    /// `whsec_…`: the key receivers verify `webhook-signature` with (Standard Webhooks).
    pub secret: String,
}

#[derive(Object)]
pub struct Endpoints {
    pub endpoints: Vec<EndpointView>,
}

#[derive(ApiResponse)]
pub enum CreateResponse {
    /// Registered; keep the secret, it is not shown again.
    #[oai(status = 201)]
    Created(Json<EndpointWithSecret>),
}

#[derive(ApiResponse)]
pub enum DeleteResponse {
    /// Deleted, with its deliveries.
    #[oai(status = 204)]
    Deleted,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct TestQueued {
    /// The delivery carrying the test event; follow it in the endpoint's deliveries.
    pub delivery_id: i64,
}

#[derive(ApiResponse)]
pub enum TestResponse {
    /// The test event is recorded and will be sent within a second or so.
    #[oai(status = 202)]
    Accepted(Json<TestQueued>),
}

/// One event on its way to one endpoint.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct DeliveryView {
    pub id: i64,
    /// The `webhook-id` header of every attempt.
    pub message_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    /// The start of the last response's body (at most 1 KiB).
    pub last_response: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<Listed> for DeliveryView {
    fn from(l: Listed) -> Self {
        let d = l.delivery;
        DeliveryView {
            id: d.id,
            message_id: l.msg_id,
            event_type: l.event_type,
            next_attempt_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
            status: d.status,
            attempts: d.attempts,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            last_response: d.last_response,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

#[derive(Object)]
pub struct Deliveries {
    /// Newest first.
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct Redelivery {
    pub delivery_id: i64,
    pub status: DeliveryStatus,
}

#[derive(ApiResponse)]
pub enum RedeliverResponse {
    /// Pending again from now, with a new retry window and the same `webhook-id`.
    #[oai(status = 202)]
    Accepted(Json<Redelivery>),
}

#[OpenApi(tag = "Tag::Ops")]
impl WebhooksApi {
    /// Register a webhook endpoint
    ///
    /// Events of the types it takes are POSTed to it, signed per the Standard Webhooks
    /// specification with the secret answered here (shown once). `chat` endpoints get
    /// `{"text": "…"}`, what Slack-style incoming-webhook URLs take.
    #[oai(
        path = "/api/ops/webhooks",
        method = "post",
        operation_id = "createWebhookEndpoint"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        body: Json<EndpointInput>,
    ) -> Result<CreateResponse, CreateErrors> {
        auth.check(&state)?;
        let input = body.0;
        let new = NewEndpoint {
            url: checked_url(&input.url)?,
            description: input.description.map(|d| d.0).unwrap_or_default(),
            event_types: dedup(input.event_types.into_option().unwrap_or_default()),
            format: input.format.into_option().unwrap_or(Format::Standard),
            enabled: input.enabled.unwrap_or(true),
        };
        let endpoint = endpoints::create(&state.db, new).await?;
        Ok(CreateResponse::Created(Json(EndpointWithSecret {
            secret: endpoint.secret.clone(),
            endpoint: endpoint.into(),
        })))
    }

    /// Webhook endpoints
    ///
    /// Every registered endpoint, oldest first, without their secrets.
    #[oai(
        path = "/api/ops/webhooks",
        method = "get",
        operation_id = "listWebhookEndpoints"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
    ) -> Result<Json<Endpoints>, ListErrors> {
        auth.check(&state)?;
        let endpoints = endpoints::list(&state.db).await?;
        Ok(Json(Endpoints {
            endpoints: endpoints.into_iter().map(Into::into).collect(),
        }))
    }

    /// A webhook endpoint
    ///
    /// Its URL, event types, format, whether it is enabled and its failures in a row.
    #[oai(
        path = "/api/ops/webhooks/:id",
        method = "get",
        operation_id = "getWebhookEndpoint"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The endpoint's id.
        id: Path<i64>,
    ) -> Result<Json<EndpointView>, EndpointErrors> {
        auth.check(&state)?;
        let endpoint = endpoints::get(&state.db, id.0).await?;
        Ok(Json(found(endpoint, id.0)?.into()))
    }

    /// Change a webhook endpoint
    ///
    /// Each field given replaces what is set. Enabling an endpoint the service disabled
    /// (after failing attempts in a row) clears its failure count; deliveries that waited
    /// meanwhile go out then.
    #[oai(
        path = "/api/ops/webhooks/:id",
        method = "patch",
        operation_id = "updateWebhookEndpoint"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The endpoint's id.
        id: Path<i64>,
        body: Json<EndpointUpdate>,
    ) -> Result<Json<EndpointView>, UpdateErrors> {
        auth.check(&state)?;
        let input = body.0;
        let changes = Changes {
            url: input.url.as_deref().map(checked_url).transpose()?,
            description: input.description.map(|d| d.0),
            event_types: input.event_types.into_option().map(dedup),
            format: input.format.into_option(),
            enabled: input.enabled,
        };
        let endpoint = endpoints::update(&state.db, id.0, changes).await?;
        Ok(Json(found(endpoint, id.0)?.into()))
    }

    /// Delete a webhook endpoint
    ///
    /// With its deliveries: nothing more is sent to it.
    #[oai(
        path = "/api/ops/webhooks/:id",
        method = "delete",
        operation_id = "deleteWebhookEndpoint"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The endpoint's id.
        id: Path<i64>,
    ) -> Result<DeleteResponse, EndpointErrors> {
        auth.check(&state)?;
        if endpoints::delete(&state.db, id.0).await? {
            Ok(DeleteResponse::Deleted)
        } else {
            Err(not_found(id.0).into())
        }
    }

    /// Rotate an endpoint's signing secret
    ///
    /// Answers the new secret (shown once); attempts from now on are signed with it.
    #[oai(
        path = "/api/ops/webhooks/:id/secret",
        method = "post",
        operation_id = "rotateWebhookSecret"
    )]
    async fn rotate(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The endpoint's id.
        id: Path<i64>,
    ) -> Result<Json<EndpointWithSecret>, EndpointErrors> {
        auth.check(&state)?;
        let endpoint = found(endpoints::rotate_secret(&state.db, id.0).await?, id.0)?;
        Ok(Json(EndpointWithSecret {
            secret: endpoint.secret.clone(),
            endpoint: endpoint.into(),
        }))
    }

    /// Send a test event to an endpoint
    ///
    /// A `webhook.test` event to this endpoint only, whatever types it takes, delivered and
    /// retried like any other.
    #[oai(
        path = "/api/ops/webhooks/:id/test",
        method = "post",
        operation_id = "sendTestWebhook"
    )]
    async fn test(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The endpoint's id.
        id: Path<i64>,
    ) -> Result<TestResponse, TestErrors> {
        auth.check(&state)?;
        let endpoint = found(endpoints::get(&state.db, id.0).await?, id.0)?;
        if !endpoint.enabled {
            return Err(ApiError::conflict(
                ErrorCode::EndpointDisabled,
                format!("Endpoint {} is disabled; enable it first.", endpoint.id),
            )
            .into());
        }
        let data = json!({"endpointId": endpoint.id, "message": "Test event from Onboard"});
        let delivery_id = outbox::record_for(
            &state.db,
            endpoint.id,
            EventType::WebhookTest,
            data,
            Utc::now(),
        )
        .await?;
        Ok(TestResponse::Accepted(Json(TestQueued { delivery_id })))
    }

    /// An endpoint's recent deliveries
    ///
    /// Newest first: status, attempts, the next attempt, the last response's code and the
    /// start of its body.
    #[oai(
        path = "/api/ops/webhooks/:id/deliveries",
        method = "get",
        operation_id = "listWebhookDeliveries"
    )]
    async fn deliveries(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The endpoint's id.
        id: Path<i64>,
        /// Deliveries to list, 1-100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<Deliveries>, DeliveriesErrors> {
        auth.check(&state)?;
        found(endpoints::get(&state.db, id.0).await?, id.0)?;
        let listed = deliveries::recent(&state.db, id.0, limit.0.unwrap_or(DEFAULT_LISTED)).await?;
        Ok(Json(Deliveries {
            deliveries: listed.into_iter().map(Into::into).collect(),
        }))
    }

    /// Redeliver one delivery
    ///
    /// Pending again from now, with a new retry window; receivers see the same
    /// `webhook-id` and can drop it if they already handled it.
    #[oai(
        path = "/api/ops/webhook-deliveries/:id/redeliver",
        method = "post",
        operation_id = "redeliverWebhook"
    )]
    async fn redeliver(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The delivery's id.
        id: Path<i64>,
    ) -> Result<RedeliverResponse, RedeliverErrors> {
        auth.check(&state)?;
        Ok(RedeliverResponse::Accepted(Json(
            redeliver(&state, id.0).await?,
        )))
    }
}

/// Puts a delivery back to pending (the ops API and the ops page).
pub async fn redeliver(state: &AppState, id: i64) -> Result<Redelivery, ApiError> {
    match deliveries::redeliver(&state.db, id, Utc::now()).await? {
        Some(d) => Ok(Redelivery {
            delivery_id: d.id,
            status: d.status,
        }),
        None if deliveries::get(&state.db, id).await?.is_some() => Err(ApiError::conflict(
            ErrorCode::DeliveryInProgress,
            format!("An attempt of delivery {id} is being made now; try again shortly."),
        )),
        None => Err(ApiError::not_found(
            ErrorCode::DeliveryNotFound,
            format!("There is no webhook delivery {id}."),
        )),
    }
}

fn not_found(id: i64) -> ApiError {
    ApiError::not_found(
        ErrorCode::WebhookNotFound,
        format!("There is no webhook endpoint {id}."),
    )
}

fn found(
    endpoint: Option<webhook_endpoint::Model>,
    id: i64,
) -> Result<webhook_endpoint::Model, ApiError> {
    endpoint.ok_or_else(|| not_found(id))
}

/// An http(s) URL with a host and no credentials (they would show in every listing).
fn checked_url(input: &str) -> Result<String, ApiError> {
    let bad = |why: &str| {
        ApiError::bad_request(
            ErrorCode::InvalidUrl,
            format!(
                "The endpoint URL {why}; send an http(s) URL such as https://hooks.example.com/onboard."
            ),
        )
    };
    if input.len() > MAX_URL {
        return Err(bad("is longer than 2,048 characters"));
    }
    let url = url::Url::parse(input.trim()).map_err(|e| bad(&format!("cannot be read ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("is not http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("carries credentials"));
    }
    Ok(url.to_string())
}

fn dedup(mut types: Vec<EventType>) -> Vec<EventType> {
    let mut seen = Vec::with_capacity(types.len());
    types.retain(|t| {
        let new = !seen.contains(t);
        seen.push(*t);
        new
    });
    types
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_are_http_with_a_host_and_no_credentials() {
        assert!(checked_url("https://hooks.example.com/x?y=1").is_ok());
        for bad in [
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "not a url",
            "mailto:ops@example.com",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
    }
}
