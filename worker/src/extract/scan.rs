//! One streaming lol_html pass per page, before any DOM is built. It removes what is never
//! content (scripts, styles, media, and page furniture by element, role, class and id; see
//! `clean`) and the attributes no DOM stage reads (without them the parse takes a tenth
//! less time), and, in the same pass, collects what the detectors need from the whole page,
//! removed parts included: title, description, language, canonical, theme colour, icons,
//! Open Graph and Twitter cards, the manifest, JSON-LD, script sources and inline snippets,
//! CSS, links with their text, mailto and tel addresses, forms, and the header logo.

use onboard_shared::telemetry::Chain;
use std::{
    borrow::Cow,
    cell::{Cell, RefCell},
    rc::Rc,
};

use lol_html::{
    HtmlRewriter, MemorySettings, Settings, element,
    html_content::{Element, EndTag, TextChunk},
    text,
};
use onboard_shared::untrusted;
use url::Url;

use super::{
    Link, PageFacts,
    ascii::contains_ignore_case,
    chat_widgets,
    clean::{self, Kind},
    deferred,
    metadata::Metadata,
    whitespace::squash,
};

/// Inline scripts longer than this are bundles, not widget snippets.
const MAX_INLINE_SCRIPT: usize = 64 * 1024;
/// Inline CSS kept for colour detection.
const MAX_CSS: usize = 1024 * 1024;
/// A noscript element smaller than this is a tracking pixel or a "please enable" notice.
const MIN_NOSCRIPT: usize = 500;
/// The rewriter's own buffers (it holds one tag or one text chunk at a time, never the page).
const MAX_REWRITER_MEMORY: usize = 16 * 1024 * 1024;

/// What the markup says beyond metadata, for the channel and brand detectors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Markup {
    /// Short inline scripts (widget snippets).
    pub inline_scripts: Vec<String>,
    /// Style elements and style attributes.
    pub css: String,
    pub stylesheets: Vec<Url>,
    /// `rel=icon` links, in document order.
    pub icons: Vec<Url>,
    pub apple_touch_icon: Option<Url>,
    pub header_logo: Option<Url>,
    /// Id and class tokens that name a chat widget.
    pub chat_marks: Vec<String>,
    /// A form that takes a message or an address and is not a login.
    pub contact_form: bool,
    pub password_field: bool,
    /// The largest noscript element of the body, as markup: the readable version of a page
    /// rendered by script.
    pub noscript: Option<String>,
    /// The page has placeholders for parts React streamed late (see `deferred`).
    pub deferred: bool,
}

/// The result of the pass.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The page without what the pass removed, for the DOM stages.
    pub html: String,
    /// Everything but the text measures, which the DOM stage fills.
    pub facts: PageFacts,
    pub metadata: Metadata,
    pub markup: Markup,
}

#[derive(Default)]
struct State {
    scan: Scan,
    /// The script being read: JSON-LD, an inline snippet, or neither.
    script: Script,
    script_text: String,
    title: Option<String>,
    title_text: String,
    style_text: String,
    noscript: String,
    /// Index into `facts.links` of the anchor whose text is being read.
    anchor: Option<usize>,
    anchor_text: String,
    /// Per form seen: (takes a message, has a password field).
    forms: Vec<(bool, bool)>,
    /// Open elements inside which an image is the site's logo (`header`, `nav`, a "logo"
    /// class or id, a link to the home page), and open forms. Counted here rather than by
    /// descendant selectors, which cost the pass 5% of the whole analysis.
    logo_scopes: Scopes,
    form_scopes: Scopes,
    in_body: bool,
}

#[derive(Default, Clone, Copy, PartialEq)]
enum Script {
    #[default]
    Other,
    JsonLd,
    Inline,
}

