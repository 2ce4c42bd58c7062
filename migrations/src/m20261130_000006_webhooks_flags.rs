//! Operators' outbound events and feature flags:
//! - `webhook_endpoints`: where events go (URL, event types, format, signing secret), and
//!   how many attempts in a row have failed (an endpoint failing too long is disabled);
//! - `webhook_messages`: the outbox, one row per event, written in the transaction of the
//!   change it reports; its `msg_id` is the `webhook-id` every attempt carries;
//! - `webhook_deliveries`: one message to one endpoint, with its attempts and schedule;
//! - `alert_states`: whether an alert condition holds, so it is sent once per condition;
//! - `feature_flags`: flags with a rollout percentage and beta/blocked site lists, seeded
//!   with the two kill switches the service honours (`onboarding`, `analysis`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebhookEndpoints::Table)
                .if_not_exists()
                .col(big_pk_auto(WebhookEndpoints::Id))
                .col(text(WebhookEndpoints::Url))
                .col(text(WebhookEndpoints::Description).default(""))
                .col(json(WebhookEndpoints::EventTypes))
                .col(text(WebhookEndpoints::Format))
                .col(boolean(WebhookEndpoints::Enabled))
                .col(text(WebhookEndpoints::Secret))
                .col(integer(WebhookEndpoints::ConsecutiveFailures).default(0))
                .col(text_null(WebhookEndpoints::DisabledReason))
                .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookMessages::Table)
                .if_not_exists()
                .col(big_pk_auto(WebhookMessages::Id))
                .col(text_uniq(WebhookMessages::MsgId))
                .col(text(WebhookMessages::EventType))
                .col(text(WebhookMessages::Payload))
                .col(timestamp_with_time_zone(WebhookMessages::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookDeliveries::Table)
                .if_not_exists()
                .col(big_pk_auto(WebhookDeliveries::Id))
                .col(big_integer(WebhookDeliveries::MessageId))
                .col(big_integer(WebhookDeliveries::EndpointId))
                .col(text(WebhookDeliveries::Status))
                .col(integer(WebhookDeliveries::Attempts).default(0))
                .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                .col(timestamp_with_time_zone_null(WebhookDeliveries::RetryUntil))
                .col(timestamp_with_time_zone_null(WebhookDeliveries::PushedAt))
                .col(timestamp_with_time_zone_null(
                    WebhookDeliveries::LockedUntil,
                ))
                .col(timestamp_with_time_zone_null(
                    WebhookDeliveries::LastAttemptAt,
                ))
                .col(integer_null(WebhookDeliveries::LastStatusCode))
                .col(text_null(WebhookDeliveries::LastResponse))
                .col(text_null(WebhookDeliveries::LastError))
                .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                .col(timestamp_with_time_zone_null(
                    WebhookDeliveries::DeliveredAt,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(WebhookDeliveries::Table, WebhookDeliveries::MessageId)
                        .to(WebhookMessages::Table, WebhookMessages::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                        .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The dispatcher's scan: deliveries due, by status.
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_due")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::Status)
                .col(WebhookDeliveries::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        // An endpoint's recent deliveries (ops API, /ops).
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_endpoint")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::EndpointId)
                .col(WebhookDeliveries::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_message")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::MessageId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AlertStates::Table)
                .if_not_exists()
                .col(text(AlertStates::Name).primary_key())
                .col(boolean(AlertStates::Active))
                .col(timestamp_with_time_zone_null(AlertStates::Since))
                .col(json(AlertStates::Details))
                .col(timestamp_with_time_zone(AlertStates::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(FeatureFlags::Table)
                .if_not_exists()
                .col(text(FeatureFlags::Name).primary_key())
                .col(text(FeatureFlags::Description).default(""))
                .col(boolean(FeatureFlags::Enabled))
                .col(small_integer(FeatureFlags::RolloutPercentage))
                .col(json(FeatureFlags::OnDomains))
                .col(json(FeatureFlags::OffDomains))
                .col(boolean(FeatureFlags::KillSwitch).default(false))
                .col(timestamp_with_time_zone(FeatureFlags::UpdatedAt))
                .to_owned(),
        )
        .await?;
        let seeds = [
            (
                "onboarding",
                "Kill switch: off, the onboarding endpoints answer 503 onboarding_disabled.",
            ),
            (
                "analysis",
                "Kill switch: off, starting an analysis answers 503 analysis_disabled and \
                 queued analyses wait.",
            ),
        ];
        for (name, description) in seeds {
            m.exec_stmt(
                Query::insert()
                    .into_table(FeatureFlags::Table)
                    .columns([
                        FeatureFlags::Name,
                        FeatureFlags::Description,
                        FeatureFlags::Enabled,
                        FeatureFlags::RolloutPercentage,
                        FeatureFlags::OnDomains,
                        FeatureFlags::OffDomains,
                        FeatureFlags::KillSwitch,
                        FeatureFlags::UpdatedAt,
                    ])
                    .values_panic([
                        name.into(),
                        description.into(),
                        true.into(),
                        100i16.into(),
                        Expr::cust("'[]'"),
                        Expr::cust("'[]'"),
                        true.into(),
                        Expr::current_timestamp(),
                    ])
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FeatureFlags::Table.into_iden(),
            AlertStates::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookMessages::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Description,
    EventTypes,
    Format,
    Enabled,
    Secret,
    ConsecutiveFailures,
    DisabledReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookMessages {
    Table,
    Id,
    MsgId,
    EventType,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    MessageId,
    EndpointId,
    Status,
    Attempts,
    NextAttemptAt,
    RetryUntil,
    PushedAt,
    LockedUntil,
    LastAttemptAt,
    LastStatusCode,
    LastResponse,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum AlertStates {
    Table,
    Name,
    Active,
    Since,
    Details,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FeatureFlags {
    Table,
    Name,
    Description,
    Enabled,
    RolloutPercentage,
    OnDomains,
    OffDomains,
    KillSwitch,
    UpdatedAt,
}
