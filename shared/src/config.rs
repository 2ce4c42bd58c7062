//! One typed configuration, parsed once at start from the environment (and `.env`).
//!
//! Every variable is read through a small helper that names it when its value is bad, so an
//! operator sees `ONBOARD_CRAWL_MAX_PAGES: invalid digit found in string` and not a panic.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

pub use cron::Schedule;
use ipnet::IpNet;

/// A variable that could not be used, with its name.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    pub name: String,
    pub message: String,
}

/// Every setting both binaries use. Built by [`Config::from_env`] or, in tests,
/// [`Config::from_vars`].
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; `None` means the SQLite file in the data dir.
    pub database_url: Option<String>,
    /// `None` means the embedded SQLite queue, with the worker inside the api process.
    pub redis_url: Option<String>,
    /// Prefix of every queue name, so several deployments (or tests) share one Redis.
    pub queue_prefix: String,
    pub run_migrations: bool,
    pub admin_token: Option<String>,
    /// Origins the onboarding UI may call from, besides the registered sites' own.
    pub cors_origins: Vec<String>,
    /// Origins that may show the reference onboarding page at `/` in a frame
    /// (`frame-ancestors`); none by default.
    pub embed_origins: Vec<Origin>,
    /// Requests per minute per client IP: reads (GET, the progress poll) and writes.
    pub rate_limit_reads: u32,
    pub rate_limit_writes: u32,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Largest request body the api reads (logo uploads have their own 5 MB bound).
    pub max_body_bytes: usize,
    pub worker_metrics_listen: SocketAddr,
    pub guest_ttl: Duration,
    /// A paused session expires this long after it was paused (it is never marked
    /// abandoned meanwhile).
    pub paused_ttl: Duration,
    /// A connection with no traffic for this long is closed.
    pub http_idle_timeout: Duration,
    /// A request must be read and answered within this long (slow or trickling clients
    /// are cut off rather than holding a connection).
    pub http_request_timeout: Duration,
    /// How long a signed-in operators' page session lasts.
    pub ops_session_ttl: Duration,
    pub ops_cookie_secure: CookieSecure,
    /// How long `POST /api/onboarding/verification/check` waits for its result before
    /// answering that the check is still running.
    pub verification_wait: Duration,
    pub limits: GuestLimits,
    pub jobs: JobsConfig,
    pub crawl: CrawlConfig,
    pub webhooks: WebhookConfig,
}

/// How events are delivered to the operators' endpoints.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// CIDRs an endpoint may be on although not publicly routable (an intranet receiver).
    pub allow_cidrs: Vec<IpNet>,
    /// An attempt counts as delivered only on a 2xx within this long.
    pub timeout: Duration,
    /// The first retry's delay; each next one doubles it (with jitter), up to six hours.
    pub retry_base: Duration,
    /// How long a delivery is retried before it is given up.
    pub retry_for: Duration,
    /// Failed attempts in a row after which an endpoint is disabled.
    pub disable_after: u32,
    /// Deliveries one worker sends at once.
    pub concurrency: usize,
}

/// Whether the operators' page cookie is marked `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSecure {
    /// When the request came over TLS (directly, or per a trusted proxy's
    /// `X-Forwarded-Proto`).
    Auto,
    Always,
    Never,
}

impl FromStr for CookieSecure {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(CookieSecure::Auto),
            "true" | "always" => Ok(CookieSecure::Always),
            "false" | "never" => Ok(CookieSecure::Never),
            _ => Err("expected auto, true or false".into()),
        }
    }
}

/// A web origin (`https://app.example.com`, a port if not the scheme's own), as a CSP
/// source names it: parsed, so nothing but an origin can reach a response header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Origin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(s).map_err(|e| e.to_string())?;
        let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
        if !matches!(url.scheme(), "http" | "https") || !bare || !url.username().is_empty() {
            return Err("expected an origin such as https://app.example.com".into());
        }
        Ok(Origin(url.origin().ascii_serialization()))
    }
}