/// Runs the pass. With `keep_furniture` (a site whose content selectors may point into
/// furniture) only what is never content is removed. CPU work: call it from
/// `spawn_blocking`. Cannot fail: on a rewriter error the page is kept whole.
pub fn scan(html: &str, base: &Url, keep_furniture: bool) -> Scan {
    let state = RefCell::new(State::default());
    let mut out = Vec::with_capacity(html.len() / 2);
    let settings = Settings::new()
        .with_strict(false)
        .with_memory_settings(
            MemorySettings::new().with_max_allowed_memory_usage(MAX_REWRITER_MEMORY),
        )
        .append_element_content_handler(element!("*", |el| {
            on_element(&mut state.borrow_mut(), el, base, keep_furniture);
            Ok(())
        }))
        .append_element_content_handler(text!("title", |t| {
            on_title(&mut state.borrow_mut(), t);
            Ok(())
        }))
        .append_element_content_handler(text!("script", |t| {
            on_script(&mut state.borrow_mut(), t);
            Ok(())
        }))
        .append_element_content_handler(text!("style", |t| {
            let mut s = state.borrow_mut();
            if s.style_text.len() < MAX_CSS {
                s.style_text.push_str(t.as_str());
            }
            Ok(())
        }))
        .append_element_content_handler(text!("noscript", |t| {
            let mut s = state.borrow_mut();
            if !s.in_body {
                return Ok(());
            }
            s.noscript.push_str(t.as_str());
            if t.last_in_text_node() {
                let text = std::mem::take(&mut s.noscript);
                let largest = s.scan.markup.noscript.as_ref().map_or(0, String::len);
                if text.len() >= MIN_NOSCRIPT && text.len() > largest {
                    s.scan.markup.noscript = Some(text);
                }
            }
            Ok(())
        }))
        .append_element_content_handler(text!("a[href]", |t| {
            let mut s = state.borrow_mut();
            if s.anchor.is_some() {
                s.anchor_text.push_str(t.as_str());
                s.anchor_text.push(' ');
            }
            Ok(())
        }));

    let mut rewriter = HtmlRewriter::new(settings, |chunk: &[u8]| out.extend_from_slice(chunk));
    let rewritten = rewriter
        .write(html.as_bytes())
        .and_then(|()| rewriter.end());
    let mut state = state.into_inner();
    finish_anchor(&mut state);
    let mut scan = state.scan;
    scan.html = match rewritten {
        Ok(()) => String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(e) => {
            tracing::debug!(error = %Chain(&e), "the streaming pass gave up; the page is read whole");
            html.to_owned()
        }
    };
    scan.facts.title = state.title;
    let css = std::mem::take(&mut state.style_text);
    if !css.is_empty() {
        scan.markup.css.insert_str(0, &(css + "\n"));
    }
    scan.markup.contact_form = state
        .forms
        .iter()
        .any(|&(message, password)| message && !password);
    scan
}

