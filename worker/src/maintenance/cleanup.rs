//! Cleanup: guest sessions idle past their lifetime and never completed go, with what hangs
//! off them (runs, pages, insights and uploads by foreign key, their events' guest link,
//! their logo files); finished queue entries are vacuumed so the queue backend does not
//! grow without end, finished maintenance runs past their retention are pruned, and
//! expired operators' page sessions are deleted.

use chrono::Utc;
use onboard_shared::telemetry::Chain;
use onboard_shared::{
    entities::{
        event,
        guest_session::{self, Column, SessionStatus},
        maintenance_run, ops_session, upload,
    },
    logo_store::{LocalDir, LogoStore},
    maintenance::CleanupReport,
    progress_feed::Notice,
};
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QuerySelect};
use tracing::warn;

use crate::context::JobContext;

/// Rows deleted per statement, so a large backlog never holds a long lock.
const BATCH: u64 = 500;

pub async fn run(ctx: &JobContext) -> Result<CleanupReport, DbErr> {
    let idle_before =
        Utc::now() - chrono::Duration::from_std(ctx.config.guest_ttl).unwrap_or_default();
    let logos = LocalDir::for_config(&ctx.config);
    let mut guests_deleted = 0u64;
    let mut files_deleted = 0u64;
    loop {
        let batch: Vec<uuid::Uuid> = guest_session::Entity::find()
            .select_only()
            .column(Column::Uuid)
            .filter(Column::OnboardingCompletedAt.is_null())
            // A paused session lives to its own expiry; the others, the guest TTL from
            // their last activity.
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(Column::Status.ne(SessionStatus::Paused))
                            .add(Column::LastActivityAt.lt(idle_before)),
                    )
                    .add(
                        Condition::all()
                            .add(Column::Status.eq(SessionStatus::Paused))
                            .add(Column::ExpiresAt.lt(Utc::now())),
                    ),
            )
            .limit(BATCH)
            .into_tuple()
            .all(&ctx.db)
            .await?;
        if batch.is_empty() {
            break;
        }
        // Their logo files go after their rows (the rows go with the guests, by foreign key).
        let files: Vec<String> = upload::Entity::find()
            .select_only()
            .column(upload::Column::StoredName)
            .filter(upload::Column::GuestUuid.is_in(batch.clone()))
            .into_tuple()
            .all(&ctx.db)
            .await?;
        // Events stay for the statistics, without the guest they named.
        event::Entity::update_many()
            .col_expr(
                event::Column::GuestUuid,
                sea_orm::sea_query::Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(event::Column::GuestUuid.is_in(batch.clone()))
            .exec(&ctx.db)
            .await?;
        let deleted = guest_session::Entity::delete_many()
            .filter(Column::Uuid.is_in(batch))
            .exec(&ctx.db)
            .await?;
        guests_deleted += deleted.rows_affected;
        for name in files {
            match logos.delete(&name).await {
                Ok(()) => files_deleted += 1,
                Err(error) => warn!(error = %Chain(&error), name, "could not delete a logo file"),
            }
        }
    }
    if guests_deleted > 0 {
        ctx.queue.progress_feed().publish(Notice::All).await;
    }
    files_deleted += remove_orphan_files(ctx, &logos).await?;

    let mut vacuumed = 0usize;
    for result in ctx.queue.vacuum_all().await {
        match result {
            Ok(n) => vacuumed += n,
            Err(error) => warn!(error = %Chain(&error), "queue vacuum failed"),
        }
    }
    let retained_after = Utc::now()
        - chrono::Duration::from_std(ctx.config.jobs.maintenance_retention).unwrap_or_default();
    let mut maintenance_pruned = 0u64;
    loop {
        let old: Vec<i64> = maintenance_run::Entity::find()
            .select_only()
            .column(maintenance_run::Column::Id)
            .filter(maintenance_run::Column::FinishedAt.lt(retained_after))
            .limit(BATCH)
            .into_tuple()
            .all(&ctx.db)
            .await?;
        if old.is_empty() {
            break;
        }
        maintenance_pruned += maintenance_run::Entity::delete_many()
            .filter(maintenance_run::Column::Id.is_in(old))
            .exec(&ctx.db)
            .await?
            .rows_affected;
    }
    let ops_sessions_expired = ops_session::Entity::delete_many()
        .filter(ops_session::Column::ExpiresAt.lt(Utc::now()))
        .exec(&ctx.db)
        .await?
        .rows_affected;
    let webhook_deliveries_pruned =
        onboard_shared::webhooks::deliveries::prune(&ctx.db, retained_after).await?;
    Ok(CleanupReport {
        guests_deleted,
        ops_sessions_expired,
        maintenance_runs_pruned: maintenance_pruned,
        logo_files_deleted: files_deleted,
        queue_entries_vacuumed: vacuumed as u64,
        webhook_deliveries_pruned,
    })
}

/// An unreferenced file younger than this may be an upload whose row is being written.
const ORPHAN_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes stored logos that no upload row names (a crash between writing the file and the
/// row, or a row deleted some other way).
async fn remove_orphan_files(ctx: &JobContext, logos: &LocalDir) -> Result<u64, DbErr> {
    let Ok(files) = logos.list().await else {
        return Ok(0);
    };
    let names: Vec<String> = files
        .into_iter()
        .filter(|(_, modified)| modified.elapsed().is_ok_and(|age| age > ORPHAN_AFTER))
        .map(|(name, _)| name)
        .collect();
    let mut removed = 0;
    for chunk in names.chunks(BATCH as usize) {
        let known: std::collections::HashSet<String> = upload::Entity::find()
            .select_only()
            .column(upload::Column::StoredName)
            .filter(upload::Column::StoredName.is_in(chunk.to_vec()))
            .into_tuple()
            .all(&ctx.db)
            .await?
            .into_iter()
            .collect();
        for name in chunk.iter().filter(|n| !known.contains(*n)) {
            if logos.delete(name).await.is_ok() {
                removed += 1;
            }
        }
    }
    Ok(removed)
}
