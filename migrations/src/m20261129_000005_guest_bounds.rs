//! What an anonymous guest may make the service do, and what it may claim:
//! - `domain_verifications`: a per-guest token a site carries to prove control of its
//!   domain; `sites` remember when their domain first validated (the CORS grant) and when
//!   a verified guest first claimed them.
//! - `analysis_runs.client_ip`: which client address started a run, so active runs are
//!   bounded per address and admitted fairly; `error_detail` keeps the technical reason of
//!   a failure for operators while the guest sees a generic one.
//! - `ops_sessions`: server-side sessions of the operators' page (random id, expiry).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [Sites::ValidatedAt, Sites::ClaimedAt] {
            m.alter_table(
                Table::alter()
                    .table(Sites::Table)
                    .add_column(timestamp_with_time_zone_null(column))
                    .to_owned(),
            )
            .await?;
        }
        // Sites that already analysed successfully had validated.
        m.get_connection()
            .execute_unprepared(
                "UPDATE sites SET validated_at = created_at WHERE id IN \
                 (SELECT site_id FROM analysis_runs WHERE status = 'succeeded')",
            )
            .await?;
        for column in [AnalysisRuns::ClientIp, AnalysisRuns::ErrorDetail] {
            m.alter_table(
                Table::alter()
                    .table(AnalysisRuns::Table)
                    .add_column(string_null(column))
                    .to_owned(),
            )
            .await?;
        }
        // Active runs per client address, for the bound and for fair admission.
        m.create_index(
            Index::create()
                .name("idx_analysis_runs_client")
                .table(AnalysisRuns::Table)
                .col(AnalysisRuns::ClientIp)
                .col(AnalysisRuns::Status)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_analysis_runs_site_status")
                .table(AnalysisRuns::Table)
                .col(AnalysisRuns::SiteId)
                .col(AnalysisRuns::Status)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DomainVerifications::Table)
                .if_not_exists()
                .col(big_pk_auto(DomainVerifications::Id))
                .col(uuid(DomainVerifications::GuestUuid))
                .col(string(DomainVerifications::Domain))
                .col(string_uniq(DomainVerifications::Token))
                .col(string(DomainVerifications::Status))
                .col(string_null(DomainVerifications::Method))
                .col(text_null(DomainVerifications::Detail))
                .col(timestamp_with_time_zone(DomainVerifications::CreatedAt))
                .col(timestamp_with_time_zone_null(
                    DomainVerifications::CheckedAt,
                ))
                .col(timestamp_with_time_zone_null(
                    DomainVerifications::VerifiedAt,
                ))
                // A guest's verifications go with the guest.
                .foreign_key(
                    ForeignKey::create()
                        .from(DomainVerifications::Table, DomainVerifications::GuestUuid)
                        .to(GuestSessions::Table, GuestSessions::Uuid)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_domain_verifications_guest_domain")
                .table(DomainVerifications::Table)
                .col(DomainVerifications::GuestUuid)
                .col(DomainVerifications::Domain)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OpsSessions::Table)
                .if_not_exists()
                .col(string(OpsSessions::IdHash).primary_key())
                .col(string(OpsSessions::TokenCheck))
                .col(timestamp_with_time_zone(OpsSessions::CreatedAt))
                .col(timestamp_with_time_zone(OpsSessions::ExpiresAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OpsSessions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(DomainVerifications::Table).to_owned())
            .await?;
        for name in ["idx_analysis_runs_client", "idx_analysis_runs_site_status"] {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(AnalysisRuns::Table)
                    .to_owned(),
            )
            .await?;
        }
        for column in [AnalysisRuns::ClientIp, AnalysisRuns::ErrorDetail] {
            m.alter_table(
                Table::alter()
                    .table(AnalysisRuns::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        for column in [Sites::ValidatedAt, Sites::ClaimedAt] {
            m.alter_table(
                Table::alter()
                    .table(Sites::Table)
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
    Uuid,
}

#[derive(DeriveIden)]
enum Sites {
    Table,
    ValidatedAt,
    ClaimedAt,
}

#[derive(DeriveIden)]
enum AnalysisRuns {
    Table,
    SiteId,
    Status,
    ClientIp,
    ErrorDetail,
}

#[derive(DeriveIden)]
enum DomainVerifications {
    Table,
    Id,
    GuestUuid,
    Domain,
    Token,
    Status,
    Method,
    Detail,
    CreatedAt,
    CheckedAt,
    VerifiedAt,
}

#[derive(DeriveIden)]
enum OpsSessions {
    Table,
    IdHash,
    TokenCheck,
    CreatedAt,
    ExpiresAt,
}
