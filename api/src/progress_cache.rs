//! The progress poll from memory: each guest's session and latest run as last read, read
//! again the moment a progress notice names the guest (any writer, any process; see
//! `progress_feed`). 1,000 onboarding UIs polling every 2 seconds then cost the database
//! one read per change rather than 500 reads a second.
//!
//! No poll waits on that read once the guest's entry is there: a notice, or the entry's age,
//! starts one read in the background and polls meanwhile get the entry as it was (the
//! change is a few milliseconds old; nothing the guest did is hidden, since this process's
//! own writes drop the entry outright, `invalidate`). Under the real load (`just bench
//! api`: 1,000 guests at 5,000 polls a second, 16 runs writing progress) entries coming of
//! age and notices sent about 3 polls in 100 to the database, so the poll's p99 was a
//! database read, as slow as the database was busy (finishing runs).
//!
//! A read racing a write cannot leave stale data behind: every slot carries a version taken
//! before the database read, a notice moves it, and a read whose version moved is not kept.

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use dashmap::DashMap;
use onboard_shared::{
    entities::{analysis_run, guest_session},
    progress,
    progress_feed::{Notice, ProgressFeed},
    runs,
    telemetry::Chain,
};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::{Semaphore, broadcast::error::RecvError};
use uuid::Uuid;

/// How long an entry is served before it is read again, when no notice came (a lost
/// notice, from a failed publish, is caught up with this late at most).
const MAX_AGE: Duration = Duration::from_secs(10);
/// How long an entry due for a read is still served while that read is under way: past
/// this (the database is failing or far behind) polls go to the database themselves.
const STALE_GRACE: Duration = Duration::from_secs(5);
/// Background reads at once, so a burst of notices (runs finishing together) takes a few
/// of the database's connections, not all of them.
const REFRESHES: usize = 4;
/// Reads one refresh makes when notices keep coming while it reads; the entry then stays
/// due, and the next poll starts another.
const READS_PER_REFRESH: usize = 3;
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
}

#[derive(Debug)]
struct Slot {
    version: u64,
    entry: Option<Arc<Cached>>,
    /// Until when the entry is served as it is; after, it is read again in the background.
    fresh_until: Instant,
    /// Whether that read is under way (one at a time per guest).
    refreshing: AtomicBool,
}

impl Slot {
    fn new(version: u64) -> Self {
        Self {
            version,
            entry: None,
            fresh_until: Instant::now(),
            refreshing: AtomicBool::new(false),
        }
    }
}

#[derive(Debug)]
pub struct ProgressCache {
    slots: DashMap<Uuid, Slot>,
    versions: AtomicU64,
    feed: ProgressFeed,
    db: DatabaseConnection,
    refreshes: Semaphore,
}

