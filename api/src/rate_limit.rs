//! Rate limiting per client IP, with separate budgets for reads (the progress poll) and
//! writes (the operators' sign-in included). The client IP is the peer address; `X-Forwarded-For` is believed only when the
//! peer is a trusted proxy, and then the rightmost address that is not one is the client.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use ipnet::IpNet;
use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, Method, StatusCode, header},
};

use crate::error::{ErrorBody, ErrorCode};

/// Every this many requests, forget clients that have not been seen lately.
const PRUNE_EVERY: u64 = 10_000;

#[derive(Clone)]
pub struct Limits {
    reads: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    writes: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trusted: Arc<Vec<IpNet>>,
    seen: Arc<AtomicU64>,
}

fn per_minute(n: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).expect("at least 1");
    // The whole minute's budget may come as a burst; it refills evenly.
    Quota::per_minute(n).allow_burst(n)
}

impl Limits {
    pub fn new(reads_per_min: u32, writes_per_min: u32, trusted: Vec<IpNet>) -> Self {
        Self {
            reads: Arc::new(RateLimiter::keyed(per_minute(reads_per_min))),
            writes: Arc::new(RateLimiter::keyed(per_minute(writes_per_min))),
            trusted: Arc::new(trusted),
            seen: Arc::default(),
        }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer, or what a trusted proxy says it forwarded for.
    pub fn client_ip(&self, req: &Request) -> Option<IpAddr> {
        let peer = match req.remote_addr().0 {
            poem::Addr::SocketAddr(addr) => addr.ip(),
            _ => return None,
        };
        if !self.trusted(peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|ip| !self.trusted(*ip))
                .unwrap_or(peer),
        )
    }
}

/// The client address of a request, as the rate limiter decided it (the peer, or what a
/// trusted proxy forwarded for); handlers read it to bound work per address.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

/// Whether a request spends the write budget: every non-GET to the API, and the
/// operators' page's posts (its sign-in above all, so a token cannot be guessed quickly).
fn budgeted(req: &Request) -> Option<bool> {
    let path = req.uri().path();
    let method = req.method();
    if method == Method::OPTIONS {
        return None;
    }
    let read = method == Method::GET || method == Method::HEAD;
    if path.starts_with("/api/") {
        Some(!read)
    } else if path.starts_with("/ops/") && !read {
        Some(true)
    } else {
        None
    }
}

pub async fn limit<E: Endpoint>(
    next: E,
    mut req: Request,
    limits: Limits,
) -> poem::Result<Response> {
    let ip = limits.client_ip(&req);
    req.extensions_mut().insert(ClientIp(ip));
    let (Some(write), Some(ip)) = (budgeted(&req), ip) else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    if limits.seen.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
        limits.reads.retain_recent();
        limits.writes.retain_recent();
    }
    let limiter = if write { &limits.writes } else { &limits.reads };
    if let Err(not_until) = limiter.check_key(&ip) {
        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut response = poem::web::Json(ErrorBody {
            error: ErrorCode::RateLimited,
            message: format!("Too many requests from {ip}; try again in {seconds} s"),
        })
        .with_status(StatusCode::TOO_MANY_REQUESTS)
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        return Ok(response);
    }
    next.call(req).await.map(IntoResponse::into_response)
}
