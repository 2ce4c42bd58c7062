//! What the analysis operations answer: the run's progress as the UI polls it, and its
//! result (insights, quality, pages), each field typed as it is.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use onboard_shared::{
    insights::{self, ColorRole, ColorSuggestion, FaqPair, Found, QualitySummary, SupportChannels},
    progress::{StepName, StepStatus},
    runs::RunStatus,
};
use poem_openapi::{Enum, Object, types::Example};

/// Where an analysis is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum AnalysisStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl From<RunStatus> for AnalysisStatus {
    fn from(status: RunStatus) -> Self {
        match status {
            RunStatus::Queued => AnalysisStatus::Queued,
            RunStatus::Running => AnalysisStatus::Running,
            RunStatus::Succeeded => AnalysisStatus::Succeeded,
            RunStatus::Failed => AnalysisStatus::Failed,
            RunStatus::Cancelled => AnalysisStatus::Cancelled,
        }
    }
}

/// Where the guest's analysis is: `idle` before there is one, else the analysis' status.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum ProgressStatus {
    Idle,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl From<RunStatus> for ProgressStatus {
    fn from(status: RunStatus) -> Self {
        match status {
            RunStatus::Queued => ProgressStatus::Queued,
            RunStatus::Running => ProgressStatus::Running,
            RunStatus::Succeeded => ProgressStatus::Succeeded,
            RunStatus::Failed => ProgressStatus::Failed,
            RunStatus::Cancelled => ProgressStatus::Cancelled,
        }
    }
}

/// The analysis steps, in order, as the UI names them.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalysisStep {
    #[oai(rename = "Domain Validation")]
    DomainValidation,
    #[oai(rename = "Content Crawling")]
    ContentCrawling,
    #[oai(rename = "AI Processing")]
    AiProcessing,
    #[oai(rename = "Integration Setup")]
    IntegrationSetup,
}

