//! A run's progress as its worker writes it, and its end: always the whole picture (steps,
//! step under way, percentage, page counts) in one statement, and only while the writer
//! holds the run's lease, so a run reset or cancelled meanwhile is left as it is.

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait, UpdateMany, sea_query::Expr,
};

use super::RunStatus;
use crate::{
    analytics,
    entities::analysis_run::{self, Column},
    progress::{self, Step},
};

/// The crawl's page counters as the run shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageCounts {
    pub discovered: i32,
    pub crawled: i32,
    pub failed: i32,
    pub skipped: i32,
}

/// How a run ends: succeeded, or failed with a message for the guest and, when the guest
/// must not see it, a detail for operators.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    Succeeded,
    Failed {
        message: &'a str,
        detail: Option<&'a str>,
    },
}

/// Writes the run's progress if `owner` holds its lease; returns whether it did.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    run_id: i64,
    owner: &str,
    steps: &[Step],
    pages: PageCounts,
) -> Result<bool, DbErr> {
    let written = picture(run_id, owner, steps, pages).exec(db).await?;
    Ok(written.rows_affected == 1)
}

/// Ends the run with its last progress, if `owner` holds its lease, and records the end's
/// analytics event in the same transaction: a run whose lease was lost ends nothing.
/// Returns the ended run.
pub async fn finish<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    run_id: i64,
    owner: &str,
    steps: &[Step],
    pages: PageCounts,
    ending: Ending<'_>,
) -> Result<Option<analysis_run::Model>, DbErr> {
    let (status, message, detail) = match ending {
        Ending::Succeeded => (RunStatus::Succeeded, None, None),
        Ending::Failed { message, detail } => (RunStatus::Failed, Some(message), detail),
    };
    let update = picture(run_id, owner, steps, pages)
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(
            Column::ErrorMessage,
            Expr::value(message.map(str::to_owned)),
        )
        .col_expr(Column::ErrorDetail, Expr::value(detail.map(str::to_owned)))
        .col_expr(Column::CompletedAt, Expr::value(Utc::now()))
        .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None));
    let txn = db.begin().await?;
    let ended = update.exec_with_returning(&txn).await?.into_iter().next();
    if let Some(run) = &ended {
        analytics::record_run_end(&txn, run).await?;
    }
    txn.commit().await?;
    Ok(ended)
}

/// The update of the run's whole progress picture, guarded by the lease.
fn picture(
    run_id: i64,
    owner: &str,
    steps: &[Step],
    pages: PageCounts,
) -> UpdateMany<analysis_run::Entity> {
    analysis_run::Entity::update_many()
        .col_expr(
            Column::Steps,
            Expr::value(serde_json::to_value(steps).expect("steps serialise")),
        )
        .col_expr(
            Column::CurrentStep,
            Expr::value(progress::current_step(steps)),
        )
        .col_expr(
            Column::CompletionPercentage,
            Expr::value(i16::from(progress::percent(steps))),
        )
        .col_expr(Column::PagesDiscovered, Expr::value(pages.discovered))
        .col_expr(Column::PagesCrawled, Expr::value(pages.crawled))
        .col_expr(Column::PagesFailed, Expr::value(pages.failed))
        .col_expr(Column::PagesSkipped, Expr::value(pages.skipped))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(run_id))
        .filter(Column::LeaseOwner.eq(owner))
        .filter(Column::Status.eq(RunStatus::Running))
}
