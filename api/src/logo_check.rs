//! What an uploaded logo is, decided by its content (never its name or declared type):
//! PNG or JPEG within 2048x2048 (read from the header), or an SVG made only of the
//! elements and attributes an allow-list names (shapes, text, gradients, filters, styles),
//! with no reference outside the file. The serving CSP is the second layer.

use quick_xml::{
    NsReader, XmlVersion, escape::resolve_predefined_entity, events::Event, name::ResolveResult,
};

pub const MAX_LOGO_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_DIMENSION: u32 = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Svg,
}

impl Kind {
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Png => "png",
            Kind::Jpeg => "jpg",
            Kind::Svg => "svg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Svg => "image/svg+xml",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Logo {
    pub kind: Kind,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogoError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {MAX_LOGO_BYTES} bytes")]
    TooLarge,
    #[error("the file is not a PNG, JPEG or SVG image")]
    UnsupportedType,
    #[error("the image header cannot be read")]
    Unreadable(#[source] imagesize::ImageError),
    #[error("the image has no width or height")]
    NoSize,
    #[error("the image is {0}x{1}; at most {MAX_DIMENSION}x{MAX_DIMENSION} is accepted")]
    Dimensions(u32, u32),
    #[error("the SVG is refused: {0}")]
    UnsafeSvg(String),
}

pub fn inspect(bytes: &[u8]) -> Result<Logo, LogoError> {
    if bytes.is_empty() {
        return Err(LogoError::Empty);
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(LogoError::TooLarge);
    }
    let kind = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Kind::Png
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Kind::Jpeg
    } else if looks_like_svg(bytes) {
        check_svg(bytes)?;
        return Ok(Logo {
            kind: Kind::Svg,
            width: None,
            height: None,
        });
    } else {
        return Err(LogoError::UnsupportedType);
    };
    let size = imagesize::blob_size(bytes).map_err(LogoError::Unreadable)?;
    let (width, height) = (size.width as u32, size.height as u32);
    if width == 0 || height == 0 {
        return Err(LogoError::NoSize);
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(LogoError::Dimensions(width, height));
    }
    Ok(Logo {
        kind,
        width: Some(width),
        height: Some(height),
    })
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    head.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
        && head.contains("<svg")
}

