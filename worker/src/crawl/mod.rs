//! The site crawl: robots.txt obeyed per origin, sitemaps used, pages a help desk needs
//! first, per-host concurrency and delay, 429/503 and transient failures retried with
//! backoff, every URL found accounted for (crawled, failed, or skipped with its reason),
//! all within a page budget, a depth limit and a deadline. It knows nothing of the queue or
//! the database: progress goes out on a watch channel, and each URL, once settled, goes out
//! on a channel (crawled pages with their analysis), so no crawl holds all its pages.

pub mod address;
mod analysis_threads;
pub mod fetch;
pub mod frontier;
pub mod robots;
pub mod scope;
pub mod sitemap;
pub mod url;

use std::{
    collections::{HashMap, HashSet},
    fmt,
    sync::Arc,
    time::Duration,
};

use ::url::Url;
use futures::{StreamExt, future::BoxFuture, stream::FuturesUnordered};
use onboard_shared::config::CrawlConfig;
use tokio::{
    sync::{mpsc, watch},
    time::Instant,
};

use crate::extract::{self, PageAnalysis, site_selectors::SiteSelectors};
use fetch::{FetchError, Fetched, Fetcher};
use frontier::{Entry, Frontier};
use robots::Robots;
use scope::Scope;

/// The crawl's bounds and manners, from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_pages: usize,
    /// URLs recorded (with a row) besides the crawled pages; beyond it, only the counts
    /// grow, so a site listing a million URLs costs a bounded amount of storage.
    pub max_recorded: usize,
    pub max_depth: usize,
    /// Requests in flight to one host.
    pub concurrency: usize,
    pub delay: Duration,
    pub max_crawl_delay: Duration,
    pub retries: u32,
    pub help_subdomains: bool,
    pub deadline: Duration,
    pub user_agent: String,
    pub sitemaps: sitemap::SitemapLimits,
    /// Configured main-content selectors, by host.
    pub content_selectors: Arc<SiteSelectors>,
}

impl Settings {
    pub fn from_config(c: &CrawlConfig) -> Self {
        let max_recorded = c.max_pages.saturating_mul(c.urls_per_page);
        Self {
            max_pages: c.max_pages,
            max_recorded,
            max_depth: c.max_depth,
            concurrency: c.concurrency,
            delay: c.delay,
            max_crawl_delay: c.max_crawl_delay,
            retries: c.retries,
            help_subdomains: c.help_subdomains,
            deadline: c.deadline,
            user_agent: c.user_agent.clone(),
            sitemaps: sitemap::SitemapLimits {
                max_kept: max_recorded,
                ..sitemap::SitemapLimits::default()
            },
            content_selectors: Arc::default(),
        }
    }
}

/// Why a URL that was found was not crawled, or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    Robots,
    Depth,
    PageLimit,
    OutOfScope,
    NotHtml,
    TooLarge,
    Duplicate,
    Trap(&'static str),
    Deadline,
    Status(u16),
    Timeout,
    Failed(String),
}

impl SkipReason {
    /// A failure of the site (counted as failed) rather than a choice of ours (skipped).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            SkipReason::Status(_) | SkipReason::Timeout | SkipReason::Failed(_)
        )
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Robots => f.write_str("robots"),
            SkipReason::Depth => f.write_str("depth"),
            SkipReason::PageLimit => f.write_str("page limit"),
            SkipReason::OutOfScope => f.write_str("out of scope"),
            SkipReason::NotHtml => f.write_str("not HTML"),
            SkipReason::TooLarge => f.write_str("too large"),
            SkipReason::Duplicate => f.write_str("duplicate"),
            SkipReason::Trap(why) => write!(f, "trap: {why}"),
            SkipReason::Deadline => f.write_str("deadline"),
            SkipReason::Status(code) => write!(f, "HTTP status {code}"),
            SkipReason::Timeout => f.write_str("timeout"),
            SkipReason::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// Counters the progress writer shows while the crawl goes on. At the end,
/// `discovered == crawled + failed + skipped`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrawlStats {
    pub discovered: usize,
    pub crawled: usize,
    pub failed: usize,
    pub skipped: usize,
    pub budget: usize,
}

