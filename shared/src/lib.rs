//! What the api and the worker share: configuration, entities, job payloads, the queue
//! handle and the progress model.

pub mod config;
pub mod db;
pub mod domain;
pub mod entities;
pub mod jobs;
pub mod progress;
pub mod queue;

pub use config::Config;
pub use queue::JobQueue;
pub mod logo_store;
pub mod maintenance;
pub mod onboarding;
pub mod runs;
pub mod telemetry;
