//! The operators' API (admin token): start a maintenance run, read its report, list recent
//! runs, and see the queues.

use chrono::{DateTime, Utc};
use onboard_shared::{
    entities::maintenance_run,
    jobs::{AnalysisJob, CleanupJob, Job, MaintenanceKind, MonitorJob, Trigger, VerificationJob},
    maintenance::{self, EnqueueError},
    queue::QueueCounts,
    runs,
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use serde_json::Value;

use super::Tag;
use crate::{
    admin::{self, AdminToken},
    error::{ApiError, operation_errors},
    state::AppState,
};

operation_errors!(OpsErrors {
    Unauthorized = 401: "No bearer token was sent.",
    Forbidden = 403: "The bearer token is not the admin token, or the ops API is off.",
});
operation_errors!(OpsRunErrors {
    Unauthorized = 401: "No bearer token was sent.",
    Forbidden = 403: "The bearer token is not the admin token, or the ops API is off.",
    NotFound = 404: "No maintenance run has this id.",
});

#[derive(Default)]
pub struct OpsApi;

#[derive(Object)]
pub struct SessionsRevoked {
    /// Sessions that were open and are now ended.
    pub revoked: u64,
}

/// Runs listed when `limit` is not given.
const DEFAULT_LISTED: u64 = 20;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Kind {
    Cleanup,
    Monitor,
}

impl From<Kind> for MaintenanceKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Cleanup => MaintenanceKind::Cleanup,
            Kind::Monitor => MaintenanceKind::Monitor,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct RunQueued {
    pub run_id: i64,
    pub kind: String,
    /// `queued`.
    pub status: String,
}

#[derive(ApiResponse)]
pub enum TriggerResponse {
    /// The run is recorded and its job queued.
    #[oai(status = 202)]
    Accepted(Json<RunQueued>),
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct MaintenanceRunView {
    pub id: i64,
    /// `cleanup` or `monitor`.
    pub kind: String,
    /// `cron`, `api` or `cli`.
    pub trigger: String,
    /// The schedule slot of a cron run.
    pub slot: Option<String>,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// What the run did, in counts (cleanup: guests, runs, pages, uploads and files
    /// deleted, queue entries pruned; monitor: runs reset, re-enqueued and failed, the
    /// completion rate).
    pub report: Value,
    pub error: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Object)]
pub struct MaintenanceRuns {
    /// Newest first.
    pub runs: Vec<MaintenanceRunView>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct QueueView {
    /// `analysis`, `cleanup` or `monitor`.
    pub name: String,
    /// Waiting to be picked up, scheduled retries included.
    pub waiting: u64,
    pub running: u64,
    /// Failed, waiting for a retry.
    pub failed: u64,
    /// Given up by the backend.
    pub dead: u64,
    /// Seconds since the oldest run of this queue still `queued` in the database was
    /// queued; absent when none is.
    pub oldest_waiting_seconds: Option<u64>,
}

#[derive(Object)]
pub struct Queues {
    /// `redis` or `sqlite`.
    pub backend: String,
    pub queues: Vec<QueueView>,
}

#[OpenApi(tag = "Tag::Ops")]
impl OpsApi {
    /// Start a maintenance run now (for external cron, or by hand).
    #[oai(
        path = "/api/ops/jobs/:kind",
        method = "post",
        operation_id = "startMaintenance"
    )]
    async fn trigger(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        kind: Path<Kind>,
    ) -> Result<TriggerResponse, OpsErrors> {
        auth.check(&state)?;
        let run = start(&state, kind.0.into()).await?;
        Ok(TriggerResponse::Accepted(Json(RunQueued {
            run_id: run.id,
            kind: run.kind.as_str().to_owned(),
            status: run.status.as_str().to_owned(),
        })))
    }

    /// A maintenance run and its report.
    #[oai(
        path = "/api/ops/runs/:id",
        method = "get",
        operation_id = "getMaintenanceRun"
    )]
    async fn run(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        id: Path<i64>,
    ) -> Result<Json<MaintenanceRunView>, OpsRunErrors> {
        auth.check(&state)?;
        let run = maintenance_run::Entity::find_by_id(id.0)
            .one(&state.db)
            .await?
            .ok_or_else(|| {
                ApiError::not_found("run_not_found", format!("No maintenance run {}", id.0))
            })?;
        Ok(Json(run.into()))
    }

    /// Recent maintenance runs, newest first.
    #[oai(
        path = "/api/ops/runs",
        method = "get",
        operation_id = "listMaintenanceRuns"
    )]
    async fn runs(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// Only runs of this kind.
        kind: Query<Option<Kind>>,
        /// Runs to list, 1-100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<MaintenanceRuns>, OpsErrors> {
        auth.check(&state)?;
        let kind = kind.0.map(MaintenanceKind::from);
        let runs = recent_runs(&state.db, kind, limit.0.unwrap_or(DEFAULT_LISTED)).await?;
        Ok(Json(MaintenanceRuns { runs }))
    }

    /// Sign out every operators' page session (for example after the admin token may have
    /// been seen). Answers how many were open.
    #[oai(
        path = "/api/ops/sessions",
        method = "delete",
        operation_id = "revokeOpsSessions"
    )]
    async fn revoke_sessions(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
    ) -> Result<Json<SessionsRevoked>, OpsErrors> {
        auth.check(&state)?;
        let revoked = admin::close_all_sessions(&state).await?;
        Ok(Json(SessionsRevoked { revoked }))
    }

    /// Per queue: jobs waiting, running, failed and dead, and the age of the oldest
    /// waiting run.
    #[oai(path = "/api/ops/queues", method = "get", operation_id = "getQueues")]
    async fn queues(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
    ) -> Result<Json<Queues>, OpsErrors> {
        auth.check(&state)?;
        Ok(Json(queue_overview(&state).await?))
    }
}

