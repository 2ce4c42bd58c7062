//! Writing the crawled pages as the crawl settles them: each page row is written once,
//! whole (what the crawl found and what extraction found, and the page it duplicates),
//! in batches. Duplicates are decided as pages come, against the fingerprints of the pages
//! before them; the findings for the insights are gathered on the way; only the first
//! analysed page (the home page, for its brand) is kept past its batch.

use std::sync::Arc;

use chrono::Utc;
use onboard_shared::{
    entities::{crawled_page, site_insight},
    untrusted,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use tokio::sync::Semaphore;

use super::integrate::Findings;
use crate::{
    crawl::{CrawledPage, SkipReason},
    extract::{
        PageAnalysis,
        dedup::{Dedup, Fingerprint},
    },
};

/// Characters of a title and of a description kept.
const MAX_TITLE_CHARS: usize = 300;
const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Bytes of a page's main text and of its Markdown kept: the search index and the
/// snippets need no more, and a run's storage stays bounded by its page budget.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Analysed pages (rows with their text) per statement, at most; a batch waits no longer
/// than [`BATCH_WAIT`], so a slow crawl's pages are written as it goes too.
const BATCH: usize = 50;
/// Rows per statement, at most: URLs only recorded (skipped, failed) are small, and a crawl
/// that ends settles its whole frontier at once (up to `max_pages × urls_per_page` URLs),
/// best written in one statement. About 21 values a row stay well under both databases'
/// bind limits.
///
/// Batches take turns within a process (`JobContext::page_writes`). Runs started together
/// end together: 16 of them each writing ~1,000 rows at the same moment kept 16 database
/// sessions busy on the CPU at once, and everything else on the machine (the api among
/// them) waited its turn behind them: the progress poll's p99 went from 2 ms to 500 ms
/// (`just bench api`). Taking turns, the same writes take about as long in all and leave
/// the rest of the machine its share.
const BATCH_ROWS: usize = 1000;
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

pub struct PageWriter {
    db: DatabaseConnection,
    turns: Arc<Semaphore>,
    run_id: i64,
    batch: Vec<crawled_page::ActiveModel>,
    /// Rows of the batch with an analysed page.
    batch_analysed: usize,
    /// When the oldest row of the batch joined it.
    batch_since: Option<std::time::Instant>,
    /// The URL of each analysed page, in the order added (the dedup's indexes), and
    /// whether its row is written yet.
    analysed: Vec<(String, bool)>,
    dedup: Dedup,
    findings: Findings,
    home: Option<(url::Url, Box<PageAnalysis>)>,
    /// Why the first URL settled was not crawled, if it was not (robots.txt shut out).
    first_skip: Option<Option<SkipReason>>,
}

impl PageWriter {
    /// A writer for a run's pages. A run resumed after a release starts its steps again:
    /// what an earlier attempt wrote goes first.
    pub async fn start(
        db: DatabaseConnection,
        turns: Arc<Semaphore>,
        run_id: i64,
    ) -> Result<Self, DbErr> {
        crawled_page::Entity::delete_many()
            .filter(crawled_page::Column::RunId.eq(run_id))
            .exec(&db)
            .await?;
        site_insight::Entity::delete_many()
            .filter(site_insight::Column::RunId.eq(run_id))
            .exec(&db)
            .await?;
        Ok(Self {
            db,
            turns,
            run_id,
            batch: Vec::new(),
            batch_analysed: 0,
            batch_since: None,
            analysed: Vec::new(),
            dedup: Dedup::default(),
            findings: Findings::default(),
            home: None,
            first_skip: None,
        })
    }

    /// Takes one settled URL: its row joins the batch, written when the batch is full.
    pub async fn add(&mut self, page: CrawledPage) -> Result<(), DbErr> {
        self.first_skip.get_or_insert_with(|| page.skip.clone());
        let mut row = crawled_page::ActiveModel {
            run_id: Set(self.run_id),
            url: Set(page.url.to_string()),
            canonical_url: Set(None),
            depth: Set(page.depth as i32),
            status_code: Set(page.status.map(i32::from)),
            content_type: Set(page.content_type.clone()),
            word_count: Set(0),
            skip_reason: Set(page.skip.as_ref().map(ToString::to_string)),
            fetched_at: Set(page.status.map(|_| Utc::now())),
            ..Default::default()
        };
        if let Some(analysis) = page.analysis {
            let original = self.dedup.add(&Fingerprint {
                title: analysis.title.as_deref().unwrap_or_default(),
                content_hash: &analysis.content_hash,
                simhash: analysis.simhash,
                shingles: &analysis.shingles,
            });
            let duplicate_of = match original {
                Some(index) => self.id_of(index).await?,
                None => None,
            };
            fill(&mut row, &analysis, duplicate_of);
            self.findings.add(&page.url, &analysis);
            self.analysed.push((page.url.to_string(), false));
            self.batch_analysed += 1;
            if self.home.is_none() {
                self.home = Some((page.url, analysis));
            }
        }
        self.batch.push(row);
        self.batch_since.get_or_insert_with(std::time::Instant::now);
        if self.batch_analysed >= BATCH || self.batch.len() >= BATCH_ROWS {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the batch if its oldest row has waited long enough.
    pub async fn flush_if_due(&mut self) -> Result<(), DbErr> {
        if self
            .batch_since
            .is_some_and(|since| since.elapsed() >= BATCH_WAIT)
        {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the rows waiting in the batch, in one statement.
    pub async fn flush(&mut self) -> Result<(), DbErr> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.batch);
        self.batch_since = None;
        self.batch_analysed = 0;
        // Closed only when the process is done with it, which cannot happen while a run is.
        let _turn = self
            .turns
            .acquire()
            .await
            .expect("page write turns are never closed");
        crawled_page::Entity::insert_many(rows)
            .exec_without_returning(&self.db)
            .await?;
        for (_, written) in &mut self.analysed {
            *written = true;
        }
        Ok(())
    }

    /// The row id of the analysed page added `index`-th, writing the batch first when
    /// that page is still in it (duplicates are rare: this costs a flush seldom).
    async fn id_of(&mut self, index: usize) -> Result<Option<i64>, DbErr> {
        if !self.analysed[index].1 {
            self.flush().await?;
        }
        crawled_page::Entity::find()
            .select_only()
            .column(crawled_page::Column::Id)
            .filter(crawled_page::Column::RunId.eq(self.run_id))
            .filter(crawled_page::Column::Url.eq(self.analysed[index].0.as_str()))
            .into_tuple()
            .one(&self.db)
            .await
    }

    /// Pages analysed so far.
    pub fn analysed(&self) -> usize {
        self.analysed.len()
    }

    /// Whether robots.txt shut the crawl out: the home page was skipped for it and no
    /// page could be analysed.
    pub fn shut_out_by_robots(&self) -> bool {
        self.analysed.is_empty() && matches!(&self.first_skip, Some(Some(SkipReason::Robots)))
    }

    /// The findings for the insights, and the first analysed page (the home page).
    pub fn into_findings(self) -> (Findings, Option<(url::Url, Box<PageAnalysis>)>) {
        (self.findings, self.home)
    }
}

/// What extraction found, as the row stores it: crawled values as untrusted text (http(s)
/// URLs only, plain bounded text).
fn fill(row: &mut crawled_page::ActiveModel, a: &PageAnalysis, duplicate_of: Option<i64>) {
    row.canonical_url = Set(a
        .canonical
        .as_deref()
        .and_then(|c| untrusted::http_url(c, None)));
    row.title = Set(a
        .title
        .as_deref()
        .map(|t| untrusted::plain_text(t, MAX_TITLE_CHARS)));
    row.description = Set(a
        .description
        .as_deref()
        .map(|d| untrusted::plain_text(d, MAX_DESCRIPTION_CHARS)));
    row.language = Set(a.language.code.as_deref().and_then(untrusted::language_tag));
    row.category = Set(Some(a.category.as_str().to_owned()));
    row.main_text = Set(Some(clip(&a.content.text, MAX_TEXT_BYTES).to_owned()));
    row.markdown = Set(Some(clip(&a.content.markdown, MAX_TEXT_BYTES).to_owned()));
    row.word_count = Set(a.content.word_count as i32);
    row.content_hash = Set(Some(a.content_hash.clone()));
    // The bits as stored; i64 is the column type both databases share.
    row.simhash = Set(Some(a.simhash as i64));
    row.quality_score = Set(Some(i16::from(a.quality.score)));
    row.quality_breakdown = Set(Some(serde_json::to_value(&a.quality).unwrap_or_default()));
    row.duplicate_of = Set(duplicate_of);
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
