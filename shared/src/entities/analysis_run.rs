use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "analysis_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_id: i64,
    pub guest_uuid: Uuid,
    pub status: crate::runs::RunStatus,
    /// JSON array of `crate::progress::Step`.
    pub steps: Json,
    pub current_step: i16,
    pub total_steps: i16,
    pub completion_percentage: i16,
    /// What the guest is shown when the run failed: a generic reason where the detail
    /// would tell a guest about addresses or ports.
    pub error_message: Option<String>,
    /// The technical reason of a failure, for operators only.
    pub error_detail: Option<String>,
    pub retry_count: i32,
    pub pages_discovered: i32,
    pub pages_crawled: i32,
    pub pages_failed: i32,
    pub pages_skipped: i32,
    pub lease_owner: Option<String>,
    pub heartbeat_at: Option<DateTimeUtc>,
    pub queued_at: DateTimeUtc,
    /// When the job for this queueing was pushed; `None` while the run waits for admission.
    pub pushed_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// The client address that started the run; `None` for runs the service made itself.
    pub client_ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
