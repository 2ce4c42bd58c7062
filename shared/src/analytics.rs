//! Onboarding analytics events: the types the service records by itself, the types the
//! onboarding UI may send, and the data each automatic type carries. Every automatic event
//! is written in the same transaction as the change it records, and only when that change
//! happened, so a poll or a repeated request writes nothing.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    entities::{analysis_run, event},
    runs::RunStatus,
    webhooks,
};

/// Events the service records by itself; the UI may not send these types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auto {
    /// A guest session was created: the guest's onboarding starts.
    OnboardingStarted,
    /// `currentStep` changed: [`StepNavigated`].
    StepNavigated,
    /// Design fields changed: [`DesignUpdated`].
    DesignUpdated,
    /// An analysis run was created: [`AnalysisStarted`].
    AnalysisStarted,
    /// An analysis run ended: [`AnalysisFinished`].
    AnalysisSucceeded,
    AnalysisFailed,
    AnalysisCancelled,
    /// [`Completed`].
    OnboardingCompleted,
    /// Found idle and unfinished by the monitor: [`Abandoned`].
    OnboardingAbandoned,
    /// The session was paused, or resumed: `crate::session::Moved`.
    OnboardingPaused,
    OnboardingResumed,
}

impl Auto {
    pub const ALL: [Auto; 11] = [
        Auto::OnboardingStarted,
        Auto::StepNavigated,
        Auto::DesignUpdated,
        Auto::AnalysisStarted,
        Auto::AnalysisSucceeded,
        Auto::AnalysisFailed,
        Auto::AnalysisCancelled,
        Auto::OnboardingCompleted,
        Auto::OnboardingAbandoned,
        Auto::OnboardingPaused,
        Auto::OnboardingResumed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Auto::OnboardingStarted => "onboarding.started",
            Auto::StepNavigated => "step.navigated",
            Auto::DesignUpdated => "design.updated",
            Auto::AnalysisStarted => "analysis.started",
            Auto::AnalysisSucceeded => "analysis.succeeded",
            Auto::AnalysisFailed => "analysis.failed",
            Auto::AnalysisCancelled => "analysis.cancelled",
            Auto::OnboardingCompleted => "onboarding.completed",
            Auto::OnboardingAbandoned => "onboarding.abandoned",
            Auto::OnboardingPaused => "onboarding.paused",
            Auto::OnboardingResumed => "onboarding.resumed",
        }
    }

    /// The webhook event an automatic event also is, for the operators' endpoints.
    pub fn webhook(self) -> Option<webhooks::EventType> {
        match self {
            Auto::OnboardingCompleted => Some(webhooks::EventType::OnboardingCompleted),
            Auto::OnboardingAbandoned => Some(webhooks::EventType::OnboardingAbandoned),
            Auto::OnboardingPaused => Some(webhooks::EventType::OnboardingPaused),
            Auto::OnboardingResumed => Some(webhooks::EventType::OnboardingResumed),
            Auto::AnalysisSucceeded => Some(webhooks::EventType::AnalysisSucceeded),
            Auto::AnalysisFailed => Some(webhooks::EventType::AnalysisFailed),
            _ => None,
        }
    }
}

/// What happened in the onboarding UI. `custom` carries the UI's own name beside it and is
/// recorded as `custom.<name>`. The types the service records by itself (`onboarding.*`,
/// `step.navigated`, `design.updated`, `analysis.*`) are not among these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
pub enum UiEvent {
    #[cfg_attr(feature = "openapi", oai(rename = "page.viewed"))]
    PageViewed,
    #[cfg_attr(feature = "openapi", oai(rename = "step.viewed"))]
    StepViewed,
    #[cfg_attr(feature = "openapi", oai(rename = "button.clicked"))]
    ButtonClicked,
    #[cfg_attr(feature = "openapi", oai(rename = "help.opened"))]
    HelpOpened,
    #[cfg_attr(feature = "openapi", oai(rename = "preview.opened"))]
    PreviewOpened,
    #[cfg_attr(feature = "openapi", oai(rename = "suggestion.accepted"))]
    SuggestionAccepted,
    #[cfg_attr(feature = "openapi", oai(rename = "suggestion.dismissed"))]
    SuggestionDismissed,
    #[cfg_attr(feature = "openapi", oai(rename = "error.shown"))]
    ErrorShown,
    #[cfg_attr(feature = "openapi", oai(rename = "custom"))]
    Custom,
}

