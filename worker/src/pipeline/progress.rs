//! The one writer of a run's progress: step statuses, the overall percentage and the page
//! counters, always written together and only while this worker holds the lease.

use chrono::Utc;
use onboard_shared::progress_feed::ProgressFeed;
use onboard_shared::{
    analytics,
    entities::analysis_run::{self, Column},
    progress::{self, RunStatus, Step, StepName, StepStatus},
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::crawl::CrawlStats;

/// How a run ends: its status, the guest's message and the operators' detail.
#[derive(Clone, Copy)]
struct Finish<'a> {
    status: RunStatus,
    message: Option<&'a str>,
    detail: Option<&'a str>,
}

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
        self.write(None).await
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
        self.write(None).await
    }

    pub async fn complete(&mut self, step: StepName, detail: &str) -> Result<(), DbErr> {
        self.set(step, StepStatus::Completed, 100, Some(detail));
        self.write(None).await
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
        self.write(Some(Finish {
            status: RunStatus::Failed,
            message: Some(message),
            detail,
        }))
        .await
    }

    pub async fn succeed(&mut self) -> Result<(), DbErr> {
        self.write(Some(Finish {
            status: RunStatus::Succeeded,
            message: None,
            detail: None,
        }))
        .await
    }

    fn set(&mut self, step: StepName, status: StepStatus, progress: u8, detail: Option<&str>) {
        let s = &mut self.steps[step.index()];
        s.status = status;
        s.progress = progress;
        if let Some(detail) = detail {
            s.detail = Some(detail.to_owned());
        }
    }

    async fn write(&self, finish: Option<Finish<'_>>) -> Result<(), DbErr> {
        let is_finish = finish.is_some();
        let now = Utc::now();
        let current = self
            .steps
            .iter()
            .rposition(|s| s.status != StepStatus::Pending && s.status != StepStatus::Skipped)
            .map_or(0, |i| i + 1);
        let mut update = analysis_run::Entity::update_many()
            .col_expr(
                Column::Steps,
                Expr::value(serde_json::to_value(&self.steps).expect("steps serialise")),
            )
            .col_expr(Column::CurrentStep, Expr::value(current as i16))
            .col_expr(
                Column::CompletionPercentage,
                Expr::value(i16::from(progress::percent(&self.steps))),
            )
            .col_expr(
                Column::PagesDiscovered,
                Expr::value(self.pages.discovered as i32),
            )
            .col_expr(Column::PagesCrawled, Expr::value(self.pages.crawled as i32))
            .col_expr(Column::PagesFailed, Expr::value(self.pages.failed as i32))
            .col_expr(Column::PagesSkipped, Expr::value(self.pages.skipped as i32))
            .col_expr(Column::UpdatedAt, Expr::value(now));
        if let Some(Finish {
            status,
            message,
            detail,
        }) = finish
        {
            update = update
                .col_expr(Column::Status, Expr::value(status.as_str()))
                .col_expr(
                    Column::ErrorMessage,
                    Expr::value(message.map(str::to_owned)),
                )
                .col_expr(Column::ErrorDetail, Expr::value(detail.map(str::to_owned)))
                .col_expr(Column::CompletedAt, Expr::value(now))
                .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None));
        }
        let update = update
            .filter(Column::Id.eq(self.run_id))
            .filter(Column::LeaseOwner.eq(self.owner.as_str()))
            .filter(Column::Status.eq(RunStatus::Running.as_str()));
        if is_finish {
            // The end and its event together, once: a run whose lease was lost ends nothing.
            let txn = self.db.begin().await?;
            for run in update.exec_with_returning(&txn).await? {
                analytics::record_run_end(&txn, &run).await?;
            }
            txn.commit().await?;
        } else {
            update.exec(&self.db).await?;
        }
        self.feed.guest(self.guest).await;
        Ok(())
    }
}
