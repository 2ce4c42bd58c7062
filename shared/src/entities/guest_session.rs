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
    /// The furthest step reached, so each step's first reach is recorded once.
    pub furthest_step: i16,
    /// When the monitor first found the guest idle and unfinished (recorded once).
    pub abandoned_at: Option<DateTimeUtc>,
    /// Where the session is (see `crate::session`).
    pub status: SessionStatus,
    /// When the guest paused, while paused.
    pub paused_at: Option<DateTimeUtc>,
}

/// The onboarding session's state, as stored in `guest_sessions.status`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Enum),
    oai(rename_all = "lowercase")
)]
pub enum SessionStatus {
    /// Onboarding under way.
    #[sea_orm(string_value = "active")]
    Active,
    /// Put aside by the guest; kept, and never marked abandoned, until its own expiry.
    #[sea_orm(string_value = "paused")]
    Paused,
    /// Onboarding completed: the configuration is live on the site.
    #[sea_orm(string_value = "completed")]
    Completed,
    /// Found idle and unfinished by the monitor; a return makes it active again.
    #[sea_orm(string_value = "abandoned")]
    Abandoned,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::Paused => "paused",
            SessionStatus::Completed => "completed",
            SessionStatus::Abandoned => "abandoned",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl ActiveModel {
    /// A new guest: active `now`, expiring `ttl` later, at no step, with the default
    /// configuration and the given request metadata.
    pub fn new_guest(
        uuid: Uuid,
        now: DateTimeUtc,
        ttl: std::time::Duration,
        metadata: Json,
    ) -> Self {
        use sea_orm::ActiveValue::Set;
        Self {
            uuid: Set(uuid),
            created_at: Set(now),
            last_activity_at: Set(now),
            expires_at: Set(now + chrono::Duration::from_std(ttl).unwrap_or_default()),
            onboarding_domain: Set(None),
            onboarding_step: Set(0),
            onboarding_completed_at: Set(None),
            temp_configuration: Set(crate::onboarding::TempConfiguration::default().to_json()),
            metadata: Set(metadata),
            furthest_step: Set(0),
            abandoned_at: Set(None),
            status: Set(SessionStatus::Active),
            paused_at: Set(None),
        }
    }
}

impl std::fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
