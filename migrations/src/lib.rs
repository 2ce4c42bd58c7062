//! The schema as sea-orm migrations that run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261122_000002_insight_faq;
mod m20261123_000003_run_admission;
mod m20261123_000004_analytics;
mod m20261129_000005_guest_bounds;
mod m20261130_000006_webhooks_flags;
mod m20261130_000007_session_status;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261122_000002_insight_faq::Migration),
            Box::new(m20261123_000003_run_admission::Migration),
            Box::new(m20261123_000004_analytics::Migration),
            Box::new(m20261129_000005_guest_bounds::Migration),
            Box::new(m20261130_000006_webhooks_flags::Migration),
            Box::new(m20261130_000007_session_status::Migration),
        ]
    }
}
