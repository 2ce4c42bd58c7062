//! Sites are keyed by their normalised domain; a site row is made the first time a guest
//! analyses or completes onboarding for that domain. Its domain validates when an analysis
//! finds it answering; it is claimed when a verified guest first applies a configuration.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, OnConflict},
};

use crate::entities::site;

/// The site row for a normalised domain, created if missing (safe under concurrency).
pub async fn upsert<C: ConnectionTrait>(db: &C, domain: &str) -> Result<site::Model, DbErr> {
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

/// The site's domain answered from an allowed address: its origin may now be granted CORS.
pub async fn mark_validated<C: ConnectionTrait>(db: &C, site_id: i64) -> Result<(), DbErr> {
    site::Entity::update_many()
        .col_expr(site::Column::ValidatedAt, Expr::value(Utc::now()))
        .filter(site::Column::Id.eq(site_id))
        .filter(site::Column::ValidatedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The first verified guest to apply a configuration claims the site.
pub async fn mark_claimed<C: ConnectionTrait>(
    db: &C,
    site_id: i64,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    site::Entity::update_many()
        .col_expr(site::Column::ClaimedAt, Expr::value(at))
        .filter(site::Column::Id.eq(site_id))
        .filter(site::Column::ClaimedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
