//! The analysis run, and every transition of it: one owner, so adding a state touches one
//! place. The api and the worker call these functions and hold no SQL about runs.
//!
//! ```text
//!                 start (api)                claim (worker)
//!   (no run) ───────────────────► queued ─────────────────────► running
//!                                  ▲  │                          │  │  │
//!        release (shutdown),       │  │ cancel (guest,           │  │  │ finish
//!        give back (internal       │  │   new domain)            │  │  ▼
//!        error), reset (monitor:   │  ▼                          │  │  succeeded | failed
//!        heartbeat gone quiet) ────┴─ cancelled ◄────────────────┘  │
//!                                                  cancel           │ fail stale (monitor,
//!                                                                   ▼  retries spent)
//!                                                                 failed
//! ```
//!
//! - A run is a row first, a queue job second: `start_or_current` inserts the row, then
//!   `admission::enqueue` pushes its job when the queue has room and the client address
//!   has a free slot; otherwise `admission::admit` pushes it later (the row is the
//!   truth, the queue only delivers).
//! - A worker works on a run only while it holds the lease (`lease`): claimed in one
//!   statement, renewed by a heartbeat, released on shutdown. Every progress write and the
//!   finish are guarded by the lease, so a run reset or cancelled meanwhile is left alone.
//! - A finished run (succeeded, failed, cancelled) never changes again.

pub mod admission;
pub mod cancel;
pub mod lease;
pub mod progress;
pub mod queries;
pub mod stale;
pub mod start;
mod status;

pub use status::RunStatus;

/// What a transition of a run can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the run's rows could not be read or written")]
    Db(#[from] sea_orm::DbErr),
    #[error("the run's job could not be queued")]
    Queue(#[from] crate::queue::QueueError),
    #[error("the guest has no domain to analyse")]
    DomainRequired,
    #[error("{active} analyses started from this address are still under way")]
    ClientBusy { active: u64 },
    #[error("{domain} is already being analysed {active} times")]
    DomainBusy { domain: String, active: u64 },
    #[error("an analysis changed state while this one was starting")]
    Conflict,
}
