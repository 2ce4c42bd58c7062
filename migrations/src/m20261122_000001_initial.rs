use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(GuestSessions::Table)
                .if_not_exists()
                .col(pk_uuid(GuestSessions::Uuid))
                .col(timestamp_with_time_zone(GuestSessions::CreatedAt))
                .col(timestamp_with_time_zone(GuestSessions::LastActivityAt))
                .col(timestamp_with_time_zone(GuestSessions::ExpiresAt))
                .col(string_null(GuestSessions::OnboardingDomain))
                .col(small_integer(GuestSessions::OnboardingStep).default(0))
                .col(timestamp_with_time_zone_null(
                    GuestSessions::OnboardingCompletedAt,
                ))
                .col(json(GuestSessions::TempConfiguration))
                .col(json(GuestSessions::Metadata))
                .to_owned(),
        )
        .await?;
        // Cleanup looks for idle, unfinished sessions.
        index(
            m,
            GuestSessions::Table,
            "idx_guest_sessions_activity",
            [GuestSessions::LastActivityAt],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sites::Table)
                .if_not_exists()
                .col(big_pk_auto(Sites::Id))
                .col(string_uniq(Sites::Domain))
                .col(timestamp_with_time_zone(Sites::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OnboardingConfigurations::Table)
                .if_not_exists()
                .col(big_pk_auto(OnboardingConfigurations::Id))
                .col(big_integer_uniq(OnboardingConfigurations::SiteId))
                .col(string(OnboardingConfigurations::PrimaryColor))
                .col(string(OnboardingConfigurations::SecondaryColor))
                .col(string(OnboardingConfigurations::FloatiePosition))
                .col(string_null(OnboardingConfigurations::FloatieLogo))
                .col(string_null(OnboardingConfigurations::LauncherLogo))
                .col(small_integer(OnboardingConfigurations::OnboardingStep))
                .col(boolean(OnboardingConfigurations::IsCompleted))
                .col(json(OnboardingConfigurations::ContactMethods))
                .col(json(OnboardingConfigurations::DisabledContactTabs))
                .col(timestamp_with_time_zone(
                    OnboardingConfigurations::CreatedAt,
                ))
                .col(timestamp_with_time_zone(
                    OnboardingConfigurations::UpdatedAt,
                ))
                .foreign_key(&mut fk(
                    OnboardingConfigurations::Table,
                    OnboardingConfigurations::SiteId,
                    Sites::Table,
                    Sites::Id,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AnalysisRuns::Table)
                .if_not_exists()
                .col(big_pk_auto(AnalysisRuns::Id))
                .col(big_integer(AnalysisRuns::SiteId))
                .col(uuid(AnalysisRuns::GuestUuid))
                .col(string(AnalysisRuns::Status))
                .col(json(AnalysisRuns::Steps))
                .col(small_integer(AnalysisRuns::CurrentStep))
                .col(small_integer(AnalysisRuns::TotalSteps))
                .col(small_integer(AnalysisRuns::CompletionPercentage))
                .col(text_null(AnalysisRuns::ErrorMessage))
                .col(integer(AnalysisRuns::RetryCount).default(0))
                .col(integer(AnalysisRuns::PagesDiscovered).default(0))
                .col(integer(AnalysisRuns::PagesCrawled).default(0))
                .col(integer(AnalysisRuns::PagesFailed).default(0))
                .col(integer(AnalysisRuns::PagesSkipped).default(0))
                .col(string_null(AnalysisRuns::LeaseOwner))
                .col(timestamp_with_time_zone_null(AnalysisRuns::HeartbeatAt))
                .col(timestamp_with_time_zone(AnalysisRuns::QueuedAt))
                .col(timestamp_with_time_zone_null(AnalysisRuns::StartedAt))
                .col(timestamp_with_time_zone_null(AnalysisRuns::CompletedAt))
                .col(timestamp_with_time_zone(AnalysisRuns::UpdatedAt))
                .foreign_key(&mut fk(
                    AnalysisRuns::Table,
                    AnalysisRuns::SiteId,
                    Sites::Table,
                    Sites::Id,
                ))
                .foreign_key(&mut fk(
                    AnalysisRuns::Table,
                    AnalysisRuns::GuestUuid,
                    GuestSessions::Table,
                    GuestSessions::Uuid,
                ))
                .to_owned(),
        )
        .await?;
        // The progress poll: the guest's latest run is one index read.
        index(
            m,
            AnalysisRuns::Table,
            "idx_analysis_runs_guest",
            [AnalysisRuns::GuestUuid, AnalysisRuns::Id],
        )
        .await?;
        // At most one active run per guest, even when two starts race. Partial indexes read
        // the same in PostgreSQL and SQLite.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS uq_analysis_runs_active_guest ON analysis_runs (guest_uuid) \
                 WHERE status IN ('queued', 'running')",
            )
            .await?;
        // The monitor: active runs by heartbeat age.
        index(
            m,
            AnalysisRuns::Table,
            "idx_analysis_runs_status",
            [AnalysisRuns::Status, AnalysisRuns::HeartbeatAt],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CrawledPages::Table)
                .if_not_exists()
                .col(big_pk_auto(CrawledPages::Id))
                .col(big_integer(CrawledPages::RunId))
                .col(text(CrawledPages::Url))
                .col(text_null(CrawledPages::CanonicalUrl))
                .col(integer(CrawledPages::Depth))
                .col(integer_null(CrawledPages::StatusCode))
                .col(string_null(CrawledPages::ContentType))
                .col(text_null(CrawledPages::Title))
                .col(text_null(CrawledPages::Description))
                .col(string_null(CrawledPages::Language))
                .col(string_null(CrawledPages::Category))
                .col(text_null(CrawledPages::MainText))
                .col(text_null(CrawledPages::Markdown))
                .col(integer(CrawledPages::WordCount).default(0))
                .col(string_null(CrawledPages::ContentHash))
                .col(big_integer_null(CrawledPages::Simhash))
                .col(small_integer_null(CrawledPages::QualityScore))
                .col(json_null(CrawledPages::QualityBreakdown))
                .col(big_integer_null(CrawledPages::DuplicateOf))
                .col(string_null(CrawledPages::SkipReason))
                .col(timestamp_with_time_zone_null(CrawledPages::FetchedAt))
                .foreign_key(&mut fk(
                    CrawledPages::Table,
                    CrawledPages::RunId,
                    AnalysisRuns::Table,
                    AnalysisRuns::Id,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            CrawledPages::Table,
            "idx_crawled_pages_run",
            [CrawledPages::RunId],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SiteInsights::Table)
                .if_not_exists()
                .col(big_pk_auto(SiteInsights::Id))
                .col(big_integer_uniq(SiteInsights::RunId))
                .col(big_integer(SiteInsights::SiteId))
                .col(json(SiteInsights::SuggestedColors))
                .col(text_null(SiteInsights::LogoUrl))
                .col(text_null(SiteInsights::FaviconUrl))
                .col(json(SiteInsights::SupportChannels))
                .col(json(SiteInsights::ContentCategories))
                .col(string_null(SiteInsights::Language))
                .col(json(SiteInsights::QualitySummary))
                .col(timestamp_with_time_zone(SiteInsights::CreatedAt))
                .foreign_key(&mut fk(
                    SiteInsights::Table,
                    SiteInsights::RunId,
                    AnalysisRuns::Table,
                    AnalysisRuns::Id,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Uploads::Table)
                .if_not_exists()
                .col(big_pk_auto(Uploads::Id))
                .col(uuid(Uploads::GuestUuid))
                .col(string(Uploads::Kind))
                .col(string_uniq(Uploads::StoredName))
                .col(string(Uploads::ContentType))
                .col(big_integer(Uploads::Bytes))
                .col(string(Uploads::Sha256))
                .col(integer_null(Uploads::Width))
                .col(integer_null(Uploads::Height))
                .col(timestamp_with_time_zone(Uploads::CreatedAt))
                .foreign_key(&mut fk(
                    Uploads::Table,
                    Uploads::GuestUuid,
                    GuestSessions::Table,
                    GuestSessions::Uuid,
                ))
                .to_owned(),
        )
        .await?;
        index(m, Uploads::Table, "idx_uploads_guest", [Uploads::GuestUuid]).await?;

        m.create_table(
            Table::create()
                .table(Events::Table)
                .if_not_exists()
                .col(big_pk_auto(Events::Id))
                .col(string(Events::EventType))
                .col(uuid_null(Events::GuestUuid))
                .col(big_integer_null(Events::SiteId))
                .col(string_null(Events::SessionId))
                .col(json(Events::Data))
                .col(timestamp_with_time_zone(Events::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(m, Events::Table, "idx_events_guest", [Events::GuestUuid]).await?;
        index(
            m,
            Events::Table,
            "idx_events_created",
            [Events::CreatedAt, Events::EventType],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MaintenanceRuns::Table)
                .if_not_exists()
                .col(big_pk_auto(MaintenanceRuns::Id))
                .col(string(MaintenanceRuns::Kind))
                .col(string(MaintenanceRuns::Trigger))
                .col(string_null(MaintenanceRuns::Slot))
                .col(string(MaintenanceRuns::Status))
                .col(json(MaintenanceRuns::Report))
                .col(text_null(MaintenanceRuns::ErrorMessage))
                .col(timestamp_with_time_zone(MaintenanceRuns::QueuedAt))
                .col(timestamp_with_time_zone_null(MaintenanceRuns::StartedAt))
                .col(timestamp_with_time_zone_null(MaintenanceRuns::FinishedAt))
                .to_owned(),
        )
        .await?;
        // Each cron slot of a kind runs once across every replica.
        m.create_index(
            Index::create()
                .name("uq_maintenance_runs_slot")
                .table(MaintenanceRuns::Table)
                .col(MaintenanceRuns::Kind)
                .col(MaintenanceRuns::Slot)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        index(
            m,
            MaintenanceRuns::Table,
            "idx_maintenance_runs_kind",
            [MaintenanceRuns::Kind, MaintenanceRuns::Id],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MaintenanceRuns::Table.into_iden(),
            Events::Table.into_iden(),
            Uploads::Table.into_iden(),
            SiteInsights::Table.into_iden(),
            CrawledPages::Table.into_iden(),
            AnalysisRuns::Table.into_iden(),
            OnboardingConfigurations::Table.into_iden(),
            Sites::Table.into_iden(),
            GuestSessions::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn index<T: IntoIden + 'static, C: IntoIden + 'static>(
    m: &SchemaManager<'_>,
    table: T,
    name: &str,
    cols: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table).if_not_exists();
    for col in cols {
        stmt.col(col);
    }
    m.create_index(stmt).await
}

/// A foreign key that deletes the child rows with their parent.
fn fk<
    A: IntoIden + 'static,
    B: IntoIden + 'static,
    C: IntoIden + 'static,
    D: IntoIden + 'static,
>(
    from_table: A,
    from_col: B,
    to_table: C,
    to_col: D,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[derive(DeriveIden)]
enum GuestSessions {
    Table,
    Uuid,
    CreatedAt,
    LastActivityAt,
    ExpiresAt,
    OnboardingDomain,
    OnboardingStep,
    OnboardingCompletedAt,
    TempConfiguration,
    Metadata,
}

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
    Domain,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OnboardingConfigurations {
    Table,
    Id,
    SiteId,
    PrimaryColor,
    SecondaryColor,
    FloatiePosition,
    FloatieLogo,
    LauncherLogo,
    OnboardingStep,
    IsCompleted,
    ContactMethods,
    DisabledContactTabs,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AnalysisRuns {
    Table,
    Id,
    SiteId,
    GuestUuid,
    Status,
    Steps,
    CurrentStep,
    TotalSteps,
    CompletionPercentage,
    ErrorMessage,
    RetryCount,
    PagesDiscovered,
    PagesCrawled,
    PagesFailed,
    PagesSkipped,
    LeaseOwner,
    HeartbeatAt,
    QueuedAt,
    StartedAt,
    CompletedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CrawledPages {
    Table,
    Id,
    RunId,
    Url,
    CanonicalUrl,
    Depth,
    StatusCode,
    ContentType,
    Title,
    Description,
    Language,
    Category,
    MainText,
    Markdown,
    WordCount,
    ContentHash,
    Simhash,
    QualityScore,
    QualityBreakdown,
    DuplicateOf,
    SkipReason,
    FetchedAt,
}

#[derive(DeriveIden)]
enum SiteInsights {
    Table,
    Id,
    RunId,
    SiteId,
    SuggestedColors,
    LogoUrl,
    FaviconUrl,
    SupportChannels,
    ContentCategories,
    Language,
    QualitySummary,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    GuestUuid,
    Kind,
    StoredName,
    ContentType,
    Bytes,
    Sha256,
    Width,
    Height,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    EventType,
    GuestUuid,
    SiteId,
    SessionId,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MaintenanceRuns {
    Table,
    Id,
    Kind,
    Trigger,
    Slot,
    Status,
    Report,
    ErrorMessage,
    QueuedAt,
    StartedAt,
    FinishedAt,
}
