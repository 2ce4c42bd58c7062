//! Which URLs belong to the site being analysed, and the key a URL is crawled once under.

use url::Url;

/// Subdomains that hold a site's help content.
const HELP_SUBDOMAINS: &[&str] = &["help", "support", "docs", "kb"];

/// The site: the home page's host and its `www.` twin, on the same port; with
/// `help_subdomains`, also `help.`, `support.`, `docs.` and `kb.` of its registrable domain.
#[derive(Debug, Clone)]
pub struct Scope {
    bare_host: String,
    port: Option<u16>,
    help_hosts: Vec<String>,
}

impl Scope {
    pub fn new(home: &Url) -> Self {
        Self::with_help_subdomains(home, false)
    }

    pub fn with_help_subdomains(home: &Url, help_subdomains: bool) -> Self {
        let host = home.host_str().unwrap_or_default().to_ascii_lowercase();
        let registrable = match home.host() {
            Some(url::Host::Domain(_)) if help_subdomains => {
                psl::domain_str(&host).map(str::to_owned)
            }
            _ => None,
        };
        Self {
            bare_host: host.strip_prefix("www.").unwrap_or(&host).to_owned(),
            port: home.port_or_known_default(),
            help_hosts: registrable
                .map(|d| HELP_SUBDOMAINS.iter().map(|s| format!("{s}.{d}")).collect())
                .unwrap_or_default(),
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
        port_ok && (bare == self.bare_host || self.help_hosts.contains(&host))
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
    fn help_subdomains_of_the_registrable_domain_are_in_scope_when_asked() {
        let home = url("https://www.acme.co.uk/");
        let scope = Scope::with_help_subdomains(&home, true);
        assert!(scope.contains(&url("https://help.acme.co.uk/article/1")));
        assert!(scope.contains(&url("https://docs.acme.co.uk/")));
        assert!(!scope.contains(&url("https://blog.acme.co.uk/")));
        assert!(!scope.contains(&url("https://help.co.uk/")));
        assert!(!Scope::new(&home).contains(&url("https://help.acme.co.uk/")));
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
