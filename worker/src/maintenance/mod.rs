//! Maintenance runs: each job carries out one `maintenance_runs` row and stores its report.

pub mod abandonment;
pub mod cleanup;
pub mod daily_stats;
pub mod monitor;
pub mod schedule;

use onboard_shared::{
    jobs::MaintenanceKind,
    maintenance::{self, Report},
    telemetry::Chain,
};
use sea_orm::DbErr;
use tracing::{info, warn};

use crate::context::JobContext;

#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error("the maintenance work could not read or write its rows")]
    Db(#[from] DbErr),
}

/// Claims the row (queued → running), does the work, and records the report.
#[tracing::instrument(skip_all, fields(kind = kind.as_str(), run_id = run_id))]
pub async fn run(
    ctx: &JobContext,
    kind: MaintenanceKind,
    run_id: i64,
) -> Result<(), MaintenanceError> {
    if !maintenance::claim(&ctx.db, run_id).await? {
        info!("maintenance run already taken or finished");
        return Ok(());
    }
    let result = match kind {
        MaintenanceKind::Cleanup => cleanup::run(ctx).await.map(Report::Cleanup),
        MaintenanceKind::Monitor => monitor::run(ctx).await.map(Report::Monitor),
    };
    let outcome = result.map_err(|e| {
        warn!(error = %Chain(&e), "maintenance run failed");
        Chain(&e).to_string()
    });
    maintenance::finish(&ctx.db, run_id, outcome).await?;
    Ok(())
}
