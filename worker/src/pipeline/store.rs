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
    for (index, page) in pages.iter().enumerate().filter(|(_, p)| p.facts.is_some()) {
        ids.push((row(page).insert(&txn).await?.id, index));
    }
    let skipped: Vec<_> = pages.iter().filter(|p| p.facts.is_none()).collect();
    for batch in skipped.chunks(SKIPPED_BATCH) {
        crawled_page::Entity::insert_many(batch.iter().map(|p| row(p)))
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(ids)
}

/// Stores a page's extracted title, description, language and text.
pub async fn store_facts(
    db: &DatabaseConnection,
    id: i64,
    page: &CrawledPage,
) -> Result<(), DbErr> {
    let Some(facts) = &page.facts else {
        return Ok(());
    };
    crawled_page::Entity::update(crawled_page::ActiveModel {
        id: Set(id),
        canonical_url: Set(facts.canonical.as_ref().map(|u| u.to_string())),
        title: Set(facts.title.clone()),
        description: Set(facts.description.clone()),
        language: Set(facts.language.clone()),
        main_text: Set(Some(facts.text.clone())),
        word_count: Set(facts.word_count as i32),
        content_hash: Set(Some(facts.content_hash.clone())),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}
