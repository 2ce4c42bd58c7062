//! What a finished maintenance run did, in counts: the shape of `maintenance_runs.report`,
//! written by the worker and shown by the ops API and page.

use serde::{Deserialize, Serialize};

use crate::jobs::MaintenanceKind;

/// What a cleanup run deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Object),
    oai(rename_all = "camelCase")
)]
pub struct CleanupReport {
    /// Expired guest sessions, with their runs, pages and uploads.
    pub guests_deleted: u64,
    pub ops_sessions_expired: u64,
    /// Maintenance runs older than the retention.
    pub maintenance_runs_pruned: u64,
    /// Stored logo files of deleted guests, and files no upload names.
    pub logo_files_deleted: u64,
    /// Finished entries removed from the job queues.
    pub queue_entries_vacuumed: u64,
    /// Webhook deliveries delivered or given up longer ago than the retention.
    pub webhook_deliveries_pruned: u64,
}

/// What a monitor run found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Object),
    oai(rename_all = "camelCase", skip_serializing_if_is_none)
)]
pub struct MonitorReport {
    /// Analyses whose worker went quiet, put back in the queue.
    pub runs_reset: u64,
    /// Analyses whose worker went quiet with their retries spent, failed.
    pub runs_failed: u64,
    /// Queued analyses the queue had lost, pushed again.
    pub runs_repushed: u64,
    /// Analyses waiting for a slot, admitted.
    pub runs_admitted: u64,
    /// Maintenance runs a dead worker left running, failed.
    pub maintenance_interrupted: u64,
    pub maintenance_repushed: u64,
    /// Queued maintenance runs a newer run of the same kind made needless.
    pub maintenance_superseded: u64,
    /// Guests who started in the last 24 hours.
    #[serde(rename = "guestsStarted24h")]
    #[cfg_attr(feature = "openapi", oai(rename = "guestsStarted24h"))]
    pub guests_started_24h: u64,
    #[serde(rename = "guestsCompleted24h")]
    #[cfg_attr(feature = "openapi", oai(rename = "guestsCompleted24h"))]
    pub guests_completed_24h: u64,
    /// Completed over started in the last 24 hours; absent when none started.
    #[serde(rename = "completionRate24h", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(rename = "completionRate24h"))]
    pub completion_rate_24h: Option<f64>,
    /// Idle, unfinished guests marked abandoned.
    pub guests_abandoned: u64,
    /// Days of analytics aggregated.
    pub stats_days_aggregated: u64,
}

/// What a run did, in counts: a cleanup report or a monitor report, by the run's `kind`.
/// Present once the run has succeeded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Union))]
pub enum Report {
    Cleanup(CleanupReport),
    Monitor(MonitorReport),
}

impl Report {
    /// The stored report of a run of this kind; `None` for a run that has none (not
    /// finished, or failed).
    pub fn read(kind: MaintenanceKind, stored: &serde_json::Value) -> Option<Self> {
        if stored.as_object().is_none_or(|fields| fields.is_empty()) {
            return None;
        }
        let stored = stored.clone();
        match kind {
            MaintenanceKind::Cleanup => serde_json::from_value(stored).ok().map(Report::Cleanup),
            MaintenanceKind::Monitor => serde_json::from_value(stored).ok().map(Report::Monitor),
        }
    }

    /// The report as stored.
    pub fn to_value(&self) -> serde_json::Value {
        // Plain structs of numbers always serialise.
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back_by_its_kind() {
        let report = Report::Monitor(MonitorReport {
            runs_reset: 2,
            completion_rate_24h: Some(0.5),
            ..MonitorReport::default()
        });
        let stored = report.to_value();
        assert_eq!(stored["completionRate24h"], 0.5);
        assert_eq!(
            Report::read(MaintenanceKind::Monitor, &stored),
            Some(report)
        );
        assert_eq!(
            Report::read(
                MaintenanceKind::Cleanup,
                &serde_json::json!({"guestsDeleted": 3})
            ),
            Some(Report::Cleanup(CleanupReport {
                guests_deleted: 3,
                ..CleanupReport::default()
            }))
        );
        assert_eq!(
            Report::read(MaintenanceKind::Cleanup, &serde_json::json!({})),
            None
        );
    }
}
