use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "site_insights")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub run_id: i64,
    pub site_id: i64,
    /// JSON array of `{color, source, confidence}`.
    pub suggested_colors: Json,
    pub logo_url: Option<String>,
    pub favicon_url: Option<String>,
    /// JSON object: emails, phones, chat widgets, social profiles, help centre links.
    pub support_channels: Json,
    /// JSON object: category → page count.
    pub content_categories: Json,
    pub language: Option<String>,
    /// JSON object: page count, mean score, low-quality and duplicate counts.
    pub quality_summary: Json,
    /// JSON array of `{question, answer, page}` from the site's FAQ pages.
    pub faq_pairs: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
