//! Flags in the database: listed, written whole or in part, deleted. Every write is
//! followed by a notice ([`super::cache::FlagCache::changed`]) so caches drop what they
//! hold.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryOrder,
};
use serde_json::Value;

use super::Flag;
use crate::entities::feature_flag::{self, Column};

/// What a write sets; `None` keeps the stored value (or the default of a new flag: on,
/// 100 %, no site lists).
#[derive(Debug, Clone, Default)]
pub struct FlagChanges {
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub rollout_percentage: Option<u8>,
    pub on_domains: Option<Vec<String>>,
    pub off_domains: Option<Vec<String>>,
}

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<Flag>, DbErr> {
    Ok(feature_flag::Entity::find()
        .order_by_asc(Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(Flag::from)
        .collect())
}

pub async fn get<C: ConnectionTrait>(db: &C, name: &str) -> Result<Option<Flag>, DbErr> {
    Ok(feature_flag::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .map(Flag::from))
}

fn domains(list: Vec<String>) -> Value {
    Value::Array(list.into_iter().map(Value::String).collect())
}

/// Creates the flag or changes it; returns it as stored and whether it is new.
pub async fn put<C: ConnectionTrait>(
    db: &C,
    name: &str,
    changes: FlagChanges,
) -> Result<(Flag, bool), DbErr> {
    let now = Utc::now();
    let existing = feature_flag::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?;
    let created = existing.is_none();
    let mut active = match existing {
        Some(row) => row.into_active_model(),
        None => feature_flag::ActiveModel {
            name: Set(name.to_owned()),
            description: Set(String::new()),
            enabled: Set(true),
            rollout_percentage: Set(100),
            on_domains: Set(Value::Array(Vec::new())),
            off_domains: Set(Value::Array(Vec::new())),
            kill_switch: Set(false),
            updated_at: Set(now),
        },
    };
    if let Some(description) = changes.description {
        active.description = Set(description);
    }
    if let Some(enabled) = changes.enabled {
        active.enabled = Set(enabled);
    }
    if let Some(percent) = changes.rollout_percentage {
        active.rollout_percentage = Set(i16::from(percent.min(100)));
    }
    if let Some(list) = changes.on_domains {
        active.on_domains = Set(domains(list));
    }
    if let Some(list) = changes.off_domains {
        active.off_domains = Set(domains(list));
    }
    active.updated_at = Set(now);
    let row = if created {
        active.insert(db).await?
    } else {
        active.update(db).await?
    };
    Ok((row.into(), created))
}

/// Deletes a flag; whether there was one.
pub async fn delete<C: ConnectionTrait>(db: &C, name: &str) -> Result<bool, DbErr> {
    Ok(feature_flag::Entity::delete_by_id(name.to_owned())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
