//! One DOM pass over a page for what the pipeline needs now: title, meta description,
//! language, visible text, same-document links, and the brand and contact hints of the
//! home page (theme colour, icons, mailto and tel links).

use scraper::{ElementRef, Html, Node, Selector};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use url::Url;

/// Elements whose text is never visible content.
const INVISIBLE: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "iframe", "head",
];

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

macro_rules! selector {
    ($name:ident, $css:expr) => {
        static $name: LazyLock<Selector> = LazyLock::new(|| Selector::parse($css).expect($css));
    };
}

selector!(TITLE, "title");
selector!(META, "meta[name], meta[property], meta[http-equiv]");
selector!(HTML, "html");
selector!(BODY, "body");
selector!(ANCHOR, "a[href]");
selector!(LINK_REL, "link[rel][href]");

/// Parses a page. CPU work: call it from `spawn_blocking`.
pub fn parse(html: &str, base: &Url) -> PageFacts {
    facts(&super::parse_document(html), base)
}

/// The facts of a parsed page.
pub fn facts(doc: &Html, base: &Url) -> PageFacts {
    let mut facts = PageFacts {
        title: doc
            .select(&TITLE)
            .next()
            .map(|t| squash(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty()),
        language: doc
            .select(&HTML)
            .next()
            .and_then(|h| h.value().attr("lang"))
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty()),
        ..PageFacts::default()
    };

    for meta in doc.select(&META) {
        let el = meta.value();
        let key = el
            .attr("name")
            .or(el.attr("property"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let content = el.attr("content").map(squash).filter(|c| !c.is_empty());
        match (key.as_str(), content) {
            ("description", Some(c)) => facts.description = Some(c),
            ("og:description", Some(c)) if facts.description.is_none() => {
                facts.description = Some(c)
            }
            ("theme-color", Some(c)) => facts.theme_color = Some(c),
            _ => {}
        }
    }

    for link in doc.select(&LINK_REL) {
        let rel = link
            .value()
            .attr("rel")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(href) = link
            .value()
            .attr("href")
            .and_then(|h| base.join(h.trim()).ok())
        else {
            continue;
        };
        if rel.split_whitespace().any(|r| r == "canonical") {
            facts.canonical = Some(href);
        } else if rel
            .split_whitespace()
            .any(|r| r == "icon" || r == "apple-touch-icon")
        {
            facts.icons.push(href);
        }
    }

    for anchor in doc.select(&ANCHOR) {
        let href = anchor.value().attr("href").unwrap_or_default().trim();
        if let Some(addr) = strip_prefix_ci(href, "mailto:") {
            let addr = addr
                .split('?')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if addr.contains('@') && !facts.emails.contains(&addr) {
                facts.emails.push(addr);
            }
            continue;
        }
        if let Some(number) = strip_prefix_ci(href, "tel:") {
            let number: String = number
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect();
            if number.len() >= 5 && !facts.phones.contains(&number) {
                facts.phones.push(number);
            }
            continue;
        }
        if let Ok(mut url) = base.join(href)
            && matches!(url.scheme(), "http" | "https")
        {
            url.set_fragment(None);
            facts.links.push(Link {
                url,
                text: squash(&anchor.text().collect::<String>()),
            });
        }
    }

    if let Some(body) = doc.select(&BODY).next() {
        let mut text = String::new();
        visible_text(body, &mut text);
        facts.text = squash(&text);
    }
    facts.word_count = facts.text.split_whitespace().count();
    facts.content_hash = hex(&Sha256::digest(facts.text.to_lowercase().as_bytes()));
    facts
}

/// Collects text outside invisible elements, separating blocks by spaces. Iterative, so a
/// deeply nested page cannot exhaust the stack.
fn visible_text(root: ElementRef<'_>, out: &mut String) {
    let mut stack = vec![*root];
    while let Some(node) = stack.pop() {
        match node.value() {
            Node::Text(t) => {
                out.push_str(t);
                out.push(' ');
            }
            Node::Element(el) if INVISIBLE.contains(&el.name()) => {}
            _ => {
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev());
            }
        }
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
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