/// One URL the crawl found.
#[derive(Debug, Clone)]
pub struct CrawledPage {
    pub url: Url,
    pub depth: usize,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    /// Present for HTML pages that were fetched and analysed.
    pub analysis: Option<Box<PageAnalysis>>,
    pub skip: Option<SkipReason>,
}

/// The most time a 429/503 Retry-After may make a host wait.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct Host {
    in_flight: usize,
    next_at: Instant,
    delay: Duration,
}

/// A fetch's answer with its analysis, or why the answer is not a page to keep.
type Landed = Result<(Fetched, Result<PageAnalysis, SkipReason>), FetchError>;

type InFlight<'a> = FuturesUnordered<BoxFuture<'a, (Entry, Landed)>>;

/// Analyses a fetched page off the runtime when it is one to analyse: a successful, whole
/// HTML answer. Runs inside the fetch's own future, so the pages of a crawl are analysed
/// side by side rather than one after another in the crawl's loop.
async fn analyse_fetched(
    fetched: &Fetched,
    selectors: &SiteSelectors,
) -> Result<PageAnalysis, SkipReason> {
    if !fetched.status.is_success() {
        return Err(SkipReason::Status(fetched.status.as_u16()));
    } else if !fetched.is_html() {
        return Err(SkipReason::NotHtml);
    } else if fetched.truncated {
        return Err(SkipReason::TooLarge);
    }
    let turn = analysis_threads::turn().await;
    let text = fetched.text();
    let base = fetched.url.clone();
    let language = fetched.content_language.clone();
    let selectors = base.host_str().and_then(|h| selectors.for_host(h));
    let analysed = turn
        .run(move || {
            extract::analyse(
                &text,
                &base,
                language.as_deref(),
                selectors.as_deref().unwrap_or_default(),
            )
        })
        .await;
    analysed.map_err(|e| SkipReason::Failed(format!("could not parse: {e}")))
}

struct Crawl<'a> {
    fetcher: &'a Fetcher,
    settings: &'a Settings,
    scope: Scope,
    seen: HashSet<String>,
    frontier: Frontier,
    /// Entries waiting to be fetched again; they do not count against the page budget.
    retries: Vec<Entry>,
    robots: HashMap<String, Robots>,
    hosts: HashMap<String, Host>,
    hashes: HashSet<String>,
    /// Where each settled URL goes.
    out: &'a mpsc::UnboundedSender<CrawledPage>,
    stats: CrawlStats,
    started: usize,
    /// URLs recorded that were not crawled (rows besides the crawled pages).
    recorded: usize,
}

/// The set of URLs seen holds at most this many times the URLs a run records.
const SEEN_PER_RECORDED: usize = 4;

