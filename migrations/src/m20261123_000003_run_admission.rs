//! When a queued run's job was pushed to the queue: the worker admits queued runs into the
//! queue only while it holds few jobs (a large backlog waits as rows), and the
//! monitor pushes again a run the queue has lost.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AnalysisRuns::Table)
                .add_column(timestamp_with_time_zone_null(AnalysisRuns::PushedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_analysis_runs_admission")
                .table(AnalysisRuns::Table)
                .col(AnalysisRuns::Status)
                .col(AnalysisRuns::PushedAt)
                .col(AnalysisRuns::QueuedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_analysis_runs_admission")
                .table(AnalysisRuns::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AnalysisRuns::Table)
                .drop_column(AnalysisRuns::PushedAt)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum AnalysisRuns {
    Table,
    Status,
    PushedAt,
    QueuedAt,
}
