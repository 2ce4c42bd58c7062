//! Feature flags: managed through the ops API, evaluated per guest (stable, near the
//! rollout percentage, site lists first), the two kill switches honoured by the service,
//! and a change seen by every api instance.

use std::{sync::Arc, time::Duration};

use onboard_shared::{entities::analysis_run, runs::RunStatus};
use onboard_tests::{DEADLINE, TestApp, TestSite, require_servers, site::company_site};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

const TOKEN: &str = "test-admin-token";

async fn app() -> TestApp {
    TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .spawn()
        .await
}

async fn put_flag(app: &TestApp, name: &str, body: Value) -> Value {
    let (status, flag) = app
        .ops(Method::PUT, &format!("/api/ops/flags/{name}"), Some(body))
        .await;
    assert!(status == 200 || status == 201, "{status} {flag}");
    flag
}

async fn flags_of(base: &str, client: &reqwest::Client, guest: Uuid) -> Value {
    let response = client
        .get(format!("{base}/api/onboarding/flags?user_uuid={guest}"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.expect("json")["flags"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_are_stable_per_guest_near_their_percentage_and_sites_decide_first() {
    let app = app().await;
    let (status, _) = app
        .ops(Method::PUT, "/api/ops/flags/new_widget", Some(json!({})))
        .await;
    assert_eq!(status, 201, "a new flag is created");
    let flag = put_flag(
        &app,
        "new_widget",
        json!({
            "rolloutPercentage": 30,
            "onDomains": ["https://Beta.Example.com/pricing"],
            "offDomains": ["blocked.example.com"],
        }),
    )
    .await;
    assert_eq!(
        flag["onDomains"],
        json!(["beta.example.com"]),
        "stored normalised"
    );

    let base = app.url("");
    let mut on = 0;
    let guests: Vec<Uuid> = futures::future::join_all((0..200).map(|_| app.create_guest())).await;
    for guest in &guests {
        let first = flags_of(&base, &app.client, *guest).await;
        let again = flags_of(&base, &app.client, *guest).await;
        assert_eq!(first, again, "a guest never flips between polls");
        assert_eq!(first["onboarding"], true);
        assert_eq!(first["analysis"], true);
        on += usize::from(first["new_widget"] == true);
    }
    // 30 % of 200 is 60; a stable hash of 200 ids lands well within 35-85.
    assert!((35..=85).contains(&on), "{on} of 200 guests");

    let beta = guests[0];
    app.set_domain(beta, "beta.example.com").await;
    let blocked = guests[1];
    app.set_domain(blocked, "blocked.example.com").await;
    put_flag(&app, "new_widget", json!({"rolloutPercentage": 0})).await;
    assert_eq!(flags_of(&base, &app.client, beta).await["new_widget"], true);
    put_flag(&app, "new_widget", json!({"rolloutPercentage": 100})).await;
    assert_eq!(
        flags_of(&base, &app.client, blocked).await["new_widget"],
        false
    );
    assert_eq!(
        flags_of(&base, &app.client, guests[2]).await["new_widget"],
        true
    );
    put_flag(&app, "new_widget", json!({"enabled": false})).await;
    assert_eq!(
        flags_of(&base, &app.client, beta).await["new_widget"],
        false
    );

    let (status, _) = app
        .ops(Method::DELETE, "/api/ops/flags/new_widget", None)
        .await;
    assert_eq!(status, 204);
    assert!(
        flags_of(&base, &app.client, beta)
            .await
            .get("new_widget")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn flag_writes_are_validated_and_kill_switches_are_all_or_nothing() {
    let app = app().await;
    for (path, body, status, code) in [
        ("/api/ops/flags/Bad Name", json!({}), 400, "invalid_name"),
        (
            "/api/ops/flags/x",
            json!({"rolloutPercentage": 101}),
            400,
            "invalid_rollout_percentage",
        ),
        (
            "/api/ops/flags/x",
            json!({"onDomains": ["not a domain"]}),
            400,
            "invalid_on_domains",
        ),
        (
            "/api/ops/flags/analysis",
            json!({"rolloutPercentage": 50}),
            400,
            "invalid_flag",
        ),
        (
            "/api/ops/flags/onboarding",
            json!({"onDomains": ["a.example"]}),
            400,
            "invalid_flag",
        ),
    ] {
        let (got, answer) = app.ops(Method::PUT, path, Some(body)).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{path}: {answer}"
        );
    }
    let (got, answer) = app
        .ops(Method::DELETE, "/api/ops/flags/analysis", None)
        .await;
    assert_eq!(
        (got, answer["error"].as_str()),
        (409, Some("flag_protected"))
    );
    let (got, answer) = app
        .ops(Method::DELETE, "/api/ops/flags/nothing", None)
        .await;
    assert_eq!(
        (got, answer["error"].as_str()),
        (404, Some("flag_not_found"))
    );
    let (_, listed) = app.ops(Method::GET, "/api/ops/flags", None).await;
    let names: Vec<&str> = listed["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["analysis", "onboarding"],
        "the seeded kill switches"
    );
    assert!(
        listed["flags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["killSwitch"] == true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_onboarding_switch_answers_503_and_keeps_the_guests_data() {
    let app = app().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, "acme.example").await;
    put_flag(&app, "onboarding", json!({"enabled": false})).await;

    for path in [
        format!("/api/onboarding/config?user_uuid={guest}"),
        format!("/api/onboarding/progress-steps?user_uuid={guest}"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 503, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "onboarding_disabled");
        assert!(body["message"].as_str().unwrap().contains("switched off"));
    }
    let posted = app
        .post_json(
            &format!("/api/onboarding/config?user_uuid={guest}"),
            &json!({"currentStep": 2}),
        )
        .await;
    assert_eq!(posted.status(), 503);
    // The flags stay readable, so the UI can say why; guests are still created.
    assert_eq!(
        flags_of(&app.url(""), &app.client, guest).await["onboarding"],
        false
    );
    app.create_guest().await;

    put_flag(&app, "onboarding", json!({"enabled": true})).await;
    let config = app
        .get_json(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await;
    assert_eq!(config["domain"], "acme.example");
}

async fn run_row(app: &TestApp, id: i64) -> analysis_run::Model {
    analysis_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the run")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_analysis_switch_refuses_new_analyses_and_queued_ones_wait() {
    let mut app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .without_worker()
        .spawn()
        .await;
    let site = TestSite::serve(company_site(2)).await;
    let waiting = app.create_guest().await;
    app.set_domain(waiting, &site.domain()).await;
    let run_id = app.start_analysis(waiting).await;
    assert!(
        run_row(&app, run_id).await.pushed_at.is_some(),
        "its job is queued"
    );

    put_flag(&app, "analysis", json!({"enabled": false})).await;
    let refused = app.create_guest().await;
    app.set_domain(refused, &site.domain()).await;
    let response = app
        .post(&format!("/api/onboarding/analysis?user_uuid={refused}"))
        .await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "analysis_disabled");
    // The poll does not start one lazily either, and the rest of onboarding works.
    let progress = app.progress(refused).await;
    assert!(progress["analysisId"].is_null(), "{progress}");
    let config = app
        .get_json(&format!("/api/onboarding/config?user_uuid={refused}"))
        .await;
    assert_eq!(config["domain"], site.domain());

    // A worker takes the queued job but holds the run back as a waiting row.
    app.start_worker();
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let run = run_row(&app, run_id).await;
        assert_eq!(run.status, RunStatus::Queued, "it waits while switched off");
        if run.pushed_at.is_none() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "the job was never taken"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(site.requests().is_empty(), "nothing was crawled");

    put_flag(&app, "analysis", json!({"enabled": true})).await;
    let steps = app.poll_until_finished(waiting).await;
    assert!(!steps.is_empty());
    assert_eq!(run_row(&app, run_id).await.status, RunStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)"]
async fn a_flag_change_is_seen_by_a_second_api_instance_within_two_seconds() {
    require_servers();
    let app = app().await;
    // A second api process: its own queue handle, so its own subscription to the notices.
    let queue = onboard_shared::JobQueue::connect(&app.config)
        .await
        .unwrap();
    let state = onboard_api::AppState::new(app.db.clone(), queue, Arc::clone(&app.config));
    let stop = tokio_util::sync::CancellationToken::new();
    let (addr, server) = onboard_api::bind("127.0.0.1:0".parse().unwrap(), state, {
        let stop = stop.clone();
        async move { stop.cancelled().await }
    })
    .await
    .unwrap();
    let server = tokio::spawn(server);
    let second = format!("http://{addr}");

    let guest = app.create_guest().await;
    put_flag(&app, "beta_search", json!({"rolloutPercentage": 100})).await;
    // The second instance reads the flag, and holds it in its cache from then on.
    let until = tokio::time::Instant::now() + DEADLINE;
    while flags_of(&second, &app.client, guest).await["beta_search"] != true {
        assert!(tokio::time::Instant::now() < until);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    put_flag(&app, "beta_search", json!({"enabled": false})).await;
    let changed = tokio::time::Instant::now();
    while flags_of(&second, &app.client, guest).await["beta_search"] != false {
        assert!(
            changed.elapsed() < Duration::from_secs(2),
            "the second instance still had the old flag after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    server.await.unwrap().unwrap();
}
