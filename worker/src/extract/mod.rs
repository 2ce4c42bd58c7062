//! Extraction: pure functions from page bytes and URL to findings, callable without the
//! queue or the database. `analyse` runs them all on one parse of a page.

pub mod ascii;
pub mod brand;
pub mod category;
pub mod channels;
pub mod chat_widgets;
pub mod clean;
pub mod dedup;
pub mod deferred;
pub mod language;
pub mod main_content;
pub mod markdown;
pub mod metadata;
pub mod nesting;
pub mod page;
pub mod quality;
pub mod scan;
pub mod site_selectors;
pub mod trailers;
pub mod whitespace;

pub use page::{Link, PageFacts};

use scraper::{Html, Selector};
use serde::Serialize;
use url::Url;

/// What one page tells, from one parse.
#[derive(Debug, Clone, Serialize)]
pub struct PageAnalysis {
    /// Title, description, declared language, links, icons, emails, phones, full text.
    #[serde(skip)]
    pub facts: PageFacts,
    pub title: Option<String>,
    pub description: Option<String>,
    pub canonical: Option<String>,
    /// Declared, or detected when absent or contradicted by the text.
    pub language: language::Language,
    pub content: main_content::MainContent,
    pub metadata: metadata::Metadata,
    pub category: category::Category,
    pub faq: Vec<(String, String)>,
    pub quality: quality::Quality,
    /// Of the main text.
    pub content_hash: String,
    pub simhash: u64,
    /// Of the main text, for near-duplicate detection.
    #[serde(skip)]
    pub shingles: Vec<u64>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub channels: channels::Channels,
    pub brand: brand::Brand,
}

/// Parses behind the nesting guard (see `nesting`).
pub fn parse_document(html: &str) -> Html {
    let flattened = nesting::flatten(html, nesting::MAX_DEPTH);
    Html::parse_document(flattened.as_deref().unwrap_or(html))
}

/// A page read for the DOM stages: the streaming pass (behind the nesting guard, which
/// keeps lol_html's selector matching linear too), then the DOM of what it left.
pub fn prepare(html: &str, base: &Url, keep_furniture: bool) -> (scan::Scan, Html) {
    let flattened = nesting::flatten(html, nesting::MAX_DEPTH);
    let mut scan = scan::scan(flattened.as_deref().unwrap_or(html), base, keep_furniture);
    let mut doc = Html::parse_document(&scan.html);
    if scan.markup.deferred {
        deferred::fill(&mut doc);
    }
    scan.html = String::new();
    (scan, doc)
}

