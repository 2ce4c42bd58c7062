//! The job system when worker processes die, stop, or run side by side: the real
//! `onboard-worker` binary as child processes, around an api and a database the test owns
//! (PostgreSQL and Redis when `TEST_DATABASE_URL` / `TEST_REDIS_URL` are set, else the
//! embedded SQLite data and queue shared by the processes).

use std::{collections::BTreeMap, time::Duration};

use onboard_shared::{
    entities::{analysis_run, maintenance_run},
    jobs::Trigger,
    maintenance::MaintenanceStatus,
    runs::RunStatus,
};
use onboard_tests::{DEADLINE, TestApp, TestSite, require_servers, site::company_site};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::{process::Child, time::Instant};
use uuid::Uuid;

const WORKER: &str = env!("CARGO_BIN_EXE_onboard-worker");

/// Polls `check` every 50 ms until it returns `Some`, failing the test at `deadline`.
async fn wait_for<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = Instant::now() + deadline;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn run_row(app: &TestApp, id: i64) -> analysis_run::Model {
    analysis_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the run exists")
}

/// The pid in a lease owner (`host-pid-suffix:token`).
fn owner_pid(owner: &str) -> u32 {
    let worker = owner.split(':').next().unwrap_or_default();
    let mut parts = worker.rsplit('-');
    parts.next();
    parts
        .next()
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid in lease owner {owner:?}"))
}

/// Waits until the run is crawling (a page crawled) and returns the pid holding its lease.
async fn crawling_owner(app: &TestApp, id: i64) -> u32 {
    wait_for("the crawl to start", DEADLINE, || async {
        let run = run_row(app, id).await;
        (run.status == RunStatus::Running && run.pages_crawled >= 1)
            .then(|| run.lease_owner.as_deref().map(owner_pid))
            .flatten()
    })
    .await
}

async fn finished(app: &TestApp, id: i64) -> analysis_run::Model {
    wait_for("the run to finish", DEADLINE * 2, || async {
        let run = run_row(app, id).await;
        (!run.status.is_active()).then_some(run)
    })
    .await
}

/// An app (api only) whose analyses crawl a slow site: 10 pages of 400 ms, one at a time.
async fn slow_analysis_app(extra: &[(&str, &str)]) -> (TestApp, TestSite) {
    let site = TestSite::serve_slow(company_site(10), Duration::from_millis(400)).await;
    let mut builder = TestApp::builder()
        .without_worker()
        .var("ONBOARD_CRAWL_CONCURRENCY", "1")
        .var("ONBOARD_CLEANUP_CRON", "off");
    for (name, value) in extra {
        builder = builder.var(name, *value);
    }
    (builder.spawn().await, site)
}

async fn start(app: &TestApp, site: &TestSite) -> (Uuid, i64) {
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    (guest, app.start_analysis(guest).await)
}

