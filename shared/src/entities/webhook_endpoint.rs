use sea_orm::entity::prelude::*;

/// An operator's endpoint that receives events (see `crate::webhooks`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub url: String,
    pub description: String,
    /// The event types wanted, as a JSON array of names; empty means every type.
    pub event_types: Json,
    pub format: Format,
    pub enabled: bool,
    /// `whsec_` and the base64 key the signatures are made with.
    pub secret: String,
    /// Attempts in a row that failed; a success sets it back to 0.
    pub consecutive_failures: i32,
    /// Why the service disabled the endpoint, when it did.
    pub disabled_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The body an endpoint takes, as stored in `webhook_endpoints.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Enum),
    oai(rename_all = "lowercase")
)]
pub enum Format {
    /// The event as JSON: `{"type", "timestamp", "data"}`.
    #[sea_orm(string_value = "standard")]
    Standard,
    /// `{"text": "…"}`: what Slack-style incoming-webhook URLs take.
    #[sea_orm(string_value = "chat")]
    Chat,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Standard => "standard",
            Format::Chat => "chat",
        }
    }
}