/// What one guest, or one client address, may make the service do: the work and storage
/// every guest shares are bounded per guest and per address.
#[derive(Debug, Clone)]
pub struct GuestLimits {
    /// Queued or running analyses started from one client address.
    pub analyses_per_client: usize,
    /// Queued or running analyses of one domain, whoever started them.
    pub analyses_per_domain: usize,
    /// Analyses of one client address pushed to the queue or running at once; the rest
    /// wait as rows, so one address never holds every worker slot.
    pub slots_per_client: usize,
    /// Bytes of logos one guest may keep stored.
    pub upload_bytes_per_guest: usize,
    /// Memory the api's content-search indexes may take together.
    pub search_cache_bytes: usize,
}

#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub analysis_concurrency: usize,
    pub cleanup_concurrency: usize,
    pub monitor_concurrency: usize,
    pub verification_concurrency: usize,
    /// How often an idle worker asks the queue for work (apalis waits ~30 s without it).
    pub poll_interval: Duration,
    /// Hard limit on one job; a hung job is failed, never left holding a worker.
    pub job_timeout: Duration,
    /// A run lease not refreshed for this long may be taken by another worker.
    pub lease_ttl: Duration,
    /// How often a worker refreshes the lease of a run it holds.
    pub heartbeat_interval: Duration,
    /// On SIGTERM, how long in-flight runs may go on before their lease is released.
    pub shutdown_grace: Duration,
    /// Whole-run deadline for one analysis.
    pub run_deadline: Duration,
    /// How often a run is given back to the queue after an infrastructure failure or a
    /// reset before it is failed for good.
    pub max_retries: i32,
    /// A running run whose heartbeat is older than this is reset by the monitor job.
    pub stuck_threshold: Duration,
    /// A queued run whose job was pushed this long ago is pushed again (the idempotency
    /// key drops the push when the queue still holds it).
    pub queue_lost_after: Duration,
    /// Cron schedules (with seconds); `None` when set to `off` (external cron instead).
    pub monitor_cron: Option<Schedule>,
    pub cleanup_cron: Option<Schedule>,
    /// The monitor logs an alert when the 24-hour completion rate falls below this.
    pub completion_alert_below: f64,
    /// A guest idle this long and not completed is marked abandoned by the monitor.
    pub abandon_after: Duration,
    /// Finished maintenance runs older than this are pruned by cleanup.
    pub maintenance_retention: Duration,
    /// Attempts after the first for a transient failure while validating a domain.
    pub validation_retries: u32,
    /// The first retry's delay; each next one doubles it.
    pub retry_backoff: Duration,
}

#[derive(Debug, Clone)]
pub struct CrawlConfig {
    pub allow_cidrs: Vec<IpNet>,
    /// Static name→address overrides (like curl's --resolve), for tests and intranets.
    pub hosts: HashMap<String, std::net::IpAddr>,
    pub user_agent: String,
    pub max_pages: usize,
    /// URLs one run records (discovered, skipped) per page of its budget; beyond it only
    /// the counts grow.
    pub urls_per_page: usize,
    pub max_depth: usize,
    pub concurrency: usize,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub request_timeout: Duration,
    /// Pause between two requests to one host (robots.txt Crawl-delay may ask for more).
    pub delay: Duration,
    /// The most of a robots.txt Crawl-delay that is honoured.
    pub max_crawl_delay: Duration,
    /// Retries of a page after a transient failure, 429 or 503.
    pub retries: u32,
    /// Whether help., support., docs. and kb. subdomains belong to the site.
    pub help_subdomains: bool,
    /// Where a site's main content is, for sites the generic extraction gets wrong:
    /// `(host, CSS selector list)`, host lower-case without `www.`. The worker checks the
    /// selectors' syntax at start.
    pub content_selectors: Vec<(String, String)>,
    /// The crawl step's own deadline within the run.
    pub deadline: Duration,
}

