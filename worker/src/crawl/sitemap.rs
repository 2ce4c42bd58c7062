//! sitemap.xml discovery: urlsets and sitemap indexes, plain or gzip-compressed, from
//! `/sitemap.xml` and the `Sitemap:` lines of robots.txt. Bounded: at most 50,000 URLs and
//! 50 MB (decompressed) per sitemap, indexes followed two levels deep, 20 sitemaps a run,
//! and at most `max_kept` page URLs kept across them (the rest are only counted).

use std::io::Read;

use quick_xml::{Reader, escape::resolve_predefined_entity, events::Event};
use url::Url;

use super::fetch::Fetcher;

#[derive(Debug, Clone, Copy)]
pub struct SitemapLimits {
    pub max_urls: usize,
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_sitemaps: usize,
    /// Page URLs kept across all the run's sitemaps; those beyond are counted only.
    pub max_kept: usize,
}

impl Default for SitemapLimits {
    fn default() -> Self {
        Self {
            max_urls: 50_000,
            max_bytes: 50 * 1024 * 1024,
            max_depth: 2,
            max_sitemaps: 20,
            max_kept: 50_000,
        }
    }
}

/// What one sitemap document lists.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    /// At most the `keep` asked for.
    pub pages: Vec<String>,
    /// Page entries listed beyond `keep`: counted, not kept.
    pub dropped: usize,
    pub sitemaps: Vec<String>,
    /// More entries than the limit; the rest were not read.
    pub truncated: bool,
}

/// Parses a sitemap (gzip detected by its magic bytes), reading at most `max_urls` entries
/// and keeping at most `keep` page URLs of them.
pub fn parse(body: &[u8], limits: &SitemapLimits, keep: usize) -> Result<Parsed, String> {
    let xml = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // Read one byte past the cap, so a bomb is noticed rather than silently cut.
        flate2::read::GzDecoder::new(body)
            .take(limits.max_bytes as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("bad gzip: {e}"))?;
        if out.len() > limits.max_bytes {
            return Err(format!(
                "larger than {} bytes once decompressed",
                limits.max_bytes
            ));
        }
        out
    } else {
        body.to_vec()
    };

    let mut reader = Reader::from_reader(xml.as_slice());
    reader.config_mut().trim_text(true);
    let mut parsed = Parsed::default();
    let (mut in_loc, mut in_sitemap, mut buf) = (false, false, Vec::new());
    // A <loc> arrives as text pieces and entity references (`&amp;`), joined here.
    let mut loc = String::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "loc" => {
                    in_loc = true;
                    loc.clear();
                }
                "sitemap" => in_sitemap = true,
                _ => {}
            },
            Ok(Event::Text(t)) if in_loc => loc.push_str(&t),
            Ok(Event::CData(t)) if in_loc => loc.push_str(&t),
            Ok(Event::GeneralRef(r)) if in_loc => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    loc.push(c);
                } else if let Some(text) = resolve_predefined_entity(&r) {
                    loc.push_str(text);
                }
            }
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "loc" if in_loc => {
                    in_loc = false;
                    if parsed.pages.len() + parsed.dropped + parsed.sitemaps.len()
                        >= limits.max_urls
                    {
                        parsed.truncated = true;
                        break;
                    }
                    let loc = loc.trim().to_owned();
                    if in_sitemap {
                        parsed.sitemaps.push(loc);
                    } else if parsed.pages.len() < keep {
                        parsed.pages.push(loc);
                    } else {
                        parsed.dropped += 1;
                    }
                }
                "sitemap" => in_sitemap = false,
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => return Err(format!("bad XML at byte {}: {e}", reader.buffer_position())),
            _ => {}
        }
        buf.clear();
    }
    Ok(parsed)
}

/// What the sitemaps of a site list.
#[derive(Debug, Default)]
pub struct Discovered {
    /// At most `max_kept`.
    pub pages: Vec<Url>,
    /// Page URLs listed beyond `max_kept`.
    pub dropped: usize,
    /// A note for each sitemap that could not be used (whole).
    pub notes: Vec<String>,
}

