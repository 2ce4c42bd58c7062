//! Built indexes of finished analyses, a bounded few: a guest typing queries against the
//! same analysis reuses one, and memory stays flat however many guests search.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use super::Index;

/// Indexes kept, most recently built last.
const KEPT: usize = 32;

#[derive(Default)]
pub struct Indexes {
    built: Mutex<VecDeque<(i64, Arc<Index>)>>,
}

impl std::fmt::Debug for Indexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexes").finish_non_exhaustive()
    }
}

impl Indexes {
    pub fn get(&self, run_id: i64) -> Option<Arc<Index>> {
        let built = self.built.lock().expect("search cache lock");
        built
            .iter()
            .find(|(id, _)| *id == run_id)
            .map(|(_, index)| index.clone())
    }

    pub fn put(&self, run_id: i64, index: Arc<Index>) {
        let mut built = self.built.lock().expect("search cache lock");
        built.retain(|(id, _)| *id != run_id);
        if built.len() == KEPT {
            built.pop_front();
        }
        built.push_back((run_id, index));
    }
}
