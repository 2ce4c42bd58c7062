//! The onboarding configuration a guest builds up: what the user set (kept in
//! `guest_sessions.temp_configuration`), what the analysis suggests (from `site_insights`),
//! and the defaults. A user's value always wins; a suggestion never overwrites one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    insights::{ColorRole, ColorSuggestion, SupportChannels},
    untrusted,
};

pub const DEFAULT_PRIMARY_COLOR: &str = "#FB8537";
pub const DEFAULT_SECONDARY_COLOR: &str = "#4884FA";
pub const DEFAULT_FLOATIE_POSITION: &str = "right";

/// Design fields; `None` means not set at this layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Design {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floatie_position: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floatie_logo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launcher_logo: Option<String>,
}

impl Design {
    /// Fills each unset field from `other`.
    pub fn or(self, other: &Design) -> Design {
        Design {
            primary_color: self.primary_color.or_else(|| other.primary_color.clone()),
            secondary_color: self
                .secondary_color
                .or_else(|| other.secondary_color.clone()),
            floatie_position: self
                .floatie_position
                .or_else(|| other.floatie_position.clone()),
            floatie_logo: self.floatie_logo.or_else(|| other.floatie_logo.clone()),
            launcher_logo: self.launcher_logo.or_else(|| other.launcher_logo.clone()),
        }
    }

    /// The names (as the API spells them) of the fields whose value differs in `other`.
    pub fn changed_fields(&self, other: &Design) -> Vec<String> {
        [
            ("primaryColor", &self.primary_color, &other.primary_color),
            (
                "secondaryColor",
                &self.secondary_color,
                &other.secondary_color,
            ),
            (
                "floatiePosition",
                &self.floatie_position,
                &other.floatie_position,
            ),
            ("floatieLogo", &self.floatie_logo, &other.floatie_logo),
            ("launcherLogo", &self.launcher_logo, &other.launcher_logo),
        ]
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, _, _)| name.to_owned())
        .collect()
    }

    pub fn defaults() -> Design {
        Design {
            primary_color: Some(DEFAULT_PRIMARY_COLOR.into()),
            secondary_color: Some(DEFAULT_SECONDARY_COLOR.into()),
            floatie_position: Some(DEFAULT_FLOATIE_POSITION.into()),
            floatie_logo: None,
            launcher_logo: None,
        }
    }
}

/// Contact methods by channel name (`email`, `phone`, `chat`, …): what the widget offers.
pub type Contact = BTreeMap<String, String>;
/// Contact tabs by name, `true` when hidden.
pub type Tabs = BTreeMap<String, bool>;

/// What the user has set so far, as stored on the guest session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TempConfiguration {
    #[serde(default)]
    pub design: Design,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "contact_as_stored"
    )]
    pub contact: Option<Contact>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "tabs_as_stored"
    )]
    pub disabled_tabs: Option<Tabs>,
    /// The guest chose to go on without an analysis (the content step's criteria).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_analysis: Option<bool>,
    /// The guest chose to offer no contact channel (the contact step's criteria).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_contact: Option<bool>,
}

impl TempConfiguration {
    /// Reads the stored JSON; anything unreadable counts as nothing set.
    pub fn from_json(value: &Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("configuration serialises")
    }
}

/// Applies a partial update of a map key by key: a value sets its key, `None` removes it.
pub fn merge<V>(base: &mut BTreeMap<String, V>, patch: BTreeMap<String, Option<V>>) {
    for (key, value) in patch {
        match value {
            Some(value) => {
                base.insert(key, value);
            }
            None => {
                base.remove(&key);
            }
        }
    }
}

/// Contact methods as stored, whatever an older version stored: an object of strings
/// (other values are left out).
pub fn contact_of(value: &Value) -> Contact {
    value
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Hidden tabs as stored, whatever an older version stored: an object of booleans, or a
/// list of the hidden tabs' names.
pub fn tabs_of(value: &Value) -> Tabs {
    match value {
        Value::Array(names) => names
            .iter()
            .filter_map(|n| n.as_str().map(|n| (n.to_owned(), true)))
            .collect(),
        Value::Object(o) => o
            .iter()
            .filter_map(|(k, v)| v.as_bool().map(|v| (k.clone(), v)))
            .collect(),
        _ => Tabs::new(),
    }
}

fn contact_as_stored<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Contact>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.map(|v| contact_of(&v)))
}

fn tabs_as_stored<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Tabs>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.map(|v| tabs_of(&v)))
}

/// What the analysis suggests, derived from a run's insights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Suggestions {
    pub design: Design,
    pub contact: Option<Contact>,
}

