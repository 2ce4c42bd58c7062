use sea_orm::entity::prelude::*;

/// One event in the outbox, written in the transaction of the change it reports.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `msg_…`: the `webhook-id` header of every attempt to every endpoint.
    #[sea_orm(unique)]
    pub msg_id: String,
    pub event_type: String,
    /// The JSON body sent to standard endpoints, byte for byte.
    pub payload: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
