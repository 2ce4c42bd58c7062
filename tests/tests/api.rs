//! Every endpoint's success path and each of its documented errors, over real HTTP.

use chrono::{Duration, Utc};
use onboard_shared::analytics::UiEvent;
use onboard_shared::entities::{event, guest_session, onboarding_configuration, site};
use onboard_tests::{TestApp, TestSite, site::company_site};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

/// A version-1 UUID: well-formed, but not the v4 a guest id must be.
const V1_UUID: &str = "c232ab00-9414-11ec-b3c8-9f6bdeced846";

async fn error_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "expected {status}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{body}"
    );
    body
}

async fn expire(app: &TestApp, guest: Uuid) {
    guest_session::Entity::update(guest_session::ActiveModel {
        uuid: Set(guest),
        expires_at: Set(Utc::now() - Duration::minutes(1)),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();
}

fn config_path(guest: impl std::fmt::Display) -> String {
    format!("/api/onboarding/config?user_uuid={guest}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_sessions_are_created_read_and_refused_when_malformed_unknown_or_expired() {
    let app = TestApp::builder().without_worker().spawn().await;
    let response = app
        .client
        .post(app.url("/api/guest"))
        .header("user-agent", "onboarding-ui/1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let guest: Uuid = created["uuid"].as_str().unwrap().parse().unwrap();
    assert_eq!(guest.get_version_num(), 4);
    let stored = guest_session::Entity::find_by_id(guest)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.metadata["userAgent"], "onboarding-ui/1");
    assert!(stored.expires_at > Utc::now() + Duration::days(6));

    let status: Value = app
        .get(&format!("/api/guest/{guest}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["valid"], true);
    assert_eq!(status["onboarding"]["currentStep"], 0);
    assert!(status["onboarding"]["domain"].is_null());

    error_of(
        app.get(&format!("/api/guest/{}", Uuid::new_v4())).await,
        404,
    )
    .await;
    let body = error_of(app.get(&format!("/api/guest/{V1_UUID}")).await, 400).await;
    assert!(
        body["message"].as_str().unwrap().contains("version-4"),
        "{body}"
    );
    error_of(app.get("/api/guest/not-a-uuid").await, 400).await;

    expire(&app, guest).await;
    let status: Value = app
        .get(&format!("/api/guest/{guest}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["valid"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_defaults_updates_and_every_validation_rule() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;

    let config: Value = app.get(&config_path(guest)).await.json().await.unwrap();
    assert_eq!(
        config,
        // Unset values are left out (the spec marks them optional), not sent as null.
        json!({"currentStep": 0, "isCompleted": false, "configuration": {
            "design": {"primaryColor": "#FB8537", "secondaryColor": "#4884FA", "floatiePosition": "right"},
            "contact": {}, "disabledTabs": {}},
            "status": "active", "completedSteps": [],
            "resume": {"step": 0, "status": "active", "skipAnalysis": false, "noContact": false}})
    );

    let update = json!({"domain": "https://Www.Acme.Test/pricing", "currentStep": 2, "configuration": {
        "design": {"primaryColor": "#abc", "secondaryColor": "#123456", "floatiePosition": "left",
                   "launcherLogo": "logo-1.png"},
        "contact": {"email": "hi@acme.test"}, "disabledTabs": {"phone": true}}});
    let response = app.post_json(&config_path(guest), &update).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "updated"})
    );
    // A later partial update keeps what it does not name.
    let response = app
        .post_json(
            &config_path(guest),
            &json!({"configuration": {"design": {"secondaryColor": "#000000"}}}),
        )
        .await;
    assert_eq!(response.status(), 200);

    let config: Value = app.get(&config_path(guest)).await.json().await.unwrap();
    assert_eq!(config["domain"], "www.acme.test");
    assert_eq!(config["currentStep"], 2);
    let design = &config["configuration"]["design"];
    assert_eq!(design["primaryColor"], "#AABBCC");
    assert_eq!(design["secondaryColor"], "#000000");
    assert_eq!(design["floatiePosition"], "left");
    assert_eq!(design["launcherLogo"], "logo-1.png");
    assert_eq!(
        config["configuration"]["contact"],
        json!({"email": "hi@acme.test"})
    );
    assert_eq!(
        config["configuration"]["disabledTabs"],
        json!({"phone": true})
    );

    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"domain": "not a domain"}), 400, "invalid_domain"),
        (json!({"domain": ""}), 400, "invalid_domain"),
        (json!({"domain": "ftp://acme.test"}), 400, "invalid_domain"),
        (json!({"currentStep": 0}), 400, "invalid_current_step"),
        (json!({"currentStep": 4}), 400, "invalid_current_step"),
        (
            json!({"configuration": {"design": {"primaryColor": "orange"}}}),
            400,
            "invalid_primary_color",
        ),
        (
            json!({"configuration": {"design": {"secondaryColor": "#12345"}}}),
            400,
            "invalid_secondary_color",
        ),
        (
            json!({"configuration": {"design": {"floatiePosition": "top"}}}),
            400,
            "invalid_floatie_position",
        ),
        (
            json!({"configuration": {"design": {"floatieLogo": "../etc/passwd"}}}),
            400,
            "invalid_floatie_logo",
        ),
        (
            json!({"configuration": {"design": {"launcherLogo": ""}}}),
            400,
            "invalid_launcher_logo",
        ),
        (
            json!({"configuration": {"contact": ["not", "an", "object"]}}),
            400,
            "invalid_contact",
        ),
        // The old list form of the tabs is refused, naming the field.
        (
            json!({"configuration": {"disabledTabs": ["phone"]}}),
            400,
            "invalid_disabled_tabs",
        ),
        (
            json!({"configuration": {"disabledTabs": {"phone": "yes"}}}),
            400,
            "invalid_disabled_tabs",
        ),
        // A string field takes only a JSON string, as the schema says.
        (json!({"domain": 42}), 400, "invalid_domain"),
        (
            json!({"configuration": {"contact": {"notes": "x".repeat(17 * 1024)}}}),
            400,
            "invalid_contact",
        ),
        (
            json!({"configuration": {"contact": (0..17)
                .map(|i| (format!("channel{i}"), json!("x".repeat(1000))))
                .collect::<serde_json::Map<_, _>>()}}),
            413,
            "contact_too_large",
        ),
        (
            json!({"configuration": {"disabledTabs": {"Phone!": true}}}),
            400,
            "invalid_disabled_tabs",
        ),
        (
            json!({"configuration": {"disabledTabs": (0..17)
                .map(|i| (format!("tab{i}"), json!(true)))
                .collect::<serde_json::Map<_, _>>()}}),
            400,
            "invalid_disabled_tabs",
        ),
        (json!({"currentStep": "two"}), 400, "invalid_current_step"),
    ];
    for (body, status, code) in cases {
        let error = error_of(app.post_json(&config_path(guest), &body).await, status).await;
        assert_eq!(error["error"], code, "{body}");
    }
    // Nothing invalid was stored.
    let after: Value = app.get(&config_path(guest)).await.json().await.unwrap();
    assert_eq!(after, config);

    let response = app
        .client
        .post(app.url(&config_path(guest)))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    error_of(response, 400).await;
    let big = json!({"configuration": {"contact": {"notes": "x".repeat(300 * 1024)}}});
    let error = error_of(app.post_json(&config_path(guest), &big).await, 413).await;
    assert_eq!(error["error"], "payload_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_objects_merge_key_by_key() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    let update = |configuration: Value| {
        let app = &app;
        async move {
            let r = app
                .post_json(
                    &config_path(guest),
                    &json!({"configuration": configuration}),
                )
                .await;
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
            let config: Value = app.get(&config_path(guest)).await.json().await.unwrap();
            config["configuration"].clone()
        }
    };
    let c = update(
        json!({"contact": {"email": "hi@acme.test", "phone": "+1 555 0100"},
                          "disabledTabs": {"phone": true, "chat": false}}),
    )
    .await;
    assert_eq!(
        c["contact"],
        json!({"email": "hi@acme.test", "phone": "+1 555 0100"})
    );
    assert_eq!(c["disabledTabs"], json!({"chat": false, "phone": true}));

    // One key changes; the others stay.
    let c =
        update(json!({"disabledTabs": {"chat": true}, "contact": {"phone": "+1 555 0199"}})).await;
    assert_eq!(c["disabledTabs"], json!({"chat": true, "phone": true}));
    assert_eq!(
        c["contact"],
        json!({"email": "hi@acme.test", "phone": "+1 555 0199"})
    );

    // A key set to null is removed; an object left out is kept whole.
    let c = update(json!({"disabledTabs": {"phone": null}, "contact": {"email": null}})).await;
    assert_eq!(c["disabledTabs"], json!({"chat": true}));
    assert_eq!(c["contact"], json!({"phone": "+1 555 0199"}));
    let c = update(json!({"design": {"primaryColor": "#000000"}})).await;
    assert_eq!(c["disabledTabs"], json!({"chat": true}));
    assert_eq!(c["contact"], json!({"phone": "+1 555 0199"}));
    assert_eq!(c["design"]["primaryColor"], "#000000");
    assert_eq!(c["design"]["floatiePosition"], "right");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_with_a_trailing_slash_reach_the_same_operations() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    let r = app
        .post_json(
            &format!("/api/onboarding/config/?user_uuid={guest}"),
            &json!({"currentStep": 1}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let config: Value = app
        .get(&format!("/api/onboarding/config/?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["currentStep"], 1);
    let progress = app
        .get(&format!(
            "/api/onboarding/progress-steps/?user_uuid={guest}"
        ))
        .await;
    assert_eq!(progress.status(), 200);
    let progress: Value = progress.json().await.unwrap();
    assert_eq!(progress["status"], "idle");
    // The operation's own answers still come through, named by the spec's path.
    let e = error_of(app.get("/api/onboarding/config/?user_uuid=nope").await, 400).await;
    assert_eq!(e["error"], "invalid_user_uuid");
    let r = app.get(&format!("/api/guest/{guest}/")).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_messages_name_the_value_and_what_is_accepted_in_plain_words() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    let message = |e: &Value| e["message"].as_str().unwrap().to_owned();
    let internal = [
        "string_uuid_v4",
        "DesignFields",
        "ConfigUpdate",
        "verification failed",
        "parse",
    ];
    let plain = |m: &str| {
        for word in internal {
            assert!(!m.contains(word), "{word:?} in {m:?}");
        }
    };

    let e = error_of(app.get("/api/onboarding/config?user_uuid=abc").await, 400).await;
    assert_eq!(e["error"], "invalid_user_uuid");
    let m = message(&e);
    plain(&m);
    assert!(m.starts_with("user_uuid is not valid (\"abc\")"), "{m}");
    assert!(m.contains("version-4 UUID"), "{m}");

    let e = error_of(app.get("/api/onboarding/config").await, 400).await;
    assert!(message(&e).starts_with("user_uuid is required"), "{e}");

    let bad = json!({"configuration": {"design": {"primaryColor": "orange"}}});
    let e = error_of(app.post_json(&config_path(guest), &bad).await, 400).await;
    assert_eq!(e["error"], "invalid_primary_color");
    let m = message(&e);
    plain(&m);
    assert!(
        m.starts_with("configuration.design.primaryColor is not valid (\"orange\")"),
        "{m}"
    );
    assert!(m.contains("#RRGGBB or #RGB"), "{m}");

    let bad = json!({"currentStep": 9});
    let e = error_of(app.post_json(&config_path(guest), &bad).await, 400).await;
    assert_eq!(message(&e), "currentStep must be from 1 to 3; it is 9");

    let bad = json!({"configuration": {"design": {"floatiePosition": "top"}}});
    let e = error_of(app.post_json(&config_path(guest), &bad).await, 400).await;
    let m = message(&e);
    plain(&m);
    assert!(
        m.contains("must be one of \"left\", \"right\"; it is \"top\""),
        "{m}"
    );

    let r = app
        .client
        .post(app.url(&config_path(guest)))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let e = error_of(r, 400).await;
    assert!(message(&e).starts_with("The body is not valid JSON"), "{e}");

    let e = error_of(
        app.get(&format!("/api/onboarding/analysis/abc?user_uuid={guest}"))
            .await,
        400,
    )
    .await;
    assert_eq!(e["error"], "invalid_id");
    assert!(
        message(&e).starts_with("id must be a whole number; it is \"abc\""),
        "{e}"
    );

    let e = error_of(app.get("/api/nothing-here").await, 404).await;
    assert_eq!(
        message(&e),
        "There is no GET /api/nothing-here. The API is described at /docs."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_scoped_endpoints_refuse_missing_malformed_unknown_and_expired_guests() {
    let app = TestApp::builder().without_worker().spawn().await;
    let expired = app.create_guest().await;
    expire(&app, expired).await;
    let unknown = Uuid::new_v4();
    let endpoints: [(&str, &str); 5] = [
        ("GET", "/api/onboarding/config"),
        ("POST", "/api/onboarding/config"),
        ("POST", "/api/onboarding/analysis"),
        ("GET", "/api/onboarding/progress-steps"),
        ("POST", "/api/onboarding/complete"),
    ];
    for (method, path) in endpoints {
        let call = |query: String| {
            let url = app.url(&format!("{path}{query}"));
            let request = if method == "GET" {
                app.client.get(url)
            } else {
                app.client.post(url)
            };
            let request = if path.ends_with("/config") && method == "POST" {
                request.json(&json!({}))
            } else {
                request
            };
            request.send()
        };
        let e = error_of(call(String::new()).await.unwrap(), 400).await;
        assert!(
            e["message"].as_str().unwrap().contains("user_uuid"),
            "{path}: {e}"
        );
        error_of(call("?user_uuid=nope".into()).await.unwrap(), 400).await;
        let e = error_of(call(format!("?user_uuid={V1_UUID}")).await.unwrap(), 400).await;
        assert_eq!(e["error"], "invalid_user_uuid", "{path}");
        let e = error_of(call(format!("?user_uuid={unknown}")).await.unwrap(), 404).await;
        assert_eq!(e["error"], "guest_not_found", "{path}");
        let e = error_of(call(format!("?user_uuid={expired}")).await.unwrap(), 410).await;
        assert_eq!(e["error"], "guest_expired", "{path}");
    }
    let e = error_of(
        app.get(&format!("/api/onboarding/analysis/1?user_uuid={expired}"))
            .await,
        410,
    )
    .await;
    assert_eq!(e["error"], "guest_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysis_start_is_idempotent_needs_a_domain_and_is_private_to_its_guest() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;

    let e = error_of(
        app.post(&format!("/api/onboarding/analysis?user_uuid={guest}"))
            .await,
        409,
    )
    .await;
    assert_eq!(e["error"], "domain_required");
    // No domain yet: progress is idle and starts nothing.
    let idle = app.progress(guest).await;
    assert_eq!(idle["status"], "idle");
    assert!(idle["analysisId"].is_null());
    assert_eq!(idle["steps"].as_array().unwrap().len(), 4);

    app.set_domain(guest, "acme.test").await;
    let first = app.start_analysis(guest).await;
    let second = app.start_analysis(guest).await;
    assert_eq!(
        first, second,
        "starting again while queued returns the same analysis"
    );
    let view = app.progress(guest).await;
    assert_eq!(view["analysisId"], first);
    assert_eq!(view["status"], "queued");
    assert_eq!(view["isAnalyzing"], true);
    assert_eq!(view["percent"], 0);

    let result: Value = app
        .get(&format!(
            "/api/onboarding/analysis/{first}?user_uuid={guest}"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["domain"], "acme.test");
    assert_eq!(result["status"], "queued");
    assert!(result["insights"].is_null());

    let other = app.create_guest().await;
    let e = error_of(
        app.get(&format!(
            "/api/onboarding/analysis/{first}?user_uuid={other}"
        ))
        .await,
        404,
    )
    .await;
    assert_eq!(e["error"], "analysis_not_found");
    error_of(
        app.get(&format!(
            "/api/onboarding/analysis/999999?user_uuid={guest}"
        ))
        .await,
        404,
    )
    .await;
    error_of(
        app.get(&format!("/api/onboarding/analysis/abc?user_uuid={guest}"))
            .await,
        400,
    )
    .await;

    // A new domain cancels the analysis of the old one; the next start is a new run.
    app.set_domain(guest, "other.test").await;
    let view = app.progress(guest).await;
    assert_eq!(view["status"], "cancelled");
    assert_ne!(app.start_analysis(guest).await, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_starts_an_analysis_lazily_once_a_domain_is_set() {
    let site = TestSite::serve(company_site(3)).await;
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let first = app.progress(guest).await;
    assert!(first["analysisId"].is_i64(), "{first}");
    let last = app.poll_until_finished(guest).await.pop().unwrap();
    assert_eq!(last["status"], "succeeded");
    assert_eq!(last["analysisId"], first["analysisId"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_applies_the_configuration_without_losing_a_field() {
    let site_under_test = TestSite::serve(company_site(1)).await;
    let domain = site_under_test.domain();
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    let e = error_of(
        app.post(&format!("/api/onboarding/complete?user_uuid={guest}"))
            .await,
        409,
    )
    .await;
    assert_eq!(e["error"], "domain_required");

    let update = json!({"domain": domain, "configuration": {
        "design": {"primaryColor": "#111111", "floatieLogo": "f.png"},
        "contact": {"email": "hi@acme.test"}, "disabledTabs": {"chat": true}}});
    assert_eq!(
        app.post_json(&config_path(guest), &update).await.status(),
        200
    );
    // At the contact step (put there directly: the step rules have their own tests, and
    // this one leaves design fields unset on purpose).
    guest_session::Entity::update(guest_session::ActiveModel {
        uuid: Set(guest),
        onboarding_step: Set(3),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();
    app.verify_domain(guest, &site_under_test).await;
    let response = app
        .post(&format!("/api/onboarding/complete?user_uuid={guest}"))
        .await;
    assert_eq!(response.status(), 200);
    let done: Value = response.json().await.unwrap();
    assert_eq!(done["status"], "completed");
    assert_eq!(done["domain"], domain);

    let site = site::Entity::find()
        .filter(site::Column::Domain.eq(domain.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let row = onboarding_configuration::Entity::find()
        .filter(onboarding_configuration::Column::SiteId.eq(site.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.primary_color, "#111111");
    assert_eq!(row.secondary_color, "#4884FA");
    assert_eq!(row.floatie_position, "right");
    assert_eq!(row.floatie_logo.as_deref(), Some("f.png"));
    assert_eq!(row.contact_methods, json!({"email": "hi@acme.test"}));
    assert_eq!(row.disabled_contact_tabs, json!({"chat": true}));
    assert_eq!(row.onboarding_step, 3);
    assert!(row.is_completed);
    let config: Value = app.get(&config_path(guest)).await.json().await.unwrap();
    assert_eq!(config["isCompleted"], true);

    // A second guest of the same site (who also proves control) that sets only one field
    // keeps the rest.
    let second = app.create_guest().await;
    let update =
        json!({"domain": domain, "configuration": {"design": {"secondaryColor": "#222222"}}});
    assert_eq!(
        app.post_json(&config_path(second), &update).await.status(),
        200
    );
    app.verify_domain(second, &site_under_test).await;
    assert_eq!(
        app.post(&format!("/api/onboarding/complete?user_uuid={second}"))
            .await
            .status(),
        200
    );
    let row = onboarding_configuration::Entity::find_by_id(row.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.primary_color, "#111111");
    assert_eq!(row.secondary_color, "#222222");
    assert_eq!(row.floatie_logo.as_deref(), Some("f.png"));
    assert_eq!(row.contact_methods, json!({"email": "hi@acme.test"}));
    assert_eq!(row.disabled_contact_tabs, json!({"chat": true}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_validated_and_stored() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    let response = app
        .post_json("/api/stats/events", &json!({"eventType": "step.viewed", "guestUuid": guest, "sessionId": "s-1", "eventData": {"step": 2}}))
        .await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let stored = event::Entity::find_by_id(accepted["id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.event_type, "step.viewed");
    assert_eq!(stored.guest_uuid, Some(guest));
    assert_eq!(stored.session_id.as_deref(), Some("s-1"));
    assert_eq!(stored.data, json!({"step": 2}));

    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"eventType": "Bad Type", "guestUuid": guest}),
            400,
            "invalid_event_type",
        ),
        (
            json!({"eventType": "", "guestUuid": guest}),
            400,
            "invalid_event_type",
        ),
        (
            json!({"eventType": "x".repeat(65), "guestUuid": guest}),
            400,
            "invalid_event_type",
        ),
        (
            json!({"eventType": "step.viewed", "guestUuid": guest, "sessionId": "s".repeat(129)}),
            400,
            "invalid_session_id",
        ),
        (
            json!({"eventType": "step.viewed", "guestUuid": guest, "eventData": [1, 2]}),
            400,
            "invalid_event_data",
        ),
        (
            json!({"eventType": true, "guestUuid": guest}),
            400,
            "invalid_event_type",
        ),
        (
            json!({"eventType": "step.viewed", "guestUuid": guest, "eventData": {"x": "y".repeat(9000)}}),
            413,
            "event_data_too_large",
        ),
        (
            json!({"eventType": "step.viewed", "guestUuid": Uuid::new_v4()}),
            404,
            "guest_not_found",
        ),
        (
            json!({"eventType": "step.viewed", "guestUuid": V1_UUID}),
            400,
            "invalid_guest_uuid",
        ),
        (
            json!({"eventType": "step.viewed"}),
            400,
            "invalid_guest_uuid",
        ),
        (
            json!({"eventType": "ok", "guestUuid": guest}),
            400,
            "invalid_event_type",
        ),
        (
            json!({"eventType": "onboarding.completed", "guestUuid": guest}),
            400,
            "invalid_event_type",
        ),
        (
            json!({"eventType": "custom.video_played", "guestUuid": guest}),
            400,
            "invalid_event_type",
        ),
        (
            json!({"eventType": "custom", "guestUuid": guest}),
            400,
            "invalid_custom_type",
        ),
        (
            json!({"eventType": "custom", "customType": "Video Played", "guestUuid": guest}),
            400,
            "invalid_custom_type",
        ),
        (
            json!({"eventType": "step.viewed", "customType": "x", "guestUuid": guest}),
            400,
            "invalid_custom_type",
        ),
    ];
    // The spec's enum and the shared list agree: every UI type is taken, no service type.
    for ui in UiEvent::ALL {
        let mut body = json!({"eventType": ui.as_str(), "guestUuid": guest});
        if ui == UiEvent::Custom {
            body["customType"] = json!("video_played");
        }
        let r = app.post_json("/api/stats/events", &body).await;
        assert_eq!(r.status(), 202, "{}", ui.as_str());
        let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let stored = event::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let expected = match ui {
            UiEvent::Custom => "custom.video_played",
            other => other.as_str(),
        };
        assert_eq!(stored.event_type, expected);
    }
    for auto in onboard_shared::analytics::Auto::ALL {
        let body = json!({"eventType": auto.as_str(), "guestUuid": guest});
        let e = error_of(app.post_json("/api/stats/events", &body).await, 400).await;
        assert_eq!(e["error"], "invalid_event_type", "{}", auto.as_str());
    }
    for (body, status, code) in cases {
        let e = error_of(app.post_json("/api/stats/events", &body).await, status).await;
        assert_eq!(e["error"], code, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_docs_and_unknown_routes() {
    let app = TestApp::builder().without_worker().spawn().await;
    assert_eq!(
        app.get("/healthz").await.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(
        ready,
        json!({"status": "ready", "database": "ok", "queue": "ok"})
    );
    let spec = app.get("/openapi.yaml").await;
    assert_eq!(spec.status(), 200);
    assert!(
        spec.text()
            .await
            .unwrap()
            .contains("/api/onboarding/progress-steps")
    );
    assert_eq!(app.get("/docs").await.status(), 200);
    let e = error_of(app.get("/api/nothing-here").await, 404).await;
    assert_eq!(e["error"], "not_found");
    let wrong_method = app
        .client
        .delete(app.url("/api/guest"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_method.headers()["allow"],
        "POST",
        "a 405 names the allowed methods"
    );
    let e = error_of(wrong_method, 405).await;
    assert_eq!(e["error"], "method_not_allowed");
    let not_json = app
        .client
        .post(app.url("/api/stats/events"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(not_json, 415).await["error"],
        "unsupported_media_type"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_poll_answers_304_while_nothing_changed() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    let path = format!("/api/onboarding/progress-steps?user_uuid={guest}");
    let poll = |etag: Option<String>| {
        let mut request = app.client.get(app.url(&path));
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send()
    };
    let first = poll(None).await.unwrap();
    assert_eq!(first.status(), 200);
    let idle_tag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(poll(Some(idle_tag.clone())).await.unwrap().status(), 304);

    app.set_domain(guest, "acme.test").await;
    let started = poll(Some(idle_tag)).await.unwrap();
    assert_eq!(started.status(), 200, "a new analysis is a change");
    let tag = started.headers()["etag"].to_str().unwrap().to_owned();
    let unchanged = poll(Some(tag.clone())).await.unwrap();
    assert_eq!(unchanged.status(), 304);
    assert_eq!(unchanged.headers()["etag"].to_str().unwrap(), tag);
    assert!(unchanged.bytes().await.unwrap().is_empty());

    let id: i64 = app.progress(guest).await["analysisId"].as_i64().unwrap();
    let cancel = app
        .client
        .delete(app.url(&format!("/api/onboarding/analysis/{id}?user_uuid={guest}")))
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 200);
    let changed = poll(Some(tag.clone())).await.unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), tag);
    assert_eq!(
        changed.json::<Value>().await.unwrap()["status"],
        "cancelled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_grants_configured_origins_and_validated_sites_only() {
    let site = TestSite::serve(company_site(1)).await;
    let port = site.addr.port();
    let mut app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_CORS_ORIGINS", "https://onboarding.example.com")
        .var("ONBOARD_CRAWL_HOSTS", "acme.test=127.0.0.1")
        .spawn()
        .await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &format!("acme.test:{port}")).await;
    app.start_analysis(guest).await; // the site row exists; its domain has not validated

    let (client, url) = (
        app.client.clone(),
        app.url("/api/onboarding/progress-steps"),
    );
    let preflight = |origin: String| {
        client
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "if-none-match")
            .send()
    };
    // Typing a domain grants nothing.
    let early = preflight(format!("http://acme.test:{port}")).await.unwrap();
    assert_eq!(error_of(early, 403).await["error"], "origin_not_allowed");

    // Once an analysis finds the domain answering, its origins are granted.
    app.start_worker();
    assert_eq!(
        app.poll_until_finished(guest).await.pop().unwrap()["status"],
        "succeeded"
    );
    for origin in [
        "https://onboarding.example.com".to_owned(),
        format!("https://www.acme.test:{port}"),
        format!("http://acme.test:{port}"),
    ] {
        // A refusal is remembered for a moment; the grant follows within seconds.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        let response = loop {
            let response = preflight(origin.clone()).await.unwrap();
            if response.status() == 204 || tokio::time::Instant::now() > deadline {
                break response;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        assert_eq!(response.status(), 204, "{origin}");
        let h = response.headers();
        assert_eq!(h["access-control-allow-origin"], origin.as_str());
        assert!(
            h["access-control-allow-methods"]
                .to_str()
                .unwrap()
                .contains("GET")
        );
        assert!(
            h["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("if-none-match")
        );
    }
    let refused = preflight("https://evil.test".into()).await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert_eq!(error_of(refused, 403).await["error"], "origin_not_allowed");

    let path = format!("/api/onboarding/config?user_uuid={guest}");
    let origin = format!("https://www.acme.test:{port}");
    let allowed = app
        .client
        .get(app.url(&path))
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        origin.as_str()
    );
    assert!(
        allowed.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("etag")
    );
    let other = app
        .client
        .get(app.url(&path))
        .header("origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        200,
        "the request is served; the browser just gets no grant"
    );
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::builder().without_worker().spawn().await;
    for response in [
        app.get("/healthz").await,
        app.get("/api/nothing").await,
        app.post("/api/guest").await,
    ] {
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
    }
    // The docs page runs Swagger UI's scripts, so it is not given the API's strict policy.
    assert!(
        app.get("/docs")
            .await
            .headers()
            .get("content-security-policy")
            .is_none()
    );
}

async fn statuses(n: usize, request: impl Fn() -> reqwest::RequestBuilder) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(request().send().await.unwrap().status().as_u16());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_writes_have_separate_per_client_budgets() {
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_RATE_LIMIT_READS_PER_MIN", "30")
        .var("ONBOARD_RATE_LIMIT_WRITES_PER_MIN", "2")
        .spawn()
        .await;
    let guest = app.create_guest().await; // one write
    let read = || {
        app.client
            .get(app.url(&format!("/api/onboarding/config?user_uuid={guest}")))
    };
    assert!(statuses(30, read).await.iter().all(|s| *s == 200));
    let limited = read().send().await.unwrap();
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(error_of(limited, 429).await["error"], "rate_limited");

    // Writes have their own budget (one of two is spent), and health checks none.
    assert_eq!(
        statuses(2, || app.client.post(app.url("/api/guest"))).await,
        [201, 429]
    );
    assert_eq!(app.get("/healthz").await.status(), 200);

    // The read budget refills: 30 a minute is one every 2 s.
    let deadline = tokio::time::Instant::now() + onboard_tests::DEADLINE;
    loop {
        if read().send().await.unwrap().status() == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the budget never recovered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    for (trusted, separate_budgets) in [("127.0.0.1/32", true), ("10.0.0.0/8", false)] {
        let app = TestApp::builder()
            .without_worker()
            .var("ONBOARD_RATE_LIMIT_READS_PER_MIN", "1")
            .var("ONBOARD_TRUSTED_PROXIES", trusted)
            .spawn()
            .await;
        let from = |client: &str| {
            app.client
                .get(app.url("/api/onboarding/progress-steps?user_uuid=nope"))
                .header("x-forwarded-for", client)
                .send()
        };
        // Rate limiting comes before validation, so a malformed request still spends budget.
        assert_eq!(from("203.0.113.1").await.unwrap().status(), 400);
        let second = from("203.0.113.2").await.unwrap().status();
        if separate_budgets {
            assert_eq!(
                second, 400,
                "another client behind the trusted proxy has its own budget"
            );
        } else {
            assert_eq!(
                second, 429,
                "an untrusted peer's X-Forwarded-For is ignored"
            );
        }
        assert_eq!(from("203.0.113.1").await.unwrap().status(), 429);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_reaches_only_its_own_configuration_analyses_and_events() {
    let app = TestApp::builder().without_worker().spawn().await;
    let (alice, bob) = (app.create_guest().await, app.create_guest().await);
    let update =
        json!({"domain": "alice.test", "configuration": {"design": {"primaryColor": "#111111"}}});
    assert_eq!(
        app.post_json(&config_path(alice), &update).await.status(),
        200
    );
    let analysis = app.start_analysis(alice).await;

    // Bob sees his own (empty) state, never Alice's.
    let config: Value = app.get(&config_path(bob)).await.json().await.unwrap();
    assert!(config["domain"].is_null());
    assert_eq!(config["configuration"]["design"]["primaryColor"], "#FB8537");
    assert_eq!(app.progress(bob).await["status"], "idle");
    // Alice's analysis is answered to Bob exactly like a missing one, for reading and cancelling.
    for response in [
        app.get(&format!(
            "/api/onboarding/analysis/{analysis}?user_uuid={bob}"
        ))
        .await,
        app.client
            .delete(app.url(&format!(
                "/api/onboarding/analysis/{analysis}?user_uuid={bob}"
            )))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(error_of(response, 404).await["error"], "analysis_not_found");
    }
    assert_eq!(
        app.progress(alice).await["status"],
        "queued",
        "Bob's cancel did not touch it"
    );
    // Bob completing his onboarding needs his own domain; Alice's does not count.
    let e = error_of(
        app.post(&format!("/api/onboarding/complete?user_uuid={bob}"))
            .await,
        409,
    )
    .await;
    assert_eq!(e["error"], "domain_required");
    // Bob's starting an analysis needs his own domain too.
    error_of(
        app.post(&format!("/api/onboarding/analysis?user_uuid={bob}"))
            .await,
        409,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_limit_is_configurable() {
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_MAX_BODY_BYTES", "1024")
        .spawn()
        .await;
    let guest = app.create_guest().await;
    let small = json!({"configuration": {"contact": {"note": "x".repeat(500)}}});
    assert_eq!(
        app.post_json(&config_path(guest), &small).await.status(),
        200
    );
    let large = json!({"configuration": {"contact": {"note": "x".repeat(2000)}}});
    let e = error_of(app.post_json(&config_path(guest), &large).await, 413).await;
    assert_eq!(e["error"], "payload_too_large");
    assert!(e["message"].as_str().unwrap().contains("1024"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_response_carries_a_request_id_and_metrics_count_requests_by_route() {
    let app = TestApp::spawn().await;
    let first = app.post("/api/guest").await;
    let id = first.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let echoed = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-42");
    let guest = app.create_guest().await;
    app.get(&format!("/api/guest/{guest}")).await;

    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    let has = |needle: &str| text.lines().any(|l| l.starts_with(needle));
    // Tests in this binary share the process's recorder: at least this test's two.
    let created: f64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                r#"onboard_http_requests_total{route="/api/guest",method="POST",status="201"} "#,
            )
        })
        .and_then(|v| v.parse().ok())
        .expect("guest creations counted");
    assert!(created >= 2.0, "{text}");
    // The route is the template: one series for every guest.
    assert!(
        has(r#"onboard_http_requests_total{route="/api/guest/{uuid}",method="GET",status="200"}"#),
        "{text}"
    );
    assert!(
        has(r#"onboard_http_request_duration_seconds_bucket{route="/api/guest",method="POST""#),
        "{text}"
    );
    assert!(
        has(r#"onboard_queue_jobs{queue="analysis",state="waiting"}"#),
        "{text}"
    );
}
