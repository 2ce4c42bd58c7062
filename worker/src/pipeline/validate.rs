//! Step 1, Domain Validation: the domain is normalised, resolved, checked against the
//! address rules, and its home page fetched (https first, then http). A transient failure
//! (no answer, a timeout, a reset, a 5xx) is retried with exponential backoff; a permanent
//! one (bad syntax, a name that does not resolve, a forbidden address, a 4xx) fails at once.

use onboard_shared::telemetry::Chain;
use std::time::Duration;

use onboard_shared::domain::Domain;

use crate::crawl::fetch::{FetchError, Fetched, Fetcher};

#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("{domain:?} is not a valid domain")]
    Syntax {
        domain: String,
        #[source]
        source: onboard_shared::domain::DomainError,
    },
    #[error(transparent)]
    Address(#[from] crate::crawl::address::AddressError),
    #[error("{domain} did not answer over https or http")]
    NoAnswer {
        domain: String,
        /// Why the last attempt (http) failed.
        #[source]
        source: FetchError,
    },
    #[error("{domain}'s home page answered HTTP {status}")]
    Status { domain: String, status: u16 },
}

impl ValidationError {
    /// What the guest is told. Which address a name resolves to, and whether a port
    /// refuses or answers, are not the guest's business (that would make the service a
    /// port scanner): those stay in the detail operators see.
    pub fn guest_message(&self, domain: &str) -> String {
        match self {
            ValidationError::Syntax { .. } => format!("{domain:?} is not a valid domain"),
            _ => format!(
                "{domain} could not be reached, or did not serve a home page. Check the \
                 domain and that the site is online."
            ),
        }
    }

    /// Whether trying again later might work.
    pub fn is_transient(&self) -> bool {
        match self {
            ValidationError::NoAnswer { .. } => true,
            ValidationError::Status { status, .. } => *status >= 500,
            ValidationError::Syntax { .. } | ValidationError::Address(_) => false,
        }
    }
}

/// How often, and how far apart, transient failures are tried again.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub retries: u32,
    /// The first delay; each next one doubles.
    pub backoff: Duration,
}

impl Retry {
    /// One attempt only (tools and benchmarks).
    pub const NONE: Retry = Retry {
        retries: 0,
        backoff: Duration::ZERO,
    };
}

/// Validates the domain and returns its fetched home page, retrying transient failures.
pub async fn validate(
    domain: &str,
    fetcher: &Fetcher,
    retry: Retry,
) -> Result<Fetched, ValidationError> {
    let mut attempt = 0;
    loop {
        match validate_once(domain, fetcher).await {
            Err(e) if e.is_transient() && attempt < retry.retries => {
                let delay = retry.backoff.saturating_mul(1 << attempt.min(16));
                tracing::info!(error = %Chain(&e), attempt, ?delay, "validation failed; trying again");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

async fn validate_once(domain: &str, fetcher: &Fetcher) -> Result<Fetched, ValidationError> {
    let parsed = Domain::parse(domain).map_err(|source| ValidationError::Syntax {
        domain: domain.to_owned(),
        source,
    })?;
    // Resolving first gives the user a clear reason before any request is attempted.
    match parsed.ip() {
        Some(ip) => fetcher.policy().check(parsed.host(), ip)?,
        None => {
            fetcher.policy().resolve(parsed.host()).await?;
        }
    }

    let mut last = None;
    for scheme in ["https", "http"] {
        match fetcher.get(&parsed.home_url(scheme)).await {
            Ok(home) if home.status.is_success() => return Ok(home),
            Ok(home) => {
                return Err(ValidationError::Status {
                    domain: parsed.to_string(),
                    status: home.status.as_u16(),
                });
            }
            Err(FetchError::Address(e)) => return Err(e.into()),
            Err(e) => last = Some(e),
        }
    }
    Err(ValidationError::NoAnswer {
        domain: parsed.to_string(),
        source: last.expect("two schemes were tried"),
    })
}
