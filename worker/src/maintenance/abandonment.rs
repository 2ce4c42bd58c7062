//! Active guests idle past the abandonment threshold and not completed are marked
//! abandoned (`status = abandoned`). The first time, with an `onboarding.abandoned` event
//! naming the step they were at (the abandonment is counted once); a guest who came back
//! and went idle again is marked again without a second event. Paused sessions are never
//! marked. Marked in batches, the mark and its event in one transaction, so two monitors
//! never mark a guest twice.

use chrono::{DateTime, Utc};
use onboard_shared::{
    analytics::{self, Auto},
    entities::guest_session::{self, Column, SessionStatus},
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

const BATCH: u64 = 500;

/// Marks the guests last active before `idle_before`; returns how many.
pub async fn mark(
    db: &DatabaseConnection,
    idle_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let unmarked = |q: sea_orm::Select<guest_session::Entity>| {
        q.filter(Column::Status.eq(SessionStatus::Active))
            .filter(Column::OnboardingCompletedAt.is_null())
            .filter(Column::LastActivityAt.lt(idle_before))
    };
    let mut marked = 0;
    loop {
        let batch: Vec<Uuid> = unmarked(guest_session::Entity::find())
            .select_only()
            .column(Column::Uuid)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if batch.is_empty() {
            return Ok(marked);
        }
        let txn = db.begin().await?;
        // The conditions again: a guest active or marked since the read is left alone.
        let mark = |first: bool| {
            let update = guest_session::Entity::update_many()
                .col_expr(Column::Status, Expr::value(SessionStatus::Abandoned))
                .filter(Column::Uuid.is_in(batch.iter().copied()))
                .filter(Column::Status.eq(SessionStatus::Active))
                .filter(Column::OnboardingCompletedAt.is_null())
                .filter(Column::LastActivityAt.lt(idle_before));
            if first {
                update
                    .col_expr(Column::AbandonedAt, Expr::value(now))
                    .filter(Column::AbandonedAt.is_null())
            } else {
                update.filter(Column::AbandonedAt.is_not_null())
            }
        };
        let rows = mark(true).exec_with_returning(&txn).await?;
        let again = mark(false).exec(&txn).await?.rows_affected;
        for guest in &rows {
            let left = analytics::Abandoned {
                last_step: guest.onboarding_step,
                idle_seconds: (now - guest.last_activity_at).num_seconds().max(0) as f64,
            };
            analytics::record(
                &txn,
                Auto::OnboardingAbandoned,
                Some(guest.uuid),
                None,
                left,
                now,
            )
            .await?;
        }
        txn.commit().await?;
        marked += rows.len() as u64 + again;
        if (batch.len() as u64) < BATCH {
            return Ok(marked);
        }
    }
}
