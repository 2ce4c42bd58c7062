//! The HTTP service: the operations of `openapi.yaml`, the spec generated from them, and the
//! server around them. The api never crawls: it writes rows and enqueues jobs.

mod admin;
mod allow;
mod body_limit;
mod closed_form;
mod conn_guard;
mod cors;
mod day;
pub mod error;
mod guest_access;
pub mod guest_activity;
mod guest_id;
mod input_errors;
mod json;
mod kill_switch;
mod logo_check;
mod no_null;
mod nullable;
mod observe;
mod onboarding_page;
mod ops_page;
mod progress_cache;
mod rate_limit;
pub mod routes;
mod search;
mod security_headers;
pub mod state;
mod strict_string;
mod trailing_slash;

use std::{future::Future, io, net::SocketAddr, time::Duration};

use poem::{
    Endpoint, EndpointExt, Route, Server, get, handler,
    listener::{Acceptor, Listener, TcpListener},
    web::Data,
};
use poem_openapi::{LicenseObject, OpenApiService, ServerObject};

use routes::{
    analysis::AnalysisApi, analytics::AnalyticsApi, content::ContentApi, flags::FlagsApi,
    guest::GuestApi, health::HealthApi, logos::LogoApi, onboarding::OnboardingApi, ops::OpsApi,
    session::SessionApi, stats::StatsApi, verification::VerificationApi, webhooks::WebhooksApi,
};
pub use state::AppState;

pub type Api = (
    GuestApi,
    OnboardingApi,
    VerificationApi,
    LogoApi,
    AnalysisApi,
    ContentApi,
    StatsApi,
    HealthApi,
    OpsApi,
    AnalyticsApi,
    // Nested: `Default` is implemented for tuples of at most 12.
    (SessionApi, WebhooksApi, FlagsApi),
);

pub fn openapi_service() -> OpenApiService<Api, ()> {
    OpenApiService::new(Api::default(), "Onboard API", env!("CARGO_PKG_VERSION"))
        .description(
            "Guest sessions, onboarding configuration and the background analysis of a new \
             customer's website.\n\nEvery error is a JSON body `{error, message}`: `error` is \
             a stable code (each operation lists the codes it can answer), `message` says \
             what is wrong in words a UI can show. The onboarding operations need no \
             credentials; the ops operations take the admin token as a bearer token.",
        )
        .server(ServerObject::new("/").description("The service that serves this spec"))
        .license(
            LicenseObject::new(env!("CARGO_PKG_LICENSE")).url("https://opensource.org/license/mit"),
        )
}

/// The spec as committed in `openapi.yaml`, served at `/openapi.yaml`.
pub fn spec_yaml() -> String {
    with_open_security(openapi_service().spec_yaml())
}

/// poem-openapi states security per operation only; the spec says at its root that
/// operations without their own (all but the ops ones) need no credentials.
fn with_open_security(mut yaml: String) -> String {
    if !yaml.ends_with('\n') {
        yaml.push('\n');
    }
    yaml.push_str("security: []\n");
    yaml
}

#[handler]
fn spec(Data(yaml): Data<&SpecYaml>) -> poem::Response {
    poem::Response::builder()
        .content_type("application/yaml")
        .body(yaml.0.clone())
}

#[derive(Clone)]
struct SpecYaml(String);

/// The whole HTTP app over a state.
pub fn app(state: AppState) -> impl Endpoint {
    let api = openapi_service();
    let docs = api.swagger_ui();
    let yaml = SpecYaml(with_open_security(api.spec_yaml()));
    let spec_json = api.spec();
    let allow_table = allow::AllowTable::from_spec(&spec_json);
    let schemas = input_errors::InputSchemas::from_spec(&spec_json, allow_table.clone());
    let origins = cors::OriginPolicy::new(state.config.cors_origins.clone());
    let db = state.db.clone();
    let max_body = state.config.max_body_bytes;
    let limits = rate_limit::Limits::new(
        state.config.rate_limit_reads,
        state.config.rate_limit_writes,
        state.config.trusted_proxies.clone(),
    );
    onboarding_page::add_routes(ops_page::add_routes(Route::new().nest("/", api)))
        .at("/openapi.yaml", get(spec).data(yaml))
        .nest("/docs", docs)
        .around(onboarding_page::at_root)
        .around(kill_switch::onboarding)
        .data(state)
        .around(move |ep, req| input_errors::explain(ep, req, schemas.clone()))
        .around(move |ep, req| body_limit::limit(ep, req, max_body))
        .around(error::json_errors)
        // Boxed halfway, so the nested middleware type stays within the compiler's depth.
        .boxed()
        .around(move |ep, req| rate_limit::limit(ep, req, limits.clone()))
        .around(move |ep, req| cors::cors(ep, req, origins.clone(), db.clone()))
        .around(security_headers::add)
        .around({
            let table = allow_table.clone();
            move |ep, req| allow::allow(ep, req, table.clone())
        })
        .around(move |ep, req| observe::observe(ep, req, allow_table.clone()))
        .around(trailing_slash::strip)
}

/// Binds and serves until `shutdown` resolves; returns the bound address and the server
/// future (tests bind port 0 and read the address).
pub async fn bind(
    addr: SocketAddr,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<(SocketAddr, impl Future<Output = io::Result<()>>)> {
    let acceptor = conn_guard::Guarded::new(
        TcpListener::bind(addr).into_acceptor().await?,
        state.config.http_request_timeout,
    );
    let local = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .unwrap_or(addr);
    let activity = state.activity.clone();
    let server = Server::new_with_acceptor(acceptor)
        .idle_timeout(state.config.http_idle_timeout)
        .run_with_graceful_shutdown(app(state), shutdown, Some(Duration::from_secs(10)));
    Ok((local, async move {
        let served = server.await;
        // The activity the last requests noted, before the process goes.
        if let Err(e) = activity.flush().await {
            tracing::warn!(error = %e, "writing guest activity at shutdown failed");
        }
        served
    }))
}
