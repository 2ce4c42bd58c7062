//! What is never main content: elements by name, by ARIA role, and by the words their
//! class and id are made of (cookie banners, share widgets, newsletter boxes, ...).
//!
//! Three degrees, because the streaming pass (`scan`) cannot measure what it removes: what
//! is `Never` text and `Boilerplate` it removes outright; `Furniture` and
//! `FurnitureIfLinks` stay for the DOM stage, which keeps them when they hold most of the
//! page or few links. On the WCXB development split, removing the furniture of the second
//! kind outright cost F1 (0.848 → 0.792 in all; forms alone cost forum pages 0.06, as
//! ASP.NET wraps whole pages in one; "sidebar" and "footer" class words 0.04, as themes put
//! them on content wrappers; hidden elements 0.006, as pages fade in by script), while the
//! boilerplate below removed outright changed it by +0.001.

use std::borrow::Cow;

use scraper::node::Element;

use super::ascii::contains_ignore_case;

/// Elements that never hold text a reader sees.
fn never(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "iframe"
            | "svg"
            | "canvas"
            | "button"
            | "select"
            | "input"
            | "textarea"
            | "object"
            | "embed"
            | "head"
            | "title"
            | "meta"
            | "link"
            | "map"
            | "audio"
            | "video"
            | "picture"
            | "img"
    )
}

/// What an element is by its name alone, if its name says.
fn by_name(name: &str) -> Option<Kind> {
    match name {
        "nav" | "footer" | "aside" => Some(Kind::Boilerplate),
        // A caption describes its picture, not the page (figcaption: +0.001 F1 on the
        // development split, 154 pages changed).
        "form" | "dialog" | "label" | "header" | "figcaption" => Some(Kind::Furniture),
        "html" | "body" | "main" | "article" => Some(Kind::Content),
        _ => None,
    }
}

/// Whether an element's name alone says what it is (its class words are not read).
pub fn named(name: &str) -> bool {
    by_name(name).is_some()
}

/// ARIA roles of boilerplate (lower-case).
fn boilerplate_role(role: &str) -> bool {
    matches!(
        role,
        "navigation"
            | "banner"
            | "contentinfo"
            | "complementary"
            | "search"
            | "dialog"
            | "alertdialog"
            | "menu"
            | "menubar"
            | "toolbar"
    )
}

/// What one lower-case word of a class or id (split at spaces, `-` and `_`) marks.
fn by_word(word: &str) -> Option<Kind> {
    match word {
        // A class word is never proof on its own: a theme may put it on the element that
        // wraps the whole page (`div.m-advertisement-off-canvas--pusher`), so every word
        // marks furniture, which the DOM stage keeps when it holds most of the page. "ads"
        // and "subscribe" also name classified listings and paywalled article bodies,
        // "footer" and "sidebar" content wrappers in some themes.
        "breadcrumb" | "breadcrumbs" | "cookie" | "cookies" | "consent" | "gdpr" | "newsletter"
        | "advert" | "advertisement" | "adsbygoogle" | "footer" | "sidebar" | "subscribe"
        | "subscription" | "signup" | "ads" | "sponsored" | "popup" | "modal"
        | "masthead" | "topbar" | "disclaimer" | "dialog" | "lightbox" | "tooltip" | "popover"
        | "legal" | "latest" | "trending"
        // A byline, an author box, a "posted on … by …" line.
        | "author" | "byline" | "posted"
        // A forum post's user card and votes.
        | "avatar" | "gravatar" | "reputation" | "badgecount" | "votecell" | "voting" | "signature"
        | "relativetime" | "usertitle" | "userbanner" | "userinfo" | "userdetails" | "userextra"
        | "userextras"
        // Customer reviews under a product, and the widgets that carry them.
        | "reviews" | "yotpo" | "okendo" | "bazaarvoice" | "judgeme"
        | "trustpilot" | "feefo" | "reevoo" => {
            Some(Kind::Furniture)
        }
        // A "menu" class is also found on content wrappers, a "share" one on an article's
        // body, a "skip" one on the sections a skip link jumps to (`div.skip-item`):
        // furniture only when the element is mostly links.
        "nav" | "navbar" | "navigation" | "menu" | "submenu" | "megamenu" | "share" | "sharing"
        | "social" | "related" | "recommended" | "pagination" | "pager" | "toc" | "tags"
        | "promo" | "banner" | "navlinks" | "topnav" | "subnav" | "skip" => Some(Kind::FurnitureIfLinks),
        // A page's own previous/up/next bar (DocBook's, among generators): its titles make
        // it look like text, but it is never most of a page.
        "navheader" | "navfooter" => Some(Kind::Furniture),
        _ => None,
    }
}

