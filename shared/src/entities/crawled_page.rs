use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "crawled_pages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub url: String,
    pub canonical_url: Option<String>,
    pub depth: i32,
    pub status_code: Option<i32>,
    pub content_type: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub category: Option<String>,
    pub main_text: Option<String>,
    pub markdown: Option<String>,
    pub word_count: i32,
    pub content_hash: Option<String>,
    pub simhash: Option<i64>,
    pub quality_score: Option<i16>,
    pub quality_breakdown: Option<Json>,
    pub duplicate_of: Option<i64>,
    /// Why a found page was not crawled or failed (robots, depth, status, timeout, ...).
    pub skip_reason: Option<String>,
    pub fetched_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