fn unsafe_svg(why: impl Into<String>) -> LogoError {
    LogoError::UnsafeSvg(why.into())
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Namespaces of the metadata drawing programs leave in their SVG files (Inkscape,
/// Sodipodi, RDF, Dublin Core, Creative Commons). Browsers render nothing from them; their
/// values still pass the same value checks.
const EDITOR_NS: &[&str] = &[
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/terms/",
    "http://creativecommons.org/ns#",
];

/// The SVG elements a logo may use: structure, shapes, text, paint servers, clipping,
/// masking, filters and styles. Everything else is refused: scripts, foreign content,
/// links, images, animation, fonts, views.
const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "desc",
    "title",
    "metadata",
    "symbol",
    "use",
    "switch",
    "style",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "linearGradient",
    "radialGradient",
    "stop",
    "pattern",
    "clipPath",
    "mask",
    "marker",
    "filter",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "feTurbulence",
];

/// Attributes (without a namespace) the allowed elements may carry: geometry,
/// presentation, text, paint servers and filter parameters, ids and classes. Event
/// handlers and anything that loads or runs something are not among them.
const ATTRIBUTES: &[&str] = &[
    "id",
    "class",
    "style",
    "lang",
    "tabindex",
    "role",
    "focusable",
    "version",
    "baseProfile",
    "viewBox",
    "preserveAspectRatio",
    "transform",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "fr",
    "d",
    "points",
    "pathLength",
    "href",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "opacity",
    "color",
    "display",
    "visibility",
    "overflow",
    "clip",
    "clip-path",
    "clip-rule",
    "mask",
    "filter",
    "marker-start",
    "marker-mid",
    "marker-end",
    "paint-order",
    "vector-effect",
    "shape-rendering",
    "text-rendering",
    "image-rendering",
    "color-interpolation",
    "color-interpolation-filters",
    "color-rendering",
    "mix-blend-mode",
    "isolation",
    "enable-background",
    "font-family",
    "font-size",
    "font-size-adjust",
    "font-weight",
    "font-style",
    "font-variant",
    "font-stretch",
    "letter-spacing",
    "word-spacing",
    "kerning",
    "text-anchor",
    "text-decoration",
    "dominant-baseline",
    "alignment-baseline",
    "baseline-shift",
    "writing-mode",
    "direction",
    "unicode-bidi",
    "dx",
    "dy",
    "rotate",
    "textLength",
    "lengthAdjust",
    "startOffset",
    "method",
    "spacing",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "patternUnits",
    "patternContentUnits",
    "patternTransform",
    "clipPathUnits",
    "maskUnits",
    "maskContentUnits",
    "filterUnits",
    "primitiveUnits",
    "markerWidth",
    "markerHeight",
    "markerUnits",
    "refX",
    "refY",
    "orient",
    "in",
    "in2",
    "result",
    "stdDeviation",
    "edgeMode",
    "mode",
    "type",
    "values",
    "operator",
    "k1",
    "k2",
    "k3",
    "k4",
    "flood-color",
    "flood-opacity",
    "lighting-color",
    "radius",
    "baseFrequency",
    "numOctaves",
    "seed",
    "stitchTiles",
    "tableValues",
    "slope",
    "intercept",
    "amplitude",
    "exponent",
    "requiredFeatures",
    "requiredExtensions",
    "systemLanguage",
    "data-name",
    "space",
];

/// Nesting, attributes per element and elements in all: far above what a logo needs, and
/// low enough that no file under the size limit makes the check slow.
const MAX_DEPTH: usize = 64;
const MAX_ATTRIBUTES: usize = 64;
const MAX_ELEMENTS: usize = 20_000;

/// Checks an SVG against the allow-lists over a real XML parse: namespaces resolved,
/// entities and character references decoded before values are judged, CDATA and
/// processing instructions seen. Anything not allowed is refused.
fn check_svg(bytes: &[u8]) -> Result<(), LogoError> {
    let mut reader = NsReader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut root_seen = false;
    let (mut depth, mut elements) = (0usize, 0usize);
    // The text of the <style> element being read, when one is open.
    let mut style: Option<String> = None;
    loop {
        let (ns, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| unsafe_svg(format!("it is not well-formed XML: {e}")))?;
        match event {
            // Entities can expand without bound or reach files: no DTDs at all.
            Event::DocType(_) => return Err(unsafe_svg("a DOCTYPE is not allowed")),
            Event::PI(_) => {
                return Err(unsafe_svg(
                    "processing instructions (such as xml-stylesheet) are not allowed",
                ));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(unsafe_svg(format!("more than {MAX_ELEMENTS} elements")));
                }
                if !empty {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(unsafe_svg(format!("nested deeper than {MAX_DEPTH}")));
                    }
                }
                let name = e.local_name().as_ref().to_owned();
                let editor = match namespace(&ns) {
                    Some(n) if n == SVG_NS => false,
                    None => false,
                    Some(n) if EDITOR_NS.contains(&n) => true,
                    Some(n) => {
                        return Err(unsafe_svg(format!(
                            "<{name}> in the namespace {n} is not allowed"
                        )));
                    }
                };
                if !root_seen {
                    if editor || name != "svg" {
                        return Err(LogoError::UnsupportedType);
                    }
                    root_seen = true;
                }
                if !editor && !ELEMENTS.contains(&name.as_str()) {
                    return Err(unsafe_svg(format!("<{name}> is not allowed")));
                }
                check_attributes(&reader, e, &name, editor)?;
                if !empty && !editor && name == "style" {
                    style = Some(String::new());
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if let Some(css) = style.take() {
                    check_css(&css, "a <style> element")?;
                }
            }
            Event::Text(t) => {
                if let Some(css) = style.as_mut() {
                    css.push_str(&t);
                }
            }
            Event::CData(t) => {
                if let Some(css) = style.as_mut() {
                    css.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => resolve_predefined_entity(&r)
                        .ok_or_else(|| unsafe_svg(format!("the entity &{}; is not defined", &*r)))?
                        .to_owned(),
                    Err(e) => return Err(unsafe_svg(format!("a bad character reference: {e}"))),
                };
                if let Some(css) = style.as_mut() {
                    css.push_str(&text);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) => {}
        }
        buf.clear();
    }
    if root_seen {
        Ok(())
    } else {
        Err(LogoError::UnsupportedType)
    }
}

fn namespace<'a>(ns: &'a ResolveResult<'_>) -> Option<&'a str> {
    match ns {
        ResolveResult::Bound(n) => Some(n.0),
        // An undeclared prefix: not a namespace we allow.
        ResolveResult::Unknown(_) => Some("(undeclared)"),
        ResolveResult::Unbound => None,
    }
}

fn check_attributes<R>(
    reader: &NsReader<R>,
    e: &quick_xml::events::BytesStart<'_>,
    element: &str,
    editor_element: bool,
) -> Result<(), LogoError> {
    for (i, attr) in e.attributes().enumerate() {
        if i >= MAX_ATTRIBUTES {
            return Err(unsafe_svg(format!(
                "<{element}> has more than {MAX_ATTRIBUTES} attributes"
            )));
        }
        let attr = attr.map_err(|e| unsafe_svg(format!("a bad attribute: {e}")))?;
        let (ns, local) = reader.resolver().resolve_attribute(attr.key);
        let key = local.as_ref();
        let qualified = attr.key.as_ref();
        // Entities and character references decoded: `&#106;avascript:` is `javascript:`.
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| unsafe_svg(format!("the value of {qualified} cannot be read: {e}")))?;
        let allowed = match namespace(&ns) {
            _ if qualified == "xmlns" || qualified.starts_with("xmlns:") => true,
            Some(n) if n == XMLNS_NS => true,
            // An editor's own elements are never rendered: their attributes are its own.
            None => editor_element || ATTRIBUTES.contains(&key),
            Some(n) if n == XLINK_NS => key == "href" || key == "title",
            Some(n) if n == XML_NS => matches!(key, "space" | "lang"),
            Some(n) => EDITOR_NS.contains(&n),
        };
        if !allowed {
            return Err(unsafe_svg(format!(
                "the attribute {qualified} is not allowed on <{element}>"
            )));
        }
        if key == "href" && !value.trim_start().starts_with('#') {
            return Err(unsafe_svg(format!(
                "{qualified} must refer to an element of the same file (#id)"
            )));
        }
        check_css(&value, &format!("the attribute {qualified}"))?;
    }
    Ok(())
}

