use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "maintenance_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: crate::jobs::MaintenanceKind,
    pub trigger: crate::jobs::Trigger,
    /// The schedule slot for cron runs; unique with `kind`, so each slot runs once.
    pub slot: Option<String>,
    pub status: crate::maintenance::MaintenanceStatus,
    pub report: Json,
    pub error_message: Option<String>,
    pub queued_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
