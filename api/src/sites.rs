//! Sites are keyed by their normalised domain; a site row is made the first time a guest
//! analyses or completes onboarding for that domain.

use chrono::Utc;
use onboard_shared::entities::site;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect, sea_query::OnConflict,
};

/// The site row for a normalised domain, created if missing (safe under concurrency).
pub async fn upsert(db: &DatabaseConnection, domain: &str) -> Result<site::Model, DbErr> {
    site::Entity::insert(site::ActiveModel {
        domain: Set(domain.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(site::Column::Domain)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    site::Entity::find()
        .filter(site::Column::Domain.eq(domain))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("site {domain}")))
}

/// The id of the site of a domain, if it has a row.
pub async fn id_of<C: ConnectionTrait>(db: &C, domain: Option<&str>) -> Result<Option<i64>, DbErr> {
    let Some(domain) = domain else {
        return Ok(None);
    };
    site::Entity::find()
        .select_only()
        .column(site::Column::Id)
        .filter(site::Column::Domain.eq(domain))
        .into_tuple()
        .one(db)
        .await
}
