//! What kind of page this is (faq, help, pricing, contact, about, blog, legal, product,
//! careers, other), from JSON-LD, the URL, the title and headings, and the content; and
//! the question/answer pairs of FAQ pages.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use serde::Serialize;
use url::Url;

use super::metadata::Metadata;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Faq,
    Help,
    Pricing,
    Contact,
    About,
    Blog,
    Legal,
    Product,
    Careers,
    Other,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Faq => "faq",
            Category::Help => "help",
            Category::Pricing => "pricing",
            Category::Contact => "contact",
            Category::About => "about",
            Category::Blog => "blog",
            Category::Legal => "legal",
            Category::Product => "product",
            Category::Careers => "careers",
            Category::Other => "other",
        }
    }
}

/// Words of URL path segments and of titles/headings, per category, in order of precedence.
const WORDS: &[(Category, &[&str])] = &[
    (
        Category::Faq,
        &["faq", "faqs", "frequently asked questions", "questions"],
    ),
    (
        Category::Pricing,
        &["pricing", "plans", "prices", "price", "tarifs"],
    ),
    (
        Category::Contact,
        &["contact", "contact us", "get in touch"],
    ),
    (
        Category::Help,
        &[
            "help",
            "support",
            "docs",
            "documentation",
            "kb",
            "knowledge",
            "guide",
            "guides",
            "manual",
            "tutorial",
            "tutorials",
            "howto",
            "how-to",
            "help center",
            "help centre",
        ],
    ),
    (
        Category::Legal,
        &[
            "privacy",
            "terms",
            "legal",
            "cookie",
            "cookies",
            "gdpr",
            "imprint",
            "impressum",
            "tos",
            "privacy policy",
            "terms of service",
            "terms and conditions",
            "disclaimer",
        ],
    ),
    (
        Category::Careers,
        &[
            "careers",
            "jobs",
            "career",
            "join us",
            "work with us",
            "hiring",
            "vacancies",
        ],
    ),
    (
        Category::About,
        &[
            "about",
            "about us",
            "team",
            "company",
            "our story",
            "who we are",
            "mission",
        ],
    ),
    (
        Category::Blog,
        &[
            "blog", "news", "article", "articles", "posts", "stories", "press",
        ],
    ),
    (
        Category::Product,
        &[
            "product",
            "products",
            "features",
            "shop",
            "store",
            "solutions",
        ],
    ),
];

/// What the category is decided from.
pub struct Input<'a> {
    pub url: &'a Url,
    pub title: Option<&'a str>,
    pub headings: &'a [String],
    pub metadata: &'a Metadata,
    pub faq_pairs: usize,
    pub text: &'a str,
}

pub fn categorise(input: &Input) -> Category {
    // Structured data says it outright.
    let types: Vec<&str> = input
        .metadata
        .json_ld
        .iter()
        .flat_map(super::metadata::types)
        .collect();
    for (ty, category) in [
        ("FAQPage", Category::Faq),
        ("ContactPage", Category::Contact),
        ("AboutPage", Category::About),
        ("JobPosting", Category::Careers),
        ("Product", Category::Product),
        ("BlogPosting", Category::Blog),
        ("NewsArticle", Category::Blog),
        ("TechArticle", Category::Help),
    ] {
        if types.contains(&ty) {
            return category;
        }
    }
    // The URL path, one segment word at a time ("/help/billing" → help).
    let path = input.url.path().to_ascii_lowercase();
    let segments: Vec<&str> = path
        .split(['/', '-', '_', '.'])
        .filter(|s| !s.is_empty())
        .collect();
    let help_host = input
        .url
        .host_str()
        .and_then(|h| h.split('.').next())
        .is_some_and(|h| matches!(h, "help" | "support" | "docs" | "kb"));
    if let Some(category) = WORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| segments.contains(w)))
        .map(|(c, _)| *c)
    {
        return category;
    }
    // The title and the first heading, whole phrases.
    let named = |s: &str| {
        let s = s.to_lowercase();
        WORDS
            .iter()
            .find(|(_, words)| {
                words.iter().any(|w| {
                    s.split(|c: char| !c.is_alphanumeric() && c != '-')
                        .any(|part| part == *w)
                        || (w.contains(' ') && s.contains(w))
                })
            })
            .map(|(c, _)| *c)
    };
    let title_part = input
        .title
        .map(|t| t.split(['|', '–', '—', ':']).next().unwrap_or(t));
    if let Some(category) = title_part
        .into_iter()
        .chain(input.headings.first().map(String::as_str))
        .find_map(named)
    {
        return category;
    }
    if help_host {
        return Category::Help;
    }
    // The content: many questions answered, or prices.
    if input.faq_pairs >= 3 {
        return Category::Faq;
    }
    let prices = input
        .text
        .matches(['$', '€', '£'])
        .count()
        .min(input.text.matches("/mo").count() + input.text.matches("month").count());
    if prices >= 2 {
        return Category::Pricing;
    }
    Category::Other
}

