//! The progress poll from memory: cached per guest, refreshed by a progress notice from any
//! process, and never stale past one.

use std::time::{Duration, Instant};

use onboard_shared::{JobQueue, entities::analysis_run, progress_feed::Notice, runs::RunStatus};
use onboard_tests::{TestApp, require_servers};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

/// A guest whose queued run the api has polled (so it holds the guest in memory), and whose
/// run the database then says is running, a write nobody announced.
async fn polled_while_queued(app: &TestApp) -> uuid::Uuid {
    let guest = app.create_guest().await;
    app.set_domain(guest, "acme.example").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.queue.progress_feed().is_live() {
        assert!(Instant::now() < deadline, "the api never heard notices");
        tokio::task::yield_now().await;
    }
    let mut notices = app.queue.progress_feed().subscribe();
    let run_id = app.start_analysis(guest).await;
    // The start's own notice comes round through the feed: a poll whose read it overtakes
    // keeps nothing, so the api holds the guest only after a poll that follows the notice.
    tokio::time::timeout(Duration::from_secs(10), async {
        while notices.recv().await.ok() != Some(Notice::Guest(guest)) {}
    })
    .await
    .expect("the start's notice came round");
    for _ in 0..2 {
        assert_eq!(app.progress(guest).await["status"], "queued");
    }
    analysis_run::Entity::update_many()
        .col_expr(
            analysis_run::Column::Status,
            Expr::value(RunStatus::Running),
        )
        .filter(analysis_run::Column::Id.eq(run_id))
        .exec(&app.db)
        .await
        .unwrap();
    guest
}

/// Polls until the guest's run shows as running, failing the test after `within`.
async fn polls_running(app: &TestApp, guest: uuid::Uuid, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let status = app.progress(guest).await["status"].clone();
        if status == "running" {
            return;
        }
        assert!(Instant::now() < deadline, "still {status} after the notice");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poll_is_served_from_memory_until_a_notice_from_another_process() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = polled_while_queued(&app).await;

    // A write that nobody announces is not seen: the poll did not go to the database.
    assert_eq!(app.progress(guest).await["status"], "queued");

    // Announced the way a worker does, from its own connection when the queue is Redis
    // (in-process when embedded, where the worker shares the api's process).
    let worker_queue = match app.queue.kind() {
        "redis" => JobQueue::connect(&app.config).await.unwrap(),
        _ => app.queue.clone(),
    };
    worker_queue.progress_feed().guest(guest).await;
    polls_running(&app, guest, Duration::from_secs(3)).await;
}

/// A notice sends the guest's entry to the database in the background: the polls meanwhile
/// are answered as before, not held up by that read. With the database away they still are
/// (for a few seconds), and the change is seen once the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL; --include-ignored)"]
async fn a_notice_does_not_hold_the_poll_up_on_the_database() {
    require_servers();
    let app = TestApp::builder().without_worker().proxied().spawn().await;
    let guest = polled_while_queued(&app).await;

    // Announced from another connection, the way a worker process does.
    let worker_queue = JobQueue::connect(&app.config).await.unwrap();
    let database = &app.proxies[0];
    database.cut();
    worker_queue.progress_feed().guest(guest).await;
    // Without the cache's background read, this poll would wait for a connection and
    // answer 503.
    for _ in 0..5 {
        assert_eq!(app.progress(guest).await["status"], "queued");
    }

    database.restore();
    worker_queue.progress_feed().guest(guest).await;
    polls_running(&app, guest, Duration::from_secs(10)).await;
}
