//! Search over what the analysis extracted from the guest's site.

use onboard_shared::telemetry::Chain;
use std::{sync::Arc, time::Instant};

use onboard_shared::{
    entities::{analysis_run, crawled_page, guest_session, site_insight},
    runs, sites,
};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Tag;
use crate::{
    error::{ApiError, ErrorCode, operation_errors},
    guest_access,
    guest_id::GuestId,
    json::Json,
    search::{Index, Page},
    state::AppState,
};

operation_errors!(SearchErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id; \
                  `invalid_query`: `query` is missing, longer than 200 characters or has no \
                  word to search for; `invalid_limit`, `invalid_offset`: out of range.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});

#[derive(Default)]
pub struct ContentApi;

/// Hits returned when `limit` is not given.
const DEFAULT_LIMIT: u32 = 10;

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ContentHit {
    pub url: String,
    pub title: String,
    /// Up to 240 characters of the page's main text, from the sentence that holds the most
    /// query terms; `…` marks a cut.
    pub snippet: String,
    /// BM25, a title match counting twice a body match; higher is better.
    pub score: f64,
}

/// One page of the hits, best first.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct ContentResults {
    /// Best first, from `offset` on.
    pub content: Vec<ContentHit>,
    /// Pages matching the query, beyond this page too.
    pub total_results: u32,
    /// The `offset` of the next page of hits, when there is one.
    pub next_offset: Option<u32>,
    /// Seconds spent answering.
    pub processing_time: f64,
    /// The analysis searched: the latest of the guest's current domain that succeeded,
    /// else the latest that finished; absent before any has finished.
    pub analysis_id: Option<i64>,
}

impl poem_openapi::types::Example for ContentResults {
    fn example() -> Self {
        ContentResults {
            content: vec![ContentHit {
                url: "https://www.acme.com/refunds".into(),
                title: "Refund policy".into(),
                snippet: "Ask for a refund within 30 days of your order…".into(),
                score: 4.21,
            }],
            total_results: 3,
            next_offset: Some(1),
            processing_time: 0.0004,
            analysis_id: Some(1),
        }
    }
}

#[derive(ApiResponse)]
pub enum SearchResponse {
    /// The matching pages, best first (none before an analysis has finished).
    #[oai(status = 200)]
    Ok(Json<ContentResults>),
}

#[OpenApi(tag = "Tag::Analysis")]
impl ContentApi {
    /// Search the pages the analysis extracted
    ///
    /// Words match in any form (`refunds` finds `refund`); a page matches when it holds
    /// any query word, ranked by BM25 with its title weighted above its body. Duplicate
    /// pages are left out. The latest finished analysis of the guest's current domain is
    /// searched (one still running is not); page through the hits with `offset`.
    #[oai(
        path = "/api/onboarding/content",
        method = "get",
        operation_id = "searchContent"
    )]
    async fn search(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
        /// What to look for: 1-200 characters with at least one word.
        #[oai(validator(min_length = 1, max_length = 200))]
        query: Query<String>,
        /// Hits to return, 1-50 (default 10).
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        limit: Query<Option<u32>>,
        /// Hits to skip, 0-10000 (default 0): the `nextOffset` of the previous page.
        #[oai(validator(minimum(value = "0"), maximum(value = "10000")))]
        offset: Query<Option<u32>>,
    ) -> Result<SearchResponse, SearchErrors> {
        let started = Instant::now();
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let Some(run) = searched_run(&state, &guest).await? else {
            return Ok(SearchResponse::Ok(Json(ContentResults {
                content: Vec::new(),
                total_results: 0,
                next_offset: None,
                processing_time: elapsed_secs(started),
                analysis_id: None,
            })));
        };
        let index = index_of(&state, &run).await?;
        let terms = index.terms(&query.0);
        if terms.is_empty() {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                "The query has no word to search for: type a word or two",
            )
            .into());
        }
        let limit = limit.0.unwrap_or(DEFAULT_LIMIT) as usize;
        let offset = offset.0.unwrap_or(0) as usize;
        let (hits, total) = index.search(&terms, offset, limit);
        let next = offset + hits.len();
        Ok(SearchResponse::Ok(Json(ContentResults {
            content: hits
                .into_iter()
                .map(|h| ContentHit {
                    url: h.url,
                    title: h.title,
                    snippet: h.snippet,
                    score: (f64::from(h.score) * 1000.0).round() / 1000.0,
                })
                .collect(),
            total_results: total as u32,
            next_offset: (next < total).then_some(next as u32),
            processing_time: elapsed_secs(started),
            analysis_id: Some(run.id),
        })))
    }
}

/// Seconds since `started`, to the microsecond.
fn elapsed_secs(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e6).round() / 1e6
}

/// The analysis searched: the guest's latest succeeded analysis of its current domain,
/// else its latest finished one (see `runs::queries::searchable`).
async fn searched_run(
    state: &AppState,
    guest: &guest_session::Model,
) -> Result<Option<analysis_run::Model>, ApiError> {
    let Some(site_id) = sites::id_of(&state.db, guest.onboarding_domain.as_deref()).await? else {
        return Ok(None);
    };
    Ok(runs::queries::searchable(&state.db, guest.uuid, site_id).await?)
}

/// The run's index, built once (see `search::Indexes`).
async fn index_of(state: &AppState, run: &analysis_run::Model) -> Result<Arc<Index>, ApiError> {
    let run_id = run.id;
    state
        .search
        .get_or_build(run_id, || build_index(state, run_id))
        .await
}

async fn build_index(state: &AppState, run_id: i64) -> Result<Index, ApiError> {
    let rows: Vec<(String, Option<String>, Option<String>)> = crawled_page::Entity::find()
        .select_only()
        .columns([
            crawled_page::Column::Url,
            crawled_page::Column::Title,
            crawled_page::Column::MainText,
        ])
        .filter(crawled_page::Column::RunId.eq(run_id))
        .filter(crawled_page::Column::MainText.is_not_null())
        .filter(crawled_page::Column::DuplicateOf.is_null())
        .order_by_asc(crawled_page::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?;
    let language = site_insight::Entity::find()
        .select_only()
        .column(site_insight::Column::Language)
        .filter(site_insight::Column::RunId.eq(run_id))
        .into_tuple::<Option<String>>()
        .one(&state.db)
        .await?
        .flatten();
    let pages = rows
        .into_iter()
        .map(|(url, title, text)| Page {
            url,
            title: title.unwrap_or_default(),
            text: text.unwrap_or_default(),
        })
        .collect();
    metrics::counter!(onboard_shared::metrics::SEARCH_INDEX_BUILDS).increment(1);
    // Stemming every page is CPU work: off the async workers.
    tokio::task::spawn_blocking(move || Index::build(pages, language.as_deref()))
        .await
        .map_err(|e| {
            tracing::error!(error = %Chain(&e), "building a search index failed");
            ApiError::internal()
        })
}
