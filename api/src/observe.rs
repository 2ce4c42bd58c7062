//! Every request gets an id (the caller's `X-Request-Id` when it is a sane token, else a
//! new UUID), carried by its log lines (with the guest and the analysis it names) and
//! returned in the response; its route, status and latency go to the metrics; a request
//! slower than a second is logged as a warning.

use std::time::{Duration, Instant};

use onboard_shared::metrics::{HTTP_DURATION, HTTP_REQUESTS};
use poem::{Endpoint, IntoResponse, Request, Response, http::HeaderValue};
use tracing::Instrument;

use crate::allow::AllowTable;

const HEADER: &str = "x-request-id";

/// The guest a request names (`user_uuid`), when it is a UUID.
fn guest_of(req: &Request) -> Option<uuid::Uuid> {
    req.uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("user_uuid="))
        .and_then(|v| uuid::Uuid::try_parse(v).ok())
}

/// The analysis a request names in its path (`/api/onboarding/analysis/{id}`).
fn run_of(req: &Request) -> Option<i64> {
    req.uri()
        .path()
        .strip_prefix("/api/onboarding/analysis/")?
        .trim_end_matches('/')
        .parse()
        .ok()
}
const SLOW: Duration = Duration::from_secs(1);

pub async fn observe<E: Endpoint>(
    next: E,
    req: Request,
    table: AllowTable,
) -> poem::Result<Response> {
    let id = req
        .header(HEADER)
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // The template, not the path: a label per guest UUID would grow without end.
    let route = table.route(req.uri().path());
    let method = req.method().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        %method,
        %route,
        guest = tracing::field::Empty,
        run_id = tracing::field::Empty,
    );
    if let Some(guest) = guest_of(&req) {
        span.record("guest", tracing::field::display(guest));
    }
    if let Some(run) = run_of(&req) {
        span.record("run_id", run);
    }
    let started = Instant::now();
    let mut response = next
        .call(req)
        .instrument(span.clone())
        .await
        .map(IntoResponse::into_response)
        .unwrap_or_else(|e| e.into_response());
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    metrics::counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "route" => route, "method" => method)
        .record(elapsed.as_secs_f64());
    let ms = elapsed.as_millis() as u64;
    span.in_scope(|| {
        if elapsed > SLOW {
            tracing::warn!(status, ms, "slow request");
        } else {
            tracing::info!(status, ms, "request");
        }
    });
    Ok(response)
}