/// Per queue: jobs waiting, running, failed and dead, and the oldest waiting run's age.
pub async fn queue_overview(state: &AppState) -> Result<Queues, ApiError> {
    let queue = &state.queue;
    let now = Utc::now();
    let age = |at: Option<DateTime<Utc>>| at.map(|t| (now - t).num_seconds().max(0) as u64);
    let oldest_analysis = runs::queries::oldest_queued_at(&state.db).await?;
    let mut queues = vec![view::<AnalysisJob>(
        queue.counts::<AnalysisJob>().await?,
        age(oldest_analysis),
    )];
    for kind in MaintenanceKind::ALL {
        let oldest = maintenance::oldest_queued_at(&state.db, kind).await?;
        let counts = match kind {
            MaintenanceKind::Cleanup => queue.counts::<CleanupJob>().await?,
            MaintenanceKind::Monitor => queue.counts::<MonitorJob>().await?,
        };
        queues.push(QueueView {
            name: kind.as_str().to_owned(),
            ..view::<CleanupJob>(counts, age(oldest))
        });
    }
    queues.push(view::<VerificationJob>(
        queue.counts::<VerificationJob>().await?,
        None,
    ));
    Ok(Queues {
        backend: queue.kind().to_owned(),
        queues,
    })
}

/// Records a maintenance run started by an operator and queues its job.
pub async fn start(
    state: &AppState,
    kind: MaintenanceKind,
) -> Result<maintenance_run::Model, ApiError> {
    maintenance::enqueue(&state.db, &state.queue, kind, Trigger::Api, None)
        .await
        .map_err(|e| match e {
            EnqueueError::Db(e) => ApiError::from(e),
            EnqueueError::Queue(e) => ApiError::from(e),
        })?
        // Only cron runs have a slot, and only a slot can already be taken.
        .ok_or_else(ApiError::internal)
}

/// The latest maintenance runs (of one kind, when given), newest first.
pub async fn recent_runs(
    db: &DatabaseConnection,
    kind: Option<MaintenanceKind>,
    limit: u64,
) -> Result<Vec<MaintenanceRunView>, DbErr> {
    Ok(maintenance::recent(db, kind, limit)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

fn view<J: Job>(counts: QueueCounts, oldest_waiting_seconds: Option<u64>) -> QueueView {
    QueueView {
        name: J::NAME.to_owned(),
        waiting: counts.waiting,
        running: counts.running,
        failed: counts.failed,
        dead: counts.dead,
        oldest_waiting_seconds,
    }
}

impl From<maintenance_run::Model> for MaintenanceRunView {
    fn from(run: maintenance_run::Model) -> Self {
        MaintenanceRunView {
            id: run.id,
            kind: run.kind.as_str().to_owned(),
            trigger: run.trigger.as_str().to_owned(),
            slot: run.slot,
            status: run.status.as_str().to_owned(),
            report: run.report,
            error: run.error_message,
            queued_at: run.queued_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
        }
    }
}
