//! Extraction: pure functions from page bytes and URL to findings, callable without the
//! queue or the database.

pub mod clean;
pub mod main_content;
pub mod markdown;
pub mod nesting;
pub mod page;

pub use page::{Link, PageFacts};

use scraper::Html;
use url::Url;

/// What one page tells: its facts (metadata, links, brand and contact hints) and its main
/// content, from one parse.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageAnalysis {
    pub title: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub canonical: Option<String>,
    pub theme_color: Option<String>,
    pub icons: Vec<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub content: main_content::MainContent,
}

/// Parses behind the nesting guard (see `nesting`).
pub fn parse_document(html: &str) -> Html {
    let flattened = nesting::flatten(html, nesting::MAX_DEPTH);
    Html::parse_document(flattened.as_deref().unwrap_or(html))
}

/// Analyses a page. CPU work: call it from `spawn_blocking`.
pub fn analyse(html: &str, base: &Url) -> PageAnalysis {
    let doc = parse_document(html);
    let facts = page::facts(&doc, base);
    PageAnalysis {
        title: facts.title,
        description: facts.description,
        language: facts.language,
        canonical: facts.canonical.map(String::from),
        theme_color: facts.theme_color,
        icons: facts.icons.into_iter().map(String::from).collect(),
        emails: facts.emails,
        phones: facts.phones,
        content: main_content::extract(&doc, &[]),
    }
}
