use sea_orm::entity::prelude::*;

/// Whether an alert condition holds, so it is sent when it starts and not every monitor
/// run while it lasts.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub active: bool,
    pub since: Option<DateTimeUtc>,
    /// What the last check measured.
    pub details: Json,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