/// A word that marks customer reviews, ratings and colour swatches: furniture on a page
/// that presents a product, content elsewhere (a review article is made of reviews).
pub fn product_word(word: &str) -> bool {
    matches!(
        word,
        "review" | "rating" | "ratings" | "swatch" | "swatches"
    )
}

/// A word that marks comments: furniture under a page's own text, content when the
/// comments are the page (a forum thread, a link aggregator's discussion).
pub fn comment_word(word: &str) -> bool {
    matches!(word, "comment" | "comments")
}

/// Links that say only this lead to more of what the block around them already shows
/// (a teaser's "Read more", a card's "Learn more"): never content. Development split:
/// +0.0003 F1 (+0.38 page-units; 62 pages up, 16 down: "Learn more" is in 21 references,
/// in 53 extractions).
const CALLS_TO_ACTION: &[&str] = &[
    "learn more",
    "read more",
    "see more",
    "view more",
    "show more",
    "explore more",
    "see all",
    "view all",
    "shop now",
    "more options",
    "download now",
];

/// The longest call to action or placeholder, in characters without spaces, with room
/// for an arrow or an ellipsis (a cheap test first).
pub const MAX_STOCK_PHRASE: usize = 16;

/// Whether a link's text (any case, spacing and trailing arrows) is only a call to action.
pub fn is_call_to_action(text: &str) -> bool {
    stock_phrase(text).is_some_and(|p| CALLS_TO_ACTION.contains(&p.as_str()))
}

/// A text of at most three words as a stock phrase: lower-case, single-spaced, without
/// trailing arrows or punctuation.
fn stock_phrase(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || words.len() > 3 {
        return None;
    }
    let mut phrase = words.join(" ").to_lowercase();
    let end = phrase
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .len();
    phrase.truncate(end);
    Some(phrase)
}

/// What a store prints on an item besides its name and price, as an element's whole
/// text: the actions on it (`button`s are never text; themes draw these as links and
/// spans too) and its stock. Development split: +0.0004 F1 (+0.58 page-units; 27 pages
/// up, 5 down; collection +0.45). "New", "Sale", "Out of stock" and "Buy now" are in as
/// many references as not.
const STORE_ACTIONS: &[&str] = &[
    "add to cart",
    "add to compare",
    "add to wishlist",
    "choose options",
    "compare",
    "quick shop",
    "view details",
    "view options",
    "see details",
    "more info",
    "sold out",
    "in stock",
];

/// Whether a text (any case and spacing) is only a store's action on an item.
pub fn is_store_action(text: &str) -> bool {
    stock_phrase(text).is_some_and(|p| STORE_ACTIONS.contains(&p.as_str()))
}

/// What an element says when it stands in for something else: an ad's label, the
/// placeholder a script replaces. Development split: +0.0001 F1 (+0.16 page-units; 14
/// pages up, none down).
const STAND_INS: &[&str] = &["advertisement", "sponsored", "loading"];

/// Whether a text only stands in for something else ("Advertisement", "Loading…").
pub fn is_stand_in(text: &str) -> bool {
    let text = text.trim().trim_end_matches(['.', '…']);
    STAND_INS.iter().any(|p| text.eq_ignore_ascii_case(p))
}

/// The share of link text that makes a block "mostly links" (`FurnitureIfLinks`, and
/// the link lists after a label in `trailers`).
pub const LINKY: f64 = 0.5;

/// Words longer than this mark nothing.
const MAX_WORD: usize = 16;

/// What an element is, by itself (its name, role, class or id, or being hidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Content,
    /// Never visible text (scripts, styles, media).
    Never,
    /// Never content whatever its size (navigation, cookie banners, ...).
    Boilerplate,
    /// Furniture, unless it holds most of the page.
    Furniture,
    /// Furniture when most of its text is links.
    FurnitureIfLinks,
}

/// Whether an element never holds visible text (cheaper than `classify`).
pub fn never_text(el: &Element) -> bool {
    is_never_text(el.name())
}

/// Whether an element of this (lower-case) name never holds visible text.
pub fn is_never_text(name: &str) -> bool {
    never(name)
}

