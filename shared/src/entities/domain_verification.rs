use sea_orm::entity::prelude::*;

/// A guest's proof of control of a domain: a token the site must carry (see
/// `crate::verification`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "domain_verifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub guest_uuid: Uuid,
    /// Normalised, as `sites.domain`.
    pub domain: String,
    #[sea_orm(unique)]
    pub token: String,
    pub status: crate::verification::Status,
    /// How control was shown, once verified.
    pub method: Option<crate::verification::Method>,
    /// What the last check looked for and found.
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
    pub checked_at: Option<DateTimeUtc>,
    pub verified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
