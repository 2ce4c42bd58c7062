use sea_orm::entity::prelude::*;

/// One UTC day of onboarding analytics, computed from that day's events (see
/// `crate::analytics`). Every count is of events that happened on the day.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_stats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub events: i64,
    /// `{event type: count}`.
    pub events_by_type: Json,
    pub distinct_guests: i64,
    /// Guests who started onboarding (their session was created).
    pub started: i64,
    /// Guests who reached each step for the first time.
    pub reached_design: i64,
    pub reached_content: i64,
    pub reached_contact: i64,
    pub completed: i64,
    /// Guests marked abandoned, by the step they were last at.
    pub abandoned_at_start: i64,
    pub abandoned_at_design: i64,
    pub abandoned_at_content: i64,
    pub abandoned_at_contact: i64,
    /// Seconds from a guest's first activity to completion, over the day's completions.
    pub complete_seconds_median: Option<f64>,
    pub complete_seconds_p90: Option<f64>,
    pub analyses_started: i64,
    pub analyses_succeeded: i64,
    pub analyses_failed: i64,
    pub analyses_cancelled: i64,
    /// Over the day's successful analyses.
    pub analysis_seconds_median: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn abandoned(&self) -> i64 {
        self.abandoned_at_start
            + self.abandoned_at_design
            + self.abandoned_at_content
            + self.abandoned_at_contact
    }

    /// Of the guests whose onboarding ended this day (completed, or marked abandoned), the
    /// share that completed; `None` when none ended.
    pub fn completion_rate(&self) -> Option<f64> {
        ratio(self.completed, self.completed + self.abandoned())
    }

    /// Successful analyses over those that succeeded or failed (a cancelled one is the
    /// user's choice, not a failure).
    pub fn analysis_success_rate(&self) -> Option<f64> {
        ratio(
            self.analyses_succeeded,
            self.analyses_succeeded + self.analyses_failed,
        )
    }
}

pub fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}
