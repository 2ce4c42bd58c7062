//! Duplicate pages: exact (the same normalised text) and near (titles 90% alike and bodies
//! 85% alike: the Jaccard similarity of their word-shingle sets). Titles are compared
//! first and a 64-bit simhash rules out clearly different bodies with a popcount, so only
//! likely pairs pay for the set comparison and hundreds of pages compare in milliseconds.

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;
use sha2::{Digest, Sha256};

/// Titles at least this alike (Dice coefficient of character bigrams).
pub const TITLE_SIMILARITY: f64 = 0.9;
/// Bodies at least this alike (Jaccard similarity of shingle sets).
pub const BODY_SIMILARITY: f64 = 0.85;
/// Simhashes this far apart cannot belong to bodies that alike.
const SIMHASH_FLOOR: f64 = 0.6;
/// Words per shingle.
const SHINGLE: usize = 3;

/// The text's words, lower-cased, punctuation dropped, one space between them (one buffer
/// rather than a string per word: long pages have tens of thousands).
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.is_ascii() {
            let start = out.len();
            out.push_str(word);
            out[start..].make_ascii_lowercase();
        } else {
            out.push_str(&word.to_lowercase());
        }
    }
    out
}

/// The content hash and the shingles of a text, from one normalisation of it.
pub fn fingerprint(text: &str) -> (String, Vec<u64>) {
    let normalised = normalise(text);
    (hash_of(&normalised), shingles_of(&normalised))
}

/// Hex SHA-256 of the normalised text: equal for texts that differ only in case,
/// punctuation and spacing.
pub fn content_hash(text: &str) -> String {
    hash_of(&normalise(text))
}

