//! What the api and the worker read about runs.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::RunStatus;
use crate::entities::analysis_run::{Column, Entity, Model};

/// One of the guest's runs; another guest's is answered like a missing one.
pub async fn of_guest<C: ConnectionTrait>(
    db: &C,
    guest: Uuid,
    id: i64,
) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id)
        .filter(Column::GuestUuid.eq(guest))
        .one(db)
        .await
}

/// The guest's latest run.
pub async fn latest<C: ConnectionTrait>(db: &C, guest: Uuid) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::GuestUuid.eq(guest))
        .order_by_desc(Column::Id)
        .one(db)
        .await
}

/// The guest's queued or running run (at most one: a unique index says so).
pub async fn active<C: ConnectionTrait>(db: &C, guest: Uuid) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::GuestUuid.eq(guest))
        .filter(Column::Status.is_in(RunStatus::ACTIVE))
        .one(db)
        .await
}

/// The guest's latest succeeded run of a site.
pub async fn latest_succeeded<C: ConnectionTrait>(
    db: &C,
    guest: Uuid,
    site_id: i64,
) -> Result<Option<Model>, DbErr> {
    latest_of(db, guest, site_id, &[RunStatus::Succeeded]).await
}

/// The run whose pages a search reads: the guest's latest succeeded run of a site, else
/// its latest finished one. A run under way is never searched: its pages are still coming.
pub async fn searchable<C: ConnectionTrait>(
    db: &C,
    guest: Uuid,
    site_id: i64,
) -> Result<Option<Model>, DbErr> {
    match latest_succeeded(db, guest, site_id).await? {
        Some(run) => Ok(Some(run)),
        None => {
            latest_of(
                db,
                guest,
                site_id,
                &[RunStatus::Failed, RunStatus::Cancelled],
            )
            .await
        }
    }
}

async fn latest_of<C: ConnectionTrait>(
    db: &C,
    guest: Uuid,
    site_id: i64,
    statuses: &[RunStatus],
) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::GuestUuid.eq(guest))
        .filter(Column::SiteId.eq(site_id))
        .filter(Column::Status.is_in(statuses.iter().copied()))
        .order_by_desc(Column::Id)
        .one(db)
        .await
}

/// How often a run has been given back after an internal failure or a reset.
pub async fn retry_count<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<i32>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::RetryCount)
        .filter(Column::Id.eq(id))
        .into_tuple()
        .one(db)
        .await
}

/// When the longest-waiting queued run was queued (the ops queue view).
pub async fn oldest_queued_at<C: ConnectionTrait>(db: &C) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(Entity::find()
        .select_only()
        .column_as(Column::QueuedAt.min(), "oldest")
        .filter(Column::Status.eq(RunStatus::Queued))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten())
}

/// The latest runs of every guest, newest first (the operators' page).
pub async fn recent<C: ConnectionTrait>(db: &C, limit: u64) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}
