//! The worker: job handlers, crawl, extraction and maintenance. The binary only wires
//! configuration and signals to [`runner::run`]; the api embeds the same runner when no
//! Redis is configured.

pub mod admission;
pub mod context;
pub mod crawl;
pub mod extract;
pub mod maintenance;
pub mod metrics_endpoint;
pub mod pipeline;
pub mod runner;
pub mod verification;
pub mod webhooks;

pub use context::JobContext;