static DETAILS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("details").expect("static"));
static SUMMARY: LazyLock<Selector> = LazyLock::new(|| Selector::parse("summary").expect("static"));
static HEADINGS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("h2, h3, h4, dt").expect("static"));

/// Question/answer pairs: FAQPage JSON-LD first, then details/summary, then a heading that
/// asks a question followed by the text up to the next heading.
pub fn faq_pairs(doc: &Html, metadata: &Metadata) -> Vec<(String, String)> {
    let mut pairs = metadata.faq();
    if pairs.is_empty() {
        for details in doc.select(&DETAILS) {
            let Some(summary) = details.select(&SUMMARY).next() else {
                continue;
            };
            let question = squash(summary.text());
            let all = squash(details.text());
            let answer = all
                .strip_prefix(&question)
                .unwrap_or(&all)
                .trim()
                .to_owned();
            if !question.is_empty() && !answer.is_empty() {
                pairs.push((question, answer));
            }
        }
    }
    if pairs.is_empty() {
        for heading in doc.select(&HEADINGS) {
            let question = squash(heading.text());
            if !question.ends_with('?') {
                continue;
            }
            let answer = following_text(heading);
            if !answer.is_empty() {
                pairs.push((question, answer));
            }
        }
    }
    pairs
}

/// The text of the siblings after a heading, up to the next heading.
fn following_text(heading: ElementRef) -> String {
    let mut parts = Vec::new();
    for sibling in heading.next_siblings().filter_map(ElementRef::wrap) {
        if matches!(
            sibling.value().name(),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "dt"
        ) {
            break;
        }
        parts.push(squash(sibling.text()));
    }
    parts.join(" ").trim().to_owned()
}

fn squash<'a>(text: impl Iterator<Item = &'a str>) -> String {
    text.collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category_of(url: &str, html: &str) -> Category {
        let url = Url::parse(url).unwrap();
        let (scan, doc) = crate::extract::prepare(html, &url, false);
        let meta = scan.metadata;
        let faq = faq_pairs(&doc, &meta);
        let title = scan.facts.title;
        let headings: Vec<String> = doc
            .select(&Selector::parse("h1").unwrap())
            .map(|h| h.text().collect())
            .collect();
        let text: String = doc.root_element().text().collect();
        categorise(&Input {
            url: &url,
            title: title.as_deref(),
            headings: &headings,
            metadata: &meta,
            faq_pairs: faq.len(),
            text: &text,
        })
    }

    #[test]
    fn each_category_from_url_title_heading_json_ld_or_content() {
        let cases = [
            ("https://a.test/faq", "<p>x</p>", Category::Faq),
            (
                "https://a.test/x",
                r#"<script type="application/ld+json">{"@type":"FAQPage","mainEntity":[]}</script>"#,
                Category::Faq,
            ),
            (
                "https://a.test/x",
                "<details><summary>Q1?</summary>A1</details><details><summary>Q2?</summary>A2</details><details><summary>Q3?</summary>A3</details>",
                Category::Faq,
            ),
            ("https://a.test/help/billing", "<p>x</p>", Category::Help),
            ("https://support.a.test/x", "<p>x</p>", Category::Help),
            (
                "https://a.test/x",
                "<title>Pricing | Acme</title>",
                Category::Pricing,
            ),
            (
                "https://a.test/x",
                "<p>Basic $9 per month. Pro $29 per month.</p>",
                Category::Pricing,
            ),
            ("https://a.test/contact-us", "<p>x</p>", Category::Contact),
            ("https://a.test/company", "<p>x</p>", Category::About),
            ("https://a.test/x", "<h1>About us</h1>", Category::About),
            (
                "https://a.test/blog/2026/launch",
                "<p>x</p>",
                Category::Blog,
            ),
            ("https://a.test/privacy-policy", "<p>x</p>", Category::Legal),
            (
                "https://a.test/x",
                "<title>Terms of Service</title>",
                Category::Legal,
            ),
            (
                "https://a.test/products/widget",
                "<p>x</p>",
                Category::Product,
            ),
            ("https://a.test/careers", "<p>x</p>", Category::Careers),
            ("https://a.test/", "<h1>Welcome</h1>", Category::Other),
        ];
        for (url, html, expected) in cases {
            assert_eq!(category_of(url, html), expected, "{url} {html}");
        }
    }

    #[test]
    fn faq_pairs_from_json_ld_details_and_question_headings() {
        let doc = Html::parse_document(
            "<details><summary>Can I cancel?</summary><p>Yes, any time.</p></details>",
        );
        assert_eq!(
            faq_pairs(&doc, &Metadata::default()),
            [("Can I cancel?".to_string(), "Yes, any time.".to_string())]
        );
        let doc = Html::parse_document(
            "<h2>How do refunds work?</h2><p>Within 30 days.</p><p>In full.</p><h2>Next</h2>",
        );
        assert_eq!(
            faq_pairs(&doc, &Metadata::default()),
            [(
                "How do refunds work?".to_string(),
                "Within 30 days. In full.".to_string()
            )]
        );
    }
}
