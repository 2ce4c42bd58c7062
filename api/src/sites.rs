//! Sites are keyed by their normalised domain; a site row is made the first time a guest
//! analyses or completes onboarding for that domain.

use chrono::Utc;
use onboard_shared::entities::site;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    sea_query::OnConflict,
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
