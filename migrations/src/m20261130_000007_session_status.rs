//! The onboarding session as a state machine: `guest_sessions.status` (active, paused,
//! completed, abandoned) and when it was paused. Existing guests take the status their
//! rows already tell.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        m.alter_table(
            Table::alter()
                .table(GuestSessions::Table)
                .add_column(text(GuestSessions::Status).default("active"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(GuestSessions::Table)
                .add_column(timestamp_with_time_zone_null(GuestSessions::PausedAt))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE guest_sessions SET status = 'abandoned' WHERE abandoned_at IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE guest_sessions SET status = 'completed' WHERE onboarding_completed_at IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [GuestSessions::PausedAt, GuestSessions::Status] {
            m.alter_table(
                Table::alter()
                    .table(GuestSessions::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum GuestSessions {
    Table,
    Status,
    PausedAt,
}
