use chrono::Utc;
use onboard_shared::{
    entities::{analysis_run, crawled_page, guest_session, site, site_insight},
    flags,
    progress::{self, Step, StepName, StepStatus},
    runs::{self, RunStatus},
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Header, Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use std::{collections::HashMap, net::IpAddr};

use super::Tag;
use crate::{
    error::{ApiError, ErrorCode, operation_errors},
    guest_access,
    guest_id::GuestId,
    json::Json,
    rate_limit::ClientIp,
    state::AppState,
};

mod views;

pub use views::*;

operation_errors!(StartErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id.",
    rate_limited: "`too_many_analyses`: the client address, or the domain, has as many \
                   analyses under way as allowed; `rate_limited`: too many requests from this \
                   address. Try again after `Retry-After` seconds.",
    unavailable: analysis,
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Conflict = 409: "`domain_required`: the guest has not set a domain yet; \
                     `analysis_conflict`: an analysis changed state while starting, try again.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});
operation_errors!(ProgressErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id.",
    rate_limited: "`too_many_analyses`: starting the analysis lazily found the client \
                   address or the domain at its bound; `rate_limited`: too many requests from \
                   this address. Try again after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Conflict = 409: "`analysis_conflict`: an analysis changed state while starting; poll \
                     again.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});
operation_errors!(CancelErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id; \
                  `invalid_id`: the analysis id is not a number.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id; `analysis_not_found`: \
                     no analysis of this guest has this id.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});
operation_errors!(ResultErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id; \
                  `invalid_id`: the analysis id is not a number.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id; `analysis_not_found`: \
                     no analysis of this guest has this id.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});

#[derive(Default)]
pub struct AnalysisApi;

/// Pages listed in an analysis result, at most.
const MAX_LISTED_PAGES: u64 = 500;

#[derive(ApiResponse)]
pub enum StartResponse {
    /// The analysis is queued or already under way (starting is idempotent).
    #[oai(status = 202)]
    Accepted(Json<AnalysisStarted>),
}