/// Crawls a site from its already fetched home page, sending each URL found (crawled,
/// failed or skipped) to `pages` as it is settled, within the run's bound on URLs recorded.
pub async fn crawl(
    fetcher: &Fetcher,
    home: Fetched,
    settings: &Settings,
    stats_tx: &watch::Sender<CrawlStats>,
    pages: &mpsc::UnboundedSender<CrawledPage>,
) {
    let deadline = Instant::now() + settings.deadline;
    let home_url = url::normalise(&home.url);
    let mut c = Crawl {
        fetcher,
        settings,
        scope: Scope::with_help_subdomains(&home_url, settings.help_subdomains),
        seen: HashSet::new(),
        frontier: Frontier::default(),
        retries: Vec::new(),
        robots: HashMap::new(),
        hosts: HashMap::new(),
        hashes: HashSet::new(),
        out: pages,
        stats: CrawlStats {
            budget: settings.max_pages,
            ..CrawlStats::default()
        },
        started: 0,
        recorded: 0,
    };

    // The home page: fetched by Domain Validation, crawled here if robots.txt allows it.
    c.seen.insert(scope::key(&home_url));
    c.stats.discovered += 1;
    let home_entry = Entry {
        url: home_url.clone(),
        depth: 0,
        attempt: 0,
        class: 0,
    };
    if c.allowed(&home_url).await {
        c.started += 1;
        let analysis = analyse_fetched(&home, &settings.content_selectors).await;
        c.settle(home_entry, Ok((home, analysis)));
    } else {
        c.record(home_entry.url, 0, None, None, Some(SkipReason::Robots));
    }

    // Sitemaps: those robots.txt names, and the conventional one, if robots.txt allows them.
    let mut roots: Vec<Url> = c
        .robots_for(&home_url)
        .await
        .sitemaps()
        .iter()
        .filter_map(|s| Url::parse(s).ok())
        .collect();
    if let Ok(default) = home_url.join("/sitemap.xml")
        && !roots.contains(&default)
    {
        roots.push(default);
    }
    let mut allowed_roots = Vec::new();
    for root in roots {
        if c.allowed(&root).await {
            allowed_roots.push(root);
        }
    }
    let listed = sitemap::discover(fetcher, allowed_roots, settings.sitemaps).await;
    for note in listed.notes {
        tracing::info!(%note, "sitemap not fully used");
    }
    for url in listed.pages {
        c.discover(url, 1, "");
    }
    // Listed beyond what a run keeps: counted as found and skipped, never stored.
    c.stats.discovered += listed.dropped;
    c.stats.skipped += listed.dropped;
    stats_tx.send_replace(c.stats);

    let mut in_flight: InFlight<'_> = FuturesUnordered::new();
    let mut flying: HashMap<String, Entry> = HashMap::new();
    let total_cap = settings.concurrency * 4;
    let timed_out = loop {
        let wait = c.start_ready(&mut in_flight, &mut flying, total_cap).await;
        let fresh_left = !c.frontier.is_empty() && c.started < settings.max_pages;
        if in_flight.is_empty() && c.retries.is_empty() && !fresh_left {
            break false;
        }
        let pause = wait.unwrap_or(Duration::from_secs(1));
        tokio::select! {
            Some((entry, result)) = in_flight.next(), if !in_flight.is_empty() => {
                flying.remove(entry.url.as_str());
                c.settle(entry, result);
                stats_tx.send_replace(c.stats);
            }
            _ = tokio::time::sleep_until(deadline) => break true,
            // Hosts are resting (Crawl-delay, Retry-After): wake when the first may go on.
            _ = tokio::time::sleep(pause), if wait.is_some() => {}
        }
    };

    drop(in_flight);
    let left = if timed_out {
        SkipReason::Deadline
    } else {
        SkipReason::PageLimit
    };
    let retries = std::mem::take(&mut c.retries);
    for entry in flying
        .into_values()
        .chain(retries)
        .chain(c.frontier.drain())
    {
        c.record(entry.url, entry.depth, None, None, Some(left.clone()));
    }
    stats_tx.send_replace(c.stats);
}

/// Crawls a site and returns every URL found at once (tools, benchmarks and tests; the
/// pipeline takes them as they come from [`crawl`]).
pub async fn crawl_all(
    fetcher: &Fetcher,
    home: Fetched,
    settings: &Settings,
    stats_tx: &watch::Sender<CrawlStats>,
) -> Vec<CrawledPage> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    crawl(fetcher, home, settings, stats_tx, &tx).await;
    drop(tx);
    let mut pages = Vec::new();
    while let Some(page) = rx.recv().await {
        pages.push(page);
    }
    pages
}

