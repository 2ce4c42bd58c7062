use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "onboarding_configurations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub site_id: i64,
    pub primary_color: String,
    pub secondary_color: String,
    pub floatie_position: String,
    pub floatie_logo: Option<String>,
    pub launcher_logo: Option<String>,
    pub onboarding_step: i16,
    pub is_completed: bool,
    pub contact_methods: Json,
    pub disabled_contact_tabs: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
