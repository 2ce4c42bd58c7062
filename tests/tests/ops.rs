//! The operators' API: admin-token guard, maintenance runs started and read through it,
//! and the queues' state.

use std::time::Instant;

use onboard_tests::{DEADLINE, TestApp, TestSite, site::company_site};
use reqwest::Method;
use serde_json::Value;

const TOKEN: &str = "test-admin-token";

async fn admin(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ops_api_answers_only_the_admin_token() {
    let app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .without_worker()
        .spawn()
        .await;
    for (method, path) in [
        (Method::POST, "/api/ops/jobs/cleanup"),
        (Method::GET, "/api/ops/runs/1"),
        (Method::GET, "/api/ops/runs"),
        (Method::GET, "/api/ops/queues"),
    ] {
        let (status, body) = admin(&app, method.clone(), path, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("unauthorized")),
            "{path}"
        );
        let (status, body) = admin(&app, method.clone(), path, Some("test-admin-tokeN")).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_admin_token")),
            "{path}"
        );
        let (status, _) = admin(&app, method, path, Some(TOKEN)).await;
        assert!(status != 401 && status != 403, "{path}: {status}");
    }

    // With no token configured, the ops API is off whatever is sent.
    let off = TestApp::builder().without_worker().spawn().await;
    let (status, body) = admin(&off, Method::GET, "/api/ops/queues", Some("guess")).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "ops_disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_maintenance_run_started_through_the_ops_api_reports_what_it_did() {
    let app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .spawn()
        .await;
    let (status, queued) = admin(&app, Method::POST, "/api/ops/jobs/cleanup", Some(TOKEN)).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["kind"], "cleanup");
    assert_eq!(queued["status"], "queued");
    let id = queued["runId"].as_i64().unwrap();

    let started = Instant::now();
    let run = loop {
        let (status, run) = admin(
            &app,
            Method::GET,
            &format!("/api/ops/runs/{id}"),
            Some(TOKEN),
        )
        .await;
        assert_eq!(status, 200, "{run}");
        if run["status"] == "succeeded" || run["status"] == "failed" {
            break run;
        }
        assert!(started.elapsed() < DEADLINE, "run still {run}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["trigger"], "api");
    // The report is the cleanup report, every count present.
    for count in [
        "guestsDeleted",
        "opsSessionsExpired",
        "maintenanceRunsPruned",
        "logoFilesDeleted",
        "queueEntriesVacuumed",
    ] {
        assert!(run["report"][count].is_u64(), "{count}: {run}");
    }
    assert!(run["finishedAt"].is_string());

    let (status, listed) = admin(
        &app,
        Method::GET,
        "/api/ops/runs?kind=cleanup&limit=5",
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    let runs = listed["runs"].as_array().unwrap();
    assert!(runs.iter().all(|r| r["kind"] == "cleanup"), "{listed}");
    assert!(runs.iter().any(|r| r["id"] == id), "{listed}");
    assert_eq!(listed["total"], runs.len(), "{listed}");

    // Pages: `offset` goes on from `nextOffset`, and `total` counts all of them.
    for _ in 0..2 {
        let (status, _) = admin(&app, Method::POST, "/api/ops/jobs/cleanup", Some(TOKEN)).await;
        assert_eq!(status, 202);
    }
    let (_, first) = admin(
        &app,
        Method::GET,
        "/api/ops/runs?kind=cleanup&limit=2",
        Some(TOKEN),
    )
    .await;
    let total = first["total"].as_u64().unwrap();
    assert!(total >= 3, "{first}");
    assert_eq!(first["runs"].as_array().unwrap().len(), 2);
    assert_eq!(first["nextOffset"], 2);
    let (_, second) = admin(
        &app,
        Method::GET,
        &format!("/api/ops/runs?kind=cleanup&limit=2&offset={}", total - 1),
        Some(TOKEN),
    )
    .await;
    assert_eq!(second["runs"].as_array().unwrap().len(), 1, "{second}");
    assert!(second.get("nextOffset").is_none(), "{second}");
    assert!(
        first["runs"][0]["id"].as_i64() > second["runs"][0]["id"].as_i64(),
        "newest first"
    );
    let (_, monitors) = admin(&app, Method::GET, "/api/ops/runs?kind=monitor", Some(TOKEN)).await;
    assert!(
        monitors["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != id)
    );

    for (method, path, status, code) in [
        (Method::POST, "/api/ops/jobs/reindex", 400, "invalid_kind"),
        (
            Method::GET,
            "/api/ops/runs?kind=reindex",
            400,
            "invalid_kind",
        ),
        (Method::GET, "/api/ops/runs?limit=0", 400, "invalid_limit"),
        (
            Method::GET,
            "/api/ops/runs?offset=-1",
            400,
            "invalid_offset",
        ),
        (Method::GET, "/api/ops/runs/999999999", 404, "run_not_found"),
    ] {
        let (got, body) = admin(&app, method, path, Some(TOKEN)).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(code)),
            "{path}: {body}"
        );
        assert!(
            !body["message"].as_str().unwrap().contains("param0"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_queues_show_waiting_jobs_and_how_long_they_have_waited() {
    let site = TestSite::serve(company_site(2)).await;
    let app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .without_worker()
        .spawn()
        .await;
    for _ in 0..3 {
        let guest = app.create_guest().await;
        app.set_domain(guest, &site.domain()).await;
        app.start_analysis(guest).await;
    }
    let (status, _) = admin(&app, Method::POST, "/api/ops/jobs/monitor", Some(TOKEN)).await;
    assert_eq!(status, 202);

    let (status, body) = admin(&app, Method::GET, "/api/ops/queues", Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let expected_backend = if std::env::var("TEST_REDIS_URL").is_ok() {
        "redis"
    } else {
        "sqlite"
    };
    assert_eq!(body["backend"], expected_backend);
    let queue = |name: &str| {
        body["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {body}"))
            .clone()
    };
    let analysis = queue("analysis");
    assert_eq!(analysis["waiting"], 3, "{analysis}");
    assert_eq!(analysis["running"], 0);
    assert!(
        analysis["oldestWaitingSeconds"].as_u64().is_some(),
        "{analysis}"
    );
    let monitor = queue("monitor");
    assert_eq!(monitor["waiting"], 1, "{monitor}");
    let cleanup = queue("cleanup");
    assert_eq!(cleanup["waiting"], 0, "{cleanup}");
    assert!(cleanup.get("oldestWaitingSeconds").is_none(), "{cleanup}");
}
