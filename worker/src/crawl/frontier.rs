//! What to crawl next: with a page budget, pages useful to a help desk (by URL and anchor
//! text) come first, then the rest breadth-first.

use std::{cmp::Reverse, collections::BinaryHeap};

use url::Url;

/// Words that mark a page a help desk wants: support content, contact and commercial facts.
const USEFUL: &[&str] = &[
    "help",
    "support",
    "faq",
    "faqs",
    "docs",
    "documentation",
    "knowledge",
    "kb",
    "contact",
    "pricing",
    "price",
    "plans",
    "about",
    "guide",
    "tutorial",
    "questions",
];

/// 0 for a page a help desk wants, 1 for any other.
pub fn class(url: &Url, anchor: &str) -> u8 {
    let words = |s: &str| -> bool {
        s.to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| USEFUL.contains(&w))
    };
    let host_label = url
        .host_str()
        .and_then(|h| h.split('.').next())
        .unwrap_or_default();
    if words(url.path()) || words(anchor) || USEFUL.contains(&host_label) {
        0
    } else {
        1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    class: u8,
    depth: usize,
    seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub url: Url,
    pub depth: usize,
    /// Fetch attempts so far (retries after 429/503 or transient errors).
    pub attempt: u32,
    /// 0 for a page a help desk wants (see [`class`]), kept for when it is queued again.
    pub class: u8,
}

#[derive(Debug, Default)]
pub struct Frontier {
    heap: BinaryHeap<Reverse<(Key, EntryOrd)>>,
    seq: u64,
}

/// Entries ordered only by their key (the wrapper keeps Url out of the ordering).
#[derive(Debug, Clone, PartialEq, Eq)]
struct EntryOrd(Entry);

impl PartialOrd for EntryOrd {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EntryOrd {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl Frontier {
    pub fn push(&mut self, entry: Entry) {
        self.seq += 1;
        let key = Key {
            class: entry.class,
            depth: entry.depth,
            seq: self.seq,
        };
        self.heap.push(Reverse((key, EntryOrd(entry))));
    }

    pub fn pop(&mut self) -> Option<Entry> {
        self.heap.pop().map(|Reverse((_, e))| e.0)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Everything left, in crawl order.
    pub fn drain(&mut self) -> Vec<Entry> {
        std::iter::from_fn(|| self.pop()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, depth: usize) -> Entry {
        Entry {
            url: Url::parse(&format!("https://a.test{path}")).unwrap(),
            depth,
            attempt: 0,
            class: 1,
        }
    }

    #[test]
    fn useful_pages_first_then_breadth_first() {
        let mut f = Frontier::default();
        for (path, depth, anchor) in [
            ("/blog/1", 1, "Post"),
            ("/x", 2, "Frequently asked questions"),
            ("/pricing", 3, ""),
            ("/team", 1, ""),
        ] {
            let mut e = entry(path, depth);
            e.class = class(&e.url, anchor);
            f.push(e);
        }
        let order: Vec<_> = f
            .drain()
            .into_iter()
            .map(|e| e.url.path().to_owned())
            .collect();
        assert_eq!(order, ["/x", "/pricing", "/blog/1", "/team"]);
    }

    #[test]
    fn help_subdomains_count_as_useful() {
        assert_eq!(
            class(&Url::parse("https://support.a.test/").unwrap(), ""),
            0
        );
        assert_eq!(
            class(&Url::parse("https://www.a.test/careers").unwrap(), "Jobs"),
            1
        );
    }
}
