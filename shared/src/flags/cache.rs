//! The flags as last read, for evaluation on every request without a database read. A
//! change to any flag sends a notice over the progress feed (Redis pub/sub across
//! replicas, in-process when embedded); every cache drops its copy on hearing it. While
//! the feed is not live (Redis away) a copy is trusted for a second at most.

use std::{
    sync::{
        Arc, RwLock, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::broadcast::error::RecvError;

use super::{Flag, store};
use crate::progress_feed::{Notice, ProgressFeed};

/// The most a lost notice can leave a copy stale.
const MAX_AGE: Duration = Duration::from_secs(30);
/// How long a copy is trusted while notices may be missed.
const UNHEARD_MAX_AGE: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Copy {
    flags: Arc<Vec<Flag>>,
    read_at: Instant,
    version: u64,
}

#[derive(Debug)]
pub struct FlagCache {
    db: DatabaseConnection,
    feed: ProgressFeed,
    copy: RwLock<Option<Copy>>,
    /// Moved by every notice; a read that started before a move is not kept.
    version: AtomicU64,
}

impl FlagCache {
    pub fn new(db: DatabaseConnection, feed: ProgressFeed) -> Arc<Self> {
        let mut notices = feed.subscribe();
        let cache = Arc::new(Self {
            db,
            feed,
            copy: RwLock::new(None),
            version: AtomicU64::new(0),
        });
        let weak: Weak<Self> = Arc::downgrade(&cache);
        tokio::spawn(async move {
            loop {
                let notice = notices.recv().await;
                let Some(cache) = weak.upgrade() else { return };
                match notice {
                    Ok(Notice::Flags | Notice::All) | Err(RecvError::Lagged(_)) => {
                        cache.drop_copy()
                    }
                    Ok(Notice::Guest(_)) => {}
                    Err(RecvError::Closed) => return,
                }
            }
        });
        cache
    }

    fn drop_copy(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
        *self.copy.write().expect("flag cache lock") = None;
    }

    /// Every flag, from the copy while it can be trusted, else from the database.
    pub async fn all(&self) -> Result<Arc<Vec<Flag>>, DbErr> {
        let max_age = if self.feed.is_live() {
            MAX_AGE
        } else {
            UNHEARD_MAX_AGE
        };
        let version = self.version.load(Ordering::SeqCst);
        if let Some(copy) = self.copy.read().expect("flag cache lock").as_ref()
            && copy.version == version
            && copy.read_at.elapsed() < max_age
        {
            return Ok(copy.flags.clone());
        }
        let flags = Arc::new(store::list(&self.db).await?);
        if self.version.load(Ordering::SeqCst) == version {
            *self.copy.write().expect("flag cache lock") = Some(Copy {
                flags: flags.clone(),
                read_at: Instant::now(),
                version,
            });
        }
        Ok(flags)
    }

    /// Whether a kill switch is on (a switch that is not stored is on).
    pub async fn switch_on(&self, name: &str) -> Result<bool, DbErr> {
        Ok(self
            .all()
            .await?
            .iter()
            .find(|f| f.name == name)
            .is_none_or(|f| f.enabled))
    }

    /// After writing a flag: this cache forgets at once, every other hears the notice.
    pub async fn changed(&self) {
        self.drop_copy();
        self.feed.publish(Notice::Flags).await;
    }
}