impl Crawl<'_> {
    /// Starts fetches for frontier entries whose host may take one now. Returns how long
    /// until a resting host may go on, when entries are waiting for that.
    async fn start_ready<'f>(
        &mut self,
        in_flight: &mut InFlight<'f>,
        flying: &mut HashMap<String, Entry>,
        total_cap: usize,
    ) -> Option<Duration>
    where
        Self: 'f,
    {
        let mut waiting = Vec::new();
        let mut wait: Option<Duration> = None;
        let now = Instant::now();
        let mut retries = std::mem::take(&mut self.retries).into_iter();
        while in_flight.len() < total_cap {
            // Retries first (they are owed), then new pages while the budget lasts.
            let entry = match retries.next() {
                Some(entry) => entry,
                None if self.started < self.settings.max_pages => match self.frontier.pop() {
                    Some(entry) => entry,
                    None => break,
                },
                None => break,
            };
            if entry.attempt == 0 && !self.allowed(&entry.url).await {
                self.reject(entry, None, SkipReason::Robots);
                continue;
            }
            let host_key = entry.url.host_str().unwrap_or_default().to_owned();
            let per_host = self.settings.concurrency;
            let host = self.host(&entry.url).await;
            if host.in_flight >= per_host || host.next_at > now {
                if host.next_at > now {
                    let until = host.next_at - now;
                    wait = Some(wait.map_or(until, |w| w.min(until)));
                }
                waiting.push(entry);
                continue;
            }
            let host = self.hosts.get_mut(&host_key).expect("host state");
            host.in_flight += 1;
            host.next_at = now + host.delay;
            if entry.attempt == 0 {
                self.started += 1;
            }
            let fetcher = self.fetcher.clone();
            let selectors = &self.settings.content_selectors;
            flying.insert(entry.url.to_string(), entry.clone());
            in_flight.push(Box::pin(async move {
                let landed = match fetcher.get(&entry.url).await {
                    Ok(fetched) => {
                        let analysis = analyse_fetched(&fetched, selectors).await;
                        Ok((fetched, analysis))
                    }
                    Err(e) => Err(e),
                };
                (entry, landed)
            }));
        }
        // Whatever was not started waits for the next round.
        self.retries.extend(retries);
        let any_waiting = !waiting.is_empty();
        for entry in waiting {
            if entry.attempt > 0 {
                self.retries.push(entry);
            } else {
                self.frontier.push(entry);
            }
        }
        if any_waiting && wait.is_none() && in_flight.is_empty() {
            wait = Some(Duration::from_millis(50));
        }
        wait
    }

    async fn robots_for(&mut self, url: &Url) -> &Robots {
        let origin = url.origin().ascii_serialization();
        if !self.robots.contains_key(&origin) {
            let robots = Robots::fetch(
                self.fetcher,
                url,
                &self.settings.user_agent,
                self.settings.max_crawl_delay,
            )
            .await;
            self.robots.insert(origin.clone(), robots);
        }
        &self.robots[&origin]
    }

    async fn allowed(&mut self, url: &Url) -> bool {
        self.robots_for(url).await.allowed(url)
    }

    async fn host(&mut self, url: &Url) -> &mut Host {
        let key = url.host_str().unwrap_or_default().to_owned();
        if !self.hosts.contains_key(&key) {
            let crawl_delay = self.robots_for(url).await.delay().unwrap_or_default();
            self.hosts.insert(
                key.clone(),
                Host {
                    in_flight: 0,
                    next_at: Instant::now(),
                    delay: self.settings.delay.max(crawl_delay),
                },
            );
        }
        self.hosts.get_mut(&key).expect("just inserted")
    }

    /// A URL was found: count it once, and either queue it or record why not. Past the
    /// run's bound on recorded URLs, new URLs are only counted (skipped), and once the
    /// set of URLs seen is full a URL may be counted more than once.
    fn discover(&mut self, url: Url, depth: usize, anchor: &str) {
        let url = url::normalise(&url);
        let key = scope::key(&url);
        if self.seen.contains(&key) {
            return;
        }
        if self.seen.len() < self.settings.max_recorded.saturating_mul(SEEN_PER_RECORDED) {
            self.seen.insert(key);
        }
        self.stats.discovered += 1;
        let skip = if !self.scope.contains(&url) {
            Some(SkipReason::OutOfScope)
        } else if let Some(why) = url::trap(&url) {
            Some(SkipReason::Trap(why))
        } else if depth > self.settings.max_depth {
            Some(SkipReason::Depth)
        } else {
            None
        };
        match skip {
            Some(reason) => self.record(url, depth, None, None, Some(reason)),
            // The frontier holds no more than the run may record.
            None if self.frontier.len() >= self.settings.max_recorded => {
                self.record(url, depth, None, None, Some(SkipReason::PageLimit))
            }
            None => {
                let class = frontier::class(&url, anchor);
                self.frontier.push(Entry {
                    url,
                    depth,
                    attempt: 0,
                    class,
                });
            }
        }
    }

    fn record(
        &mut self,
        url: Url,
        depth: usize,
        status: Option<u16>,
        analysis: Option<(Option<String>, Box<PageAnalysis>)>,
        skip: Option<SkipReason>,
    ) {
        match &skip {
            None => self.stats.crawled += 1,
            Some(r) if r.is_failure() => self.stats.failed += 1,
            Some(_) => self.stats.skipped += 1,
        }
        // Crawled pages are always kept (the page budget bounds them); other URLs up to the
        // run's bound, past which only the counts above grow.
        if analysis.is_none() && self.recorded >= self.settings.max_recorded {
            return;
        }
        self.recorded += usize::from(analysis.is_none());
        let (content_type, analysis) = match analysis {
            Some((ct, a)) => (ct, Some(a)),
            None => (None, None),
        };
        // A receiver gone (the run stopped) only means nobody wants the page any more.
        let _ = self.out.send(CrawledPage {
            url,
            depth,
            status,
            content_type,
            analysis,
            skip,
        });
    }

    /// Records a URL that was not crawled, or failed.
    fn reject(&mut self, entry: Entry, status: Option<u16>, reason: SkipReason) {
        self.record(entry.url, entry.depth, status, None, Some(reason));
    }

    /// Retries the entry later if attempts remain; returns false when they do not.
    fn retry(&mut self, entry: &Entry, after: Duration) -> bool {
        if entry.attempt >= self.settings.retries {
            return false;
        }
        if let Some(host) = entry.url.host_str().and_then(|h| self.hosts.get_mut(h)) {
            host.next_at = host.next_at.max(Instant::now() + after);
        }
        self.retries.push(Entry {
            attempt: entry.attempt + 1,
            ..entry.clone()
        });
        true
    }

    fn settle(&mut self, entry: Entry, result: Landed) {
        if let Some(host) = entry.url.host_str().and_then(|h| self.hosts.get_mut(h)) {
            host.in_flight = host.in_flight.saturating_sub(1);
        }
        let backoff = Duration::from_millis(250 * 2u64.pow(entry.attempt));
        let (fetched, analysis) = match result {
            Ok((f, analysis)) => {
                metrics::counter!(onboard_shared::metrics::BYTES_FETCHED)
                    .increment(f.body.len() as u64);
                (f, analysis)
            }
            Err(e) => {
                let transient = e.is_connection_level();
                if transient && self.retry(&entry, backoff) {
                    return;
                }
                let reason = match e {
                    FetchError::Timeout => SkipReason::Timeout,
                    other => SkipReason::Failed(other.reason()),
                };
                return self.reject(entry, None, reason);
            }
        };
        let status = fetched.status.as_u16();
        if status == 429 || fetched.status.is_server_error() {
            // Slow down: wait as asked (or back off), and keep a longer pause for this host.
            let after = fetched.retry_after.unwrap_or(backoff).min(MAX_RETRY_AFTER);
            if let Some(host) = entry.url.host_str().and_then(|h| self.hosts.get_mut(h)) {
                host.delay = (host.delay * 2).max(Duration::from_millis(250)).min(
                    self.settings
                        .max_crawl_delay
                        .max(Duration::from_millis(250)),
                );
            }
            if self.retry(&entry, after) {
                return;
            }
        }

        // Where a redirect ended up counts as found too.
        let final_url = url::normalise(&fetched.url);
        if scope::key(&final_url) != scope::key(&entry.url) {
            if !self.scope.contains(&final_url) {
                return self.reject(entry, Some(status), SkipReason::OutOfScope);
            }
            if !self.seen.insert(scope::key(&final_url)) {
                return self.reject(entry, Some(status), SkipReason::Duplicate);
            }
        }
        let analysis = match analysis {
            Ok(analysis) => analysis,
            Err(reason) => return self.reject(entry, Some(status), reason),
        };
        let content_type = fetched.content_type.clone();
        let facts = &analysis.facts;
        if !facts.text.is_empty() && !self.hashes.insert(facts.content_hash.clone()) {
            return self.reject(entry, Some(status), SkipReason::Duplicate);
        }
        if let Some(canonical) = facts.canonical.clone() {
            self.discover(canonical, entry.depth, "");
        }
        for link in &facts.links {
            self.discover(link.url.clone(), entry.depth + 1, &link.text);
        }
        self.record(
            entry.url,
            entry.depth,
            Some(status),
            Some((content_type, Box::new(analysis))),
            None,
        );
    }
}
