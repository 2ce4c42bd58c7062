//! PostgreSQL or Redis unreachable for a while (the test cuts its own TCP proxy between the
//! app and the server): clear 503s with a JSON body, never a 500 or a hang, and everything
//! recovers when the proxy comes back. Runs against PostgreSQL and Redis only (the embedded
//! default has no connection to cut).

use std::time::Duration;

use onboard_shared::entities::analysis_run;
use onboard_shared::runs::RunStatus;
use onboard_tests::{DEADLINE, TestApp, TestSite, require_servers, site::company_site};
use sea_orm::EntityTrait;
use serde_json::Value;

/// The request answers within `limit` with a 503 and a JSON error body.
async fn unavailable(request: reqwest::RequestBuilder, limit: Duration) {
    let started = tokio::time::Instant::now();
    let response = request
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert!(started.elapsed() < limit, "took {:?}", started.elapsed());
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.expect("a JSON body");
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{body}"
    );
}

async fn poll_ready(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while app.get("/readyz").await.status() != 200 {
        assert!(tokio::time::Instant::now() < deadline, "never ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL; --include-ignored)"]
async fn the_database_away_gives_503s_and_everything_recovers() {
    require_servers();
    let app = TestApp::builder().proxied().spawn().await;
    let guest = app.create_guest().await;
    let database = &app.proxies[0];
    database.cut();

    // The pool's acquire timeout (5 s) bounds every answer.
    let limit = Duration::from_secs(10);
    unavailable(app.client.get(app.url("/readyz")), limit).await;
    unavailable(
        app.client.get(app.url(&format!("/api/guest/{guest}"))),
        limit,
    )
    .await;
    unavailable(app.client.post(app.url("/api/guest")), limit).await;
    unavailable(
        app.client
            .get(app.url(&format!("/api/onboarding/config?user_uuid={guest}"))),
        limit,
    )
    .await;

    database.restore();
    poll_ready(&app).await;
    assert_eq!(app.get(&format!("/api/guest/{guest}")).await.status(), 200);
    app.create_guest().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL; --include-ignored)"]
async fn redis_away_answers_503_and_the_run_waits_then_runs() {
    require_servers();
    let site = TestSite::serve(company_site(3)).await;
    let app = TestApp::builder().proxied().spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let redis = &app.proxies[1];
    redis.cut();

    unavailable(
        app.client
            .post(app.url(&format!("/api/onboarding/analysis?user_uuid={guest}"))),
        // The queue's connection gives up within a few seconds (shared/src/queue.rs).
        Duration::from_secs(5),
    )
    .await;
    unavailable(app.client.get(app.url("/readyz")), Duration::from_secs(5)).await;
    let runs = analysis_run::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(runs.len(), 1, "the run is recorded");
    assert_eq!(runs[0].status, RunStatus::Queued);

    redis.restore();
    let last = app.poll_until_finished(guest).await.pop().unwrap();
    assert_eq!(last["status"], "succeeded", "{last}");
    assert_eq!(last["pages"]["crawled"], 4, "{last}");
}
