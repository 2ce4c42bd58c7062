use sea_orm::entity::prelude::*;

/// A feature flag (see `crate::flags`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "feature_flags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// 0-100: the share of guests the flag is on for.
    pub rollout_percentage: i16,
    /// Site domains (normalised) the flag is always on for: beta sites.
    pub on_domains: Json,
    /// Site domains the flag is always off for.
    pub off_domains: Json,
    /// A switch the service itself honours; all or nothing, never deleted.
    pub kill_switch: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
