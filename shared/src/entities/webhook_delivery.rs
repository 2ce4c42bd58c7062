use sea_orm::entity::prelude::*;

/// One message to one endpoint: its attempts so far and when the next is due.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub message_id: i64,
    pub endpoint_id: i64,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// Set at the first attempt (and again by a redelivery): no attempt is made after it.
    pub retry_until: Option<DateTimeUtc>,
    /// When its job was pushed to the `webhooks` queue for the attempt due; `None` while
    /// waiting for the dispatcher.
    pub pushed_at: Option<DateTimeUtc>,
    /// While `sending`: when a worker that stopped answering is given up on.
    pub locked_until: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    /// The start of the last response's body, bounded.
    pub last_response: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a delivery is, as stored in `webhook_deliveries.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Enum),
    oai(rename_all = "lowercase")
)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// A worker is sending it.
    #[sea_orm(string_value = "sending")]
    Sending,
    /// A 2xx came back.
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// Retried for the whole retry window without a 2xx; given up.
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}
