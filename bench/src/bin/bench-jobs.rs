//! The job system under measurement: how soon a queued analysis starts, idle and under a
//! steady load, and how fast a 20,000-run backlog drains, through the production path (the
//! api's `runs::start::create` + `runs::admission::enqueue`, admission, the worker's pools and lease claim).
//! With `redis`, a bare apalis worker draining no-op jobs from the same Redis is measured in
//! the same run as the reference. Prints one JSON object.
//!
//! Usage: bench-jobs redis|sqlite. `redis` uses PostgreSQL (`BENCH_DATABASE_URL`, a fresh
//! database made and dropped there) and Redis (`BENCH_REDIS_URL`, its own key prefix).
//!
//! Two drains of ours: analysis runs through the whole production path (admission, lease
//! claim, progress writes; each run fails at Domain Validation at once because its domain
//! resolves to an address the crawler refuses, so no network), and jobs that each do one
//! database write, through a pool built with our queue settings (batch size, poll interval,
//! concurrency, timeout): the workload the issue compares with the bare worker.

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, bail};
use apalis::prelude::*;
use apalis_redis::RedisStorage;
use chrono::Utc;
use onboard_shared::{
    Config, JobQueue,
    entities::{analysis_run, guest_session, site},
    runs,
    runs::RunStatus,
};
use onboard_worker::{JobContext, runner};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

