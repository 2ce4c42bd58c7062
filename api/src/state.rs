//! What every handler reads: the database, the queue, the configuration and the caches.

use std::sync::Arc;

use onboard_shared::{Config, JobQueue, flags::cache::FlagCache, logo_store::LocalDir};
use sea_orm::DatabaseConnection;

use crate::{guest_activity::Activity, progress_cache::ProgressCache, search};

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub queue: JobQueue,
    pub config: Arc<Config>,
    pub logos: LocalDir,
    pub progress: Arc<ProgressCache>,
    pub activity: Arc<Activity>,
    pub search: Arc<search::Indexes>,
    pub flags: Arc<FlagCache>,
    pub step_times: Arc<crate::routes::session::StepTimesCache>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, queue: JobQueue, config: Arc<Config>) -> Self {
        onboard_shared::metrics::handle();
        let logos = LocalDir::for_config(&config);
        let search_budget = config.limits.search_cache_bytes;
        let progress = ProgressCache::new(queue.progress_feed().clone(), db.clone());
        let activity = Activity::new(db.clone(), config.guest_ttl);
        let flags = FlagCache::new(db.clone(), queue.progress_feed().clone());
        Self {
            flags,
            step_times: Default::default(),
            activity,
            db,
            queue,
            config,
            logos,
            progress,
            search: Arc::new(search::Indexes::new(search_budget)),
        }
    }

    /// After a write that changes a guest's progress: this process's cache forgets the guest
    /// at once (its own next poll must see the write, not wait for the notice to come
    /// round), and every other process hears of it through the feed.
    pub async fn progress_changed(&self, guest: uuid::Uuid) {
        self.progress.invalidate(guest);
        self.queue.progress_feed().guest(guest).await;
    }
}
