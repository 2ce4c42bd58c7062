//! The progress model the onboarding UI polls: four named steps, each with a status and a
//! percentage, stored as JSON on the `analysis_runs` row. This module is the one place that
//! knows the step names, the statuses and how the overall percentage is derived.

use serde::{Deserialize, Serialize};

/// The analysis steps, in order, with the names the UI shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepName {
    DomainValidation,
    ContentCrawling,
    AiProcessing,
    IntegrationSetup,
}

impl StepName {
    pub const ALL: [StepName; 4] = [
        StepName::DomainValidation,
        StepName::ContentCrawling,
        StepName::AiProcessing,
        StepName::IntegrationSetup,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StepName::DomainValidation => "Domain Validation",
            StepName::ContentCrawling => "Content Crawling",
            StepName::AiProcessing => "AI Processing",
            StepName::IntegrationSetup => "Integration Setup",
        }
    }

    pub fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    InProgress,
    Completed,
    Failed,
    Skipped,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::InProgress => "in_progress",
            StepStatus::Completed => "completed",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
        }
    }
}

/// One step as stored and as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub status: StepStatus,
    /// 0 to 100.
    pub progress: u8,
    pub detail: Option<String>,
}

/// The steps of a run that has not started.
pub fn initial_steps() -> Vec<Step> {
    StepName::ALL
        .iter()
        .map(|name| Step {
            name: name.label().to_owned(),
            status: StepStatus::Pending,
            progress: 0,
            detail: None,
        })
        .collect()
}

/// A run's stored steps (its `steps` JSON column); the initial ones if unreadable.
pub fn steps_of(run: &crate::entities::analysis_run::Model) -> Vec<Step> {
    Vec::<Step>::deserialize(&run.steps).unwrap_or_else(|_| initial_steps())
}

/// The 1-based index of the last step that started (0 before the first), as the run's
/// `current_step` records it.
pub fn current_step(steps: &[Step]) -> i16 {
    steps
        .iter()
        .rposition(|s| s.status != StepStatus::Pending && s.status != StepStatus::Skipped)
        .map_or(0, |i| i as i16 + 1)
}

/// The overall percentage: the mean of the steps' progress.
pub fn percent(steps: &[Step]) -> u8 {
    if steps.is_empty() {
        return 0;
    }
    let sum: u32 = steps.iter().map(|s| u32::from(s.progress.min(100))).sum();
    (sum / steps.len() as u32) as u8
}

/// Pages of the crawl: handled so far, and how many the crawl will handle at most (the
/// smaller of the pages found and the page budget).
#[derive(Debug, Clone, Copy)]
pub struct CrawlPace {
    pub done: u64,
    pub target: u64,
}

/// Seconds left. While crawling, the pages left in the budget at the pace observed so far;
/// otherwise the elapsed time scaled by the percentage still to do.
pub fn estimate_remaining(elapsed_secs: f64, percent: u8, crawl: Option<CrawlPace>) -> Option<u64> {
    match crawl {
        Some(CrawlPace { done, target }) if done > 0 => {
            let per_page = elapsed_secs / done as f64;
            Some((per_page * target.saturating_sub(done) as f64).round() as u64)
        }
        _ => estimated_seconds_remaining(elapsed_secs, percent),
    }
}

/// Seconds left, estimated from the elapsed time and the percentage done so far.
pub fn estimated_seconds_remaining(elapsed_secs: f64, percent: u8) -> Option<u64> {
    match percent {
        0 => None,
        100.. => Some(0),
        p => {
            let p = f64::from(p) / 100.0;
            Some((elapsed_secs * (1.0 - p) / p).round() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_named_as_the_ui_shows_them() {
        let names: Vec<_> = initial_steps().into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "Domain Validation",
                "Content Crawling",
                "AI Processing",
                "Integration Setup"
            ]
        );
    }

    #[test]
    fn percent_is_the_mean_of_step_progress() {
        let mut steps = initial_steps();
        assert_eq!(percent(&steps), 0);
        steps[0].progress = 100;
        steps[1].progress = 50;
        assert_eq!(percent(&steps), 37);
        for s in &mut steps {
            s.progress = 100;
        }
        assert_eq!(percent(&steps), 100);
    }

    #[test]
    fn estimate_scales_elapsed_by_what_is_left() {
        assert_eq!(estimated_seconds_remaining(10.0, 0), None);
        assert_eq!(estimated_seconds_remaining(10.0, 50), Some(10));
        assert_eq!(estimated_seconds_remaining(10.0, 25), Some(30));
        assert_eq!(estimated_seconds_remaining(10.0, 100), Some(0));
    }

    #[test]
    fn while_crawling_the_estimate_follows_the_pages_left() {
        let pace = CrawlPace {
            done: 10,
            target: 40,
        };
        // 10 pages in 5 s: 30 pages left take 15 s.
        assert_eq!(estimate_remaining(5.0, 30, Some(pace)), Some(15));
        assert_eq!(estimate_remaining(5.0, 50, None), Some(5));
        assert_eq!(
            estimate_remaining(
                5.0,
                50,
                Some(CrawlPace {
                    done: 0,
                    target: 40
                })
            ),
            Some(5)
        );
    }

    #[test]
    fn step_status_serialises_as_the_ui_expects() {
        assert_eq!(
            serde_json::to_string(&StepStatus::InProgress).unwrap(),
            "\"in_progress\""
        );
    }
}
