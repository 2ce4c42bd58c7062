//! Writing crawled pages: rows are inserted when the crawl ends (step 2) and filled with
//! what extraction found (step 3).

use chrono::Utc;
use onboard_shared::entities::crawled_page;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
};

use onboard_shared::untrusted;

use crate::crawl::CrawledPage;

/// Characters of a title and of a description kept.
const MAX_TITLE_CHARS: usize = 300;
const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Bytes of a page's main text and of its Markdown kept: the search index and the
/// snippets need no more, and a run's storage stays bounded by its page budget.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// Rows inserted per statement for pages that were not crawled.
const SKIPPED_BATCH: usize = 500;

/// Inserts one row per URL the crawl found. Returns the ids of the crawled pages (those with
/// facts), in crawl order, for the processing step to fill in; the others, possibly many
/// thousands from a large sitemap, go in batches.
pub async fn insert_pages(
    db: &DatabaseConnection,
    run_id: i64,
    pages: &[CrawledPage],
) -> Result<Vec<(i64, usize)>, DbErr> {
    let row = |page: &CrawledPage| crawled_page::ActiveModel {
        run_id: Set(run_id),
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
    let txn = db.begin().await?;
    let mut ids = Vec::new();
    for (index, page) in pages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.analysis.is_some())
    {
        ids.push((row(page).insert(&txn).await?.id, index));
    }
    let skipped: Vec<_> = pages.iter().filter(|p| p.analysis.is_none()).collect();
    for batch in skipped.chunks(SKIPPED_BATCH) {
        crawled_page::Entity::insert_many(batch.iter().map(|p| row(p)))
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(ids)
}

/// Stores what extraction found on a page; `duplicate_of` is the row it duplicates.
pub async fn store_analysis(
    db: &DatabaseConnection,
    id: i64,
    page: &CrawledPage,
    duplicate_of: Option<i64>,
) -> Result<(), DbErr> {
    let Some(a) = &page.analysis else {
        return Ok(());
    };
    crawled_page::Entity::update(crawled_page::ActiveModel {
        id: Set(id),
        // Crawled values: http(s) URLs only, plain bounded text.
        canonical_url: Set(a
            .canonical
            .as_deref()
            .and_then(|c| untrusted::http_url(c, None))),
        title: Set(a
            .title
            .as_deref()
            .map(|t| untrusted::plain_text(t, MAX_TITLE_CHARS))),
        description: Set(a
            .description
            .as_deref()
            .map(|d| untrusted::plain_text(d, MAX_DESCRIPTION_CHARS))),
        language: Set(a.language.code.as_deref().and_then(untrusted::language_tag)),
        category: Set(Some(a.category.as_str().to_owned())),
        main_text: Set(Some(clip(&a.content.text, MAX_TEXT_BYTES).to_owned())),
        markdown: Set(Some(clip(&a.content.markdown, MAX_TEXT_BYTES).to_owned())),
        word_count: Set(a.content.word_count as i32),
        content_hash: Set(Some(a.content_hash.clone())),
        // The bits as stored; i64 is the column type both databases share.
        simhash: Set(Some(a.simhash as i64)),
        quality_score: Set(Some(i16::from(a.quality.score))),
        quality_breakdown: Set(Some(serde_json::to_value(&a.quality).unwrap_or_default())),
        duplicate_of: Set(duplicate_of),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
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