/// Analyses a page. `content_language` is the response's Content-Language header;
/// `site_selectors` say where this site keeps its main content, when configured. CPU work:
/// call it from `spawn_blocking`.
pub fn analyse(
    html: &str,
    base: &Url,
    content_language: Option<&str>,
    site_selectors: &[Selector],
) -> PageAnalysis {
    // Configured selectors may point into what would be furniture: keep it for them.
    let (scan, doc) = prepare(html, base, !site_selectors.is_empty());
    let scan::Scan {
        mut facts,
        metadata,
        markup,
        ..
    } = scan;
    page::add_text(&mut facts, &doc);
    let content = main_content::extract(
        html,
        &doc,
        site_selectors,
        markup.noscript.as_deref(),
        main_content::Declared::of(&metadata),
    );
    let faq = category::faq_pairs(&doc, &metadata);
    let headings: Vec<String> = content.outline.iter().map(|h| h.text.clone()).collect();
    let category = category::categorise(&category::Input {
        url: base,
        title: facts.title.as_deref(),
        headings: &headings,
        metadata: &metadata,
        faq_pairs: faq.len(),
        text: &content.text,
    });
    let list_items = content
        .markdown
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            l.starts_with("- ")
                || l.split_once(". ")
                    .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .count();
    let quality = quality::score(&quality::Input {
        title: facts.title.as_deref(),
        text: &content.text,
        headings: content.outline.len(),
        list_items,
        password_field: markup.password_field,
    });
    let declared = facts.language.as_deref().or(content_language);
    let language = language::decide(declared, &content.text);
    let channels = channels::detect(&facts, &markup, base, &metadata);
    let brand = brand::detect(&markup, base, facts.theme_color.as_deref(), &metadata);
    let (content_hash, shingles) = dedup::fingerprint(&content.text);
    PageAnalysis {
        title: facts.title.clone(),
        description: facts.description.clone(),
        canonical: facts.canonical.as_ref().map(|u| u.to_string()),
        language,
        content_hash,
        simhash: dedup::simhash(&shingles),
        shingles,
        emails: facts.emails.clone(),
        phones: facts.phones.clone(),
        content,
        metadata,
        category,
        faq,
        quality,
        channels,
        brand,
        facts,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    /// Generous for an unoptimised build on a loaded machine; an unguarded parse of the
    /// nested page took minutes. Speed itself is measured by `just bench extract`.
    const NO_STALL: Duration = Duration::from_secs(120);

    fn base() -> Url {
        Url::parse("https://acme.test/").unwrap()
    }

    #[test]
    fn a_five_megabyte_page_is_analysed_whole() {
        let row = "<tr><td>Widget</td><td>In stock</td><td><a href=\"/w\">details</a></td></tr>";
        let html = format!(
            "<html lang=\"en\"><head><title>Catalogue</title></head><body><main>\
             <h1>Catalogue</h1><p>Every widget we make, with its stock.</p>\
             <table>{}</table><p>The end of the catalogue.</p></main></body></html>",
            row.repeat(5 * 1024 * 1024 / row.len())
        );
        assert!(html.len() >= 5 * 1024 * 1024);
        let started = Instant::now();
        let page = analyse(&html, &base(), None, &[]);
        assert!(started.elapsed() < NO_STALL, "{:?}", started.elapsed());
        assert_eq!(page.title.as_deref(), Some("Catalogue"));
        let rows = 5 * 1024 * 1024 / row.len();
        // Every row reaches the text: nothing is cut off for size.
        assert_eq!(page.content.text.matches("In stock").count(), rows);
    }

    #[test]
    fn a_hundred_thousand_nested_elements_are_analysed() {
        let html = format!(
            "<html><head><title>Deep</title></head><body>{}<p>At the bottom of it all.</p>{}</body></html>",
            "<div><span>".repeat(50_000),
            "</span></div>".repeat(50_000)
        );
        let started = Instant::now();
        let page = analyse(&html, &base(), None, &[]);
        assert!(started.elapsed() < NO_STALL, "{:?}", started.elapsed());
        assert_eq!(page.title.as_deref(), Some("Deep"));
        assert_eq!(page.content.text, "At the bottom of it all.");
    }

    #[test]
    fn a_head_that_is_never_closed_ends_at_the_body() {
        let html = "<html><head><title>Reference</title><meta name=description content=Ref>\
                    <body><h1>Functions</h1><p>Every function the library offers, with the \
                    arguments it takes and what it returns.</p></body></html>";
        let page = analyse(html, &base(), None, &[]);
        assert_eq!(page.title.as_deref(), Some("Reference"));
        assert!(
            page.content
                .text
                .contains("Every function the library offers"),
            "{:?}",
            page.content.text
        );
        assert!(!page.content.text.contains("Reference"));
    }

    #[test]
    fn a_boilerplate_class_word_on_the_page_wrapper_keeps_the_page() {
        let article = "<p>Our widgets are made by hand in a small workshop, tested one by one \
                       and shipped within two days of your order, wherever you live.</p>"
            .repeat(6);
        let html = format!(
            "<html><head><title>Widgets</title></head><body>\
             <div class=\"m-advertisement-off-canvas--pusher\">\
             <nav><a href=/>Home</a> <a href=/shop>Shop</a></nav>\
             <h1>How we make widgets</h1>{article}\
             <div class=\"advertisement\">Buy the Widget Pro now</div></div></body></html>"
        );
        let page = analyse(&html, &base(), None, &[]);
        assert!(
            page.content
                .text
                .contains("made by hand in a small workshop"),
            "{:?}",
            page.content.text
        );
        // The small advertisement inside it is still furniture.
        assert!(
            !page.content.text.contains("Widget Pro"),
            "{:?}",
            page.content.text
        );
    }

    #[test]
    fn a_documentation_page_loses_its_navigation_bar_and_permalink_marks() {
        let bar = |class: &str| {
            format!(
                "<div class=\"{class}\"><table><tr><th colspan=5>15.3. Parallel Plans</th></tr>\
                 <tr><td><a href=a.html>Prev</a></td><td><a href=b.html>Up</a></td>\
                 <th>Chapter 15. Parallel Query</th><td><a href=index.html>Home</a></td>\
                 <td><a href=c.html>Next</a></td></tr></table></div>"
            )
        };
        let html = format!(
            "<html><head><title>15.3. Parallel Plans</title></head><body>{}\
             <div class=sect1><h2 id=plans>15.3. Parallel Plans<a class=headerlink href=#plans>¶</a></h2>\
             <p>Because each worker executes the parallel portion of the plan to completion, \
             it is not possible to simply take an ordinary query plan and run it using \
             multiple workers.</p><h2 id=costs>15.3.1. Costs<a class=headerlink href=#costs>¶</a>\
             </h2><p>The planner weighs the cost of starting workers against the rows each \
             of them is expected to read, and only then chooses a parallel plan.</p>\
             </div>{}</body></html>",
            bar("navheader"),
            bar("navfooter")
        );
        let page = analyse(&html, &base(), None, &[]);
        let text = &page.content.text;
        assert!(text.contains("Because each worker executes"), "{text:?}");
        // The headings stay, without their marks.
        assert!(text.contains("15.3.1. Costs\nThe planner"), "{text:?}");
        for chrome in ["Prev", "Next", "Home", "Chapter 15", "¶"] {
            assert!(!text.contains(chrome), "{chrome} in {text:?}");
        }
    }
}
