//! Brand: colour suggestions with their source and a confidence, the logo and the favicon.
//! Colours come from theme-color, the web manifest, CSS custom properties that name the
//! brand (`--primary`, `--brand`, ...) and, least sure, the most frequent saturated colours
//! of the site's CSS.

use std::collections::HashMap;

use onboard_shared::onboarding::normalise_hex_color;
use onboard_shared::untrusted;
use serde::Serialize;
use serde_json::Value;
use url::Url;

use super::{metadata::Metadata, scan::Markup};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColourSuggestion {
    /// `#RRGGBB`.
    pub color: String,
    pub source: &'static str,
    pub confidence: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Logo {
    pub url: String,
    pub source: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Brand {
    /// Best first, one entry per colour.
    pub colors: Vec<ColourSuggestion>,
    pub logo: Option<Logo>,
    pub favicon: Option<String>,
    /// Stylesheets worth fetching for more colours (at most a few, same site first).
    pub stylesheets: Vec<String>,
}

/// Words of custom-property names that carry the brand colour.
const BRAND_WORDS: &[&str] = &["primary", "brand", "accent"];
/// Stylesheets the pipeline fetches at most.
pub const MAX_STYLESHEETS: usize = 3;

/// The brand as the home page shows it. `theme_color` is the page's meta theme-color.
pub fn detect(
    markup: &Markup,
    base: &Url,
    theme_color: Option<&str>,
    metadata: &Metadata,
) -> Brand {
    let mut brand = Brand::default();
    if let Some(color) = theme_color.and_then(parse_color) {
        add(&mut brand.colors, color, "theme-color", 0.9);
    }
    for suggestion in css_colors(&markup.css) {
        add(
            &mut brand.colors,
            suggestion.color,
            suggestion.source,
            suggestion.confidence,
        );
    }
    brand.stylesheets = markup
        .stylesheets
        .iter()
        .filter(|u| u.host_str() == base.host_str())
        .take(MAX_STYLESHEETS)
        .map(|u| u.to_string())
        .collect();

    // Crawled values: only http(s) URLs, resolved against the page, become a logo or icon.
    let absolute = |href: &str| untrusted::http_url(href, Some(base));
    let kept = |url: &Url| untrusted::http_url(url.as_str(), None);
    brand.favicon = markup
        .icons
        .iter()
        .find_map(kept)
        .or_else(|| absolute("/favicon.ico"));
    brand.logo = [
        (metadata.organization_logo().and_then(absolute), "json-ld"),
        (markup.header_logo.as_ref().and_then(kept), "header-image"),
        (
            markup.apple_touch_icon.as_ref().and_then(kept),
            "apple-touch-icon",
        ),
        (
            metadata.cards.get("og:image").and_then(|i| absolute(i)),
            "og:image",
        ),
    ]
    .into_iter()
    .find_map(|(url, source)| url.map(|url| Logo { url, source }));
    brand
}

/// Adds colours found in a web manifest (theme and background colours).
pub fn add_manifest(brand: &mut Brand, manifest: &Value, base: &Url) {
    for (key, source, confidence) in [
        ("theme_color", "manifest-theme", 0.85),
        ("background_color", "manifest-background", 0.5),
    ] {
        if let Some(color) = manifest[key].as_str().and_then(parse_color) {
            add(&mut brand.colors, color, source, confidence);
        }
    }
    if brand.logo.is_none()
        && let Some(src) = manifest["icons"]
            .as_array()
            .and_then(|icons| icons.last())
            .and_then(|i| i["src"].as_str())
        && let Some(url) = untrusted::http_url(src, Some(base))
    {
        brand.logo = Some(Logo {
            url,
            source: "manifest-icon",
        });
    }
}

/// Adds colours found in a fetched stylesheet.
pub fn add_stylesheet(brand: &mut Brand, css: &str) {
    for s in css_colors(css) {
        add(&mut brand.colors, s.color, s.source, s.confidence);
    }
}

/// Keeps one entry per colour, at its highest confidence, best first.
fn add(colors: &mut Vec<ColourSuggestion>, color: String, source: &'static str, confidence: f64) {
    if let Some(existing) = colors.iter_mut().find(|c| c.color == color) {
        if confidence > existing.confidence {
            existing.source = source;
            existing.confidence = confidence;
        }
    } else {
        colors.push(ColourSuggestion {
            color,
            source,
            confidence,
        });
    }
    colors.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
}

/// Colours in CSS: brand custom properties (confident), then the three most frequent
/// saturated colours (less so; greys, black and white say nothing about a brand).
pub fn css_colors(css: &str) -> Vec<ColourSuggestion> {
    let mut found = Vec::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    // Split at the ASCII separators with memchr's vector search: the page's CSS can be a
    // megabyte, and a `char` pattern decodes every character of it.
    let mut start = 0;
    let ends = memchr::memchr3_iter(b';', b'{', b'}', css.as_bytes()).chain([css.len()]);
    for end in ends {
        let declaration = &css[start..end];
        start = end + 1;
        let Some((property, value)) = declaration.split_once(':') else {
            continue;
        };
        // Most declarations hold no colour: find that out before copying anything.
        let Some(color) = first_color(value) else {
            continue;
        };
        let property = property.trim().to_ascii_lowercase();
        if let Some(name) = property.strip_prefix("--")
            && name.split(['-', '_']).any(|w| BRAND_WORDS.contains(&w))
            && !name
                .split(['-', '_'])
                .any(|w| matches!(w, "text" | "fg" | "foreground"))
            && saturation(&color) > 0.2
        {
            found.push(ColourSuggestion {
                color,
                source: "css-variable",
                confidence: 0.75,
            });
            continue;
        }
        if saturation(&color) > 0.35 {
            *counts.entry(color).or_default() += 1;
        }
    }
    let mut frequent: Vec<_> = counts.into_iter().collect();
    frequent.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: usize = frequent.iter().map(|(_, n)| n).sum();
    for (color, n) in frequent.into_iter().take(3) {
        found.push(ColourSuggestion {
            color,
            source: "css-frequency",
            confidence: (0.2 + 0.4 * n as f64 / total.max(1) as f64).min(0.6),
        });
    }
    found
}

/// The first colour in a CSS value: `#rgb`, `#rrggbb` or `rgb()`/`rgba()`.
fn first_color(value: &str) -> Option<String> {
    if let Some(at) = value.find('#') {
        let hex: String = value[at + 1..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        if matches!(hex.len(), 3 | 6) {
            return normalise_hex_color(&format!("#{hex}"));
        }
    }
    let at = super::ascii::find_ignore_case(value, "rgb")?;
    let inner = value[at..].split_once('(')?.1.split_once(')')?.0;
    let parts: Vec<u8> = inner
        .split([',', ' ', '/'])
        .filter(|p| !p.is_empty())
        .take(3)
        .map(|p| {
            p.trim()
                .parse::<f64>()
                .ok()
                .map(|v| v.clamp(0.0, 255.0) as u8)
        })
        .collect::<Option<_>>()?;
    (parts.len() == 3).then(|| format!("#{:02X}{:02X}{:02X}", parts[0], parts[1], parts[2]))
}

fn parse_color(s: &str) -> Option<String> {
    first_color(s)
}

/// HSL saturation of `#RRGGBB`, 0-1; near-white and near-black count as unsaturated.
fn saturation(color: &str) -> f64 {
    let channel = |i: usize| {
        u8::from_str_radix(color.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64 / 255.0
    };
    let (r, g, b) = (channel(1), channel(3), channel(5));
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let lightness = (max + min) / 2.0;
    if max == min || !(0.1..=0.95).contains(&lightness) {
        return 0.0;
    }
    (max - min) / (1.0 - (2.0 * lightness - 1.0).abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::scan;

    fn brand_of(html: &str) -> Brand {
        let base = Url::parse("https://acme.test/").unwrap();
        let scan = scan::scan(html, &base, false);
        detect(
            &scan.markup,
            &base,
            scan.facts.theme_color.as_deref(),
            &scan.metadata,
        )
    }

    #[test]
    fn each_colour_source_with_its_confidence() {
        let b = brand_of(r##"<meta name="theme-color" content="#fb8537">"##);
        assert_eq!(
            b.colors[0],
            ColourSuggestion {
                color: "#FB8537".into(),
                source: "theme-color",
                confidence: 0.9
            }
        );

        let b = brand_of("<style>:root{--color-primary: #1A73E8; --text-primary: #202124}</style>");
        assert_eq!(b.colors[0].color, "#1A73E8");
        assert_eq!(b.colors[0].source, "css-variable");
        assert!(!b.colors.iter().any(|c| c.color == "#202124"));

        let b = brand_of(
            "<style>a{color:#e91e63} .btn{background: rgb(233, 30, 99)} p{color:#333} h1{color:#00aa55}</style>",
        );
        assert_eq!(b.colors[0].color, "#E91E63", "{:?}", b.colors);
        assert_eq!(b.colors[0].source, "css-frequency");
        assert!(
            b.colors.iter().all(|c| c.color != "#333333"),
            "greys are not brand colours"
        );

        let mut b = brand_of("<p>plain</p>");
        assert!(b.colors.is_empty());
        add_manifest(
            &mut b,
            &serde_json::json!({"theme_color": "#112233", "background_color": "#ffeedd",
            "icons": [{"src": "/icon-512.png"}]}),
            &Url::parse("https://acme.test/").unwrap(),
        );
        assert_eq!(b.colors[0].source, "manifest-theme");
        assert_eq!(b.logo.unwrap().url, "https://acme.test/icon-512.png");
        let mut b = Brand::default();
        add_stylesheet(&mut b, ":root { --brand: #ff6600 }");
        assert_eq!(b.colors[0].color, "#FF6600");
    }

    #[test]
    fn logo_from_json_ld_header_touch_icon_or_og_image_and_the_favicon() {
        let b = brand_of(
            r#"<script type="application/ld+json">{"@type":"Organization","logo":"/brand.svg"}</script>
            <header><img src="/header-logo.png"></header>"#,
        );
        assert_eq!(
            b.logo.unwrap(),
            Logo {
                url: "https://acme.test/brand.svg".into(),
                source: "json-ld"
            }
        );
        let b = brand_of(
            r#"<header><a href="/"><img class="site-logo" src="/img/logo.png"></a></header>"#,
        );
        assert_eq!(b.logo.unwrap().source, "header-image");
        let b = brand_of(
            r#"<link rel="apple-touch-icon" href="/apple.png"><link rel="icon" href="/fav.png">"#,
        );
        assert_eq!(b.logo.unwrap().url, "https://acme.test/apple.png");
        assert_eq!(b.favicon.as_deref(), Some("https://acme.test/fav.png"));
        let b = brand_of(r#"<meta property="og:image" content="https://cdn.acme.test/og.png">"#);
        assert_eq!(b.logo.unwrap().source, "og:image");
        assert_eq!(b.favicon.as_deref(), Some("https://acme.test/favicon.ico"));
    }
}