fn on_element(s: &mut State, el: &mut Element, base: &Url, keep_furniture: bool) {
    let name = el.tag_name();
    match name.as_str() {
        "html" if s.scan.facts.language.is_none() => {
            s.scan.facts.language = attr(el, "lang")
                .map(|l| l.trim().to_ascii_lowercase())
                .filter(|l| !l.is_empty());
        }
        "meta" => on_meta(s, el),
        "link" => on_link(s, el, base),
        "script" => {
            s.script_text.clear();
            s.script = match attr(el, "src") {
                Some(src) => {
                    if let Ok(url) = base.join(src.trim()) {
                        s.scan.metadata.scripts.push(url.into());
                    }
                    Script::Other
                }
                None if el
                    .get_attribute("type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) =>
                {
                    Script::JsonLd
                }
                None => Script::Inline,
            };
        }
        "body" => s.in_body = true,
        "a" => {
            let href = attr(el, "href");
            if href.as_deref() == Some("/") {
                s.logo_scopes.open(el);
            }
            on_anchor(s, href, base);
        }
        "header" | "nav" => s.logo_scopes.open(el),
        "form" => {
            s.forms.push((false, false));
            s.form_scopes.open(el);
        }
        "input" | "textarea" => on_field(s, el),
        // Kept, renamed, for the DOM stage to fill (a template's content is not in the
        // document tree); the placeholder carries nothing but its id.
        "template"
            if attr(el, "id").is_some_and(|id| deferred::is_placeholder(&id))
                && el.set_tag_name(deferred::SLOT).is_ok() =>
        {
            s.scan.markup.deferred = true;
            return;
        }
        _ => {}
    }
    // The attributes are read once, in one pass (each lookup by name would search and copy
    // them again); the ones no DOM stage reads are noted for removal.
    let mut marks = clean::Marks::default();
    let mut unread = Vec::new();
    for attribute in el.attributes() {
        let name = attribute.name();
        if clean::Marks::reads(&name) {
            marks.add(&name, Cow::Owned(decode(&attribute.value()).into_owned()));
        } else {
            unread.push(name);
        }
    }
    if let Some(style) = &marks.style
        && s.scan.markup.css.len() < MAX_CSS
    {
        s.scan.markup.css.push_str(style);
        s.scan.markup.css.push('\n');
    }
    let logo_named = [&marks.id, &marks.class]
        .into_iter()
        .flatten()
        .any(|v| contains_ignore_case(v, "logo"));
    if name == "img" {
        on_img(s, el, base, logo_named);
    } else if logo_named {
        s.logo_scopes.open(el);
    }
    for value in [&marks.id, &marks.class].into_iter().flatten() {
        for token in value.split_whitespace() {
            if chat_widgets::is_chat_mark(token)
                && !s.scan.markup.chat_marks.iter().any(|m| m == token)
            {
                s.scan.markup.chat_marks.push(token.to_owned());
            }
        }
    }
    let kind = clean::classify_marks(&name, &marks);
    // Configured selectors may name any attribute: they keep them all.
    if !on_kind(el, &name, kind, keep_furniture) && !keep_furniture {
        for attribute in unread {
            el.remove_attribute(&attribute);
        }
    }
}

/// A count of open elements, each closed by its end tag (lol_html runs no end-tag handler
/// for an element closed implicitly: such a scope stays open to the end of the page).
#[derive(Default)]
struct Scopes(Rc<Cell<usize>>);

impl Scopes {
    fn open(&self, el: &mut Element) {
        let count = Rc::clone(&self.0);
        let closed = Box::new(move |_: &mut EndTag| {
            count.set(count.get().saturating_sub(1));
            Ok(())
        });
        if el.on_end_tag(closed).is_ok() {
            self.0.set(self.0.get() + 1);
        }
    }

    fn inside(&self) -> bool {
        self.0.get() > 0
    }
}

/// The first image in a logo scope, or named a logo itself, is the header logo.
fn on_img(s: &mut State, el: &Element, base: &Url, logo_named: bool) {
    if s.scan.markup.header_logo.is_some() {
        return;
    }
    let named = logo_named
        || ["alt", "src"]
            .iter()
            .any(|a| attr(el, a).is_some_and(|v| contains_ignore_case(&v, "logo")));
    if (named || s.logo_scopes.inside())
        && let Some(src) = attr(el, "src").filter(|s| !s.trim().starts_with("data:"))
    {
        s.scan.markup.header_logo = base.join(src.trim()).ok();
    }
}

/// A field: a password field anywhere; inside a form, whether the form takes a message and
/// whether it is a login.
fn on_field(s: &mut State, el: &Element) {
    let kind = el.get_attribute("type").unwrap_or_default();
    let password = kind.eq_ignore_ascii_case("password");
    s.scan.markup.password_field |= password;
    if !s.form_scopes.inside() {
        return;
    }
    let message = el.tag_name() == "textarea"
        || kind.eq_ignore_ascii_case("email")
        || attr(el, "name").is_some_and(|n| n.to_ascii_lowercase().contains("email"));
    if let Some(form) = s.forms.last_mut() {
        form.0 |= message;
        form.1 |= password;
    }
}

/// Removes the element when its kind says so.
fn on_kind(el: &mut Element, name: &str, kind: Kind, keep_furniture: bool) -> bool {
    if name == "head" {
        // Its elements are removed one by one. Removed whole, a head that is never closed
        // (`<head><title>T</title><body>…`, common in generated documentation) would take
        // the page with it: browsers end it at the first body element, lol_html does not.
        el.remove_and_keep_content();
        true
    } else if kind == Kind::Never || (kind == Kind::Boilerplate && !keep_furniture) {
        el.remove();
        true
    } else {
        false
    }
}

fn on_meta(s: &mut State, el: &Element) {
    let key = el
        .get_attribute("property")
        .or_else(|| el.get_attribute("name"))
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some(content) = attr(el, "content")
        .map(|c| squash(&c))
        .filter(|c| !c.is_empty())
    else {
        return;
    };
    let facts = &mut s.scan.facts;
    match key.as_str() {
        "description" => facts.description = Some(content.clone()),
        "og:description" if facts.description.is_none() => {
            facts.description = Some(content.clone())
        }
        "theme-color" => facts.theme_color = Some(content.clone()),
        _ => {}
    }
    if key.starts_with("og:") || key.starts_with("twitter:") {
        s.scan.metadata.cards.entry(key).or_insert(content);
    }
}

fn on_link(s: &mut State, el: &Element, base: &Url) {
    let rel = el
        .get_attribute("rel")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let Some(href) = attr(el, "href").and_then(|h| base.join(h.trim()).ok()) else {
        return;
    };
    let markup = &mut s.scan.markup;
    for rel in rel.split_whitespace() {
        match rel {
            "canonical" => s.scan.facts.canonical = Some(href.clone()),
            "icon" => {
                s.scan.facts.icons.push(href.clone());
                markup.icons.push(href.clone());
            }
            r if r.starts_with("apple-touch-icon") => {
                s.scan.facts.icons.push(href.clone());
                markup.apple_touch_icon.get_or_insert_with(|| href.clone());
            }
            "manifest" => {
                s.scan
                    .metadata
                    .manifest
                    .get_or_insert_with(|| href.to_string());
            }
            "stylesheet" => markup.stylesheets.push(href.clone()),
            _ => continue,
        }
        break;
    }
}

/// An anchor, by its (decoded) href.
fn on_anchor(s: &mut State, href: Option<String>, base: &Url) {
    finish_anchor(s);
    let Some(href) = href else {
        return;
    };
    let href = href.trim();
    let facts = &mut s.scan.facts;
    // Crawled values: only a valid address or number is kept, never the raw link text.
    if let Some(address) = strip_prefix_ci(href, "mailto:") {
        let address = address.split('?').next().unwrap_or_default();
        if let Some(address) = untrusted::email(address)
            && !facts.emails.contains(&address)
        {
            facts.emails.push(address);
        }
    } else if let Some(number) = strip_prefix_ci(href, "tel:") {
        if let Some(number) = untrusted::phone(number)
            && !facts.phones.contains(&number)
        {
            facts.phones.push(number);
        }
    } else if let Ok(mut url) = base.join(href)
        && matches!(url.scheme(), "http" | "https")
    {
        url.set_fragment(None);
        facts.links.push(Link {
            url,
            text: String::new(),
        });
        s.anchor = Some(facts.links.len() - 1);
    }
}

/// Gives the anchor being read its text: the next anchor, or the end of the page, ends it
/// (text handlers only see text inside `a[href]`, so nothing after the anchor is added).
fn finish_anchor(s: &mut State) {
    if let Some(i) = s.anchor.take() {
        s.scan.facts.links[i].text = squash(&decode(&std::mem::take(&mut s.anchor_text)));
    }
}

fn on_title(s: &mut State, t: &TextChunk) {
    if s.title.is_some() {
        return;
    }
    s.title_text.push_str(t.as_str());
    if t.last_in_text_node() {
        let title = squash(&decode(&std::mem::take(&mut s.title_text)));
        if !title.is_empty() {
            s.title = Some(title);
        }
    }
}

fn on_script(s: &mut State, t: &TextChunk) {
    if s.script == Script::Other {
        return;
    }
    let limit = match s.script {
        Script::JsonLd => super::metadata::MAX_JSON_LD,
        _ => MAX_INLINE_SCRIPT,
    };
    if s.script_text.len() <= limit {
        s.script_text.push_str(t.as_str());
    }
    if !t.last_in_text_node() {
        return;
    }
    let text = std::mem::take(&mut s.script_text);
    if text.len() <= limit {
        match s.script {
            Script::JsonLd => s.scan.metadata.add_json_ld(&text),
            _ => s.scan.markup.inline_scripts.push(text),
        }
    }
    s.script = Script::Other;
}

/// An attribute's value with its character references decoded.
fn attr(el: &Element, name: &str) -> Option<String> {
    el.get_attribute(name).map(|v| decode(&v).into_owned())
}

/// Decodes HTML character references (lol_html passes text and attributes as written). A
/// bare `&` ("Q&A") stays as it is.
pub fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // A reference ends at `;` within a few characters; anything else is a bare `&`.
        let reference = rest[1..]
            .char_indices()
            .take(40)
            .find(|&(_, c)| c == ';' || c == '&' || c == '<' || c.is_whitespace())
            .filter(|&(_, c)| c == ';')
            .and_then(|(end, _)| {
                let len = end + 2;
                quick_xml::escape::unescape(&rest[..len])
                    .ok()
                    .map(|d| (d.into_owned(), len))
            });
        match reference {
            Some((decoded, len)) => {
                out.push_str(&decoded);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix))
    .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://shop.test/a/").unwrap()
    }

    const PAGE: &str = r##"<!doctype html><html lang="EN-gb"><head>
