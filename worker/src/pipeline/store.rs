//! Writing crawled pages: rows are inserted when the crawl ends (step 2) and filled with
//! what extraction found (step 3).

use chrono::Utc;
use onboard_shared::entities::crawled_page;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
};

use crate::crawl::CrawledPage;

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
        canonical_url: Set(a.canonical.clone()),
        title: Set(a.title.clone()),
        description: Set(a.description.clone()),
        language: Set(a.language.code.clone()),
        category: Set(Some(a.category.as_str().to_owned())),
        main_text: Set(Some(a.content.text.clone())),
        markdown: Set(Some(a.content.markdown.clone())),
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