/// Taken before reading the database; the read is kept only if no notice came since.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl ProgressCache {
    /// A cache that listens to the feed for as long as it lives.
    pub fn new(feed: ProgressFeed, db: DatabaseConnection) -> Arc<Self> {
        let mut notices = feed.subscribe();
        let cache = Arc::new(Self {
            slots: DashMap::new(),
            versions: AtomicU64::new(1),
            feed,
            db,
            refreshes: Semaphore::new(REFRESHES),
        });
        let weak: Weak<Self> = Arc::downgrade(&cache);
        tokio::spawn(async move {
            loop {
                let notice = notices.recv().await;
                let Some(cache) = weak.upgrade() else { return };
                match notice {
                    Ok(Notice::Guest(uuid)) => cache.changed(uuid),
                    Ok(Notice::All) | Err(RecvError::Lagged(_)) => cache.slots.clear(),
                    Ok(Notice::Flags) => {}
                    Err(RecvError::Closed) => return,
                }
            }
        });
        cache
    }

    /// The guest's entry, when the feed is live and the entry is fresh, or due for a read
    /// that is now under way (started here if it was not).
    pub fn get(self: &Arc<Self>, guest: Uuid) -> Option<Arc<Cached>> {
        if !self.feed.is_live() {
            return None;
        }
        let slot = self.slots.get(&guest)?;
        let entry = slot.entry.clone()?;
        let now = Instant::now();
        if now < slot.fresh_until {
            return Some(entry);
        }
        // A guest without a run is read by its poll: that read may start the analysis.
        if entry.run.is_none() || now >= slot.fresh_until + STALE_GRACE {
            return None;
        }
        if !slot.refreshing.swap(true, Ordering::AcqRel) {
            drop(slot);
            self.refresh(guest);
        }
        Some(entry)
    }

    pub fn ticket(&self, guest: Uuid) -> Ticket {
        if self.slots.len() >= MAX_SLOTS {
            self.slots.clear();
        }
        let slot = self
            .slots
            .entry(guest)
            .or_insert_with(|| Slot::new(self.next_version()));
        Ticket(slot.version)
    }

    /// Keeps what was read under `ticket`, unless a notice for the guest came since; says
    /// whether it was kept.
    pub fn put(
        &self,
        ticket: Ticket,
        guest: guest_session::Model,
        run: Option<analysis_run::Model>,
    ) -> bool {
        let Some(mut slot) = self.slots.get_mut(&guest.uuid) else {
            return false;
        };
        if slot.version != ticket.0 {
            return false;
        }
        let spread = Duration::from_millis(guest.uuid.as_u64_pair().1 % AGE_SPREAD_MS);
        let steps = run.as_ref().map(progress::steps_of).unwrap_or_default();
        slot.fresh_until = Instant::now() + MAX_AGE - spread;
        slot.entry = Some(Arc::new(Cached { guest, run, steps }));
        true
    }

    /// Drops the guest's entry: its next poll reads the database (after this process's
    /// own writes, which that poll must see).
    pub fn invalidate(&self, guest: Uuid) {
        if let Some(mut slot) = self.slots.get_mut(&guest) {
            slot.version = self.next_version();
            slot.entry = None;
        }
    }

    /// A notice named the guest: its entry is read again in the background.
    fn changed(self: &Arc<Self>, guest: Uuid) {
        let Some(mut slot) = self.slots.get_mut(&guest) else {
            return;
        };
        slot.version = self.next_version();
        if slot.entry.as_ref().is_none_or(|e| e.run.is_none()) {
            slot.entry = None;
            return;
        }
        slot.fresh_until = Instant::now();
        if !slot.refreshing.swap(true, Ordering::AcqRel) {
            drop(slot);
            self.refresh(guest);
        }
    }

    /// Reads the guest's entry again, until a read is kept (a notice during the read sends
    /// it round once more, a few times at most) or there is no entry left to keep fresh.
    fn refresh(self: &Arc<Self>, guest: Uuid) {
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            let _turn = cache.refreshes.acquire().await;
            for _ in 0..READS_PER_REFRESH {
                let Some(ticket) = cache
                    .slots
                    .get(&guest)
                    .filter(|slot| slot.entry.is_some())
                    .map(|slot| Ticket(slot.version))
                else {
                    break;
                };
                match cache.read(guest).await {
                    Ok(Some((row, run))) => {
                        if cache.put(ticket, row, run) {
                            break;
                        }
                    }
                    Ok(None) => {
                        cache.invalidate(guest);
                        break;
                    }
                    Err(error) => {
                        // Served as it is until the grace ends; then polls read themselves.
                        tracing::warn!(error = %Chain(&error), "progress refresh failed");
                        break;
                    }
                }
            }
            if let Some(slot) = cache.slots.get(&guest) {
                slot.refreshing.store(false, Ordering::Release);
            }
        });
    }

    /// The guest's session and latest run, if the session still exists.
    async fn read(
        &self,
        guest: Uuid,
    ) -> Result<Option<(guest_session::Model, Option<analysis_run::Model>)>, DbErr> {
        let Some(row) = guest_session::Entity::find_by_id(guest)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let run = runs::queries::latest(&self.db, guest).await?;
        Ok(Some((row, run)))
    }

    fn next_version(&self) -> u64 {
        self.versions.fetch_add(1, Ordering::Relaxed)
    }
}
