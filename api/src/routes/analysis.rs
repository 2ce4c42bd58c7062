use chrono::{DateTime, Utc};
use onboard_shared::{
    entities::{analysis_run, crawled_page, guest_session, site, site_insight},
    progress::{self, Step, StepName, StepStatus},
    runs::{self, RunStatus},
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use std::net::IpAddr;

use super::Tag;
use crate::{
    error::{ApiError, operation_errors},
    guest_access,
    guest_id::GuestId,
    rate_limit::ClientIp,
    state::AppState,
};

operation_errors!(StartErrors {
    NotFound = 404: "No guest session has this id.",
    Conflict = 409: "The guest has not set a domain yet.",
    Gone = 410: "The guest session has expired.",
});
operation_errors!(ProgressErrors {
    NotFound = 404: "No guest session has this id.",
    Conflict = 409: "An analysis changed state while starting; poll again.",
    Gone = 410: "The guest session has expired.",
});
operation_errors!(CancelErrors {
    NotFound = 404: "No guest session has this id, or no analysis of this guest has this id.",
    Gone = 410: "The guest session has expired.",
});
operation_errors!(ResultErrors {
    NotFound = 404: "No guest session has this id, or no analysis of this guest has this id.",
    Gone = 410: "The guest session has expired.",
});

#[derive(Default)]
pub struct AnalysisApi;

/// Pages listed in an analysis result, at most.
const MAX_LISTED_PAGES: u64 = 500;

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct AnalysisStarted {
    pub analysis_id: i64,
    /// `queued`, `running`, …
    pub status: String,
}

#[derive(ApiResponse)]
pub enum StartResponse {
    /// The analysis is queued or already under way (starting is idempotent).
    #[oai(status = 202)]
    Accepted(Json<AnalysisStarted>),
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct StepView {
    /// `Domain Validation`, `Content Crawling`, `AI Processing` or `Integration Setup`.
    pub name: String,
    /// `pending`, `in_progress`, `completed`, `failed` or `skipped`.
    pub status: String,
    /// 0 to 100.
    pub progress: u8,
    pub detail: Option<String>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct PageCounts {
    pub discovered: i32,
    pub crawled: i32,
    pub failed: i32,
    pub skipped: i32,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct ProgressView {
    /// Absent until a domain is set.
    pub analysis_id: Option<i64>,
    /// `idle` before any analysis, else the run's status.
    pub status: String,
    pub steps: Vec<StepView>,
    /// The mean of the steps' progress.
    pub percent: u8,
    /// 1-based index of the step under way; 0 before the first.
    pub current_step: i16,
    pub is_complete: bool,
    pub is_analyzing: bool,
    pub error: Option<String>,
    /// Seconds: while crawling, from the pages left in the crawl budget at the observed
    /// pace; otherwise from the elapsed time and the percentage.
    pub estimated_time_remaining: Option<u64>,
    pub pages: PageCounts,
}

#[derive(ApiResponse)]
pub enum ProgressResponse {
    /// The progress, with an `ETag` to send back as `If-None-Match`.
    #[oai(status = 200)]
    Ok(Json<ProgressView>, #[oai(header = "ETag")] String),
    /// Nothing changed since the `ETag` sent in `If-None-Match`.
    #[oai(status = 304)]
    NotModified(#[oai(header = "ETag")] String),
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct PageView {
    pub url: String,
    pub depth: i32,
    pub status_code: Option<i32>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub category: Option<String>,
    pub word_count: i32,
    pub quality_score: Option<i16>,
    /// Why the page was not crawled, or failed.
    pub skip_reason: Option<String>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct InsightsView {
    /// `[{color, source, confidence, role}]`
    pub suggested_colors: Value,
    pub logo_url: Option<String>,
    pub favicon_url: Option<String>,
    /// Emails, phones and other channels, each with the page it was found on.
    pub support_channels: Value,
    /// Category → page count.
    pub content_categories: Value,
    pub language: Option<String>,
    pub quality: Value,
    /// `[{question, answer, page}]` from the site's FAQ pages.
    pub faq: Value,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct AnalysisResult {
    pub analysis_id: i64,
    pub domain: String,
    pub status: String,
    pub error: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub pages: PageCounts,
    /// Present once Integration Setup has run.
    pub insights: Option<InsightsView>,
    pub page_list: Vec<PageView>,
}

#[OpenApi(tag = "Tag::Analysis")]
impl AnalysisApi {
    /// Start analysing the guest's domain. While an analysis is queued or running, this
    /// returns that one.
    #[oai(
        path = "/api/onboarding/analysis",
        method = "post",
        operation_id = "startAnalysis"
    )]
    async fn start(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientIp>,
        user_uuid: Query<GuestId>,
    ) -> Result<StartResponse, StartErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let run = start_or_current(&state, &guest, client.0.0).await?;
        Ok(StartResponse::Accepted(Json(AnalysisStarted::from(run))))
    }

    /// Live progress of the guest's latest analysis; polled by the UI every 2 seconds.
    /// Starts an analysis when a domain is set and none exists yet.
    #[oai(
        path = "/api/onboarding/progress-steps",
        method = "get",
        operation_id = "getProgressSteps"
    )]
    async fn progress_steps(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientIp>,
        user_uuid: Query<GuestId>,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> Result<ProgressResponse, ProgressErrors> {
        // Most polls are answered from memory; see `progress_cache`.
        let cached = state
            .progress
            .get(user_uuid.0.0)
            .filter(|hit| guest_access::still_fresh(&hit.guest));
        let (loaded, loaded_steps);
        let (run, steps) = match &cached {
            Some(hit) => (hit.run.as_ref(), hit.steps.as_slice()),
            None => {
                let ticket = state.progress.ticket(user_uuid.0.0);
                let guest = guest_access::active(&state, user_uuid.0).await?;
                let started = runs::start::latest_or_start(
                    &state.db,
                    &state.queue,
                    &guest,
                    client.0.0,
                    &state.config.limits,
                )
                .await?;
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

    /// Cancel an analysis of this guest. A queued or running analysis ends `cancelled`
    /// within seconds; a finished one is left as it is. Answers the analysis' status.
    #[oai(
        path = "/api/onboarding/analysis/:id",
        method = "delete",
        operation_id = "cancelAnalysis"
    )]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        id: Path<i64>,
        user_uuid: Query<GuestId>,
    ) -> Result<Json<AnalysisStarted>, CancelErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        if runs::cancel::cancel_active(&state.db, guest.uuid, Some(id.0), "Cancelled by the user")
            .await?
            > 0
        {
            state.progress_changed(guest.uuid).await;
        }
        let run = guest_run(&state, guest.uuid, id.0).await?;
        Ok(Json(AnalysisStarted::from(run)))
    }

    /// The result of an analysis of this guest: insights, quality and the pages.
    #[oai(
        path = "/api/onboarding/analysis/:id",
        method = "get",
        operation_id = "getAnalysis"
    )]
    async fn result(
        &self,
        state: Data<&AppState>,
        id: Path<i64>,
        user_uuid: Query<GuestId>,
    ) -> Result<Json<AnalysisResult>, ResultErrors> {
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
            .map(|i| InsightsView {
                suggested_colors: i.suggested_colors,
                logo_url: i.logo_url,
                favicon_url: i.favicon_url,
                support_channels: i.support_channels,
                content_categories: i.content_categories,
                language: i.language,
                quality: i.quality_summary,
                faq: i.faq_pairs.unwrap_or_else(|| Value::Array(Vec::new())),
            });
        let page_list = crawled_page::Entity::find()
            .filter(crawled_page::Column::RunId.eq(run.id))
            .order_by_asc(crawled_page::Column::Id)
            .limit(MAX_LISTED_PAGES)
            .all(db)
            .await?
            .into_iter()
            .map(|p| PageView {
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
        Ok(Json(AnalysisResult {
            analysis_id: run.id,
            domain,
            pages: counts(&run),
            status: run.status.as_str().to_owned(),
            error: run.error_message,
            queued_at: run.queued_at,
            started_at: run.started_at,
            completed_at: run.completed_at,
            insights,
            page_list,
        }))
    }
}

impl From<analysis_run::Model> for AnalysisStarted {
    fn from(run: analysis_run::Model) -> Self {
        AnalysisStarted {
            analysis_id: run.id,
            status: run.status.as_str().to_owned(),
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
                "analysis_not_found",
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
            name: s.name,
            status: s.status.as_str().to_owned(),
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
        status: "idle".into(),
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
        status: run.status.as_str().to_owned(),
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
