//! The queue handle both binaries share: jobs go to apalis-redis when `REDIS_URL` is set,
//! or to the apalis SQLite backend (a file beside the data) by default.
//!
//! The settings here work around apalis's defaults (docs/architecture.md, §3): explicit
//! queue names, short heartbeats so an orphaned
//! job is re-enqueued in seconds rather than minutes, and idempotency keys that only work
//! with a TTL set.

use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_core::backend::Vacuum;
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage};

use crate::{
    config::Config,
    jobs::{self, Job, JobKind},
    progress_feed::ProgressFeed,
};

/// How often a worker tells the backend it is alive.
const BACKEND_HEARTBEAT: Duration = Duration::from_secs(5);
/// Missed heartbeats before a worker's jobs count as orphaned and are re-enqueued (~15 s).
const MISSED_HEARTBEATS: usize = 3;
/// How long a pushed idempotency key blocks a duplicate push.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);
/// Jobs a worker fetches at once; small, so replicas share a burst fairly.
const BATCH_SIZE: usize = 4;

/// Redis answers in milliseconds; while it is away, a command gives up in a few seconds
/// (the default reconnects 6 times over ~9 s, longer than a request may hang).
fn connection_config() -> redis::aio::ConnectionManagerConfig {
    redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(3)))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_millis(500))
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the Redis queue is unavailable")]
    Redis(#[from] apalis_redis::RedisError),
    #[error("the SQLite queue is unavailable")]
    Sqlite(#[from] apalis_sqlite::SqlxError),
    #[error("the data directory for the SQLite queue cannot be made")]
    DataDir(#[source] std::io::Error),
    #[error("the SQLite queue's tables could not be set up")]
    Setup(#[source] BoxError),
    /// The backends' own push and vacuum errors differ; each is kept whole.
    #[error("the queue refused the operation")]
    Backend(#[source] BoxError),
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Jobs of one kind by state. `failed` jobs wait for a retry; `dead` ones are given up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub waiting: u64,
    pub running: u64,
    pub failed: u64,
    pub dead: u64,
}

#[derive(Clone)]
enum Backend {
    Redis(ConnectionManager),
    Sqlite(SqlitePool),
}

/// A cheap-to-clone handle on the deployment's queues.
#[derive(Clone)]
pub struct JobQueue {
    backend: Backend,
    prefix: String,
    /// Progress notices travel with the queue: over Redis, or in-process when embedded.
    feed: ProgressFeed,
}

impl std::fmt::Debug for JobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobQueue")
            .field("backend", &self.kind())
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl JobQueue {
    /// Connects to Redis when configured, else opens (and sets up) the SQLite queue file.
    pub async fn connect(config: &Config) -> Result<Self, QueueError> {
        let mut feed = ProgressFeed::local();
        let backend = match &config.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str())?;
                let conn = client
                    .get_connection_manager_with_config(connection_config())
                    .await?;
                feed = ProgressFeed::redis(client, conn.clone(), &config.queue_prefix);
                Backend::Redis(conn)
            }
            None => {
                std::fs::create_dir_all(&config.data_dir).map_err(QueueError::DataDir)?;
                let options = SqliteConnectOptions::new()
                    .filename(config.data_dir.join("queue.db"))
                    .create_if_missing(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    // As the data file: in WAL mode a crashed process loses no commit; only
                    // a power cut can take back the last ones, and fsync per job is the
                    // embedded queue's bottleneck otherwise.
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await?;
                SqliteStorage::setup(&pool)
                    .await
                    .map_err(|e| QueueError::Setup(e.into()))?;
                Backend::Sqlite(pool)
            }
        };
        Ok(Self {
            backend,
            prefix: config.queue_prefix.clone(),
            feed,
        })
    }

    /// `redis` or `sqlite`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Redis(_) => "redis",
            Backend::Sqlite(_) => "sqlite",
        }
    }

    pub fn progress_feed(&self) -> &ProgressFeed {
        &self.feed
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn queue_name<J: Job>(&self) -> String {
        jobs::queue_name::<J>(&self.prefix)
    }

    /// The Redis storage for a job kind, when the queue is on Redis.
    pub fn redis_storage<J: Job>(&self) -> Option<RedisStorage<J>> {
        let Backend::Redis(conn) = &self.backend else {
            return None;
        };
        let config = apalis_redis::Config::default()
            .queue(self.queue_name::<J>())
            .heartbeat_interval(BACKEND_HEARTBEAT)
            .missed_heartbeats(MISSED_HEARTBEATS)
            .batch_size(BATCH_SIZE)
            .emit_events(false)
            // The run's row lease decides who runs a job; the backend's own lock adds a
            // script call per started job, serialised with fetching, whose `LREM` scans
            // the whole waiting list. Orphans are still rescued from the in-flight sets.
            .lock_tasks(false)
            .idempotency_ttl(Some(IDEMPOTENCY_TTL));
        Some(RedisStorage::new(conn.clone()).with_config(config))
    }

    /// The SQLite storage for a job kind, when the queue is embedded.
    pub fn sqlite_storage<J: Job>(&self) -> Option<SqliteStorage<J>> {
        let Backend::Sqlite(pool) = &self.backend else {
            return None;
        };
        let config = apalis_sqlite::Config::default()
            .queue(self.queue_name::<J>())
            .heartbeat_interval(BACKEND_HEARTBEAT)
            .missed_heartbeats(MISSED_HEARTBEATS)
            .batch_size(BATCH_SIZE);
        Some(SqliteStorage::new(pool).with_config(config))
    }

    /// Pushes a job; a job with the same idempotency key pushed before is not pushed again.
    pub async fn push<J: Job>(
        &self,
        job: J,
        idempotency_key: Option<&str>,
    ) -> Result<(), QueueError> {
        self.push_many(vec![(job, idempotency_key.map(str::to_owned))])
            .await
    }

    /// Pushes jobs in one backend round trip (one script call on Redis, one transaction on
    /// SQLite); each keeps its idempotency key.
    pub async fn push_many<J: Job>(
        &self,
        jobs: Vec<(J, Option<String>)>,
    ) -> Result<(), QueueError> {
        if jobs.is_empty() {
            return Ok(());
        }
        let tasks = jobs.into_iter().map(|(job, key)| {
            let task = TaskBuilder::new(job);
            match key {
                Some(key) => task.idempotency_key(key),
                None => task,
            }
            .build()
        });
        let mut tasks = futures::stream::iter(tasks);
        match &self.backend {
            Backend::Redis(_) => {
                let mut storage = self.redis_storage::<J>().expect("redis backend");
                storage
                    .push_all(&mut tasks)
                    .await
                    .map_err(|e| QueueError::Backend(e.into()))
            }
            Backend::Sqlite(_) => {
                let mut storage = self.sqlite_storage::<J>().expect("sqlite backend");
                storage
                    .push_all(&mut tasks)
                    .await
                    .map_err(|e| QueueError::Backend(e.into()))
            }
        }
    }

    /// Whether the queue backend answers (readiness).
    pub async fn ping(&self) -> Result<(), QueueError> {
        match &self.backend {
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                redis::cmd("PING").query_async::<String>(&mut conn).await?;
            }
            Backend::Sqlite(pool) => {
                sea_orm::sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Removes finished jobs the backend keeps, so the queue does not grow without end.
    pub async fn vacuum<J: Job>(&self) -> Result<usize, QueueError> {
        match &self.backend {
            Backend::Redis(conn) => {
                let mut storage = self.redis_storage::<J>().expect("redis backend");
                let removed = storage
                    .vacuum()
                    .await
                    .map_err(|e| QueueError::Backend(e.into()))?;
                // apalis' vacuum leaves the ids of finished jobs in the done set.
                let mut conn = conn.clone();
                redis::cmd("DEL")
                    .arg(storage.get_config().done_jobs_set())
                    .query_async::<()>(&mut conn)
                    .await?;
                Ok(removed)
            }
            Backend::Sqlite(_) => {
                let mut storage = self.sqlite_storage::<J>().expect("sqlite backend");
                storage
                    .vacuum()
                    .await
                    .map_err(|e| QueueError::Backend(e.into()))
            }
        }
    }

    /// Jobs of a kind waiting to be fetched (due or scheduled), the figure admission bounds.
    pub async fn waiting<J: Job>(&self) -> Result<u64, QueueError> {
        match &self.backend {
            Backend::Redis(conn) => {
                let storage = self.redis_storage::<J>().expect("redis backend");
                let config = storage.get_config();
                let mut conn = conn.clone();
                let (active, scheduled): (u64, u64) = redis::pipe()
                    .cmd("LLEN")
                    .arg(config.active_jobs_list())
                    .cmd("ZCARD")
                    .arg(config.scheduled_jobs_set())
                    .query_async(&mut conn)
                    .await?;
                Ok(active + scheduled)
            }
            Backend::Sqlite(pool) => {
                let (count,): (i64,) = sea_orm::sqlx::query_as(
                    "SELECT COUNT(*) FROM Jobs WHERE job_type = ?1 AND status IN ('Pending', 'Queued')",
                )
                .bind(self.queue_name::<J>())
                .fetch_one(pool)
                .await?;
                Ok(count.max(0) as u64)
            }
        }
    }

    /// Jobs of a kind that are waiting, scheduled or in flight (not yet finished).
    pub async fn outstanding<J: Job>(&self) -> Result<u64, QueueError> {
        match &self.backend {
            Backend::Redis(conn) => {
                let storage = self.redis_storage::<J>().expect("redis backend");
                let config = storage.get_config();
                let mut conn = conn.clone();
                let active: u64 = redis::cmd("LLEN")
                    .arg(config.active_jobs_list())
                    .query_async(&mut conn)
                    .await?;
                let scheduled: u64 = redis::cmd("ZCARD")
                    .arg(config.scheduled_jobs_set())
                    .query_async(&mut conn)
                    .await?;
                let mut in_flight = 0;
                for key in scan(&mut conn, &format!("{}:*", config.inflight_jobs_set())).await? {
                    in_flight += redis::cmd("SCARD")
                        .arg(key)
                        .query_async::<u64>(&mut conn)
                        .await?;
                }
                Ok(active + scheduled + in_flight)
            }
            Backend::Sqlite(pool) => {
                let (count,): (i64,) = sea_orm::sqlx::query_as(
                    "SELECT COUNT(*) FROM Jobs WHERE job_type = ?1 AND status IN ('Pending', 'Queued', 'Running')",
                )
                .bind(self.queue_name::<J>())
                .fetch_one(pool)
                .await?;
                Ok(count as u64)
            }
        }
    }

    /// How many jobs of a kind are in each state, as the backend keeps them.
    pub async fn counts<J: Job>(&self) -> Result<QueueCounts, QueueError> {
        match &self.backend {
            Backend::Redis(conn) => {
                let storage = self.redis_storage::<J>().expect("redis backend");
                let config = storage.get_config();
                let mut conn = conn.clone();
                let (active, scheduled, failed, dead): (u64, u64, u64, u64) = redis::pipe()
                    .cmd("LLEN")
                    .arg(config.active_jobs_list())
                    .cmd("ZCARD")
                    .arg(config.scheduled_jobs_set())
                    .cmd("ZCARD")
                    .arg(config.failed_jobs_set())
                    .cmd("ZCARD")
                    .arg(config.dead_jobs_set())
                    .query_async(&mut conn)
                    .await?;
                let mut running = 0;
                for key in scan(&mut conn, &format!("{}:*", config.inflight_jobs_set())).await? {
                    running += redis::cmd("SCARD")
                        .arg(key)
                        .query_async::<u64>(&mut conn)
                        .await?;
                }
                Ok(QueueCounts {
                    waiting: active + scheduled,
                    running,
                    failed,
                    dead,
                })
            }
            Backend::Sqlite(pool) => {
                let (waiting, running, failed, dead): (i64, i64, i64, i64) =
                    sea_orm::sqlx::query_as(
                        "SELECT \
                           COALESCE(SUM(status IN ('Pending', 'Queued')), 0), \
                           COALESCE(SUM(status = 'Running'), 0), \
                           COALESCE(SUM(status = 'Failed'), 0), \
                           COALESCE(SUM(status = 'Killed'), 0) \
                         FROM Jobs WHERE job_type = ?1",
                    )
                    .bind(self.queue_name::<J>())
                    .fetch_one(pool)
                    .await?;
                let n = |v: i64| v.max(0) as u64;
                Ok(QueueCounts {
                    waiting: n(waiting),
                    running: n(running),
                    failed: n(failed),
                    dead: n(dead),
                })
            }
        }
    }

    /// Every job kind's counts, in the registry's order (a kind whose counts could not be
    /// read carries its error).
    pub async fn counts_by_kind(&self) -> Vec<(JobKind, Result<QueueCounts, QueueError>)> {
        use crate::jobs::{AnalysisJob, CleanupJob, MonitorJob, VerificationJob, WebhookJob};
        vec![
            (JobKind::Analysis, self.counts::<AnalysisJob>().await),
            (JobKind::Cleanup, self.counts::<CleanupJob>().await),
            (JobKind::Monitor, self.counts::<MonitorJob>().await),
            (
                JobKind::Verification,
                self.counts::<VerificationJob>().await,
            ),
            (JobKind::Webhooks, self.counts::<WebhookJob>().await),
        ]
    }

    /// Vacuums every job kind's queue; the finished jobs removed, or each failure.
    pub async fn vacuum_all(&self) -> Vec<Result<usize, QueueError>> {
        use crate::jobs::{AnalysisJob, CleanupJob, MonitorJob, VerificationJob, WebhookJob};
        vec![
            self.vacuum::<AnalysisJob>().await,
            self.vacuum::<CleanupJob>().await,
            self.vacuum::<MonitorJob>().await,
            self.vacuum::<VerificationJob>().await,
            self.vacuum::<WebhookJob>().await,
        ]
    }

    /// Takes the lock `name` for every process sharing this Redis queue, for at most `ttl`;
    /// `None` while another holds it. The token it returns releases it ([`Self::unlock`]).
    /// On SQLite, whose queue has no fetch limit to guard, it is always granted.
    pub async fn try_lock(&self, name: &str, ttl: Duration) -> Result<Option<String>, QueueError> {
        let token = uuid::Uuid::new_v4().to_string();
        let Backend::Redis(conn) = &self.backend else {
            return Ok(Some(token));
        };
        let mut conn = conn.clone();
        let taken: Option<String> = redis::cmd("SET")
            .arg(self.lock_key(name))
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis() as u64)
            .query_async(&mut conn)
            .await?;
        Ok(taken.map(|_| token))
    }

    /// Releases a lock taken by [`Self::try_lock`], unless it expired and another took it.
    pub async fn unlock(&self, name: &str, token: &str) -> Result<(), QueueError> {
        let Backend::Redis(conn) = &self.backend else {
            return Ok(());
        };
        let mut conn = conn.clone();
        redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        )
        .key(self.lock_key(name))
        .arg(token)
        .invoke_async::<i64>(&mut conn)
        .await?;
        Ok(())
    }

    fn lock_key(&self, name: &str) -> String {
        format!("{}:lock:{name}", self.prefix)
    }

    /// Deletes every key under this queue prefix (tests; a Redis namespace of their own).
    pub async fn purge(&self) -> Result<(), QueueError> {
        if let Backend::Redis(conn) = &self.backend {
            let mut conn = conn.clone();
            let keys = scan(&mut conn, &format!("{}:*", self.prefix)).await?;
            for chunk in keys.chunks(500) {
                redis::cmd("DEL")
                    .arg(chunk)
                    .query_async::<()>(&mut conn)
                    .await?;
            }
        }
        Ok(())
    }
}

/// The keys matching a pattern, by SCAN (never KEYS, which blocks Redis on a large keyspace).
async fn scan(
    conn: &mut ConnectionManager,
    pattern: &str,
) -> Result<Vec<String>, redis::RedisError> {
    let mut cursor: u64 = 0;
    let mut keys = Vec::new();
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await?;
        keys.extend(batch);
        if next == 0 {
            return Ok(keys);
        }
        cursor = next;
    }
}
