//! Domain syntax: what a customer types becomes one normalised form (lower-case, IDNA
//! punycode, no scheme, no path, optional port). Whether the name may be crawled is decided
//! later, by resolution (the crawler's address policy), never by a list of suffixes.

use std::{fmt, net::IpAddr};

use url::{Host, Url};

const MAX_INPUT: usize = 2048;
const MAX_NAME: usize = 253;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("the domain is empty")]
    Empty,
    #[error("the domain is longer than {MAX_INPUT} characters")]
    TooLong,
    #[error("the domain is not a valid host name: {0}")]
    Invalid(String),
    #[error("the domain is not a valid host name")]
    Unparsable(#[source] url::ParseError),
    #[error("only http and https addresses can be analysed")]
    Scheme,
    #[error("a domain may not carry a user name or password")]
    Credentials,
}

/// A normalised domain: a host (name in IDNA form, or an IP literal) and an optional port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain {
    host: String,
    port: Option<u16>,
}

impl Domain {
    /// Parses what a user typed or pasted: `Acme.com`, `https://www.acme.com/pricing`,
    /// `bücher.de`, `127.0.0.1:8080`, `[::1]:8080`.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(DomainError::Empty);
        }
        if input.len() > MAX_INPUT {
            return Err(DomainError::TooLong);
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(DomainError::Invalid("it contains spaces".into()));
        }
        let with_scheme = if input.contains("://") {
            input.to_owned()
        } else {
            format!("http://{input}")
        };
        let url = Url::parse(&with_scheme).map_err(DomainError::Unparsable)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(DomainError::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(DomainError::Credentials);
        }
        let host = match url.host() {
            None => return Err(DomainError::Invalid("there is no host".into())),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => format!("[{ip}]"),
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.');
                check_name(name)?;
                name.to_owned()
            }
        };
        if url.port() == Some(0) {
            return Err(DomainError::Invalid(
                "port 0 is not a port a site listens on".into(),
            ));
        }
        Ok(Self {
            host,
            port: url.port(),
        })
    }

    /// The host part: a name, an IPv4 literal, or a bracketed IPv6 literal.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The host as an address when it is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    }

    /// The site's home page under a scheme.
    pub fn home_url(&self, scheme: &str) -> Url {
        Url::parse(&format!("{scheme}://{self}/")).expect("a normalised domain forms a URL")
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// Host-name rules the URL parser is lenient about: label lengths and characters.
fn check_name(name: &str) -> Result<(), DomainError> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(DomainError::Invalid(format!(
            "a host name has 1 to {MAX_NAME} characters"
        )));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(DomainError::Invalid(
                "each part between dots has 1 to 63 characters".into(),
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(DomainError::Invalid(format!(
                "{label:?} has characters a host name cannot have"
            )));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(DomainError::Invalid(format!(
                "{label:?} starts or ends with a hyphen"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(input: &str) -> String {
        Domain::parse(input).unwrap().to_string()
    }

    #[test]
    fn normalises_case_scheme_path_and_idna() {
        assert_eq!(norm("Acme.COM"), "acme.com");
        assert_eq!(norm("https://www.Acme.com/pricing?x=1#top"), "www.acme.com");
        assert_eq!(norm("bücher.de"), "xn--bcher-kva.de");
        assert_eq!(norm("acme.com."), "acme.com");
        assert_eq!(norm("http://acme.test:8080/"), "acme.test:8080");
        assert_eq!(norm("https://acme.com:443/"), "acme.com");
        assert_eq!(norm("127.0.0.1:9000"), "127.0.0.1:9000");
        assert_eq!(norm("[::1]:9000"), "[::1]:9000");
        assert_eq!(norm("wiki.corp.internal"), "wiki.corp.internal");
    }

    #[test]
    fn refuses_what_is_not_a_host() {
        for bad in [
            "",
            "   ",
            "acme .com",
            "ftp://acme.com",
            "user:pw@acme.com",
            "-acme.com",
            "acme..com",
            "a_b.com",
            "http://",
            "acme.com:99999",
            "acme.com:0",
            "127.0.0.1:0",
        ] {
            assert!(Domain::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Domain::parse(&"a".repeat(3000)), Err(DomainError::TooLong));
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(Domain::parse(&long_label).is_err());
    }

    #[test]
    fn ip_literals_are_recognised() {
        assert_eq!(
            Domain::parse("10.0.0.1").unwrap().ip(),
            Some("10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            Domain::parse("[fe80::1]").unwrap().ip(),
            Some("fe80::1".parse().unwrap())
        );
        assert_eq!(Domain::parse("acme.com").unwrap().ip(), None);
    }
}