impl Config {
    /// Reads the process environment, after loading `.env` when one is present.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case; a malformed one is worth stopping for.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => {
                return Err(ConfigError {
                    name: ".env".into(),
                    message: e.to_string(),
                });
            }
        }
        Self::from_source(|name| std::env::var(name).ok())
    }

    /// Builds a config from explicit variables (tests); unset names take their defaults.
    pub fn from_vars<K: AsRef<str>, V: AsRef<str>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ConfigError> {
        let map: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        Self::from_source(|name| map.get(name).cloned())
    }

    fn from_source(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&get);
        Ok(Self {
            listen: vars.parsed("ONBOARD_LISTEN", "0.0.0.0:8080".parse().unwrap())?,
            data_dir: vars
                .optional("ONBOARD_DATA_DIR")
                .unwrap_or_else(|| "./data".into())
                .into(),
            database_url: vars.optional("DATABASE_URL"),
            redis_url: vars.optional("REDIS_URL"),
            queue_prefix: vars
                .optional("ONBOARD_QUEUE_PREFIX")
                .unwrap_or_else(|| "onboard".into()),
            run_migrations: vars.parsed("ONBOARD_RUN_MIGRATIONS", true)?,
            admin_token: vars.optional("ONBOARD_ADMIN_TOKEN"),
            rate_limit_reads: vars.positive("ONBOARD_RATE_LIMIT_READS_PER_MIN", 600)? as u32,
            rate_limit_writes: vars.positive("ONBOARD_RATE_LIMIT_WRITES_PER_MIN", 120)? as u32,
            trusted_proxies: vars.list("ONBOARD_TRUSTED_PROXIES")?,
            max_body_bytes: vars.positive("ONBOARD_MAX_BODY_BYTES", 256 * 1024)?,
            cors_origins: vars
                .list::<String>("ONBOARD_CORS_ORIGINS")?
                .into_iter()
                .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                .collect(),
            embed_origins: vars.list("ONBOARD_EMBED_ORIGINS")?,
            worker_metrics_listen: vars.parsed(
                "ONBOARD_WORKER_METRICS_LISTEN",
                "127.0.0.1:9091".parse().unwrap(),
            )?,
            guest_ttl: Duration::from_secs(3600 * vars.parsed("ONBOARD_GUEST_TTL_HOURS", 168u64)?),
            paused_ttl: Duration::from_secs(
                3600 * vars.positive("ONBOARD_PAUSED_TTL_HOURS", 720)? as u64,
            ),
            http_idle_timeout: vars.positive_secs("ONBOARD_HTTP_IDLE_TIMEOUT_SECS", 60)?,
            http_request_timeout: vars.positive_secs("ONBOARD_HTTP_REQUEST_TIMEOUT_SECS", 60)?,
            ops_session_ttl: Duration::from_secs(
                3600 * vars.positive("ONBOARD_OPS_SESSION_HOURS", 12)? as u64,
            ),
            ops_cookie_secure: vars.parsed("ONBOARD_OPS_COOKIE_SECURE", CookieSecure::Auto)?,
            verification_wait: vars.secs("ONBOARD_VERIFICATION_WAIT_SECS", 10)?,
            limits: GuestLimits {
                analyses_per_client: vars.positive("ONBOARD_MAX_ANALYSES_PER_CLIENT", 3)?,
                analyses_per_domain: vars.positive("ONBOARD_MAX_ANALYSES_PER_DOMAIN", 2)?,
                slots_per_client: vars.positive("ONBOARD_ANALYSIS_SLOTS_PER_CLIENT", 2)?,
                upload_bytes_per_guest: vars
                    .positive("ONBOARD_UPLOAD_BYTES_PER_GUEST", 12 * 1024 * 1024)?,
                search_cache_bytes: vars.positive("ONBOARD_SEARCH_CACHE_MB", 128)? * 1024 * 1024,
            },
            jobs: JobsConfig {
                analysis_concurrency: vars.positive("ONBOARD_ANALYSIS_CONCURRENCY", 8)?,
                cleanup_concurrency: vars.positive("ONBOARD_CLEANUP_CONCURRENCY", 1)?,
                monitor_concurrency: vars.positive("ONBOARD_MONITOR_CONCURRENCY", 1)?,
                verification_concurrency: vars.positive("ONBOARD_VERIFICATION_CONCURRENCY", 2)?,
                poll_interval: vars.millis("ONBOARD_QUEUE_POLL_MS", 200)?,
                job_timeout: vars.secs("ONBOARD_JOB_TIMEOUT_SECS", 900)?,
                lease_ttl: vars.secs("ONBOARD_LEASE_TTL_SECS", 30)?,
                heartbeat_interval: vars.secs("ONBOARD_HEARTBEAT_SECS", 5)?,
                shutdown_grace: vars.secs("ONBOARD_SHUTDOWN_GRACE_SECS", 20)?,
                run_deadline: vars.secs("ONBOARD_RUN_DEADLINE_SECS", 600)?,
                max_retries: vars.parsed("ONBOARD_MAX_RETRIES", 3)?,
                stuck_threshold: vars.secs("ONBOARD_STUCK_THRESHOLD_SECS", 600)?,
                queue_lost_after: vars.secs("ONBOARD_QUEUE_LOST_AFTER_SECS", 60)?,
                monitor_cron: vars.cron("ONBOARD_MONITOR_CRON", "0 * * * * *")?,
                cleanup_cron: vars.cron("ONBOARD_CLEANUP_CRON", "0 0 * * * *")?,
                completion_alert_below: vars.parsed("ONBOARD_COMPLETION_ALERT_BELOW", 0.2)?,
                abandon_after: vars.secs("ONBOARD_ABANDON_AFTER_SECS", 24 * 3600)?,
                maintenance_retention: Duration::from_secs(
                    24 * 3600 * vars.parsed("ONBOARD_MAINTENANCE_RETENTION_DAYS", 30u64)?,
                ),
                validation_retries: vars.parsed("ONBOARD_VALIDATION_RETRIES", 3)?,
                retry_backoff: vars.millis("ONBOARD_RETRY_BACKOFF_MS", 1000)?,
            },
            crawl: CrawlConfig {
                allow_cidrs: vars.list("ONBOARD_CRAWL_ALLOW_CIDRS")?,
                hosts: vars.hosts("ONBOARD_CRAWL_HOSTS")?,
                user_agent: vars
                    .optional("ONBOARD_CRAWL_USER_AGENT")
                    .unwrap_or_else(|| {
                        format!("Onboard/{} (+site analysis)", env!("CARGO_PKG_VERSION"))
                    }),
                max_pages: vars.positive("ONBOARD_CRAWL_MAX_PAGES", 100)?,
                urls_per_page: vars.positive("ONBOARD_CRAWL_URLS_PER_PAGE", 20)?,
                max_depth: vars.parsed("ONBOARD_CRAWL_MAX_DEPTH", 4)?,
                concurrency: vars.positive("ONBOARD_CRAWL_CONCURRENCY", 4)?,
                max_body_bytes: vars.positive("ONBOARD_CRAWL_MAX_BODY_BYTES", 5 * 1024 * 1024)?,
                max_redirects: vars.parsed("ONBOARD_CRAWL_MAX_REDIRECTS", 5)?,
                connect_timeout: vars.secs("ONBOARD_CRAWL_CONNECT_TIMEOUT_SECS", 5)?,
                read_timeout: vars.secs("ONBOARD_CRAWL_READ_TIMEOUT_SECS", 10)?,
                request_timeout: vars.secs("ONBOARD_CRAWL_REQUEST_TIMEOUT_SECS", 20)?,
                delay: vars.millis("ONBOARD_CRAWL_DELAY_MS", 0)?,
                max_crawl_delay: vars.secs("ONBOARD_CRAWL_MAX_CRAWL_DELAY_SECS", 5)?,
                retries: vars.parsed("ONBOARD_CRAWL_RETRIES", 2)?,
                help_subdomains: vars.parsed("ONBOARD_CRAWL_HELP_SUBDOMAINS", true)?,
                content_selectors: vars.selectors("ONBOARD_CONTENT_SELECTORS")?,
                deadline: vars.secs("ONBOARD_CRAWL_DEADLINE_SECS", 300)?,
            },
            webhooks: WebhookConfig {
                allow_cidrs: vars.list("ONBOARD_WEBHOOK_ALLOW_CIDRS")?,
                timeout: vars.positive_secs("ONBOARD_WEBHOOK_TIMEOUT_SECS", 10)?,
                retry_base: vars.millis("ONBOARD_WEBHOOK_RETRY_BASE_MS", 5000)?,
                retry_for: vars.positive_secs("ONBOARD_WEBHOOK_RETRY_FOR_SECS", 24 * 3600)?,
                disable_after: vars.positive("ONBOARD_WEBHOOK_DISABLE_AFTER", 30)? as u32,
                concurrency: vars.positive("ONBOARD_WEBHOOK_CONCURRENCY", 4)?,
            },
        })
    }

    /// Whether the worker pools run inside the api process (no Redis configured).
    pub fn embedded_queue(&self) -> bool {
        self.redis_url.is_none()
    }
}

