//! The operators' API (admin token): start a maintenance run, read its report, list recent
//! runs, and see the queues.

use chrono::{DateTime, Utc};
use onboard_shared::{
    entities::maintenance_run,
    jobs::{JobKind, MaintenanceKind, Trigger},
    maintenance::{self, EnqueueError, MaintenanceStatus, Report},
    queue::QueueCounts,
    runs,
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Path, Query},
    types::Example,
};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use super::Tag;
use crate::{
    admin::{self, AdminToken},
    error::{ApiError, ErrorCode, operation_errors},
    json::Json,
    state::AppState,
};

operation_errors!(OpsErrors {
    bad_request: "`invalid_request`: the request is malformed.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
});
operation_errors!(StartErrors {
    bad_request: "`invalid_kind`: the kind is not `cleanup` or `monitor`.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
});
operation_errors!(RunErrors {
    bad_request: "`invalid_id`: the id is not a whole number.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
    NotFound = 404: "`run_not_found`: no maintenance run has this id.",
});
operation_errors!(ListRunsErrors {
    bad_request: "`invalid_kind`: the kind is not `cleanup` or `monitor`; `invalid_limit`: \
                  not a number from 1 to 100; `invalid_offset`: not a number from 0 to 1000000.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
});

#[derive(Default)]
pub struct OpsApi;

#[derive(Object)]
#[oai(example)]
pub struct SessionsRevoked {
    /// Sessions that were open and are now ended.
    pub revoked: u64,
}

impl Example for SessionsRevoked {
    fn example() -> Self {
        SessionsRevoked { revoked: 2 }
    }
}

/// Runs listed when `limit` is not given.
const DEFAULT_LISTED: u64 = 20;

/// The maintenance kinds an operator may start.
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
#[oai(rename_all = "camelCase", example)]
pub struct RunQueued {
    pub run_id: i64,
    pub kind: MaintenanceKind,
    pub status: MaintenanceStatus,
}

impl Example for RunQueued {
    fn example() -> Self {
        RunQueued {
            run_id: 7,
            kind: MaintenanceKind::Cleanup,
            status: MaintenanceStatus::Queued,
        }
    }
}

#[derive(ApiResponse)]
pub enum TriggerResponse {
    /// The run is recorded and its job queued.
    #[oai(status = 202)]
    Accepted(Json<RunQueued>),
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct MaintenanceRunView {
    pub id: i64,
    pub kind: MaintenanceKind,
    pub trigger: Trigger,
    /// The schedule slot of a cron run.
    pub slot: Option<String>,
    pub status: MaintenanceStatus,
    // Described by its type (see `FloatiePosition` in the onboarding routes for why).
    pub report: Option<Report>,
    /// Why the run failed.
    pub error: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Example for MaintenanceRunView {
    fn example() -> Self {
        MaintenanceRunView {
            id: 7,
            kind: MaintenanceKind::Cleanup,
            trigger: Trigger::Cron,
            slot: Some("2026-11-29T03:00:00Z".into()),
            status: MaintenanceStatus::Succeeded,
            report: Some(Report::Cleanup(maintenance::CleanupReport {
                guests_deleted: 12,
                ops_sessions_expired: 1,
                maintenance_runs_pruned: 40,
                logo_files_deleted: 3,
                queue_entries_vacuumed: 120,
                webhook_deliveries_pruned: 4,
            })),
            error: None,
            queued_at: "2026-11-29T03:00:00Z".parse().expect("a time"),
            started_at: Some("2026-11-29T03:00:01Z".parse().expect("a time")),
            finished_at: Some("2026-11-29T03:00:02Z".parse().expect("a time")),
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct MaintenanceRuns {
    /// Newest first.
    pub runs: Vec<MaintenanceRunView>,
    /// Runs there are (of the kind asked for), all pages together.
    pub total: u64,
    /// The `offset` of the next page; absent on the last page.
    pub next_offset: Option<u64>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct QueueView {
    pub name: JobKind,
    /// Waiting to be picked up, scheduled retries included.
    pub waiting: u64,
    pub running: u64,
    /// Failed, waiting for a retry.
    pub failed: u64,
    /// Given up by the backend.
    pub dead: u64,
    /// Seconds since the oldest run of this queue still `queued` in the database was
    /// queued; absent when none is (and always for `verification` and `webhooks`).
    pub oldest_waiting_seconds: Option<u64>,
}

/// The queue backend.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum QueueBackend {
    Redis,
    Sqlite,
}

impl QueueBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueBackend::Redis => "redis",
            QueueBackend::Sqlite => "sqlite",
        }
    }
}

#[derive(Object)]
pub struct Queues {
    pub backend: QueueBackend,
    pub queues: Vec<QueueView>,
}

#[OpenApi(tag = "Tag::Ops")]
impl OpsApi {
    /// Start a maintenance run now
    ///
    /// For an external cron, or by hand: records a run of the kind and queues its job.
    /// Read its report with `getMaintenanceRun`.
    #[oai(
        path = "/api/ops/jobs/:kind",
        method = "post",
        operation_id = "startMaintenance"
    )]
    async fn trigger(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// `cleanup` or `monitor`.
        kind: Path<Kind>,
    ) -> Result<TriggerResponse, StartErrors> {
        auth.check(&state)?;
        let run = start(&state, kind.0.into()).await?;
        Ok(TriggerResponse::Accepted(Json(RunQueued {
            run_id: run.id,
            kind: run.kind,
            status: run.status,
        })))
    }

