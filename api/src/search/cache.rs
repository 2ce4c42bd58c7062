//! Built indexes of finished analyses, kept within a memory budget. An index is built once
//! per analysis: concurrent searches of the same analysis wait for the one build rather
//! than each starting their own, and no more than a few builds run at once in the process.
//! When the indexes kept exceed the budget, the least recently used go first.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
};

use tokio::sync::{OnceCell, Semaphore};

use super::Index;

/// Index builds running at once in one process; the rest wait their turn.
const BUILDS_AT_ONCE: usize = 2;

pub struct Indexes {
    budget: usize,
    builds: Semaphore,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    slots: HashMap<i64, Slot>,
    /// Bytes of the built indexes in `slots`.
    bytes: usize,
    clock: u64,
}

struct Slot {
    index: Arc<OnceCell<Arc<Index>>>,
    /// 0 until built and counted.
    bytes: usize,
    used: u64,
}

impl std::fmt::Debug for Indexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexes")
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl Indexes {
    /// Keeps at most `budget` bytes of indexes (estimated).
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            builds: Semaphore::new(BUILDS_AT_ONCE),
            kept: Mutex::default(),
        }
    }

    /// The index of an analysis, built by `build` if it is not kept (once, however many
    /// ask at the same time).
    pub async fn get_or_build<E, F, Fut>(&self, run_id: i64, build: F) -> Result<Arc<Index>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Index, E>>,
    {
        let cell = {
            let mut kept = self.kept.lock().expect("search cache lock");
            kept.clock += 1;
            let now = kept.clock;
            let slot = kept.slots.entry(run_id).or_insert_with(|| Slot {
                index: Arc::default(),
                bytes: 0,
                used: now,
            });
            slot.used = now;
            slot.index.clone()
        };
        let index = cell
            .get_or_try_init(|| async {
                let _turn = self.builds.acquire().await.expect("never closed");
                build().await.map(Arc::new)
            })
            .await?
            .clone();
        self.account(run_id, &index);
        Ok(index)
    }

    /// Counts a newly built index and evicts the least recently used ones over the budget.
    fn account(&self, run_id: i64, index: &Arc<Index>) {
        let mut kept = self.kept.lock().expect("search cache lock");
        let Kept { slots, bytes, .. } = &mut *kept;
        if let Some(slot) = slots.get_mut(&run_id)
            && slot.bytes == 0
            && slot.index.initialized()
        {
            slot.bytes = index.bytes().max(1);
            *bytes += slot.bytes;
        }
        while *bytes > self.budget {
            let oldest = slots
                .iter()
                .filter(|(_, slot)| slot.bytes > 0)
                .min_by_key(|(_, slot)| slot.used)
                .map(|(id, _)| *id);
            let Some(oldest) = oldest else { break };
            if let Some(slot) = slots.remove(&oldest) {
                *bytes -= slot.bytes;
            }
        }
    }

    /// Bytes the kept indexes take (estimated).
    pub fn bytes(&self) -> usize {
        self.kept.lock().expect("search cache lock").bytes
    }

    /// Whether an analysis' index is kept.
    pub fn holds(&self, run_id: i64) -> bool {
        self.kept
            .lock()
            .expect("search cache lock")
            .slots
            .get(&run_id)
            .is_some_and(|slot| slot.bytes > 0)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::search::Page;

    fn index_of(words: usize) -> Index {
        Index::build(
            vec![Page {
                url: "/".into(),
                title: "T".into(),
                text: "word ".repeat(words),
            }],
            Some("en"),
        )
    }

    #[tokio::test]
    async fn concurrent_searches_of_one_analysis_build_its_index_once() {
        let cache = Arc::new(Indexes::new(usize::MAX));
        let builds = Arc::new(AtomicUsize::new(0));
        let searches = (0..8).map(|_| {
            let (cache, builds) = (cache.clone(), builds.clone());
            tokio::spawn(async move {
                cache
                    .get_or_build(7, || async {
                        builds.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok::<_, ()>(index_of(100))
                    })
                    .await
                    .unwrap()
            })
        });
        for search in searches.collect::<Vec<_>>() {
            search.await.unwrap();
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_budget_evicts_the_least_recently_used() {
        let one = index_of(1000).bytes();
        let cache = Indexes::new(one * 2 + one / 2);
        for run in [1, 2] {
            cache
                .get_or_build(run, || async { Ok::<_, ()>(index_of(1000)) })
                .await
                .unwrap();
        }
        // Run 1 used again, then a third index: run 2 is the one to go.
        cache
            .get_or_build(1, || async { Err::<Index, _>("kept: not rebuilt") })
            .await
            .unwrap();
        cache
            .get_or_build(3, || async { Ok::<_, ()>(index_of(1000)) })
            .await
            .unwrap();
        assert!(cache.holds(1) && cache.holds(3) && !cache.holds(2));
        assert!(cache.bytes() <= one * 2 + one / 2, "{}", cache.bytes());

        // An index larger than the whole budget answers its search but is not kept.
        let small = Indexes::new(one / 2);
        small
            .get_or_build(9, || async { Ok::<_, ()>(index_of(1000)) })
            .await
            .unwrap();
        assert!(!small.holds(9));
        assert_eq!(small.bytes(), 0);
    }
}
