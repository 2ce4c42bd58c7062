//! The site crawl: breadth-first from the home page over same-site links, bounded by page
//! count, depth and concurrency. It knows nothing of the queue or the database: it reports
//! progress on a watch channel and returns what it fetched.

pub mod address;
pub mod fetch;
pub mod scope;

use std::collections::{HashSet, VecDeque};

use futures::{StreamExt, stream::FuturesUnordered};
use tokio::sync::watch;
use url::Url;

use crate::extract::{self, PageFacts};
use fetch::{Fetched, Fetcher};
use scope::Scope;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_pages: usize,
    pub max_depth: usize,
    pub concurrency: usize,
}

/// Counters the progress writer shows while the crawl goes on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrawlStats {
    pub discovered: usize,
    pub crawled: usize,
    pub failed: usize,
    pub skipped: usize,
    pub budget: usize,
}

/// One URL the crawl dealt with.
#[derive(Debug, Clone)]
pub struct CrawledPage {
    pub url: Url,
    pub depth: usize,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    /// Present for HTML pages that were fetched and parsed.
    pub facts: Option<PageFacts>,
    /// Why the page was not crawled or failed.
    pub skip_reason: Option<String>,
}

/// Crawls from an already fetched home page.
pub async fn crawl(
    fetcher: &Fetcher,
    home: Fetched,
    limits: Limits,
    stats_tx: &watch::Sender<CrawlStats>,
) -> Vec<CrawledPage> {
    let scope = Scope::new(&home.url);
    let mut seen: HashSet<String> = HashSet::from([scope::key(&home.url)]);
    let mut frontier: VecDeque<(Url, usize)> = VecDeque::new();
    let mut pages = Vec::new();
    let mut stats = CrawlStats {
        discovered: 1,
        budget: limits.max_pages,
        ..CrawlStats::default()
    };

    let mut in_flight = FuturesUnordered::new();
    let home_url = home.url.clone();
    in_flight
        .push(Box::pin(async move { (home_url, 0usize, Ok(home)) })
            as futures::future::BoxFuture<'_, _>);
    let mut started = 1;

    while let Some((url, depth, result)) = in_flight.next().await {
        let page = settle(url, depth, result).await;
        match (&page.facts, &page.skip_reason) {
            (Some(_), _) => stats.crawled += 1,
            (None, Some(reason)) if reason == "not HTML" => stats.skipped += 1,
            _ => stats.failed += 1,
        }
        if let Some(facts) = &page.facts
            && depth < limits.max_depth
        {
            for link in &facts.links {
                if scope.contains(&link.url) && seen.insert(scope::key(&link.url)) {
                    stats.discovered += 1;
                    frontier.push_back((link.url.clone(), depth + 1));
                }
            }
        }
        pages.push(page);

        while in_flight.len() < limits.concurrency && started < limits.max_pages {
            let Some((next, next_depth)) = frontier.pop_front() else {
                break;
            };
            started += 1;
            let fetcher = fetcher.clone();
            in_flight.push(Box::pin(async move {
                let result = fetcher.get(&next).await;
                (next, next_depth, result)
            }));
        }
        stats_tx.send_replace(stats);
    }

    // What the budget left out is recorded, so the result can say why it was not crawled.
    for (url, depth) in frontier {
        stats.skipped += 1;
        pages.push(CrawledPage {
            url,
            depth,
            status: None,
            content_type: None,
            facts: None,
            skip_reason: Some("page limit".into()),
        });
    }
    stats_tx.send_replace(stats);
    pages
}

/// Turns a fetch result into a page record, parsing HTML off the async workers.
async fn settle(url: Url, depth: usize, result: Result<Fetched, fetch::FetchError>) -> CrawledPage {
    let mut page = CrawledPage {
        url,
        depth,
        status: None,
        content_type: None,
        facts: None,
        skip_reason: None,
    };
    let fetched = match result {
        Ok(fetched) => fetched,
        Err(e) => {
            page.skip_reason = Some(e.to_string());
            return page;
        }
    };
    page.status = Some(fetched.status.as_u16());
    page.content_type = fetched.content_type.clone();
    if !fetched.status.is_success() {
        page.skip_reason = Some(format!("HTTP status {}", fetched.status.as_u16()));
        return page;
    }
    if !fetched.is_html() {
        page.skip_reason = Some("not HTML".into());
        return page;
    }
    let base = fetched.url.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let html = String::from_utf8_lossy(&fetched.body);
        extract::page::parse(&html, &base)
    })
    .await;
    match parsed {
        Ok(facts) => page.facts = Some(facts),
        Err(e) => page.skip_reason = Some(format!("could not parse: {e}")),
    }
    page
}
