//! What the worst anonymous guest can make the service do. Each finding of an attack on an
//! earlier build is played again with an attacking guest, a victim and local sites over
//! real HTTP: the attacker now fails, and the victim is served.

use std::{collections::HashMap, io::Write, time::Duration};

use onboard_shared::{
    entities::{analysis_run, crawled_page, onboarding_configuration, site},
    runs::RunStatus,
    verification::{FILE_PATH, META_NAME},
};
use onboard_tests::{
    DEADLINE, TestApp, TestSite,
    site::{Page, company_site},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

async fn configure(app: &TestApp, guest: Uuid, body: Value) {
    let r = app
        .post_json(&format!("/api/onboarding/config?user_uuid={guest}"), &body)
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn config_of(app: &TestApp, guest: Uuid) -> Value {
    app.get(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap()
}

async fn issue(app: &TestApp, guest: Uuid) -> Value {
    let r = app
        .post(&format!("/api/onboarding/verification?user_uuid={guest}"))
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

async fn check(app: &TestApp, guest: Uuid) -> reqwest::Response {
    app.post(&format!(
        "/api/onboarding/verification/check?user_uuid={guest}"
    ))
    .await
}

async fn complete(app: &TestApp, guest: Uuid) -> reqwest::Response {
    app.post(&format!("/api/onboarding/complete?user_uuid={guest}"))
        .await
}

async fn error_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

fn home_with(head: &str) -> Page {
    Page::html(format!(
        "<!doctype html><html lang=\"en\"><head><title>Acme</title>{head}</head>\
         <body><h1>Acme</h1><p>We make widgets for everyone, all year long.</p>\
         <a href=\"/help\">Help</a></body></html>"
    ))
}

async fn site_config(app: &TestApp, domain: &str) -> onboarding_configuration::Model {
    let site = site::Entity::find()
        .filter(site::Column::Domain.eq(domain))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the site row");
    onboarding_configuration::Entity::find()
        .filter(onboarding_configuration::Column::SiteId.eq(site.id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the site's configuration")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_a_guest_that_proved_control_of_the_domain_changes_its_site() {
    let site = TestSite::serve(company_site(2)).await;
    let domain = site.domain();
    let app = TestApp::spawn().await;

    // The customer puts its token in a <meta> tag on the home page and completes.
    let customer = app.create_guest().await;
    configure(
        &app,
        customer,
        json!({"domain": domain, "configuration": {
            "design": {"primaryColor": "#123456"}, "contact": {"email": "help@acme.test"}}}),
    )
    .await;
    let error = error_of(complete(&app, customer).await, 403).await;
    assert_eq!(error["error"], "verification_required", "{error}");
    let token = issue(&app, customer).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    site.set_page(
        "/",
        home_with(&format!("<meta name=\"{META_NAME}\" content=\"{token}\">")),
    );
    let verified = check(&app, customer).await;
    assert_eq!(verified.status(), 200);
    let verified: Value = verified.json().await.unwrap();
    assert_eq!(
        (verified["status"].clone(), verified["method"].clone()),
        (json!("verified"), json!("meta"))
    );
    assert_eq!(complete(&app, customer).await.status(), 200);
    let claimed = site::Entity::find()
        .filter(site::Column::Domain.eq(domain.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(claimed.claimed_at.is_some());

    // An attacker types the same domain and a phishing address: completing is refused.
    let attacker = app.create_guest().await;
    configure(
        &app,
        attacker,
        json!({"domain": domain, "configuration": {
            "design": {"primaryColor": "#000000"}, "contact": {"email": "phish@evil.test"}}}),
    )
    .await;
    let error = error_of(complete(&app, attacker).await, 403).await;
    assert_eq!(error["error"], "verification_required");
    // Its own token is not on the site, so its check fails, saying what it looked for.
    let own = issue(&app, attacker).await;
    let own_token = own["token"].as_str().unwrap();
    assert_ne!(own_token, token, "tokens are per guest");
    let failed = error_of(check(&app, attacker).await, 422).await;
    assert_eq!(failed["error"], "verification_failed");
    let message = failed["message"].as_str().unwrap();
    for looked_for in [META_NAME, FILE_PATH, own_token] {
        assert!(message.contains(looked_for), "{looked_for:?} in {message}");
    }
    // A second check right away is refused: one guest cannot make us hammer a site.
    let again = check(&app, attacker).await;
    assert_eq!(again.status(), 429);
    assert!(again.headers().contains_key("retry-after"));
    assert_eq!(error_of(again, 429).await["error"], "too_many_checks");

    // The site is as its customer left it.
    let row = site_config(&app, &domain).await;
    assert_eq!(row.primary_color, "#123456");
    assert_eq!(row.contact_methods, json!({"email": "help@acme.test"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_in_the_well_known_file_verifies_and_one_on_another_host_does_not() {
    let site = TestSite::serve(company_site(1)).await;
    let elsewhere = TestSite::serve(company_site(1)).await;
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    configure(&app, guest, json!({"domain": site.domain()})).await;
    let issued = issue(&app, guest).await;
    assert_eq!(issued["status"], "pending");
    assert_eq!(issued["filePath"], FILE_PATH);
    let token = issued["token"].as_str().unwrap().to_owned();
    assert_eq!(
        issue(&app, guest).await["token"],
        token.as_str(),
        "issuing again keeps the token"
    );

    // The file on another host, reached by a redirect, proves nothing.
    elsewhere.set_page(
        FILE_PATH,
        Page::bytes("text/plain", token.clone().into_bytes()),
    );
    site.set_page(
        FILE_PATH,
        Page::redirect(&format!("http://{}{FILE_PATH}", elsewhere.domain())),
    );
    let failed = error_of(check(&app, guest).await, 422).await;
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("redirects to another site"),
        "{failed}"
    );

    site.set_page(
        FILE_PATH,
        Page::bytes("text/plain", format!("other\n{token}\n").into_bytes()),
    );
    tokio::time::sleep(Duration::from_millis(5500)).await; // the pause between two checks
    let verified = check(&app, guest).await;
    assert_eq!(verified.status(), 200);
    let view: Value = app
        .get(&format!("/api/onboarding/verification?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "verified");
    assert_eq!(view["method"], "file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn suggestions_come_only_from_an_analysis_of_the_current_domain() {
    // Site A has a brand colour and a support email; site B has neither.
    let a = TestSite::serve(company_site(4)).await;
    let b = TestSite::serve(HashMap::from([("/".to_owned(), home_with(""))])).await;
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    configure(&app, guest, json!({"domain": a.domain()})).await;
    app.start_analysis(guest).await;
    assert_eq!(
        app.poll_until_finished(guest).await.pop().unwrap()["status"],
        "succeeded"
    );
    let with_a = config_of(&app, guest).await;
    assert_eq!(with_a["configuration"]["design"]["primaryColor"], "#123456");
    assert_eq!(
        with_a["configuration"]["contact"]["email"],
        "support@acme.test"
    );

    // On B, A's findings are not offered, and not applied.
    configure(&app, guest, json!({"domain": b.domain()})).await;
    let with_b = config_of(&app, guest).await;
    assert_eq!(with_b["configuration"]["design"]["primaryColor"], "#FB8537");
    assert_eq!(with_b["configuration"]["contact"], json!({}));
    app.verify_domain(guest, &b).await;
    assert_eq!(complete(&app, guest).await.status(), 200);
    let row = site_config(&app, &b.domain()).await;
    assert_eq!(row.primary_color, "#FB8537");
    assert_eq!(row.contact_methods, json!({}));
    assert_eq!(row.launcher_logo, None);
}

async fn search(app: &TestApp, guest: Uuid, query: &str) -> Value {
    let r = app
        .get(&format!(
            "/api/onboarding/content?user_uuid={guest}&query={query}"
        ))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The api's count of search indexes built so far (this binary's tests share the process).
async fn index_builds(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("onboard_search_index_builds_total "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn searching_builds_no_index_while_a_run_writes_and_one_once_it_has_finished() {
    // The manifest trickles, so the run waits in Integration Setup with every page stored.
    let mut pages = company_site(6);
    pages.insert(
        "/".into(),
        home_with("<link rel=\"manifest\" href=\"/slow.webmanifest\">"),
    );
    pages.insert(
        "/slow.webmanifest".into(),
        Page::bytes("application/manifest+json", vec![b' '; 10_000])
            .trickle(Duration::from_millis(50)),
    );
    let site = TestSite::serve(pages).await;
    let app = TestApp::builder()
        .var("ONBOARD_CRAWL_REQUEST_TIMEOUT_SECS", "8")
        .spawn()
        .await;
    let guest = app.create_guest().await;
    configure(&app, guest, json!({"domain": site.domain()})).await;
    let run = app.start_analysis(guest).await;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let view = app.progress(guest).await;
        if view["currentStep"] == 4 && view["status"] == "running" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = crawled_page::Entity::find()
        .filter(crawled_page::Column::RunId.eq(run))
        .filter(crawled_page::Column::MainText.is_not_null())
        .count(&app.db)
        .await
        .unwrap();
    assert!(stored > 0, "the pages are written while the run goes on");

    let before = index_builds(&app).await;
    for _ in 0..5 {
        let found = search(&app, guest, "widgets").await;
        assert!(
            found["analysisId"].is_null(),
            "a running analysis is not searched: {found}"
        );
        assert_eq!(found["totalResults"], 0);
    }
    assert_eq!(
        index_builds(&app).await,
        before,
        "no index built for a run still writing"
    );

    assert_eq!(
        app.poll_until_finished(guest).await.pop().unwrap()["status"],
        "succeeded"
    );
    for _ in 0..5 {
        let found = search(&app, guest, "widgets").await;
        assert_eq!(found["analysisId"], run);
        assert!(found["totalResults"].as_u64().unwrap() > 0, "{found}");
    }
    assert_eq!(
        index_builds(&app).await,
        before + 1,
        "one index for five searches"
    );
}

/// A request from `ip`, as a trusted proxy in front of the api says.
async fn start_from(app: &TestApp, guest: Uuid, ip: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/onboarding/analysis?user_uuid={guest}")))
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap()
}

async fn guest_on(app: &TestApp, domain: &str) -> Uuid {
    let guest = app.create_guest().await;
    configure(app, guest, json!({"domain": domain})).await;
    guest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_cannot_hold_every_analysis_slot() {
    // Every page of the attacker's site takes seconds to answer.
    let slow = TestSite::serve_slow(company_site(3), Duration::from_secs(4)).await;
    let fast = TestSite::serve(company_site(2)).await;
    let app = TestApp::builder()
        .var("ONBOARD_TRUSTED_PROXIES", "127.0.0.1/32")
        .var("ONBOARD_ANALYSIS_CONCURRENCY", "2")
        .var("ONBOARD_MAX_ANALYSES_PER_CLIENT", "3")
        .var("ONBOARD_ANALYSIS_SLOTS_PER_CLIENT", "1")
        .var("ONBOARD_MAX_ANALYSES_PER_DOMAIN", "10")
        .spawn()
        .await;
    const ATTACKER: &str = "203.0.113.7";
    let mut attacks = Vec::new();
    for _ in 0..3 {
        let guest = guest_on(&app, &slow.domain()).await;
        assert_eq!(start_from(&app, guest, ATTACKER).await.status(), 202);
        attacks.push(guest);
    }
    // The fourth is refused while three are under way.
    let fourth = guest_on(&app, &slow.domain()).await;
    let refused = start_from(&app, fourth, ATTACKER).await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(error_of(refused, 429).await["error"], "too_many_analyses");

    // Another address's analysis finds a free slot and finishes while the attack goes on.
    let customer = guest_on(&app, &fast.domain()).await;
    assert_eq!(
        start_from(&app, customer, "198.51.100.9").await.status(),
        202
    );
    let last = app.poll_until_finished(customer).await.pop().unwrap();
    assert_eq!(last["status"], "succeeded");
    let attacking = analysis_run::Entity::find()
        .filter(analysis_run::Column::ClientIp.eq(ATTACKER))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(attacking.len(), 3);
    assert!(
        attacking.iter().filter(|r| r.status.is_active()).count() >= 2,
        "the attack was still under way: {:?}",
        attacking.iter().map(|r| &r.status).collect::<Vec<_>>()
    );
    assert!(
        attacking
            .iter()
            .filter(|r| r.status == RunStatus::Running)
            .count()
            <= 1,
        "one address holds one slot at a time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_domain_is_analysed_a_bounded_number_of_times_at_once() {
    let slow = TestSite::serve_slow(company_site(2), Duration::from_secs(3)).await;
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_TRUSTED_PROXIES", "127.0.0.1/32")
        .var("ONBOARD_MAX_ANALYSES_PER_DOMAIN", "2")
        .spawn()
        .await;
    for ip in ["192.0.2.1", "192.0.2.2"] {
        let guest = guest_on(&app, &slow.domain()).await;
        assert_eq!(start_from(&app, guest, ip).await.status(), 202);
    }
    let third = guest_on(&app, &slow.domain()).await;
    let error = error_of(start_from(&app, third, "192.0.2.3").await, 429).await;
    assert_eq!(error["error"], "too_many_analyses");
    // The lazy start of the progress poll keeps the same bound.
    let polled = app
        .client
        .get(app.url(&format!("/api/onboarding/progress-steps?user_uuid={third}")))
        .header("x-forwarded-for", "192.0.2.3")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(polled, 429).await["error"], "too_many_analyses");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_records_a_bounded_number_of_urls_however_many_its_sitemaps_list() {
    const SITEMAPS: usize = 4;
    const LISTED: usize = 5_000;
    let site = TestSite::serve_knowing_address(company_site(3), |addr| {
        let mut pages = HashMap::new();
        let robots: String = (0..SITEMAPS)
            .map(|i| format!("Sitemap: http://{addr}/s{i}.xml.gz\n"))
            .collect();
        pages.insert(
            "/robots.txt".to_owned(),
            Page::bytes(
                "text/plain",
                format!("User-agent: *\nAllow: /\n{robots}").into_bytes(),
            ),
        );
        for i in 0..SITEMAPS {
            let urls: String = (0..LISTED)
                .map(|j| format!("<url><loc>http://elsewhere.test/{i}/{j}</loc></url>"))
                .collect();
            pages.insert(
                format!("/s{i}.xml.gz"),
                Page::bytes(
                    "application/gzip",
                    gzip(format!("<urlset>{urls}</urlset>").as_bytes()),
                ),
            );
        }
        pages
    })
    .await;
    let app = TestApp::builder()
        .var("ONBOARD_CRAWL_MAX_PAGES", "5")
        .var("ONBOARD_CRAWL_URLS_PER_PAGE", "10")
        .spawn()
        .await;
    let guest = guest_on(&app, &site.domain()).await;
    let run = app.start_analysis(guest).await;
    let last = app.poll_until_finished(guest).await.pop().unwrap();
    assert_eq!(last["status"], "succeeded", "{last}");
    let rows = crawled_page::Entity::find()
        .filter(crawled_page::Column::RunId.eq(run))
        .count(&app.db)
        .await
        .unwrap();
    assert!(rows <= 5 + 5 * 10, "{rows} rows stored");
    // The counts still tell how much was found.
    let pages = &last["pages"];
    let discovered = pages["discovered"].as_u64().unwrap();
    assert!(discovered > (SITEMAPS * LISTED) as u64, "{pages}");
    assert_eq!(
        discovered,
        pages["crawled"].as_u64().unwrap()
            + pages["failed"].as_u64().unwrap()
            + pages["skipped"].as_u64().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn values_from_crawled_pages_are_stored_only_when_safe() {
    let head = r##"<meta name="theme-color" content="#123456">
        <link rel="icon" href="javascript:alert(2)">
        <script type="application/ld+json">{"@context":"https://schema.org","@type":"Organization",
          "logo":"javascript:alert(1)"}</script>
        <script type="application/ld+json">{"@type":"FAQPage","mainEntity":[{"@type":"Question",
          "name":"<b>Do you ship</b> abroad?","acceptedAnswer":{"@type":"Answer",
          "text":"Yes <img src=x onerror=alert(3)>we ship <script>alert(4)<\/script>everywhere."}}]}</script>"##;
    let body = r#"<a href="mailto:<b>x</b>@evil.test">mail</a>
        <a href="mailto:%3Cimg%20src=x%20onerror=alert(5)%3E@evil.test">mail</a>
        <a href="mailto:Support@Acme.test?subject=hi">mail</a>
        <a href="tel:+1 555<script>">call</a> <a href="tel:+1 (555) 010-0100">call</a>"#;
    let site = TestSite::serve(HashMap::from([(
        "/".to_owned(),
        Page::html(format!(
            "<!doctype html><html lang=\"en\"><head><title>Acme</title>{head}</head><body>\
             <h1>Acme</h1><p>We make widgets for everyone.</p>{body}</body></html>"
        )),
    )]))
    .await;
    let app = TestApp::spawn().await;
    let guest = guest_on(&app, &site.domain()).await;
    let run = app.start_analysis(guest).await;
    assert_eq!(
        app.poll_until_finished(guest).await.pop().unwrap()["status"],
        "succeeded"
    );
    let result: Value = app
        .get(&format!("/api/onboarding/analysis/{run}?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    let insights = &result["insights"];
    for url in [&insights["logoUrl"], &insights["faviconUrl"]] {
        if let Some(url) = url.as_str() {
            assert!(
                url.starts_with("http://") || url.starts_with("https://"),
                "{url}"
            );
        }
    }
    let emails: Vec<&str> = insights["supportChannels"]["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["support@acme.test"]);
    let phones: Vec<&str> = insights["supportChannels"]["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(phones, ["+15550100100"]);
    let faq = &insights["faq"][0];
    assert_eq!(faq["question"], "Do you ship abroad?");
    let answer = faq["answer"].as_str().unwrap();
    assert!(
        !answer.contains('<') && answer.starts_with("Yes"),
        "{answer}"
    );

    let config = config_of(&app, guest).await;
    let design = &config["configuration"]["design"];
    assert!(
        design["launcherLogo"]
            .as_str()
            .is_none_or(|l| l.starts_with("http")),
        "{design}"
    );
    assert_eq!(
        config["configuration"]["contact"]["email"],
        "support@acme.test"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_guest_cannot_post_events() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    onboard_shared::entities::guest_session::Entity::update_many()
        .col_expr(
            onboard_shared::entities::guest_session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::hours(1)),
        )
        .filter(onboard_shared::entities::guest_session::Column::Uuid.eq(guest))
        .exec(&app.db)
        .await
        .unwrap();
    let r = app
        .post_json(
            "/api/stats/events",
            &json!({"eventType": "page.viewed", "guestUuid": guest, "eventData": {}}),
        )
        .await;
    assert_eq!(error_of(r, 410).await["error"], "guest_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_zero_is_not_a_domain() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    for domain in ["acme.test:0", "127.0.0.1:0", "http://acme.test:0/"] {
        let r = app
            .post_json(
                &format!("/api/onboarding/config?user_uuid={guest}"),
                &json!({"domain": domain}),
            )
            .await;
        assert_eq!(
            error_of(r, 400).await["error"],
            "invalid_domain",
            "{domain}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_trickling_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_HTTP_IDLE_TIMEOUT_SECS", "1")
        .var("ONBOARD_HTTP_REQUEST_TIMEOUT_SECS", "2")
        .spawn()
        .await;
    // A connection that never sends a byte is closed.
    let mut idle = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(10), idle.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");

    // One that trickles its headers, a byte at a time, more often than the idle timeout.
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let cut = loop {
        if slow.write_all(b"X").await.is_err() {
            break true;
        }
        match tokio::time::timeout(Duration::from_millis(300), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(_)) => panic!("a response to headers that never ended"),
            Err(_) => {}
        }
        if started.elapsed() > Duration::from_secs(15) {
            break false;
        }
    };
    assert!(cut, "the trickling connection was never closed");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );

    // A normal request on a fresh connection is answered.
    assert_eq!(app.get("/healthz").await.status(), 200);
}