/// The configuration as the UI sees it and as `complete` applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub design: Design,
    pub contact: Contact,
    pub disabled_tabs: Tabs,
}

/// User value, else suggestion, else default — field by field.
pub fn effective(user: &TempConfiguration, suggested: &Suggestions) -> Effective {
    Effective {
        design: user
            .design
            .clone()
            .or(&suggested.design)
            .or(&Design::defaults()),
        contact: user
            .contact
            .clone()
            .or_else(|| suggested.contact.clone())
            .unwrap_or_default(),
        disabled_tabs: user.disabled_tabs.clone().unwrap_or_default(),
    }
}

/// `#RGB` or `#RRGGBB`, upper-cased to `#RRGGBB`.
pub fn normalise_hex_color(input: &str) -> Option<String> {
    let hex = input.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_uppercase())),
        3 => Some(format!(
            "#{}",
            hex.chars()
                .flat_map(|c| [c, c])
                .collect::<String>()
                .to_ascii_uppercase()
        )),
        _ => None,
    }
}

impl Suggestions {
    /// What a run's insights suggest: its primary and secondary colours, its logo (an
    /// absolute http(s) URL) as the launcher logo, and the first email and phone number
    /// found as contact methods. The insights came from crawled pages: each value passes
    /// the untrusted-value rules again here, whatever the worker stored.
    pub fn from_insights(insights: &crate::entities::site_insight::Model) -> Self {
        let colors: Vec<ColorSuggestion> = crate::insights::read(&insights.suggested_colors);
        let color_for = |role: ColorRole| {
            colors
                .iter()
                .find(|c| c.role == role)
                .and_then(|c| normalise_hex_color(&c.color))
        };
        let channels: SupportChannels = crate::insights::read(&insights.support_channels);
        let first = |found: &[crate::insights::Found], valid: fn(&str) -> Option<String>| {
            found.first().and_then(|f| valid(&f.value))
        };
        let mut contact = Contact::new();
        if let Some(email) = first(&channels.emails, untrusted::email) {
            contact.insert("email".into(), email);
        }
        if let Some(phone) = first(&channels.phones, untrusted::phone) {
            contact.insert("phone".into(), phone);
        }
        Suggestions {
            design: Design {
                primary_color: color_for(ColorRole::Primary),
                secondary_color: color_for(ColorRole::Secondary),
                launcher_logo: insights
                    .logo_url
                    .as_deref()
                    .and_then(|url| untrusted::http_url(url, None)),
                ..Design::default()
            },
            contact: (!contact.is_empty()).then_some(contact),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_beats_suggestion_beats_default() {
        let user = TempConfiguration {
            design: Design {
                primary_color: Some("#111111".into()),
                ..Design::default()
            },
            ..Default::default()
        };
        let suggested = Suggestions {
            design: Design {
                primary_color: Some("#222222".into()),
                secondary_color: Some("#333333".into()),
                ..Design::default()
            },
            contact: None,
        };
        let eff = effective(&user, &suggested);
        assert_eq!(eff.design.primary_color.as_deref(), Some("#111111"));
        assert_eq!(eff.design.secondary_color.as_deref(), Some("#333333"));
        assert_eq!(eff.design.floatie_position.as_deref(), Some("right"));
    }

    #[test]
    fn maps_merge_key_by_key_and_older_stored_forms_read() {
        let mut tabs = tabs_of(&serde_json::json!(["chat", "email"]));
        merge(
            &mut tabs,
            BTreeMap::from([("phone".into(), Some(true)), ("chat".into(), None)]),
        );
        assert_eq!(
            tabs,
            BTreeMap::from([("email".into(), true), ("phone".into(), true)])
        );
        let contact = contact_of(&serde_json::json!({"email": "a@b.test", "n": 3}));
        assert_eq!(
            contact,
            BTreeMap::from([("email".into(), "a@b.test".into())])
        );
        let stored = TempConfiguration::from_json(
            &serde_json::json!({"design": {"primaryColor": "#111111"}, "disabledTabs": ["chat"]}),
        );
        assert_eq!(stored.design.primary_color.as_deref(), Some("#111111"));
        assert_eq!(
            stored.disabled_tabs,
            Some(BTreeMap::from([("chat".into(), true)]))
        );
    }

    #[test]
    fn hex_colours_normalise() {
        assert_eq!(normalise_hex_color("#fb8537").as_deref(), Some("#FB8537"));
        assert_eq!(normalise_hex_color("#abc").as_deref(), Some("#AABBCC"));
        for bad in ["fb8537", "#fb853", "#ggg", "red", "#1234567"] {
            assert_eq!(normalise_hex_color(bad), None, "{bad}");
        }
    }
}
