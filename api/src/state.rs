//! What every handler reads: the database, the queue and the configuration.

use std::sync::Arc;

use onboard_shared::{Config, JobQueue, logo_store::LocalDir};
use sea_orm::DatabaseConnection;

use crate::{progress_cache::ProgressCache, search};

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub queue: JobQueue,
    pub config: Arc<Config>,
    pub logos: LocalDir,
    pub progress: Arc<ProgressCache>,
    pub search: Arc<search::Indexes>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, queue: JobQueue, config: Arc<Config>) -> Self {
        onboard_shared::metrics::handle();
        let logos = LocalDir::for_config(&config);
        let progress = ProgressCache::new(queue.progress_feed().clone());
        Self {
            db,
            queue,
            config,
            logos,
            progress,
            search: Arc::default(),
        }
    }
}