/// What a DOM element is.
pub fn classify(el: &Element) -> Kind {
    classify_marks(el.name(), &Marks::of(el))
}

/// The attributes `classify` reads, found in one pass over an element's attributes (a
/// lookup by name searches them, and scraper's interns the name first, each time).
#[derive(Debug, Default, Clone)]
pub struct Marks<'a> {
    pub class: Option<Cow<'a, str>>,
    pub id: Option<Cow<'a, str>>,
    pub style: Option<Cow<'a, str>>,
    pub role: Option<Cow<'a, str>>,
    href: Option<Cow<'a, str>>,
    /// Read for the content containers (`main_content`), not for the kind.
    pub itemprop: Option<Cow<'a, str>>,
    hidden: bool,
    aria_hidden: bool,
}

impl<'a> Marks<'a> {
    /// Of a DOM element.
    pub fn of(el: &'a Element) -> Self {
        let mut marks = Marks::default();
        for (name, value) in &el.attrs {
            if name.ns.is_empty() && Marks::reads(&name.local) {
                marks.add(&name.local, Cow::Borrowed(value));
            }
        }
        marks
    }

    /// Whether an attribute of this (lower-case) name is one of them.
    pub fn reads(name: &str) -> bool {
        matches!(
            name,
            "class" | "id" | "style" | "role" | "href" | "hidden" | "aria-hidden" | "itemprop"
        )
    }

    /// Takes one attribute, by its lower-case name.
    pub fn add(&mut self, name: &str, value: Cow<'a, str>) {
        match name {
            "class" => self.class = Some(value),
            "id" => self.id = Some(value),
            "style" => self.style = Some(value),
            "role" => self.role = Some(value),
            "href" => self.href = Some(value),
            "hidden" => self.hidden = true,
            "aria-hidden" => self.aria_hidden = value == "true",
            "itemprop" => self.itemprop = Some(value),
            _ => {}
        }
    }
}

/// An attribute's value: scraper's own lookup interns the name first, which costs more
/// than reading the few attributes an element has.
pub fn attr<'a>(el: &'a Element, name: &str) -> Option<&'a str> {
    el.attrs
        .iter()
        .find(|(q, _)| q.ns.is_empty() && &*q.local == name)
        .map(|(_, v)| &**v)
}

/// What an element is, from its lower-case name and its marks: shared by the streaming
/// pass (`scan`) and the DOM stages, so both read a page by the same rules.
pub fn classify_marks(name: &str, marks: &Marks) -> Kind {
    if never(name) {
        return Kind::Never;
    }
    if let Some(kind) = by_name(name) {
        return kind;
    }
    // Hidden from sight and from screen readers both: a copy kept for machines (a blog's
    // raw Markdown of the article, as large as the article), never content whatever its
    // size. Either alone is furniture (pages fade their content in by script), except on
    // a disclosure panel, which a click shows (see `discloses`).
    if marks.hidden && marks.aria_hidden {
        return Kind::Never;
    }
    if (marks.hidden
        || marks.aria_hidden
        || marks.style.as_deref().is_some_and(hidden_by_style)
        || marks
            .class
            .as_deref()
            .is_some_and(|c| c.split_ascii_whitespace().any(hidden_by_class)))
        && !discloses(marks)
    {
        return Kind::Furniture;
    }
    if marks
        .role
        .as_deref()
        .is_some_and(|r| boilerplate_role(&r.trim().to_ascii_lowercase()))
    {
        return Kind::Boilerplate;
    }
    if name == "a" && is_permalink(marks) {
        return Kind::Never;
    }
    // The strongest mark among the words of class and id.
    let mut kind = Kind::Content;
    each_word(marks, |word| {
        if let Some(mark) = by_word(word) {
            kind = strongest(kind, mark);
        }
    });
    kind
}

/// Whether a word of the element's class or id passes `test` (`product_word`, say).
pub fn has_word(marks: &Marks, test: impl Fn(&str) -> bool) -> bool {
    let mut found = false;
    each_word(marks, |word| found |= test(word));
    found
}

