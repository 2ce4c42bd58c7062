//! The crawler on its own (no queue, no database) against websites the tests serve:
//! robots.txt, sitemaps, priority, hostile sites and SSRF attempts.

use std::{collections::HashMap, io::Write, time::Duration};

use onboard_shared::Config;
use onboard_tests::{
    TestSite,
    site::{Page, company_site},
};
use onboard_worker::{
    crawl::{CrawlStats, CrawledPage, Settings, SkipReason, crawl_all, fetch::Fetcher},
    pipeline::{Retry, validate},
};
use tokio::sync::watch;

struct Crawled {
    pages: Vec<CrawledPage>,
    stats: CrawlStats,
}

impl Crawled {
    fn page(&self, path: &str) -> &CrawledPage {
        self.pages
            .iter()
            .find(|p| p.url.path() == path)
            .unwrap_or_else(|| {
                panic!(
                    "{path} was not found; pages: {:?}",
                    self.pages
                        .iter()
                        .map(|p| p.url.as_str())
                        .collect::<Vec<_>>()
                )
            })
    }

    fn crawled(&self, path: &str) -> bool {
        self.page(path).analysis.is_some()
    }

    fn skip(&self, path: &str) -> Option<SkipReason> {
        self.page(path).skip.clone()
    }
}

/// Crawls a test site with the given configuration variables (on top of test defaults).
async fn crawl_site(
    site: &TestSite,
    vars: &[(&str, &str)],
    tweak: impl FnOnce(&mut Settings),
) -> Crawled {
    onboard_worker::crawl::fetch::install_tls_provider();
    let mut all = vec![
        ("ONBOARD_CRAWL_ALLOW_CIDRS", "127.0.0.1/32"),
        ("ONBOARD_CRAWL_REQUEST_TIMEOUT_SECS", "3"),
        ("ONBOARD_CRAWL_READ_TIMEOUT_SECS", "2"),
        ("ONBOARD_CRAWL_CONNECT_TIMEOUT_SECS", "2"),
    ];
    all.extend_from_slice(vars);
    let config = Config::from_vars(all).unwrap();
    let fetcher = Fetcher::new(&config.crawl).unwrap();
    let home = validate(&site.domain(), &fetcher, Retry::NONE)
        .await
        .expect("the site validates");
    let mut settings = Settings::from_config(&config.crawl);
    tweak(&mut settings);
    let (tx, rx) = watch::channel(CrawlStats::default());
    let pages = crawl_all(&fetcher, home, &settings, &tx).await;
    let stats = *rx.borrow();
    // Every URL found is counted exactly once, and recorded up to the run's bound.
    assert_eq!(
        stats.discovered,
        stats.crawled + stats.failed + stats.skipped,
        "{stats:?}"
    );
    let crawled = pages.iter().filter(|p| p.analysis.is_some()).count();
    assert_eq!(crawled, stats.crawled);
    assert_eq!(
        pages.len(),
        stats.discovered.min(settings.max_recorded + crawled),
        "{stats:?}"
    );
    Crawled { pages, stats }
}

fn linking(links: &[&str]) -> Page {
    let anchors: String = links
        .iter()
        .map(|l| format!("<a href=\"{l}\">{l}</a> "))
        .collect();
    Page::html(format!(
        "<html><head><title>t</title></head><body><p>Some text.</p>{anchors}</body></html>"
    ))
}

