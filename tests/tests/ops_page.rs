//! The operators' page at `/ops`: sign-in with the admin token, the figures it shows equal
//! to the ops API's, the trigger form, and the guards on its forms. The browser test
//! (`browser.rs`) drives the same page in a real Chromium.

use chrono::Utc;
use onboard_tests::{DEADLINE, TestApp, TestSite, site::company_site};
use onboard_worker::maintenance::daily_stats;
use reqwest::{StatusCode, redirect::Policy};
use scraper::{Html, Selector};
use serde_json::Value;
use sha2::Digest;

const TOKEN: &str = "page-test-token";

struct Browserless {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browserless {
    fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .no_proxy()
                .build()
                .unwrap(),
            base: format!("http://{}", app.addr),
            cookie: None,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        r.send().await.unwrap()
    }

    async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        origin: &str,
    ) -> reqwest::Response {
        let mut r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            );
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        r.send().await.unwrap()
    }

    async fn page(&self) -> Html {
        let r = self.get("/ops").await;
        assert_eq!(r.status(), 200);
        Html::parse_document(&r.text().await.unwrap())
    }
}

fn cell(page: &Html, css: &str) -> Option<String> {
    page.select(&Selector::parse(css).unwrap())
        .next()
        .map(|e| e.text().collect::<String>().trim().to_owned())
}