/// Fetches the sitemaps reachable from `roots` and returns the page URLs they list.
pub async fn discover(fetcher: &Fetcher, roots: Vec<Url>, limits: SitemapLimits) -> Discovered {
    let mut pages = Vec::new();
    let mut dropped = 0;
    let mut notes = Vec::new();
    let mut queue: Vec<(Url, usize)> = roots.into_iter().map(|u| (u, 0)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut fetched = 0;
    while let Some((url, depth)) = queue.pop() {
        if !seen.insert(url.to_string()) {
            continue;
        }
        if fetched == limits.max_sitemaps {
            notes.push(format!("{url}: more than {} sitemaps", limits.max_sitemaps));
            continue;
        }
        fetched += 1;
        let body = match fetcher.get_limited(&url, limits.max_bytes).await {
            Ok(r) if r.status.is_success() && !r.truncated => r.body,
            Ok(r) if r.truncated => {
                notes.push(format!("{url}: larger than {} bytes", limits.max_bytes));
                continue;
            }
            Ok(r) => {
                // A missing default sitemap is normal; only say so for ones that were named.
                if r.status.as_u16() != 404 || depth > 0 {
                    notes.push(format!("{url}: HTTP {}", r.status.as_u16()));
                }
                continue;
            }
            Err(e) => {
                notes.push(format!("{url}: {e}"));
                continue;
            }
        };
        let keep = limits.max_kept.saturating_sub(pages.len());
        let parsed = match tokio::task::spawn_blocking(move || parse(&body, &limits, keep)).await {
            Ok(Ok(parsed)) => parsed,
            Ok(Err(e)) => {
                notes.push(format!("{url}: {e}"));
                continue;
            }
            Err(e) => {
                notes.push(format!("{url}: {e}"));
                continue;
            }
        };
        if parsed.truncated {
            notes.push(format!(
                "{url}: more than {} entries; the rest were ignored",
                limits.max_urls
            ));
        }
        pages.extend(parsed.pages.iter().filter_map(|p| url.join(p).ok()));
        dropped += parsed.dropped;
        if depth < limits.max_depth {
            queue.extend(
                parsed
                    .sitemaps
                    .iter()
                    .filter_map(|s| url.join(s).ok())
                    .map(|s| (s, depth + 1)),
            );
        } else if !parsed.sitemaps.is_empty() {
            notes.push(format!(
                "{url}: sitemap index nested deeper than {}",
                limits.max_depth
            ));
        }
    }
    Discovered {
        pages,
        dropped,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const URLSET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://a.test/one</loc><lastmod>2024-01-01</lastmod></url>
  <url><loc> https://a.test/two?x=1&amp;y=2 </loc></url>
</urlset>"#;

    #[test]
    fn urlsets_and_indexes_parse() {
        let parsed = parse(URLSET.as_bytes(), &SitemapLimits::default(), usize::MAX).unwrap();
        assert_eq!(
            parsed.pages,
            ["https://a.test/one", "https://a.test/two?x=1&y=2"]
        );
        let index = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>https://a.test/s1.xml.gz</loc></sitemap></sitemapindex>"#;
        let parsed = parse(index.as_bytes(), &SitemapLimits::default(), usize::MAX).unwrap();
        assert_eq!(parsed.sitemaps, ["https://a.test/s1.xml.gz"]);
        assert!(parsed.pages.is_empty());
    }

    #[test]
    fn gzip_is_read_and_bombs_are_refused() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(URLSET.as_bytes()).unwrap();
        let parsed = parse(&gz.finish().unwrap(), &SitemapLimits::default(), usize::MAX).unwrap();
        assert_eq!(parsed.pages.len(), 2);

        let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        bomb.write_all(&vec![b' '; 2 * 1024 * 1024]).unwrap();
        let limits = SitemapLimits {
            max_bytes: 1024 * 1024,
            ..SitemapLimits::default()
        };
        assert!(
            parse(&bomb.finish().unwrap(), &limits, usize::MAX)
                .unwrap_err()
                .contains("decompressed")
        );
    }

    #[test]
    fn entries_past_the_limit_are_dropped() {
        let many: String = (0..100)
            .map(|i| format!("<url><loc>https://a.test/{i}</loc></url>"))
            .collect();
        let limits = SitemapLimits {
            max_urls: 10,
            ..SitemapLimits::default()
        };
        let parsed = parse(
            format!("<urlset>{many}</urlset>").as_bytes(),
            &limits,
            usize::MAX,
        )
        .unwrap();
        assert_eq!(parsed.pages.len(), 10);
        assert!(parsed.truncated);
    }

    #[test]
    fn pages_past_what_is_kept_are_counted_not_kept() {
        let many: String = (0..100)
            .map(|i| format!("<url><loc>https://a.test/{i}</loc></url>"))
            .collect();
        let parsed = parse(
            format!("<urlset>{many}</urlset>").as_bytes(),
            &SitemapLimits::default(),
            30,
        )
        .unwrap();
        assert_eq!((parsed.pages.len(), parsed.dropped), (30, 70));
        assert!(!parsed.truncated);
    }
}
