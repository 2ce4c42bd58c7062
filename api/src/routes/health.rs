use onboard_shared::telemetry::Chain;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    payload::{Json, PlainText},
};
use sea_orm::ConnectionTrait;

use super::Tag;
use crate::{error::ErrorBody, state::AppState};

#[derive(Default)]
pub struct HealthApi;

#[derive(Object)]
pub struct Health {
    pub status: String,
}

#[derive(Object)]
pub struct Readiness {
    pub status: String,
    pub database: String,
    pub queue: String,
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// The database and the queue answer.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// The database or the queue does not answer.
    #[oai(status = 503)]
    NotReady(Json<ErrorBody>),
}

#[OpenApi(tag = "Tag::Health")]
impl HealthApi {
    /// Liveness: the process serves requests.
    #[oai(path = "/healthz", method = "get", operation_id = "healthz")]
    async fn healthz(&self) -> Json<Health> {
        Json(Health {
            status: "ok".into(),
        })
    }

    /// Metrics in Prometheus text format: requests by route and status, their latency,
    /// analyses started, queue depth (and, with the embedded worker, the worker's).
    #[oai(path = "/metrics", method = "get", operation_id = "metrics")]
    async fn metrics(&self, state: Data<&AppState>) -> PlainText<String> {
        onboard_shared::metrics::record_queue_depths(&state.queue).await;
        PlainText(onboard_shared::metrics::render())
    }

    /// Readiness: the database and the queue are reachable.
    #[oai(path = "/readyz", method = "get", operation_id = "readyz")]
    async fn readyz(&self, state: Data<&AppState>) -> ReadyResponse {
        let db = state.db.execute_unprepared("SELECT 1").await;
        let queue = state.queue.ping().await;
        match (db, queue) {
            (Ok(_), Ok(())) => ReadyResponse::Ready(Json(Readiness {
                status: "ready".into(),
                database: "ok".into(),
                queue: "ok".into(),
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
                    error: "not_ready".into(),
                    message: format!("unreachable: {}", down.join(", ")),
                }))
            }
        }
    }
}
