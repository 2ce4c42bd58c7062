//! The onboarding session as a state machine (`onboard_shared::session`): pause and
//! resume, and the overall progress with the next thing to do.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use onboard_shared::{
    entities::{analysis_run, guest_session},
    onboarding::{Suggestions, TempConfiguration},
    runs::{self, RunStatus},
    session::{
        self, SessionError, SessionStatus,
        estimate::{self, StepTimes},
        next::{self, AnalysisState, NextAction, Situation},
        steps::{self, Facts},
    },
    sites, verification,
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Query},
    types::{Example, ToJSON},
};
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use sha2::{Digest, Sha256};

use super::{Tag, onboarding::suggestions_of_run};
use crate::{
    error::{ApiError, ErrorCode, operation_errors},
    guest_access,
    guest_id::GuestId,
    json::Json,
    state::AppState,
};

operation_errors!(MoveErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Conflict = 409: "`invalid_session_transition`: a completed session cannot be paused or \
                     resumed.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});
operation_errors!(OverallErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});

#[derive(Default)]
pub struct SessionApi;

/// The session after a pause or a resume.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct SessionState {
    // Described by its type (see `FloatiePosition` in the onboarding routes for why).
    pub status: SessionStatus,
    pub current_step: i16,
    /// When it was paused, while paused.
    pub paused_at: Option<DateTime<Utc>>,
    /// A paused session expires `ONBOARD_PAUSED_TTL_HOURS` after it was paused; an active
    /// one the guest TTL after its last activity.
    pub expires_at: DateTime<Utc>,
}

impl Example for SessionState {
    fn example() -> Self {
        SessionState {
            status: SessionStatus::Paused,
            current_step: 2,
            paused_at: Some("2026-11-30T09:00:00Z".parse().expect("a time")),
            expires_at: "2026-12-30T09:00:00Z".parse().expect("a time"),
        }
    }
}

impl From<guest_session::Model> for SessionState {
    fn from(g: guest_session::Model) -> Self {
        SessionState {
            status: g.status,
            current_step: g.onboarding_step,
            paused_at: g.paused_at,
            expires_at: g.expires_at,
        }
    }
}

/// The next thing to do: a stable code and a sentence a UI can show.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct Recommended {
    // Described by its type.
    pub code: NextAction,
    pub message: String,
}

/// How far the guest is through onboarding.
#[derive(Object)]
#[oai(rename_all = "camelCase", example)]
pub struct OverallProgress {
    pub status: SessionStatus,
    /// Always 3: design, content, contact.
    pub total_steps: i16,
    /// The steps whose completion criteria hold (1 design, 2 content, 3 contact).
    pub completed_steps: Vec<i16>,
    /// 0 before any step, 1-3.
    pub current_step: i16,
    /// Completed steps over all steps, 0-100 (100 once onboarding is complete).
    pub percent: u8,
    /// Seconds the steps not completed yet take: per step, the median of recent
    /// completed sessions, or the default (design 120, content 180, contact 90) while
    /// there is no history. 0 once complete.
    pub estimated_time_remaining: u64,
    pub next_recommended_action: Recommended,
}

impl Example for OverallProgress {
    fn example() -> Self {
        OverallProgress {
            status: SessionStatus::Active,
            total_steps: 3,
            completed_steps: vec![1],
            current_step: 2,
            percent: 33,
            estimated_time_remaining: 270,
            next_recommended_action: Recommended {
                code: NextAction::WaitForAnalysis,
                message: NextAction::WaitForAnalysis.message().into(),
            },
        }
    }
}

#[derive(ApiResponse)]
pub enum MoveResponse {
    /// The session as it is now (a pause of a paused session, or a resume of an active
    /// one, changes nothing).
    #[oai(status = 200)]
    Ok(Json<SessionState>),
}

#[derive(ApiResponse)]
pub enum OverallResponse {
    /// The overall progress.
    #[oai(status = 200)]
    Ok(
        Json<OverallProgress>,
        /// Send it back as `If-None-Match` to get a 304 while nothing changed.
        #[oai(header = "ETag")]
        String,
    ),
    /// Nothing changed since the `ETag` sent.
    #[oai(status = 304)]
    NotModified(#[oai(header = "ETag")] String),
}

#[OpenApi(tag = "Tag::Onboarding")]
impl SessionApi {
    /// Pause the onboarding session
    ///
    /// The session is kept, never marked abandoned while paused, and expires
    /// `ONBOARD_PAUSED_TTL_HOURS` after the pause; reading it does not count as activity.
    /// Resume it with `resumeOnboarding`, or by writing its configuration.
    #[oai(
        path = "/api/onboarding/pause",
        method = "post",
        operation_id = "pauseOnboarding"
    )]
    async fn pause(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<MoveResponse, MoveErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let txn = state.db.begin().await?;
        let paused = session::pause(&txn, &guest, state.config.paused_ttl, Utc::now())
            .await
            .map_err(moved)?;
        txn.commit().await?;
        Ok(MoveResponse::Ok(Json(paused.into())))
    }

    /// Resume the onboarding session
    ///
    /// A paused or abandoned session becomes active again where it was (an abandonment
    /// stays counted in the analytics; the return is an `onboarding.resumed` event).
    #[oai(
        path = "/api/onboarding/resume",
        method = "post",
        operation_id = "resumeOnboarding"
    )]
    async fn resume(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<MoveResponse, MoveErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let txn = state.db.begin().await?;
        let resumed = session::resume(&txn, &guest, state.config.guest_ttl, "request", Utc::now())
            .await
            .map_err(moved)?;
        txn.commit().await?;
        Ok(MoveResponse::Ok(Json(resumed.into())))
    }

    /// The guest's overall onboarding progress
    ///
    /// The steps whose criteria hold, the percentage, the time the rest should take and
    /// the next thing to do. With `If-None-Match` set to the last `ETag`, 304 while
    /// nothing changed.
    #[oai(
        path = "/api/onboarding/progress",
        method = "get",
        operation_id = "getOnboardingProgress"
    )]
    async fn progress(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
        /// The `ETag` of the last answer.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<OverallResponse, OverallErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let read = read_situation(&state.db, &guest).await?;
        let view = overall(&state, &guest, &read).await?;
        let etag = format!(
            "W/\"{}\"",
            &format!("{:x}", Sha256::digest(view.to_json_string().as_bytes()))[..16]
        );
        if if_none_match
            .0
            .as_deref()
            .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag))
        {
            return Ok(OverallResponse::NotModified(etag));
        }
        Ok(OverallResponse::Ok(Json(view), etag))
    }
}