#[derive(ApiResponse)]
pub enum ProgressResponse {
    /// The progress, with an `ETag` to send back as `If-None-Match`.
    #[oai(status = 200)]
    Ok(
        Json<ProgressView>,
        /// A weak validator of what the progress shows.
        #[oai(header = "ETag")]
        String,
    ),
    /// Nothing changed since the `ETag` sent in `If-None-Match`.
    #[oai(status = 304)]
    NotModified(
        /// The same validator.
        #[oai(header = "ETag")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum CancelResponse {
    /// The analysis' status after the cancel: `cancelled`, or how it had already ended.
    #[oai(status = 200)]
    Ok(Json<AnalysisStarted>),
}

#[derive(ApiResponse)]
pub enum ResultResponse {
    /// The analysis with its insights and its pages.
    #[oai(status = 200)]
    Ok(Json<AnalysisResult>),
}

#[OpenApi(tag = "Tag::Analysis")]
impl AnalysisApi {
    /// Start analysing the guest's domain
    ///
    /// While an analysis is queued or running, this returns that one (starting is
    /// idempotent). A new analysis is refused while the client address or the domain has
    /// as many under way as the service allows.
    #[oai(
        path = "/api/onboarding/analysis",
        method = "post",
        operation_id = "startAnalysis"
    )]
    async fn start(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientIp>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<StartResponse, StartErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let run = start_or_current(&state, &guest, client.0.0).await?;
        Ok(StartResponse::Accepted(Json(AnalysisStarted::from(run))))
    }

    /// Live progress of the guest's latest analysis
    ///
    /// Polled by the UI every 2 seconds; send the last `ETag` as `If-None-Match` to get a
    /// 304 while nothing changed. Starts an analysis when a domain is set and none exists
    /// yet.
    #[oai(
        path = "/api/onboarding/progress-steps",
        method = "get",
        operation_id = "getProgressSteps"
    )]
    async fn progress_steps(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientIp>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
        /// The `ETag` of the last answer.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<ProgressResponse, ProgressErrors> {
        // Most polls are answered from memory; see `progress_cache`.
        let cached = state
            .progress
            .get(user_uuid.0.0)
            .filter(|hit| state.activity.seen(&hit.guest).is_some());
        let (loaded, loaded_steps);
        let (run, steps) = match &cached {
            Some(hit) => (hit.run.as_ref(), hit.steps.as_slice()),
            None => {
                let ticket = state.progress.ticket(user_uuid.0.0);
                let guest = guest_access::active(&state, user_uuid.0).await?;
                // With analyses switched off, the poll shows the latest run but starts none.
                let started = if state.flags.switch_on(flags::ANALYSIS).await? {
                    runs::start::latest_or_start(
                        &state.db,
                        &state.queue,
                        &guest,
                        client.0.0,
                        &state.config.limits,
                    )
                    .await?
                } else {
                    runs::queries::latest(&state.db, guest.uuid)
                        .await?
                        .map(|run| runs::start::Started {
                            run,
                            created: false,
                        })
                };
                let run = match started {
                    Some(started) => Some(announced(&state, started).await),
                    None => None,
                };
                state.progress.put(ticket, guest, run.clone());
                loaded_steps = run.as_ref().map(progress::steps_of).unwrap_or_default();
                loaded = run;
                (loaded.as_ref(), loaded_steps.as_slice())
            }
        };
        let etag = run.map_or_else(|| "W/\"idle\"".to_owned(), etag_of);
        if if_none_match
            .0
            .as_deref()
            .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag))
        {
            return Ok(ProgressResponse::NotModified(etag));
        }
        let view = run.map_or_else(idle_view, |r| {
            progress_view(r, steps, state.config.crawl.max_pages)
        });
        Ok(ProgressResponse::Ok(Json(view), etag))
    }

    /// Cancel an analysis of this guest
    ///
    /// A queued or running analysis ends `cancelled` within seconds; a finished one is left
    /// as it is. Answers the analysis' status.
    #[oai(
        path = "/api/onboarding/analysis/:id",
        method = "delete",
        operation_id = "cancelAnalysis"
    )]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        /// The analysis' id.
        id: Path<i64>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<CancelResponse, CancelErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        if runs::cancel::cancel_active(&state.db, guest.uuid, Some(id.0), "Cancelled by the user")
            .await?
            > 0
        {
            state.progress_changed(guest.uuid).await;
        }
        let run = guest_run(&state, guest.uuid, id.0).await?;
        Ok(CancelResponse::Ok(Json(AnalysisStarted::from(run))))
    }

    /// The result of an analysis of this guest
    ///
    /// What it found (brand colours, logo, support channels, categories, language, FAQ
    /// pairs, the quality of the pages) and every URL it recorded with why it was skipped
    /// or failed.
    #[oai(
        path = "/api/onboarding/analysis/:id",
        method = "get",
        operation_id = "getAnalysis"
    )]
    async fn result(
        &self,
        state: Data<&AppState>,
        /// The analysis' id.
        id: Path<i64>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<ResultResponse, ResultErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let db = &state.db;
        let run = guest_run(&state, guest.uuid, id.0).await?;
        let domain = site::Entity::find_by_id(run.site_id)
            .one(db)
            .await?
            .map(|s| s.domain)
            .unwrap_or_default();
        let insights = site_insight::Entity::find()
            .filter(site_insight::Column::RunId.eq(run.id))
            .one(db)
            .await?
            .map(InsightsView::of);
        let rows = crawled_page::Entity::find()
            .filter(crawled_page::Column::RunId.eq(run.id))
            .order_by_asc(crawled_page::Column::Id)
            .limit(MAX_LISTED_PAGES)
            .all(db)
            .await?;
        // A duplicate names the URL of its original, which the crawl recorded before it.
        let urls: HashMap<i64, String> = rows.iter().map(|p| (p.id, p.url.clone())).collect();
        let page_list = rows
            .into_iter()
            .map(|p| PageView {
                duplicate_of: p.duplicate_of.and_then(|id| urls.get(&id).cloned()),
                url: p.url,
                depth: p.depth,
                status_code: p.status_code,
                title: p.title,
                description: p.description,
                language: p.language,
                category: p.category,
                word_count: p.word_count,
                quality_score: p.quality_score,
                skip_reason: p.skip_reason,
            })
            .collect();
        Ok(ResultResponse::Ok(Json(AnalysisResult {
            analysis_id: run.id,
            domain,
            pages: counts(&run),
            status: run.status.into(),
            error: run.error_message,
            queued_at: run.queued_at,
            started_at: run.started_at,
            completed_at: run.completed_at,
            insights,
            page_list,
        })))
    }
}

