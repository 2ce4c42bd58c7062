//! What is never main content: elements by name, by ARIA role, and by the words their
//! class and id are made of (cookie banners, share widgets, newsletter boxes, ...).

use scraper::node::Element;

/// Elements that never hold text a reader sees.
const NEVER_TEXT: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "button", "select",
    "input", "textarea", "object", "embed", "head", "title", "meta", "link", "map", "audio",
    "video", "picture", "img",
];

/// Elements of page furniture by name.
const FURNITURE_ELEMENTS: &[&str] = &[
    "nav", "footer", "aside", "form", "dialog", "label", "header",
];

/// ARIA roles of page furniture.
const FURNITURE_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
    "toolbar",
];

/// Whole words of a class or id (split at spaces, `-` and `_`) that always mark furniture.
const FURNITURE_WORDS: &[&str] = &[
    "footer",
    "sidebar",
    "breadcrumb",
    "breadcrumbs",
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "newsletter",
    "subscribe",
    "subscription",
    "signup",
    "advert",
    "advertisement",
    "ads",
    "adsbygoogle",
    "sponsored",
    "popup",
    "modal",
    "skip",
    "masthead",
    "topbar",
    "disclaimer",
];

/// Words that mark furniture only when the element is mostly links (a "menu" class is also
/// found on content wrappers, a "share" one on an article's body in some themes).
const LINKY_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "submenu",
    "megamenu",
    "share",
    "sharing",
    "social",
    "related",
    "recommended",
    "pagination",
    "pager",
    "toc",
    "tags",
    "promo",
    "banner",
];

/// What an element is, by itself (its name, role, class or id, or being hidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Content,
    /// Never visible text (scripts, styles, media).
    Never,
    /// Furniture.
    Furniture,
    /// Furniture when most of its text is links.
    FurnitureIfLinks,
}

/// Whether an element never holds visible text (cheaper than `classify`).
pub fn never_text(el: &Element) -> bool {
    NEVER_TEXT.contains(&el.name())
}

pub fn classify(el: &Element) -> Kind {
    let name = el.name();
    if never_text(el) {
        return Kind::Never;
    }
    if FURNITURE_ELEMENTS.contains(&name) {
        return Kind::Furniture;
    }
    if matches!(name, "html" | "body" | "main" | "article") {
        return Kind::Content;
    }
    if el.attr("hidden").is_some()
        || el.attr("aria-hidden") == Some("true")
        || el.attr("style").is_some_and(hidden_by_style)
    {
        return Kind::Furniture;
    }
    if el
        .attr("role")
        .is_some_and(|r| FURNITURE_ROLES.contains(&r.trim().to_ascii_lowercase().as_str()))
    {
        return Kind::Furniture;
    }
    let has = |list: &[&str]| {
        el.attr("class").into_iter().chain(el.attr("id")).any(|v| {
            // "not-footer" (Weebly's content wrapper) says the opposite of "footer".
            let mut previous = "";
            v.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
                .any(|w| {
                    let hit = !previous.eq_ignore_ascii_case("not")
                        && list.iter().any(|l| l.eq_ignore_ascii_case(w));
                    previous = w;
                    hit
                })
        })
    };
    if has(FURNITURE_WORDS) {
        Kind::Furniture
    } else if has(LINKY_WORDS) {
        Kind::FurnitureIfLinks
    } else {
        Kind::Content
    }
}

fn hidden_by_style(style: &str) -> bool {
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
        matches!(kind(html), Kind::Furniture | Kind::Never)
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
        assert!(furniture("<ol class=breadcrumb><li>Home</li></ol>"));
        assert!(furniture("<div style='display: none'>x</div>"));
        assert!(furniture("<div hidden>x</div>"));
    }

    #[test]
    fn content_is_not_furniture() {
        assert!(!furniture("<div class='post-content'>Text</div>"));
        assert!(!furniture("<p class=lead>Text</p>"));
        assert!(!furniture("<article class='has-sidebar'>Text</article>"));
        assert!(!furniture("<div class=shadow>Text</div>"));
        assert!(!furniture(
            "<div class='wsite-elements wsite-not-footer'>Text</div>"
        ));
        assert_eq!(
            kind("<div class='elementor-widget-container'>Text</div>"),
            Kind::Content
        );
    }
}
