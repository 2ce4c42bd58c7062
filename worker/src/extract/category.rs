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

/// Words that name a category only with a second sign of it ("15.3. Parallel Plans" is no
/// pricing page, "Open questions" no FAQ): a strong word of the same category in the other
/// of URL and title, or the content (prices, question/answer pairs).
const WEAK: &[&str] = &[
    "plans",
    "price",
    "prices",
    "questions",
    "features",
    "solutions",
    "mission",
    "team",
    "stories",
    "posts",
    "article",
    "articles",
];

/// The category a source names, and whether only by a weak word. A strong word wins over
/// a weak one of a category that comes first.
fn named_by(matches: impl Fn(&str) -> bool) -> Option<(Category, bool)> {
    let mut weak = None;
    for (category, words) in WORDS {
        for word in *words {
            if matches(word) {
                if !WEAK.contains(word) {
                    return Some((*category, false));
                }
                weak.get_or_insert((*category, true));
            }
        }
    }
    weak
}

/// A price in the text: a currency sign next to a digit.
fn has_price(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(['$', '€', '£']).any(|(i, sign)| {
        let after = bytes.get(i + sign.len()).is_some_and(u8::is_ascii_digit);
        let before = i > 0
            && bytes[..i]
                .trim_ascii_end()
                .last()
                .is_some_and(u8::is_ascii_digit);
        after || before
    })
}

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
    let by_url = named_by(|w| segments.contains(&w));
    // The title and the first heading, whole phrases.
    let named = |s: &str| {
        let s = s.to_lowercase();
        named_by(|w| {
            s.split(|c: char| !c.is_alphanumeric() && c != '-')
                .any(|part| part == w)
                || (w.contains(' ') && s.contains(w))
        })
    };
    let title_part = input
        .title
        .map(|t| t.split(['|', '–', '—', ':']).next().unwrap_or(t));
    let by_title = title_part
        .into_iter()
        .chain(input.headings.first().map(String::as_str))
        .find_map(named);
    // A strong word decides, the URL's before the title's.
    for found in [by_url, by_title] {
        if let Some((category, false)) = found {
            return category;
        }
    }
    for (found, other) in [(by_url, by_title), (by_title, by_url)] {
        let Some((category, true)) = found else {
            continue;
        };
        // The URL and the title often repeat one word ("parallel-plans.html", "Parallel
        // Plans"): only a strong word, or the content, seconds a weak one.
        let seconded = other.is_some_and(|(c, weak)| c == category && !weak)
            || match category {
                Category::Pricing => has_price(input.text),
                Category::Faq => input.faq_pairs >= 1,
                _ => false,
            };
        if seconded {
            return category;
        }
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
            // A documentation generator's permalink mark after the question ("…?¶").
            let question = question
                .trim_end_matches(|c: char| {
                    matches!(c, '¶' | '§' | '#' | '🔗') || c.is_whitespace()
                })
                .to_owned();
            if !question.ends_with('?') {
                continue;
            }
            if let Some(answer) = following_prose(heading) {
                pairs.push((question, answer));
            }
        }
    }
    pairs
}

static LINKS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a").expect("static"));

/// The text of the siblings after a heading, up to the next heading, when it is prose: a
/// chapter heading ending in "?" followed by its table of contents answers nothing.
fn following_prose(heading: ElementRef) -> Option<String> {
    let mut parts = Vec::new();
    let mut linked = 0;
    for sibling in heading.next_siblings().filter_map(ElementRef::wrap) {
        if matches!(
            sibling.value().name(),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "dt"
        ) {
            break;
        }
        linked += sibling
            .select(&LINKS)
            .map(|a| squash(a.text()).chars().count())
            .sum::<usize>()
            + if sibling.value().name() == "a" {
                squash(sibling.text()).chars().count()
            } else {
                0
            };
        parts.push(squash(sibling.text()));
    }
    let answer = parts.join(" ").trim().to_owned();
    let chars = answer.chars().count();
    (chars > 0 && linked * 2 < chars).then_some(answer)
}

fn squash<'a>(text: impl Iterator<Item = &'a str>) -> String {
    super::whitespace::squash(&text.collect::<String>())
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

    #[test]
    fn one_weak_word_is_not_a_category() {
        // A documentation chapter about query plans is no pricing page.
        let chapter = "<title>15.3. Parallel Plans</title><h1>15.3. Parallel Plans</h1>\
                       <p>The planner may choose a parallel plan for a query.</p>";
        assert_eq!(category_of("https://a.test/x", chapter), Category::Other);
        assert_eq!(
            category_of("https://a.test/docs/15/parallel-plans.html", chapter),
            Category::Help
        );
        // Seconded by prices, or by the other of URL and title, it is.
        assert_eq!(
            category_of(
                "https://a.test/x",
                "<title>Plans</title><p>Basic $9 a month.</p>"
            ),
            Category::Pricing
        );
        // The URL repeating the title's weak word is no second sign.
        assert_eq!(
            category_of(
                "https://a.test/parallel-plans.html",
                "<title>15.3. Parallel Plans</title><p>x</p>"
            ),
            Category::Other
        );
        assert_eq!(
            category_of(
                "https://a.test/plans",
                "<title>Our plans</title><p>Pro: €29 a month.</p>"
            ),
            Category::Pricing
        );
        assert_eq!(
            category_of("https://a.test/x", "<title>Plans and pricing</title>"),
            Category::Pricing
        );
    }

    #[test]
    fn a_question_heading_over_a_table_of_contents_is_no_faq() {
        let doc = Html::parse_document(
            "<h2>What is parallel query?</h2><ul><li><a href=a>15.1. How It Works</a></li>\
             <li><a href=b>15.2. When Can It Be Used?</a></li><li><a href=c>15.3. Plans</a></li>\
             </ul><h2>Next</h2>",
        );
        assert!(faq_pairs(&doc, &Metadata::default()).is_empty());
    }

    #[test]
    fn question_sections_with_permalink_marks_are_faq_pairs() {
        let url = Url::parse("https://docs.a.test/faq.html").unwrap();
        let (scan, doc) = crate::extract::prepare(
            "<main><section id=cancel><h2>Can I cancel at any time?<a class=headerlink \
             href=#cancel title='Permalink to this heading'>¶</a></h2><p>Yes, from your \
             account page, and nothing more is charged.</p></section>\
             <section id=export><h3>How do I export my data?<a class=headerlink \
             href=#export>¶</a></h3><p>Use the export button in the settings.</p></section></main>",
            &url,
            false,
        );
        assert_eq!(
            faq_pairs(&doc, &scan.metadata),
            [
                (
                    "Can I cancel at any time?".to_string(),
                    "Yes, from your account page, and nothing more is charged.".to_string()
                ),
                (
                    "How do I export my data?".to_string(),
                    "Use the export button in the settings.".to_string()
                )
            ]
        );
    }
}