const IDLE_SAMPLES: usize = 100;
const LOAD_RATE_PER_SEC: u64 = 100;
/// `BENCH_LOAD_SECS` and `BENCH_BACKLOG` override these, for quick trials.
const LOAD_SECS: u64 = 15;
const BACKLOG: usize = 20_000;
/// The bare reference stays under the ~8,000 due jobs that stop apalis-redis's fetch script
/// (see docs/architecture.md, §3); its rate is jobs per second all the same.
const BARE_BACKLOG: usize = 7_000;
const DOMAIN: &str = "inside.test";

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let backend = std::env::args().nth(1).unwrap_or_else(|| "sqlite".into());
    let id = Uuid::new_v4().simple().to_string()[..12].to_owned();
    let data_dir = std::env::temp_dir().join(format!("onboard-bench-jobs-{id}"));
    let prefix = format!("onboard-bench-{id}");
    let mut vars = vec![
        (
            "ONBOARD_DATA_DIR".to_owned(),
            data_dir.display().to_string(),
        ),
        ("ONBOARD_QUEUE_PREFIX".to_owned(), prefix.clone()),
        (
            "ONBOARD_CRAWL_HOSTS".to_owned(),
            format!("{DOMAIN}=127.0.0.2"),
        ),
        ("ONBOARD_MONITOR_CRON".to_owned(), "off".to_owned()),
        ("ONBOARD_CLEANUP_CRON".to_owned(), "off".to_owned()),
        ("ONBOARD_SHUTDOWN_GRACE_SECS".to_owned(), "1".to_owned()),
    ];
    let mut pg = None;
    let redis_url = match backend.as_str() {
        "redis" => {
            let admin_url = env_or(
                "BENCH_DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/test",
            );
            let redis_url = env_or("BENCH_REDIS_URL", "redis://127.0.0.1:6379");
            let name = format!("onboard_bench_{id}");
            let admin = Database::connect(&admin_url).await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await?;
            let mut url = url::Url::parse(&admin_url)?;
            url.set_path(&name);
            vars.push(("DATABASE_URL".into(), url.to_string()));
            vars.push(("REDIS_URL".into(), redis_url.clone()));
            pg = Some((admin, name));
            Some(redis_url)
        }
        "sqlite" => None,
        other => bail!("usage: bench-jobs redis|sqlite (not {other:?})"),
    };
    // Settings under trial (`ONBOARD_ANALYSIS_CONCURRENCY=16 bench-jobs redis`), but never
    // where the bench keeps its own data.
    vars.extend(std::env::vars().filter(|(k, _)| {
        k.starts_with("ONBOARD_") && k != "ONBOARD_DATA_DIR" && k != "ONBOARD_QUEUE_PREFIX"
    }));
    let config = Arc::new(Config::from_vars(vars)?);
    let (db, queue) = onboard_shared::connect(&config).await?;
    let site_id = site::Entity::insert(site::ActiveModel {
        domain: Set(DOMAIN.into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(&db)
    .await?
    .last_insert_id;

    let measured = measure(&db, &queue, &config, site_id, redis_url.as_deref(), &prefix).await;

    queue.purge().await.ok();
    drop(queue);
    db.close().await.ok();
    if let Some((admin, name)) = pg {
        admin
            .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .await
            .ok();
    }
    std::fs::remove_dir_all(&data_dir).ok();

    let mut out = measured?;
    out["backend"] = backend.into();
    out["concurrency"] = config.jobs.analysis_concurrency.into();
    out["poll_ms"] = (config.jobs.poll_interval.as_millis() as u64).into();
    println!("{out}");
    Ok(())
}

/// Drains of one-write jobs and of the bare reference alternate, so both see the same
/// machine; each figure is the median of its rounds.
const ROUNDS: usize = 3;

async fn measure(
    db: &DatabaseConnection,
    queue: &JobQueue,
    config: &Arc<Config>,
    site_id: i64,
    redis_url: Option<&str>,
    prefix: &str,
) -> anyhow::Result<serde_json::Value> {
    let (mut ours, runs) = measure_pickup(db, queue, config, site_id).await?;
    let bare = match redis_url {
        Some(url) => Some(Bare::connect(url, prefix, config).await?),
        None => None,
    };
    let (mut one_write, mut reference) = (Vec::new(), Vec::new());
    let (mut drained, mut writing) = (Duration::ZERO, Duration::ZERO);
    for round in 0..ROUNDS {
        let drain = measure_one_write(db, queue, config, round).await?;
        drained += drain.seconds;
        writing += drain.writing;
        one_write.push(BARE_BACKLOG as f64 / drain.seconds.as_secs_f64());
        if let Some(bare) = &bare {
            reference.push(bare.drain().await?);
        }
    }
    ours["drain"] = measure_drain(db, queue, config, site_id, runs).await?;
    let one_write = median(one_write);
    let mut out = serde_json::json!({
        "ours": ours,
        "one_write_drain": {
            "jobs": BARE_BACKLOG,
            "rounds": ROUNDS,
            "per_sec": one_write,
            // Where the time goes: the mean write, and how many of the pool's slots were
            // inside the handler on average (the rest wait for the backend to hand a job).
            "mean_write_ms": writing.as_secs_f64() * 1000.0 / (ROUNDS * BARE_BACKLOG) as f64,
            "mean_busy_slots": writing.as_secs_f64() / drained.as_secs_f64(),
        },
    });
    if let Some(bare) = &bare {
        let reference = median(reference);
        out["bare"] = serde_json::json!({
            "idle": summary(bare.idle().await?),
            "drain": {"jobs": BARE_BACKLOG, "rounds": ROUNDS, "per_sec": reference},
        });
        out["ratio_one_write_to_bare"] = (one_write / reference).into();
        out["ratio_analysis_to_bare"] =
            (out["ours"]["drain"]["per_sec"].as_f64().unwrap_or(0.0) / reference).into();
    }
    Ok(out)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// A worker process's pools, in this process, until stopped.
struct Worker {
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<()>,
}

impl Worker {
    fn start(
        db: &DatabaseConnection,
        queue: &JobQueue,
        config: &Arc<Config>,
    ) -> anyhow::Result<Self> {
        let ctx = Arc::new(JobContext::new(db.clone(), queue.clone(), config.clone())?);
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            let signal = async move {
                stopped.await.ok();
            };
            if let Err(error) = runner::run(ctx, signal).await {
                eprintln!("worker: {error}");
            }
        });
        Ok(Self { stop, done })
    }

    async fn stop(self) {
        self.stop.send(()).ok();
        self.done.await.ok();
    }
}

/// Pickup times of analysis runs, idle and under load; also how many runs that made.
async fn measure_pickup(
    db: &DatabaseConnection,
    queue: &JobQueue,
    config: &Arc<Config>,
    site_id: i64,
) -> anyhow::Result<(serde_json::Value, u64)> {
    let worker = Worker::start(db, queue, config)?;

    // Idle: one run at a time, each started and finished before the next is queued.
    let idle_samples = sized("BENCH_IDLE", IDLE_SAMPLES);
    let mut idle = Vec::with_capacity(idle_samples);
    for i in 0..idle_samples {
        tokio::time::sleep(jitter(i)).await;
        let run = start_run(db, queue, site_id).await?;
        wait_until_settled(db, queue, Duration::from_secs(30)).await?;
        idle.push(pickup_ms(db, &[run]).await?[0]);
    }

    // Steady load: runs queued at a fixed rate, as the api would queue them.
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / LOAD_RATE_PER_SEC as u32);
    let mut loaded = Vec::new();
    let until =
        Instant::now() + Duration::from_secs(sized("BENCH_LOAD_SECS", LOAD_SECS as usize) as u64);
    while Instant::now() < until {
        ticker.tick().await;
        loaded.push(start_run(db, queue, site_id).await?);
    }
    wait_until_settled(db, queue, Duration::from_secs(120)).await?;
    let load = pickup_ms(db, &loaded).await?;
    worker.stop().await;

    Ok((
        serde_json::json!({
            "idle": summary(idle),
            "load": summary(load),
            "load_rate_per_sec": LOAD_RATE_PER_SEC,
        }),
        (idle_samples + loaded.len()) as u64,
    ))
}

