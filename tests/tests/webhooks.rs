//! Events delivered to operators' endpoints as signed webhooks: registered through the ops
//! API, recorded with the change they report, signed per Standard Webhooks (checked here by
//! an implementation of the signature written for the test), retried with the same
//! `webhook-id`, bounded in time, refused for addresses not allowed, and alerts sent once
//! per condition.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use onboard_shared::entities::{guest_session, webhook_delivery};
use onboard_tests::{
    DEADLINE, TestApp, TestSite,
    receiver::{Receiver, Reply},
    site::company_site,
};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const TOKEN: &str = "test-admin-token";

async fn app_with(vars: &[(&str, &str)]) -> TestApp {
    let mut builder = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .var("ONBOARD_WEBHOOK_ALLOW_CIDRS", "127.0.0.1/32")
        .var("ONBOARD_WEBHOOK_RETRY_BASE_MS", "100")
        .var("ONBOARD_WEBHOOK_TIMEOUT_SECS", "1");
    for (name, value) in vars {
        builder = builder.var(name, *value);
    }
    builder.spawn().await
}

/// Registers an endpoint; returns its id and secret.
async fn register(app: &TestApp, body: Value) -> (i64, String) {
    let (status, created) = app.ops(Method::POST, "/api/ops/webhooks", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    (
        created["endpoint"]["id"].as_i64().unwrap(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn send_test(app: &TestApp, endpoint: i64) -> i64 {
    let (status, body) = app
        .ops(
            Method::POST,
            &format!("/api/ops/webhooks/{endpoint}/test"),
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    body["deliveryId"].as_i64().unwrap()
}

async fn delivery(app: &TestApp, id: i64) -> webhook_delivery::Model {
    webhook_delivery::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the delivery exists")
}

/// Polls the delivery until `done` holds, failing the test at the deadline.
async fn delivery_until(
    app: &TestApp,
    id: i64,
    what: &str,
    done: impl Fn(&webhook_delivery::Model) -> bool,
) -> webhook_delivery::Model {
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let row = delivery(app, id).await;
        if done(&row) {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "timed out waiting for {what}: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn delivered(app: &TestApp, id: i64) -> webhook_delivery::Model {
    delivery_until(app, id, "delivery", |d| {
        d.status == webhook_delivery::DeliveryStatus::Delivered
    })
    .await
}

/// HMAC-SHA256 as RFC 2104 defines it, over SHA-256 alone: an implementation independent
/// of the one the service signs with.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// Verifies a request as a receiver following the Standard Webhooks specification would.
fn verify(secret: &str, received: &onboard_tests::receiver::Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("a base64 key");
    let (id, timestamp) = (
        received.header("webhook-id"),
        received.header("webhook-timestamp"),
    );
    let signed = format!("{id}.{timestamp}.{}", received.body);
    let expected = STANDARD.encode(hmac_sha256(&key, signed.as_bytes()));
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    fresh
        && received
            .header("webhook-signature")
            .split(' ')
            .any(|sig| sig == format!("v1,{expected}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finished_analysis_is_delivered_signed_to_the_endpoints_that_want_it() {
    let app = app_with(&[]).await;
    let receiver = Receiver::start().await;
    let other = Receiver::start().await;
    let (_, secret) = register(
        &app,
        json!({"url": receiver.url("/hooks"), "eventTypes": ["analysis.succeeded"]}),
    )
    .await;
    register(
        &app,
        json!({"url": other.url("/alerts"), "eventTypes": ["alert.runs_stuck"]}),
    )
    .await;
    let site = TestSite::serve(company_site(3)).await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let run_id = app.start_analysis(guest).await;
    app.poll_until_finished(guest).await;

    let received = receiver.wait_for(1, DEADLINE).await;
    let hook = &received[0];
    assert_eq!(hook.path, "/hooks");
    assert_eq!(hook.header("content-type"), "application/json");
    assert!(hook.header("webhook-id").starts_with("msg_"));
    assert!(
        verify(&secret, hook),
        "the signature does not verify: {hook:?}"
    );
    let mut tampered = hook.clone();
    tampered.body = tampered.body.replace("succeeded", "failed");
    assert!(
        !verify(&secret, &tampered),
        "a changed body must not verify"
    );
    let event = hook.json();
    assert_eq!(event["type"], "analysis.succeeded");
    assert_eq!(event["data"]["runId"], run_id);
    assert_eq!(event["data"]["guestUuid"], guest.to_string());
    assert_eq!(event["data"]["domain"], site.domain());
    assert!(event["data"]["pagesCrawled"].as_i64().unwrap() >= 1);
    assert!(event["timestamp"].as_str().unwrap().ends_with('Z'));
    // The endpoint that wants only alerts got nothing.
    assert!(other.received().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_failing_twice_gets_the_same_webhook_id_three_times() {
    let app = app_with(&[]).await;
    let receiver = Receiver::start().await;
    receiver.plan([Reply::Status(500), Reply::Status(503)]);
    let (endpoint, secret) = register(&app, json!({"url": receiver.url("/")})).await;
    let id = send_test(&app, endpoint).await;

    let row = delivered(&app, id).await;
    assert_eq!(row.attempts, 3);
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    let ids: Vec<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert!(received.iter().all(|r| verify(&secret, r)));
    assert_eq!(received[0].json()["type"], "webhook.test");
    // Backed off: the base is 100 ms, drawn from its upper half, then doubled.
    assert!(received[1].at - received[0].at >= Duration::from_millis(50));
    assert!(received[2].at - received[1].at >= Duration::from_millis(100));

    // The ops API shows the attempts and the last answer.
    let (status, listed) = app
        .ops(
            Method::GET,
            &format!("/api/ops/webhooks/{endpoint}/deliveries"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let shown = &listed["deliveries"][0];
    assert_eq!(shown["id"], id);
    assert_eq!(shown["status"], "delivered");
    assert_eq!(shown["attempts"], 3);
    assert_eq!(shown["messageId"], ids[0]);
    assert_eq!(shown["lastStatusCode"], 200);
    assert_eq!(shown["lastResponse"], "answered 200");

    // Redelivered: once more, with the same id.
    let (status, _) = app
        .ops(
            Method::POST,
            &format!("/api/ops/webhook-deliveries/{id}/redeliver"),
            None,
        )
        .await;
    assert_eq!(status, 202);
    let again = receiver.wait_for(4, DEADLINE).await;
    assert_eq!(again[3].header("webhook-id"), ids[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_on_an_address_not_allowed_receives_nothing() {
    let app = app_with(&[]).await;
    // 127.0.0.2 is loopback like 127.0.0.1, but only 127.0.0.1/32 is allowed.
    let receiver = Receiver::start_on("127.0.0.2").await;
    let (endpoint, _) = register(&app, json!({"url": receiver.url("/")})).await;
    let id = send_test(&app, endpoint).await;
    let row = delivery_until(&app, id, "an attempt", |d| d.attempts >= 2).await;
    assert!(receiver.received().is_empty());
    let error = row.last_error.unwrap_or_default();
    assert!(error.contains("127.0.0.2"), "{error}");
    assert_eq!(row.last_status_code, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_receiver_times_out_and_is_retried() {
    let app = app_with(&[]).await;
    let receiver = Receiver::start().await;
    // The timeout is one second; the first answer would take thirty.
    receiver.plan([Reply::Slow(Duration::from_secs(30))]);
    let (endpoint, _) = register(&app, json!({"url": receiver.url("/")})).await;
    let id = send_test(&app, endpoint).await;
    let row = delivered(&app, id).await;
    assert_eq!(row.attempts, 2);
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id")
    );
    // Retried after the timeout, long before the slow answer would have come.
    assert!(received[1].at - received[0].at < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_failing_in_a_row_is_disabled_and_enabling_sends_what_waited() {
    let app = app_with(&[("ONBOARD_WEBHOOK_DISABLE_AFTER", "3")]).await;
    let receiver = Receiver::start().await;
    receiver.plan([Reply::Status(500); 3]);
    let (endpoint, _) = register(&app, json!({"url": receiver.url("/")})).await;
    let id = send_test(&app, endpoint).await;
    let until = tokio::time::Instant::now() + DEADLINE;
    let shown = loop {
        let (_, shown) = app
            .ops(Method::GET, &format!("/api/ops/webhooks/{endpoint}"), None)
            .await;
        if shown["enabled"] == false {
            break shown;
        }
        assert!(tokio::time::Instant::now() < until, "never disabled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(shown["consecutiveFailures"], 3);
    assert!(
        shown["disabledReason"]
            .as_str()
            .unwrap()
            .contains("3 failed attempts")
    );
    // Disabled: a test event is refused, and the pending delivery waits.
    let (status, body) = app
        .ops(
            Method::POST,
            &format!("/api/ops/webhooks/{endpoint}/test"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("endpoint_disabled"))
    );
    assert_eq!(receiver.received().len(), 3);
    let (status, enabled) = app
        .ops(
            Method::PATCH,
            &format!("/api/ops/webhooks/{endpoint}"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(enabled["consecutiveFailures"], 0);
    assert!(enabled.get("disabledReason").is_none());
    delivered(&app, id).await;
    assert_eq!(receiver.received().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_recorded_while_no_worker_runs_is_delivered_when_one_starts() {
    let mut app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .var("ONBOARD_WEBHOOK_ALLOW_CIDRS", "127.0.0.1/32")
        .without_worker()
        .spawn()
        .await;
    let receiver = Receiver::start().await;
    let (endpoint, _) = register(&app, json!({"url": receiver.url("/")})).await;
    let id = send_test(&app, endpoint).await;
    assert_eq!(delivery(&app, id).await.attempts, 0);
    app.start_worker();
    receiver.wait_for(1, DEADLINE).await;
    delivered(&app, id).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_that_persists_over_five_monitor_runs_is_sent_once_then_resolved() {
    let app = app_with(&[]).await;
    let receiver = Receiver::start().await;
    register(
        &app,
        json!({
            "url": receiver.url("/"),
            "format": "chat",
            "eventTypes": ["alert.completion_rate_low", "alert.resolved"],
        }),
    )
    .await;
    // One guest started, none completed: 0 % against the 20 % threshold.
    let guest = app.create_guest().await;
    let ctx = app.job_context();
    for _ in 0..5 {
        let report = onboard_worker::maintenance::monitor::run(&ctx)
            .await
            .unwrap();
        assert_eq!(report.completion_rate_24h, Some(0.0));
    }
    let alert = receiver.wait_for(1, DEADLINE).await;
    let text = alert[0].json()["text"].as_str().unwrap().to_owned();
    assert!(text.contains("0.0%") && text.contains("0 of 1"), "{text}");
    // Recovery: the guest completes, the next monitor run resolves the alert, once.
    let mut row = guest_session::Entity::find_by_id(guest)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    row.onboarding_completed_at = Set(Some(chrono::Utc::now()));
    row.update(&app.db).await.unwrap();
    for _ in 0..2 {
        onboard_worker::maintenance::monitor::run(&ctx)
            .await
            .unwrap();
    }
    let both = receiver.wait_for(2, DEADLINE).await;
    let resolved = both[1].json()["text"].as_str().unwrap().to_owned();
    assert!(
        resolved.starts_with("Resolved: completion_rate_low"),
        "{resolved}"
    );
    // Everything recorded is delivered, and it was two messages, not seven.
    let deliveries = webhook_delivery::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(deliveries.len(), 2);
    for d in deliveries {
        delivered(&app, d.id).await;
    }
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ops_api_manages_endpoints_and_shows_a_secret_once() {
    let app = app_with(&[]).await;
    let receiver = Receiver::start().await;
    let (endpoint, secret) = register(
        &app,
        json!({"url": receiver.url("/a"), "description": "on-call"}),
    )
    .await;
    assert!(secret.starts_with("whsec_"));

    let (status, listed) = app.ops(Method::GET, "/api/ops/webhooks", None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["endpoints"][0]["id"], endpoint);
    assert_eq!(listed["endpoints"][0]["eventTypes"], json!([]));
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );

    let (status, rotated) = app
        .ops(
            Method::POST,
            &format!("/api/ops/webhooks/{endpoint}/secret"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    send_test(&app, endpoint).await;
    let hook = &receiver.wait_for(1, DEADLINE).await[0];
    assert!(verify(&new_secret, hook) && !verify(&secret, hook));

    for (body, code) in [
        (json!({"url": "ftp://hooks.example.com/"}), "invalid_url"),
        (
            json!({"url": "https://u:p@hooks.example.com/"}),
            "invalid_url",
        ),
        (
            json!({"url": "https://hooks.example.com/", "eventTypes": ["analysis.started"]}),
            "invalid_event_types",
        ),
        (
            json!({"url": "https://hooks.example.com/", "format": "xml"}),
            "invalid_format",
        ),
    ] {
        let (status, answer) = app.ops(Method::POST, "/api/ops/webhooks", Some(body)).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{answer}"
        );
    }
    let unauthenticated = app
        .post_json("/api/ops/webhooks", &json!({"url": "https://x.example/"}))
        .await;
    assert_eq!(unauthenticated.status(), 401);

    let (status, _) = app
        .ops(
            Method::DELETE,
            &format!("/api/ops/webhooks/{endpoint}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, gone) = app
        .ops(Method::GET, &format!("/api/ops/webhooks/{endpoint}"), None)
        .await;
    assert_eq!(
        (status, gone["error"].as_str()),
        (404, Some("webhook_not_found"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_the_monitor_resets_raise_one_runs_stuck_alert() {
    use onboard_shared::{entities::analysis_run, runs::RunStatus};

    let app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .var("ONBOARD_WEBHOOK_ALLOW_CIDRS", "127.0.0.1/32")
        .without_worker()
        .spawn()
        .await;
    let receiver = Receiver::start().await;
    register(
        &app,
        json!({"url": receiver.url("/"), "eventTypes": ["alert.runs_stuck"]}),
    )
    .await;
    let guest = app.create_guest().await;
    app.set_domain(guest, "stuck.example").await;
    let run_id = app.start_analysis(guest).await;
    // A worker claimed it an hour ago and went quiet.
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    let mut run = analysis_run::Entity::find_by_id(run_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    run.status = Set(RunStatus::Running);
    run.lease_owner = Set(Some("gone-worker".into()));
    run.heartbeat_at = Set(Some(hour_ago));
    run.update(&app.db).await.unwrap();

    let ctx = app.job_context();
    let report = onboard_worker::maintenance::monitor::run(&ctx)
        .await
        .unwrap();
    assert_eq!(report.runs_reset, 1);
    onboard_worker::maintenance::monitor::run(&ctx)
        .await
        .unwrap();
    let pending = webhook_delivery::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(pending.len(), 1, "one alert for the condition");
    let mut app = app;
    app.start_worker();
    let alert = &receiver.wait_for(1, DEADLINE).await[0];
    let event = alert.json();
    assert_eq!(event["type"], "alert.runs_stuck");
    assert_eq!(event["data"]["reset"], 1);
    assert_eq!(event["data"]["resetRunIds"], json!([run_id]));
}

#[tokio::test(flavor = "multi_thread")]
async fn cleanup_prunes_finished_deliveries_past_the_retention_and_keeps_pending_ones() {
    let app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .without_worker()
        .spawn()
        .await;
    let (endpoint, _) = register(&app, json!({"url": "https://hooks.example.com/"})).await;
    let old = chrono::Utc::now() - chrono::Duration::days(40);
    let mut ids = Vec::new();
    for status in [
        webhook_delivery::DeliveryStatus::Delivered,
        webhook_delivery::DeliveryStatus::Failed,
        webhook_delivery::DeliveryStatus::Pending,
    ] {
        let id = send_test(&app, endpoint).await;
        let row = delivery(&app, id).await;
        let mut message =
            onboard_shared::entities::webhook_message::Entity::find_by_id(row.message_id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .into_active_model();
        message.created_at = Set(old);
        message.update(&app.db).await.unwrap();
        let mut row = row.into_active_model();
        row.status = Set(status);
        row.created_at = Set(old);
        row.update(&app.db).await.unwrap();
        ids.push(id);
    }
    let recent = send_test(&app, endpoint).await;
    let mut row = delivery(&app, recent).await.into_active_model();
    row.status = Set(webhook_delivery::DeliveryStatus::Delivered);
    row.update(&app.db).await.unwrap();

    let report = onboard_worker::maintenance::cleanup::run(&app.job_context())
        .await
        .unwrap();
    assert_eq!(report.webhook_deliveries_pruned, 2);
    let mut left: Vec<i64> = webhook_delivery::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    left.sort();
    assert_eq!(left, [ids[2], recent]);
    let messages = onboard_shared::entities::webhook_message::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        messages.len(),
        2,
        "the pruned deliveries' messages went with them"
    );
}
