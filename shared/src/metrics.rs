//! The Prometheus metrics both binaries export: their names (once, here), the recorder,
//! and its text rendering for `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// api: requests by `route` (the spec's path template), `method` and `status`.
pub const HTTP_REQUESTS: &str = "onboard_http_requests_total";
/// api: request latency by `route` and `method`.
pub const HTTP_DURATION: &str = "onboard_http_request_duration_seconds";
/// api: analysis runs created.
pub const ANALYSES_STARTED: &str = "onboard_analyses_started_total";
/// api: content-search indexes built (one per finished analysis searched, unless evicted).
pub const SEARCH_INDEX_BUILDS: &str = "onboard_search_index_builds_total";
/// worker: jobs by `queue` and `outcome` (ok, error).
pub const JOBS: &str = "onboard_jobs_total";
/// worker: job duration by `queue`.
pub const JOB_DURATION: &str = "onboard_job_duration_seconds";
/// worker: pages fetched and analysed, and the bytes fetched for them.
pub const PAGES_CRAWLED: &str = "onboard_pages_crawled_total";
pub const BYTES_FETCHED: &str = "onboard_bytes_fetched_total";
/// worker (monitor): stuck runs reset, queued runs pushed again, runs failed out of retries.
pub const RUNS_RESET: &str = "onboard_runs_reset_total";
pub const RUNS_REENQUEUED: &str = "onboard_runs_reenqueued_total";
pub const RUNS_TIMED_OUT: &str = "onboard_runs_timed_out_total";
/// worker (monitor): guests marked abandoned.
pub const GUESTS_ABANDONED: &str = "onboard_guests_abandoned_total";
/// worker (monitor): onboarding completion rate over the last 24 hours.
pub const COMPLETION_RATE: &str = "onboard_completion_rate_24h";
/// worker: webhook attempts by `outcome` (delivered, retrying, given_up), and endpoints
/// disabled after failing in a row.
pub const WEBHOOK_ATTEMPTS: &str = "onboard_webhook_attempts_total";
pub const WEBHOOK_ENDPOINTS_DISABLED: &str = "onboard_webhook_endpoints_disabled_total";
/// worker: jobs per `queue` and `state` (waiting, running, failed, dead), read at scrape.
pub const QUEUE_DEPTH: &str = "onboard_queue_jobs";

/// Latency buckets, in seconds: requests are milliseconds, jobs up to many minutes.
const BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (an api with the worker in-process, or a
/// test running both, shares one).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .expect("static buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Only fails when a recorder is already installed, which this lock rules out.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Reads the queue's counts into the depth gauges (at scrape time, so they are current).
pub async fn record_queue_depths(queue: &crate::JobQueue) {
    let counts = queue.counts_by_kind().await;
    for (name, counts) in counts {
        let Ok(c) = counts else { continue };
        for (state, n) in [
            ("waiting", c.waiting),
            ("running", c.running),
            ("failed", c.failed),
            ("dead", c.dead),
        ] {
            metrics::gauge!(QUEUE_DEPTH, "queue" => name.as_str(), "state" => state).set(n as f64);
        }
    }
}

/// The metrics in Prometheus text format.
pub fn render() -> String {
    let handle = handle();
    handle.run_upkeep();
    handle.render()
}