/// The small set of typed readers every variable goes through.
struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn optional(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn parsed<T: FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e: T::Err| err(name, format!("{e} (got {raw:?})"))),
        }
    }

    fn positive(&self, name: &str, default: usize) -> Result<usize, ConfigError> {
        match self.parsed(name, default)? {
            0 => Err(err(name, "must be at least 1".into())),
            n => Ok(n),
        }
    }

    fn secs(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        self.parsed(name, default).map(Duration::from_secs)
    }

    fn positive_secs(&self, name: &str, default: usize) -> Result<Duration, ConfigError> {
        self.positive(name, default)
            .map(|n| Duration::from_secs(n as u64))
    }

    fn millis(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        self.parsed(name, default).map(Duration::from_millis)
    }

    /// A cron expression with seconds (`sec min hour day month weekday`), or `off`.
    fn cron(&self, name: &str, default: &str) -> Result<Option<Schedule>, ConfigError> {
        let raw = self.optional(name).unwrap_or_else(|| default.to_owned());
        if raw.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        raw.parse().map(Some).map_err(|e| {
            err(
                name,
                format!("{e} (got {raw:?}; expected sec min hour day month weekday, or off)"),
            )
        })
    }

    fn list<T: FromStr>(&self, name: &str) -> Result<Vec<T>, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        let Some(raw) = self.optional(name) else {
            return Ok(Vec::new());
        };
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|item| {
                item.parse()
                    .map_err(|e: T::Err| err(name, format!("{item:?}: {e}")))
            })
            .collect()
    }

    /// `host=selector list;host=selector list` (a selector list has commas of its own).
    fn selectors(&self, name: &str) -> Result<Vec<(String, String)>, ConfigError> {
        let Some(raw) = self.optional(name) else {
            return Ok(Vec::new());
        };
        raw.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                let (host, selectors) = entry
                    .split_once('=')
                    .map(|(h, s)| (h.trim().to_ascii_lowercase(), s.trim()))
                    .filter(|(h, s)| !h.is_empty() && !s.is_empty())
                    .ok_or_else(|| err(name, format!("{entry:?}: expected host=selectors")))?;
                let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
                Ok((host, selectors.to_owned()))
            })
            .collect()
    }

    /// `name=address,name=address`
    fn hosts(&self, name: &str) -> Result<HashMap<String, std::net::IpAddr>, ConfigError> {
        let entries: Vec<String> = self.list(name)?;
        entries
            .iter()
            .map(|entry| {
                let (host, addr) = entry
                    .split_once('=')
                    .ok_or_else(|| err(name, format!("{entry:?}: expected name=address")))?;
                let addr = addr
                    .parse()
                    .map_err(|e| err(name, format!("{entry:?}: {e}")))?;
                Ok((host.trim().to_ascii_lowercase(), addr))
            })
            .collect()
    }
}