/// A style sheet or attribute value that could load or run something: an import, a URL
/// other than a reference within the file, a script URL, or CSS escapes that could spell
/// one of those.
fn check_css(value: &str, what: &str) -> Result<(), LogoError> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let refused = if compact.contains('\\') {
        Some("escapes")
    } else if compact.contains('@') {
        Some("an at-rule (such as @import)")
    } else if compact.match_indices("url(").any(|(i, _)| {
        !compact[i + 4..]
            .trim_start_matches(['"', '\''])
            .starts_with('#')
    }) {
        Some("a URL to another resource")
    } else if [
        "javascript:",
        "vbscript:",
        "expression(",
        "-moz-binding",
        "behavior:",
    ]
    .iter()
    .any(|bad| compact.contains(bad))
    {
        Some("a script or data reference")
    } else {
        None
    };
    match refused {
        Some(why) => Err(unsafe_svg(format!("{what} contains {why}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG_OK: &str = r##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="10" height="10"/><use href="#g"/></svg>"##;

    #[test]
    fn a_clean_svg_passes() {
        assert_eq!(inspect(SVG_OK.as_bytes()).unwrap().kind, Kind::Svg);
    }

    #[test]
    fn what_drawing_programs_write_passes() {
        let inkscape = r##"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) -->
<svg xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cc="http://creativecommons.org/ns#"
  xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:svg="http://www.w3.org/2000/svg"
  xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
  xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
  xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
  width="64" height="64" viewBox="0 0 64 64" version="1.1" sodipodi:docname="logo.svg">
  <metadata><rdf:RDF><cc:Work rdf:about=""><dc:format>image/svg+xml</dc:format></cc:Work></rdf:RDF></metadata>
  <sodipodi:namedview pagecolor="#ffffff" inkscape:zoom="4"/>
  <style type="text/css"><![CDATA[ .st0{fill:#FB8537;} ]]></style>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer"><circle class="st0" cx="32" cy="32" r="30"/>
  <use xlink:href="#c" x="2" xml:space="preserve"/></g></svg>"##;
        assert_eq!(inspect(inkscape.as_bytes()).unwrap().kind, Kind::Svg);
    }

    fn refused(svg: &str) -> bool {
        matches!(inspect(svg.as_bytes()), Err(LogoError::UnsafeSvg(_)))
    }

    #[test]
    fn dangerous_svgs_are_refused() {
        for (svg, why) in [
            (r#"<svg><script>alert(1)</script></svg>"#, "script"),
            (r#"<svg onload="alert(1)"/>"#, "onload"),
            (
                r#"<svg><a href="javascript:alert(1)"><text>x</text></a></svg>"#,
                "javascript",
            ),
            (
                r#"<svg xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="https://evil.test/x.png"/></svg>"#,
                "external",
            ),
            (
                r#"<svg><foreignObject><div>x</div></foreignObject></svg>"#,
                "foreignobject",
            ),
            (
                r#"<svg><style>@import url(https://evil.test/x.css);</style></svg>"#,
                "style",
            ),
            (
                r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>"#,
                "doctype",
            ),
            (
                r#"<svg><image href="data:image/svg+xml;base64,AAAA"/></svg>"#,
                "data",
            ),
        ] {
            assert!(refused(svg), "{why}: {svg}");
        }
    }

    /// The bypasses an attack on the earlier deny-list found, each refused now.
    #[test]
    fn the_deny_list_bypasses_are_refused() {
        const NS: &str = r#"xmlns="http://www.w3.org/2000/svg""#;
        for (svg, why) in [
            (
                format!(r#"<svg {NS}><style>@import "https://evil.test/a.css";</style></svg>"#),
                "@import without url()",
            ),
            (
                format!(
                    r#"<svg {NS}><style>rect {{ fill: url(https://evil.test/x) }}</style></svg>"#
                ),
                "url() in a style",
            ),
            (
                format!(
                    r#"<svg {NS}><style><![CDATA[@import url(https://evil.test/a.css);]]></style></svg>"#
                ),
                "@import in CDATA",
            ),
            (
                format!(
                    r#"<svg {NS}><style>&#64;import url(https://evil.test/a.css);</style></svg>"#
                ),
                "@import entity-encoded",
            ),
            (
                format!(
                    r#"<svg {NS}><style>rect {{ fill: u&#114;l(https://evil.test/x) }}</style></svg>"#
                ),
                "url( entity-encoded",
            ),
            (
                format!(
                    r#"<svg {NS}><style>rect {{ fill: \75 rl(https://evil.test/x) }}</style></svg>"#
                ),
                "url( CSS-escaped",
            ),
            (
                format!(r#"<?xml-stylesheet href="https://evil.test/a.css"?><svg {NS}/>"#),
                "xml-stylesheet processing instruction",
            ),
            (
                format!(
                    r#"<svg {NS}><a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a></svg>"#
                ),
                "<set> turning href into a script",
            ),
            (
                format!(
                    r#"<svg {NS}><animate attributeName="href" values="javascript:alert(1)"/></svg>"#
                ),
                "<animate>",
            ),
            (
                format!(
                    r#"<svg {NS} xmlns:h="http://www.w3.org/1999/xhtml"><h:img src="x" onerror="alert(1)"/></svg>"#
                ),
                "XHTML img",
            ),
            (
                format!(
                    r#"<svg {NS}><form xmlns="http://www.w3.org/1999/xhtml" action="https://evil.test/"/></svg>"#
                ),
                "XHTML form",
            ),
            (
                format!(
                    r#"<svg {NS}><meta xmlns="http://www.w3.org/1999/xhtml" http-equiv="refresh" content="0;url=https://evil.test/"/></svg>"#
                ),
                "XHTML meta refresh",
            ),
            (
                format!(r#"<svg {NS}><rect style="fill: u&#x72;l(https://evil.test/x)"/></svg>"#),
                "url( in a style attribute, entity-encoded",
            ),
            (
                format!(r#"<svg {NS}><use href="https://evil.test/sprite.svg#a"/></svg>"#),
                "external use",
            ),
            (
                format!(r#"<svg {NS}><rect x="1" &#111;nclick="x"/></svg>"#),
                "malformed attribute name",
            ),
            (
                format!(r#"<svg {NS}><rect fill="red" data-x="1"/></svg>"#),
                "an attribute not on the list",
            ),
            (
                format!(r#"<svg {NS}><x:rect xmlns:x="urn:evil"/></svg>"#),
                "an unknown namespace",
            ),
        ] {
            assert!(refused(&svg), "{why}: {svg}");
        }
    }

    #[test]
    fn attribute_and_depth_bombs_are_refused_at_once() {
        let many: String = (0..160_000).map(|i| format!(" a{i}=\"1\"")).collect();
        let bomb = format!(r#"<svg xmlns="http://www.w3.org/2000/svg"{many}/>"#);
        assert!(bomb.len() < MAX_LOGO_BYTES);
        let started = std::time::Instant::now();
        assert!(refused(&bomb));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );

        let deep = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg">{}{}</svg>"#,
            "<g>".repeat(100),
            "</g>".repeat(100)
        );
        assert!(refused(&deep));
    }

    #[test]
    fn other_content_is_refused_whatever_its_name() {
        assert!(matches!(
            inspect(b"<html><body>hi</body></html>"),
            Err(LogoError::UnsupportedType)
        ));
        assert!(matches!(
            inspect(b"GIF89a...."),
            Err(LogoError::UnsupportedType)
        ));
        assert!(matches!(inspect(b""), Err(LogoError::Empty)));
    }
}
