//! The outbox: an event becomes a message row and one delivery per subscribed endpoint,
//! written on the caller's connection, so inside the transaction of the change it reports.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{EventType, endpoints, signature};
use crate::entities::{
    site,
    webhook_delivery::{self, DeliveryStatus},
    webhook_message,
};

/// Whose change an event reports; each known part is added to the event's data.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject {
    pub guest: Option<Uuid>,
    pub site_id: Option<i64>,
}

/// Records an event for every enabled endpoint subscribed to its type; returns how many
/// deliveries it made (none, and no message, when nobody subscribes).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    event_type: EventType,
    subject: Subject,
    data: Value,
    at: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let targets = endpoints::subscribed(db, event_type).await?;
    if targets.is_empty() {
        return Ok(0);
    }
    let data = with_subject(db, subject, data).await?;
    let message = insert_message(db, event_type, data, at).await?;
    for endpoint in &targets {
        insert_delivery(db, message.id, *endpoint, at).await?;
    }
    Ok(targets.len())
}

/// Records an event for one endpoint only, whatever it subscribes to (a test event).
/// Returns the delivery's id.
pub async fn record_for<C: ConnectionTrait>(
    db: &C,
    endpoint_id: i64,
    event_type: EventType,
    data: Value,
    at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let message = insert_message(db, event_type, data, at).await?;
    insert_delivery(db, message.id, endpoint_id, at).await
}

async fn with_subject<C: ConnectionTrait>(
    db: &C,
    subject: Subject,
    mut data: Value,
) -> Result<Value, DbErr> {
    let Value::Object(fields) = &mut data else {
        return Ok(data);
    };
    if let Some(guest) = subject.guest {
        fields.insert("guestUuid".into(), json!(guest));
    }
    if let Some(site_id) = subject.site_id {
        fields.insert("siteId".into(), json!(site_id));
        let domain: Option<String> = site::Entity::find_by_id(site_id)
            .select_only()
            .column(site::Column::Domain)
            .into_tuple()
            .one(db)
            .await?;
        fields.insert("domain".into(), json!(domain));
    }
    Ok(data)
}

async fn insert_message<C: ConnectionTrait>(
    db: &C,
    event_type: EventType,
    data: Value,
    at: DateTime<Utc>,
) -> Result<webhook_message::Model, DbErr> {
    // The body standard endpoints receive, fixed now so every attempt sends the same bytes.
    let payload = json!({
        "type": event_type.as_str(),
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    });
    webhook_message::ActiveModel {
        msg_id: Set(signature::new_msg_id()),
        event_type: Set(event_type.as_str().to_owned()),
        payload: Set(payload.to_string()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
}

async fn insert_delivery<C: ConnectionTrait>(
    db: &C,
    message_id: i64,
    endpoint_id: i64,
    at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    Ok(webhook_delivery::ActiveModel {
        message_id: Set(message_id),
        endpoint_id: Set(endpoint_id),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(at),
        retry_until: Set(None),
        pushed_at: Set(None),
        locked_until: Set(None),
        last_attempt_at: Set(None),
        last_status_code: Set(None),
        last_response: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        delivered_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?
    .id)
}