fn moved(e: SessionError) -> ApiError {
    match e {
        SessionError::Db(e) => e.into(),
        SessionError::Transition { from, to } => ApiError::conflict(
            ErrorCode::InvalidSessionTransition,
            format!("This onboarding is {from}; it cannot be {to}."),
        ),
    }
}

/// What the step criteria and the recommendation read about a guest.
pub struct Read {
    pub config: TempConfiguration,
    /// The guest's latest run, if it is of its current domain.
    pub run: Option<analysis_run::Model>,
    pub analysis_succeeded: bool,
    /// What the latest succeeded analysis of the current domain suggests.
    pub suggested: Suggestions,
}

impl Read {
    pub fn facts<'a>(&'a self, guest: &'a guest_session::Model) -> Facts<'a> {
        Facts {
            config: &self.config,
            domain: guest.onboarding_domain.as_deref(),
            analysis_succeeded: self.analysis_succeeded,
        }
    }
}

pub async fn read_situation(
    db: &DatabaseConnection,
    guest: &guest_session::Model,
) -> Result<Read, DbErr> {
    let domain = guest.onboarding_domain.as_deref();
    let site_id = sites::id_of(db, domain).await?;
    let run = match site_id {
        Some(site_id) => runs::queries::latest(db, guest.uuid)
            .await?
            .filter(|r| r.site_id == site_id),
        None => None,
    };
    let succeeded = match site_id {
        Some(site_id) => runs::queries::latest_succeeded(db, guest.uuid, site_id).await?,
        None => None,
    };
    let suggested = match &succeeded {
        Some(run) => suggestions_of_run(db, run.id).await?,
        None => Suggestions::default(),
    };
    Ok(Read {
        config: TempConfiguration::from_json(&guest.temp_configuration),
        run,
        analysis_succeeded: succeeded.is_some(),
        suggested,
    })
}

async fn overall(
    state: &AppState,
    guest: &guest_session::Model,
    read: &Read,
) -> Result<OverallProgress, ApiError> {
    let facts = read.facts(guest);
    let completed = steps::completed(&facts);
    let done = guest.status == SessionStatus::Completed;
    let verified = match guest.onboarding_domain.as_deref() {
        Some(domain) => verification::is_verified(&state.db, guest.uuid, domain).await?,
        None => false,
    };
    let analysis = match &read.run {
        None => AnalysisState::None,
        Some(run) if run.status.is_active() => AnalysisState::UnderWay,
        Some(run) if run.status == RunStatus::Succeeded => AnalysisState::Succeeded,
        Some(_) => AnalysisState::Ended,
    };
    let code = next::next_action(&Situation {
        status: guest.status,
        facts,
        analysis,
        colors_suggested: read.suggested.design.primary_color.is_some(),
        verified,
    });
    let times = state.step_times.get(&state.db).await?;
    Ok(OverallProgress {
        status: guest.status,
        total_steps: steps::TOTAL,
        percent: if done {
            100
        } else {
            (completed.len() as u32 * 100 / steps::TOTAL as u32) as u8
        },
        estimated_time_remaining: if done { 0 } else { times.remaining(&completed) },
        completed_steps: completed,
        current_step: guest.onboarding_step,
        next_recommended_action: Recommended {
            code,
            message: code.message().into(),
        },
    })
}

/// The step-time medians, read at most once a minute per process.
#[derive(Debug, Default)]
pub struct StepTimesCache(Mutex<Option<(Instant, StepTimes)>>);

const STEP_TIMES_FOR: Duration = Duration::from_secs(60);

impl StepTimesCache {
    pub async fn get(&self, db: &DatabaseConnection) -> Result<StepTimes, DbErr> {
        if let Some((at, times)) = *self.0.lock().expect("step times lock")
            && at.elapsed() < STEP_TIMES_FOR
        {
            return Ok(times);
        }
        let times = estimate::step_times(db, Utc::now()).await?;
        *self.0.lock().expect("step times lock") = Some((Instant::now(), times));
        Ok(times)
    }
}
