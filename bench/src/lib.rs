//! Benchmark tools. `site` generates a realistic website deterministically, so every
//! crawler measured in a run sees the same pages.

pub mod site;
