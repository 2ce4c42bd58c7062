//! What every handler reads: the database, the queue and the configuration.

use std::sync::Arc;

use onboard_shared::{Config, JobQueue, logo_store::LocalDir};
use sea_orm::DatabaseConnection;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub queue: JobQueue,
    pub config: Arc<Config>,
    pub logos: LocalDir,
}

impl AppState {
    pub fn new(db: DatabaseConnection, queue: JobQueue, config: Arc<Config>) -> Self {
        let logos = LocalDir::for_config(&config);
        Self {
            db,
            queue,
            config,
            logos,
        }
    }
}
