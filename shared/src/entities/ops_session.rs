use sea_orm::entity::prelude::*;

/// A signed-in operators' page session. The cookie holds a random id; the row holds only
/// its digest, so a copy of the table opens nothing.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ops_sessions")]
pub struct Model {
    /// Hex SHA-256 of the session id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_hash: String,
    /// Hex SHA-256 of the session id and the admin token it was opened with, so changing
    /// the token ends every session.
    pub token_check: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
