//! Which URLs belong to the site being analysed, and the key a URL is crawled once under.

use url::Url;

/// The site: the home page's host and its `www.` twin, on the same port.
#[derive(Debug, Clone)]
pub struct Scope {
    bare_host: String,
    port: Option<u16>,
}

impl Scope {
    pub fn new(home: &Url) -> Self {
        let host = home.host_str().unwrap_or_default().to_ascii_lowercase();
        Self {
            bare_host: host.strip_prefix("www.").unwrap_or(&host).to_owned(),
            port: home.port_or_known_default(),
        }
    }

    pub fn contains(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let bare = host.strip_prefix("www.").unwrap_or(&host);
        // A non-default port must match; the default ports of http and https are one site.
        let port_ok = match (self.port, url.port()) {
            (_, None) => matches!(self.port, Some(80 | 443) | None),
            (mine, theirs) => mine == theirs,
        };
        bare == self.bare_host && port_ok
    }
}

/// The crawl-once key: scheme-less, fragment-less, host lower-cased.
pub fn key(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    format!(
        "{host}:{}{}{}",
        u.port_or_known_default().unwrap_or(0),
        u.path(),
        u.query().map(|q| format!("?{q}")).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn same_host_and_www_twin_are_in_scope() {
        let scope = Scope::new(&url("https://acme.test/"));
        assert!(scope.contains(&url("https://acme.test/a")));
        assert!(scope.contains(&url("http://www.acme.test/b")));
        assert!(!scope.contains(&url("https://other.test/")));
        assert!(!scope.contains(&url("https://acme.test:8443/")));
        assert!(!scope.contains(&url("mailto:x@acme.test")));
    }

    #[test]
    fn ports_must_match_when_not_default() {
        let scope = Scope::new(&url("http://127.0.0.1:9000/"));
        assert!(scope.contains(&url("http://127.0.0.1:9000/x")));
        assert!(!scope.contains(&url("http://127.0.0.1:9001/x")));
        assert!(!scope.contains(&url("http://127.0.0.1/x")));
    }

    #[test]
    fn key_ignores_fragment_and_www() {
        assert_eq!(
            key(&url("https://www.acme.test/a#x")),
            key(&url("https://acme.test/a"))
        );
        assert_ne!(
            key(&url("https://acme.test/a?b=1")),
            key(&url("https://acme.test/a"))
        );
    }
}
