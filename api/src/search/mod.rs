//! Content search over one analysis' extracted pages: BM25 over titles and over main text,
//! a title match counting above a body match, each hit with a snippet. An index is built
//! from the rows of a finished analysis (whose pages no longer change) on first use and
//! kept within a memory budget; the text of a page is indexed up to a bound, so the work
//! one build takes is bounded by the analysis' page budget.

mod cache;
mod snippet;
mod words;

pub use cache::Indexes;

use std::collections::{HashMap, HashSet};

use bm25::{EmbedderBuilder, Embedding, Scorer, TokenEmbedder, TokenEmbedding};

use words::Words;

/// How much a title match counts against a body match of the same strength.
const TITLE_WEIGHT: f32 = 2.0;
/// Bytes of a page's text indexed (and searched for snippets).
pub const MAX_INDEXED_TEXT: usize = 64 * 1024;
/// What one kept term of a page costs in the scorers' maps, roughly.
const BYTES_PER_TERM: usize = 48;

/// A page as search sees it.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: String,
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub url: String,
    pub title: String,
    pub snippet: String,
    pub score: f32,
}

pub struct Index {
    pages: Vec<Page>,
    title_scores: Scorer<usize, u64>,
    body_scores: Scorer<usize, u64>,
    /// For queries and snippets, the same cut as the pages.
    words: Words,
    /// Memory the index takes, estimated.
    bytes: usize,
}

impl Index {
    /// CPU work in proportion to the text: build it off the async workers.
    pub fn build(mut pages: Vec<Page>, language: Option<&str>) -> Index {
        for page in &mut pages {
            clip(&mut page.text, MAX_INDEXED_TEXT);
        }
        let titles_corpus: Vec<&str> = pages.iter().map(|p| p.title.as_str()).collect();
        let bodies_corpus: Vec<&str> = pages.iter().map(|p| p.text.as_str()).collect();
        let titles = EmbedderBuilder::<u64, Words>::with_tokenizer_and_fit_to_corpus(
            Words::for_language(language),
            &titles_corpus,
        )
        .build();
        let bodies = EmbedderBuilder::<u64, Words>::with_tokenizer_and_fit_to_corpus(
            Words::for_language(language),
            &bodies_corpus,
        )
        .build();
        let mut title_scores = Scorer::new();
        let mut body_scores = Scorer::new();
        let mut bytes = 0;
        for (i, page) in pages.iter().enumerate() {
            let (title, body) = (titles.embed(&page.title), bodies.embed(&page.text));
            bytes += page.url.len()
                + page.title.len()
                + page.text.len()
                + (title.0.len() + body.0.len()) * BYTES_PER_TERM;
            title_scores.upsert(&i, title);
            body_scores.upsert(&i, body);
        }
        Index {
            pages,
            title_scores,
            body_scores,
            words: Words::for_language(language),
            bytes,
        }
    }

    /// Memory the index takes, estimated.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// The query's distinct terms; empty when it has no word to search for.
    pub fn terms(&self, query: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        self.words
            .terms(query)
            .filter(|t| seen.insert(t.clone()))
            .collect()
    }

    /// The pages matching any term, best first (ties in crawl order), from `offset` on,
    /// at most `limit`; and how many matched in all.
    pub fn search(&self, terms: &[String], offset: usize, limit: usize) -> (Vec<Hit>, usize) {
        // The terms are already cut; scoring reads only which terms a query holds.
        let query = Embedding(
            terms
                .iter()
                .map(|t| TokenEmbedding {
                    index: u64::embed(t),
                    value: 1.0,
                })
                .collect(),
        );
        let mut scores: HashMap<usize, f32> = HashMap::new();
        for m in self.title_scores.matches(&query) {
            *scores.entry(m.id).or_default() += TITLE_WEIGHT * m.score;
        }
        for m in self.body_scores.matches(&query) {
            *scores.entry(m.id).or_default() += m.score;
        }
        let mut ranked: Vec<(usize, f32)> = scores.into_iter().filter(|(_, s)| *s > 0.0).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let total = ranked.len();
        let wanted: HashSet<String> = terms.iter().cloned().collect();
        let hits = ranked
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(i, score)| {
                let page = &self.pages[i];
                Hit {
                    url: page.url.clone(),
                    title: page.title.clone(),
                    snippet: snippet::around(&page.text, &wanted, &self.words),
                    score,
                }
            })
            .collect();
        (hits, total)
    }
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
fn clip(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str, title: &str, text: &str) -> Page {
        Page {
            url: url.into(),
            title: title.into(),
            text: text.into(),
        }
    }

    fn filler(n: usize) -> String {
        "Our team builds tools for small companies around the world. ".repeat(n)
    }

    fn urls(index: &Index, query: &str) -> Vec<String> {
        let (hits, _) = index.search(&index.terms(query), 0, 10);
        hits.into_iter().map(|h| h.url).collect()
    }

    #[test]
    fn a_title_match_ranks_above_the_same_words_in_a_body() {
        let index = Index::build(
            vec![
                page(
                    "/blog",
                    "News from the team",
                    &format!("{} We also changed our refund policy.", filler(3)),
                ),
                page("/refunds", "Refund policy", &filler(3)),
                page("/about", "About us", &filler(4)),
            ],
            Some("en"),
        );
        assert_eq!(urls(&index, "refund policy"), ["/refunds", "/blog"]);
    }

    #[test]
    fn more_matching_terms_and_denser_matches_rank_higher() {
        let index = Index::build(
            vec![
                page(
                    "/a",
                    "Help",
                    &format!("{} Reset your password here.", filler(6)),
                ),
                page(
                    "/b",
                    "Help",
                    "Forgot your password? Reset the password from the sign-in page.",
                ),
                page(
                    "/c",
                    "Help",
                    &format!("{} Your password is yours.", filler(6)),
                ),
                page("/d", "Pricing", &filler(2)),
            ],
            Some("en"),
        );
        let ranked = urls(&index, "reset password");
        assert_eq!(ranked[0], "/b");
        assert_eq!(ranked[1], "/a");
        assert_eq!(ranked.len(), 3, "a page without the terms is not a hit");
    }

    #[test]
    fn stems_match_and_counts_cover_every_hit_beyond_the_limit() {
        let pages = (0..30)
            .map(|i| page(&format!("/p{i}"), "Shipping", "We ship parcels daily."))
            .collect();
        let index = Index::build(pages, Some("en"));
        let (hits, total) = index.search(&index.terms("shipped"), 0, 5);
        assert_eq!((hits.len(), total), (5, 30));
        let (rest, _) = index.search(&index.terms("shipped"), 28, 5);
        assert_eq!(rest.len(), 2, "the last page");
        assert_eq!(hits[0].snippet, "We ship parcels daily.");
        assert!(index.terms("?? --").is_empty());
    }
}
