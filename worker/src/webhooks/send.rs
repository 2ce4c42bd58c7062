//! Sending one attempt: a signed POST through the crawler's guard (publicly routable
//! addresses only, unless `ONBOARD_WEBHOOK_ALLOW_CIDRS` allows more; no proxy, no
//! redirects followed), bounded in time and in the response bytes read.

use std::{sync::Arc, time::Duration};

use onboard_shared::{
    config::WebhookConfig,
    entities::webhook_endpoint::Format,
    webhooks::{chat_text, deliveries::Outcome, signature},
};
use reqwest::{Client, header};
use serde_json::{Value, json};
use url::Url;

use crate::crawl::{
    address::AddressPolicy,
    fetch::{self, FetchError, GuardedResolver},
};

/// Response bytes read at most (the excerpt kept is shorter).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct Sender {
    client: Client,
    policy: Arc<AddressPolicy>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("policy", &self.policy)
            .finish()
    }
}

/// What one attempt sends.
#[derive(Debug)]
pub struct Request<'a> {
    pub url: &'a str,
    pub format: Format,
    pub secret: &'a str,
    pub msg_id: &'a str,
    pub event_type: &'a str,
    /// The standard body, as the outbox fixed it.
    pub payload: &'a str,
}

impl Sender {
    pub fn new(config: &WebhookConfig, user_agent: &str) -> Result<Self, FetchError> {
        fetch::install_tls_provider();
        let policy = Arc::new(AddressPolicy::new(
            config.allow_cidrs.clone(),
            Default::default(),
        ));
        let client = Client::builder()
            .user_agent(user_agent)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver(policy.clone())))
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(FetchError::Client)?;
        Ok(Self { client, policy })
    }

    /// Makes the attempt; every way it can go is an [`Outcome`].
    pub async fn send(&self, request: &Request<'_>) -> Outcome {
        match self.try_send(request).await {
            Ok((status, excerpt)) if (200..300).contains(&status) => {
                Outcome::Delivered { status, excerpt }
            }
            Ok((status, excerpt)) => Outcome::Failed {
                status: Some(status),
                excerpt: Some(excerpt),
                error: format!("the endpoint answered {status}"),
            },
            Err(error) => Outcome::Failed {
                status: None,
                excerpt: None,
                error: error.reason(),
            },
        }
    }

    async fn try_send(&self, request: &Request<'_>) -> Result<(u16, String), FetchError> {
        let url = Url::parse(request.url).map_err(|_| FetchError::Scheme("(not a URL)".into()))?;
        fetch::check_url(&self.policy, &url)?;
        let body = match request.format {
            Format::Standard => request.payload.to_owned(),
            Format::Chat => {
                let event: Value = serde_json::from_str(request.payload).unwrap_or(Value::Null);
                json!({"text": chat_text(request.event_type, &event["data"])}).to_string()
            }
        };
        let timestamp = chrono::Utc::now().timestamp();
        let signed = signature::sign(request.secret, request.msg_id, timestamp, &body);
        let mut response = self
            .client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .header("webhook-id", request.msg_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(body)
            .send()
            .await
            .map_err(fetch::classify)?;
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fetch::classify)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() >= MAX_RESPONSE_BYTES {
                break;
            }
        }
        Ok((status, excerpt(&bytes)))
    }
}

/// The start of a response body as text, bounded.
fn excerpt(bytes: &[u8]) -> String {
    use onboard_shared::webhooks::deliveries::EXCERPT_BYTES;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_BYTES)]);
    text.trim_end_matches('\u{FFFD}').to_owned()
}
