//! What every handler reads: the database, the queue and the configuration.

use std::sync::Arc;

use onboard_shared::{Config, JobQueue};
use sea_orm::DatabaseConnection;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub queue: JobQueue,
    pub config: Arc<Config>,
}