/// Calls `f` with each word of an element's class and id (split at spaces, `-` and `_`),
/// lower-case, without a trailing number, unless it follows "not".
fn each_word(marks: &Marks, mut f: impl FnMut(&str)) {
    let mut buffer = [0u8; MAX_WORD];
    for value in [&marks.class, &marks.id].into_iter().flatten() {
        // "not-footer" (Weebly's content wrapper) says the opposite of "footer".
        let mut negated = false;
        // Split at ASCII bytes (HTML splits classes at ASCII whitespace), so every word is
        // a slice of the value: no character decoding, and no copy for a lower-case word.
        let mut start = 0;
        let bytes = value.as_bytes();
        for end in (0..=bytes.len()).filter(|&i| i == bytes.len() || is_separator(bytes[i])) {
            let word = &value[start..end];
            start = end + 1;
            if word.is_empty() || word.len() > MAX_WORD {
                negated = false;
                continue;
            }
            let lower = if word.bytes().any(|b| b.is_ascii_uppercase()) {
                let lower = &mut buffer[..word.len()];
                lower.copy_from_slice(word.as_bytes());
                lower.make_ascii_lowercase();
                // Lower-casing ASCII bytes keeps the word valid UTF-8.
                std::str::from_utf8(lower).unwrap_or_default()
            } else {
                word
            };
            // "sidebar2", "gravatar32": a numbered copy of the same word.
            let lower = lower.trim_end_matches(|c: char| c.is_ascii_digit());
            if !negated {
                f(lower);
            }
            negated = lower == "not";
        }
    }
}

/// Where a class or id splits into words.
fn is_separator(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b'-' || b == b'_'
}

/// A heading's permalink mark (`<a class="headerlink" href="#id">¶</a>`, as documentation
/// generators add): a link into the page itself that its class calls an anchor. Its "¶"
/// or "#" would otherwise end every heading and snippet.
fn is_permalink(marks: &Marks) -> bool {
    marks
        .href
        .as_deref()
        .is_some_and(|h| h.trim_start().starts_with('#'))
        && marks.class.as_deref().is_some_and(|class| {
            class.split_whitespace().any(|c| {
                matches!(
                    c.to_ascii_lowercase().as_str(),
                    "headerlink"
                        | "permalink"
                        | "anchor"
                        | "anchorjs-link"
                        | "hash-link"
                        | "header-anchor"
                        | "heading-anchor"
                        | "anchor-link"
                )
            })
        })
}

