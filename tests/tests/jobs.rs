//! The job system around the analysis: graceful shutdown hands runs over, cleanup and
//! monitor runs record their rows and do their work.

use std::time::Duration;

use chrono::Utc;
use onboard_shared::runs::stale::TIMED_OUT;
use onboard_shared::{
    entities::{analysis_run, crawled_page, event, guest_session, maintenance_run, upload},
    jobs::{MaintenanceKind, Trigger},
    logo_store::{LocalDir, LogoStore},
    maintenance::{self, MaintenanceStatus},
    runs::{self, RunStatus},
};
use onboard_tests::{DEADLINE, TestApp, TestSite, site::company_site};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

/// Polls a maintenance run's row until it has finished.
async fn finished_maintenance(app: &TestApp, id: i64) -> maintenance_run::Model {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let row = maintenance_run::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if row.finished_at.is_some() {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "maintenance run {id} never finished: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn exists(app: &TestApp, guest: Uuid) -> bool {
    guest_session::Entity::find_by_id(guest)
        .one(&app.db)
        .await
        .unwrap()
        .is_some()
}

async fn run_maintenance(app: &TestApp, kind: MaintenanceKind) -> maintenance_run::Model {
    let run = maintenance::enqueue(&app.db, &app.queue, kind, Trigger::Cli, None)
        .await
        .unwrap()
        .expect("run created");
    assert_eq!(run.status, MaintenanceStatus::Queued);
    let done = finished_maintenance(app, run.id).await;
    assert_eq!(done.status, MaintenanceStatus::Succeeded, "{done:?}");
    assert_eq!(done.kind, kind);
    assert_eq!(done.trigger, Trigger::Cli);
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopping_worker_releases_its_run_to_another_worker() {
    // Ten pages of half a second each, one at a time: the crawl outlasts the 2 s grace.
    let site = TestSite::serve_slow(company_site(10), Duration::from_millis(500)).await;
    let mut app = TestApp::builder()
        .var("ONBOARD_CRAWL_CONCURRENCY", "1")
        .spawn()
        .await;
    let first = 0;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let id = app.start_analysis(guest).await;

    let deadline = tokio::time::Instant::now() + DEADLINE;
    let crawling = loop {
        let view = app.progress(guest).await;
        if view["pages"]["crawled"].as_u64().unwrap_or(0) >= 1 {
            break view;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the crawl never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Mid-crawl, the estimate counts the pages still to fetch at the pace so far.
    let estimate = crawling["estimatedTimeRemaining"]
        .as_u64()
        .expect("an estimate while crawling");
    assert!(estimate >= 1, "{crawling}");
    app.stop_worker(first).await;

    let released = analysis_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(released.status, RunStatus::Queued, "{released:?}");
    assert!(released.lease_owner.is_none());
    assert_eq!(released.retry_count, 0, "a release is not a failure");

    // Pages are written as the crawl goes: the first attempt wrote some.
    let written = crawled_page::Entity::find()
        .filter(crawled_page::Column::RunId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    assert!(written >= 1, "pages are written during the crawl");

    app.start_worker();
    let last = app.poll_until_finished(guest).await.pop().unwrap();
    assert_eq!(last["status"], "succeeded", "{last}");
    assert_eq!(last["pages"]["crawled"], 11);
    // The second attempt started over: each page has one row, written whole.
    let rows = crawled_page::Entity::find()
        .filter(crawled_page::Column::RunId.eq(id))
        .all(&app.db)
        .await
        .unwrap();
    let mut urls: Vec<&str> = rows.iter().map(|r| r.url.as_str()).collect();
    urls.sort_unstable();
    let total = urls.len();
    urls.dedup();
    assert_eq!(urls.len(), total, "one row per URL");
    let analysed: Vec<_> = rows.iter().filter(|r| r.main_text.is_some()).collect();
    assert_eq!(analysed.len(), 11);
    assert!(
        analysed
            .iter()
            .all(|r| r.quality_score.is_some() && r.content_hash.is_some())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cleanup_removes_idle_unfinished_guests_and_what_hangs_off_them() {
    let app = TestApp::spawn().await;
    let idle = app.create_guest().await;
    let idle_completed = app.create_guest().await;
    let fresh = app.create_guest().await;
    app.set_domain(idle, "acme.test").await;
    let site = onboard_shared::entities::site::ActiveModel {
        domain: Set("acme.test".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let site = sea_orm::ActiveModelTrait::insert(site, &app.db)
        .await
        .unwrap();
    let run = runs::start::create(&app.db, site.id, idle, None)
        .await
        .unwrap();

    let long_ago = Utc::now() - chrono::Duration::days(8);
    for (guest, completed) in [(idle, None), (idle_completed, Some(long_ago))] {
        guest_session::Entity::update(guest_session::ActiveModel {
            uuid: Set(guest),
            last_activity_at: Set(long_ago),
            onboarding_completed_at: Set(completed),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .unwrap();
    }

    // Logo files: the idle guest's, the fresh guest's, and an old one no row names.
    let logos = LocalDir::for_config(&app.config);
    let mut stored = Vec::new();
    for guest in [idle, fresh] {
        let name = format!("{}.png", Uuid::new_v4());
        logos.put(&name, b"\x89PNG\r\n\x1a\n").await.unwrap();
        sea_orm::ActiveModelTrait::insert(
            upload::ActiveModel {
                guest_uuid: Set(guest),
                kind: Set("floatie".into()),
                stored_name: Set(name.clone()),
                content_type: Set("image/png".into()),
                bytes: Set(8),
                sha256: Set("-".into()),
                created_at: Set(Utc::now()),
                ..Default::default()
            },
            &app.db,
        )
        .await
        .unwrap();
        stored.push(name);
    }
    let orphan = format!("{}.svg", Uuid::new_v4());
    logos.put(&orphan, b"<svg/>").await.unwrap();
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(app.config.data_dir.join("uploads").join(&orphan))
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();

    // Events of the idle guest and of the fresh one.
    let mut events = Vec::new();
    for guest in [idle, fresh] {
        let row = sea_orm::ActiveModelTrait::insert(
            event::ActiveModel {
                event_type: Set("step_navigation".into()),
                guest_uuid: Set(Some(guest)),
                data: Set(serde_json::json!({})),
                created_at: Set(Utc::now()),
                ..Default::default()
            },
            &app.db,
        )
        .await
        .unwrap();
        events.push(row.id);
    }
    // A finished maintenance run past the retention, and one within it.
    let mut history = Vec::new();
    for age in [31, 29] {
        let at = Utc::now() - chrono::Duration::days(age);
        let row = sea_orm::ActiveModelTrait::insert(
            maintenance_run::ActiveModel {
                kind: Set(MaintenanceKind::Monitor),
                trigger: Set(Trigger::Cli),
                slot: Set(None),
                status: Set(MaintenanceStatus::Succeeded),
                report: Set(serde_json::json!({})),
                error_message: Set(None),
                queued_at: Set(at),
                started_at: Set(Some(at)),
                finished_at: Set(Some(at)),
                ..Default::default()
            },
            &app.db,
        )
        .await
        .unwrap();
        history.push(row.id);
    }

    // A finished job the queue keeps, for cleanup to vacuum.
    run_maintenance(&app, MaintenanceKind::Monitor).await;
    app.drain::<onboard_shared::jobs::MonitorJob>().await;

    let done = run_maintenance(&app, MaintenanceKind::Cleanup).await;
    assert_eq!(done.report["guestsDeleted"], 1, "{}", done.report);
    assert!(
        done.report["queueEntriesVacuumed"].as_u64().unwrap() >= 1,
        "{}",
        done.report
    );
    assert!(!exists(&app, idle).await);
    assert!(exists(&app, idle_completed).await);
    assert!(exists(&app, fresh).await);
    assert_eq!(done.report["logoFilesDeleted"], 2, "{}", done.report);
    assert_eq!(done.report["maintenanceRunsPruned"], 1, "{}", done.report);
    let db = &app.db;
    let kept = |id| async move {
        maintenance_run::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .is_some()
    };
    assert!(
        !kept(history[0]).await,
        "history past the retention is pruned"
    );
    assert!(kept(history[1]).await, "history within the retention stays");
    let guest_of = |id| async move {
        event::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .expect("events stay")
            .guest_uuid
    };
    assert_eq!(
        guest_of(events[0]).await,
        None,
        "the deleted guest's link is gone"
    );
    assert_eq!(guest_of(events[1]).await, Some(fresh));
    assert!(
        logos.get(&stored[0]).await.unwrap().is_none(),
        "the idle guest's logo file is gone"
    );
    assert!(
        logos.get(&stored[1]).await.unwrap().is_some(),
        "the fresh guest's logo file stays"
    );
    assert!(
        logos.get(&orphan).await.unwrap().is_none(),
        "an old file no row names is gone"
    );
    assert!(
        analysis_run::Entity::find_by_id(run.id)
            .one(&app.db)
            .await
            .unwrap()
            .is_none(),
        "the idle guest's run went with it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn monitor_resets_a_stuck_run_which_then_completes_and_fails_one_out_of_retries() {
    let site = TestSite::serve(company_site(3)).await;
    let app = TestApp::spawn().await;
    let stale = Utc::now() - chrono::Duration::minutes(20);
    let mut stuck = Vec::new();
    let site_row = onboard_shared::entities::site::ActiveModel {
        domain: Set(site.domain()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let site_id = sea_orm::ActiveModelTrait::insert(site_row, &app.db)
        .await
        .unwrap()
        .id;
    for retries in [0, app.config.jobs.max_retries] {
        let guest = app.create_guest().await;
        app.set_domain(guest, &site.domain()).await;
        // A run whose worker died mid-crawl and whose job the queue no longer holds.
        let run = runs::start::create(&app.db, site_id, guest, None)
            .await
            .unwrap();
        analysis_run::Entity::update(analysis_run::ActiveModel {
            id: Set(run.id),
            status: Set(RunStatus::Running),
            lease_owner: Set(Some("dead-worker:1".into())),
            heartbeat_at: Set(Some(stale)),
            retry_count: Set(retries),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .unwrap();
        stuck.push((guest, run.id));
    }

    let done = run_maintenance(&app, MaintenanceKind::Monitor).await;
    assert_eq!(done.report["runsReset"], 1, "{}", done.report);
    assert_eq!(done.report["runsFailed"], 1, "{}", done.report);
    assert!(done.report["completionRate24h"].is_number());

    let (guest, id) = stuck[0];
    let last = app.poll_until_finished(guest).await.pop().unwrap();
    assert_eq!(last["status"], "succeeded", "{last}");
    let run = analysis_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.retry_count, 1);

    let (guest, _) = stuck[1];
    let last: Value = app.progress(guest).await;
    assert_eq!(last["status"], "failed");
    assert_eq!(last["error"], TIMED_OUT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn monitor_fails_abandoned_maintenance_runs_and_pushes_lost_ones_again() {
    use onboard_shared::maintenance::{INTERRUPTED, SUPERSEDED};
    let app = TestApp::spawn().await;
    let row = |kind: MaintenanceKind, status: MaintenanceStatus, queued_ago: i64| {
        let queued_at = Utc::now() - chrono::Duration::minutes(queued_ago);
        maintenance_run::ActiveModel {
            kind: Set(kind),
            trigger: Set(Trigger::Cron),
            slot: Set(Some(format!("test-{queued_ago}"))),
            status: Set(status),
            report: Set(serde_json::json!({})),
            error_message: Set(None),
            queued_at: Set(queued_at),
            started_at: Set((status == MaintenanceStatus::Running).then_some(queued_at)),
            finished_at: Set(None),
            ..Default::default()
        }
    };
    let insert = |model: maintenance_run::ActiveModel| {
        let db = app.db.clone();
        async move {
            maintenance_run::Entity::insert(model)
                .exec(&db)
                .await
                .unwrap()
                .last_insert_id
        }
    };
    // A cleanup whose worker was killed two hours ago, and two cleanups whose pushes were
    // lost (Redis was away when their slots fired); nothing in the queue for any of them.
    let abandoned = insert(row(
        MaintenanceKind::Cleanup,
        MaintenanceStatus::Running,
        120,
    ))
    .await;
    let older = insert(row(MaintenanceKind::Cleanup, MaintenanceStatus::Queued, 20)).await;
    let newer = insert(row(MaintenanceKind::Cleanup, MaintenanceStatus::Queued, 10)).await;

    let done = run_maintenance(&app, MaintenanceKind::Monitor).await;
    assert_eq!(done.report["maintenanceInterrupted"], 1, "{}", done.report);
    assert_eq!(done.report["maintenanceRepushed"], 1, "{}", done.report);
    assert_eq!(done.report["maintenanceSuperseded"], 1, "{}", done.report);

    let abandoned = finished_maintenance(&app, abandoned).await;
    assert_eq!(abandoned.status, MaintenanceStatus::Failed);
    assert_eq!(abandoned.error_message.as_deref(), Some(INTERRUPTED));
    let older = finished_maintenance(&app, older).await;
    assert_eq!(older.status, MaintenanceStatus::Failed);
    assert_eq!(older.error_message.as_deref(), Some(SUPERSEDED));
    // The newest lost one is delivered and does its work.
    let newer = finished_maintenance(&app, newer).await;
    assert_eq!(newer.status, MaintenanceStatus::Succeeded, "{newer:?}");
    assert!(
        newer.report.get("guestsDeleted").is_some(),
        "{}",
        newer.report
    );
}

/// The harness fails a test that leaves failed jobs behind (so a job failing quietly in
/// the background cannot pass unnoticed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "the test left failed jobs in the queue")]
async fn a_test_that_leaves_a_failed_job_fails() {
    use onboard_shared::jobs::AnalysisJob;
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    // With its table gone, the job's first statement fails, and so does the job.
    app.db
        .execute_unprepared("ALTER TABLE analysis_runs RENAME TO analysis_runs_gone")
        .await
        .unwrap();
    app.queue
        .push(AnalysisJob { run_id: 1 }, None)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while app.failed_job_runs() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the job never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
