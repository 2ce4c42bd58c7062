//! The API's operations, one module per area.

pub mod analysis;
pub mod analytics;
pub mod content;
pub mod flags;
pub mod guest;
pub mod health;
pub mod logos;
pub mod onboarding;
pub mod ops;
pub mod session;
pub mod stats;
pub mod verification;
pub mod webhooks;

use poem_openapi::Tags;

#[derive(Tags)]
pub enum Tag {
    /// Guest sessions.
    Guest,
    /// The onboarding configuration a guest builds up.
    Onboarding,
    /// The background analysis of the guest's website.
    Analysis,
    /// Analytics events from the onboarding UI.
    Stats,
    /// Liveness and readiness.
    Health,
    /// Operators: maintenance runs, queues, webhooks and feature flags (admin token).
    Ops,
}