/// A backlog queued while no worker runs, as rows (admission pushes them), drained.
/// `earlier` runs are finished already.
async fn measure_drain(
    db: &DatabaseConnection,
    queue: &JobQueue,
    config: &Arc<Config>,
    site_id: i64,
    earlier: u64,
) -> anyhow::Result<serde_json::Value> {
    let backlog_size = sized("BENCH_BACKLOG", BACKLOG);
    backlog(db, site_id, backlog_size).await?;
    let started = Instant::now();
    let worker = Worker::start(db, queue, config)?;
    wait_until_settled(db, queue, Duration::from_secs(1200)).await?;
    let seconds = started.elapsed().as_secs_f64();
    worker.stop().await;
    let failed = analysis_run::Entity::find()
        .filter(analysis_run::Column::Status.eq(RunStatus::Failed))
        .count(db)
        .await?;
    let total = earlier + backlog_size as u64;
    if failed != total {
        bail!("{failed} of {total} runs reached the expected failure");
    }
    Ok(
        serde_json::json!({"jobs": backlog_size, "seconds": seconds, "per_sec": backlog_size as f64 / seconds}),
    )
}

/// A pause of 50-250 ms before an idle sample, so pushes land at every phase of the
/// workers' polling rather than just after a fetch (when apalis polls again at once).
fn jitter(sample: usize) -> Duration {
    Duration::from_millis(50 + (sample as u64 * 73) % 200)
}

