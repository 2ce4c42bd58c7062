//! The main content of a page, on the scraper DOM, with a fallback hierarchy: site-specific
//! selectors → semantic containers (main, article, [role=main], content classes) → the
//! element that holds most of the page's non-link text → body. Page furniture (see
//! `clean`) is left out throughout, unless it holds most of the page.

use std::sync::LazyLock;

use ego_tree::{NodeId, NodeRef};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

pub use super::markdown::Heading;
use super::{clean, markdown::Writer, metadata::Metadata, trailers};

/// Where the main content was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    SiteSelector,
    Semantic,
    Density,
    Body,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MainContent {
    pub text: String,
    pub markdown: String,
    pub outline: Vec<Heading>,
    pub word_count: usize,
    pub source: Source,
}

/// Containers that say they hold the content: by name, role, microdata, id or class
/// (`main, article, [role=main], #content, .entry-content, ...`). Checked while measuring,
/// as a selector run over the whole page cost 4% of the analysis. Class and id compare as
/// written, also in quirks mode (where a selector ignores their case): no page of the
/// development split reads differently.
fn semantic(name: &str, marks: &clean::Marks) -> bool {
    matches!(name, "main" | "article")
        || marks.role.as_deref() == Some("main")
        || matches!(
            marks.itemprop.as_deref(),
            Some("articleBody" | "mainContentOfPage" | "text")
        )
        || matches!(
            marks.id.as_deref(),
            Some("content" | "main" | "main-content")
        )
        || marks.class.as_deref().is_some_and(|class| {
            class.split_ascii_whitespace().any(|c| {
                matches!(
                    c,
                    "entry-content"
                        | "post-content"
                        | "article-body"
                        | "article-content"
                        | "articleBody"
                        | "post-body"
                        | "story-body"
                        | "content-body"
                        | "main-content"
                        | "page-content"
                        | "markdown-body"
                        | "post"
                        | "entry"
                )
            })
        })
}
static BODY: LazyLock<Selector> = LazyLock::new(|| Selector::parse("body").expect("static"));
/// Main content does not resolve links: the streaming pass gets a placeholder base.
static NO_BASE: LazyLock<Url> = LazyLock::new(|| Url::parse("about:blank").expect("static"));

/// Content shorter than this (words) is looked for again: in the page's noscript version,
/// then in the page read with its boilerplate elements kept (see `extract`).
const SHORT_WORDS: usize = 20;

/// A child that holds at least this share of its parent's text is where the content is.
const DOMINANT_SHARE: f64 = 0.85;
/// A semantic container must hold at least this share of the page's text to be trusted.
const SEMANTIC_SHARE: f64 = 0.25;
/// Inside the content, a list or block whose text is more links than this is left out
/// (related posts, tag clouds, "read next").
const LINK_BLOCK: f64 = 0.6;
/// Content with less link text than this share is prose, where link blocks are furniture.
const PROSE_LINKS: f64 = 0.25;
/// A semantic container holding this share of the largest one's text is preferred to it.
const SPECIFIC_SHARE: f64 = 0.6;
/// Posts like the chosen one holding this share of its text make the content with it.
const PEERS_SHARE: f64 = 0.5;
/// A page with more of its text in links than this may be a listing...
const LISTING_LINKS: f64 = 0.5;
/// ...when the content found outside links is shorter than this (characters).
const LISTING_MIN_GOOD: usize = 4000;
/// Furniture holding more than this share of the page is content after all...
const FURNITURE_OVERRIDE_SHARE: f64 = 0.5;
/// ...when it holds at least this much text (characters): a few words of furniture are
/// not a page's content because nothing else is there (a script-rendered page's hidden
/// error banner, 22 words, hid its noscript version). Development split, with boilerplate
/// of links never taking over (see `Page::measure`): +0.0033 F1 (5 pages up, none down).
const OVERRIDE_MIN_TEXT: usize = 200;
/// The most nodes an element whose whole text is a stock phrase is made of.
const MAX_STOCK_NODES: usize = 16;
/// Comments are left out when the page has at least this much text of its own beside them
/// (characters): an article's comment thread, not a forum thread or a link aggregator's
/// discussion, where the comments are the page. Measured on the development split: 2,000
/// +0.0042 F1 (31 pages up, 8 down); 500 and 1,000 +0.0039; 4,000 +0.0027.
const COMMENTS_OWN_TEXT: usize = 2000;

/// Furniture holding this share of its article or main element's text is content, when
/// that element has at least `LANDMARK_MIN_TEXT` characters.
const LANDMARK_SHARE: f64 = 0.5;
const LANDMARK_MIN_TEXT: usize = 1000;
/// A header holding at least this share of its parent's text is the parent's content.
const HEADER_SHARE: f64 = 0.5;

/// What a page declares about itself (its metadata), which changes what some class words
/// mark: customer reviews are furniture on a product page, comments are content on a
/// discussion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Declared {
    pub product: bool,
    pub discussion: bool,
}

