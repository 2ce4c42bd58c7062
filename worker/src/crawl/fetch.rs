//! The one guarded HTTP client for everything the crawler fetches.
//!
//! Addresses are checked where they are used: names by the resolver at connect time, IP
//! literals before each request, and every redirect hop again (redirects are followed here,
//! not by reqwest, for that reason). No environment proxy, bounded time, bounded bytes.

use std::{sync::Arc, time::Duration};

use onboard_shared::config::CrawlConfig;
use reqwest::{
    Client, StatusCode,
    dns::{Addrs, Name, Resolve, Resolving},
    header,
};
use url::{Host, Url};

use super::address::{AddressError, AddressPolicy};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error("only http and https can be fetched, not {0}")]
    Scheme(String),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("timed out")]
    Timeout,
    #[error("could not connect")]
    Connect(#[source] reqwest::Error),
    #[error("the request failed")]
    Request(#[source] reqwest::Error),
    #[error("the HTTP client could not be built")]
    Client(#[source] reqwest::Error),
}

impl FetchError {
    /// A short reason, for a page's skip reason: the failure and its innermost cause
    /// (`could not connect: Connection refused (os error 111)`).
    pub fn reason(&self) -> String {
        match self {
            FetchError::Connect(e) | FetchError::Request(e) | FetchError::Client(e) => {
                format!("{self}: {}", root_cause(e))
            }
            other => other.to_string(),
        }
    }

    /// Whether trying the same URL again, or over the other scheme, might work.
    pub fn is_connection_level(&self) -> bool {
        matches!(
            self,
            FetchError::Connect(_) | FetchError::Timeout | FetchError::Request(_)
        )
    }
}

/// A fetched response, its body cut at the byte cap (after decompression).
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL after redirects.
    pub url: Url,
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub content_language: Option<String>,
    pub body: Vec<u8>,
    pub truncated: bool,
    /// From a `Retry-After` header in seconds (429 and 503 answers).
    pub retry_after: Option<Duration>,
}

impl Fetched {
    /// The body as text: the encoding from a BOM, else the Content-Type charset, else a
    /// `<meta charset>` in the first KiB, else UTF-8.
    pub fn text(&self) -> String {
        let declared = self
            .content_type
            .as_deref()
            .and_then(|ct| {
                ct.split(';')
                    .find_map(|p| p.trim().strip_prefix("charset="))
            })
            .map(|c| c.trim_matches('"').to_owned())
            .or_else(|| meta_charset(&self.body[..self.body.len().min(1024)]));
        let encoding = declared
            .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
            .unwrap_or(encoding_rs::UTF_8);
        // decode() lets a BOM override the declared encoding, as browsers do.
        encoding.decode(&self.body).0.into_owned()
    }

    pub fn is_html(&self) -> bool {
        match &self.content_type {
            None => true,
            Some(ct) => {
                let ct = ct.to_ascii_lowercase();
                ct.starts_with("text/html") || ct.starts_with("application/xhtml+xml")
            }
        }
    }
}

/// reqwest is built without a TLS provider of its own; this installs the one sqlx already
/// brings (ring) as the process default. Safe to call more than once.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[derive(Clone)]
pub struct Fetcher {
    client: Client,
    policy: Arc<AddressPolicy>,
    max_body: usize,
    max_redirects: usize,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("policy", &self.policy)
            .finish()
    }
}

