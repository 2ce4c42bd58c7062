//! What the api and the worker share: configuration, entities, job payloads, the queue
//! handle and the progress model.

pub mod alerts;
pub mod analytics;
pub mod config;
pub mod db;
pub mod domain;
pub mod entities;
pub mod flags;
pub mod insights;
pub mod jobs;
pub mod progress;
pub mod progress_feed;
pub mod queue;

pub use config::Config;
pub use queue::JobQueue;
pub mod logo_store;
pub mod maintenance;
pub mod metrics;
pub mod onboarding;
pub mod runs;
pub mod session;
pub mod sites;
pub mod telemetry;
pub mod untrusted;
pub mod verification;
pub mod webhooks;

/// Connecting both backends failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("connecting to the database")]
    Db(#[from] sea_orm::DbErr),
    #[error("connecting to the queue")]
    Queue(#[from] queue::QueueError),
}

/// The database (migrated, unless configured not to be) and the queue the config names.
pub async fn connect(
    config: &Config,
) -> Result<(sea_orm::DatabaseConnection, JobQueue), ConnectError> {
    Ok((db::connect(config).await?, JobQueue::connect(config).await?))
}
