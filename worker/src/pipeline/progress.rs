//! The one writer of a run's progress in the worker: the steps as they go, the overall
//! percentage and the page counters, handed to the run's owner (`runs::progress`), which
//! writes them only while this worker holds the lease.

use onboard_shared::{entities::analysis_run, runs};
use onboard_shared::{
    progress::{self, Step, StepName, StepStatus},
    progress_feed::ProgressFeed,
    runs::progress::{Ending, PageCounts},
};
use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use crate::crawl::CrawlStats;

pub struct ProgressWriter {
    db: DatabaseConnection,
    feed: ProgressFeed,
    run_id: i64,
    guest: Uuid,
    owner: String,
    steps: Vec<Step>,
    pages: CrawlStats,
}

impl ProgressWriter {
    /// A resumed run starts its steps again from the beginning.
    pub fn new(
        db: DatabaseConnection,
        feed: ProgressFeed,
        run: &analysis_run::Model,
        owner: &str,
    ) -> Self {
        Self {
            db,
            feed,
            run_id: run.id,
            guest: run.guest_uuid,
            owner: owner.to_owned(),
            steps: progress::initial_steps(),
            pages: CrawlStats::default(),
        }
    }

    pub async fn start(&mut self, step: StepName, detail: &str) -> Result<(), DbErr> {
        self.set(step, StepStatus::InProgress, 0, Some(detail));
        self.write().await
    }

    /// Moves a step's progress forward (never back, so the UI's bar never shrinks).
    pub async fn advance(
        &mut self,
        step: StepName,
        progress: u8,
        detail: Option<&str>,
    ) -> Result<(), DbErr> {
        let current = self.steps[step.index()].progress;
        self.set(
            step,
            StepStatus::InProgress,
            progress.clamp(current, 99),
            detail,
        );
        self.write().await
    }

    pub async fn complete(&mut self, step: StepName, detail: &str) -> Result<(), DbErr> {
        self.set(step, StepStatus::Completed, 100, Some(detail));
        self.write().await
    }

    /// The step under way (or the next to run), for failures that are not a step's own.
    pub fn current_step(&self) -> StepName {
        StepName::ALL
            .into_iter()
            .find(|s| self.steps[s.index()].status != StepStatus::Completed)
            .unwrap_or(StepName::IntegrationSetup)
    }

    pub fn set_pages(&mut self, stats: CrawlStats) {
        self.pages = stats;
    }

    /// Marks the step failed, the later ones skipped, and the run failed with a message
    /// for the guest; `detail` is kept for operators only.
    pub async fn fail(
        &mut self,
        step: StepName,
        message: &str,
        detail: Option<&str>,
    ) -> Result<(), DbErr> {
        let progress = self.steps[step.index()].progress;
        self.set(step, StepStatus::Failed, progress, Some(message));
        for later in &mut self.steps[step.index() + 1..] {
            later.status = StepStatus::Skipped;
        }
        self.finish(Ending::Failed { message, detail }).await
    }

    pub async fn succeed(&mut self) -> Result<(), DbErr> {
        self.finish(Ending::Succeeded).await
    }

    fn set(&mut self, step: StepName, status: StepStatus, progress: u8, detail: Option<&str>) {
        let s = &mut self.steps[step.index()];
        s.status = status;
        s.progress = progress;
        if let Some(detail) = detail {
            s.detail = Some(detail.to_owned());
        }
    }

    fn pages(&self) -> PageCounts {
        let n = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        PageCounts {
            discovered: n(self.pages.discovered),
            crawled: n(self.pages.crawled),
            failed: n(self.pages.failed),
            skipped: n(self.pages.skipped),
        }
    }

    async fn write(&self) -> Result<(), DbErr> {
        runs::progress::record(
            &self.db,
            self.run_id,
            &self.owner,
            &self.steps,
            self.pages(),
        )
        .await?;
        self.feed.guest(self.guest).await;
        Ok(())
    }

    async fn finish(&self, ending: Ending<'_>) -> Result<(), DbErr> {
        runs::progress::finish(
            &self.db,
            self.run_id,
            &self.owner,
            &self.steps,
            self.pages(),
            ending,
        )
        .await?;
        self.feed.guest(self.guest).await;
        Ok(())
    }
}
