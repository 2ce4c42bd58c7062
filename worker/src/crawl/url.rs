//! URL normalisation (so each page is crawled once) and crawler-trap bounds.

use url::Url;

/// Longest URL the crawler follows.
pub const MAX_URL_LEN: usize = 2048;
/// Most query parameters a followed URL may carry.
pub const MAX_QUERY_PARAMS: usize = 8;
/// Most times one path segment may repeat (`/a/b/a/b/a/…`).
pub const MAX_SEGMENT_REPEATS: usize = 3;

/// Query parameters that only track the visitor and never change the page.
const TRACKING: &[&str] = &[
    "gclid", "fbclid", "msclkid", "dclid", "yclid", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src",
];

/// The normal form: lower-case scheme and host (the parser does that), no default port, no
/// fragment, no tracking parameters, no duplicate slashes, and a path of at least `/`.
pub fn normalise(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    if u.port() == default_port(u.scheme()) {
        let _ = u.set_port(None);
    }
    if u.path().contains("//") {
        let mut path = String::with_capacity(u.path().len());
        for c in u.path().chars() {
            if !(c == '/' && path.ends_with('/')) {
                path.push(c);
            }
        }
        u.set_path(&path);
    }
    if u.query().is_some() {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                !k.starts_with("utm_") && !TRACKING.contains(&k.as_str())
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    u
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// Why a URL looks like a crawler trap, if it does.
pub fn trap(url: &Url) -> Option<&'static str> {
    if url.as_str().len() > MAX_URL_LEN {
        return Some("URL too long");
    }
    if url.query_pairs().count() > MAX_QUERY_PARAMS {
        return Some("too many query parameters");
    }
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if segments
        .iter()
        .any(|s| segments.iter().filter(|t| *t == s).count() > MAX_SEGMENT_REPEATS)
    {
        return Some("repeated path segments");
    }
    if is_calendar_like(&segments, url.query()) {
        return Some("calendar-like path");
    }
    None
}

/// `/calendar/2031/07/14`, `/events?month=2031-07`: date paths that generate pages forever.
/// A date within a few years of today is ordinary content (a blog post); one far out is not.
fn is_calendar_like(segments: &[&str], query: Option<&str>) -> bool {
    let this_year = chrono::Datelike::year(&chrono::Utc::now());
    let far = |year: i32| !(1990..=this_year + 2).contains(&year);
    let years = segments
        .iter()
        .chain(
            query
                .into_iter()
                .flat_map(|q| q.split(['&', '=', '-', '/']))
                .collect::<Vec<_>>()
                .iter(),
        )
        .filter_map(|s| {
            s.get(..4)
                .filter(|_| s.len() == 4 || s.as_bytes().get(4) == Some(&b'-'))
        })
        .filter_map(|s| s.parse::<i32>().ok())
        .filter(|y| (1000..=9999).contains(y))
        .collect::<Vec<_>>();
    years.iter().any(|&y| far(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalise(&Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn normalises_case_ports_fragments_tracking_and_slashes() {
        assert_eq!(n("HTTP://Acme.Test:80/a#x"), "http://acme.test/a");
        assert_eq!(
            n("https://acme.test:443//docs//intro"),
            "https://acme.test/docs/intro"
        );
        assert_eq!(
            n("https://acme.test/p?utm_source=x&id=3&gclid=abc"),
            "https://acme.test/p?id=3"
        );
        assert_eq!(
            n("https://acme.test/p?utm_campaign=y"),
            "https://acme.test/p"
        );
        assert_eq!(n("https://acme.test:8443/"), "https://acme.test:8443/");
    }

    #[test]
    fn traps_are_recognised() {
        let t = |s: &str| trap(&Url::parse(s).unwrap());
        assert_eq!(
            t(&format!("https://a.test/{}", "x".repeat(3000))),
            Some("URL too long")
        );
        assert_eq!(
            t("https://a.test/p?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9"),
            Some("too many query parameters")
        );
        assert_eq!(
            t("https://a.test/a/b/a/b/a/b/a/b"),
            Some("repeated path segments")
        );
        assert_eq!(
            t("https://a.test/calendar/2087/01/01"),
            Some("calendar-like path")
        );
        assert_eq!(
            t("https://a.test/events?month=1712-03"),
            Some("calendar-like path")
        );
        assert_eq!(t("https://a.test/blog/2024/05/launch"), None);
        assert_eq!(t("https://a.test/docs/getting-started"), None);
    }
}