impl Declared {
    pub fn of(metadata: &Metadata) -> Self {
        Declared {
            product: metadata.declares_product(),
            discussion: metadata.declares_discussion(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Measure {
    /// Non-whitespace characters of text.
    text: usize,
    /// Of which inside links.
    link: usize,
    /// The subtree holds a main, article or role=main element.
    landmark: bool,
}

impl Measure {
    fn good(&self) -> usize {
        self.text - self.link
    }
}

struct Page<'a> {
    measures: HashMap<NodeId, Measure>,
    excluded: HashSet<NodeId>,
    /// Text that counts where it stands but is not written (see `Stock::StoreAction`).
    unwritten: HashSet<NodeId>,
    /// The semantic containers outside furniture, in document order.
    semantic: Vec<NodeId>,
    doc: &'a Html,
    /// Most of the page's text is in links.
    linky_body: bool,
    /// Blocks are weighed by all their text, not only what is outside links (a listing,
    /// whose items are links).
    listing: bool,
}

/// Reads a page (the streaming pass, then the DOM) and extracts its main content.
pub fn from_html(html: &str, site_selectors: &[Selector]) -> MainContent {
    let (scan, doc) = super::prepare(html, &NO_BASE, !site_selectors.is_empty());
    extract(
        html,
        &doc,
        site_selectors,
        scan.markup.noscript.as_deref(),
        Declared::of(&scan.metadata),
    )
}

/// Extracts the main content of `html`, which the streaming pass has stripped into `doc`.
/// `site_selectors` are tried first (from config, per domain); `noscript` is the page's
/// largest noscript markup (see `scan`); `declared` what the page's metadata says it is.
/// CPU work: call it from `spawn_blocking`.
pub fn extract(
    html: &str,
    doc: &Html,
    site_selectors: &[Selector],
    noscript: Option<&str>,
    declared: Declared,
) -> MainContent {
    let mut content = extract_from(doc, site_selectors, declared);
    if content.word_count >= SHORT_WORDS {
        return content;
    }
    // Pages rendered by script (Discourse, say) keep their readable version in a noscript
    // element.
    if let Some(inner) = noscript {
        let (_, alternative) = super::prepare(inner, &NO_BASE, !site_selectors.is_empty());
        let alternative = extract_from(&alternative, site_selectors, declared);
        if alternative.word_count > content.word_count {
            content = alternative;
        }
    }
    // An aside, nav or footer that is never closed holds the rest of the page (in a
    // browser's tree too), and the streaming pass removes it whole: read the page again
    // with them kept, for the DOM stage to weigh (it keeps one that holds the page's main
    // element or most of its text). Site selectors had them kept already.
    if content.word_count < SHORT_WORDS && site_selectors.is_empty() {
        let (_, whole) = super::prepare(html, &NO_BASE, true);
        let again = extract_from(&whole, site_selectors, declared);
        if again.word_count > content.word_count {
            content = again;
        }
    }
    content
}

fn extract_from(doc: &Html, site_selectors: &[Selector], declared: Declared) -> MainContent {
    // The operator's word beats every heuristic: the first selector matching an element
    // with text gives the content, even inside what would count as furniture.
    let configured = site_selectors.iter().find_map(|s| {
        doc.select(s)
            .find(|e| e.text().any(|t| !t.trim().is_empty()))
    });
    if let Some(root) = configured {
        let mut writer = Writer::default();
        writer.element(root, &|n| {
            n.value().as_element().is_some_and(clean::never_text)
        });
        return finish(writer, Source::SiteSelector);
    }

    let body = doc
        .select(&BODY)
        .next()
        .unwrap_or_else(|| doc.root_element());
    let mut page = Page::measure(doc, body, declared);
    let (mut root, mut source) = page.choose(body);
    // A listing's items are links: when weighing text outside links finds little, weigh
    // all of it (the item grid rather than the one paragraph beside it).
    if page.linky_body && page.good(root.id()) < LISTING_MIN_GOOD {
        page.listing = true;
        (root, source) = page.choose(body);
    }

    let mut writer = Writer::default();
    page.write(root, &mut writer);
    finish(writer, source)
}

fn finish(writer: Writer, source: Source) -> MainContent {
    let (text, markdown, outline) = writer.finish();
    let word_count = text.split_whitespace().count();
    MainContent {
        text,
        markdown,
        outline,
        word_count,
        source,
    }
}

impl<'a> Page<'a> {
    fn measure(doc: &'a Html, body: ElementRef<'a>, declared: Declared) -> Self {
        let mut raw = HashMap::default();
        // Elements marked as comments, found while measuring (most elements say nothing
        // of comments: the words are only split when the markup names them).
        let mut marked = HashSet::default();
        let body_total = measure_node(*body, false, &mut raw, &mut |node| {
            let Some(el) = node.value().as_element() else {
                return false;
            };
            if clean::never_text(el) {
                return true;
            }
            if !declared.discussion && node.id() != body.id() && names_comments(el) {
                marked.insert(node.id());
            }
            false
        });
        let comments = comments_aside(doc, marked, &raw, body_total.text);
        // Furniture is left out unless it holds most of the page (a site that marks its
        // whole content area "widget", say).
        let limit = (FURNITURE_OVERRIDE_SHARE * body_total.text as f64) as usize;
        let labelled = trailers::find(
            *body,
            |id| raw.get(&id).map_or((0, 0), |m: &Measure| (m.text, m.link)),
            limit,
        );
        let mut excluded = HashSet::default();
        let mut unwritten = HashSet::default();
        let mut semantic = Vec::new();
        let mut measures = HashMap::default();
        measure_node(*body, false, &mut measures, &mut |node| {
            let Some(el) = node.value().as_element() else {
                return false;
            };
            let m = raw.get(&node.id()).copied().unwrap_or_default();
            let marks = clean::Marks::of(el);
            let mut kind = clean::classify_marks(el.name(), &marks);
            if kind == clean::Kind::Furniture
                && el.name() == "header"
                && holds_its_container(node, m, &raw)
            {
                kind = clean::Kind::Content;
            }
            if matches!(kind, clean::Kind::Furniture | clean::Kind::FurnitureIfLinks)
                && !clean::named(el.name())
                && holds_its_landmark(node, m, &raw)
            {
                kind = clean::Kind::Content;
            }
            if kind == clean::Kind::Content
                && (comments.contains(&node.id())
                    || declared.product && clean::has_word(&marks, clean::product_word)
                    || declared.discussion && quotes_a_post(node))
            {
                kind = clean::Kind::Furniture;
            }
            if m.text <= clean::MAX_STOCK_PHRASE {
                match says_only(node, el) {
                    Some(Stock::Placeholder) => kind = clean::Kind::Never,
                    // Weighed with its item (a listing's grid is told by its links),
                    // but not written.
                    Some(Stock::StoreAction) => {
                        unwritten.insert(node.id());
                    }
                    None => {}
                }
            }
            // Furniture that holds most of the page takes it over, unless it is a footer
            // or menu of links: a page rendered by script may hold nothing else, and its
            // footer is not what it is about.
            let linky = m.link as f64 > clean::LINKY * m.text as f64;
            let takes_over = m.text > limit && m.text >= OVERRIDE_MIN_TEXT;
            let furniture = kind == clean::Kind::Never
                || labelled.contains(&node.id())
                || !m.landmark
                    && match kind {
                        clean::Kind::Content | clean::Kind::Never => false,
                        clean::Kind::Boilerplate => !takes_over || linky,
                        clean::Kind::Furniture => !takes_over,
                        clean::Kind::FurnitureIfLinks => !takes_over && linky,
                    };
            if furniture {
                excluded.insert(node.id());
            } else if self::semantic(el.name(), &marks) {
                semantic.push(node.id());
            }
            furniture
        });
        let linky_body = measures
            .get(&body.id())
            .is_some_and(|m| m.link as f64 > LISTING_LINKS * m.text as f64);
        Page {
            measures,
            excluded,
            unwritten,
            semantic,
            doc,
            linky_body,
            listing: false,
        }
    }

    /// The content's root: the most specific semantic container holding most of the text,
    /// else the block holding most of the text.
    fn choose(&self, body: ElementRef<'a>) -> (ElementRef<'a>, Source) {
        let total = self.good(body.id()).max(1);
        let semantic = || {
            let candidates: Vec<_> = self
                .semantic
                .iter()
                .filter_map(|&id| self.doc.tree.get(id).and_then(ElementRef::wrap))
                .collect();
            let best = candidates.iter().map(|e| self.good(e.id())).max()?;
            if (best as f64) < SEMANTIC_SHARE * total as f64 {
                return None;
            }
            // The most specific container that still holds most of the best one's text:
            // the article body rather than the main column around it and its comments.
            let chosen = candidates
                .iter()
                .filter(|e| self.good(e.id()) as f64 >= SPECIFIC_SHARE * best as f64)
                .min_by_key(|e| self.good(e.id()))?;
            let root = self
                .with_peers(*chosen, &candidates, body)
                .unwrap_or(*chosen);
            Some((self.descend(root), Source::Semantic))
        };
        semantic().unwrap_or_else(|| {
            let chosen = self.descend(body);
            let source = if chosen.id() == body.id() {
                Source::Body
            } else {
                Source::Density
            };
            (chosen, source)
        })
    }

    /// A post among posts (a forum thread's replies, a list of entries): the candidates
    /// made like the chosen one (same name and class) beside it are content with it when
    /// together they hold at least `PEERS_SHARE` of its text. Gives their closest common
    /// container, unless that is the whole body.
    fn with_peers(
        &self,
        chosen: ElementRef<'a>,
        candidates: &[ElementRef<'a>],
        body: ElementRef<'a>,
    ) -> Option<ElementRef<'a>> {
        let (name, class) = (chosen.value().name(), chosen.value().attr("class"));
        // The chosen one's ancestors, nearest first, by their distance from it.
        let lineage: HashMap<NodeId, usize> = chosen
            .ancestors()
            .enumerate()
            .map(|(i, a)| (a.id(), i))
            .collect();
        let (mut top, mut peers, mut text) = (0, 0, 0);
        for peer in candidates {
            if peer.id() == chosen.id()
                || peer.value().name() != name
                || peer.value().attr("class") != class
                || lineage.contains_key(&peer.id())
                || peer.ancestors().any(|a| a.id() == chosen.id())
            {
                continue;
            }
            let Some(meet) = peer.ancestors().find_map(|a| lineage.get(&a.id()).copied()) else {
                continue;
            };
            top = top.max(meet);
            peers += 1;
            text += self.good(peer.id());
        }
        if peers == 0
            || (text as f64) < PEERS_SHARE * self.good(chosen.id()) as f64
            || lineage.get(&body.id()).is_some_and(|&b| top >= b)
        {
            return None;
        }
        chosen.ancestors().nth(top).and_then(ElementRef::wrap)
    }

    fn good(&self, id: NodeId) -> usize {
        self.measures
            .get(&id)
            .map_or(0, |m| if self.listing { m.text } else { m.good() })
    }

    /// Walks down while one child holds nearly all of the text.
    fn descend(&self, mut node: ElementRef<'a>) -> ElementRef<'a> {
        loop {
            let total = self.good(node.id());
            if total == 0 {
                return node;
            }
            let dominant = node.children().filter_map(ElementRef::wrap).find(|child| {
                !self.excluded.contains(&child.id())
                    && self.good(child.id()) as f64 >= DOMINANT_SHARE * total as f64
            });
            match dominant {
                Some(child) => node = child,
                None => return node,
            }
        }
    }

    fn write(&self, node: ElementRef<'a>, out: &mut Writer) {
        let _ = self.doc;
        // A page whose content is mostly links (a listing) keeps its link blocks.
        let prose = self
            .measures
            .get(&node.id())
            .is_some_and(|m| (m.link as f64) < PROSE_LINKS * m.text as f64);
        out.element(node, &|n| {
            self.excluded.contains(&n.id())
                || self.unwritten.contains(&n.id())
                || (prose
                    && n.id() != node.id()
                    && n.value().as_element().is_some_and(|e| {
                        matches!(e.name(), "ul" | "ol" | "div" | "section" | "table" | "dl")
                    })
                    && self
                        .measures
                        .get(&n.id())
                        .is_some_and(|m| m.text > 0 && m.link as f64 > LINK_BLOCK * m.text as f64))
        });
    }
}

/// A quote that names whom it quotes ("Jo said:", "On 3 May, Jo wrote:"): on a
/// discussion, it repeats another post. Development split, declared discussions: forum
/// +0.0094 F1 (14 pages up, 7 down); every blockquote there instead: +0.0089 (16 up, 9 down,
/// quotes of other sources lost); on every page: articles -0.001.
fn quotes_a_post(node: NodeRef<Node>) -> bool {
    node.value()
        .as_element()
        .is_some_and(|e| e.name() == "blockquote")
        && node
            .descendants()
            .find_map(|d| {
                d.value()
                    .as_text()
                    .map(|t| t.trim())
                    .filter(|t| !t.is_empty())
            })
            .is_some_and(|first| first.ends_with(':'))
}

/// A header that holds most of its container's text is that container's content, not
/// the page's banner: a landing page's hero section, a teaser whose whole entry is its
/// header (`article > header > h2 + p`). Unless it is mostly links, as a product tile's
/// header inside the tile's link is (an article's own header counts either way).
/// Development split: +0.0007 F1 (11 pages up, 7 down; service +0.0047, collection
/// +0.0036).
fn holds_its_container(node: NodeRef<Node>, m: Measure, raw: &HashMap<NodeId, Measure>) -> bool {
    let Some(parent) = node.parent() else {
        return false;
    };
    let most = raw
        .get(&parent.id())
        .is_some_and(|p| m.text as f64 >= HEADER_SHARE * p.text as f64);
    let in_article = parent
        .value()
        .as_element()
        .is_some_and(|e| e.name() == "article");
    most && (in_article || (m.link as f64) < clean::LINKY * m.text as f64)
}

/// Furniture by its class words that holds most of the text of the page's article or
/// main element around it is that element's content: a theme's `div.sidebar-layout`
/// around an article body (the whole article was left out). The landmark must hold real
/// text: in a forum post, the signature can be most of a one-line reply. Development split:
/// +0.0014 F1 (3 pages up, 0 down); without the minimum, +0.0015 but a forum thread lost
/// its first post to a signature (-0.31).
fn holds_its_landmark(node: NodeRef<Node>, m: Measure, raw: &HashMap<NodeId, Measure>) -> bool {
    let landmark = node
        .ancestors()
        .find(|a| a.value().as_element().is_some_and(is_landmark));
    landmark.and_then(|l| raw.get(&l.id())).is_some_and(|l| {
        l.text >= LANDMARK_MIN_TEXT && m.text as f64 >= LANDMARK_SHARE * l.text as f64
    })
}

/// The page's article or main element (`main`, `article`, `[role=main]`).
fn is_landmark(el: &scraper::node::Element) -> bool {
    matches!(el.name(), "main" | "article") || clean::attr(el, "role") == Some("main")
}

/// A stock phrase that is an element's whole text.
enum Stock {
    /// A link's call to action ("Learn more", "Read more →"), an ad's label, a loading
    /// placeholder: never content.
    Placeholder,
    /// A store's action on an item ("Add to cart", "View details").
    StoreAction,
}

/// Which stock phrase, if any, is an element's whole text.
fn says_only(node: NodeRef<Node>, el: &scraper::node::Element) -> Option<Stock> {
    let mut children = node.children();
    if let (Some(only), None) = (children.next(), children.next())
        && only
            .value()
            .as_text()
            .is_some_and(|t| clean::is_stand_in(t))
    {
        return Some(Stock::Placeholder);
    }
    // A stock phrase is a few nodes (a link, a span, an icon): an element with little
    // text over many empty ones is not read through, or nested wrappers of a page with
    // little text would each walk the whole page.
    let mut text = String::new();
    for (seen, d) in node.descendants().enumerate() {
        if seen > MAX_STOCK_NODES {
            return None;
        }
        if let Some(t) = d.value().as_text() {
            text.push_str(t);
            text.push(' ');
        }
    }
    if el.name() == "a" && clean::is_call_to_action(&text) {
        Some(Stock::Placeholder)
    } else if clean::is_store_action(&text) {
        Some(Stock::StoreAction)
    } else {
        None
    }
}

/// Whether an element's class or id marks it as comments (a cheap test on the raw
/// attributes first).
fn names_comments(el: &scraper::node::Element) -> bool {
    ["class", "id"].into_iter().any(|name| {
        clean::attr(el, name).is_some_and(|v| super::ascii::contains_ignore_case(v, "comment"))
    }) && clean::has_word(&clean::Marks::of(el), clean::comment_word)
}

/// The elements marked as comments that are furniture: all of them when the page holds
/// at least `COMMENTS_OWN_TEXT` characters outside the outermost ones, else none.
fn comments_aside(
    doc: &Html,
    marked: HashSet<NodeId>,
    raw: &HashMap<NodeId, Measure>,
    total: usize,
) -> HashSet<NodeId> {
    let comments: usize = marked
        .iter()
        .filter(|&&id| {
            doc.tree
                .get(id)
                .is_some_and(|node| !node.ancestors().any(|a| marked.contains(&a.id())))
        })
        .map(|id| raw.get(id).map_or(0, |m| m.text))
        .sum();
    if total.saturating_sub(comments) >= COMMENTS_OWN_TEXT {
        marked
    } else {
        HashSet::default()
    }
}

/// Sums text per node into `measures`; nodes for which `skip` answers true count as empty
/// (their own subtree is not measured).
fn measure_node(
    node: NodeRef<Node>,
    in_link: bool,
    measures: &mut HashMap<NodeId, Measure>,
    skip: &mut dyn FnMut(NodeRef<Node>) -> bool,
) -> Measure {
    match node.value() {
        Node::Text(text) => {
            let n = super::whitespace::visible_chars(text);
            Measure {
                text: n,
                link: if in_link { n } else { 0 },
                landmark: false,
            }
        }
        Node::Element(el) => {
            if skip(node) {
                return Measure::default();
            }
            let in_link = in_link || el.name() == "a";
            let mut sum = Measure {
                landmark: is_landmark(el),
                ..Measure::default()
            };
            for child in node.children() {
                let m = measure_node(child, in_link, measures, skip);
                sum.text += m.text;
                sum.link += m.link;
                sum.landmark |= m.landmark;
            }
            measures.insert(node.id(), sum);
            sum
        }
        _ => Measure::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn main_text(html: &str) -> MainContent {
        from_html(html, &[])
    }

    const PARA: &str = "This paragraph is the reason the page exists, and it is long enough \
        to count as content, with several clauses, commas, and a full stop.";

    #[test]
    fn article_content_without_furniture() {
        let html = format!(
            "<html><body><nav><a href=/>Home</a><a href=/about>About us</a></nav>\
             <div class=cookie-banner>We use cookies to improve your experience.</div>\
             <main><article><h1>Title</h1><p>{PARA}</p><p>{PARA}</p>\
             <div class=share-buttons><a href=https://facebook.com/share>Share on Facebook</a></div></article></main>\
             <aside>Popular posts you may like</aside><footer>© Acme 2026</footer></body></html>"
        );
        let content = main_text(&html);
        assert!(content.text.contains("reason the page exists"));
        for furniture in ["Home", "cookies", "Share on", "Popular posts", "Acme 2026"] {
            assert!(
                !content.text.contains(furniture),
                "{furniture}: {}",
                content.text
            );
        }
        assert_eq!(content.source, Source::Semantic);
        assert_eq!(content.outline[0].text, "Title");
    }

    #[test]
    fn a_page_rendered_by_script_is_read_from_its_noscript_version() {
        let html = format!(
            "<html><body><div id=app></div><noscript data-path=/t/1>\
             <div id=main-outlet><h1>Broken update</h1><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div>\
             </noscript></body></html>"
        );
        let content = main_text(&html);
        assert!(
            content.text.contains("reason the page exists"),
            "{}",
            content.text
        );
        assert_eq!(content.outline[0].text, "Broken update");
    }

    #[test]
    fn without_semantic_markup_the_text_heavy_block_wins() {
        let html = format!(
            "<html><body><div class=top><a href=/a>A</a> <a href=/b>B</a></div>\
             <div class=wrap><div class=x><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div></div>\
             <div class=bottom>Small print</div></body></html>"
        );
        let content = main_text(&html);
        assert_eq!(content.source, Source::Density);
        assert!(content.text.contains("reason the page exists"));
        assert!(!content.text.contains("Small print"));
    }

    #[test]
    fn a_few_words_of_furniture_do_not_take_over_a_page() {
        // A script-rendered forum: its hidden error banner is all the body shows, and its
        // readable version waits in a noscript element.
        let html = format!(
            "<html><body><div id=app></div><div class=modal style=display:none>Something went \
             wrong while trying to load the full version of this site. Try hard-refreshing this \
             page to fix the error.</div><noscript><div id=main-outlet><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p>\
             <p>{PARA}</p></div></noscript></body></html>"
        );
        let content = main_text(&html);
        assert!(
            content.text.contains("reason the page exists"),
            "{}",
            content.text
        );
        assert!(!content.text.contains("went wrong"), "{}", content.text);
    }

    #[test]
    fn a_footer_of_links_is_not_the_content_of_an_empty_page() {
        // A product page rendered by script: the footer is the only text it sends.
        let links: String = [
            "Help Center",
            "Disputes & Reports",
            "Return policy",
            "Recalls",
        ]
        .iter()
        .map(|l| format!("<a href=/{}>{l}</a>, ", l.len()))
        .collect::<String>()
        .repeat(6);
        let html = format!(
            "<html><body><div id=root></div><footer><dl><dt><h5>Help</h5></dt><dd>{links}</dd>\
             </dl></footer></body></html>"
        );
        assert_eq!(main_text(&html).text, "");
        // An aside never closed still holds the rest of the page, which is read.
        let unclosed = format!("<html><body><aside><h1>Tomatoes</h1><p>{PARA}</p><p>{PARA}</p>");
        assert!(main_text(&unclosed).text.contains("reason the page exists"));
    }

    fn comment(n: usize) -> String {
        format!(
            "<li class=comment id=comment-{n}><p>Reader {n}: I tried this at home and it worked \
             well enough, though the second step took me longer than the article says.</p></li>"
        )
    }

    #[test]
    fn comments_under_a_page_with_text_of_its_own_are_left_out() {
        let comments: String = (0..6).map(comment).collect();
        let body = format!("<p>{PARA}</p>").repeat(24);
        let html = format!(
            "<html><body><div class=wrap><div class=story><h1>Growing tomatoes</h1>{body}</div>\
             <ol class=commentlist>{comments}</ol></div></body></html>"
        );
        let content = main_text(&html);
        assert!(content.text.contains("reason the page exists"));
        assert!(!content.text.contains("Reader 3"), "{}", content.text);
    }

    #[test]
    fn comments_are_the_content_of_a_discussion() {
        let comments: String = (0..6).map(comment).collect();
        // A link aggregator's thread: the page's own text is a title line.
        let thread = format!(
            "<html><body><div class=story><h1>Growing tomatoes</h1><a href=https://example.test/t>\
             example.test</a></div><ol class=comments>{comments}</ol></body></html>"
        );
        let content = main_text(&thread);
        assert!(content.text.contains("Reader 3"), "{}", content.text);

        // A forum thread that says it is one keeps its replies beside a long first post.
        let body = format!("<p>{PARA}</p>").repeat(24);
        let forum = format!(
            "<html><head><script type=application/ld+json>{{\"@type\":\"DiscussionForumPosting\",\
             \"headline\":\"Tomatoes\"}}</script></head><body><div class=wrap><div class=story>\
             <h1>Growing tomatoes</h1>{body}</div><ol class=commentlist>{comments}</ol></div>\
             </body></html>"
        );
        let content = main_text(&forum);
        assert!(content.text.contains("Reader 3"), "{}", content.text);
    }

    #[test]
    fn a_discussion_leaves_out_the_quotes_that_name_a_poster() {
        let posts = |quote: &str| {
            format!(
                "<html><head><script type=application/ld+json>{{\"@type\":\"DiscussionForumPosting\"}}\
                 </script></head><body><div class=thread>\
                 <article class=post><p>Has anyone tried growing tomatoes on a north-facing balcony? \
                 Mine flower but never set fruit, whatever I feed them.</p></article>\
                 <article class=post>{quote}<p>Try a bigger pot and shake the stems when they flower, \
                 that sets fruit even without bees around.</p></article>\
                 <article class=post><p>Same here last summer: a fan on the balcony did the shaking \
                 for me and the trusses finally set.</p></article></div></body></html>"
            )
        };
        let named = main_text(&posts(
            "<blockquote><div>Sam said:</div><div>Mine flower but never set fruit</div></blockquote>",
        ));
        assert!(named.text.contains("shake the stems"), "{}", named.text);
        assert!(!named.text.contains("Sam said"), "{}", named.text);
        assert_eq!(named.text.matches("never set fruit").count(), 1);
        // A quote of another source (no "said:") is part of the post.
        let cited = main_text(&posts(
            "<blockquote>Tomatoes need six hours of sun to set fruit.</blockquote>",
        ));
        assert!(cited.text.contains("six hours of sun"), "{}", cited.text);
    }

    #[test]
    fn customer_reviews_are_left_out_of_a_product_page_only() {
        let reviews: String = (0..4)
            .map(|n| {
                format!(
                    "<div class=review-item><h4>Great kettle {n}</h4><p>Boils fast, the handle stays \
                     cool, and the lid opens with one hand, which matters every morning.</p></div>"
                )
            })
            .collect();
        let page = |head: &str| {
            format!(
                "<html><head>{head}</head><body><div class=wrap><div class=product><h1>Copper kettle</h1>\
                 <p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div><div class=reviews-block>{reviews}</div>\
                 </div></body></html>"
            )
        };
        let product = main_text(&page("<meta property=og:type content=product>"));
        assert!(product.text.contains("reason the page exists"));
        assert!(!product.text.contains("Boils fast"), "{}", product.text);
        // An article that reviews products declares them too: its reviews are its content.
        let article = main_text(&page(
            "<meta property=og:type content=article><script type=application/ld+json>\
             {\"@type\":\"Product\",\"name\":\"Copper kettle\"}</script>",
        ));
        assert!(article.text.contains("Boils fast"), "{}", article.text);
    }

    #[test]
    fn a_header_that_is_its_whole_entry_is_content() {
        // A news topic page: each entry is an article made of its header.
        let entry = |n: usize| {
            format!(
                "<article class=river><a href=/a/{n}><img src=/i/{n}.jpg alt=''></a><header>\
                 <h2><a href=/a/{n}>Story {n} about headphones</a></h2><p class=desc><a href=/a/{n}>\
                 Summary {n}: the maker released new firmware for its headphones this week, and \
                 the changes reach every model sold since last spring.</a></p></header></article>"
            )
        };
        let entries: String = (0..8).map(entry).collect();
        let html = format!(
            "<html><body><header class=site><a href=/>Home</a><a href=/news>News</a> Tech news daily</header>\
             <main><h1>Headphones</h1><section>{entries}</section></main></body></html>"
        );
        let content = main_text(&html);
        assert!(content.text.contains("Summary 5"), "{}", content.text);
        assert!(
            !content.text.contains("Tech news daily"),
            "{}",
            content.text
        );

        // A landing page's hero section is a header holding most of its section.
        let hero = format!(
            "<html><body><header><a href=/>Acme</a><a href=/pricing>Pricing</a></header><main>\
             <section class=intro><header><h1>Record your screen in a click</h1><p>{PARA}</p></header>\
             <a href=/signup>Sign up</a></section><section><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></section>\
             </main></body></html>"
        );
        let content = main_text(&hero);
        assert!(
            content.text.contains("Record your screen"),
            "{}",
            content.text
        );
        assert!(!content.text.contains("Pricing"), "{}", content.text);
    }

    #[test]
    fn a_class_word_on_what_holds_the_article_does_not_take_it() {
        let body = format!("<p>{PARA}</p>").repeat(10);
        let related =
            "<p>Ten tips for tomatoes, and other posts readers liked this week.</p>".repeat(30);
        let html = format!(
            "<html><body><div class=wrap><article><h1>Growing tomatoes</h1>\
             <div class=sidebar-layout><div class=sidebar-content>{body}</div>\
             <div class=sidebar-widget>Subscribe to the garden letter</div></div></article>\
             <div class=sidebar>{related}</div></div></body></html>"
        );
        let content = main_text(&html);
        assert!(
            content.text.contains("reason the page exists"),
            "{}",
            content.text
        );
        assert!(!content.text.contains("Ten tips"), "{}", content.text);

        // A short post's signature stays out, though it is most of the post.
        let post = "<article class=post><p>Same problem here, following.</p><div class=signature>\
                    Community leader, store builder and plugin author: ask me about themes, \
                    currencies, wishlists and breadcrumbs any day.</div></article>";
        let thread = format!(
            "<html><body><main><article class=post><h1>Roadmap?</h1><p>{PARA}</p></article>\
             {post}{post}{post}</main></body></html>"
        );
        let content = main_text(&thread);
        assert!(content.text.contains("Same problem"), "{}", content.text);
        assert!(!content.text.contains("plugin author"), "{}", content.text);
    }

    #[test]
    fn a_copy_hidden_from_every_reader_is_left_out_whatever_its_size() {
        let body = format!("<p>{PARA}</p>").repeat(6);
        // The copy carries the article's links too: larger than the article itself.
        let copy = format!("# Growing tomatoes\n\n{PARA} [more](https://example.test/more)\n\n")
            .repeat(12);
        let html = format!(
            "<html><body><div class=wrap><div class=story><h1>Growing tomatoes</h1>{body}</div>\
             <pre hidden aria-hidden=true class=raw-markdown>{copy}</pre></div></body></html>"
        );
        let content = main_text(&html);
        assert!(
            content.text.contains("reason the page exists"),
            "{}",
            content.text
        );
        assert_eq!(
            content.text.matches("reason the page exists").count(),
            6,
            "{}",
            content.text
        );
    }

    #[test]
    fn a_stores_actions_on_its_items_are_left_out() {
        let items: String = ["Oak desk", "Walnut shelf", "Pine stool"]
            .iter()
            .map(|name| {
                format!(
                    "<li class=card><a href=/p>{name}</a><span>$120</span>\
                     <span class=atc>Add to cart</span><a href=/p>View details</a>\
                     <div><span>Sold out</span></div></li>"
                )
            })
            .collect();
        let html = format!(
            "<html><body><main><h1>Desks</h1><p>{PARA}</p><ul>{items}</ul>\
             <p>Add to cart anything you like: we ship it free.</p></main></body></html>"
        );
        let content = main_text(&html);
        assert_eq!(
            content.text.matches("Walnut shelf").count(),
            1,
            "{}",
            content.text
        );
        assert_eq!(content.text.matches("$120").count(), 3, "{}", content.text);
        assert!(!content.text.contains("View details"), "{}", content.text);
        assert!(!content.text.contains("Sold out"), "{}", content.text);
        assert_eq!(
            content.text.matches("Add to cart").count(),
            1,
            "only the sentence: {}",
            content.text
        );
    }

    #[test]
    fn stock_phrases_standing_in_for_content_are_left_out() {
        let html = format!(
            "<html><body><main><h1>Our services</h1><section><h2>Audit</h2><p>{PARA}</p>\
             <a href=/audit>Learn more</a><div class=slot>Advertisement</div></section>\
             <section><h2>Tax</h2><p>{PARA}</p><span>Loading…</span>\
             <a href=/tax>Read more →</a> <a href=/tax/pricing>Read more about tax pricing</a>\
             </section></main></body></html>"
        );
        let content = main_text(&html);
        assert!(
            content.text.contains("reason the page exists"),
            "{}",
            content.text
        );
        assert!(!content.text.contains("Learn more"), "{}", content.text);
        assert!(!content.text.contains("Read more →"), "{}", content.text);
        assert!(
            content.text.contains("Read more about tax pricing"),
            "{}",
            content.text
        );
        assert!(!content.text.contains("Advertisement"), "{}", content.text);
        assert!(!content.text.contains("Loading"), "{}", content.text);
    }

    #[test]
    fn an_aside_that_is_never_closed_does_not_take_the_page_with_it() {
        let html = format!(
            "<html><body><aside class=banner><div><a href=/news>We joined Acme</a></div>\
             <header><nav><a href=/>Home</a></nav></header>\
             <main><article><h1>Lessons</h1><p>{PARA}</p><p>{PARA}</p></article></main>\
             <footer>© Acme 2026</footer></body></html>"
        );
        let content = main_text(&html);
        assert!(
            content.text.contains("reason the page exists"),
            "{}",
            content.text
        );
        assert!(!content.text.contains("Acme 2026"), "{}", content.text);
        // A closed one is still left out.
        let closed = main_text(&html.replace("</a></div>", "</a></div></aside>"));
        assert!(!closed.text.contains("We joined"), "{}", closed.text);
    }

    #[test]
    fn a_section_a_skip_link_jumps_to_is_content() {
        let html = format!(
            "<html><body><a class=skip-link href=#topic1>Skip to the first topic</a>\
             <div class=blog-single><h1>What is mesh WiFi?</h1>\
             <div class=skip-item id=topic1><h2>Overview</h2><p>{PARA}</p></div>\
             <div class=skip-item id=topic2><h2>Setup</h2><p>{PARA}</p></div>\
             <div class=skip-item id=topic3><h2>Speed</h2><p>{PARA}</p></div></div></body></html>"
        );
        let content = main_text(&html);
        assert_eq!(content.text.matches("reason the page exists").count(), 3);
        assert!(!content.text.contains("Skip to"), "{}", content.text);
    }

    #[test]
    fn site_selectors_come_first() {
        let html = format!(
            "<html><body><main><p>{PARA}</p></main><div class=custom>Picked by config</div></body></html>"
        );
        let selector = Selector::parse(".custom").unwrap();
        let content = from_html(&html, &[selector]);
        assert_eq!(content.source, Source::SiteSelector);
        assert_eq!(content.text, "Picked by config");
    }

    #[test]
    fn a_site_selector_reaches_into_furniture_and_skips_empty_matches() {
        let html = format!(
            "<html><body><main><p>{PARA}</p></main><div class=hit></div>\
             <aside><div class=hit>The answer<script>x()</script></div></aside></body></html>"
        );
        let selectors = [
            Selector::parse(".absent").unwrap(),
            Selector::parse(".hit").unwrap(),
        ];
        let content = from_html(&html, &selectors);
        assert_eq!(content.source, Source::SiteSelector);
        assert_eq!(content.text, "The answer");
    }

    #[test]
    fn blocks_labelled_as_cross_sell_or_related_reading_are_left_out() {
        let card = |n: usize| {
            format!(
                "<li><div class=card><h3><a href=/p{n}>Walnut desk organiser, model {n}, oiled</a></h3>\
                 <span>Business</span><span>$4{n}.00</span><span>+ $12.00 delivery</span></div></li>"
            )
        };
        let cards: String = (0..4).map(card).collect();
        let html = format!(
            "<html><body><main><h1>Oak standing desk</h1><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p>\
             <div class=slot><div class=head><h2>People who viewed this item also viewed</h2></div>\
             <div class=carousel><ul>{cards}</ul><div class=lightbox-dialog><h2>Why you see this ad</h2></div></div></div>\
             <h2>Care</h2><p>Wipe with a dry cloth; oil the top once a year.</p>\
             <h3>Related posts</h3><ul><li><a href=/a>Choosing a desk</a></li><li><a href=/b>Sitting less</a></li></ul>\
             <p>Made in our workshop.</p></main></body></html>"
        );
        let content = main_text(&html);
        for kept in [
            "reason the page exists",
            "oil the top once a year",
            "Made in our workshop",
        ] {
            assert!(content.text.contains(kept), "{kept}: {}", content.text);
        }
        for gone in [
            "also viewed",
            "Walnut desk organiser",
            "Related posts",
            "Choosing a desk",
        ] {
            assert!(!content.text.contains(gone), "{gone}: {}", content.text);
        }
    }

    #[test]
    fn a_labelled_block_with_other_sections_in_it_is_content() {
        // "Related products" first in the markup of a wrapper that also holds the
        // description: the wrapper is not the cross-sell block.
        let html = format!(
            "<html><body><div class=wrap><div><h2>Related products</h2><ul><li><a href=/x>X</a></li></ul></div>\
             <h2>Description</h2><p>{PARA}</p><p>{PARA}</p></div></body></html>"
        );
        let text = main_text(&html).text;
        assert!(text.contains("reason the page exists"), "{text}");
        assert!(!text.contains("Related products"), "{text}");
    }

    #[test]
    fn a_listing_whose_items_are_links_gives_its_items() {
        let item = |n: usize| {
            format!(
                "<li><a href=/jobs/{n}><h3>Senior engineer, platform team {n}</h3>\
                 <p>Remote, full time; Rust, PostgreSQL and Redis, on call one week in six.</p></a></li>"
            )
        };
        let items: String = (0..20).map(item).collect();
        let html = format!(
            "<html><body><main><div class=intro><p>Remote jobs</p></div>\
             <ul class=results>{items}</ul></main></body></html>"
        );
        let content = main_text(&html);
        assert!(content.text.contains("platform team 0"), "{}", content.text);
        assert!(
            content.text.contains("platform team 19"),
            "{}",
            content.text
        );
    }

    #[test]
    fn a_thread_gives_all_its_posts_not_the_longest_one() {
        let post = |who: &str, words: &str| {
            format!(
                "<article class=message><div class=message-user>{who}</div>\
                 <article class=message-body><p>{words}</p></article></article>"
            )
        };
        let html = format!(
            "<html><body><div class=thread>{}{}{}</div>\
             <article class=teaser><p>Another thread</p></article></body></html>",
            post("ann", PARA),
            post(
                "bob",
                "Closed headphones leak less sound; try a pair before you buy."
            ),
            post(
                "cy",
                "The second reply agrees, and adds that comfort matters most."
            )
        );
        let content = main_text(&html);
        for reply in [
            "reason the page exists",
            "leak less sound",
            "comfort matters most",
        ] {
            assert!(content.text.contains(reply), "{reply}: {}", content.text);
        }
        assert!(!content.text.contains("Another thread"), "{}", content.text);

        // A question with one answer is a thread too.
        let html = format!(
            "<html><body><div class=thread>{}{}</div></body></html>",
            post("ann", PARA),
            post(
                "bob",
                "Closed headphones leak less sound than open ones; try a pair in a quiet shop \
                 before you buy, and wear them for a while."
            )
        );
        let content = main_text(&html);
        for post in ["reason the page exists", "leak less sound"] {
            assert!(content.text.contains(post), "{post}: {}", content.text);
        }
    }

    #[test]
    fn furniture_holding_most_of_the_page_is_kept() {
        let html = format!("<html><body><div class=widget><p>{PARA}</p></div></body></html>");
        assert!(main_text(&html).text.contains("reason the page exists"));
    }
}
