//! The analysis, end to end: api → queue → worker → progress rows → api, against websites
//! the tests serve themselves.

use std::collections::HashMap;

use futures::future::join_all;
use onboard_shared::{
    entities::{analysis_run, crawled_page, site_insight},
    jobs::AnalysisJob,
};
use onboard_tests::{TestApp, TestSite, site::company_site};
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
        let error = last["error"].as_str().unwrap();
        assert!(
            error.contains("127.0.0.2") && error.contains("not a publicly routable"),
            "{error}"
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
    assert!(
        last["error"]
            .as_str()
            .unwrap()
            .contains("did not answer over https or http"),
        "{last}"
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
    assert_eq!(after.status, "succeeded");
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
