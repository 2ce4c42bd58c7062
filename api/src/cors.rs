//! CORS for the onboarding UI, which runs in customers' browsers (often in an iframe on the
//! customer's own site). An origin is allowed when it is configured
//! (`ONBOARD_CORS_ORIGINS`) or is the domain of a site whose analysis found it answering
//! from a public address (validated), over http or https, with or without `www.`. Typing
//! a domain grants nothing. Other origins get no CORS grant. Lookups are cached briefly, so the
//! 2-second progress poll does not add a database read per request.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use onboard_shared::{domain::Domain, entities::site};
use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, Method, StatusCode, header},
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::error::{ErrorBody, ErrorCode};

const ALLOWED_METHODS: &str = "GET, POST, DELETE, OPTIONS";
const ALLOWED_HEADERS: &str = "content-type, if-none-match";
const EXPOSED_HEADERS: &str = "etag, retry-after";
/// How long an origin's verdict is remembered: a grant a minute, a refusal only a moment,
/// so a site that has just validated is granted within seconds.
const CACHE_GRANT_FOR: Duration = Duration::from_secs(60);
const CACHE_REFUSAL_FOR: Duration = Duration::from_secs(2);

#[derive(Clone, Default)]
pub struct OriginPolicy {
    configured: Arc<Vec<String>>,
    cache: Arc<Mutex<HashMap<String, (bool, Instant)>>>,
}

impl OriginPolicy {
    pub fn new(configured: Vec<String>) -> Self {
        Self {
            configured: Arc::new(configured),
            cache: Arc::default(),
        }
    }

    pub async fn allows(&self, db: &DatabaseConnection, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.configured.contains(&origin) {
            return true;
        }
        if let Some((allowed, at)) = self.cache.lock().expect("cors cache").get(&origin)
            && at.elapsed()
                < if *allowed {
                    CACHE_GRANT_FOR
                } else {
                    CACHE_REFUSAL_FOR
                }
        {
            return *allowed;
        }
        let allowed = registered_site(db, &origin).await;
        let mut cache = self.cache.lock().expect("cors cache");
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(origin, (allowed, Instant::now()));
        allowed
    }
}

/// Whether `scheme://host[:port]` is a validated site (or its www twin) over http(s).
async fn registered_site(db: &DatabaseConnection, origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    let Ok(domain) = Domain::parse(rest) else {
        return false;
    };
    let name = domain.to_string();
    let bare = name.strip_prefix("www.").unwrap_or(&name).to_owned();
    let candidates = [bare.clone(), format!("www.{bare}")];
    // A database error denies the grant rather than failing the request.
    site::Entity::find()
        .filter(site::Column::Domain.is_in(candidates))
        .filter(site::Column::ValidatedAt.is_not_null())
        .count(db)
        .await
        .is_ok_and(|n| n > 0)
}

pub async fn cors<E: Endpoint>(
    next: E,
    req: Request,
    policy: OriginPolicy,
    db: DatabaseConnection,
) -> poem::Result<Response> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(origin) = origin else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let allowed = policy.allows(&db, &origin).await;
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        if !allowed {
            return Ok(poem::web::Json(ErrorBody {
                error: ErrorCode::OriginNotAllowed,
                message: format!("{origin} may not call this API"),
            })
            .with_status(StatusCode::FORBIDDEN)
            .into_response());
        }
        let mut r = Response::builder().status(StatusCode::NO_CONTENT).finish();
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        r
    } else {
        next.call(req)
            .await
            .map(IntoResponse::into_response)
            .unwrap_or_else(|e| e.into_response())
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if allowed && let Ok(value) = HeaderValue::from_str(&origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    Ok(response)
}
