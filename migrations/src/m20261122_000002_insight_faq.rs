//! The question/answer pairs found on a site's FAQ pages, kept with its insights.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(SiteInsights::Table)
                .add_column(json_null(SiteInsights::FaqPairs))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(SiteInsights::Table)
                .drop_column(SiteInsights::FaqPairs)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum SiteInsights {
    Table,
    FaqPairs,
}