fn sigterm(child: &Child) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_survives_kill_9_with_a_second_worker_running() {
    // A short stuck threshold and a monitor every second: the dead worker's run is reset
    // within seconds whichever way its job comes back.
    let (app, site) = slow_analysis_app(&[
        ("ONBOARD_STUCK_THRESHOLD_SECS", "3"),
        ("ONBOARD_MONITOR_CRON", "* * * * * *"),
    ])
    .await;
    let mut first = app.spawn_worker_process(WORKER, "first", &[]);
    let (_, id) = start(&app, &site).await;
    assert_eq!(crawling_owner(&app, id).await, first.id().unwrap());
    let mut second = app.spawn_worker_process(WORKER, "second", &[]);
    first.kill().await.expect("kill -9");

    let run = finished(&app, id).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.pages_crawled, 11, "{run:?}");
    assert!(
        second.try_wait().unwrap().is_none(),
        "the second worker is still up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_survives_kill_9_of_its_only_worker_when_it_is_restarted() {
    let (app, site) = slow_analysis_app(&[
        ("ONBOARD_STUCK_THRESHOLD_SECS", "3"),
        ("ONBOARD_MONITOR_CRON", "* * * * * *"),
    ])
    .await;
    let mut worker = app.spawn_worker_process(WORKER, "before", &[]);
    let (_, id) = start(&app, &site).await;
    assert_eq!(crawling_owner(&app, id).await, worker.id().unwrap());
    worker.kill().await.expect("kill -9");
    let _restarted = app.spawn_worker_process(WORKER, "after", &[]);

    let run = finished(&app, id).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.pages_crawled, 11, "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_releases_the_lease_to_another_worker_at_once() {
    // The stuck threshold is far away: only the release can hand the run over in time.
    let (app, site) = slow_analysis_app(&[("ONBOARD_SHUTDOWN_GRACE_SECS", "1")]).await;
    let mut workers = [
        app.spawn_worker_process(WORKER, "a", &[]),
        app.spawn_worker_process(WORKER, "b", &[]),
    ];
    let (_, id) = start(&app, &site).await;
    let owner = crawling_owner(&app, id).await;
    let index = workers
        .iter()
        .position(|w| w.id() == Some(owner))
        .expect("one of ours holds the run");
    let other = workers[1 - index].id().unwrap();
    sigterm(&workers[index]);

    let handed_over = Instant::now();
    wait_for(
        "the other worker to take the run",
        Duration::from_secs(15),
        || async {
            let run = run_row(&app, id).await;
            (run.lease_owner.as_deref().map(owner_pid) == Some(other)).then_some(())
        },
    )
    .await;
    assert!(handed_over.elapsed() < Duration::from_secs(15));
    let exit = tokio::time::timeout(DEADLINE, workers[index].wait())
        .await
        .expect("the stopped worker exits")
        .unwrap();
    assert!(
        exit.success(),
        "{exit:?}: {}",
        app.worker_log(["a", "b"][index])
    );

    let run = finished(&app, id).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.retry_count, 0, "a release is not a failure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_run_each_schedule_slot_exactly_once() {
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_MONITOR_CRON", "* * * * * *")
        .var("ONBOARD_CLEANUP_CRON", "* * * * * *")
        .spawn()
        .await;
    let mut workers = [
        app.spawn_worker_process(WORKER, "a", &[]),
        app.spawn_worker_process(WORKER, "b", &[]),
    ];
    // Ten seconds of slots of both kinds, each run to its end.
    let slots = |rows: &[maintenance_run::Model], kind: &str| {
        let mut by_slot: BTreeMap<String, usize> = BTreeMap::new();
        for row in rows
            .iter()
            .filter(|r| r.kind.as_str() == kind && r.trigger == Trigger::Cron)
        {
            *by_slot
                .entry(row.slot.clone().expect("a cron run has its slot"))
                .or_default() += 1;
        }
        by_slot
    };
    let rows = wait_for("ten finished slots of each kind", DEADLINE, || async {
        let rows = maintenance_run::Entity::find().all(&app.db).await.unwrap();
        let done = |kind: &str| {
            rows.iter()
                .filter(|r| r.kind.as_str() == kind && r.status == MaintenanceStatus::Succeeded)
                .count()
        };
        (done("monitor") >= 10 && done("cleanup") >= 10).then_some(rows)
    })
    .await;
    for worker in &mut workers {
        assert!(worker.try_wait().unwrap().is_none(), "a worker exited");
        worker.kill().await.unwrap();
    }

    for kind in ["monitor", "cleanup"] {
        let by_slot = slots(&rows, kind);
        assert!(by_slot.len() >= 10, "{kind}: {by_slot:?}");
        assert!(
            by_slot.values().all(|&n| n == 1),
            "{kind}: a slot ran twice: {by_slot:?}"
        );
        // Every second between the first and the last slot has its run: none was skipped.
        let times: Vec<chrono::DateTime<chrono::Utc>> = by_slot
            .keys()
            .map(|s| s.parse().expect("slot is a time"))
            .collect();
        let span = (*times.last().unwrap() - times[0]).num_seconds() + 1;
        assert_eq!(
            span as usize,
            times.len(),
            "{kind}: slots skipped: {by_slot:?}"
        );
    }
    let unfinished: Vec<_> = maintenance_run::Entity::find()
        .filter(maintenance_run::Column::Status.eq("running"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(
        unfinished.len() <= 2,
        "only the runs the kill interrupted may be left: {unfinished:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL; --include-ignored)"]
async fn every_run_finishes_after_the_queue_namespace_is_flushed() {
    require_servers();
    let (app, site) = slow_analysis_app(&[
        ("ONBOARD_ANALYSIS_CONCURRENCY", "1"),
        ("ONBOARD_STUCK_THRESHOLD_SECS", "3"),
        ("ONBOARD_QUEUE_LOST_AFTER_SECS", "2"),
        ("ONBOARD_MONITOR_CRON", "* * * * * *"),
    ])
    .await;
    let _workers = [
        app.spawn_worker_process(WORKER, "a", &[]),
        app.spawn_worker_process(WORKER, "b", &[]),
    ];
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(start(&app, &site).await.1);
    }
    // Two running (one per worker) and three waiting in the queue: then the queue goes.
    wait_for("two runs crawling", DEADLINE, || async {
        let mut running = 0;
        for id in &ids {
            let run = run_row(&app, *id).await;
            running += usize::from(run.status == RunStatus::Running && run.pages_crawled >= 1);
        }
        (running == 2).then_some(())
    })
    .await;
    app.queue.purge().await.expect("flush the namespace");

    for id in ids {
        let run = finished(&app, id).await;
        assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
        assert_eq!(run.pages_crawled, 11, "{run:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL; --include-ignored)"]
async fn a_backlog_of_twenty_thousand_runs_drains_with_no_worker_exiting() {
    use onboard_shared::entities::guest_session;
    use sea_orm::{ActiveValue::Set, PaginatorTrait};

    // The fetch limit it guards against is apalis-redis's.
    require_servers();
    const RUNS: usize = 20_000;
    // Each run fails at once (its domain resolves to an address the crawler refuses), so
    // the test measures the queue, not the crawl.
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_CRAWL_HOSTS", "inside.test=127.0.0.2")
        .var("ONBOARD_ANALYSIS_CONCURRENCY", "16")
        .var("ONBOARD_MONITOR_CRON", "off")
        .var("ONBOARD_CLEANUP_CRON", "off")
        .spawn()
        .await;
    let guest = app.create_guest().await;
    app.set_domain(guest, "inside.test").await;
    let first = run_row(&app, app.start_analysis(guest).await).await;

    let now = chrono::Utc::now();
    let template = run_row(&app, first.id).await;
    for chunk in 0..(RUNS - 1).div_ceil(1000) {
        let n = 1000.min(RUNS - 1 - chunk * 1000);
        let guests: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
        guest_session::Entity::insert_many(guests.iter().map(|uuid| {
            let mut guest = guest_session::ActiveModel::new_guest(
                *uuid,
                now,
                Duration::from_secs(7 * 24 * 3600),
                serde_json::json!({}),
            );
            guest.onboarding_domain = Set(Some("inside.test".into()));
            guest
        }))
        .exec(&app.db)
        .await
        .unwrap();
        analysis_run::Entity::insert_many(guests.iter().map(|uuid| {
            let mut run: analysis_run::ActiveModel = template.clone().into();
            run.id = sea_orm::ActiveValue::NotSet;
            run.guest_uuid = Set(*uuid);
            run.pushed_at = Set(None);
            run.queued_at = Set(now);
            run
        }))
        .exec(&app.db)
        .await
        .unwrap();
    }

    let mut workers = [
        app.spawn_worker_process(WORKER, "a", &[]),
        app.spawn_worker_process(WORKER, "b", &[]),
    ];
    let queued = || async {
        analysis_run::Entity::find()
            .filter(
                analysis_run::Column::Status
                    .is_in([RunStatus::Queued.as_str(), RunStatus::Running.as_str()]),
            )
            .count(&app.db)
            .await
            .unwrap()
    };
    let (started, until) = (Instant::now(), Instant::now() + Duration::from_secs(600));
    let mut most_waiting = 0;
    while queued().await > 0 {
        most_waiting = most_waiting.max(
            app.queue
                .waiting::<onboard_shared::jobs::AnalysisJob>()
                .await
                .unwrap(),
        );
        assert!(Instant::now() < until, "the backlog did not drain");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("{RUNS} runs drained in {:?}", started.elapsed());
    assert!(
        most_waiting <= onboard_shared::runs::admission::MAX_ADMITTED,
        "the queue held {most_waiting} waiting jobs"
    );
    let failed = analysis_run::Entity::find()
        .filter(analysis_run::Column::Status.eq("failed"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(failed as usize, RUNS, "every run reached its end");
    for (worker, name) in workers.iter_mut().zip(["a", "b"]) {
        assert!(worker.try_wait().unwrap().is_none(), "worker {name} exited");
        let log = app.worker_log(name);
        assert!(
            !log.contains("worker stopped"),
            "worker {name} had a pool stop: {log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_process_exports_its_metrics_on_its_own_port() {
    let site = TestSite::serve(company_site(3)).await;
    let app = TestApp::builder().without_worker().spawn().await;
    let _worker = app.spawn_worker_process(WORKER, "metrics", &[]);
    let (_, id) = start(&app, &site).await;
    let run = finished(&app, id).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");

    let address = wait_for("the metrics address in the log", DEADLINE, || async {
        let log = app.worker_log("metrics");
        log.split("metrics listening on http://")
            .nth(1)
            .and_then(|rest| rest.split("/metrics").next())
            .map(str::to_owned)
    })
    .await;
    let text = wait_for("the job counted", DEADLINE, || async {
        let text = reqwest::get(format!("http://{address}/metrics"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.contains(r#"onboard_jobs_total{queue="analysis",outcome="ok"} 1"#)
            .then_some(text)
    })
    .await;
    for series in [
        "onboard_pages_crawled_total 4",
        r#"onboard_job_duration_seconds_count{queue="analysis"} 1"#,
        r#"onboard_queue_jobs{queue="analysis",state="waiting"} 0"#,
        "onboard_bytes_fetched_total",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(series)),
            "{series}: {text}"
        );
    }
    let health = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_survives_kill_9_of_the_worker_sending_it() {
    use onboard_shared::{
        entities::{webhook_delivery, webhook_endpoint::Format},
        webhooks::{EventType, endpoints},
    };
    use onboard_tests::receiver::{Receiver, Reply};

    let (app, site) = slow_analysis_app(&[
        ("ONBOARD_WEBHOOK_ALLOW_CIDRS", "127.0.0.1/32"),
        ("ONBOARD_WEBHOOK_TIMEOUT_SECS", "5"),
    ])
    .await;
    let receiver = Receiver::start().await;
    // The first attempt is held unanswered: the worker making it dies meanwhile.
    receiver.plan([Reply::Slow(Duration::from_secs(60))]);
    let endpoint = endpoints::create(
        &app.db,
        endpoints::NewEndpoint {
            url: receiver.url("/hook"),
            description: String::new(),
            event_types: vec![EventType::AnalysisSucceeded],
            format: Format::Standard,
            enabled: true,
        },
    )
    .await
    .unwrap();
    let mut first = app.spawn_worker_process(WORKER, "first", &[]);
    let (_, id) = start(&app, &site).await;
    // The run's end and its event commit together, in the worker that is then killed.
    assert_eq!(finished(&app, id).await.status, RunStatus::Succeeded);
    receiver.wait_for(1, DEADLINE).await;
    first.kill().await.expect("kill -9");

    let _second = app.spawn_worker_process(WORKER, "second", &[]);
    let received = receiver.wait_for(2, DEADLINE).await;
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id"),
        "the retry is the same message"
    );
    assert_eq!(received[1].json()["data"]["runId"], id);
    let delivery = wait_for("the delivery to be recorded", DEADLINE, || async {
        let rows = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
            .all(&app.db)
            .await
            .unwrap();
        rows.into_iter()
            .find(|d| d.status == webhook_delivery::DeliveryStatus::Delivered)
    })
    .await;
    assert_eq!(delivery.attempts, 2);
}