fn err(name: &str, message: String) -> ConfigError {
    ConfigError {
        name: name.to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_local_use() {
        let config = Config::from_vars::<&str, &str>([]).unwrap();
        assert_eq!(config.listen.port(), 8080);
        assert!(config.embedded_queue());
        assert_eq!(config.crawl.max_pages, 100);
        assert_eq!(config.crawl.max_depth, 4);
        assert!(config.crawl.user_agent.starts_with("Onboard/"));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let error = Config::from_vars([("ONBOARD_CRAWL_MAX_PAGES", "many")]).unwrap_err();
        assert_eq!(error.name, "ONBOARD_CRAWL_MAX_PAGES");
        let error =
            Config::from_vars([("ONBOARD_CRAWL_ALLOW_CIDRS", "10.0.0.0/8,nope")]).unwrap_err();
        assert_eq!(error.name, "ONBOARD_CRAWL_ALLOW_CIDRS");
        assert!(error.to_string().contains("nope"));
        let error = Config::from_vars([("ONBOARD_ANALYSIS_CONCURRENCY", "0")]).unwrap_err();
        assert_eq!(error.name, "ONBOARD_ANALYSIS_CONCURRENCY");
    }

    #[test]
    fn lists_and_hosts_parse() {
        let config = Config::from_vars([
            ("ONBOARD_CRAWL_ALLOW_CIDRS", "127.0.0.1/32, ::1/128"),
            ("ONBOARD_CRAWL_HOSTS", "Acme.test=127.0.0.1"),
        ])
        .unwrap();
        assert_eq!(config.crawl.allow_cidrs.len(), 2);
        assert_eq!(config.crawl.hosts["acme.test"].to_string(), "127.0.0.1");
    }

    #[test]
    fn content_selectors_are_per_host_and_keep_their_commas() {
        let config = Config::from_vars([(
            "ONBOARD_CONTENT_SELECTORS",
            "WWW.Acme.test = .doc-body, article ; help.acme.test=#content",
        )])
        .unwrap();
        assert_eq!(
            config.crawl.content_selectors,
            [
                ("acme.test".to_owned(), ".doc-body, article".to_owned()),
                ("help.acme.test".to_owned(), "#content".to_owned())
            ]
        );
        let error = Config::from_vars([("ONBOARD_CONTENT_SELECTORS", "acme.test")]).unwrap_err();
        assert_eq!(error.name, "ONBOARD_CONTENT_SELECTORS");
    }

    #[test]
    fn embedding_origins_are_origins_and_nothing_else() {
        let config = Config::from_vars([(
            "ONBOARD_EMBED_ORIGINS",
            "https://App.Example.com/, http://127.0.0.1:3000",
        )])
        .unwrap();
        let origins: Vec<&str> = config.embed_origins.iter().map(Origin::as_str).collect();
        assert_eq!(
            origins,
            ["https://app.example.com", "http://127.0.0.1:3000"]
        );
        // A path, a wildcard or a policy smuggled into the header is refused at start.
        for bad in [
            "https://app.example.com/page",
            "*",
            "https://a.test; script-src *",
            "javascript:alert(1)",
            "https://user@a.test",
        ] {
            let error = Config::from_vars([("ONBOARD_EMBED_ORIGINS", bad)]).unwrap_err();
            assert_eq!(error.name, "ONBOARD_EMBED_ORIGINS", "{bad}");
        }
    }
}
