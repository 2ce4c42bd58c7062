//! The analysis, end to end: api → queue → worker → progress rows → api, against websites
//! the tests serve themselves.

use std::collections::HashMap;

use futures::future::join_all;
use onboard_shared::{
    entities::{analysis_run, crawled_page, site_insight},
    jobs::AnalysisJob,
    runs::RunStatus,
};
use onboard_tests::{
    TestApp, TestSite,
    site::{Page, company_site},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

const SITE_PAGES: usize = 24; // plus the home page: 25 pages

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_analysis_runs_all_four_steps_and_stores_the_site() {
    let site = TestSite::serve(company_site(SITE_PAGES)).await;
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let id = app.start_analysis(guest).await;

    let views = app.poll_until_finished(guest).await;
    let last = views.last().unwrap();
    assert_eq!(last["status"], "succeeded", "{last}");
    assert_eq!(last["analysisId"], id);
    assert_eq!(last["percent"], 100);
    assert_eq!(last["isComplete"], true);
    assert_eq!(last["isAnalyzing"], false);
    let names: Vec<_> = last["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Domain Validation",
            "Content Crawling",
            "AI Processing",
            "Integration Setup"
        ]
    );
    assert!(
        last["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "completed" && s["progress"] == 100)
    );
    assert_eq!(last["pages"]["crawled"], SITE_PAGES + 1);
    assert_eq!(last["pages"]["failed"], 0);

    let percents: Vec<u64> = views
        .iter()
        .map(|v| v["percent"].as_u64().unwrap())
        .collect();
    assert!(
        percents.windows(2).all(|w| w[0] <= w[1]),
        "percent went backwards: {percents:?}"
    );

    let pages = crawled_page::Entity::find()
        .filter(crawled_page::Column::RunId.eq(id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(pages.len(), SITE_PAGES + 1);
    let faq = pages
        .iter()
        .find(|p| p.url.ends_with("/faq"))
        .expect("the faq page is stored");
    assert_eq!(faq.title.as_deref(), Some("Acme page 1"));
    assert_eq!(faq.description.as_deref(), Some("About page 1."));
    assert!(
        faq.main_text
            .as_deref()
            .unwrap()
            .contains("Widgets are useful")
    );
    assert!(faq.word_count > 5);

    // Each page was fetched once: the home page fetched for validation is reused by the crawl.
    let requests = site.requests();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for path in &requests {
        *counts.entry(path.as_str()).or_default() += 1;
    }
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");

    // The result carries the insights, which feed the suggested configuration.
    let result: Value = app
        .get(&format!("/api/onboarding/analysis/{id}?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["status"], "succeeded");
    assert_eq!(result["insights"]["language"], "en");
    assert_eq!(result["insights"]["suggestedColors"][0]["color"], "#123456");
    assert_eq!(
        result["insights"]["supportChannels"]["emails"][0]["value"],
        "support@acme.test"
    );
    assert_eq!(result["pageList"].as_array().unwrap().len(), SITE_PAGES + 1);
    let config: Value = app
        .get(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["configuration"]["design"]["primaryColor"], "#123456");
    assert_eq!(
        config["configuration"]["contact"]["email"],
        "support@acme.test"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_guests_analysing_at_once_all_complete() {
    let site = TestSite::serve(company_site(10)).await;
    let app = TestApp::spawn().await;
    let guests = join_all((0..20).map(|_| app.create_guest())).await;
    let domain = site.domain();
    join_all(guests.iter().map(|g| app.set_domain(*g, &domain))).await;
    join_all(guests.iter().map(|g| app.start_analysis(*g))).await;
    let finals = join_all(guests.iter().map(|g| app.poll_until_finished(*g))).await;
    for views in finals {
        let last = views.last().unwrap();
        assert_eq!(last["status"], "succeeded", "{last}");
        assert_eq!(last["pages"]["crawled"], 11);
    }
    let runs = analysis_run::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(runs, 20);
    assert_eq!(
        site_insight::Entity::find().count(&app.db).await.unwrap(),
        20
    );
}

/// Runs one analysis of `site` to its end; returns the final progress view.
async fn analyse(app: &TestApp, site: &TestSite) -> Value {
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    app.start_analysis(guest).await;
    app.poll_until_finished(guest).await.pop().unwrap()
}

/// What operators see of a failed run: the technical detail the guest is not shown.
async fn detail_of(app: &TestApp, view: &Value) -> String {
    let id = view["analysisId"].as_i64().expect("analysisId");
    analysis_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .error_detail
        .unwrap_or_default()
}

/// What a guest is told when its domain does not validate: the same whatever the cause,
/// so the service tells nothing of addresses and ports.
fn generic_validation_message(view: &Value, domain: &str) {
    let error = view["error"].as_str().unwrap_or_default();
    assert_eq!(
        error,
        format!(
            "{domain} could not be reached, or did not serve a home page. Check the domain \
             and that the site is online."
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_home_page_failing_twice_with_503_is_retried_and_the_run_succeeds() {
    let mut pages = company_site(2);
    let home = pages.remove("/").unwrap();
    pages.insert("/".into(), home.failing_first(2, 503));
    let site = TestSite::serve(pages).await;
    let app = TestApp::spawn().await;
    let last = analyse(&app, &site).await;
    assert_eq!(last["status"], "succeeded", "{last}");
    let homes = site.requests().iter().filter(|p| *p == "/").count();
    assert_eq!(
        homes,
        3,
        "two failures, then the page: {:?}",
        site.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_home_page_that_keeps_failing_fails_the_run_after_the_retries() {
    let mut pages = company_site(2);
    let home = pages.remove("/").unwrap();
    pages.insert("/".into(), home.failing_first(usize::MAX, 500));
    let site = TestSite::serve(pages).await;
    let app = TestApp::builder()
        .var("ONBOARD_VALIDATION_RETRIES", "2")
        .spawn()
        .await;
    let last = analyse(&app, &site).await;
    assert_eq!(last["status"], "failed", "{last}");
    generic_validation_message(&last, &site.domain());
    let detail = detail_of(&app, &last).await;
    assert!(detail.contains("HTTP 500"), "{detail}");
    let homes = site.requests().iter().filter(|p| *p == "/").count();
    assert_eq!(
        homes,
        3,
        "the first attempt and two retries: {:?}",
        site.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_permanent_failure_is_not_retried() {
    let mut pages = company_site(2);
    let home = pages.remove("/").unwrap();
    pages.insert("/".into(), home.failing_first(usize::MAX, 404));
    let site = TestSite::serve(pages).await;
    let app = TestApp::spawn().await;
    let last = analyse(&app, &site).await;
    assert_eq!(last["status"], "failed", "{last}");
    let homes = site.requests().iter().filter(|p| *p == "/").count();
    assert_eq!(homes, 1, "{:?}", site.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_site_whose_robots_txt_disallows_everything_fails_with_a_message() {
    let mut pages = company_site(2);
    pages.insert(
        "/robots.txt".into(),
        Page::bytes("text/plain", b"User-agent: *\nDisallow: /\n".to_vec()),
    );
    let site = TestSite::serve(pages).await;
    let app = TestApp::spawn().await;
    let last = analyse(&app, &site).await;
    assert_eq!(last["status"], "failed", "{last}");
    let error = last["error"].as_str().unwrap_or_default();
    assert!(error.contains("robots.txt"), "{error}");
    assert!(
        !site.requests().iter().any(|p| p.starts_with("/page")),
        "{:?}",
        site.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_name_resolving_to_a_forbidden_address_fails_validation_without_a_request() {
    // The site listens on 127.0.0.2, which is loopback and outside the allow list.
    let forbidden = TestSite::serve_on("127.0.0.2", company_site(3)).await;
    let port = forbidden.addr.port();
    let app = TestApp::builder()
        .var("ONBOARD_CRAWL_HOSTS", "inside.test=127.0.0.2")
        .spawn()
        .await;

    for domain in [format!("inside.test:{port}"), format!("127.0.0.2:{port}")] {
        let guest = app.create_guest().await;
        app.set_domain(guest, &domain).await;
        app.start_analysis(guest).await;
        let last = app.poll_until_finished(guest).await.pop().unwrap();
        assert_eq!(last["status"], "failed", "{last}");
        generic_validation_message(&last, &domain);
        let detail = detail_of(&app, &last).await;
        assert!(
            detail.contains("127.0.0.2") && detail.contains("not a publicly routable"),
            "{detail}"
        );
        let steps = last["steps"].as_array().unwrap();
        assert_eq!(steps[0]["status"], "failed");
        assert!(steps[1..].iter().all(|s| s["status"] == "skipped"));
    }
    assert!(
        forbidden.requests().is_empty(),
        "requests reached the forbidden address: {:?}",
        forbidden.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_domain_that_does_not_answer_fails_with_a_clear_message() {
    // Bind and drop a listener: nothing answers on that port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &format!("127.0.0.1:{port}")).await;
    app.start_analysis(guest).await;
    let last = app.poll_until_finished(guest).await.pop().unwrap();
    assert_eq!(last["status"], "failed");
    // A refused port reads exactly like a forbidden address to the guest.
    generic_validation_message(&last, &format!("127.0.0.1:{port}"));
    let detail = detail_of(&app, &last).await;
    assert!(
        detail.contains("did not answer over https or http"),
        "{detail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_run_delivered_twice_is_processed_once() {
    let site = TestSite::serve(company_site(6)).await;
    let mut app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let id = app.start_analysis(guest).await;
    // A second delivery of the same run, as a redelivery after a lost ack would be.
    app.queue
        .push(AnalysisJob { run_id: id }, None)
        .await
        .unwrap();
    assert_eq!(app.queue.outstanding::<AnalysisJob>().await.unwrap(), 2);

    app.start_worker();
    let last = app.poll_until_finished(guest).await.pop().unwrap();
    assert_eq!(last["status"], "succeeded");
    app.drain::<AnalysisJob>().await;
    let finished = analysis_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();

    // A finished run delivered again is not redone either.
    app.queue
        .push(AnalysisJob { run_id: id }, None)
        .await
        .unwrap();
    app.drain::<AnalysisJob>().await;

    let requests = site.requests();
    let unique: std::collections::HashSet<_> = requests.iter().collect();
    assert_eq!(
        unique.len(),
        requests.len(),
        "nothing fetched twice: {requests:?}"
    );
    let pages_fetched = requests
        .iter()
        .filter(|p| *p != "/robots.txt" && *p != "/sitemap.xml")
        .count();
    assert_eq!(pages_fetched, 7, "each page fetched once: {requests:?}");
    let pages = crawled_page::Entity::find()
        .filter(crawled_page::Column::RunId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(pages, 7);
    let after = analysis_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.completed_at, finished.completed_at);
    assert_eq!(after.status, RunStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_mid_crawl_stops_the_crawl_within_seconds() {
    let site = TestSite::serve_slow(company_site(20), std::time::Duration::from_millis(300)).await;
    let app = TestApp::builder()
        .var("ONBOARD_CRAWL_CONCURRENCY", "1")
        .spawn()
        .await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let id = app.start_analysis(guest).await;
    let deadline = tokio::time::Instant::now() + onboard_tests::DEADLINE;
    while app.progress(guest).await["pages"]["crawled"]
        .as_u64()
        .unwrap_or(0)
        < 1
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the crawl never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let other = app.create_guest().await;
    let response = app
        .client
        .delete(app.url(&format!("/api/onboarding/analysis/{id}?user_uuid={other}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404, "another guest cannot cancel it");

    let response = app
        .client
        .delete(app.url(&format!("/api/onboarding/analysis/{id}?user_uuid={guest}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "cancelled");
    let cancelled_at = std::time::Instant::now();

    // The worker notices at its next heartbeat (1 s in tests) and stops fetching: watch the
    // site's request log until it has been quiet for three seconds.
    let mut last_count = site.requests().len();
    let mut last_change = std::time::Instant::now();
    while last_change.elapsed() < std::time::Duration::from_secs(3) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the crawl never stopped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let count = site.requests().len();
        if count != last_count {
            last_count = count;
            last_change = std::time::Instant::now();
        }
    }
    let stopped_after = last_change.saturating_duration_since(cancelled_at);
    assert!(
        stopped_after < std::time::Duration::from_secs(5),
        "requests went on for {stopped_after:?}"
    );
    assert!(
        last_count < 20,
        "the crawl ran to the end: {last_count} requests"
    );

    let view = app.progress(guest).await;
    assert_eq!(view["status"], "cancelled");
    assert_eq!(view["error"], "Cancelled by the user");
    // Cancelling a finished analysis changes nothing.
    let again: Value = app
        .client
        .delete(app.url(&format!("/api/onboarding/analysis/{id}?user_uuid={guest}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["status"], "cancelled");
}

/// A site with every kind of finding: brand colours from theme-color, the manifest and a
/// stylesheet; a JSON-LD logo; a chat widget; social, email and a contact form; pages of
/// known categories; a German page without a declared language; a near-duplicate page.
fn insight_site() -> HashMap<String, Page> {
    let prose = |topic: &str| {
        format!(
            "<p>Our {topic} explains how the service works for small teams and large companies. \
             Every customer gets the same careful attention from the people who build it.</p>\
             <p>Read on to learn what the {topic} covers, what it costs, and whom to ask.</p>"
        )
    };
    let page = |title: &str, body: String| {
        Page::html(format!(
            "<!doctype html><html lang=\"en\"><head><title>{title}</title></head>\
             <body><main>{body}</main><a href=\"/\">Home</a></body></html>"
        ))
    };
    let faq_body = format!(
        "<h1>Frequently asked questions</h1>{}\
         <details><summary>Can I cancel?</summary><p>Yes, at any time from your account page.</p></details>\
         <details><summary>Do you offer refunds?</summary><p>Within thirty days of purchase, in full.</p></details>\
         <details><summary>Is there a free plan?</summary><p>Yes, for up to three users.</p></details>",
        prose("FAQ")
    );
    let mut pages = HashMap::new();
    pages.insert(
        "/".to_owned(),
        Page::html(format!(
            "<!doctype html><html lang=\"en\"><head><title>Acme</title>\
             <meta name=\"theme-color\" content=\"#123456\">\
             <link rel=\"manifest\" href=\"/site.webmanifest\"><link rel=\"stylesheet\" href=\"/style.css\">\
             <link rel=\"icon\" href=\"/favicon.png\">\
             <script type=\"application/ld+json\">{{\"@type\":\"Organization\",\"logo\":\"/logo.svg\",\
               \"sameAs\":[\"https://twitter.com/acme\"]}}</script>\
             <script src=\"https://widget.intercom.io/widget/acme\"></script></head>\
             <body><nav><a href=\"/faq\">FAQ</a> <a href=\"/faq-again\">FAQ (old)</a> <a href=\"/pricing\">Pricing</a>\
             <a href=\"/contact\">Contact</a> <a href=\"/legal/privacy\">Privacy</a> <a href=\"/kontakt-de\">Deutsch</a></nav>\
             <main><h1>Welcome to Acme</h1>{}</main></body></html>",
            prose("home page")
        )),
    );
    pages.insert("/faq".to_owned(), page("FAQ | Acme", faq_body.clone()));
    pages.insert(
        "/faq-again".to_owned(),
        page("FAQ | Acme", faq_body.replace("thirty days", "30 days")),
    );
    pages.insert(
        "/pricing".to_owned(),
        page(
            "Pricing | Acme",
            format!(
                "<h1>Plans</h1>{}<ul><li>Basic $9 per month</li><li>Pro $29 per month</li></ul>",
                prose("pricing")
            ),
        ),
    );
    pages.insert(
        "/contact".to_owned(),
        page(
            "Contact us | Acme",
            format!(
                "<h1>Contact</h1>{}<a href=\"mailto:hello@acme.test\">hello@acme.test</a>\
                 <form action=\"/send\"><input type=\"email\" name=\"email\"><textarea name=\"message\"></textarea></form>",
                prose("contact page")
            ),
        ),
    );
    pages.insert(
        "/legal/privacy".to_owned(),
        page("Privacy policy | Acme", prose("privacy policy")),
    );
    pages.insert(
        "/kontakt-de".to_owned(),
        Page::html(
            "<!doctype html><html><head><title>Acme auf Deutsch</title></head><body><main>\
             <p>Unser Team beantwortet jede Frage innerhalb eines Werktages, und das Hilfezentrum \
             erklärt, wie Sie Ihr Konto einrichten, Kollegen einladen und Rechnungen bezahlen.</p>\
             </main></body></html>",
        ),
    );
    pages.insert(
        "/site.webmanifest".to_owned(),
        Page::bytes(
            "application/manifest+json",
            br##"{"theme_color": "#abcdef", "icons": [{"src": "/icon-512.png"}]}"##.to_vec(),
        ),
    );
    pages.insert(
        "/style.css".to_owned(),
        Page::bytes(
            "text/css",
            b":root { --brand-primary: #0055ff; } body { color: #222 }".to_vec(),
        ),
    );
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_analysis_finds_brand_channels_categories_language_quality_and_duplicates() {
    let site = TestSite::serve(insight_site()).await;
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let id = app.start_analysis(guest).await;
    let last = app.poll_until_finished(guest).await.pop().unwrap();
    assert_eq!(last["status"], "succeeded", "{last}");

    let insight = site_insight::Entity::find()
        .filter(site_insight::Column::RunId.eq(id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("insights stored");
    let colors = insight.suggested_colors.as_array().unwrap();
    let color = |c: &str| {
        colors
            .iter()
            .find(|x| x["color"] == c)
            .unwrap_or_else(|| panic!("{c} in {colors:?}"))
    };
    assert_eq!(colors[0]["color"], "#123456");
    assert_eq!(colors[0]["source"], "theme-color");
    assert_eq!(colors[0]["role"], "primary");
    assert_eq!(color("#ABCDEF")["source"], "manifest-theme");
    assert_eq!(color("#0055FF")["source"], "css-variable");
    assert!(colors.iter().all(|c| c["color"] != "#222222"));
    assert_eq!(insight.logo_url, Some(site.url("/logo.svg").to_string()));
    assert_eq!(
        insight.favicon_url,
        Some(site.url("/favicon.png").to_string())
    );

    let channels = &insight.support_channels;
    assert_eq!(channels["chat"][0]["provider"], "intercom", "{channels}");
    assert_eq!(channels["social"][0]["url"], "https://twitter.com/acme");
    assert_eq!(channels["emails"][0]["value"], "hello@acme.test");
    assert_eq!(
        channels["emails"][0]["page"],
        site.url("/contact").to_string()
    );
    assert_eq!(
        channels["contactForms"][0],
        site.url("/contact").to_string()
    );

    let categories = &insight.content_categories;
    for (category, n) in [("faq", 2), ("pricing", 1), ("contact", 1), ("legal", 1)] {
        assert_eq!(categories[category], n, "{category} in {categories}");
    }
    assert_eq!(insight.language.as_deref(), Some("en"));

    let pages = crawled_page::Entity::find()
        .filter(crawled_page::Column::RunId.eq(id))
        .all(&app.db)
        .await
        .unwrap();
    let by_path = |path: &str| {
        pages
            .iter()
            .find(|p| p.url == site.url(path).as_str())
            .unwrap_or_else(|| panic!("{path} stored"))
    };
    assert_eq!(by_path("/kontakt-de").language.as_deref(), Some("de"));
    let faq = by_path("/faq");
    assert_eq!(faq.category.as_deref(), Some("faq"));
    assert!(
        faq.markdown
            .as_deref()
            .unwrap()
            .contains("# Frequently asked questions")
    );
    assert!(
        faq.quality_score.unwrap() > 40,
        "{:?}",
        faq.quality_breakdown
    );
    assert_eq!(
        faq.quality_breakdown.as_ref().unwrap()["flags"],
        serde_json::json!([])
    );
    // Whichever of the two was crawled first is the original.
    let again = by_path("/faq-again");
    let pair = (faq.duplicate_of, again.duplicate_of);
    assert!(
        pair == (None, Some(faq.id)) || pair == (Some(again.id), None),
        "{pair:?}"
    );

    // The FAQ's question/answer pairs are kept once, though two pages hold them.
    let result: Value = app
        .get(&format!("/api/onboarding/analysis/{id}?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    let faq = result["insights"]["faq"].as_array().unwrap();
    let questions: Vec<&str> = faq
        .iter()
        .map(|p| p["question"].as_str().unwrap())
        .collect();
    assert_eq!(
        questions,
        [
            "Can I cancel?",
            "Do you offer refunds?",
            "Is there a free plan?"
        ],
        "{faq:?}"
    );
    assert_eq!(faq[0]["answer"], "Yes, at any time from your account page.");
    assert!(faq[0]["page"].as_str().unwrap().contains("/faq"));

    // The suggestions reach the configuration: two colours, the logo, the email.
    let config: Value = app
        .get(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    let design = &config["configuration"]["design"];
    assert_eq!(design["primaryColor"], "#123456");
    assert_eq!(design["secondaryColor"], colors[1]["color"]);
    assert_eq!(design["launcherLogo"], site.url("/logo.svg").as_str());
    assert_eq!(
        config["configuration"]["contact"]["email"],
        "hello@acme.test"
    );
}

async fn search(app: &TestApp, guest: uuid::Uuid, query: &str) -> reqwest::Response {
    let query: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    app.get(&format!(
        "/api/onboarding/content?user_uuid={guest}&query={query}"
    ))
    .await
}

async fn search_json(app: &TestApp, guest: uuid::Uuid, query: &str) -> Value {
    let response = search(app, guest, query).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

fn hit_paths(results: &Value, site: &TestSite) -> Vec<String> {
    let origin = site.url("/").to_string();
    results["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let url = h["url"].as_str().unwrap();
            format!("/{}", url.strip_prefix(&origin).unwrap_or(url))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn content_search_ranks_the_guests_own_pages_with_snippets() {
    let site = TestSite::serve(insight_site()).await;
    let other_site = TestSite::serve(company_site(3)).await;
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;

    // Before any analysis there is nothing to find, and that is not an error.
    let empty = search_json(&app, guest, "refunds").await;
    assert_eq!(empty["totalResults"], 0);
    assert_eq!(empty["content"], serde_json::json!([]));
    assert!(empty.get("analysisId").is_none(), "{empty}");

    app.set_domain(guest, &site.domain()).await;
    let id = app.start_analysis(guest).await;
    assert_eq!(
        app.poll_until_finished(guest).await.pop().unwrap()["status"],
        "succeeded"
    );

    // Another form of the word finds the FAQ; of the two copies, only the original.
    let refunds = search_json(&app, guest, "Refund").await;
    assert_eq!(refunds["analysisId"], id);
    assert_eq!(refunds["totalResults"], 1, "{refunds}");
    let hit = &refunds["content"][0];
    assert_eq!(hit["title"], "FAQ | Acme");
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .starts_with("…Do you offer refunds?"),
        "{hit}"
    );
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    // processingTime is in seconds: within the request's own time as the client saw it
    // (milliseconds would exceed it).
    let asked = std::time::Instant::now();
    let timed = search_json(&app, guest, "refund").await;
    let seen = asked.elapsed().as_secs_f64();
    let spent = timed["processingTime"].as_f64().unwrap();
    assert!(
        spent > 0.0 && spent <= seen,
        "{spent} s of {seen} s: {timed}"
    );

    // The page titled with the words comes before pages that only mention them.
    let policy = search_json(&app, guest, "privacy policy").await;
    assert_eq!(hit_paths(&policy, &site)[0], "/legal/privacy", "{policy}");
    let pricing = search_json(&app, guest, "pricing plans").await;
    assert_eq!(hit_paths(&pricing, &site)[0], "/pricing", "{pricing}");
    let scores: Vec<f64> = pricing["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    // `limit` cuts the list, not the count.
    let all = search_json(&app, guest, "acme service").await;
    let total = all["totalResults"].as_u64().unwrap();
    assert!(total >= 4, "{all}");
    let two: Value = app
        .get(&format!(
            "/api/onboarding/content?user_uuid={guest}&query=acme%20service&limit=2"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(two["content"].as_array().unwrap().len(), 2);
    assert_eq!(two["totalResults"], total);
    assert_eq!(two["nextOffset"], 2);
    // `offset` pages on: the next page holds the next hits, and the last has no nextOffset.
    let next: Value = app
        .get(&format!(
            "/api/onboarding/content?user_uuid={guest}&query=acme%20service&limit=2&offset=2"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        next["content"][0]["url"], all["content"][2]["url"],
        "{next}"
    );
    assert_eq!(
        next["content"][1]["url"], all["content"][3]["url"],
        "{next}"
    );
    let last: Value = app
        .get(&format!(
            "/api/onboarding/content?user_uuid={guest}&query=acme%20service&offset={}",
            total - 1
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["content"].as_array().unwrap().len(), 1, "{last}");
    assert!(last.get("nextOffset").is_none(), "{last}");

    // Another guest sees only its own site's pages.
    let stranger = app.create_guest().await;
    app.set_domain(stranger, &other_site.domain()).await;
    app.start_analysis(stranger).await;
    assert_eq!(
        app.poll_until_finished(stranger).await.pop().unwrap()["status"],
        "succeeded"
    );
    let theirs = search_json(&app, stranger, "refunds").await;
    assert_eq!(theirs["totalResults"], 0, "{theirs}");
    let theirs = search_json(&app, stranger, "widgets").await;
    assert!(
        hit_paths(&theirs, &other_site)
            .iter()
            .all(|p| !p.contains("://")),
        "only the stranger's own site: {theirs}"
    );
    assert!(theirs["totalResults"].as_u64().unwrap() >= 1, "{theirs}");

    // Bad input is a 400 naming the parameter.
    for (query, code) in [
        ("query=", "invalid_query"),
        ("query=%20%3F%3F%20", "invalid_query"),
        (&*format!("query={}", "a".repeat(201)), "invalid_query"),
        ("query=faq&limit=0", "invalid_limit"),
        ("query=faq&limit=51", "invalid_limit"),
        ("limit=5", "invalid_query"),
    ] {
        let response = app
            .get(&format!(
                "/api/onboarding/content?user_uuid={guest}&{query}"
            ))
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], code, "{query}: {body}");
    }
    let unknown = search(&app, uuid::Uuid::new_v4(), "faq").await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn configured_selectors_choose_a_sites_main_content() {
    let marketing = "<p>Our marketing copy talks at length about how wonderful the product is \
                     for every team in every company in every country of the world.</p>"
        .repeat(6);
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><title>Answer</title></head><body>\
         <main>{marketing}</main>\
         <aside><div class=\"kb-answer\"><p>To reset a password, open Settings, choose \
         Security and press the reset button.</p></div></aside></body></html>"
    );
    let site = TestSite::serve(HashMap::from([("/".to_owned(), Page::html(page))])).await;
    let app = TestApp::builder()
        .var(
            "ONBOARD_CONTENT_SELECTORS",
            "other.test=main; 127.0.0.1=.missing, .kb-answer",
        )
        .spawn()
        .await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let id = app.start_analysis(guest).await;
    assert_eq!(
        app.poll_until_finished(guest).await.pop().unwrap()["status"],
        "succeeded"
    );
    let home = crawled_page::Entity::find()
        .filter(crawled_page::Column::RunId.eq(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let text = home.main_text.unwrap();
    assert!(text.starts_with("To reset a password"), "{text}");
    assert!(!text.contains("marketing"), "{text}");
}
