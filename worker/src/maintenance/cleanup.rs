//! Cleanup: guest sessions idle past their lifetime and never completed go, with what hangs
//! off them (runs, pages, insights and uploads by foreign key); finished queue entries are
//! vacuumed so the queue backend does not grow without end.

use chrono::Utc;
use onboard_shared::{
    entities::guest_session::{self, Column},
    jobs::{AnalysisJob, CleanupJob, MonitorJob},
};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use tracing::warn;

use crate::context::JobContext;

/// Rows deleted per statement, so a large backlog never holds a long lock.
const BATCH: u64 = 500;

pub async fn run(ctx: &JobContext) -> Result<Value, DbErr> {
    let idle_before =
        Utc::now() - chrono::Duration::from_std(ctx.config.guest_ttl).unwrap_or_default();
    let mut guests_deleted = 0u64;
    loop {
        let batch: Vec<uuid::Uuid> = guest_session::Entity::find()
            .select_only()
            .column(Column::Uuid)
            .filter(Column::LastActivityAt.lt(idle_before))
            .filter(Column::OnboardingCompletedAt.is_null())
            .limit(BATCH)
            .into_tuple()
            .all(&ctx.db)
            .await?;
        if batch.is_empty() {
            break;
        }
        let deleted = guest_session::Entity::delete_many()
            .filter(Column::Uuid.is_in(batch))
            .exec(&ctx.db)
            .await?;
        guests_deleted += deleted.rows_affected;
    }

    let mut vacuumed = 0usize;
    for result in [
        ctx.queue.vacuum::<AnalysisJob>().await,
        ctx.queue.vacuum::<CleanupJob>().await,
        ctx.queue.vacuum::<MonitorJob>().await,
    ] {
        match result {
            Ok(n) => vacuumed += n,
            Err(error) => warn!(%error, "queue vacuum failed"),
        }
    }
    Ok(json!({"guestsDeleted": guests_deleted, "queueEntriesVacuumed": vacuumed}))
}