impl UiEvent {
    pub const ALL: [UiEvent; 9] = [
        UiEvent::PageViewed,
        UiEvent::StepViewed,
        UiEvent::ButtonClicked,
        UiEvent::HelpOpened,
        UiEvent::PreviewOpened,
        UiEvent::SuggestionAccepted,
        UiEvent::SuggestionDismissed,
        UiEvent::ErrorShown,
        UiEvent::Custom,
    ];

    /// The stored type; a custom event's is this prefix and its name.
    pub fn as_str(self) -> &'static str {
        match self {
            UiEvent::PageViewed => "page.viewed",
            UiEvent::StepViewed => "step.viewed",
            UiEvent::ButtonClicked => "button.clicked",
            UiEvent::HelpOpened => "help.opened",
            UiEvent::PreviewOpened => "preview.opened",
            UiEvent::SuggestionAccepted => "suggestion.accepted",
            UiEvent::SuggestionDismissed => "suggestion.dismissed",
            UiEvent::ErrorShown => "error.shown",
            UiEvent::Custom => "custom",
        }
    }
}

/// The onboarding steps by number, as the funnel names them (0: no step yet).
pub const STEP_NAMES: [&str; 4] = ["start", "design", "content", "contact"];

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepNavigated {
    pub from: i16,
    pub to: i16,
    /// Steps reached for the first time by this move (a jump from 1 to 3 reaches 2 and 3).
    #[serde(default)]
    pub reached: Vec<i16>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DesignUpdated {
    /// The design fields whose value changed (`primaryColor`, …).
    pub fields: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisStarted {
    pub run_id: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisFinished {
    pub run_id: i64,
    /// From the run's (last) start to its end; absent for a run cancelled before it started.
    pub duration_seconds: Option<f64>,
    pub pages_discovered: i32,
    pub pages_crawled: i32,
    pub pages_failed: i32,
    pub pages_skipped: i32,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completed {
    /// From the guest's first activity (the session's creation) to completion.
    pub seconds: f64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Abandoned {
    /// The step the guest was at (0: none yet).
    pub last_step: i16,
    /// Seconds since the guest's last activity when it was marked.
    pub idle_seconds: f64,
}

/// Writes one automatic event, and the webhook event it is (if any) in the outbox: both
/// on the caller's connection, so in the transaction of the change they record.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    kind: Auto,
    guest: Option<Uuid>,
    site_id: Option<i64>,
    data: impl Serialize,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let data = serde_json::to_value(data).unwrap_or(Value::Null);
    if let Some(webhook) = kind.webhook() {
        let subject = webhooks::outbox::Subject { guest, site_id };
        webhooks::outbox::record(db, webhook, subject, data.clone(), at).await?;
    }
    event::ActiveModel {
        event_type: Set(kind.as_str().to_owned()),
        guest_uuid: Set(guest),
        site_id: Set(site_id),
        session_id: Set(None),
        data: Set(data),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(drop)
}

/// Records that a run ended, from its row as the ending update returned it. A row that is
/// not in an ending state records nothing.
pub async fn record_run_end<C: ConnectionTrait>(
    db: &C,
    run: &analysis_run::Model,
) -> Result<(), DbErr> {
    let kind = match run.status {
        RunStatus::Succeeded => Auto::AnalysisSucceeded,
        RunStatus::Failed => Auto::AnalysisFailed,
        RunStatus::Cancelled => Auto::AnalysisCancelled,
        _ => return Ok(()),
    };
    let end = run.completed_at.unwrap_or_else(Utc::now);
    let data = AnalysisFinished {
        run_id: run.id,
        duration_seconds: run
            .started_at
            .map(|start| (end - start).num_milliseconds().max(0) as f64 / 1000.0),
        pages_discovered: run.pages_discovered,
        pages_crawled: run.pages_crawled,
        pages_failed: run.pages_failed,
        pages_skipped: run.pages_skipped,
        error: run.error_message.clone(),
    };
    record(db, kind, Some(run.guest_uuid), Some(run.site_id), data, end).await
}

/// The steps first reached by moving to `to` when the furthest reached so far was
/// `furthest`.
pub fn first_reached(furthest: i16, to: i16) -> Vec<i16> {
    (furthest.max(0) + 1..=to).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jump_reaches_every_step_on_the_way_once() {
        assert_eq!(first_reached(0, 1), vec![1]);
        assert_eq!(first_reached(1, 3), vec![2, 3]);
        assert!(first_reached(3, 2).is_empty());
        assert!(first_reached(2, 2).is_empty());
    }
}
