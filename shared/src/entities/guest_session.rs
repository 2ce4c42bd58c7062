use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "guest_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: Uuid,
    pub created_at: DateTimeUtc,
    pub last_activity_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub onboarding_domain: Option<String>,
    /// 0 none, 1 design, 2 content, 3 contact.
    pub onboarding_step: i16,
    pub onboarding_completed_at: Option<DateTimeUtc>,
    pub temp_configuration: Json,
    pub metadata: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
