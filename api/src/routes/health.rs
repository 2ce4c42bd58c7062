use onboard_shared::telemetry::Chain;
use poem::web::Data;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::PlainText};
use sea_orm::ConnectionTrait;

use super::Tag;
use crate::{
    error::{ErrorBody, ErrorCode},
    json::Json,
    state::AppState,
};

#[derive(Default)]
pub struct HealthApi;

/// `ok`: the process serves requests.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Live {
    Ok,
}

#[derive(Object)]
pub struct Health {
    pub status: Live,
}

/// `ready`, or `ok` for a dependency that answers.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Ready {
    Ready,
    Ok,
}

#[derive(Object)]
pub struct Readiness {
    pub status: Ready,
    pub database: Ready,
    pub queue: Ready,
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    /// The process serves requests.
    #[oai(status = 200)]
    Live(Json<Health>),
    /// `rate_limited`: too many requests from this address (health checks pass the same
    /// limit as every request); try again after `Retry-After` seconds.
    #[oai(status = 429)]
    RateLimited(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
}

#[derive(ApiResponse)]
pub enum MetricsResponse {
    /// The metrics, in Prometheus text format.
    #[oai(status = 200)]
    Metrics(PlainText<String>),
    /// `rate_limited`: too many requests from this address (health checks pass the same
    /// limit as every request); try again after `Retry-After` seconds.
    #[oai(status = 429)]
    RateLimited(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// The database and the queue answer.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// `rate_limited`: too many requests from this address (health checks pass the same
    /// limit as every request); try again after `Retry-After` seconds.
    #[oai(status = 429)]
    RateLimited(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// `not_ready`: the database or the queue does not answer (the message says which).
    #[oai(status = 503)]
    NotReady(Json<ErrorBody>),
}

#[OpenApi(tag = "Tag::Health")]
impl HealthApi {
    /// Liveness
    ///
    /// Answers while the process serves requests, whatever its dependencies do.
    #[oai(path = "/healthz", method = "get", operation_id = "healthz")]
    async fn healthz(&self) -> HealthResponse {
        HealthResponse::Live(Json(Health { status: Live::Ok }))
    }

    /// Metrics
    ///
    /// Prometheus text format: requests by route and status, their latency, analyses
    /// started, queue depth (and, with the embedded worker, the worker's).
    #[oai(path = "/metrics", method = "get", operation_id = "metrics")]
    async fn metrics(&self, state: Data<&AppState>) -> MetricsResponse {
        onboard_shared::metrics::record_queue_depths(&state.queue).await;
        MetricsResponse::Metrics(PlainText(onboard_shared::metrics::render()))
    }

    /// Readiness
    ///
    /// Answers 200 when the database and the queue are reachable, 503 when one is not.
    #[oai(path = "/readyz", method = "get", operation_id = "readyz")]
    async fn readyz(&self, state: Data<&AppState>) -> ReadyResponse {
        let db = state.db.execute_unprepared("SELECT 1").await;
        let queue = state.queue.ping().await;
        match (db, queue) {
            (Ok(_), Ok(())) => ReadyResponse::Ready(Json(Readiness {
                status: Ready::Ready,
                database: Ready::Ok,
                queue: Ready::Ok,
            })),
            (db, queue) => {
                let mut down = Vec::new();
                if let Err(e) = db {
                    tracing::warn!(error = %Chain(&e), "readiness: database");
                    down.push("database");
                }
                if let Err(e) = queue {
                    tracing::warn!(error = %Chain(&e), "readiness: queue");
                    down.push("queue");
                }
                ReadyResponse::NotReady(Json(ErrorBody {
                    error: ErrorCode::NotReady,
                    message: format!("Not ready: {} unreachable.", down.join(" and ")),
                }))
            }
        }
    }
}
