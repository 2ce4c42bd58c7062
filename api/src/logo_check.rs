//! What an uploaded logo is, decided by its content (never its name or declared type):
//! PNG or JPEG within 2048x2048 (read from the header), or an SVG with no scripts, event
//! handlers, `javascript:`/`data:` links, external references or `foreignObject`.

use quick_xml::{Reader, events::Event};

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

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogoError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {MAX_LOGO_BYTES} bytes")]
    TooLarge,
    #[error("the file is not a PNG, JPEG or SVG image")]
    UnsupportedType,
    #[error("the image header cannot be read: {0}")]
    Unreadable(String),
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
    let size = imagesize::blob_size(bytes).map_err(|e| LogoError::Unreadable(e.to_string()))?;
    let (width, height) = (size.width as u32, size.height as u32);
    if width == 0 || height == 0 {
        return Err(LogoError::Unreadable("zero width or height".into()));
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

/// Elements that run code, embed foreign content or pull in other documents.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "foreignobject",
    "iframe",
    "embed",
    "object",
    "handler",
    "listener",
];

fn unsafe_svg(why: impl Into<String>) -> LogoError {
    LogoError::UnsafeSvg(why.into())
}

fn check_svg(bytes: &[u8]) -> Result<(), LogoError> {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut root_seen = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| unsafe_svg(format!("not well-formed XML: {e}")))?;
        match event {
            // Entities can expand without bound or reach files: no DTDs at all.
            Event::DocType(_) => return Err(unsafe_svg("a DOCTYPE is not allowed")),
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if !root_seen {
                    if name != "svg" {
                        return Err(LogoError::UnsupportedType);
                    }
                    root_seen = true;
                }
                if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
                    return Err(unsafe_svg(format!("<{name}> is not allowed")));
                }
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| unsafe_svg(format!("bad attribute: {e}")))?;
                    let key = String::from_utf8_lossy(attr.key.local_name().as_ref())
                        .to_ascii_lowercase();
                    let value = String::from_utf8_lossy(&attr.value).to_ascii_lowercase();
                    let value: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                    if key.starts_with("on") {
                        return Err(unsafe_svg(format!(
                            "the event handler {key} is not allowed"
                        )));
                    }
                    if value.contains("javascript:")
                        || value.contains("data:") && key.ends_with("href")
                    {
                        return Err(unsafe_svg(format!("{key} links to a script or data URL")));
                    }
                    if key == "href" && !value.starts_with('#') {
                        return Err(unsafe_svg(format!("{key} refers to an external resource")));
                    }
                    if value.contains("url(") && !value.contains("url(#") {
                        return Err(unsafe_svg(format!("{key} refers to an external resource")));
                    }
                }
            }
            Event::Text(t) => {
                let text = String::from_utf8_lossy(&t).to_ascii_lowercase();
                if text.contains("@import") || (text.contains("url(") && !text.contains("url(#")) {
                    return Err(unsafe_svg("a style refers to an external resource"));
                }
            }
            Event::PI(_) => {}
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if root_seen {
        Ok(())
    } else {
        Err(LogoError::UnsupportedType)
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
            assert!(
                matches!(inspect(svg.as_bytes()), Err(LogoError::UnsafeSvg(_))),
                "{why}: {svg}"
            );
        }
    }

    #[test]
    fn other_content_is_refused_whatever_its_name() {
        assert_eq!(
            inspect(b"<html><body>hi</body></html>"),
            Err(LogoError::UnsupportedType)
        );
        assert_eq!(inspect(b"GIF89a...."), Err(LogoError::UnsupportedType));
        assert_eq!(inspect(b""), Err(LogoError::Empty));
    }
}
