//! The test harness: [`TestApp`] starts the real api (and the real worker pools) on port 0
//! with a database and a queue namespace of its own, on the embedded default or, when
//! `TEST_DATABASE_URL` / `TEST_REDIS_URL` are set, on PostgreSQL and Redis. [`TestSite`]
//! serves a website from inside the test and records every request it receives.

pub mod browser;
pub mod proxy;
pub mod receiver;
pub mod site;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use onboard_shared::{Config, JobQueue, jobs::Job};
use onboard_worker::{JobContext, runner};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use site::TestSite;

/// How long any poll in a test may wait before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// For a test that only means something on PostgreSQL and Redis: such a test is marked
/// `#[ignore = "needs …"]` (so a run without them lists it as ignored, not as passed) and
/// runs with `cargo test -- --include-ignored`, where this makes sure they were given.
pub fn require_servers() {
    assert!(
        std::env::var("TEST_DATABASE_URL").is_ok() && std::env::var("TEST_REDIS_URL").is_ok(),
        "this test needs TEST_DATABASE_URL and TEST_REDIS_URL"
    );
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub queue: JobQueue,
    pub config: Arc<Config>,
    /// The configuration variables, for worker processes spawned from this app.
    pub vars: Vec<(String, String)>,
    pub data_dir: PathBuf,
    /// With [`TestAppBuilder::proxied`]: the proxies to PostgreSQL, then Redis, as configured.
    pub proxies: Vec<proxy::Proxy>,
    stop: CancellationToken,
    /// Stops only the api's server (a child of `stop`), and the server's task.
    api: (CancellationToken, Option<JoinHandle<std::io::Result<()>>>),
    workers: Vec<(CancellationToken, Option<JoinHandle<()>>)>,
    /// The contexts of the worker pools started here, for the jobs that failed in them.
    contexts: Vec<Arc<JobContext>>,
    /// (admin URL, database name) of the PostgreSQL database made for this test.
    pg: Option<(String, String)>,
    /// Whether jobs may be left failed or dead (tests of outages and crashes).
    failures_expected: bool,
}

pub struct TestAppBuilder {
    vars: Vec<(String, String)>,
    worker: bool,
    proxied: bool,
}

