//! Page analysis (parsing and extraction, the worker's CPU-heavy part) runs on threads of
//! its own at a lower CPU priority (nice 10). On a machine the worker shares with the api
//! (the embedded default is one process; a small box runs both), a burst of pages being
//! analysed then takes the CPU only when requests do not need it, instead of delaying the
//! 2-second progress poll by tens of milliseconds while runs finish. On a machine of its
//! own it changes nothing: idle CPU goes to the analysis as before.
//!
//! The threads are a Tokio runtime's blocking pool, so a future awaits the work as it did
//! with `spawn_blocking`, and they stay low-priority for good (raising a thread's priority
//! again needs a privilege a service does not have).

use std::sync::OnceLock;

use tokio::{runtime::Runtime, task::JoinError};

/// The analysis threads' niceness: below requests, above nothing else in particular.
const NICE: i32 = 10;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(threads)
            .thread_name("page-analysis")
            .on_thread_start(lower_this_thread)
            .build()
            .expect("the page-analysis threads start")
    })
}

/// Runs CPU-heavy work on a low-priority thread and awaits its result.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, JoinError> {
    runtime().spawn_blocking(work).await
}

#[cfg(target_os = "linux")]
fn lower_this_thread() {
    // On Linux a nice value belongs to the thread, so this lowers only the calling one.
    let tid = rustix::thread::gettid();
    if let Err(error) = rustix::process::setpriority_process(Some(tid), NICE) {
        tracing::debug!(%error, "page analysis keeps its priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread() {
    // Elsewhere the call would lower the whole process; the threads keep their priority.
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn work_runs_on_a_lowered_thread() {
        let nice = super::run(|| {
            rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
        })
        .await
        .unwrap();
        assert_eq!(nice, super::NICE);
    }
}
