//! The operators' endpoints: registered, listed, changed, deleted, their secret rotated.
//! The secret is made here and shown once, when made.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use serde_json::Value;

use super::{EventType, signature};
use crate::entities::webhook_endpoint::{self, Column, Format, Model};

/// What an operator registers.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub description: String,
    /// Empty: every event type.
    pub event_types: Vec<EventType>,
    pub format: Format,
    pub enabled: bool,
}

/// What an operator changes; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub format: Option<Format>,
    pub enabled: Option<bool>,
}

/// The event types an endpoint takes (`None`: every type).
pub fn event_types(endpoint: &Model) -> Option<Vec<EventType>> {
    let names = endpoint.event_types.as_array()?;
    if names.is_empty() {
        return None;
    }
    Some(
        names
            .iter()
            .filter_map(Value::as_str)
            .filter_map(EventType::parse)
            .collect(),
    )
}

fn stored_types(types: &[EventType]) -> Value {
    Value::Array(types.iter().map(|t| t.as_str().into()).collect())
}

/// The enabled endpoints that take this event type.
pub async fn subscribed<C: ConnectionTrait>(
    db: &C,
    event_type: EventType,
) -> Result<Vec<i64>, DbErr> {
    Ok(webhook_endpoint::Entity::find()
        .filter(Column::Enabled.eq(true))
        .order_by_asc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|e| event_types(e).is_none_or(|types| types.contains(&event_type)))
        .map(|e| e.id)
        .collect())
}

pub async fn create<C: ConnectionTrait>(db: &C, new: NewEndpoint) -> Result<Model, DbErr> {
    let now = Utc::now();
    webhook_endpoint::ActiveModel {
        url: Set(new.url),
        description: Set(new.description),
        event_types: Set(stored_types(&new.event_types)),
        format: Set(new.format),
        enabled: Set(new.enabled),
        secret: Set(signature::new_secret()),
        consecutive_failures: Set(0),
        disabled_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<Model>, DbErr> {
    webhook_endpoint::Entity::find()
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Model>, DbErr> {
    webhook_endpoint::Entity::find_by_id(id).one(db).await
}

/// Applies the changes; enabling an endpoint clears its failure count and the reason the
/// service disabled it.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    changes: Changes,
) -> Result<Option<Model>, DbErr> {
    let Some(endpoint) = get(db, id).await? else {
        return Ok(None);
    };
    let mut active = endpoint.into_active_model();
    if let Some(url) = changes.url {
        active.url = Set(url);
    }
    if let Some(description) = changes.description {
        active.description = Set(description);
    }
    if let Some(types) = changes.event_types {
        active.event_types = Set(stored_types(&types));
    }
    if let Some(format) = changes.format {
        active.format = Set(format);
    }
    if let Some(enabled) = changes.enabled {
        active.enabled = Set(enabled);
        if enabled {
            active.consecutive_failures = Set(0);
            active.disabled_reason = Set(None);
        }
    }
    active.updated_at = Set(Utc::now());
    Ok(Some(active.update(db).await?))
}

/// Deletes the endpoint and its deliveries; whether there was one.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool, DbErr> {
    use crate::entities::webhook_delivery;
    // Not left to the foreign key: SQLite enforces it only when told to.
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::EndpointId.eq(id))
        .exec(db)
        .await?;
    Ok(webhook_endpoint::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Gives the endpoint a new secret and returns it; the old one signs nothing more.
pub async fn rotate_secret<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Model>, DbErr> {
    let Some(endpoint) = get(db, id).await? else {
        return Ok(None);
    };
    let mut active = endpoint.into_active_model();
    active.secret = Set(signature::new_secret());
    active.updated_at = Set(Utc::now());
    Ok(Some(active.update(db).await?))
}