    /// A maintenance run and its report
    ///
    /// Where the run is and, once it has succeeded, what it did.
    #[oai(
        path = "/api/ops/runs/:id",
        method = "get",
        operation_id = "getMaintenanceRun"
    )]
    async fn run(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The run's id, as `startMaintenance` answered it.
        id: Path<i64>,
    ) -> Result<Json<MaintenanceRunView>, RunErrors> {
        auth.check(&state)?;
        let run = maintenance_run::Entity::find_by_id(id.0)
            .one(&state.db)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(
                    ErrorCode::RunNotFound,
                    format!("There is no maintenance run {}.", id.0),
                )
            })?;
        Ok(Json(run.into()))
    }

    /// Maintenance runs, newest first
    ///
    /// A page of runs (of one kind, when given) with the total; page on with `offset`.
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
        /// Runs to skip, 0-1000000 (default 0): the `nextOffset` of the previous page.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))]
        offset: Query<Option<u64>>,
    ) -> Result<Json<MaintenanceRuns>, ListRunsErrors> {
        auth.check(&state)?;
        let kind = kind.0.map(MaintenanceKind::from);
        let (offset, limit) = (offset.0.unwrap_or(0), limit.0.unwrap_or(DEFAULT_LISTED));
        let runs: Vec<MaintenanceRunView> = maintenance::recent(&state.db, kind, offset, limit)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        let total = maintenance::count(&state.db, kind).await?;
        let next = offset + runs.len() as u64;
        Ok(Json(MaintenanceRuns {
            runs,
            total,
            next_offset: (next < total).then_some(next),
        }))
    }

    /// Sign out every operators' page session
    ///
    /// For example after the admin token may have been seen. Answers how many were open.
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

    /// The job queues
    ///
    /// Per queue: jobs waiting, running, failed and dead, and the age of the oldest waiting
    /// run.
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
    let mut queues = Vec::new();
    for (kind, counts) in queue.counts_by_kind().await {
        // Only runs have rows that wait in the database.
        let oldest = match kind {
            JobKind::Analysis => runs::queries::oldest_queued_at(&state.db).await?,
            JobKind::Cleanup => {
                maintenance::oldest_queued_at(&state.db, MaintenanceKind::Cleanup).await?
            }
            JobKind::Monitor => {
                maintenance::oldest_queued_at(&state.db, MaintenanceKind::Monitor).await?
            }
            JobKind::Verification | JobKind::Webhooks => None,
        };
        queues.push(view(kind, counts?, age(oldest)));
    }
    Ok(Queues {
        backend: match queue.kind() {
            "redis" => QueueBackend::Redis,
            _ => QueueBackend::Sqlite,
        },
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

/// The latest maintenance runs, newest first.
pub async fn recent_runs(
    db: &DatabaseConnection,
    limit: u64,
) -> Result<Vec<MaintenanceRunView>, DbErr> {
    Ok(maintenance::recent(db, None, 0, limit)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

fn view(name: JobKind, counts: QueueCounts, oldest_waiting_seconds: Option<u64>) -> QueueView {
    QueueView {
        name,
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
            report: Report::read(run.kind, &run.report),
            kind: run.kind,
            trigger: run.trigger,
            slot: run.slot,
            status: run.status,
            error: run.error_message,
            queued_at: run.queued_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
        }
    }
}