fn hash_of(normalised: &str) -> String {
    Sha256::digest(normalised.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The hashes of the text's word shingles, sorted and distinct.
pub fn shingles(text: &str) -> Vec<u64> {
    shingles_of(&normalise(text))
}

fn shingles_of(normalised: &str) -> Vec<u64> {
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    // Hashed as `&[&str]`, which hashes as `&[String]` did: stored shingles stay comparable.
    let hash = |shingle: &[&str]| {
        let mut hasher = FxHasher::default();
        shingle.hash(&mut hasher);
        // FxHash mixes weakly in the low bits; one multiply-xorshift round spreads them.
        let mut h = hasher.finish();
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ h >> 33
    };
    let mut hashes: Vec<u64> = if words.len() < SHINGLE {
        vec![hash(&words)]
    } else {
        words.windows(SHINGLE).map(hash).collect()
    };
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// 64-bit simhash of a text's shingles (stored as i64 in the database).
pub fn simhash(shingles: &[u64]) -> u64 {
    let mut weights = [0i32; 64];
    for h in shingles {
        for (bit, weight) in weights.iter_mut().enumerate() {
            *weight += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// The share of equal bits of two simhashes.
pub fn simhash_similarity(a: u64, b: u64) -> f64 {
    1.0 - f64::from((a ^ b).count_ones()) / 64.0
}

/// Jaccard similarity of two sorted, distinct shingle sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let common = intersection(a, b);
    common as f64 / (a.len() + b.len() - common) as f64
}

/// The size of the intersection of two sorted lists (as multisets).
fn intersection<T: Ord>(x: &[T], y: &[T]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common
}

/// Dice coefficient of the character bigrams of two titles (case, punctuation and spacing
/// ignored).
pub fn title_similarity(a: &str, b: &str) -> f64 {
    let bigrams = |s: &str| {
        let chars: Vec<char> = s
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .collect();
        let mut grams: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
        grams.sort_unstable();
        grams
    };
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() && y.is_empty() {
        return if a.trim().eq_ignore_ascii_case(b.trim()) {
            1.0
        } else {
            0.0
        };
    }
    2.0 * intersection(&x, &y) as f64 / (x.len() + y.len()) as f64
}

/// One page as dedup sees it.
pub struct Fingerprint<'a> {
    pub title: &'a str,
    pub content_hash: &'a str,
    pub simhash: u64,
    pub shingles: &'a [u64],
}

/// Pages seen so far, for deciding as each new one comes whether it duplicates an earlier
/// one. Keeps only the fingerprints (title, hashes, shingles), not the pages.
#[derive(Debug, Default)]
pub struct Dedup {
    seen: Vec<Seen>,
}

#[derive(Debug)]
struct Seen {
    title: String,
    content_hash: String,
    simhash: u64,
    shingles: Vec<u64>,
    original: Option<usize>,
}

impl Dedup {
    /// Adds a page; returns the index (in the order added) of the earlier page it
    /// duplicates, exactly or nearly: the original, never another duplicate of it.
    pub fn add(&mut self, page: &Fingerprint) -> Option<usize> {
        let original = self.seen.iter().enumerate().find_map(|(j, earlier)| {
            let exact = earlier.content_hash == page.content_hash;
            let near = || {
                title_similarity(&earlier.title, page.title) >= TITLE_SIMILARITY
                    && simhash_similarity(earlier.simhash, page.simhash) >= SIMHASH_FLOOR
                    && jaccard(&earlier.shingles, page.shingles) >= BODY_SIMILARITY
            };
            (exact || near()).then(|| earlier.original.unwrap_or(j))
        });
        self.seen.push(Seen {
            title: page.title.to_owned(),
            content_hash: page.content_hash.to_owned(),
            simhash: page.simhash,
            shingles: page.shingles.to_vec(),
            original,
        });
        original
    }
}

/// For each page, the index of an earlier page it duplicates (exactly or nearly).
pub fn duplicates(pages: &[Fingerprint]) -> Vec<Option<usize>> {
    let mut dedup = Dedup::default();
    pages.iter().map(|page| dedup.add(page)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pseudo-random text over a 2,000-word vocabulary, different for every seed.
    fn article(seed: usize, words: usize) -> String {
        let mut state = (seed as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..words)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                format!("word{}", state % 2000)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn exact_duplicates_ignore_case_punctuation_and_spacing() {
        assert_eq!(content_hash("Hello,  World!"), content_hash("hello world"));
        assert_ne!(content_hash("hello world"), content_hash("hello there"));
    }

    #[test]
    fn near_duplicates_need_similar_titles_and_bodies() {
        let body = article(1, 400);
        // A few words changed in 400: still the same page.
        let edited = body.replacen("word8", "changed", 3);
        let other = article(2, 400);
        let (s1, s2, s3) = (shingles(&body), shingles(&edited), shingles(&other));
        assert!(jaccard(&s1, &s2) >= BODY_SIMILARITY);
        assert!(jaccard(&s1, &s3) < 0.1);
        assert!(simhash_similarity(simhash(&s1), simhash(&s3)) < SIMHASH_FLOOR + 0.2);
        assert!(title_similarity("Pricing - Acme", "Pricing – Acme") >= TITLE_SIMILARITY);
        assert!(title_similarity("Pricing", "Contact us") < TITLE_SIMILARITY);

        let (h1, h2, h3) = (
            content_hash(&body),
            content_hash(&edited),
            content_hash(&other),
        );
        let pages = [
            Fingerprint {
                title: "Pricing | Acme",
                content_hash: &h1,
                simhash: simhash(&s1),
                shingles: &s1,
            },
            Fingerprint {
                title: "Pricing | Acme ",
                content_hash: &h2,
                simhash: simhash(&s2),
                shingles: &s2,
            },
            // The same text as page 1 under another title: an exact duplicate still.
            Fingerprint {
                title: "Careers",
                content_hash: &h2,
                simhash: simhash(&s2),
                shingles: &s2,
            },
            Fingerprint {
                title: "Pricing | Acme",
                content_hash: &h3,
                simhash: simhash(&s3),
                shingles: &s3,
            },
            Fingerprint {
                title: "Pricing | Acme",
                content_hash: &h1,
                simhash: simhash(&s1),
                shingles: &s1,
            },
        ];
        // Page 2 copies page 1, a near duplicate of page 0, so it points at page 0; page 3
        // shares only its title.
        assert_eq!(duplicates(&pages), [None, Some(0), Some(0), None, Some(0)]);
    }

    #[test]
    fn hundreds_of_distinct_pages_are_not_duplicates() {
        let texts: Vec<String> = (0..500).map(|i| article(i, 300)).collect();
        let hashes: Vec<String> = texts.iter().map(|t| content_hash(t)).collect();
        let sets: Vec<Vec<u64>> = texts.iter().map(|t| shingles(t)).collect();
        let pages: Vec<Fingerprint> = hashes
            .iter()
            .zip(&sets)
            .enumerate()
            .map(|(i, (h, set))| Fingerprint {
                title: if i % 2 == 0 { "A" } else { "B" },
                content_hash: h,
                simhash: simhash(set),
                shingles: set,
            })
            .collect();
        // Distinct texts under shared titles: no false positives among 124,750 pairs.
        assert!(duplicates(&pages).iter().all(Option::is_none));
    }
}
