//! Step 1, Domain Validation: the domain is normalised, resolved, checked against the
//! address rules, and its home page fetched (https first, then http).

use onboard_shared::domain::Domain;

use crate::crawl::fetch::{FetchError, Fetched, Fetcher};

#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("{0:?} is not a valid domain: {1}")]
    Syntax(String, onboard_shared::domain::DomainError),
    #[error("{0}")]
    Address(#[from] crate::crawl::address::AddressError),
    #[error("{domain} did not answer over https or http ({reason})")]
    NoAnswer { domain: String, reason: String },
    #[error("{domain}'s home page answered HTTP {status}")]
    Status { domain: String, status: u16 },
}

/// Validates the domain and returns its fetched home page.
pub async fn validate(domain: &str, fetcher: &Fetcher) -> Result<Fetched, ValidationError> {
    let parsed =
        Domain::parse(domain).map_err(|e| ValidationError::Syntax(domain.to_owned(), e))?;
    // Resolving first gives the user a clear reason before any request is attempted.
    match parsed.ip() {
        Some(ip) => fetcher.policy().check(parsed.host(), ip)?,
        None => {
            fetcher.policy().resolve(parsed.host()).await?;
        }
    }

    let mut reason = String::new();
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
            Err(e) => reason = e.to_string(),
        }
    }
    Err(ValidationError::NoAnswer {
        domain: parsed.to_string(),
        reason,
    })
}
