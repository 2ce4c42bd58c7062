//! The job registry: every job's payload, its stable name and the queue it travels on.
//!
//! Payloads carry only a row id: the database row is the truth and the queue only delivers
//! work, so a payload never goes stale and a lost queue can be rebuilt from the rows.

use serde::{Deserialize, Serialize};

/// A kind of job, with the name its queue carries (never the Rust type path, so renaming a
/// type cannot orphan queued work).
pub trait Job: Serialize + for<'de> Deserialize<'de> + Send + Sync + Unpin + 'static {
    const NAME: &'static str;
}

/// Analyse one `analysis_runs` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisJob {
    pub run_id: i64,
}

impl Job for AnalysisJob {
    const NAME: &'static str = "analysis";
}

/// Carry out one `maintenance_runs` row of kind `cleanup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupJob {
    pub run_id: i64,
}

impl Job for CleanupJob {
    const NAME: &'static str = "cleanup";
}

/// Carry out one `maintenance_runs` row of kind `monitor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorJob {
    pub run_id: i64,
}

impl Job for MonitorJob {
    const NAME: &'static str = "monitor";
}

/// Check one `domain_verifications` row: fetch the site and look for its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationJob {
    pub verification_id: i64,
}

impl Job for VerificationJob {
    const NAME: &'static str = "verification";
}

/// The full queue name of a job kind under a deployment's prefix.
pub fn queue_name<J: Job>(prefix: &str) -> String {
    format!("{prefix}:{}", J::NAME)
}

/// The maintenance job kinds, as stored in `maintenance_runs.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaintenanceKind {
    Cleanup,
    Monitor,
}

impl MaintenanceKind {
    pub const ALL: [MaintenanceKind; 2] = [MaintenanceKind::Cleanup, MaintenanceKind::Monitor];

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Cron,
    Api,
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
