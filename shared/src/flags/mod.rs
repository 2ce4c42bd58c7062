//! Feature flags: on or off per guest, from a kill switch (`enabled`), site domains always
//! on (beta sites) or always off, and a rollout percentage over a stable hash of the flag's
//! name and the guest's id, so a guest never flips between polls and each flag rolls out
//! to its own slice of guests.
//!
//! Two flags are switches the service itself honours ([`ONBOARDING`], [`ANALYSIS`]); they
//! are all or nothing (no percentage, no site lists) and cannot be deleted.

pub mod cache;
pub mod store;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::entities::feature_flag::Model;

/// Off: the onboarding endpoints answer 503 `onboarding_disabled`.
pub const ONBOARDING: &str = "onboarding";
/// Off: starting an analysis answers 503 `analysis_disabled`; queued runs wait.
pub const ANALYSIS: &str = "analysis";
/// The kill switches, seeded by the migrations.
pub const KILL_SWITCHES: [&str; 2] = [ONBOARDING, ANALYSIS];

/// A flag as stored, as evaluation reads it and as the ops API shows it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Object),
    oai(rename_all = "camelCase", example)
)]
pub struct Flag {
    pub name: String,
    pub description: String,
    /// Off: off for everyone (the kill switch), whatever else is set.
    pub enabled: bool,
    /// The share of guests it is on for, 0-100, by a stable hash of the flag and the guest.
    pub rollout_percentage: u8,
    /// Site domains it is always on for (beta sites).
    pub on_domains: Vec<String>,
    /// Site domains it is always off for; these win over `onDomains`.
    pub off_domains: Vec<String>,
    /// A switch the service itself honours (`onboarding`, `analysis`): all or nothing.
    pub kill_switch: bool,
    pub updated_at: DateTime<Utc>,
}

#[cfg(feature = "openapi")]
impl poem_openapi::types::Example for Flag {
    fn example() -> Self {
        Flag {
            name: "new_design_step".into(),
            description: "The redesigned design step".into(),
            enabled: true,
            rollout_percentage: 25,
            on_domains: vec!["beta.acme.com".into()],
            off_domains: vec![],
            kill_switch: false,
            updated_at: "2026-11-30T08:00:00Z".parse().expect("a time"),
        }
    }
}

impl From<Model> for Flag {
    fn from(row: Model) -> Self {
        let list = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        Flag {
            on_domains: list(&row.on_domains),
            off_domains: list(&row.off_domains),
            name: row.name,
            description: row.description,
            enabled: row.enabled,
            rollout_percentage: row.rollout_percentage.clamp(0, 100) as u8,
            kill_switch: row.kill_switch,
            updated_at: row.updated_at,
        }
    }
}

impl Flag {
    /// Whether the flag is on for this guest (and its site's domain, when it has one).
    pub fn is_on_for(&self, guest: Uuid, domain: Option<&str>) -> bool {
        if !self.enabled {
            return false;
        }
        if let Some(domain) = domain {
            if self.off_domains.iter().any(|d| d == domain) {
                return false;
            }
            if self.on_domains.iter().any(|d| d == domain) {
                return true;
            }
        }
        bucket(&self.name, guest) < u32::from(self.rollout_percentage) * 100
    }
}

/// The guest's place for a flag, 0..10,000: the first bytes of SHA-256 over the flag's
/// name and the guest's id, so it never changes and flags do not share their slices.
pub fn bucket(flag: &str, guest: Uuid) -> u32 {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{flag}:{}", guest.hyphenated()).as_bytes(),
    );
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    (u64::from_be_bytes(first) % 10_000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(percent: u8) -> Flag {
        Flag {
            name: "new_widget".into(),
            description: String::new(),
            enabled: true,
            rollout_percentage: percent,
            on_domains: vec!["beta.example".into()],
            off_domains: vec!["blocked.example".into()],
            kill_switch: false,
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn rollout_is_stable_per_guest_and_near_its_percentage() {
        let flag = flag(30);
        let guests: Vec<Uuid> = (0..10_000).map(|_| Uuid::new_v4()).collect();
        let on = guests.iter().filter(|g| flag.is_on_for(**g, None)).count();
        assert!((2_800..=3_200).contains(&on), "{on} of 10,000 on at 30 %");
        for guest in &guests[..100] {
            assert_eq!(flag.is_on_for(*guest, None), flag.is_on_for(*guest, None));
        }
    }

    #[test]
    fn site_lists_and_the_switch_decide_before_the_percentage() {
        let guest = Uuid::new_v4();
        assert!(flag(0).is_on_for(guest, Some("beta.example")));
        assert!(!flag(100).is_on_for(guest, Some("blocked.example")));
        assert!(flag(100).is_on_for(guest, Some("other.example")));
        assert!(!flag(0).is_on_for(guest, None));
        let off = Flag {
            enabled: false,
            ..flag(100)
        };
        assert!(!off.is_on_for(guest, Some("beta.example")));
    }
}