/// Of two marks, the one that removes more surely.
fn strongest(a: Kind, b: Kind) -> Kind {
    let rank = |k: Kind| match k {
        Kind::Content => 0,
        Kind::FurnitureIfLinks => 1,
        Kind::Furniture => 2,
        Kind::Boilerplate => 3,
        Kind::Never => 4,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// Whether an element is a disclosure panel (a collapsed accordion section, a tab not
/// shown yet): hidden until a click, and then the page's own text (a product's
/// description, a service's details), so hiding it marks nothing. Development split:
/// +0.0030 F1 (34 pages up, 13 down; service +0.012, collection +0.014, documentation
/// +0.007, product +0.006; the tab words alone +0.0003).
fn discloses(marks: &Marks) -> bool {
    marks
        .role
        .as_deref()
        .is_some_and(|r| r.trim().eq_ignore_ascii_case("tabpanel"))
        || has_word(marks, |w| {
            matches!(
                w,
                "collapse" | "collapsible" | "accordion" | "tabpanel" | "tab" | "tabs" | "pane"
            )
        })
}

/// Utility classes that hide an element from sight (Bootstrap's, WordPress's, Tailwind's):
/// the copies of names and dates a page keeps for machines.
fn hidden_by_class(class: &str) -> bool {
    matches!(
        class,
        "d-none" | "sr-only" | "visually-hidden" | "visuallyhidden" | "screen-reader-text"
    )
}

fn hidden_by_style(style: &str) -> bool {
    // Most styles say neither word: no copy for them.
    if !contains_ignore_case(style, "none") && !contains_ignore_case(style, "hidden") {
        return false;
    }
    let style: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    style.contains("display:none") || style.contains("visibility:hidden")
}

#[cfg(test)]
mod tests {
    use scraper::Html;

    use super::*;

    fn kind(html: &str) -> Kind {
        let doc = Html::parse_fragment(html);
        let el = doc
            .root_element()
            .descendants()
            .filter_map(|n| n.value().as_element())
            .find(|e| e.name() != "html")
            .unwrap();
        classify(el)
    }

    fn furniture(html: &str) -> bool {
        matches!(
            kind(html),
            Kind::Boilerplate | Kind::Furniture | Kind::Never
        )
    }

    #[test]
    fn a_hidden_disclosure_panel_is_content() {
        // A collapsed accordion section and a tab not shown yet hold the page's own text.
        for panel in [
            "<div class='chakra-collapse' style='display:none'><p>Description</p></div>",
            "<div class='accordion-body' hidden><p>Specifications</p></div>",
            "<div role=tabpanel style='display: none'><p>Details</p></div>",
            "<div class='tab-pane' style='display:none'><p>Ingredients</p></div>",
        ] {
            assert_eq!(kind(panel), Kind::Content, "{panel}");
        }
        // Hidden for other reasons, it stays furniture; a hidden menu of tabs is still a menu.
        assert!(furniture(
            "<div class='promo' style='display:none'>Sale</div>"
        ));
        assert_eq!(
            kind("<div class='tabs-menu' style='display:none'>x</div>"),
            Kind::FurnitureIfLinks
        );
    }

    #[test]
    fn furniture_by_name_role_class_and_visibility() {
        assert!(furniture("<nav><a href=/>Home</a></nav>"));
        assert!(furniture("<div role=navigation>x</div>"));
        assert!(furniture("<div class='cookie-banner'>We use cookies</div>"));
        assert!(furniture("<div id=newsletter_box>Sign up</div>"));
        assert_eq!(
            kind("<div class='share-buttons'>Share</div>"),
            Kind::FurnitureIfLinks
        );
        assert_eq!(
            kind("<div class='main-menu'>x</div>"),
            Kind::FurnitureIfLinks
        );
        assert_eq!(
            kind("<a class='skip-link' href='#main'>Skip to content</a>"),
            Kind::FurnitureIfLinks
        );
        assert!(furniture("<ol class=breadcrumb><li>Home</li></ol>"));
        assert!(furniture("<div style='display: none'>x</div>"));
        assert!(furniture("<div hidden>x</div>"));
        // Copies kept for machines, and a forum post's user card and votes.
        assert!(furniture("<div class='d-none'>2009-05-02 00:53:18</div>"));
        assert!(furniture("<span class='sr-only'>Posted on</span>"));
        assert!(furniture("<span class='reputation-score'>54.4k</span>"));
        assert!(furniture("<div class='user-gravatar32'>x</div>"));
        assert!(furniture(
            "<div class='post-signature owner'>asked Mar 26</div>"
        ));
        assert!(furniture(
            "<div class='lightbox-dialog'>Why you see this ad</div>"
        ));
        // Forum user cards, bylines, captions.
        assert!(furniture(
            "<div class='message-userExtras'>Joined Mar 2020</div>"
        ));
        assert!(furniture("<div class='post-byline'>By Jo Bloggs</div>"));
        assert!(is_call_to_action(" Read  more → "));
        assert!(is_call_to_action("LEARN MORE"));
        assert!(!is_call_to_action("Learn more about our pricing"));
        assert!(!is_call_to_action("Read"));
        assert!(is_store_action(" Add to  CART "));
        assert!(!is_store_action("Add to cart and save 10%"));
        assert!(is_stand_in(" Loading... "));
        assert!(is_stand_in("ADVERTISEMENT"));
        assert!(!is_stand_in("Loading the van"));
        assert!(furniture(
            "<span class='posted-on'>Posted on 3 May 2025</span>"
        ));
        assert!(furniture(
            "<section class='trending-posts'>Ten tips for tomatoes</section>"
        ));
        assert!(furniture(
            "<h5 class='userTitle message-userTitle'>Well-known member</h5>"
        ));
        assert!(furniture("<span class='author-name'>By Jo Smith</span>"));
        assert!(furniture("<figcaption>Image: Getty</figcaption>"));
        // Comments and reviews depend on the page (see `main_content`).
        assert_eq!(kind("<li class='comment'>Nice</li>"), Kind::Content);
        assert_eq!(kind("<div class='review-item'>Nice</div>"), Kind::Content);
    }

    #[test]
    fn content_is_not_furniture() {
        assert!(!furniture("<div class='post-content'>Text</div>"));
        assert!(!furniture("<p class=lead>Text</p>"));
        assert!(!furniture("<article class='has-sidebar'>Text</article>"));
        assert!(!furniture("<div class=shadow>Text</div>"));
        assert!(!furniture("<div class='review-body'>Text</div>"));
        assert!(!furniture(
            "<div class='wsite-elements wsite-not-footer'>Text</div>"
        ));
        assert_eq!(
            kind("<div class='elementor-widget-container'>Text</div>"),
            Kind::Content
        );
    }
}
