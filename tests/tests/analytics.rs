//! Onboarding analytics: the events the service records by itself (each once), abandonment,
//! the daily aggregates on a fixture with known numbers, and the ops analytics API (JSON and
//! CSV of the same content).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onboard_shared::entities::{daily_stat, event, guest_session};
use onboard_tests::{TestApp, TestSite, site::company_site};
use onboard_worker::maintenance::daily_stats;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

const TOKEN: &str = "analytics-test-token";

async fn config(app: &TestApp, guest: Uuid, body: Value) {
    let r = app
        .post_json(&format!("/api/onboarding/config?user_uuid={guest}"), &body)
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_automatic_event_is_written_once() {
    let site = TestSite::serve(company_site(3)).await;
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    assert_eq!(app.events_of(guest, "onboarding.started").await.len(), 1);

    // Design: the fields that changed, nothing when a post changes nothing.
    let design = |d: Value| json!({"configuration": {"design": d}});
    config(&app, guest, design(json!({"primaryColor": "#111111"}))).await;
    config(&app, guest, design(json!({"primaryColor": "#111"}))).await;
    config(
        &app,
        guest,
        design(json!({"primaryColor": "#222222", "secondaryColor": "#333333", "floatiePosition": "left"})),
    )
    .await;
    assert_eq!(
        app.events_of(guest, "design.updated").await,
        [
            json!({"fields": ["primaryColor"]}),
            json!({"fields": ["primaryColor", "secondaryColor", "floatiePosition"]}),
        ]
    );

    // An analysis polled to its end: started once, succeeded once.
    app.set_domain(guest, &site.domain()).await;
    let run_id = app.start_analysis(guest).await;
    let polls = app.poll_until_finished(guest).await;
    assert!(polls.len() > 1, "the run was polled while it went");
    let started = app.events_of(guest, "analysis.started").await;
    assert_eq!(started, [json!({"runId": run_id})]);
    let succeeded = app.events_of(guest, "analysis.succeeded").await;
    assert_eq!(succeeded.len(), 1, "{succeeded:?}");
    assert_eq!(succeeded[0]["runId"], run_id);
    assert!(succeeded[0]["pagesCrawled"].as_i64().unwrap() >= 3);
    assert!(succeeded[0]["durationSeconds"].is_number());
    assert!(succeeded[0]["error"].is_null());

    // Steps (their criteria now hold up to contact): every change once, with the steps
    // reached for the first time.
    for step in [1, 1, 3, 3, 2] {
        config(&app, guest, json!({"currentStep": step})).await;
    }
    assert_eq!(
        app.events_of(guest, "step.navigated").await,
        [
            json!({"from": 0, "to": 1, "reached": [1]}),
            json!({"from": 1, "to": 3, "reached": [2, 3]}),
            json!({"from": 3, "to": 2, "reached": []}),
        ]
    );

    // Completion: once, however often the UI posts it; the first time is kept.
    app.verify_domain(guest, &site).await;
    let first: Value = app
        .post(&format!("/api/onboarding/complete?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    let again: Value = app
        .post(&format!("/api/onboarding/complete?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["completedAt"], again["completedAt"]);
    let completed = app.events_of(guest, "onboarding.completed").await;
    assert_eq!(completed.len(), 1);
    assert!(completed[0]["seconds"].as_f64().unwrap() > 0.0);

    // Events carry the guest's site once it has one.
    let site_row = event::Entity::find()
        .filter(event::Column::GuestUuid.eq(guest))
        .filter(event::Column::EventType.eq("onboarding.completed"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(site_row.site_id.is_some());
    assert!(app.events_of(guest, "analysis.failed").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_analysis_records_its_end_once() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, "first.example").await;
    let run_id = app.start_analysis(guest).await;
    // A new domain cancels the queued run; a second post of it cancels nothing more.
    config(&app, guest, json!({"domain": "second.example"})).await;
    config(&app, guest, json!({"domain": "second.example"})).await;
    let cancelled = app.events_of(guest, "analysis.cancelled").await;
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
    assert_eq!(cancelled[0]["runId"], run_id);
    assert_eq!(cancelled[0]["error"], "The domain changed");
    assert!(
        cancelled[0]["durationSeconds"].is_null(),
        "it never started"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_marks_an_idle_unfinished_guest_abandoned_once() {
    let app = TestApp::builder().without_worker().spawn().await;
    let idle = app.create_guest().await;
    let idle_done = app.create_guest().await;
    let active = app.create_guest().await;
    let designed =
        json!({"primaryColor": "#111111", "secondaryColor": "#222222", "floatiePosition": "left"});
    config(
        &app,
        idle,
        json!({"currentStep": 2, "configuration": {"design": designed}}),
    )
    .await;
    let long_ago = Utc::now() - Duration::hours(25);
    for guest in [idle, idle_done] {
        let mut row: guest_session::ActiveModel = guest_session::Entity::find_by_id(guest)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into();
        row.last_activity_at = Set(long_ago);
        if guest == idle_done {
            row.onboarding_completed_at = Set(Some(long_ago));
        }
        row.update(&app.db).await.unwrap();
    }

    let ctx = app.job_context();
    let first = onboard_worker::maintenance::monitor::run(&ctx)
        .await
        .unwrap();
    let second = onboard_worker::maintenance::monitor::run(&ctx)
        .await
        .unwrap();
    assert_eq!(first.guests_abandoned, 1);
    assert_eq!(second.guests_abandoned, 0);
    let marked = app.events_of(idle, "onboarding.abandoned").await;
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0]["lastStep"], 2);
    assert!(marked[0]["idleSeconds"].as_f64().unwrap() >= 25.0 * 3600.0);
    for guest in [idle_done, active] {
        assert!(
            app.events_of(guest, "onboarding.abandoned")
                .await
                .is_empty()
        );
    }
    let row = guest_session::Entity::find_by_id(idle)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.abandoned_at.is_some());
    // Today's aggregate row already counts the guest the monitor just marked.
    let today = daily_stat::Entity::find_by_id(Utc::now().date_naive())
        .one(&app.db)
        .await
        .unwrap()
        .expect("the monitor aggregated today");
    assert_eq!(today.abandoned_at_content, 1);
    assert_eq!(today.started, 3);
}

/// Writes a fixture event at a time.
async fn put(app: &TestApp, at: DateTime<Utc>, kind: &str, guest: Option<Uuid>, data: Value) {
    event::ActiveModel {
        event_type: Set(kind.to_owned()),
        guest_uuid: Set(guest),
        site_id: Set(None),
        session_id: Set(None),
        data: Set(data),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

/// A day of events with known figures (see the assertions), plus events just outside it.
async fn fixture_day(app: &TestApp, day: NaiveDate) -> [Uuid; 4] {
    let g = [
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    ];
    let at = |h: u32, m: u32, s: u32| day.and_hms_opt(h, m, s).unwrap().and_utc();
    let moved =
        |from: i16, to: i16, reached: &[i16]| json!({"from": from, "to": to, "reached": reached});
    for (i, guest) in g.iter().enumerate() {
        put(
            app,
            at(0, 0, i as u32),
            "onboarding.started",
            Some(*guest),
            json!({}),
        )
        .await;
    }
    put(
        app,
        at(1, 0, 0),
        "step.navigated",
        Some(g[0]),
        moved(0, 1, &[1]),
    )
    .await;
    put(
        app,
        at(1, 1, 0),
        "step.navigated",
        Some(g[0]),
        moved(1, 3, &[2, 3]),
    )
    .await;
    put(
        app,
        at(1, 2, 0),
        "step.navigated",
        Some(g[0]),
        moved(3, 2, &[]),
    )
    .await;
    put(
        app,
        at(2, 0, 0),
        "step.navigated",
        Some(g[1]),
        moved(0, 1, &[1]),
    )
    .await;
    put(
        app,
        at(2, 1, 0),
        "step.navigated",
        Some(g[1]),
        moved(1, 2, &[2]),
    )
    .await;
    put(
        app,
        at(3, 0, 0),
        "step.navigated",
        Some(g[2]),
        moved(0, 1, &[1]),
    )
    .await;
    put(
        app,
        at(3, 1, 0),
        "design.updated",
        Some(g[2]),
        json!({"fields": ["primaryColor"]}),
    )
    .await;
    put(
        app,
        at(4, 0, 0),
        "onboarding.completed",
        Some(g[0]),
        json!({"seconds": 100.0}),
    )
    .await;
    put(
        app,
        at(4, 1, 0),
        "onboarding.completed",
        Some(g[1]),
        json!({"seconds": 300.0}),
    )
    .await;
    put(
        app,
        at(5, 0, 0),
        "onboarding.abandoned",
        Some(g[2]),
        json!({"lastStep": 1, "idleSeconds": 90000.0}),
    )
    .await;
    put(
        app,
        at(5, 1, 0),
        "onboarding.abandoned",
        Some(g[3]),
        json!({"lastStep": 0, "idleSeconds": 90000.0}),
    )
    .await;
    for i in 0..3 {
        put(
            app,
            at(6, i, 0),
            "analysis.started",
            Some(g[i as usize]),
            json!({"runId": i}),
        )
        .await;
    }
    let finished = |secs: f64| json!({"runId": 1, "durationSeconds": secs, "pagesDiscovered": 5, "pagesCrawled": 5, "pagesFailed": 0, "pagesSkipped": 0, "error": null});
    put(
        app,
        at(7, 0, 0),
        "analysis.succeeded",
        Some(g[0]),
        finished(10.0),
    )
    .await;
    put(
        app,
        at(7, 1, 0),
        "analysis.succeeded",
        Some(g[1]),
        finished(20.0),
    )
    .await;
    put(
        app,
        at(7, 2, 0),
        "analysis.failed",
        Some(g[2]),
        finished(5.0),
    )
    .await;
    put(
        app,
        at(8, 0, 0),
        "step.viewed",
        Some(g[0]),
        json!({"step": 1}),
    )
    .await;
    put(app, at(23, 59, 59), "custom.video_played", None, json!({})).await;
    // Just outside the day: not counted.
    let next = at(0, 0, 0) + Duration::days(1);
    put(
        app,
        next,
        "onboarding.started",
        Some(Uuid::new_v4()),
        json!({}),
    )
    .await;
    put(
        app,
        at(0, 0, 0) - Duration::seconds(1),
        "onboarding.completed",
        Some(g[3]),
        json!({"seconds": 5.0}),
    )
    .await;
    g
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_aggregates_to_the_known_figures_and_again_to_the_same_row() {
    let app = TestApp::builder().without_worker().spawn().await;
    let day = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
    fixture_day(&app, day).await;

    let row = daily_stats::aggregate_day(&app.db, day).await.unwrap();
    let stored = daily_stat::Entity::find_by_id(day)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, row);
    assert_eq!(row.events, 23);
    assert_eq!(
        row.events_by_type,
        json!({
            "analysis.failed": 1, "analysis.started": 3, "analysis.succeeded": 2,
            "custom.video_played": 1, "design.updated": 1, "onboarding.abandoned": 2,
            "onboarding.completed": 2, "onboarding.started": 4, "step.navigated": 6,
            "step.viewed": 1
        })
    );
    assert_eq!(row.distinct_guests, 4, "the guestless event is not a guest");
    assert_eq!(row.started, 4);
    assert_eq!(
        (row.reached_design, row.reached_content, row.reached_contact),
        (3, 2, 1)
    );
    assert_eq!(row.completed, 2);
    assert_eq!(
        (
            row.abandoned_at_start,
            row.abandoned_at_design,
            row.abandoned_at_content,
            row.abandoned_at_contact
        ),
        (1, 1, 0, 0)
    );
    assert_eq!(row.completion_rate(), Some(0.5));
    assert_eq!(row.complete_seconds_median, Some(200.0));
    assert_eq!(row.complete_seconds_p90, Some(280.0));
    assert_eq!(
        (
            row.analyses_started,
            row.analyses_succeeded,
            row.analyses_failed,
            row.analyses_cancelled
        ),
        (3, 2, 1, 0)
    );
    assert_eq!(row.analysis_success_rate(), Some(2.0 / 3.0));
    assert_eq!(row.analysis_seconds_median, Some(15.0));

    // Idempotent: recomputing the day replaces its row with the same one.
    let again = daily_stats::aggregate_day(&app.db, day).await.unwrap();
    assert_eq!(again, row);
    let all = daily_stat::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all, [row]);
}

fn admin(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    app.client.get(app.url(path)).bearer_auth(TOKEN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_funnel_and_daily_stats_read_the_same_in_json_and_csv() {
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .spawn()
        .await;
    // Two days apart, so neither fixture's events just outside its day land in the other.
    let d1 = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
    let d2 = d1 + Duration::days(2);
    fixture_day(&app, d1).await;
    fixture_day(&app, d2).await;
    for day in [d1, d2] {
        daily_stats::aggregate_day(&app.db, day).await.unwrap();
    }
    let range = format!("from={d1}&to={d2}");

    let funnel: Value = admin(&app, &format!("/api/ops/funnel?{range}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stages: Vec<(String, i64, i64)> = funnel["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap().to_owned(),
                s["guests"].as_i64().unwrap(),
                s["dropOff"].as_i64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, i64, i64)> = [
        ("started", 8, 2),
        ("design", 6, 2),
        ("content", 4, 0),
        ("contact", 2, 0),
        ("completed", 4, 0),
    ]
    .into_iter()
    .map(|(s, g, d)| (s.to_owned(), g, d))
    .collect();
    assert_eq!(stages, want);
    assert_eq!(funnel["stages"][4]["conversion"], 0.5);

    let csv = |path: String| {
        let request = admin(&app, &path).header("accept", "text/csv");
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/csv")
            );
            r.text().await.unwrap()
        }
    };
    assert_same_content(
        &funnel["stages"],
        &csv(format!("/api/ops/funnel?{range}")).await,
    );

    let daily: Value = admin(&app, &format!("/api/ops/stats/daily?{range}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let days = daily["days"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["day"], d1.to_string());
    assert_eq!(days[1]["completionRate"], 0.5);
    assert_eq!(days[1]["eventsByType"]["step.viewed"], 1);
    assert_same_content(
        &daily["days"],
        &csv(format!("/api/ops/stats/daily?{range}")).await,
    );

    // Guarded, and bad ranges are the client's to fix.
    let r = app.get("/api/ops/funnel").await;
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(app.url("/api/ops/stats/daily"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    for (query, code) in [
        (format!("from={d2}&to={d1}"), "invalid_range"),
        ("from=2020-01-01&to=2026-01-01".to_owned(), "range_too_long"),
        ("from=yesterday".to_owned(), "invalid_from"),
    ] {
        let r = admin(&app, &format!("/api/ops/funnel?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], code, "{query}");
    }
}

/// Every CSV row is the JSON entry of the same index, cell for cell (an object field as one
/// column per key; an absent value as an empty cell).
fn assert_same_content(json: &Value, csv: &str) {
    let rows = json.as_array().unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let body: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(body.len(), rows.len());
    for (row, cells) in rows.iter().zip(&body) {
        let mut columns = 0;
        for (name, value) in row.as_object().unwrap() {
            let expected: Vec<(String, &Value)> = match value {
                Value::Object(inner) => inner
                    .iter()
                    .map(|(k, v)| (format!("{name}.{k}"), v))
                    .collect(),
                v => vec![(name.clone(), v)],
            };
            for (column, value) in expected {
                let at = header
                    .iter()
                    .position(|h| *h == column)
                    .unwrap_or_else(|| panic!("no column {column}"));
                let text = match value {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                assert_eq!(&cells[at], text, "{column}");
                columns += 1;
            }
        }
        let filled = cells.iter().filter(|c| !c.is_empty()).count();
        assert!(filled <= columns, "the CSV has values the JSON lacks");
    }
}
