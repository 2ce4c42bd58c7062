//! Guest activity slides the session's expiry, written off the request path: what a request
//! notes reaches the row within seconds, is never lost at shutdown, and never revives an
//! expired session.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use onboard_shared::entities::guest_session;
use onboard_tests::TestApp;
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

/// Makes the guest's last recorded activity `idle` old, its expiry `left` away.
async fn age(app: &TestApp, guest: Uuid, idle: Duration, left: Duration) {
    let now = Utc::now();
    guest_session::Entity::update(guest_session::ActiveModel {
        uuid: Set(guest),
        last_activity_at: Set(now - idle),
        expires_at: Set(now + left),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();
}

async fn row(app: &TestApp, guest: Uuid) -> guest_session::Model {
    guest_session::Entity::find_by_id(guest)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

/// Polls the row until its expiry is at least `at_least`; the row as last read.
async fn expiry_reaches(
    app: &TestApp,
    guest: Uuid,
    at_least: DateTime<Utc>,
) -> guest_session::Model {
    let deadline = Instant::now() + StdDuration::from_secs(15);
    loop {
        let row = row(app, guest).await;
        if row.expires_at >= at_least || Instant::now() > deadline {
            return row;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

/// Returns once a flush of noted activity has happened since the call: another guest, idle
/// for minutes, polls and its expiry is seen written.
async fn a_flush_passes(app: &TestApp) {
    let other = app.create_guest().await;
    age(app, other, Duration::minutes(2), Duration::hours(1)).await;
    let before = Utc::now();
    let poll = app
        .get(&format!("/api/onboarding/progress-steps?user_uuid={other}"))
        .await;
    assert_eq!(poll.status(), 200);
    let written = expiry_reaches(app, other, before + ttl(app)).await;
    assert!(
        written.expires_at >= before + ttl(app),
        "no flush wrote the other guest's activity: {written:?}"
    );
}

fn ttl(app: &TestApp) -> Duration {
    Duration::from_std(app.config.guest_ttl).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_after_a_minute_idle_slides_the_expiry_in_the_database() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    age(&app, guest, Duration::minutes(2), Duration::hours(1)).await;

    let before = Utc::now();
    let poll = app
        .get(&format!("/api/onboarding/progress-steps?user_uuid={guest}"))
        .await;
    assert_eq!(poll.status(), 200);

    let row = expiry_reaches(&app, guest, before + ttl(&app)).await;
    assert!(
        row.expires_at >= before + ttl(&app),
        "the expiry did not slide: {row:?}"
    );
    assert!(row.last_activity_at >= before, "{row:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_endpoint_shows_the_slid_expiry_at_once() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    age(&app, guest, Duration::minutes(2), Duration::hours(1)).await;

    let before = Utc::now();
    let status = app.get_json(&format!("/api/guest/{guest}")).await;
    assert_eq!(status["valid"], true);
    let shown: DateTime<Utc> = status["expiresAt"].as_str().unwrap().parse().unwrap();
    assert!(shown >= before + ttl(&app), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_is_never_written_more_than_once_a_minute() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    // Recent activity (10 s ago) with an expiry the test can recognise.
    let marked = Duration::hours(1);
    age(&app, guest, Duration::seconds(10), marked).await;
    let marked_at = row(&app, guest).await.expires_at;

    for _ in 0..5 {
        let poll = app
            .get(&format!("/api/onboarding/progress-steps?user_uuid={guest}"))
            .await;
        assert_eq!(poll.status(), 200);
    }
    a_flush_passes(&app).await;

    assert_eq!(
        row(&app, guest).await.expires_at,
        marked_at,
        "activity less than a minute old was written again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_is_not_revived_by_a_request() {
    let app = TestApp::builder().without_worker().spawn().await;
    let expired = app.create_guest().await;
    age(&app, expired, Duration::minutes(5), -Duration::minutes(1)).await;
    let expired_at = row(&app, expired).await.expires_at;

    let poll = app
        .get(&format!(
            "/api/onboarding/progress-steps?user_uuid={expired}"
        ))
        .await;
    assert_eq!(poll.status(), 410);
    let status = app.get_json(&format!("/api/guest/{expired}")).await;
    assert_eq!(status["valid"], false);

    a_flush_passes(&app).await;
    assert_eq!(row(&app, expired).await.expires_at, expired_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_noted_just_before_shutdown_is_written() {
    let mut app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    age(&app, guest, Duration::minutes(2), Duration::hours(1)).await;

    let before = Utc::now();
    let poll = app
        .get(&format!("/api/onboarding/progress-steps?user_uuid={guest}"))
        .await;
    assert_eq!(poll.status(), 200);
    app.stop_api().await;

    let row = row(&app, guest).await;
    assert!(
        row.expires_at >= before + ttl(&app),
        "the activity was lost at shutdown: {row:?}"
    );
}
