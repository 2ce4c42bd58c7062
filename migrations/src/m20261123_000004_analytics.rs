//! Onboarding analytics: how far each guest got (so a step's first reach is recorded once)
//! and when a guest was marked abandoned (once), plus one row of aggregates per day.

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
                .add_column(small_integer(GuestSessions::FurthestStep).default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(GuestSessions::Table)
                .add_column(timestamp_with_time_zone_null(GuestSessions::AbandonedAt))
                .to_owned(),
        )
        .await?;
        // Guests already past a step when this lands have reached it.
        m.get_connection()
            .execute_unprepared("UPDATE guest_sessions SET furthest_step = onboarding_step")
            .await?;

        m.create_table(
            Table::create()
                .table(DailyStats::Table)
                .if_not_exists()
                .col(date(DailyStats::Day).primary_key())
                .col(big_integer(DailyStats::Events))
                .col(json(DailyStats::EventsByType))
                .col(big_integer(DailyStats::DistinctGuests))
                .col(big_integer(DailyStats::Started))
                .col(big_integer(DailyStats::ReachedDesign))
                .col(big_integer(DailyStats::ReachedContent))
                .col(big_integer(DailyStats::ReachedContact))
                .col(big_integer(DailyStats::Completed))
                .col(big_integer(DailyStats::AbandonedAtStart))
                .col(big_integer(DailyStats::AbandonedAtDesign))
                .col(big_integer(DailyStats::AbandonedAtContent))
                .col(big_integer(DailyStats::AbandonedAtContact))
                .col(double_null(DailyStats::CompleteSecondsMedian))
                .col(double_null(DailyStats::CompleteSecondsP90))
                .col(big_integer(DailyStats::AnalysesStarted))
                .col(big_integer(DailyStats::AnalysesSucceeded))
                .col(big_integer(DailyStats::AnalysesFailed))
                .col(big_integer(DailyStats::AnalysesCancelled))
                .col(double_null(DailyStats::AnalysisSecondsMedian))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DailyStats::Table).to_owned())
            .await?;
        for column in [GuestSessions::AbandonedAt, GuestSessions::FurthestStep] {
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
    FurthestStep,
    AbandonedAt,
}

#[derive(DeriveIden)]
enum DailyStats {
    Table,
    Day,
    Events,
    EventsByType,
    DistinctGuests,
    Started,
    ReachedDesign,
    ReachedContent,
    ReachedContact,
    Completed,
    AbandonedAtStart,
    AbandonedAtDesign,
    AbandonedAtContent,
    AbandonedAtContact,
    CompleteSecondsMedian,
    CompleteSecondsP90,
    AnalysesStarted,
    AnalysesSucceeded,
    AnalysesFailed,
    AnalysesCancelled,
    AnalysisSecondsMedian,
}