fn sized(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the api does when a guest starts an analysis.
async fn start_run(db: &DatabaseConnection, queue: &JobQueue, site_id: i64) -> anyhow::Result<i64> {
    let guest = Uuid::new_v4();
    guest_session::Entity::insert(guest_row(guest))
        .exec(db)
        .await?;
    let run = runs::start::create(db, site_id, guest, None).await?;
    runs::admission::enqueue(db, queue, &run, usize::MAX).await?;
    Ok(run.id)
}

fn guest_row(uuid: Uuid) -> guest_session::ActiveModel {
    let mut guest = guest_session::ActiveModel::new_guest(
        uuid,
        Utc::now(),
        Duration::from_secs(7 * 24 * 3600),
        serde_json::json!({}),
    );
    guest.onboarding_domain = Set(Some(DOMAIN.into()));
    guest
}

/// Inserts `count` queued runs, not pushed, in batches.
async fn backlog(db: &DatabaseConnection, site_id: i64, count: usize) -> anyhow::Result<()> {
    let template = runs::start::create(
        db,
        site_id,
        {
            let guest = Uuid::new_v4();
            guest_session::Entity::insert(guest_row(guest))
                .exec(db)
                .await?;
            guest
        },
        None,
    )
    .await?;
    let mut left = count - 1;
    while left > 0 {
        let n = left.min(1000);
        let guests: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
        guest_session::Entity::insert_many(guests.iter().map(|g| guest_row(*g)))
            .exec(db)
            .await?;
        analysis_run::Entity::insert_many(guests.iter().map(|g| {
            let mut run: analysis_run::ActiveModel = template.clone().into();
            run.id = sea_orm::ActiveValue::NotSet;
            run.guest_uuid = Set(*g);
            run.queued_at = Set(Utc::now());
            run
        }))
        .exec(db)
        .await?;
        left -= n;
    }
    Ok(())
}

/// Polls until no run is queued or running.
async fn wait_until_settled(
    db: &DatabaseConnection,
    queue: &JobQueue,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    let verbose = std::env::var("BENCH_VERBOSE").is_ok();
    loop {
        let active = analysis_run::Entity::find()
            .filter(analysis_run::Column::Status.is_in(RunStatus::ACTIVE))
            .count(db)
            .await?;
        if active == 0 {
            return Ok(());
        }
        if verbose {
            let waiting = queue
                .waiting::<onboard_shared::jobs::AnalysisJob>()
                .await
                .unwrap_or(0);
            eprintln!("active {active}, waiting in the queue {waiting}");
        }
        if Instant::now() > deadline {
            bail!("{active} runs still active after {limit:?}");
        }
        // Often enough to time a drain to a few tenths of a percent, rarely enough that
        // counting does not load the database under measurement.
        tokio::time::sleep(Duration::from_millis(if verbose { 500 } else { 20 })).await;
    }
}

/// Milliseconds from queued to claimed (`started_at`), per run.
async fn pickup_ms(db: &DatabaseConnection, ids: &[i64]) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        for run in analysis_run::Entity::find()
            .filter(analysis_run::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            let started = run.started_at.context("a run was never claimed")?;
            out.push((started - run.queued_at).num_microseconds().unwrap_or(0) as f64 / 1000.0);
        }
    }
    Ok(out)
}

fn summary(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    serde_json::json!({"n": ms.len(), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0)})
}

/// A job of ours that does one database write.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Touch {
    run_id: i64,
}

impl onboard_shared::jobs::Job for Touch {
    const NAME: &'static str = "bench-touch";
}

#[derive(Clone)]
struct TouchContext {
    db: DatabaseConnection,
    /// Each job's time in its write.
    seen: mpsc::UnboundedSender<Duration>,
}

async fn touch(job: Touch, ctx: Data<TouchContext>) -> Result<(), BoxDynError> {
    let started = Instant::now();
    analysis_run::Entity::update_many()
        .col_expr(
            analysis_run::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(analysis_run::Column::Id.eq(job.run_id))
        .exec(&ctx.db)
        .await?;
    ctx.seen.send(started.elapsed()).ok();
    Ok(())
}

/// Drains [`BARE_BACKLOG`] one-write jobs, pushed as admission pushes, through a pool built
/// as `onboard_worker::runner` builds its pools (same storage settings and builder chain).
async fn measure_one_write(
    db: &DatabaseConnection,
    queue: &JobQueue,
    config: &Config,
    round: usize,
) -> anyhow::Result<OneWriteDrain> {
    let ids: Vec<i64> = analysis_run::Entity::find()
        .select_only()
        .column(analysis_run::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    anyhow::ensure!(!ids.is_empty(), "no rows to write to");
    // Each job writes one of the runs there are, in turn.
    let rows: Vec<i64> = ids.iter().copied().cycle().take(BARE_BACKLOG).collect();
    for (n, chunk) in rows.chunks(250).enumerate() {
        queue
            .push_many(
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, &run_id)| (Touch { run_id }, Some(format!("touch:{round}:{n}:{i}"))))
                    .collect(),
            )
            .await?;
    }
    let (seen, mut done) = mpsc::unbounded_channel();
    let ctx = TouchContext {
        db: db.clone(),
        seen,
    };
    let jobs = &config.jobs;
    let name = format!("{}-touch-{}", queue.prefix(), Uuid::new_v4().simple());
    let (poll, timeout, concurrency) = (
        jobs.poll_interval,
        jobs.job_timeout,
        jobs.analysis_concurrency,
    );
    // Under a Monitor, as the worker runs its pools.
    macro_rules! pool {
        ($storage:expr) => {{
            let storage = $storage;
            let monitor = Monitor::new().register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(storage.clone().poll_with_interval(poll))
                    .data(ctx.clone())
                    .concurrency(concurrency)
                    .timeout(timeout)
                    .parallelize(tokio::spawn)
                    .build(touch)
            });
            tokio::spawn(async move { monitor.run().await })
        }};
    }
    let started = Instant::now();
    let running = match queue.kind() {
        "redis" => pool!(queue.redis_storage::<Touch>().context("redis storage")?),
        _ => pool!(queue.sqlite_storage::<Touch>().context("sqlite storage")?),
    };
    let mut writing = Duration::ZERO;
    for _ in 0..rows.len() {
        writing += tokio::time::timeout(Duration::from_secs(60), done.recv())
            .await
            .context("the one-write pool stopped draining")?
            .context("the one-write pool stopped")?;
    }
    let seconds = started.elapsed();
    running.abort();
    Ok(OneWriteDrain { seconds, writing })
}

