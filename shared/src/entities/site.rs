use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Normalised: lower-case, IDNA, no scheme, no path (see `crate::domain`).
    #[sea_orm(unique)]
    pub domain: String,
    pub created_at: DateTimeUtc,
    /// When an analysis first found the domain answering from a public address; only then
    /// may its origin call the API from a browser (CORS).
    pub validated_at: Option<DateTimeUtc>,
    /// When a guest that proved control of the domain first applied a configuration.
    pub claimed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
