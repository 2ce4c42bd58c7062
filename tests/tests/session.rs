//! The onboarding session as a state machine: pause and resume (by request, by a write,
//! by a resume link), abandonment and return, the step rules, the overall progress with
//! its estimate and next action, and the events every transition records.

use chrono::{Duration, Utc};
use onboard_shared::{
    entities::{event, guest_session},
    session::SessionStatus,
};
use onboard_tests::{DEADLINE, TestApp, TestSite, receiver::Receiver, site::company_site};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};
use uuid::Uuid;

async fn row(app: &TestApp, guest: Uuid) -> guest_session::Model {
    guest_session::Entity::find_by_id(guest)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn post(app: &TestApp, path: &str, guest: Uuid) -> (u16, Value) {
    let r = app.post(&format!("{path}?user_uuid={guest}")).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn config(app: &TestApp, guest: Uuid, body: Value) -> (u16, Value) {
    let r = app
        .post_json(&format!("/api/onboarding/config?user_uuid={guest}"), &body)
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn overall(app: &TestApp, guest: Uuid) -> Value {
    app.get_json(&format!("/api/onboarding/progress?user_uuid={guest}"))
        .await
}

fn design() -> Value {
    json!({"design": {"primaryColor": "#112233", "secondaryColor": "#445566", "floatiePosition": "left"}})
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_and_resume_move_the_session_and_record_each_transition() {
    let app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", "t")
        .var("ONBOARD_WEBHOOK_ALLOW_CIDRS", "127.0.0.1/32")
        .var("ONBOARD_PAUSED_TTL_HOURS", "48")
        .spawn()
        .await;
    let receiver = Receiver::start().await;
    let (status, _) = app
        .ops(
            Method::POST,
            "/api/ops/webhooks",
            Some(json!({"url": receiver.url("/"), "eventTypes": ["onboarding.paused", "onboarding.resumed"]})),
        )
        .await;
    assert_eq!(status, 201);
    let guest = app.create_guest().await;
    let shown = app.get_json(&format!("/api/guest/{guest}")).await;
    assert_eq!(shown["status"], "active");

    let (status, paused) = post(&app, "/api/onboarding/pause", guest).await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(paused["status"], "paused");
    let stored = row(&app, guest).await;
    assert_eq!(stored.status, SessionStatus::Paused);
    // Its own expiry: 48 hours from the pause, not the guest TTL.
    let paused_at = stored.paused_at.unwrap();
    assert_eq!(stored.expires_at, paused_at + Duration::hours(48));
    // Pausing again changes nothing and records nothing.
    assert_eq!(post(&app, "/api/onboarding/pause", guest).await.0, 200);
    assert_eq!(app.events_of(guest, "onboarding.paused").await.len(), 1);
    // Reading a paused session is not activity.
    let shown = app
        .get_json(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await;
    assert_eq!(shown["status"], "paused");
    assert_eq!(shown["resume"]["status"], "paused");
    assert_eq!(row(&app, guest).await.expires_at, stored.expires_at);

    let (status, resumed) = post(&app, "/api/onboarding/resume", guest).await;
    assert_eq!((status, resumed["status"].as_str()), (200, Some("active")));
    assert!(resumed.get("pausedAt").is_none());
    assert_eq!(
        app.events_of(guest, "onboarding.resumed").await,
        [json!({"from": "paused", "by": "request"})]
    );

    // A configuration write resumes a paused session (documented choice).
    post(&app, "/api/onboarding/pause", guest).await;
    let (status, _) = config(&app, guest, json!({"configuration": design()})).await;
    assert_eq!(status, 200);
    assert_eq!(row(&app, guest).await.status, SessionStatus::Active);
    assert_eq!(
        app.events_of(guest, "onboarding.resumed").await[1],
        json!({"from": "paused", "by": "write"})
    );

    // Each transition is a webhook event too (delivered in any order: by their time).
    let mut received: Vec<Value> = receiver
        .wait_for(4, DEADLINE)
        .await
        .iter()
        .map(|r| r.json())
        .collect();
    received.sort_by_key(|e| e["timestamp"].as_str().unwrap().to_owned());
    let types: Vec<&str> = received
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "onboarding.paused",
            "onboarding.resumed",
            "onboarding.paused",
            "onboarding.resumed"
        ]
    );
    assert_eq!(received[1]["data"]["guestUuid"], guest.to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_session_refuses_pause_and_resume() {
    let site = TestSite::serve(company_site(2)).await;
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    app.verify_domain(guest, &site).await;
    post(&app, "/api/onboarding/pause", guest).await;
    // Completing from paused is allowed; the session is completed for good.
    let (status, _) = post(&app, "/api/onboarding/complete", guest).await;
    assert_eq!(status, 200);
    assert_eq!(row(&app, guest).await.status, SessionStatus::Completed);
    for path in ["/api/onboarding/pause", "/api/onboarding/resume"] {
        let (status, body) = post(&app, path, guest).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("invalid_session_transition")),
            "{path}"
        );
        assert!(body["message"].as_str().unwrap().contains("completed"));
    }
    let progress = overall(&app, guest).await;
    assert_eq!(progress["status"], "completed");
    assert_eq!(progress["percent"], 100);
    assert_eq!(progress["estimatedTimeRemaining"], 0);
    assert_eq!(progress["nextRecommendedAction"]["code"], "done");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_session_is_not_abandoned_and_an_abandoned_one_comes_back() {
    let app = TestApp::builder().without_worker().spawn().await;
    let paused = app.create_guest().await;
    let idle = app.create_guest().await;
    post(&app, "/api/onboarding/pause", paused).await;
    let long_ago = Utc::now() - Duration::hours(25);
    for guest in [paused, idle] {
        let mut r = row(&app, guest).await.into_active_model();
        r.last_activity_at = Set(long_ago);
        r.update(&app.db).await.unwrap();
    }
    let ctx = app.job_context();
    let report = onboard_worker::maintenance::monitor::run(&ctx)
        .await
        .unwrap();
    assert_eq!(report.guests_abandoned, 1);
    assert_eq!(row(&app, paused).await.status, SessionStatus::Paused);
    assert_eq!(row(&app, idle).await.status, SessionStatus::Abandoned);
    let shown = app.get_json(&format!("/api/guest/{idle}")).await;
    assert_eq!(shown["status"], "abandoned");
    assert_eq!(
        overall(&app, idle).await["nextRecommendedAction"]["code"],
        "resume"
    );

    // The guest comes back: active again, the abandonment still counted once.
    let (status, back) = post(&app, "/api/onboarding/resume", idle).await;
    assert_eq!((status, back["status"].as_str()), (200, Some("active")));
    assert_eq!(app.events_of(idle, "onboarding.abandoned").await.len(), 1);
    assert_eq!(
        app.events_of(idle, "onboarding.resumed").await,
        [json!({"from": "abandoned", "by": "request"})]
    );
    // Gone idle again: marked again, without a second abandonment event.
    let mut r = row(&app, idle).await.into_active_model();
    r.last_activity_at = Set(long_ago);
    r.update(&app.db).await.unwrap();
    onboard_worker::maintenance::monitor::run(&ctx)
        .await
        .unwrap();
    assert_eq!(row(&app, idle).await.status, SessionStatus::Abandoned);
    assert_eq!(app.events_of(idle, "onboarding.abandoned").await.len(), 1);

    // A paused session past its own expiry is cleaned up; one within it is kept.
    let mut r = row(&app, paused).await.into_active_model();
    r.last_activity_at = Set(Utc::now() - Duration::days(20));
    r.update(&app.db).await.unwrap();
    onboard_worker::maintenance::cleanup::run(&ctx)
        .await
        .unwrap();
    assert_eq!(
        row(&app, paused).await.status,
        SessionStatus::Paused,
        "kept"
    );
    let mut r = row(&app, paused).await.into_active_model();
    r.expires_at = Set(Utc::now() - Duration::minutes(1));
    r.update(&app.db).await.unwrap();
    onboard_worker::maintenance::cleanup::run(&ctx)
        .await
        .unwrap();
    assert!(
        guest_session::Entity::find_by_id(paused)
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn steps_are_completed_in_order_and_a_skipped_step_is_refused() {
    let site = TestSite::serve(company_site(2)).await;
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;

    // Onto the first step: nothing to pass.
    assert_eq!(config(&app, guest, json!({"currentStep": 1})).await.0, 200);
    // Past design without its criteria: refused, naming them; nothing is written.
    let (status, refused) = config(
        &app,
        guest,
        json!({"currentStep": 3, "configuration": {"design": {"primaryColor": "#112233"}}}),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (409, Some("invalid_step_transition"))
    );
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("Step 1 (design)")
            && message.contains("secondaryColor")
            && message.contains("floatiePosition")
            && !message.contains("primaryColor"),
        "{message}"
    );
    assert_eq!(row(&app, guest).await.onboarding_step, 1);
    assert_eq!(overall(&app, guest).await["completedSteps"], json!([]));

    // Design done in the same request that moves on.
    let (status, _) = config(
        &app,
        guest,
        json!({"currentStep": 2, "configuration": design()}),
    )
    .await;
    assert_eq!(status, 200);
    // Content: a domain, and its analysis succeeded (or skipped).
    let (status, refused) = config(&app, guest, json!({"currentStep": 3})).await;
    assert_eq!(status, 409);
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("domain") && message.contains("analysis"),
        "{message}"
    );
    app.set_domain(guest, &site.domain()).await;
    app.start_analysis(guest).await;
    app.poll_until_finished(guest).await;
    assert_eq!(config(&app, guest, json!({"currentStep": 3})).await.0, 200);
    assert_eq!(overall(&app, guest).await["completedSteps"], json!([1, 2]));
    // Back is always allowed, and forward again once the steps hold.
    assert_eq!(config(&app, guest, json!({"currentStep": 1})).await.0, 200);
    assert_eq!(config(&app, guest, json!({"currentStep": 3})).await.0, 200);

    // Contact: a channel, or explicitly none.
    let c = app
        .get_json(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await;
    let contact_done = c["completedSteps"].as_array().unwrap().contains(&json!(3));
    assert!(!contact_done, "nothing chosen for contact yet");
    config(&app, guest, json!({"configuration": {"noContact": true}})).await;
    let c = app
        .get_json(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await;
    assert_eq!(c["completedSteps"], json!([1, 2, 3]));
    assert_eq!(c["resume"]["noContact"], true);

    // Skipping the analysis completes the content step without one.
    let other = app.create_guest().await;
    app.set_domain(other, "unanalysed.example").await;
    let (status, _) = config(
        &app,
        other,
        json!({"currentStep": 3, "configuration": {"skipAnalysis": true, "design": design()["design"]}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(overall(&app, other).await["completedSteps"], json!([1, 2]));
}

#[tokio::test(flavor = "multi_thread")]
async fn overall_progress_estimates_from_history_or_defaults_and_says_what_is_next() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    let first = overall(&app, guest).await;
    assert_eq!(first["totalSteps"], 3);
    assert_eq!(first["percent"], 0);
    assert_eq!(first["status"], "active");
    // No history: the documented defaults, 120 + 180 + 90 seconds.
    assert_eq!(first["estimatedTimeRemaining"], 390);
    assert_eq!(first["nextRecommendedAction"]["code"], "set_domain");
    assert!(
        first["nextRecommendedAction"]["message"]
            .as_str()
            .unwrap()
            .len()
            > 10
    );

    // ETag: the same answer is a 304.
    let r = app
        .get(&format!("/api/onboarding/progress?user_uuid={guest}"))
        .await;
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url(&format!("/api/onboarding/progress?user_uuid={guest}")))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    app.set_domain(guest, "acme.example").await;
    assert_eq!(
        overall(&app, guest).await["nextRecommendedAction"]["code"],
        "choose_design"
    );
    config(&app, guest, json!({"configuration": design()})).await;
    let progress = overall(&app, guest).await;
    assert_eq!(progress["completedSteps"], json!([1]));
    assert_eq!(progress["percent"], 33);
    assert_eq!(progress["estimatedTimeRemaining"], 180 + 90);
    assert_eq!(progress["nextRecommendedAction"]["code"], "start_analysis");
    config(
        &app,
        guest,
        json!({"configuration": {"skipAnalysis": true, "contact": {"email": "a@acme.example"}}}),
    )
    .await;
    let progress = overall(&app, guest).await;
    assert_eq!(progress["percent"], 100);
    assert_eq!(progress["estimatedTimeRemaining"], 0);
    assert_eq!(progress["nextRecommendedAction"]["code"], "verify_domain");

    // History: two completed sessions took 60 and 100 s on design, 200 and 300 on
    // content, 30 and 50 on contact (first reach to first reach, then to completion).
    let t0 = Utc::now() - Duration::hours(2);
    for (design_s, content_s, contact_s) in [(60, 200, 30), (100, 300, 50)] {
        let done = Uuid::new_v4();
        guest_session::ActiveModel::new_guest(
            done,
            t0,
            std::time::Duration::from_secs(3600),
            json!({}),
        )
        .insert(&app.db)
        .await
        .unwrap();
        let at = |s: i64| t0 + Duration::seconds(s);
        for (kind, data, when) in [
            (
                "step.navigated",
                json!({"from": 0, "to": 1, "reached": [1]}),
                at(0),
            ),
            (
                "step.navigated",
                json!({"from": 1, "to": 2, "reached": [2]}),
                at(design_s),
            ),
            (
                "step.navigated",
                json!({"from": 2, "to": 3, "reached": [3]}),
                at(design_s + content_s),
            ),
            (
                "onboarding.completed",
                json!({"seconds": 1}),
                at(design_s + content_s + contact_s),
            ),
        ] {
            event::ActiveModel {
                event_type: Set(kind.into()),
                guest_uuid: Set(Some(done)),
                site_id: Set(None),
                session_id: Set(None),
                data: Set(data),
                created_at: Set(when),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
    }
    // A new process (the medians are cached a minute per process).
    let fresh = app.create_guest().await;
    let second_api = {
        let queue = onboard_shared::JobQueue::connect(&app.config)
            .await
            .unwrap();
        onboard_api::AppState::new(app.db.clone(), queue, app.config.clone())
    };
    let (addr, server) = onboard_api::bind(
        "127.0.0.1:0".parse().unwrap(),
        second_api,
        std::future::pending(),
    )
    .await
    .unwrap();
    let server = tokio::spawn(server);
    let estimated: Value = app
        .client
        .get(format!(
            "http://{addr}/api/onboarding/progress?user_uuid={fresh}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        estimated["estimatedTimeRemaining"],
        80 + 250 + 40,
        "{estimated}"
    );
    server.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resume_link_hands_back_a_valid_session_and_never_another() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, "acme.example").await;
    config(&app, guest, json!({"currentStep": 1})).await;
    post(&app, "/api/onboarding/pause", guest).await;

    let r = app.post(&format!("/api/guest?resumeOf={guest}")).await;
    assert_eq!(r.status(), 200);
    let back: Value = r.json().await.unwrap();
    assert_eq!(back["uuid"], guest.to_string());
    assert_eq!(back["resumed"], true);
    assert_eq!(
        back["status"], "active",
        "a paused session comes back active"
    );
    assert_eq!(
        app.events_of(guest, "onboarding.resumed").await,
        [json!({"from": "paused", "by": "resume_of"})]
    );
    let c = app
        .get_json(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await;
    assert_eq!(c["resume"]["step"], 1);
    assert_eq!(c["resume"]["status"], "active");

    // An unknown or expired id gets a new session; a malformed one is refused.
    let unknown = Uuid::new_v4();
    let r = app.post(&format!("/api/guest?resumeOf={unknown}")).await;
    assert_eq!(r.status(), 201);
    let new: Value = r.json().await.unwrap();
    assert_ne!(new["uuid"], unknown.to_string());
    assert_eq!(new["resumed"], false);
    let mut r = row(&app, guest).await.into_active_model();
    r.expires_at = Set(Utc::now() - Duration::minutes(1));
    r.update(&app.db).await.unwrap();
    let r = app.post(&format!("/api/guest?resumeOf={guest}")).await;
    assert_eq!(r.status(), 201, "an expired session is not handed back");
    let r = app.post("/api/guest?resumeOf=nope").await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_resume_of");
}