impl From<analysis_run::Model> for AnalysisStarted {
    fn from(run: analysis_run::Model) -> Self {
        AnalysisStarted {
            analysis_id: run.id,
            status: run.status.into(),
        }
    }
}

/// One of the guest's analyses. Another guest's is answered exactly like a missing one.
async fn guest_run(
    state: &AppState,
    guest: Uuid,
    id: i64,
) -> Result<analysis_run::Model, ApiError> {
    runs::queries::of_guest(&state.db, guest, id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                ErrorCode::AnalysisNotFound,
                format!("No analysis {id} for this guest"),
            )
        })
}

/// The guest's active run, or a new one for its domain, through the run's owner; a new
/// run is counted and announced to the progress cache.
pub async fn start_or_current(
    state: &AppState,
    guest: &guest_session::Model,
    client: Option<IpAddr>,
) -> Result<analysis_run::Model, ApiError> {
    if !state.flags.switch_on(flags::ANALYSIS).await? {
        return Err(ApiError::switched_off(
            ErrorCode::AnalysisDisabled,
            "Analyses are switched off for the moment; the rest of onboarding works. Try \
             again later.",
        ));
    }
    let started =
        runs::start::start_or_current(&state.db, &state.queue, guest, client, &state.config.limits)
            .await?;
    Ok(announced(state, started).await)
}

async fn announced(state: &AppState, started: runs::start::Started) -> analysis_run::Model {
    if started.created {
        metrics::counter!(onboard_shared::metrics::ANALYSES_STARTED).increment(1);
        state.progress_changed(started.run.guest_uuid).await;
    }
    started.run
}

fn counts(run: &analysis_run::Model) -> PageCounts {
    PageCounts {
        discovered: run.pages_discovered,
        crawled: run.pages_crawled,
        failed: run.pages_failed,
        skipped: run.pages_skipped,
    }
}

fn step_views(steps: Vec<Step>) -> Vec<StepView> {
    steps
        .into_iter()
        .map(|s| StepView {
            name: AnalysisStep::of_label(&s.name),
            status: s.status.into(),
            progress: s.progress,
            detail: s.detail,
        })
        .collect()
}

/// A weak validator of what the poll shows: every progress write moves `updated_at`. (The
/// time estimate is derived on each read; it may lag by one write, which is fine for a hint.)
fn etag_of(run: &analysis_run::Model) -> String {
    format!("W/\"{}-{}\"", run.id, run.updated_at.timestamp_micros())
}

fn idle_view() -> ProgressView {
    ProgressView {
        analysis_id: None,
        status: ProgressStatus::Idle,
        steps: step_views(progress::initial_steps()),
        percent: 0,
        current_step: 0,
        is_complete: false,
        is_analyzing: false,
        error: None,
        estimated_time_remaining: None,
        pages: PageCounts {
            discovered: 0,
            crawled: 0,
            failed: 0,
            skipped: 0,
        },
    }
}

fn progress_view(run: &analysis_run::Model, steps: &[Step], crawl_budget: usize) -> ProgressView {
    let status = run.status;
    let percent = progress::percent(steps);
    let crawling = steps
        .get(StepName::ContentCrawling.index())
        .is_some_and(|s| s.status == StepStatus::InProgress);
    let estimate = match (status, run.started_at) {
        (RunStatus::Succeeded, _) => Some(0),
        (RunStatus::Running, Some(started)) => {
            let elapsed = (Utc::now() - started).num_milliseconds().max(0) as f64 / 1000.0;
            let done = (run.pages_crawled + run.pages_failed + run.pages_skipped).max(0) as u64;
            let target = (run.pages_discovered.max(0) as u64).min(crawl_budget as u64);
            let pace = crawling.then_some(progress::CrawlPace { done, target });
            progress::estimate_remaining(elapsed, percent, pace)
        }
        _ => None,
    };
    ProgressView {
        analysis_id: Some(run.id),
        status: run.status.into(),
        steps: step_views(steps.to_vec()),
        percent,
        current_step: run.current_step,
        is_complete: status == RunStatus::Succeeded,
        is_analyzing: status.is_active(),
        error: run.error_message.clone(),
        estimated_time_remaining: estimate,
        pages: counts(run),
    }
}