async fn api(app: &TestApp, path: &str) -> Value {
    app.client
        .get(app.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_signs_in_once_and_shows_what_the_api_answers() {
    let site = TestSite::serve(company_site(2)).await;
    let app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .spawn()
        .await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let run_id = app.start_analysis(guest).await;
    app.poll_until_finished(guest).await;
    app.verify_domain(guest, &site).await;
    let done = app
        .post(&format!("/api/onboarding/complete?user_uuid={guest}"))
        .await;
    assert_eq!(done.status(), 200);
    daily_stats::refresh(&app.db, Utc::now().date_naive())
        .await
        .unwrap();

    let mut browser = Browserless::new(&app);
    let origin = browser.base.clone();
    // Signed out: the sign-in form, never the data.
    let r = browser.get("/ops").await;
    assert_eq!(r.status(), 401);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains("name=\"token\""));
    assert!(!html.contains("data-queue"));
    let r = browser
        .post_form("/ops/login", &[("token", "wrong")], &origin)
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());
    let r = browser
        .post_form("/ops/login", &[("token", TOKEN)], "http://evil.example")
        .await;
    assert_eq!(r.status(), 403, "a sign-in posted from another site");

    let r = browser
        .post_form("/ops/login", &[("token", TOKEN)], &origin)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/ops");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains(TOKEN), "the cookie is not the token");
    browser.cookie = Some(set.split(';').next().unwrap().to_owned());

    let page = browser.page().await;
    let queues = api(&app, "/api/ops/queues").await;
    for q in queues["queues"].as_array().unwrap() {
        let name = q["name"].as_str().unwrap();
        for field in ["waiting", "running", "failed", "dead"] {
            let shown = cell(
                &page,
                &format!("tr[data-queue={name}] td[data-field={field}]"),
            );
            assert_eq!(shown, Some(q[field].to_string()), "{name} {field}");
        }
    }
    let funnel = api(&app, "/api/ops/funnel").await;
    for stage in funnel["stages"].as_array().unwrap() {
        let name = stage["stage"].as_str().unwrap();
        for field in ["guests", "dropOff"] {
            let shown = cell(
                &page,
                &format!("tr[data-stage={name}] td[data-field={field}]"),
            );
            assert_eq!(shown, Some(stage[field].to_string()), "{name} {field}");
        }
    }
    assert_eq!(funnel["stages"][0]["guests"], 1);
    assert_eq!(funnel["stages"][4]["guests"], 1);
    let daily = api(&app, "/api/ops/stats/daily").await;
    let today = daily["days"].as_array().unwrap().last().unwrap().clone();
    let bar = Selector::parse(&format!(
        "rect[data-day=\"{}\"]",
        today["day"].as_str().unwrap()
    ))
    .unwrap();
    let rate = page.select(&bar).next().expect("today's completion bar");
    let shown: f64 = rate.value().attr("data-rate").unwrap().parse().unwrap();
    assert_eq!(Some(shown), today["completionRate"].as_f64());
    assert_eq!(shown, 1.0, "the one ended guest completed");
    let run = cell(
        &page,
        &format!("tr[data-analysis=\"{run_id}\"] td.status-succeeded"),
    );
    assert_eq!(run.as_deref(), Some("succeeded"));

    // The trigger form starts a cleanup whose report the page then shows.
    let r = browser
        .post_form("/ops/jobs/cleanup", &[], "http://evil.example")
        .await;
    assert_eq!(r.status(), 403, "a trigger posted from another site");
    let r = browser.post_form("/ops/jobs/cleanup", &[], &origin).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location
        .strip_prefix("/ops?started=")
        .expect("back to the page")
        .parse()
        .unwrap();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let page = browser.page().await;
        let done =
            format!("tr[data-run=\"{id}\"][data-status=succeeded] dd[data-report=guestsDeleted]");
        if let Some(deleted) = cell(&page, &done) {
            let report = api(&app, &format!("/api/ops/runs/{id}")).await;
            assert_eq!(deleted, report["report"]["guestsDeleted"].to_string());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the cleanup's report never showed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Signing out ends the session.
    let r = browser.post_form("/ops/logout", &[], &origin).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cleared = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    browser.cookie = None;
    assert_eq!(browser.get("/ops").await.status(), 401);
    // A session for another token opens nothing.
    browser.cookie = Some("onboard_ops=00".into());
    assert_eq!(browser.get("/ops").await.status(), 401);
    let r = browser.post_form("/ops/jobs/cleanup", &[], &origin).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_token_the_page_stays_shut() {
    let app = TestApp::builder().without_worker().spawn().await;
    let browser = Browserless::new(&app);
    let r = browser
        .post_form("/ops/login", &[("token", "anything")], &browser.base)
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("ONBOARD_ADMIN_TOKEN"));
    let css = browser.get("/ops/static/ops.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(browser.get("/ops/static/nothing.js").await.status(), 404);
}

/// The session cookie's `name=value`, from a sign-in answer.
fn session_cookie(r: &reqwest::Response) -> String {
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_live_on_the_server_and_sign_in_spends_the_write_budget() {
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .var("ONBOARD_RATE_LIMIT_WRITES_PER_MIN", "6")
        .var("ONBOARD_TRUSTED_PROXIES", "127.0.0.1/32")
        .spawn()
        .await;
    let mut browser = Browserless::new(&app);
    let origin = browser.base.clone();

    // Two sign-ins: each session is a random id, never the token or its digest.
    let first = browser
        .post_form("/ops/login", &[("token", TOKEN)], &origin)
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let set = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.contains("Max-Age="), "the session expires: {set}");
    assert!(!set.contains("Secure"), "plain HTTP, not configured: {set}");
    let one = session_cookie(&first);
    let second = browser
        .post_form("/ops/login", &[("token", TOKEN)], &origin)
        .await;
    let two = session_cookie(&second);
    assert_ne!(one, two);
    let digest: String = sha2::Sha256::digest(TOKEN.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!one.contains(&digest) && !one.contains(TOKEN), "{one}");

    // Signing out ends that session on the server: the old cookie opens nothing.
    browser.cookie = Some(one.clone());
    assert_eq!(browser.get("/ops").await.status(), 200);
    let r = browser.post_form("/ops/logout", &[], &origin).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        browser.get("/ops").await.status(),
        401,
        "a signed-out cookie"
    );

    // A session past its expiry opens nothing.
    browser.cookie = Some(two.clone());
    assert_eq!(browser.get("/ops").await.status(), 200);
    use sea_orm::EntityTrait;
    onboard_shared::entities::ops_session::Entity::update_many()
        .col_expr(
            onboard_shared::entities::ops_session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(browser.get("/ops").await.status(), 401, "an expired cookie");

    // Every session can be ended at once.
    let three = browser
        .client
        .post(format!("{origin}/ops/login"))
        .header("origin", &origin)
        .header("x-forwarded-for", "192.0.2.50")
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={TOKEN}"))
        .send()
        .await
        .unwrap();
    let set = three.headers()["set-cookie"].to_str().unwrap();
    assert!(set.contains("Secure"), "over TLS at the proxy: {set}");
    browser.cookie = Some(session_cookie(&three));
    assert_eq!(browser.get("/ops").await.status(), 200);
    let revoked: Value = app
        .client
        .delete(app.url("/api/ops/sessions"))
        .bearer_auth(TOKEN)
        .header("x-forwarded-for", "192.0.2.51")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(revoked["revoked"].as_u64().unwrap() >= 1, "{revoked}");
    assert_eq!(browser.get("/ops").await.status(), 401, "a revoked cookie");

    // Guessing the token spends the write budget: the seventh post in a minute from this
    // address (after two sign-ins and a sign-out) is refused.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = browser
            .post_form("/ops/login", &[("token", "guess")], &origin)
            .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [403, 403, 403, 429]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_webhook_deliveries_and_flags_and_redelivers_one() {
    use onboard_tests::receiver::{Receiver, Reply};

    let app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .var("ONBOARD_WEBHOOK_ALLOW_CIDRS", "127.0.0.1/32")
        .var("ONBOARD_WEBHOOK_RETRY_FOR_SECS", "1")
        .spawn()
        .await;
    let receiver = Receiver::start().await;
    // Fails, and the one-second retry window gives up after the first attempt.
    receiver.plan([Reply::Status(502)]);
    let admin = |method: reqwest::Method, path: &str| {
        app.client.request(method, app.url(path)).bearer_auth(TOKEN)
    };
    let created: Value = admin(reqwest::Method::POST, "/api/ops/webhooks")
        .json(&serde_json::json!({"url": receiver.url("/hook")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = created["endpoint"]["id"].as_i64().unwrap();
    let test: Value = admin(
        reqwest::Method::POST,
        &format!("/api/ops/webhooks/{endpoint}/test"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let delivery = test["deliveryId"].as_i64().unwrap();

    let mut browser = Browserless::new(&app);
    let origin = browser.base.clone();
    let r = browser
        .post_form("/ops/login", &[("token", TOKEN)], &origin)
        .await;
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    browser.cookie = Some(set.split(';').next().unwrap().to_owned());

    let row = format!("tr[data-delivery=\"{delivery}\"][data-status=failed]");
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let page = loop {
        let page = browser.page().await;
        if cell(&page, &row).is_some() {
            break page;
        }
        assert!(tokio::time::Instant::now() < deadline, "never shown failed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let listed = api(&app, &format!("/api/ops/webhooks/{endpoint}/deliveries")).await;
    assert_eq!(
        cell(&page, &format!("{row} td[data-field=attempts]")),
        Some(listed["deliveries"][0]["attempts"].to_string())
    );
    let html = page.html();
    assert!(
        html.contains("the endpoint answered 502"),
        "the last error is shown"
    );
    for flag in ["analysis", "onboarding"] {
        assert_eq!(
            cell(
                &page,
                &format!("tr[data-flag={flag}][data-enabled=true] td.status-succeeded")
            ),
            Some("on".to_owned())
        );
    }

    let form = format!("/ops/webhook-deliveries/{delivery}/redeliver");
    let r = browser.post_form(&form, &[], "http://evil.example").await;
    assert_eq!(r.status(), 403, "a redelivery posted from another site");
    let r = browser.post_form(&form, &[], &origin).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/ops?redelivered={delivery}").as_str()
    );
    let received = receiver.wait_for(2, DEADLINE).await;
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id")
    );
}
