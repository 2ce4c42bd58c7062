//! The job registry: every job's payload, its stable name and the queue it travels on.
//!
//! Payloads carry only a row id: the database row is the truth and the queue only delivers
//! work, so a payload never goes stale and a lost queue can be rebuilt from the rows.

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// A kind of job, with the name its queue carries (never the Rust type path, so renaming a
/// type cannot orphan queued work).
pub trait Job: Serialize + for<'de> Deserialize<'de> + Send + Sync + Unpin + 'static {
    const NAME: &'static str;
}

/// Every kind of job the service runs, one queue each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Enum),
    oai(rename_all = "lowercase")
)]
pub enum JobKind {
    Analysis,
    Cleanup,
    Monitor,
    Verification,
    Webhooks,
}

impl JobKind {
    /// The job's stable name, which its queue carries.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobKind::Analysis => "analysis",
            JobKind::Cleanup => "cleanup",
            JobKind::Monitor => "monitor",
            JobKind::Verification => "verification",
            JobKind::Webhooks => "webhooks",
        }
    }
}

/// Analyse one `analysis_runs` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisJob {
    pub run_id: i64,
}

impl Job for AnalysisJob {
    const NAME: &'static str = JobKind::Analysis.as_str();
}

/// Carry out one `maintenance_runs` row of kind `cleanup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupJob {
    pub run_id: i64,
}

impl Job for CleanupJob {
    const NAME: &'static str = JobKind::Cleanup.as_str();
}

/// Carry out one `maintenance_runs` row of kind `monitor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorJob {
    pub run_id: i64,
}

impl Job for MonitorJob {
    const NAME: &'static str = JobKind::Monitor.as_str();
}

/// Check one `domain_verifications` row: fetch the site and look for its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationJob {
    pub verification_id: i64,
}

impl Job for VerificationJob {
    const NAME: &'static str = JobKind::Verification.as_str();
}

/// Make one attempt of one `webhook_deliveries` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookJob {
    pub delivery_id: i64,
}

impl Job for WebhookJob {
    const NAME: &'static str = JobKind::Webhooks.as_str();
}

/// The full queue name of a job kind under a deployment's prefix.
pub fn queue_name<J: Job>(prefix: &str) -> String {
    format!("{prefix}:{}", J::NAME)
}

/// The maintenance job kinds, as stored in `maintenance_runs.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Enum),
    oai(rename_all = "lowercase")
)]
pub enum MaintenanceKind {
    #[sea_orm(string_value = "cleanup")]
    Cleanup,
    #[sea_orm(string_value = "monitor")]
    Monitor,
}

impl MaintenanceKind {
    pub const ALL: [MaintenanceKind; 2] = [MaintenanceKind::Cleanup, MaintenanceKind::Monitor];

    /// The job name of the kind, which is also its stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceKind::Cleanup => CleanupJob::NAME,
            MaintenanceKind::Monitor => MonitorJob::NAME,
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

/// Who asked for a maintenance run, as stored in `maintenance_runs.trigger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Enum),
    oai(rename_all = "lowercase")
)]
pub enum Trigger {
    #[sea_orm(string_value = "cron")]
    Cron,
    #[sea_orm(string_value = "api")]
    Api,
    #[sea_orm(string_value = "cli")]
    Cli,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Cron => "cron",
            Trigger::Api => "api",
            Trigger::Cli => "cli",
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::*;

    #[test]
    fn stored_kinds_are_the_job_names() {
        for kind in MaintenanceKind::ALL {
            assert_eq!(kind.to_value(), kind.as_str());
        }
        for trigger in [Trigger::Cron, Trigger::Api, Trigger::Cli] {
            assert_eq!(trigger.to_value(), trigger.as_str());
        }
    }
}
