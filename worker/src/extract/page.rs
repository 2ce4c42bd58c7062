//! The facts of a page the crawler and the pipeline use: title, meta description,
//! language, canonical, links, theme colour, icons, mailto and tel addresses (collected by
//! the streaming pass, `scan`) and the visible text with its hash (from the DOM it leaves).

use scraper::{ElementRef, Html, Node, Selector};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use url::Url;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageFacts {
    pub title: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub canonical: Option<Url>,
    pub text: String,
    pub word_count: usize,
    /// Hex SHA-256 of the whitespace-normalised text.
    pub content_hash: String,
    pub links: Vec<Link>,
    pub theme_color: Option<String>,
    pub icons: Vec<Url>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub url: Url,
    pub text: String,
}

static BODY: LazyLock<Selector> = LazyLock::new(|| Selector::parse("body").expect("static"));

/// Reads a page: the streaming pass, then the visible text of what it left. CPU work: call
/// it from `spawn_blocking`.
pub fn parse(html: &str, base: &Url) -> PageFacts {
    let (scan, doc) = super::prepare(html, base, false);
    let mut facts = scan.facts;
    add_text(&mut facts, &doc);
    facts
}

/// Fills the text measures of facts the streaming pass collected, from the page it left.
pub fn add_text(facts: &mut PageFacts, doc: &Html) {
    facts.text.clear();
    facts.word_count = 0;
    if let Some(body) = doc.select(&BODY).next() {
        facts.word_count = visible_text(body, &mut facts.text);
    }
    facts.content_hash = hex(&Sha256::digest(facts.text.to_lowercase().as_bytes()));
}

/// Collects the words of the text outside invisible elements, one space between them (text
/// nodes apart are words apart); gives their number. Iterative, so a deeply nested page
/// cannot exhaust the stack.
fn visible_text(root: ElementRef<'_>, out: &mut String) -> usize {
    let mut words = 0;
    let mut stack = vec![*root];
    while let Some(node) = stack.pop() {
        match node.value() {
            Node::Text(t) => {
                for word in t.split_whitespace() {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(word);
                    words += 1;
                }
            }
            Node::Element(el) if super::clean::never_text(el) => {}
            _ => stack.extend(node.children().rev()),
        }
    }
    words
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r##"<!doctype html><html lang="en-GB"><head>
        <title> Acme  Help </title>
        <meta name="description" content="How to use Acme.">
        <meta name="theme-color" content="#FB8537">
        <link rel="icon" href="/favicon.ico"><link rel="canonical" href="https://acme.test/help">
        <style>.x{color:red}</style><script>var hidden = 1;</script></head>
        <body><h1>Help centre</h1><p>Ask us anything.</p>
        <a href="/faq#top">FAQ</a> <a href="https://other.test/x">Other</a>
        <a href="mailto:Support@Acme.test?subject=hi">Mail</a> <a href="tel:+1 (555) 010-0000">Call</a>
        <noscript>enable js</noscript></body></html>"##;

    #[test]
    fn collects_metadata_text_and_links() {
        let base = Url::parse("https://acme.test/help").unwrap();
        let facts = parse(PAGE, &base);
        assert_eq!(facts.title.as_deref(), Some("Acme Help"));
        assert_eq!(facts.description.as_deref(), Some("How to use Acme."));
        assert_eq!(facts.language.as_deref(), Some("en-gb"));
        assert_eq!(facts.theme_color.as_deref(), Some("#FB8537"));
        assert_eq!(facts.icons[0].as_str(), "https://acme.test/favicon.ico");
        assert_eq!(
            facts.canonical.as_ref().unwrap().as_str(),
            "https://acme.test/help"
        );
        assert!(facts.text.contains("Help centre Ask us anything."));
        assert!(!facts.text.contains("hidden"));
        assert!(!facts.text.contains("enable js"));
        let links: Vec<_> = facts.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(links, ["https://acme.test/faq", "https://other.test/x"]);
        assert_eq!(facts.emails, ["support@acme.test"]);
        assert_eq!(facts.phones, ["+15550100000"]);
        assert_eq!(facts.content_hash.len(), 64);
    }

    #[test]
    fn nested_text_is_collected_without_recursion() {
        // Deep enough to overflow a recursive walk (the nesting guard lets 256 levels through).
        let html = format!(
            "<body>{}deep{}</body>",
            "<div>".repeat(3_000),
            "</div>".repeat(3_000)
        );
        let facts = parse(&html, &Url::parse("http://a.test/").unwrap());
        assert_eq!(facts.text, "deep");
    }
}
