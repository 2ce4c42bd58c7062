//! Where page analyses run: threads of their own, one per core, at a lower CPU priority
//! than the rest of the process. The analysis is CPU work in the background; a request to
//! the api (in the same process when embedded, on the same machine in small deployments)
//! must not wait behind it. With the analyses on tokio's blocking threads at the same
//! priority as the request threads, every burst of pages took both cores, and the poll and
//! a static endpoint beside it stalled together for tens of milliseconds (`just bench api`).
//! At a lower priority the analyses get every core nobody else wants, and give a core back
//! the moment a request thread wakes.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, LazyLock},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// How much less CPU an analysis thread asks for (a nice value: 0 is the default, 19 the
/// least). At 10 a busy request thread gets about nine tenths of a core they share.
const NICENESS: i32 = 10;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Analyses running at once in this process, across every crawl: one per core. The
/// analysis is CPU work, so more would only share the cores and hold more DOMs in memory.
static TURNS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(cores())));

static THREADS: LazyLock<rayon::ThreadPool> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .num_threads(cores())
        .thread_name(|i| format!("analysis-{i}"))
        .start_handler(|_| lower_priority())
        .build()
        .expect("the analysis threads start")
});

/// A free analysis thread, held from the moment it is taken (so what the caller prepares
/// for the work is only in memory while a thread is there for it).
pub struct Turn {
    _free: OwnedSemaphorePermit,
}

/// Waits for a free analysis thread.
pub async fn turn() -> Turn {
    Turn {
        _free: Arc::clone(&TURNS)
            .acquire_owned()
            .await
            .expect("never closed"),
    }
}

impl Turn {
    /// Runs `work` on the analysis thread; `Err` carries a panic's message.
    pub async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let (done, result) = oneshot::channel();
        THREADS.spawn(move || {
            // Held until the work ends, even when its caller stops waiting for it.
            let _turn = self;
            let outcome = catch_unwind(AssertUnwindSafe(work)).map_err(|panic| {
                panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panicked".to_owned())
            });
            let _ = done.send(outcome);
        });
        result
            .await
            .unwrap_or_else(|_| Err("the analysis thread stopped".to_owned()))
    }
}

/// Lowers the calling thread's priority (Linux gives each thread its own nice value).
fn lower_priority() {
    let thread = rustix::thread::gettid();
    let lowered = rustix::process::getpriority_process(Some(thread))
        .and_then(|nice| rustix::process::setpriority_process(Some(thread), nice + NICENESS));
    if let Err(error) = lowered {
        tracing::debug!(%error, "could not lower an analysis thread's priority");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_a_thread_of_lower_priority() {
        let nice = turn()
            .await
            .run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
            .await
            .unwrap()
            .unwrap();
        let own = rustix::process::getpriority_process(None).unwrap();
        assert!(
            nice >= (own + NICENESS).min(19),
            "nice {nice}, process {own}"
        );
    }

    #[tokio::test]
    async fn a_panic_is_an_error_not_a_crash() {
        let failed = turn().await.run(|| -> u8 { panic!("bad page") }).await;
        assert_eq!(failed, Err("bad page".to_owned()));
        assert_eq!(
            turn().await.run(|| 7).await,
            Ok(7),
            "the thread is still there"
        );
    }
}
