//! The monitor job's tasks, each on its own: what it changes and what it reports. (The
//! whole job, on cron and through the queue, is exercised in `jobs.rs`.)

use chrono::{Duration, Utc};
use onboard_shared::{
    entities::{analysis_run, guest_session, maintenance_run},
    jobs::{MaintenanceKind, Trigger},
    maintenance::{INTERRUPTED, MaintenanceStatus, SUPERSEDED},
    runs::{self, RunStatus, stale::TIMED_OUT},
};
use onboard_tests::TestApp;
use onboard_worker::maintenance::{
    abandonment,
    monitor::{completion_alert, lost_runs, maintenance_runs, stuck_runs},
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use uuid::Uuid;

async fn site(app: &TestApp) -> i64 {
    onboard_shared::sites::upsert(&app.db, "monitor.test")
        .await
        .unwrap()
        .id
}

async fn run_of(app: &TestApp, site_id: i64) -> (Uuid, analysis_run::Model) {
    let guest = app.create_guest().await;
    let run = runs::start::create(&app.db, site_id, guest, None)
        .await
        .unwrap();
    (guest, run)
}

async fn reload(app: &TestApp, id: i64) -> analysis_run::Model {
    analysis_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_runs_are_reset_while_retries_remain_and_failed_after() {
    let app = TestApp::builder().without_worker().spawn().await;
    let ctx = app.job_context();
    let site_id = site(&app).await;
    let now = Utc::now();
    let mut ids = Vec::new();
    // Two runs whose worker went quiet 20 minutes ago, one with its retries spent, and one
    // whose heartbeat is fresh.
    for (retries, beat) in [
        (0, now - Duration::minutes(20)),
        (app.config.jobs.max_retries, now - Duration::minutes(20)),
        (0, now),
    ] {
        let (_, run) = run_of(&app, site_id).await;
        analysis_run::ActiveModel {
            id: Set(run.id),
            status: Set(RunStatus::Running),
            lease_owner: Set(Some("some-worker:1".into())),
            heartbeat_at: Set(Some(beat)),
            retry_count: Set(retries),
            pushed_at: Set(Some(now)),
            ..Default::default()
        }
        .update(&app.db)
        .await
        .unwrap();
        ids.push(run.id);
    }

    let outcome = stuck_runs::reset_or_fail(&ctx, now).await.unwrap();
    assert_eq!(
        outcome,
        stuck_runs::StuckRuns {
            reset: 1,
            failed: 1
        }
    );
    let reset = reload(&app, ids[0]).await;
    assert_eq!(reset.status, RunStatus::Queued);
    assert_eq!(reset.retry_count, 1);
    assert!(reset.lease_owner.is_none() && reset.pushed_at.is_none());
    let failed = reload(&app, ids[1]).await;
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(failed.error_message.as_deref(), Some(TIMED_OUT));
    assert_eq!(reload(&app, ids[2]).await.status, RunStatus::Running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_runs_the_queue_lost_are_pushed_again() {
    let app = TestApp::builder().without_worker().spawn().await;
    let ctx = app.job_context();
    let site_id = site(&app).await;
    let now = Utc::now();
    // Pushed two hours ago and never claimed: the queue lost it (Redis flushed, say).
    let (_, lost) = run_of(&app, site_id).await;
    let long_ago = now - Duration::hours(2);
    analysis_run::ActiveModel {
        id: Set(lost.id),
        pushed_at: Set(Some(long_ago)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();

    let outcome = lost_runs::push_again(&ctx, now).await.unwrap();
    assert_eq!(outcome.repushed, 1);
    assert_eq!(outcome.admitted, 1);
    let pushed = reload(&app, lost.id).await.pushed_at.expect("pushed again");
    assert!(pushed > long_ago);
    assert_eq!(
        app.queue
            .waiting::<onboard_shared::jobs::AnalysisJob>()
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_runs_left_behind_are_failed_or_pushed_again() {
    let app = TestApp::builder().without_worker().spawn().await;
    let ctx = app.job_context();
    let now = Utc::now();
    let row = |status: MaintenanceStatus, minutes_ago: i64| maintenance_run::ActiveModel {
        kind: Set(MaintenanceKind::Cleanup),
        trigger: Set(Trigger::Cron),
        slot: Set(Some(format!("slot-{minutes_ago}"))),
        status: Set(status),
        report: Set(serde_json::json!({})),
        queued_at: Set(now - Duration::minutes(minutes_ago)),
        started_at: Set(
            (status == MaintenanceStatus::Running).then(|| now - Duration::minutes(minutes_ago))
        ),
        ..Default::default()
    };
    let dead = row(MaintenanceStatus::Running, 120)
        .insert(&app.db)
        .await
        .unwrap();
    let older = row(MaintenanceStatus::Queued, 20)
        .insert(&app.db)
        .await
        .unwrap();
    let newer = row(MaintenanceStatus::Queued, 10)
        .insert(&app.db)
        .await
        .unwrap();

    let outcome = maintenance_runs::recover(&ctx, now).await.unwrap();
    assert_eq!(
        outcome,
        maintenance_runs::Recovered {
            interrupted: 1,
            repushed: 1,
            superseded: 1
        }
    );
    let read = |id: i64| {
        let db = app.db.clone();
        async move {
            maintenance_run::Entity::find_by_id(id)
                .one(&db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert_eq!(
        read(dead.id).await.error_message.as_deref(),
        Some(INTERRUPTED)
    );
    assert_eq!(
        read(older.id).await.error_message.as_deref(),
        Some(SUPERSEDED)
    );
    assert_eq!(read(newer.id).await.status, MaintenanceStatus::Queued);
    assert_eq!(
        app.queue
            .waiting::<onboard_shared::jobs::CleanupJob>()
            .await
            .unwrap(),
        1,
        "the newest lost run was pushed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_unfinished_guests_are_marked_abandoned_once() {
    let app = TestApp::builder().without_worker().spawn().await;
    let now = Utc::now();
    let (idle, active) = (app.create_guest().await, app.create_guest().await);
    guest_session::ActiveModel {
        uuid: Set(idle),
        last_activity_at: Set(now - Duration::hours(30)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let idle_before = now - Duration::hours(24);
    assert_eq!(
        abandonment::mark(&app.db, idle_before, now).await.unwrap(),
        1
    );
    assert_eq!(
        abandonment::mark(&app.db, idle_before, now).await.unwrap(),
        0
    );
    let marked = |uuid: Uuid| {
        let db = app.db.clone();
        async move {
            guest_session::Entity::find_by_id(uuid)
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .abandoned_at
        }
    };
    assert!(marked(idle).await.is_some());
    assert!(marked(active).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_rate_under_the_threshold_raises_the_alert() {
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_COMPLETION_ALERT_BELOW", "0.5")
        .spawn()
        .await;
    let ctx = app.job_context();
    let now = Utc::now();
    let none = completion_alert::check(&ctx, now).await.unwrap();
    assert_eq!((none.rate, none.alert), (None, false), "no guest, no rate");

    let guests = [
        app.create_guest().await,
        app.create_guest().await,
        app.create_guest().await,
        app.create_guest().await,
    ];
    guest_session::ActiveModel {
        uuid: Set(guests[0]),
        onboarding_completed_at: Set(Some(now)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let low = completion_alert::check(&ctx, Utc::now()).await.unwrap();
    assert_eq!(
        low,
        completion_alert::Completion {
            started: 4,
            completed: 1,
            rate: Some(0.25),
            alert: true,
        }
    );
    guest_session::ActiveModel {
        uuid: Set(guests[1]),
        onboarding_completed_at: Set(Some(now)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let even = completion_alert::check(&ctx, Utc::now()).await.unwrap();
    assert_eq!((even.rate, even.alert), (Some(0.5), false));
}
