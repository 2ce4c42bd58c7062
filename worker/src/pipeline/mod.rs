//! One analysis run, top-down (docs/architecture.md, §4): Domain Validation, Content Crawling,
//! AI Processing, Integration Setup. Every step writes its progress through one
//! [`ProgressWriter`]; the lease decides whether this worker may work on the run at all.

mod integrate;
mod progress;
mod store;
mod validate;

use onboard_shared::telemetry::Chain;
use std::{pin::pin, time::Duration};

use onboard_shared::{
    entities::site,
    flags,
    progress::StepName,
    runs::{
        self,
        lease::{self, Claim},
    },
    sites,
};
use sea_orm::{DbErr, EntityTrait};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{
    context::JobContext,
    crawl::{self, CrawlStats, Settings},
};
pub use progress::ProgressWriter;
use store::PageWriter;
pub use validate::{Retry, ValidationError, validate};

/// How often crawl progress is written while the crawl runs.
const CRAWL_PROGRESS_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("the run's rows could not be read or written")]
    Db(#[from] DbErr),
    #[error("the run could not be queued again")]
    Queue(#[from] runs::RunError),
}

/// Why the steps stopped short.
enum StepError {
    /// A user-facing failure of one step: the run fails with this message; the detail,
    /// when there is one the guest must not see, is kept for operators.
    Failed(StepName, String, Option<String>),
    /// Our own infrastructure failed: the run is given back to be tried again.
    Internal(DbErr),
}

impl From<DbErr> for StepError {
    fn from(e: DbErr) -> Self {
        StepError::Internal(e)
    }
}

enum Outcome {
    Finished(Result<(), StepError>),
    Deadline,
    LeaseLost,
    Release,
}

/// Runs an analysis if this worker can claim it; a run held elsewhere or finished is left.
#[tracing::instrument(skip_all, fields(run_id = run_id, guest))]
pub async fn run(ctx: &JobContext, run_id: i64) -> Result<(), PipelineError> {
    let owner = format!(
        "{}:{}",
        ctx.name,
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let jobs = &ctx.config.jobs;
    if !ctx.flags.switch_on(flags::ANALYSIS).await? {
        // Switched off: the run waits as a row until the switch is on again.
        let held = runs::admission::hold(&ctx.db, run_id).await?;
        info!(held, "analysis switched off; the run waits");
        return Ok(());
    }
    let run = match lease::claim(&ctx.db, run_id, &owner, jobs.lease_ttl).await? {
        Claim::Acquired(run) => run,
        Claim::NotClaimable(why) => {
            info!(why, "delivery skipped");
            return Ok(());
        }
    };
    tracing::Span::current().record("guest", tracing::field::display(run.guest_uuid));
    info!(%owner, "run claimed");
    ctx.queue.progress_feed().guest(run.guest_uuid).await;

    let lost = CancellationToken::new();
    let heartbeat = tokio::spawn(heartbeat(
        ctx.db.clone(),
        run_id,
        owner.clone(),
        jobs.heartbeat_interval,
        lost.clone(),
    ));
    let mut progress = ProgressWriter::new(
        ctx.db.clone(),
        ctx.queue.progress_feed().clone(),
        &run,
        &owner,
    );
    let outcome = tokio::select! {
        result = tokio::time::timeout(jobs.run_deadline, steps(ctx, &run, &mut progress)) => match result {
            Ok(result) => Outcome::Finished(result),
            Err(_) => Outcome::Deadline,
        },
        _ = lost.cancelled() => Outcome::LeaseLost,
        _ = ctx.shutdown.release.cancelled() => Outcome::Release,
    };
    heartbeat.abort();

    match outcome {
        Outcome::Finished(Ok(())) => {
            progress.succeed().await?;
            info!("run succeeded");
        }
        Outcome::Finished(Err(StepError::Failed(step, message, detail))) => {
            progress.fail(step, &message, detail.as_deref()).await?;
            info!(step = step.label(), %message, ?detail, "run failed");
        }
        Outcome::Finished(Err(StepError::Internal(error))) => {
            warn!(error = %Chain(&error), "run interrupted by an internal error; giving it back");
            give_back(ctx, run_id, &owner, &mut progress).await?;
        }
        Outcome::Deadline => {
            let message = format!(
                "The analysis took longer than {} seconds",
                jobs.run_deadline.as_secs()
            );
            progress
                .fail(progress.current_step(), &message, None)
                .await?;
        }
        // Reset by the monitor, cancelled, or taken over: the row's new owner decides.
        Outcome::LeaseLost => info!("lease lost; stopping"),
        Outcome::Release => {
            if let Some(run) = lease::release(&ctx.db, run_id, &owner, false).await? {
                ctx.queue.progress_feed().guest(run.guest_uuid).await;
                runs::admission::enqueue(
                    &ctx.db,
                    &ctx.queue,
                    &run,
                    ctx.config.limits.slots_per_client,
                )
                .await?;
                info!("shutting down: run released for another worker");
            }
        }
    }
    Ok(())
}

/// Puts a run back in the queue after an internal failure, or fails it once it has been
/// given back as often as allowed.
async fn give_back(
    ctx: &JobContext,
    run_id: i64,
    owner: &str,
    progress: &mut ProgressWriter,
) -> Result<(), PipelineError> {
    let current = runs::queries::retry_count(&ctx.db, run_id).await?;
    if current.is_some_and(|retries| retries >= ctx.config.jobs.max_retries) {
        progress
            .fail(
                progress.current_step(),
                "The analysis failed repeatedly because of an internal error",
                None,
            )
            .await?;
        return Ok(());
    }
    if let Some(run) = lease::release(&ctx.db, run_id, owner, true).await? {
        ctx.queue.progress_feed().guest(run.guest_uuid).await;
        runs::admission::enqueue(
            &ctx.db,
            &ctx.queue,
            &run,
            ctx.config.limits.slots_per_client,
        )
        .await?;
    }
    Ok(())
}

async fn steps(
    ctx: &JobContext,
    run: &onboard_shared::entities::analysis_run::Model,
    progress: &mut ProgressWriter,
) -> Result<(), StepError> {
    let domain = site::Entity::find_by_id(run.site_id)
        .one(&ctx.db)
        .await?
        .map(|s| s.domain)
        .ok_or_else(|| {
            StepError::Failed(
                StepName::DomainValidation,
                "The site no longer exists".into(),
                None,
            )
        })?;

    progress
        .start(StepName::DomainValidation, &format!("Checking {domain}"))
        .await?;
    let retry = Retry {
        retries: ctx.config.jobs.validation_retries,
        backoff: ctx.config.jobs.retry_backoff,
    };
    let home = validate(&domain, &ctx.fetcher, retry).await.map_err(|e| {
        StepError::Failed(
            StepName::DomainValidation,
            e.guest_message(&domain),
            Some(e.to_string()),
        )
    })?;
    sites::mark_validated(&ctx.db, run.site_id).await?;
    progress
        .complete(StepName::DomainValidation, &format!("{} answers", home.url))
        .await?;

    progress
        .start(StepName::ContentCrawling, "Finding pages")
        .await?;
    let mut writer = PageWriter::start(ctx.db.clone(), ctx.page_writes.clone(), run.id).await?;
    crawl_with_progress(ctx, home, progress, &mut writer).await?;
    // A site whose robots.txt shuts us out is not analysed: nothing to try again.
    if writer.shut_out_by_robots() {
        return Err(StepError::Failed(
            StepName::ContentCrawling,
            format!("{domain}'s robots.txt does not allow crawling the site"),
            None,
        ));
    }
    let crawled = writer.analysed();
    metrics::counter!(onboard_shared::metrics::PAGES_CRAWLED).increment(crawled as u64);
    progress
        .complete(
            StepName::ContentCrawling,
            &format!("Crawled {crawled} pages"),
        )
        .await?;

    // Each page was read (extracted, scored, fingerprinted) as the crawl fetched it, and
    // its row written whole; what is left is the last batch.
    progress
        .start(StepName::AiProcessing, &format!("Reading {crawled} pages"))
        .await?;
    writer.flush().await?;
    progress
        .complete(StepName::AiProcessing, &format!("Read {crawled} pages"))
        .await?;

    progress
        .start(StepName::IntegrationSetup, "Preparing suggestions")
        .await?;
    let (findings, home) = writer.into_findings();
    let brand = match &home {
        Some((url, analysis)) => Some(integrate::home_brand(&ctx.fetcher, analysis, url).await),
        None => None,
    };
    findings
        .write(&ctx.db, run.id, run.site_id, brand.as_ref())
        .await?;
    progress
        .complete(StepName::IntegrationSetup, "Suggestions ready")
        .await?;
    Ok(())
}

/// Runs the crawl, writing its pages as they come and its counters to the run row at a
/// steady pace.
async fn crawl_with_progress(
    ctx: &JobContext,
    home: crawl::fetch::Fetched,
    progress: &mut ProgressWriter,
    writer: &mut PageWriter,
) -> Result<(), DbErr> {
    let settings = Settings {
        content_selectors: ctx.content_selectors.clone(),
        ..Settings::from_config(&ctx.config.crawl)
    };
    let (tx, mut rx) = watch::channel(CrawlStats::default());
    let (pages_tx, mut pages) = mpsc::unbounded_channel();
    let mut crawl = pin!(crawl::crawl(&ctx.fetcher, home, &settings, &tx, &pages_tx));
    let mut ticker = tokio::time::interval(CRAWL_PROGRESS_EVERY);
    let mut crawling = true;
    loop {
        tokio::select! {
            () = &mut crawl, if crawling => crawling = false,
            page = pages.recv() => match page {
                Some(page) => writer.add(page).await?,
                None => break,
            },
            _ = ticker.tick() => {
                writer.flush_if_due().await?;
                if rx.has_changed().unwrap_or(false) {
                    let stats = *rx.borrow_and_update();
                    progress.set_pages(stats);
                    let done = stats.crawled + stats.failed + stats.skipped;
                    let target = stats.discovered.min(stats.budget).max(1);
                    let pct = (done * 100 / target) as u8;
                    progress.advance(StepName::ContentCrawling, pct, Some(&format!("{done} of {target} pages"))).await?;
                }
            }
        }
        if !crawling && pages.is_empty() {
            break;
        }
    }
    progress.set_pages(*rx.borrow());
    Ok(())
}

/// Refreshes the lease until aborted; signals `lost` when the lease is no longer ours.
async fn heartbeat(
    db: sea_orm::DatabaseConnection,
    run_id: i64,
    owner: String,
    every: Duration,
    lost: CancellationToken,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        match lease::renew(&db, run_id, &owner).await {
            Ok(true) => {}
            Ok(false) => {
                lost.cancel();
                return;
            }
            // A passing database error: the next beat tries again before the lease goes stale.
            Err(error) => warn!(error = %Chain(&error), "lease heartbeat failed"),
        }
    }
}
