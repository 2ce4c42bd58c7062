//! What every job handler is given: the database, the queue, the config, the guarded
//! fetcher, this process's worker name and its shutdown signals.

use std::sync::Arc;

use onboard_shared::{Config, JobQueue, flags::cache::FlagCache};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::{
    crawl::fetch::{FetchError, Fetcher},
    extract::site_selectors::{InvalidSelector, SiteSelectors},
    webhooks::send::Sender,
};

/// Why a worker cannot start from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Selectors(#[from] InvalidSelector),
}

#[derive(Debug)]
pub struct JobContext {
    pub db: DatabaseConnection,
    pub queue: JobQueue,
    pub config: Arc<Config>,
    pub fetcher: Fetcher,
    /// The guarded client webhook attempts go out through.
    pub webhooks: Sender,
    /// The feature flags as last read (the `analysis` kill switch).
    pub flags: Arc<FlagCache>,
    pub content_selectors: Arc<SiteSelectors>,
    /// Unique per process (host, pid and a random suffix), as apalis requires.
    pub name: String,
    pub shutdown: Shutdown,
    /// Jobs whose handler failed since this process started (the queue retries them; the
    /// test harness fails a test that leaves any).
    pub failed_jobs: std::sync::atomic::AtomicU64,
    /// Turns for writing a batch of page rows: one at a time per process (see
    /// `pipeline::store`).
    pub page_writes: Arc<tokio::sync::Semaphore>,
}

impl JobContext {
    pub fn new(
        db: DatabaseConnection,
        queue: JobQueue,
        config: Arc<Config>,
    ) -> Result<Self, ContextError> {
        onboard_shared::metrics::handle();
        Ok(Self {
            fetcher: Fetcher::new(&config.crawl)?,
            webhooks: Sender::new(&config.webhooks, &config.crawl.user_agent)?,
            flags: FlagCache::new(db.clone(), queue.progress_feed().clone()),
            page_writes: Arc::new(tokio::sync::Semaphore::new(1)),
            content_selectors: Arc::new(SiteSelectors::compile(&config.crawl.content_selectors)?),
            db,
            queue,
            config,
            name: worker_name(),
            shutdown: Shutdown::default(),
            failed_jobs: Default::default(),
        })
    }
}

/// The two stages of a graceful stop: first stop taking jobs, then (after the grace
/// period) give back the runs still in flight.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    pub stop: CancellationToken,
    pub release: CancellationToken,
}

fn worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &suffix[..6])
}