impl AnalysisStep {
    /// The step of a stored step name (the progress model's labels).
    pub fn of_label(label: &str) -> Self {
        match StepName::ALL.into_iter().find(|s| s.label() == label) {
            Some(StepName::ContentCrawling) => AnalysisStep::ContentCrawling,
            Some(StepName::AiProcessing) => AnalysisStep::AiProcessing,
            Some(StepName::IntegrationSetup) => AnalysisStep::IntegrationSetup,
            _ => AnalysisStep::DomainValidation,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum StepState {
    Pending,
    InProgress,
    Completed,
    Failed,
    Skipped,
}

impl From<StepStatus> for StepState {
    fn from(status: StepStatus) -> Self {
        match status {
            StepStatus::Pending => StepState::Pending,
            StepStatus::InProgress => StepState::InProgress,
            StepStatus::Completed => StepState::Completed,
            StepStatus::Failed => StepState::Failed,
            StepStatus::Skipped => StepState::Skipped,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct StepView {
    pub name: AnalysisStep,
    pub status: StepState,
    /// 0 to 100.
    pub progress: u8,
    /// What the step is doing or did (`12 of 25 pages`), or why it failed.
    pub detail: Option<String>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct PageCounts {
    /// URLs found (a run records at most a bounded number; the count goes on).
    pub discovered: i32,
    pub crawled: i32,
    pub failed: i32,
    pub skipped: i32,
}

/// The analysis as the UI shows it while it runs.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct ProgressView {
    /// Absent until an analysis exists.
    pub analysis_id: Option<i64>,
    pub status: ProgressStatus,
    /// The four steps, in order.
    pub steps: Vec<StepView>,
    /// The mean of the steps' progress, 0 to 100.
    pub percent: u8,
    /// 1-based index of the step under way; 0 before the first.
    pub current_step: i16,
    pub is_complete: bool,
    pub is_analyzing: bool,
    /// Why the analysis failed, for the guest.
    pub error: Option<String>,
    /// Seconds: while crawling, from the pages left in the crawl budget at the observed
    /// pace; otherwise from the elapsed time and the percentage.
    pub estimated_time_remaining: Option<u64>,
    pub pages: PageCounts,
}

impl Example for ProgressView {
    fn example() -> Self {
        let step = |name, status, progress, detail: Option<&str>| StepView {
            name,
            status,
            progress,
            detail: detail.map(str::to_owned),
        };
        ProgressView {
            analysis_id: Some(1),
            status: ProgressStatus::Running,
            steps: vec![
                step(
                    AnalysisStep::DomainValidation,
                    StepState::Completed,
                    100,
                    Some("https://www.acme.com/ answers"),
                ),
                step(
                    AnalysisStep::ContentCrawling,
                    StepState::InProgress,
                    48,
                    Some("12 of 25 pages"),
                ),
                step(AnalysisStep::AiProcessing, StepState::Pending, 0, None),
                step(AnalysisStep::IntegrationSetup, StepState::Pending, 0, None),
            ],
            percent: 37,
            current_step: 2,
            is_complete: false,
            is_analyzing: true,
            error: None,
            estimated_time_remaining: Some(6),
            pages: PageCounts {
                discovered: 25,
                crawled: 12,
                failed: 0,
                skipped: 0,
            },
        }
    }
}

/// An analysis as starting or cancelling answers it.
#[derive(Object)]
#[oai(rename_all = "camelCase", example)]
pub struct AnalysisStarted {
    pub analysis_id: i64,
    pub status: AnalysisStatus,
}

impl Example for AnalysisStarted {
    fn example() -> Self {
        AnalysisStarted {
            analysis_id: 1,
            status: AnalysisStatus::Queued,
        }
    }
}

/// A URL the crawl found: crawled (with what extraction found), failed, or skipped.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct PageView {
    pub url: String,
    /// Links from the home page.
    pub depth: i32,
    pub status_code: Option<i32>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    /// `help`, `faq`, `docs`, `contact`, `pricing`, `about`, `blog`, `legal`, `product` or
    /// `other`.
    pub category: Option<String>,
    pub word_count: i32,
    /// 0 to 100.
    pub quality_score: Option<i16>,
    /// Why the page was not crawled, or failed.
    pub skip_reason: Option<String>,
    /// The URL of the page this one (nearly) duplicates, listed before it.
    pub duplicate_of: Option<String>,
}

/// What the analysis found on the site; present once Integration Setup has run.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct InsightsView {
    /// The most confident first: the first two are the primary and secondary suggestions.
    pub suggested_colors: Vec<ColorSuggestion>,
    pub logo_url: Option<String>,
    pub favicon_url: Option<String>,
    pub support_channels: SupportChannels,
    /// Pages by category.
    pub content_categories: BTreeMap<String, u64>,
    pub language: Option<String>,
    pub quality: QualitySummary,
    pub faq: Vec<FaqPair>,
}

impl InsightsView {
    pub fn of(row: onboard_shared::entities::site_insight::Model) -> Self {
        InsightsView {
            suggested_colors: insights::read(&row.suggested_colors),
            logo_url: row.logo_url,
            favicon_url: row.favicon_url,
            support_channels: insights::read(&row.support_channels),
            content_categories: insights::read(&row.content_categories),
            language: row.language,
            quality: insights::read(&row.quality_summary),
            faq: row
                .faq_pairs
                .as_ref()
                .map(insights::read)
                .unwrap_or_default(),
        }
    }
}

/// An analysis, with what it found.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct AnalysisResult {
    pub analysis_id: i64,
    pub domain: String,
    pub status: AnalysisStatus,
    /// Why the analysis failed, for the guest.
    pub error: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub pages: PageCounts,
    // Described by its type: a field's own description would wrap the reference in an
    // `allOf`, which generated clients turn into a second, duplicate class.
    pub insights: Option<InsightsView>,
    /// Every URL the crawl recorded, in the order it settled them, at most 500.
    pub page_list: Vec<PageView>,
}

impl Example for AnalysisResult {
    fn example() -> Self {
        AnalysisResult {
            analysis_id: 1,
            domain: "www.acme.com".into(),
            status: AnalysisStatus::Succeeded,
            error: None,
            queued_at: "2026-11-29T12:00:00Z".parse().expect("a time"),
            started_at: Some("2026-11-29T12:00:01Z".parse().expect("a time")),
            completed_at: Some("2026-11-29T12:00:09Z".parse().expect("a time")),
            pages: PageCounts {
                discovered: 25,
                crawled: 24,
                failed: 0,
                skipped: 1,
            },
            insights: Some(InsightsView {
                suggested_colors: vec![ColorSuggestion {
                    color: "#123456".into(),
                    source: "theme-color".into(),
                    confidence: 0.9,
                    role: ColorRole::Primary,
                }],
                logo_url: Some("https://www.acme.com/logo.svg".into()),
                favicon_url: Some("https://www.acme.com/favicon.ico".into()),
                support_channels: SupportChannels {
                    emails: vec![Found {
                        value: "help@acme.com".into(),
                        page: "https://www.acme.com/contact".into(),
                    }],
                    phones: Vec::new(),
                    chat: Vec::new(),
                    social: Vec::new(),
                    help_centres: Vec::new(),
                    contact_forms: vec!["https://www.acme.com/contact".into()],
                },
                content_categories: BTreeMap::from([("help".into(), 12), ("other".into(), 12)]),
                language: Some("en".into()),
                quality: QualitySummary {
                    pages: 24,
                    mean_score: 71,
                    good_pages: 18,
                    flagged: BTreeMap::from([("thin".into(), 3)]),
                    mean_words: 420,
                    languages: BTreeMap::from([("en".into(), 24)]),
                },
                faq: vec![FaqPair {
                    question: "Do you ship abroad?".into(),
                    answer: "Yes, to 40 countries.".into(),
                    page: "https://www.acme.com/faq".into(),
                }],
            }),
            page_list: vec![PageView {
                url: "https://www.acme.com/".into(),
                depth: 0,
                status_code: Some(200),
                title: Some("Acme".into()),
                description: Some("Acme makes widgets.".into()),
                language: Some("en".into()),
                category: Some("other".into()),
                word_count: 310,
                quality_score: Some(74),
                skip_reason: None,
                duplicate_of: None,
            }],
        }
    }
}
