//! The operators' page at `/ops`: server-rendered HTML over the same data as the ops API
//! (queues, analysis and maintenance runs, the funnel and the completion rate of the last
//! 30 days, webhook endpoints with their recent deliveries, feature flags), readable without JavaScript and refreshed in place with it. The admin token is
//! entered once and opens a server-side session: the cookie holds a random id (the table
//! only its digest) that expires, ends on sign-out and can be revoked all at once. The forms
//! post back here, and the cookie is `SameSite=Strict` with the `Origin` checked, so another
//! site cannot post them. Sign-in spends the write rate limit, so tokens cannot be tried fast.

mod charts;
mod view;

use cookie::{Cookie, SameSite};
use onboard_shared::{
    config::CookieSecure,
    entities::{analysis_run, site, webhook_endpoint},
    flags,
    jobs::MaintenanceKind,
    runs,
    webhooks::{deliveries, endpoints},
};
use poem::{
    IntoResponse, Request, Response, Route, get, handler,
    http::{StatusCode, header},
    post,
    web::{Data, Form, Path, Query},
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde::Deserialize;

use crate::{
    admin,
    error::ApiError,
    error::ErrorCode,
    routes::{analytics, ops, webhooks},
    state::AppState,
};

const COOKIE: &str = "onboard_ops";
/// Analysis and maintenance runs shown.
const RECENT: u64 = 15;
/// Deliveries shown per webhook endpoint.
const RECENT_DELIVERIES: u64 = 10;
/// The page's own policy: its script and style files, inline SVG, nothing from elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The page's routes, added to the app's.
pub fn add_routes(route: Route) -> Route {
    route
        .at("/ops", get(page))
        .at("/ops/login", post(login))
        .at("/ops/logout", post(logout))
        .at("/ops/jobs/:kind", post(trigger))
        .at("/ops/webhook-deliveries/:id/redeliver", post(redeliver))
        .at("/ops/static/:file", get(asset))
}

#[derive(Deserialize)]
struct PageQuery {
    /// A maintenance run just started from the page.
    started: Option<i64>,
    /// A webhook delivery just redelivered from the page.
    redelivered: Option<i64>,
}

#[handler]
async fn page(state: Data<&AppState>, req: &Request, query: Query<PageQuery>) -> Response {
    match signed_in(&state, req).await {
        Ok(true) => {}
        Ok(false) => return html(StatusCode::UNAUTHORIZED, view::login(None)),
        Err(e) => return error_page(e),
    }
    match overview(&state).await {
        Ok(data) => html(
            StatusCode::OK,
            view::dashboard(&data, query.0.started, query.0.redelivered),
        ),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
}

#[handler]
async fn login(state: Data<&AppState>, req: &Request, form: Form<LoginForm>) -> Response {
    if !same_origin(req) {
        return error_page(cross_site());
    }
    let token = form.0.token.trim();
    if let Err(e) = admin::check_token(&state, token) {
        let (status, body) = e.parts();
        return html(status, view::login(Some(&body.message)));
    }
    let id = match admin::open_session(&state, token).await {
        Ok(id) => id,
        Err(e) => return error_page(e.into()),
    };
    let ttl = cookie::time::Duration::seconds(state.config.ops_session_ttl.as_secs() as i64);
    let session = Cookie::build((COOKIE, id))
        .path("/ops")
        .http_only(true)
        .secure(secure_cookie(&state, req))
        .same_site(SameSite::Strict)
        .max_age(ttl)
        .build();
    see_other("/ops")
        .with_header(header::SET_COOKIE, session.to_string())
        .into_response()
}

#[handler]
async fn logout(state: Data<&AppState>, req: &Request) -> Response {
    if !same_origin(req) {
        return error_page(cross_site());
    }
    for id in session_ids(req) {
        if let Err(e) = admin::close_session(&state, &id).await {
            return error_page(e.into());
        }
    }
    let gone = Cookie::build((COOKIE, ""))
        .path("/ops")
        .http_only(true)
        .secure(secure_cookie(&state, req))
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    see_other("/ops")
        .with_header(header::SET_COOKIE, gone.to_string())
        .into_response()
}

#[handler]
async fn trigger(state: Data<&AppState>, req: &Request, kind: Path<String>) -> Response {
    if let Some(refused) = refuse_form(&state, req).await {
        return refused;
    }
    let Some(kind) = MaintenanceKind::parse(&kind.0) else {
        return error_page(ApiError::not_found(
            ErrorCode::UnknownKind,
            "The maintenance kinds are cleanup and monitor",
        ));
    };
    match ops::start(&state, kind).await {
        Ok(run) => see_other(&format!("/ops?started={}", run.id)).into_response(),
        Err(e) => error_page(e),
    }
}

#[handler]
async fn redeliver(state: Data<&AppState>, req: &Request, id: Path<i64>) -> Response {
    if let Some(refused) = refuse_form(&state, req).await {
        return refused;
    }
    match webhooks::redeliver(&state, id.0).await {
        Ok(d) => see_other(&format!("/ops?redelivered={}", d.delivery_id)).into_response(),
        Err(e) => error_page(e),
    }
}

#[handler]
fn asset(file: Path<String>) -> Response {
    let (body, content_type) = match file.0.as_str() {
        "ops.css" => (include_str!("ops.css"), "text/css; charset=utf-8"),
        "ops.js" => (include_str!("ops.js"), "text/javascript; charset=utf-8"),
        _ => {
            return error_page(ApiError::not_found(ErrorCode::NotFound, "No such file"));
        }
    };
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
}

/// Everything the dashboard shows, read fresh for each request.
pub struct Overview {
    pub queues: ops::Queues,
    pub analysis_runs: Vec<RecentRun>,
    pub maintenance_runs: Vec<ops::MaintenanceRunView>,
    pub funnel: analytics::Funnel,
    pub days: Vec<analytics::DailyStats>,
    pub webhooks: Vec<EndpointDeliveries>,
    pub flags: Vec<flags::Flag>,
}

/// An endpoint with its latest deliveries.
pub struct EndpointDeliveries {
    pub endpoint: webhook_endpoint::Model,
    pub deliveries: Vec<deliveries::Listed>,
}

pub struct RecentRun {
    pub run: analysis_run::Model,
    pub domain: Option<String>,
}

async fn overview(state: &AppState) -> Result<Overview, ApiError> {
    let range = analytics::DayRange::new(None, None)?;
    let days = analytics::stored_days(&state.db, range).await?;
    Ok(Overview {
        queues: ops::queue_overview(state).await?,
        analysis_runs: recent_analysis_runs(&state.db).await?,
        maintenance_runs: ops::recent_runs(&state.db, RECENT).await?,
        funnel: analytics::funnel(&days, range),
        days,
        webhooks: webhook_overview(&state.db).await?,
        flags: state.flags.all().await?.as_ref().clone(),
    })
}

async fn webhook_overview(db: &DatabaseConnection) -> Result<Vec<EndpointDeliveries>, DbErr> {
    let mut out = Vec::new();
    for endpoint in endpoints::list(db).await? {
        out.push(EndpointDeliveries {
            deliveries: deliveries::recent(db, endpoint.id, RECENT_DELIVERIES).await?,
            endpoint,
        });
    }
    Ok(out)
}

async fn recent_analysis_runs(db: &DatabaseConnection) -> Result<Vec<RecentRun>, DbErr> {
    let runs = runs::queries::recent(db, RECENT).await?;
    let sites: Vec<(i64, String)> = site::Entity::find()
        .select_only()
        .column(site::Column::Id)
        .column(site::Column::Domain)
        .filter(site::Column::Id.is_in(runs.iter().map(|r| r.site_id)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(runs
        .into_iter()
        .map(|run| RecentRun {
            domain: sites
                .iter()
                .find(|(id, _)| *id == run.site_id)
                .map(|(_, d)| d.clone()),
            run,
        })
        .collect())
}

/// The answer to an action form posted without a live session or from another site; `None`
/// when it may go ahead.
async fn refuse_form(state: &AppState, req: &Request) -> Option<Response> {
    match signed_in(state, req).await {
        Ok(true) => {}
        Ok(false) => return Some(html(StatusCode::UNAUTHORIZED, view::login(None))),
        Err(e) => return Some(error_page(e)),
    }
    (!same_origin(req)).then(|| error_page(cross_site()))
}

/// Whether the request carries the cookie of a live session.
async fn signed_in(state: &AppState, req: &Request) -> Result<bool, ApiError> {
    for id in session_ids(req) {
        if admin::session_is_open(state, &id).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The session ids the request's cookies carry (at most a few are looked at).
fn session_ids(req: &Request) -> Vec<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|c| c.name() == COOKIE && !c.value().is_empty() && c.value().len() <= 128)
        .map(|c| c.value().to_owned())
        .take(4)
        .collect()
}

/// Whether the session cookie is `Secure`: as configured, or when the request came over
/// TLS (directly, or as a trusted proxy's `X-Forwarded-Proto` says).
fn secure_cookie(state: &AppState, req: &Request) -> bool {
    match state.config.ops_cookie_secure {
        CookieSecure::Always => true,
        CookieSecure::Never => false,
        CookieSecure::Auto => {
            let peer_trusted = match req.remote_addr().0 {
                poem::Addr::SocketAddr(addr) => state
                    .config
                    .trusted_proxies
                    .iter()
                    .any(|net| net.contains(&addr.ip())),
                _ => false,
            };
            *req.scheme() == poem::http::uri::Scheme::HTTPS
                || peer_trusted
                    && req
                        .headers()
                        .get("x-forwarded-proto")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
        }
    }
}

/// A form post must come from this page: a browser names the page's origin in `Origin`;
/// one that names another host is refused (a client without `Origin` is not a browser).
fn same_origin(req: &Request) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    host.is_some() && origin_host == host
}

fn cross_site() -> ApiError {
    ApiError::forbidden(
        ErrorCode::CrossSiteForm,
        "This form was posted from another site",
    )
}

fn see_other(location: &str) -> poem::web::Redirect {
    poem::web::Redirect::see_other(location)
}

fn html(status: StatusCode, markup: maud::Markup) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::CACHE_CONTROL, "no-store")
        // Posts from the page then carry its origin (see `same_origin`).
        .header(header::REFERRER_POLICY, "same-origin")
        .body(markup.into_string())
}

fn error_page(e: ApiError) -> Response {
    let (status, body) = e.parts();
    html(status, view::error(status, &body.message))
}
