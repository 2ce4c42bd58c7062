//! The progress poll from memory: each guest's session and latest run as last read, dropped
//! the moment a progress notice names the guest (any writer, any process; see
//! `progress_feed`). 1,000 onboarding UIs polling every 2 seconds then cost the database
//! one read per change rather than 500 reads a second.
//!
//! A read racing a write cannot leave stale data behind: every slot carries a version taken
//! before the database read, a notice moves it, and a read whose version moved is not kept.

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use dashmap::DashMap;
use onboard_shared::{
    entities::{analysis_run, guest_session},
    progress,
    progress_feed::{Notice, ProgressFeed},
};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// The most a lost notice (a failed publish) can leave an entry stale.
const MAX_AGE: Duration = Duration::from_secs(10);
/// Entries live between MAX_AGE minus this and MAX_AGE, spread by guest, so entries filled
/// together (an api start, a burst of polls) do not all go back to the database together.
const AGE_SPREAD_MS: u64 = 5_000;
/// Guests held before the cache starts over, bounding its memory.
const MAX_SLOTS: usize = 100_000;

/// What the poll needs: the guest (for its expiry) and its latest run, if any.
#[derive(Debug)]
pub struct Cached {
    pub guest: guest_session::Model,
    pub run: Option<analysis_run::Model>,
    /// The run's steps, parsed once rather than on every poll.
    pub steps: Vec<progress::Step>,
    expires_at: Instant,
}

#[derive(Debug)]
struct Slot {
    version: u64,
    entry: Option<Arc<Cached>>,
}

#[derive(Debug)]
pub struct ProgressCache {
    slots: DashMap<Uuid, Slot>,
    versions: AtomicU64,
    feed: ProgressFeed,
}

/// Taken before reading the database; the read is kept only if no notice came since.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl ProgressCache {
    /// A cache that listens to the feed for as long as it lives.
    pub fn new(feed: ProgressFeed) -> Arc<Self> {
        let mut notices = feed.subscribe();
        let cache = Arc::new(Self {
            slots: DashMap::new(),
            versions: AtomicU64::new(1),
            feed,
        });
        let weak: Weak<Self> = Arc::downgrade(&cache);
        tokio::spawn(async move {
            loop {
                let notice = notices.recv().await;
                let Some(cache) = weak.upgrade() else { return };
                match notice {
                    Ok(Notice::Guest(uuid)) => cache.invalidate(uuid),
                    Ok(Notice::All) | Err(RecvError::Lagged(_)) => cache.slots.clear(),
                    Ok(Notice::Flags) => {}
                    Err(RecvError::Closed) => return,
                }
            }
        });
        cache
    }

    /// The guest's entry, when the feed is live and the entry young enough to trust.
    pub fn get(&self, guest: Uuid) -> Option<Arc<Cached>> {
        if !self.feed.is_live() {
            return None;
        }
        let entry = self.slots.get(&guest)?.entry.clone()?;
        (Instant::now() < entry.expires_at).then_some(entry)
    }

    pub fn ticket(&self, guest: Uuid) -> Ticket {
        if self.slots.len() >= MAX_SLOTS {
            self.slots.clear();
        }
        let slot = self.slots.entry(guest).or_insert_with(|| Slot {
            version: self.next_version(),
            entry: None,
        });
        Ticket(slot.version)
    }

    /// Keeps what was read under `ticket`, unless a notice for the guest came since.
    pub fn put(
        &self,
        ticket: Ticket,
        guest: guest_session::Model,
        run: Option<analysis_run::Model>,
    ) {
        if let Some(mut slot) = self.slots.get_mut(&guest.uuid)
            && slot.version == ticket.0
        {
            let spread = Duration::from_millis(guest.uuid.as_u64_pair().1 % AGE_SPREAD_MS);
            let steps = run.as_ref().map(progress::steps_of).unwrap_or_default();
            slot.entry = Some(Arc::new(Cached {
                guest,
                run,
                steps,
                expires_at: Instant::now() + MAX_AGE - spread,
            }));
        }
    }

    pub fn invalidate(&self, guest: Uuid) {
        if let Some(mut slot) = self.slots.get_mut(&guest) {
            slot.version = self.next_version();
            slot.entry = None;
        }
    }

    fn next_version(&self) -> u64 {
        self.versions.fetch_add(1, Ordering::Relaxed)
    }
}