fn text_page(words: &str) -> Page {
    Page::html(format!("<html><body><p>{words}</p></body></html>"))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[tokio::test]
async fn robots_disallowed_paths_are_never_requested() {
    let pages = HashMap::from([
        ("/".to_owned(), linking(&["/private/a", "/public/b"])),
        ("/private/a".to_owned(), text_page("secret")),
        ("/public/b".to_owned(), text_page("open")),
        (
            "/robots.txt".to_owned(),
            Page::bytes(
                "text/plain",
                b"User-agent: *\nDisallow: /private\n".to_vec(),
            ),
        ),
    ]);
    let site = TestSite::serve(pages).await;
    let crawled = crawl_site(&site, &[], |_| {}).await;
    assert!(crawled.crawled("/public/b"));
    assert_eq!(crawled.skip("/private/a"), Some(SkipReason::Robots));
    assert!(
        !site.requests().iter().any(|p| p.starts_with("/private")),
        "{:?}",
        site.requests()
    );
}

#[tokio::test]
async fn a_4xx_robots_txt_allows_everything() {
    let pages = HashMap::from([
        ("/".to_owned(), linking(&["/a"])),
        ("/a".to_owned(), text_page("a")),
        (
            "/robots.txt".to_owned(),
            Page::html("forbidden").status(403),
        ),
    ]);
    let site = TestSite::serve(pages).await;
    assert!(crawl_site(&site, &[], |_| {}).await.crawled("/a"));
}

#[tokio::test]
async fn a_5xx_robots_txt_disallows_everything() {
    let pages = HashMap::from([
        ("/".to_owned(), linking(&["/a"])),
        ("/a".to_owned(), text_page("a")),
        ("/robots.txt".to_owned(), Page::html("down").status(503)),
    ]);
    let site = TestSite::serve(pages).await;
    let crawled = crawl_site(&site, &[], |_| {}).await;
    assert_eq!(crawled.skip("/"), Some(SkipReason::Robots));
    assert_eq!(crawled.stats.crawled, 0);
    // The home page was fetched once by Domain Validation; nothing after robots.txt.
    assert_eq!(site.requests(), ["/", "/robots.txt"]);
}

#[tokio::test]
async fn crawl_delay_spaces_the_requests() {
    let pages = HashMap::from([
        ("/".to_owned(), linking(&["/a", "/b", "/c"])),
        ("/a".to_owned(), text_page("a")),
        ("/b".to_owned(), text_page("b")),
        ("/c".to_owned(), text_page("c")),
        (
            "/robots.txt".to_owned(),
            Page::bytes("text/plain", b"User-agent: *\nCrawl-delay: 1\n".to_vec()),
        ),
    ]);
    let site = TestSite::serve(pages).await;
    let crawled = crawl_site(&site, &[("ONBOARD_CRAWL_CONCURRENCY", "4")], |_| {}).await;
    assert_eq!(crawled.stats.crawled, 4);
    let mut times: Vec<_> = ["/a", "/b", "/c"]
        .iter()
        .flat_map(|p| site.request_times(p))
        .collect();
    times.sort();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(900),
            "requests {:?} apart",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn pages_only_a_sitemap_lists_are_found() {
    let pages = HashMap::from([
        ("/".to_owned(), linking(&[])),
        ("/hidden".to_owned(), text_page("only in the sitemap")),
    ]);
    let site = TestSite::serve_knowing_address(pages, |addr| {
        let urlset = format!("<urlset><url><loc>http://{addr}/hidden</loc></url></urlset>");
        HashMap::from([(
            "/sitemap.xml".to_owned(),
            Page::bytes("application/xml", urlset.into_bytes()),
        )])
    })
    .await;
    let crawled = crawl_site(&site, &[], |_| {}).await;
    assert!(crawled.crawled("/hidden"));
}

#[tokio::test]
async fn sitemap_indexes_and_gzip_sitemaps_are_followed() {
    let site = TestSite::serve_knowing_address(
        HashMap::from([
            ("/".to_owned(), linking(&[])),
            ("/deep".to_owned(), text_page("deep")),
        ]),
        |addr| {
            let urlset = format!("<urlset><url><loc>http://{addr}/deep</loc></url></urlset>");
            let index = format!(
                "<sitemapindex><sitemap><loc>http://{addr}/s1.xml.gz</loc></sitemap></sitemapindex>"
            );
            HashMap::from([
                (
                    "/robots.txt".to_owned(),
                    Page::bytes(
                        "text/plain",
                        format!("Sitemap: http://{addr}/index.xml\n").into_bytes(),
                    ),
                ),
                (
                    "/index.xml".to_owned(),
                    Page::bytes("application/xml", index.into_bytes()),
                ),
                (
                    "/s1.xml.gz".to_owned(),
                    Page::bytes("application/gzip", gzip(urlset.as_bytes())),
                ),
            ])
        },
    )
    .await;
    let crawled = crawl_site(&site, &[], |_| {}).await;
    assert!(crawled.crawled("/deep"));
}

#[tokio::test]
async fn an_oversized_sitemap_is_bounded() {
    let site =
        TestSite::serve_knowing_address(HashMap::from([("/".to_owned(), linking(&[]))]), |addr| {
            let urls: String = (0..60_000)
                .map(|i| format!("<url><loc>http://{addr}/p/{i}</loc></url>"))
                .collect();
            HashMap::from([(
                "/sitemap.xml".to_owned(),
                Page::bytes(
                    "application/xml",
                    format!("<urlset>{urls}</urlset>").into_bytes(),
                ),
            )])
        })
        .await;
    let crawled = crawl_site(&site, &[("ONBOARD_CRAWL_MAX_PAGES", "5")], |_| {}).await;
    // The home page plus at most 50,000 sitemap entries counted; the budget crawled five
    // pages; what is recorded stays within 20 URLs per page of the budget.
    assert_eq!(crawled.stats.discovered, 1 + 50_000);
    assert_eq!(crawled.stats.crawled + crawled.stats.failed, 5);
    assert!(crawled.pages.len() <= 5 * 20 + 5, "{}", crawled.pages.len());
    assert!(
        crawled
            .pages
            .iter()
            .any(|p| p.skip == Some(SkipReason::PageLimit))
    );
}

#[tokio::test]
async fn with_a_budget_the_pages_a_help_desk_needs_come_first() {
    // 200 pages; the useful ones are linked last from the home page.
    let mut links: Vec<String> = (0..196).map(|i| format!("/page/{i}")).collect();
    links.extend(["/help", "/faq", "/contact", "/pricing"].map(String::from));
    let mut pages: HashMap<String, Page> = links
        .iter()
        .map(|l| (l.clone(), text_page(&format!("content of {l}"))))
        .collect();
    pages.insert(
        "/".into(),
        linking(&links.iter().map(String::as_str).collect::<Vec<_>>()),
    );
    let site = TestSite::serve(pages).await;
    let crawled = crawl_site(&site, &[("ONBOARD_CRAWL_MAX_PAGES", "10")], |_| {}).await;
    assert_eq!(crawled.stats.crawled, 10);
    for useful in ["/help", "/faq", "/contact", "/pricing"] {
        assert!(crawled.crawled(useful), "{useful} was not crawled");
    }
    assert_eq!(crawled.stats.discovered, 201);
}

#[tokio::test]
async fn a_hostile_site_ends_in_time_with_a_reason_for_every_url() {
    let mut pages = HashMap::from([
        (
            "/".to_owned(),
            linking(&[
                "/calendar/2026/01",
                "/loop",
                "/huge",
                "/bomb",
                "/slow",
                "/error",
                "/file.pdf",
                "/nested",
                "/ok",
            ]),
        ),
        (
            "/calendar/2026/01".to_owned(),
            linking(&["/calendar/2026/02", "/calendar/3001/01"]),
        ),
        ("/loop".to_owned(), Page::redirect("/loop2")),
        ("/loop2".to_owned(), Page::redirect("/loop")),
        ("/huge".to_owned(), Page::html("x".repeat(50 * 1024 * 1024))),
        (
            "/bomb".to_owned(),
            Page::bytes("text/html", gzip(&vec![b' '; 20 * 1024 * 1024]))
                .header("content-encoding", "gzip"),
        ),
        (
            "/slow".to_owned(),
            text_page("trickling").trickle(Duration::from_secs(1)),
        ),
        ("/error".to_owned(), Page::html("oops").status(500)),
        (
            "/file.pdf".to_owned(),
            Page::bytes("application/pdf", b"%PDF-1.4".to_vec()),
        ),
        (
            "/nested".to_owned(),
            Page::html(format!(
                "<body>{}deep{}</body>",
                "<div>".repeat(100_000),
                "</div>".repeat(100_000)
            )),
        ),
        ("/ok".to_owned(), text_page("fine")),
    ]);
    for month in 2..=12 {
        pages.insert(
            format!("/calendar/2026/{month:02}"),
            linking(&[&format!("/calendar/2026/{:02}", month + 1)]),
        );
    }
    let site = TestSite::serve(pages).await;
    let started = std::time::Instant::now();
    let crawled = crawl_site(
        &site,
        &[
            ("ONBOARD_CRAWL_MAX_BODY_BYTES", "2097152"),
            ("ONBOARD_CRAWL_RETRIES", "1"),
            ("ONBOARD_CRAWL_DEADLINE_SECS", "60"),
        ],
        |_| {},
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );

    assert!(crawled.crawled("/ok"));
    assert!(crawled.crawled("/nested"));
    assert!(
        matches!(crawled.skip("/loop"), Some(SkipReason::Failed(m)) if m.contains("redirects"))
    );
    assert_eq!(crawled.skip("/huge"), Some(SkipReason::TooLarge));
    assert_eq!(crawled.skip("/bomb"), Some(SkipReason::TooLarge));
    assert_eq!(crawled.skip("/slow"), Some(SkipReason::Timeout));
    assert_eq!(crawled.skip("/error"), Some(SkipReason::Status(500)));
    assert_eq!(
        site.request_times("/error").len(),
        2,
        "one retry, then given up"
    );
    assert_eq!(crawled.skip("/file.pdf"), Some(SkipReason::NotHtml));
    assert_eq!(
        crawled.skip("/calendar/3001/01"),
        Some(SkipReason::Trap("calendar-like path"))
    );
    // The calendar is cut by the depth limit (4) long before it runs out.
    assert!(
        crawled
            .pages
            .iter()
            .any(|p| p.skip == Some(SkipReason::Depth))
    );
    for page in &crawled.pages {
        assert!(
            page.analysis.is_some() || page.skip.is_some(),
            "{} has no outcome",
            page.url
        );
    }
}

#[tokio::test]
async fn redirects_and_sitemaps_never_reach_a_forbidden_address() {
    let forbidden = TestSite::serve_on(
        "127.0.0.2",
        HashMap::from([("/secret".to_owned(), text_page("secret"))]),
    )
    .await;
    let port = forbidden.addr.port();
    let site = TestSite::serve_knowing_address(
        HashMap::from([("/".to_owned(), linking(&["/go-ip", "/go-name"]))]),
        move |_| {
            HashMap::from([
                (
                    "/go-ip".to_owned(),
                    Page::redirect(&format!("http://127.0.0.2:{port}/secret")),
                ),
                (
                    "/go-name".to_owned(),
                    Page::redirect(&format!("http://inside.test:{port}/secret")),
                ),
                (
                    "/robots.txt".to_owned(),
                    Page::bytes(
                        "text/plain",
                        format!("Sitemap: http://127.0.0.2:{port}/sitemap.xml\n").into_bytes(),
                    ),
                ),
            ])
        },
    )
    .await;
    let crawled = crawl_site(
        &site,
        &[("ONBOARD_CRAWL_HOSTS", "inside.test=127.0.0.2")],
        |_| {},
    )
    .await;
    for path in ["/go-ip", "/go-name"] {
        let reason = crawled
            .skip(path)
            .map(|r| r.to_string())
            .unwrap_or_default();
        assert!(
            reason.contains("not a publicly routable"),
            "{path}: {reason}"
        );
    }
    assert!(
        forbidden.requests().is_empty(),
        "{:?}",
        forbidden.requests()
    );
}

#[tokio::test]
async fn the_whole_site_is_crawled_within_its_limits() {
    let site = TestSite::serve(company_site(30)).await;
    let crawled = crawl_site(&site, &[("ONBOARD_CRAWL_MAX_DEPTH", "1")], |_| {}).await;
    assert_eq!(crawled.stats.crawled, 31);
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_retry_after_asks_for() {
    let pages = HashMap::from([
        ("/".to_owned(), linking(&["/busy"])),
        (
            "/busy".to_owned(),
            Page::html("slow down")
                .status(429)
                .header("retry-after", "1"),
        ),
    ]);
    let site = TestSite::serve(pages).await;
    // A budget of two (home and /busy) is spent before the retry: retries are owed anyway.
    let crawled = crawl_site(
        &site,
        &[
            ("ONBOARD_CRAWL_RETRIES", "1"),
            ("ONBOARD_CRAWL_MAX_PAGES", "2"),
        ],
        |_| {},
    )
    .await;
    assert_eq!(crawled.skip("/busy"), Some(SkipReason::Status(429)));
    let times = site.request_times("/busy");
    assert_eq!(times.len(), 2, "one retry");
    assert!(
        times[1] - times[0] >= Duration::from_millis(950),
        "{:?}",
        times[1] - times[0]
    );
}