impl TestAppBuilder {
    /// Sets a configuration variable for this app.
    pub fn var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.push((name.to_owned(), value.into()));
        self
    }

    /// Puts a [`proxy::Proxy`] between the app and PostgreSQL and Redis (when the test runs
    /// against them), so the test can cut them off.
    pub fn proxied(mut self) -> Self {
        self.proxied = true;
        self
    }

    /// Starts without worker pools (start them later with [`TestApp::start_worker`]).
    pub fn without_worker(mut self) -> Self {
        self.worker = false;
        self
    }

    pub async fn spawn(self) -> TestApp {
        // Dropping the app blocks its thread while another runtime cleans up with the app's
        // own pools; on a current-thread runtime those pools cannot run, and a connection
        // being opened at that moment waits out its 60-second timeout (twice, seen here).
        assert_eq!(
            tokio::runtime::Handle::current().runtime_flavor(),
            tokio::runtime::RuntimeFlavor::MultiThread,
            "TestApp needs #[tokio::test(flavor = \"multi_thread\")]"
        );
        init_logs();
        onboard_worker::crawl::fetch::install_tls_provider();
        let id = Uuid::new_v4().simple().to_string();
        let data_dir = std::env::temp_dir().join(format!("onboard-test-{id}"));
        let mut vars: Vec<(String, String)> = vec![
            ("ONBOARD_DATA_DIR".into(), data_dir.display().to_string()),
            ("ONBOARD_CRAWL_ALLOW_CIDRS".into(), "127.0.0.1/32".into()),
            ("ONBOARD_QUEUE_PREFIX".into(), format!("onboard-test-{id}")),
            ("ONBOARD_QUEUE_POLL_MS".into(), "50".into()),
            ("ONBOARD_HEARTBEAT_SECS".into(), "1".into()),
            ("ONBOARD_LEASE_TTL_SECS".into(), "5".into()),
            ("ONBOARD_SHUTDOWN_GRACE_SECS".into(), "2".into()),
            ("ONBOARD_CRAWL_CONNECT_TIMEOUT_SECS".into(), "2".into()),
            ("ONBOARD_RETRY_BACKOFF_MS".into(), "50".into()),
            // Tests poll far faster than the UI; the rate-limit test sets its own budgets.
            ("ONBOARD_RATE_LIMIT_READS_PER_MIN".into(), "1000000".into()),
            ("ONBOARD_RATE_LIMIT_WRITES_PER_MIN".into(), "1000000".into()),
            // Every test guest comes from 127.0.0.1; the tests of these bounds set their own.
            ("ONBOARD_MAX_ANALYSES_PER_CLIENT".into(), "100000".into()),
            ("ONBOARD_MAX_ANALYSES_PER_DOMAIN".into(), "100000".into()),
            ("ONBOARD_ANALYSIS_SLOTS_PER_CLIENT".into(), "100000".into()),
        ];
        let mut pg = None;
        let mut proxies = Vec::new();
        if let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") {
            let name = format!("onboard_test_{id}");
            let admin = Database::connect(&admin_url)
                .await
                .expect("TEST_DATABASE_URL reachable");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            if self.proxied {
                let proxy = proxy_to(&url).await;
                url.set_port(Some(proxy.addr.port())).unwrap();
                url.set_host(Some("127.0.0.1")).unwrap();
                proxies.push(proxy);
            }
            vars.push(("DATABASE_URL".into(), url.to_string()));
            pg = Some((admin_url, name));
        }
        if let Ok(redis_url) = std::env::var("TEST_REDIS_URL") {
            let mut url = url::Url::parse(&redis_url).expect("TEST_REDIS_URL is a URL");
            if self.proxied {
                let proxy = proxy_to(&url).await;
                url.set_port(Some(proxy.addr.port())).unwrap();
                url.set_host(Some("127.0.0.1")).unwrap();
                proxies.push(proxy);
            }
            vars.push(("REDIS_URL".into(), url.to_string()));
        }
        vars.extend(self.vars);
        let config = Arc::new(Config::from_vars(vars.clone()).expect("test config"));
        let (db, queue) = onboard_shared::connect(&config)
            .await
            .expect("database and queue");
        let stop = CancellationToken::new();

        let state = onboard_api::AppState::new(db.clone(), queue.clone(), config.clone());
        let api_stop = stop.child_token();
        let (addr, server) = onboard_api::bind("127.0.0.1:0".parse().unwrap(), state, {
            let stop = api_stop.clone();
            async move { stop.cancelled().await }
        })
        .await
        .expect("bind api");
        let api = (api_stop, Some(tokio::spawn(server)));

        let mut app = TestApp {
            addr,
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            db,
            queue,
            config,
            vars,
            proxies,
            stop,
            api,
            workers: Vec::new(),
            contexts: Vec::new(),
            data_dir,
            pg,
            failures_expected: false,
        };
        if self.worker {
            app.start_worker();
        }
        app
    }
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            vars: Vec::new(),
            worker: true,
            proxied: false,
        }
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    /// A job context over this app's database and queue, to run a job's work directly.
    pub fn job_context(&self) -> JobContext {
        JobContext::new(self.db.clone(), self.queue.clone(), self.config.clone())
            .expect("job context")
    }

    /// Stops the api's server as a shutdown signal would, and waits until it has stopped.
    pub async fn stop_api(&mut self) {
        self.api.0.cancel();
        if let Some(server) = self.api.1.take() {
            tokio::time::timeout(std::time::Duration::from_secs(15), server)
                .await
                .expect("the api stopped in time")
                .expect("the api's task")
                .expect("the api served");
        }
    }

    /// Starts a set of worker pools (as one worker process would); returns its index.
    pub fn start_worker(&mut self) -> usize {
        let ctx = Arc::new(
            JobContext::new(self.db.clone(), self.queue.clone(), self.config.clone())
                .expect("job context"),
        );
        self.contexts.push(ctx.clone());
        let stop = self.stop.child_token();
        let signal = stop.clone();
        let handle = tokio::spawn(async move {
            runner::run(ctx, async move { signal.cancelled().await })
                .await
                .expect("worker pools");
        });
        self.workers.push((stop, Some(handle)));
        self.workers.len() - 1
    }

    /// Stops one worker as SIGTERM would, and waits until it has exited.
    pub async fn stop_worker(&mut self, index: usize) {
        let (stop, handle) = &mut self.workers[index];
        stop.cancel();
        if let Some(handle) = handle.take() {
            tokio::time::timeout(DEADLINE, handle)
                .await
                .expect("worker stopped in time")
                .expect("worker exited cleanly");
        }
    }

    /// Starts a worker binary as a child process with this app's configuration (plus
    /// `extra`), logging to `worker-<name>.log` in the data directory. Killed when dropped.
    pub fn spawn_worker_process(
        &self,
        binary: &str,
        name: &str,
        extra: &[(&str, &str)],
    ) -> tokio::process::Child {
        let log = self.data_dir.join(format!("worker-{name}.log"));
        std::fs::create_dir_all(&self.data_dir).expect("data dir");
        let file = std::fs::File::create(&log).expect("worker log");
        let mut command = tokio::process::Command::new(binary);
        command
            .arg("run")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info,sqlx=warn")
            .env("ONBOARD_WORKER_METRICS_LISTEN", "127.0.0.1:0")
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra.iter().copied())
            .stdout(file.try_clone().expect("log handle"))
            .stderr(file)
            .kill_on_drop(true);
        command.spawn().expect("worker process starts")
    }

    /// What a worker process spawned by [`Self::spawn_worker_process`] has logged.
    pub fn worker_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.data_dir.join(format!("worker-{name}.log")))
            .unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// A GET whose answer is JSON, read whole.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("a JSON answer")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// An ops API request with this app's admin token (`ONBOARD_ADMIN_TOKEN`): the status
    /// and the JSON answer (`null` when there is none).
    pub async fn ops(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let token = self.config.admin_token.as_deref().expect("an admin token");
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The data of the events of one type recorded for a guest, oldest first.
    pub async fn events_of(&self, guest: Uuid, event_type: &str) -> Vec<Value> {
        use onboard_shared::entities::event;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        event::Entity::find()
            .filter(event::Column::GuestUuid.eq(guest))
            .filter(event::Column::EventType.eq(event_type))
            .order_by_asc(event::Column::Id)
            .all(&self.db)
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.data)
            .collect()
    }

    /// Creates a guest session and returns its UUID.
    pub async fn create_guest(&self) -> Uuid {
        let response = self.post("/api/guest").await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("json");
        body["uuid"]
            .as_str()
            .expect("uuid")
            .parse()
            .expect("a uuid")
    }

    /// Sets the guest's domain.
    pub async fn set_domain(&self, guest: Uuid, domain: &str) {
        let response = self
            .post_json(
                &format!("/api/onboarding/config?user_uuid={guest}"),
                &json!({"domain": domain}),
            )
            .await;
        assert_eq!(
            response.status(),
            200,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    /// Proves the guest controls `site`'s domain, as a customer would: gets a token, serves
    /// it in the site's verification file, and asks for the check.
    pub async fn verify_domain(&self, guest: Uuid, site: &TestSite) {
        let issued = self
            .post(&format!("/api/onboarding/verification?user_uuid={guest}"))
            .await;
        assert!(issued.status().is_success(), "{}", issued.status());
        let issued: Value = issued.json().await.expect("json");
        let token = issued["token"].as_str().expect("token");
        site.set_page(
            issued["filePath"].as_str().expect("filePath"),
            site::Page::bytes("text/plain", format!("{token}\n").into_bytes()),
        );
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let checked = self
                .post(&format!(
                    "/api/onboarding/verification/check?user_uuid={guest}"
                ))
                .await;
            let status = checked.status();
            let body: Value = checked.json().await.expect("json");
            if status == 200 {
                assert_eq!(body["status"], "verified");
                return;
            }
            assert!(
                status == 202 && tokio::time::Instant::now() < deadline,
                "verification did not succeed: {status} {body}"
            );
        }
    }

    pub async fn start_analysis(&self, guest: Uuid) -> i64 {
        let response = self
            .post(&format!("/api/onboarding/analysis?user_uuid={guest}"))
            .await;
        assert_eq!(
            response.status(),
            202,
            "{}",
            response.text().await.unwrap_or_default()
        );
        let body: Value = response.json().await.expect("json");
        body["analysisId"].as_i64().expect("analysisId")
    }

    pub async fn progress(&self, guest: Uuid) -> Value {
        let response = self
            .get(&format!("/api/onboarding/progress-steps?user_uuid={guest}"))
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    /// Polls progress-steps until the analysis is no longer queued or running; returns every
    /// view seen, the last one final. Fails the test at the deadline.
    pub async fn poll_until_finished(&self, guest: Uuid) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        loop {
            let view = self.progress(guest).await;
            let done = matches!(
                view["status"].as_str(),
                Some("succeeded" | "failed" | "cancelled")
            );
            seen.push(view);
            if done {
                return seen;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "analysis did not finish in time: {:?}",
                seen.last()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Job runs that failed in the worker pools this app started (each retry counts).
    pub fn failed_job_runs(&self) -> u64 {
        self.contexts
            .iter()
            .map(|ctx| ctx.failed_jobs.load(std::sync::atomic::Ordering::Relaxed))
            .sum()
    }

    /// Lets jobs end failed or dead without failing the test (a test of an outage or a
    /// crash, where the backend's own retry bookkeeping may record failures).
    pub fn expect_failed_jobs(&mut self) {
        self.failures_expected = true;
    }

    /// Waits until the queue holds no unfinished job of a kind; fails the test if one
    /// failed or was given up on.
    pub async fn drain<J: Job>(&self) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let left = self.queue.outstanding::<J>().await.expect("queue depth");
            let counts = self.queue.counts::<J>().await.expect("queue counts");
            assert!(
                counts.failed == 0 && counts.dead == 0 && self.failed_job_runs() == 0,
                "{} jobs failed: {counts:?}, {} failed runs",
                J::NAME,
                self.failed_job_runs()
            );
            if left == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{left} {} jobs never finished",
                J::NAME
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Failed or dead jobs of every kind, named; empty when none.
async fn failed_jobs(queue: &JobQueue) -> Vec<String> {
    let counts = queue.counts_by_kind().await;
    counts
        .into_iter()
        .filter_map(|(name, counts)| {
            let counts = counts.ok()?;
            (counts.failed + counts.dead > 0).then(|| {
                format!(
                    "{}: {} failed, {} dead",
                    name.as_str(),
                    counts.failed,
                    counts.dead
                )
            })
        })
        .collect()
}

impl Drop for TestApp {
    /// Stops the app and removes what the test made: its PostgreSQL database, its Redis
    /// keys and its data directory. A test that left failed or dead jobs in the queue
    /// fails here (unless it expected them).
    fn drop(&mut self) {
        self.stop.cancel();
        for (_, handle) in &mut self.workers {
            if let Some(handle) = handle.take() {
                handle.abort();
            }
        }
        let pg = self.pg.take();
        let queue = self.queue.clone();
        let check = !self.failures_expected && !std::thread::panicking();
        let failed_in_workers = self.failed_job_runs();
        let failed = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let mut failed = if check {
                    failed_jobs(&queue).await
                } else {
                    Vec::new()
                };
                if check && failed_in_workers > 0 {
                    failed.push(format!(
                        "{failed_in_workers} job runs failed in the workers"
                    ));
                }
                let _ = queue.purge().await;
                if let Some((admin_url, name)) = pg
                    && let Ok(admin) = Database::connect(&admin_url).await
                {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                }
                failed
            })
        })
        .join();
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Ok(failed) = failed
            && !failed.is_empty()
        {
            panic!(
                "the test left failed jobs in the queue: {}",
                failed.join("; ")
            );
        }
    }
}

async fn proxy_to(url: &url::Url) -> proxy::Proxy {
    let target = url
        .socket_addrs(|| None)
        .expect("server address")
        .into_iter()
        .next()
        .expect("an address");
    proxy::Proxy::start(target).await
}

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TEST_LOG")
                .unwrap_or_else(|_| "off".into()),
        )
        .with_test_writer()
        .try_init();
}