<title> Tea &amp; Co &ndash; shop </title>
<meta name="description" content="Loose   leaf &quot;tea&quot;">
<meta property="og:image" content="/img/card.png"><meta name="twitter:card" content="summary">
<meta name="theme-color" content="#336699">
<link rel="canonical" href="/tea"><link rel="icon" href="fav.ico">
<link rel="apple-touch-icon" href="/touch.png"><link rel="manifest" href="/site.webmanifest">
<link rel="stylesheet" href="/main.css"><style>:root { --brand: #ff0066 }</style>
<script src="https://widget.intercom.io/widget/x"></script>
<script type="application/ld+json">{"@type":"Organization","name":"Tea"}</script>
<script>window.$crisp=[];</script>
</head><body>
<header><a href="/"><img class="logo" src="/logo.svg"></a></header>
<nav><a href="/help?x=1&amp;y=2#top"><span>Help</span> <b>centre</b></a></nav>
<div class="cookie-banner">We use cookies</div>
<main><h1>Our teas</h1><p style="color:#123456">Green and black.</p>
<p><a href="mailto:Hello@Shop.test?subject=hi">mail</a> <a href="tel:+44 (20) 7946-0000">call</a></p>
<form><input type="email" name="email"><textarea name="m"></textarea></form>
<form><input name="user"><input type="password" name="p"></form>
</main>
<aside id="sidebar-related">More teas</aside>
<div id="hs-script-loader"></div>
<footer><a href="https://twitter.com/tea">Twitter</a></footer>
</body></html>"##;

    #[test]
    fn metadata_is_collected_from_the_whole_page() {
        let scan = scan(PAGE, &base(), false);
        let facts = &scan.facts;
        assert_eq!(facts.title.as_deref(), Some("Tea & Co – shop"));
        assert_eq!(facts.description.as_deref(), Some("Loose leaf \"tea\""));
        assert_eq!(facts.language.as_deref(), Some("en-gb"));
        assert_eq!(
            facts.canonical.as_ref().unwrap().as_str(),
            "https://shop.test/tea"
        );
        assert_eq!(facts.theme_color.as_deref(), Some("#336699"));
        assert_eq!(scan.metadata.cards["og:image"], "/img/card.png");
        assert_eq!(scan.metadata.cards["twitter:card"], "summary");
        assert_eq!(
            scan.metadata.manifest.as_deref(),
            Some("https://shop.test/site.webmanifest")
        );
        assert_eq!(
            scan.metadata.scripts,
            ["https://widget.intercom.io/widget/x"]
        );
        assert_eq!(
            scan.metadata.json_ld.len(),
            1,
            "JSON-LD read although its script is removed"
        );
        assert_eq!(scan.metadata.json_ld[0]["name"], "Tea");
        let markup = &scan.markup;
        assert_eq!(markup.icons[0].as_str(), "https://shop.test/a/fav.ico");
        assert_eq!(
            markup.apple_touch_icon.as_ref().unwrap().as_str(),
            "https://shop.test/touch.png"
        );
        assert_eq!(markup.stylesheets[0].as_str(), "https://shop.test/main.css");
        assert_eq!(
            markup.header_logo.as_ref().unwrap().as_str(),
            "https://shop.test/logo.svg"
        );
        assert!(markup.css.contains("--brand: #ff0066"), "{}", markup.css);
        assert!(markup.css.contains("color:#123456"), "{}", markup.css);
        assert_eq!(markup.inline_scripts, ["window.$crisp=[];"]);
        assert_eq!(markup.chat_marks, ["hs-script-loader"]);
    }

    #[test]
    fn links_inside_removed_furniture_are_still_collected_with_their_text() {
        let scan = scan(PAGE, &base(), false);
        let links: Vec<(&str, &str)> = scan
            .facts
            .links
            .iter()
            .map(|l| (l.url.as_str(), l.text.as_str()))
            .collect();
        assert!(
            links.contains(&("https://shop.test/help?x=1&y=2", "Help centre")),
            "{links:?}"
        );
        assert!(
            links.contains(&("https://twitter.com/tea", "Twitter")),
            "{links:?}"
        );
        assert_eq!(scan.facts.emails, ["hello@shop.test"]);
        assert_eq!(scan.facts.phones, ["+442079460000"]);
    }

    #[test]
    fn the_logo_is_the_first_image_in_a_logo_scope_and_only_inside_it() {
        let logo = |page: &str| {
            scan(page, &base(), false)
                .markup
                .header_logo
                .map(|u| u.to_string())
        };
        // Inside navigation, which the pass removes, and inside a "logo" wrapper.
        assert_eq!(
            logo("<nav><img src=/mark.png></nav>").as_deref(),
            Some("https://shop.test/mark.png")
        );
        assert_eq!(
            logo("<div class=Site-Logo><span><img src=brand.svg></span></div>").as_deref(),
            Some("https://shop.test/a/brand.svg")
        );
        // Once the scope is closed, an image is only a logo when it says so.
        assert_eq!(
            logo("<header><a href=/x>Home</a></header><main><img src=/photo.jpg></main>"),
            None
        );
        assert_eq!(
            logo("<nav>x</nav><p><a href=/><img src=/home.png></a><img alt='Our LOGO' src=/l.png>")
                .as_deref(),
            Some("https://shop.test/home.png")
        );
    }

    #[test]
    fn only_fields_inside_a_form_make_it_a_contact_form() {
        let page = |html: &str| scan(html, &base(), false).markup;
        assert!(!page("<form><input name=q></form><textarea></textarea>").contact_form);
        assert!(page("<form><div><textarea></textarea></div></form>").contact_form);
    }

    #[test]
    fn a_contact_form_is_told_from_a_login_form() {
        let scan = scan(PAGE, &base(), false);
        assert!(scan.markup.contact_form);
        assert!(scan.markup.password_field);
        let login = scan_login();
        assert!(!login.markup.contact_form);
        assert!(login.markup.password_field);
    }

    fn scan_login() -> Scan {
        scan(
            "<form><input type=email name=email><input type=password></form>",
            &base(),
            false,
        )
    }

    #[test]
    fn what_is_never_content_is_removed_and_furniture_left_to_measure() {
        let html = scan(PAGE, &base(), false).html;
        for gone in [
            "<script",
            "<style",
            "<nav",
            "<aside",
            "<footer",
            "<textarea",
        ] {
            assert!(!html.contains(gone), "{gone} left in {html}");
        }
        // A class word is furniture, measured by the DOM stage, never removed unmeasured.
        for kept in [
            "<header",
            "<form",
            "cookie-banner",
            "Green and black",
            "<main",
        ] {
            assert!(html.contains(kept), "{kept} missing from {html}");
        }
    }

    #[test]
    fn only_the_attributes_the_dom_stages_read_are_kept() {
        let page = "<main class=post data-id=7 onclick=go()><a href=/x title=X rel=nofollow>x</a>\
                    <div role=note itemprop=text style=color:red aria-hidden=false>y</div></main>";
        let html = scan(page, &base(), false).html;
        for kept in [
            "class=post",
            "href=/x",
            "role=note",
            "itemprop=text",
            "style=color:red",
            "aria-hidden",
        ] {
            assert!(html.contains(kept), "{kept} missing from {html}");
        }
        for gone in ["data-id", "onclick", "title=", "rel="] {
            assert!(!html.contains(gone), "{gone} left in {html}");
        }
        // Configured selectors may name any of them.
        let html = scan(page, &base(), true).html;
        assert!(html.contains("data-id=7"), "{html}");
    }

    #[test]
    fn site_selectors_keep_the_furniture_they_may_point_into() {
        let html = scan(PAGE, &base(), true).html;
        assert!(html.contains("<aside"), "{html}");
        assert!(html.contains("<nav"), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn the_largest_noscript_of_the_body_is_kept() {
        let long = "word ".repeat(200);
        let page = format!(
            "<body><noscript><img src=pixel></noscript><noscript><p>{long}</p></noscript></body>"
        );
        let scan = scan(&page, &base(), false);
        let noscript = scan.markup.noscript.expect("kept");
        assert!(noscript.contains("<p>word word"), "{noscript}");
        assert!(!scan.html.contains("<noscript"));
    }

    #[test]
    fn character_references_are_decoded_and_bare_ampersands_kept() {
        assert_eq!(decode("Q&A &amp; more &#8212; &copy;"), "Q&A & more — ©");
        assert_eq!(decode("a &unknown; b"), "a &unknown; b");
        assert!(matches!(decode("plain"), Cow::Borrowed(_)));
    }
}
