use sea_orm::entity::prelude::*;

/// A guest's proof of control of a domain: a token the site must carry (see
/// `crate::verification`, which re-exports the status types defined here).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "domain_verifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub guest_uuid: Uuid,
    /// Normalised, as `sites.domain`.
    pub domain: String,
    #[sea_orm(unique)]
    pub token: String,
    pub status: Status,
    /// How control was shown, once verified.
    pub method: Option<Method>,
    /// What the last check looked for and found.
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
    pub checked_at: Option<DateTimeUtc>,
    pub verified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a verification is, as stored in `domain_verifications.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Status {
    /// Token issued, never checked.
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "checking")]
    Checking,
    #[sea_orm(string_value = "verified")]
    Verified,
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Checking => "checking",
            Status::Verified => "verified",
            Status::Failed => "failed",
        }
    }
}

/// How control of the domain was shown, as stored in `domain_verifications.method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Method {
    #[sea_orm(string_value = "meta")]
    Meta,
    #[sea_orm(string_value = "file")]
    File,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Meta => "meta",
            Method::File => "file",
        }
    }
}