/// One drain of [`BARE_BACKLOG`] one-write jobs: its time and the jobs' time in their writes.
struct OneWriteDrain {
    seconds: Duration,
    writing: Duration,
}

/// The reference: apalis-redis as its README shows it (default config but the queue name),
/// with the same concurrency and poll interval as ours, and a handler that does nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NoOp {
    pushed_us: u64,
}

async fn no_op(job: NoOp, seen: Data<mpsc::UnboundedSender<u64>>) -> Result<(), BoxDynError> {
    seen.send(now_us().saturating_sub(job.pushed_us)).ok();
    Ok(())
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

struct Bare {
    storage: RedisStorage<NoOp>,
    name: String,
    concurrency: usize,
    poll: Duration,
}

impl Bare {
    async fn connect(redis_url: &str, prefix: &str, config: &Config) -> anyhow::Result<Self> {
        let client = redis::Client::open(redis_url)?;
        let conn = client.get_connection_manager().await?;
        Ok(Self {
            storage: RedisStorage::new(conn)
                .with_config(apalis_redis::Config::default().queue(format!("{prefix}:bare"))),
            name: format!("{prefix}-bare"),
            concurrency: config.jobs.analysis_concurrency,
            poll: config.jobs.poll_interval,
        })
    }

    fn start(&self, seen: mpsc::UnboundedSender<u64>) -> tokio::task::JoinHandle<()> {
        let worker = WorkerBuilder::new(format!("{}-{}", self.name, Uuid::new_v4().simple()))
            .backend(self.storage.clone().poll_with_interval(self.poll))
            .data(seen)
            .concurrency(self.concurrency)
            .build(no_op);
        tokio::spawn(async move {
            worker.run().await.ok();
        })
    }

    /// Milliseconds from push to the handler, one job at a time.
    async fn idle(&self) -> anyhow::Result<Vec<f64>> {
        let (seen, mut picked) = mpsc::unbounded_channel();
        let running = self.start(seen);
        let mut idle = Vec::with_capacity(IDLE_SAMPLES);
        let mut sink = self.storage.clone();
        for i in 0..IDLE_SAMPLES {
            tokio::time::sleep(jitter(i)).await;
            sink.push(NoOp {
                pushed_us: now_us(),
            })
            .await?;
            let us = tokio::time::timeout(Duration::from_secs(30), picked.recv())
                .await
                .context("the bare worker took no job")?
                .context("the bare worker stopped")?;
            idle.push(us as f64 / 1000.0);
        }
        running.abort();
        Ok(idle)
    }

    /// Jobs per second draining [`BARE_BACKLOG`] pushed while no worker runs.
    async fn drain(&self) -> anyhow::Result<f64> {
        let mut sink = self.storage.clone();
        sink.push_bulk(
            (0..BARE_BACKLOG)
                .map(|_| NoOp {
                    pushed_us: now_us(),
                })
                .collect(),
        )
        .await?;
        let (seen, mut picked) = mpsc::unbounded_channel();
        let started = Instant::now();
        let running = self.start(seen);
        for _ in 0..BARE_BACKLOG {
            tokio::time::timeout(Duration::from_secs(60), picked.recv())
                .await
                .context("the bare worker stopped draining")?
                .context("the bare worker stopped")?;
        }
        let seconds = started.elapsed().as_secs_f64();
        running.abort();
        Ok(BARE_BACKLOG as f64 / seconds)
    }
}