/// Resolves names through the address policy, so a connection only ever reaches a
/// permitted address. The webhook sender connects through the same guard.
pub(crate) struct GuardedResolver(pub(crate) Arc<AddressPolicy>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let addrs = policy.resolve(name.as_str()).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

impl Fetcher {
    pub fn new(config: &CrawlConfig) -> Result<Self, FetchError> {
        install_tls_provider();
        let policy = Arc::new(AddressPolicy::new(
            config.allow_cidrs.clone(),
            config.hosts.clone(),
        ));
        let client = Client::builder()
            .user_agent(config.user_agent.clone())
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver(policy.clone())))
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(FetchError::Client)?;
        Ok(Self {
            client,
            policy,
            max_body: config.max_body_bytes,
            max_redirects: config.max_redirects,
        })
    }

    pub fn policy(&self) -> &AddressPolicy {
        &self.policy
    }

    /// GETs a URL, following at most the configured number of redirects, each checked.
    pub async fn get(&self, url: &Url) -> Result<Fetched, FetchError> {
        self.get_limited(url, self.max_body).await
    }

    /// As [`Fetcher::get`], with the body cut at `max_body` bytes.
    pub async fn get_limited(&self, url: &Url, max_body: usize) -> Result<Fetched, FetchError> {
        let mut url = url.clone();
        for _ in 0..=self.max_redirects {
            self.check_url(&url)?;
            let response = self
                .client
                .get(url.clone())
                .header(
                    header::ACCEPT,
                    "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                )
                .send()
                .await
                .map_err(classify)?;
            let status = response.status();
            if status.is_redirection()
                && let Some(next) = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|loc| url.join(loc).ok())
            {
                url = next;
                continue;
            }
            return read(url, response, max_body).await;
        }
        Err(FetchError::TooManyRedirects(self.max_redirects))
    }

    fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        check_url(&self.policy, url)
    }
}

/// Refuses a URL that is not http(s) or whose host is an address the policy does not
/// permit; a name is checked by [`GuardedResolver`] when connecting.
pub(crate) fn check_url(policy: &AddressPolicy, url: &Url) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Scheme(url.scheme().to_owned()));
    }
    let host = url.host_str().unwrap_or_default();
    match url.host() {
        Some(Host::Ipv4(ip)) => policy.check(host, ip.into())?,
        Some(Host::Ipv6(ip)) => policy.check(host, ip.into())?,
        Some(Host::Domain(_)) => {} // checked by the resolver when connecting
        None => return Err(FetchError::Scheme("(no host)".into())),
    }
    Ok(())
}

async fn read(
    url: Url,
    mut response: reqwest::Response,
    max_body: usize,
) -> Result<Fetched, FetchError> {
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(header::CONTENT_TYPE);
    let content_language = header(header::CONTENT_LANGUAGE);
    let retry_after = header(header::RETRY_AFTER)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut body = Vec::new();
    let mut truncated = false;
    // Chunks arrive decompressed, so the cap bounds what a gzip or brotli bomb can expand to.
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        let room = max_body - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        url,
        status,
        content_type,
        content_language,
        body,
        truncated,
        retry_after,
    })
}

/// A `<meta charset=…>` or `<meta http-equiv content="…; charset=…">` label.
fn meta_charset(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = text.find("charset=")? + "charset=".len();
    let label: String = text[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    (!label.is_empty()).then_some(label)
}

/// Maps a reqwest error to ours, keeping an address refusal from the resolver as such.
pub(crate) fn classify(error: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<AddressError>() {
            return FetchError::Address(refused.clone());
        }
        source = e.source();
    }
    if error.is_timeout() {
        FetchError::Timeout
    } else if error.is_connect() {
        FetchError::Connect(error)
    } else {
        FetchError::Request(error)
    }
}

fn root_cause(error: &dyn std::error::Error) -> String {
    let mut last = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        last = e.to_string();
        source = e.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(content_type: Option<&str>, body: &[u8]) -> Fetched {
        Fetched {
            url: Url::parse("http://a.test/").unwrap(),
            status: StatusCode::OK,
            content_type: content_type.map(str::to_owned),
            content_language: None,
            body: body.to_vec(),
            truncated: false,
            retry_after: None,
        }
    }

    #[test]
    fn text_is_decoded_by_bom_header_or_meta() {
        // "café" in ISO-8859-1
        let latin1 = b"<html><head><meta charset=\"iso-8859-1\"></head>caf\xe9</html>";
        assert!(fetched(None, latin1).text().contains("café"));
        assert!(
            fetched(Some("text/html; charset=windows-1252"), b"caf\xe9")
                .text()
                .contains("café")
        );
        let bom = b"\xef\xbb\xbfcaf\xc3\xa9";
        assert_eq!(
            fetched(Some("text/html; charset=iso-8859-1"), bom).text(),
            "café"
        );
        assert_eq!(fetched(None, "café".as_bytes()).text(), "café");
    }
}
