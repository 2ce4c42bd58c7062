//! Events delivered to the operators' systems as signed webhooks.
//!
//! ```text
//!   change + outbox row (one transaction)        dispatcher (every worker)
//!   ─────────────────────────────────────► pending ─────────────────────► pushed
//!                                            ▲  ▲                          │ claim
//!                  redeliver (ops) ──────────┘  │ failed attempt:          ▼
//!                                               └── backoff ◄───────── sending ──► delivered
//!                                                  (retry window over) ──► failed
//! ```
//!
//! - [`outbox::record`] writes the message and one delivery per subscribed endpoint in the
//!   transaction of the change it reports: no event is lost when a process dies, and none
//!   is sent for a change that rolled back.
//! - The delivery row is the truth; the `webhooks` queue only carries an attempt that is
//!   due ([`deliveries`]). Every attempt of a message carries the same `webhook-id`.
//! - Signatures follow the Standard Webhooks specification ([`signature`]).

pub mod deliveries;
pub mod endpoints;
pub mod outbox;
pub mod signature;

use serde_json::Value;

/// The event types an endpoint may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
pub enum EventType {
    /// A guest completed onboarding: its configuration is live on its site.
    #[cfg_attr(feature = "openapi", oai(rename = "onboarding.completed"))]
    OnboardingCompleted,
    /// The guest paused its onboarding.
    #[cfg_attr(feature = "openapi", oai(rename = "onboarding.paused"))]
    OnboardingPaused,
    /// A paused or abandoned onboarding became active again.
    #[cfg_attr(feature = "openapi", oai(rename = "onboarding.resumed"))]
    OnboardingResumed,
    /// The monitor found the guest idle and unfinished.
    #[cfg_attr(feature = "openapi", oai(rename = "onboarding.abandoned"))]
    OnboardingAbandoned,
    #[cfg_attr(feature = "openapi", oai(rename = "analysis.succeeded"))]
    AnalysisSucceeded,
    #[cfg_attr(feature = "openapi", oai(rename = "analysis.failed"))]
    AnalysisFailed,
    /// The onboarding completion rate of the last 24 hours fell below the threshold.
    #[cfg_attr(feature = "openapi", oai(rename = "alert.completion_rate_low"))]
    AlertCompletionRateLow,
    /// The monitor reset or failed runs whose worker went quiet.
    #[cfg_attr(feature = "openapi", oai(rename = "alert.runs_stuck"))]
    AlertRunsStuck,
    /// An alert's condition cleared.
    #[cfg_attr(feature = "openapi", oai(rename = "alert.resolved"))]
    AlertResolved,
    /// Sent by an operator to check an endpoint; goes to that endpoint only.
    #[cfg_attr(feature = "openapi", oai(rename = "webhook.test"))]
    WebhookTest,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        EventType::OnboardingCompleted,
        EventType::OnboardingPaused,
        EventType::OnboardingResumed,
        EventType::OnboardingAbandoned,
        EventType::AnalysisSucceeded,
        EventType::AnalysisFailed,
        EventType::AlertCompletionRateLow,
        EventType::AlertRunsStuck,
        EventType::AlertResolved,
        EventType::WebhookTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OnboardingCompleted => "onboarding.completed",
            EventType::OnboardingPaused => "onboarding.paused",
            EventType::OnboardingResumed => "onboarding.resumed",
            EventType::OnboardingAbandoned => "onboarding.abandoned",
            EventType::AnalysisSucceeded => "analysis.succeeded",
            EventType::AnalysisFailed => "analysis.failed",
            EventType::AlertCompletionRateLow => "alert.completion_rate_low",
            EventType::AlertRunsStuck => "alert.runs_stuck",
            EventType::AlertResolved => "alert.resolved",
            EventType::WebhookTest => "webhook.test",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The one-line text a chat-format endpoint receives for an event.
pub fn chat_text(event_type: &str, data: &Value) -> String {
    let field = |name: &str| match data.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "?".to_owned(),
        Some(other) => other.to_string(),
    };
    match EventType::parse(event_type) {
        Some(EventType::OnboardingCompleted) => {
            format!("Onboarding completed for {}.", field("domain"))
        }
        Some(EventType::OnboardingPaused) => {
            format!("Onboarding paused by guest {}.", field("guestUuid"))
        }
        Some(EventType::OnboardingResumed) => format!(
            "Onboarding resumed by guest {} (was {}).",
            field("guestUuid"),
            field("from")
        ),
        Some(EventType::OnboardingAbandoned) => format!(
            "Onboarding abandoned by guest {} at step {}.",
            field("guestUuid"),
            field("lastStep")
        ),
        Some(EventType::AnalysisSucceeded) => format!(
            "Analysis of {} succeeded: {} pages crawled.",
            field("domain"),
            field("pagesCrawled")
        ),
        Some(EventType::AnalysisFailed) => {
            format!("Analysis of {} failed: {}", field("domain"), field("error"))
        }
        Some(EventType::AlertCompletionRateLow) => {
            let rate = data.get("rate").and_then(Value::as_f64).unwrap_or(0.0);
            let threshold = data.get("threshold").and_then(Value::as_f64).unwrap_or(0.0);
            format!(
                ":warning: Onboarding completion rate is {:.1}% over the last 24 hours \
                 ({} of {} guests), below the {:.1}% threshold.",
                rate * 100.0,
                field("completed"),
                field("started"),
                threshold * 100.0
            )
        }
        Some(EventType::AlertRunsStuck) => format!(
            ":warning: The monitor found stuck analysis runs: {} reset, {} failed.",
            field("reset"),
            field("failed")
        ),
        Some(EventType::AlertResolved) => format!("Resolved: {}.", field("alert")),
        Some(EventType::WebhookTest) => "Test event from Onboard.".to_owned(),
        None => format!("Onboard event {event_type}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("analysis.started"), None);
    }

    #[test]
    fn chat_text_names_what_happened() {
        let text = chat_text(
            "alert.completion_rate_low",
            &serde_json::json!({"rate": 0.1, "threshold": 0.2, "started": 10, "completed": 1}),
        );
        assert!(text.contains("10.0%") && text.contains("1 of 10"), "{text}");
        assert_eq!(
            chat_text(
                "onboarding.completed",
                &serde_json::json!({"domain": "acme.com"})
            ),
            "Onboarding completed for acme.com."
        );
    }
}
