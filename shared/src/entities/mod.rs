//! sea-orm entities, one module per table (docs/architecture.md).

pub mod alert_state;
pub mod analysis_run;
pub mod crawled_page;
pub mod daily_stat;
pub mod domain_verification;
pub mod event;
pub mod feature_flag;
pub mod guest_session;
pub mod maintenance_run;
pub mod onboarding_configuration;
pub mod ops_session;
pub mod site;
pub mod site_insight;
pub mod upload;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod webhook_message;
