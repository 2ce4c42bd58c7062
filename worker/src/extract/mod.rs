//! Extraction: pure functions from page bytes and URL to findings, callable without the
//! queue or the database.

pub mod nesting;
pub mod page;

pub use page::{Link, PageFacts};
