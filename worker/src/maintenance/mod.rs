//! Maintenance runs: each job carries out one `maintenance_runs` row and stores its report.

pub mod abandonment;
pub mod cleanup;
pub mod daily_stats;
pub mod monitor;
pub mod schedule;

use chrono::Utc;
use onboard_shared::telemetry::Chain;
use onboard_shared::{
    entities::maintenance_run::{self, Column},
    jobs::MaintenanceKind,
};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::Value;
use tracing::{info, warn};

use crate::context::JobContext;

#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error("the maintenance work could not read or write its rows")]
    Db(#[from] DbErr),
}

/// Claims the row (queued → running), does the work, and records the report.
#[tracing::instrument(skip_all, fields(kind = kind.as_str(), run_id))]
pub async fn run(
    ctx: &JobContext,
    kind: MaintenanceKind,
    run_id: i64,
) -> Result<(), MaintenanceError> {
    let claimed = maintenance_run::Entity::update_many()
        .col_expr(Column::Status, Expr::value("running"))
        .col_expr(Column::StartedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(run_id))
        .filter(Column::Status.eq("queued"))
        .exec(&ctx.db)
        .await?;
    if claimed.rows_affected == 0 {
        info!("maintenance run already taken or finished");
        return Ok(());
    }
    let result = match kind {
        MaintenanceKind::Cleanup => cleanup::run(ctx).await,
        MaintenanceKind::Monitor => monitor::run(ctx).await,
    };
    let (status, report, error) = match result {
        Ok(report) => ("succeeded", report, None),
        Err(e) => {
            warn!(error = %Chain(&e), "maintenance run failed");
            (
                "failed",
                Value::Object(Default::default()),
                Some(e.to_string()),
            )
        }
    };
    maintenance_run::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::Report, Expr::value(report))
        .col_expr(Column::ErrorMessage, Expr::value(error))
        .col_expr(Column::FinishedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(run_id))
        .exec(&ctx.db)
        .await?;
    Ok(())
}
