//! Crawls a site with the production crawler (validation, robots.txt, sitemaps, parsing)
//! and prints `{"pages": …, "seconds": …}`. Usage: bench-crawl HOST:PORT [CONCURRENCY]

use std::time::Instant;

use onboard_shared::Config;
use onboard_worker::{
    crawl::{CrawlStats, Settings, crawl_all, fetch::Fetcher},
    pipeline::{Retry, validate},
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let domain = args
        .next()
        .expect("usage: bench-crawl HOST:PORT [CONCURRENCY]");
    let concurrency = args.next().unwrap_or_else(|| "8".into());
    let config = Config::from_vars([
        ("ONBOARD_CRAWL_ALLOW_CIDRS", "127.0.0.1/32"),
        ("ONBOARD_CRAWL_CONCURRENCY", concurrency.as_str()),
        ("ONBOARD_CRAWL_MAX_PAGES", "5000"),
        ("ONBOARD_CRAWL_MAX_DEPTH", "10"),
        // Every link a page has, as Scrapy follows them (production takes 20 per page).
        ("ONBOARD_CRAWL_URLS_PER_PAGE", "1000"),
        ("ONBOARD_CRAWL_DELAY_MS", "0"),
    ])?;
    let fetcher = Fetcher::new(&config.crawl)?;
    let settings = Settings::from_config(&config.crawl);
    let started = Instant::now();
    let home = validate(&domain, &fetcher, Retry::NONE).await?;
    let (tx, rx) = tokio::sync::watch::channel(CrawlStats::default());
    let pages = crawl_all(&fetcher, home, &settings, &tx).await;
    let seconds = started.elapsed().as_secs_f64();
    let stats = *rx.borrow();
    let words: usize = pages
        .iter()
        .filter_map(|p| p.analysis.as_deref())
        .map(|a| a.facts.word_count)
        .sum();
    println!(
        "{}",
        serde_json::json!({"pages": stats.crawled, "failed": stats.failed, "skipped": stats.skipped, "seconds": seconds, "words": words})
    );
    Ok(())
}
