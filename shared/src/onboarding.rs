//! The onboarding configuration a guest builds up: what the user set (kept in
//! `guest_sessions.temp_configuration`), what the analysis suggests (from `site_insights`),
//! and the defaults. A user's value always wins; a suggestion never overwrites one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::untrusted;

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

/// What the user has set so far, as stored on the guest session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TempConfiguration {
    #[serde(default)]
    pub design: Design,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_tabs: Option<Vec<String>>,
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

/// What the analysis suggests, derived from a run's insights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Suggestions {
    pub design: Design,
    pub contact: Option<Value>,
}

/// The configuration as the UI sees it and as `complete` applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub design: Design,
    pub contact: Value,
    pub disabled_tabs: Vec<String>,
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
            .unwrap_or_else(|| Value::Object(Default::default())),
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
        let color_for = |role: &str| {
            insights.suggested_colors.as_array().and_then(|colors| {
                colors
                    .iter()
                    .find(|c| c["role"] == role)
                    .and_then(|c| c["color"].as_str())
                    .and_then(normalise_hex_color)
            })
        };
        let first = |kind: &str, valid: fn(&str) -> Option<String>| {
            insights.support_channels[kind]
                .as_array()
                .and_then(|found| found.first())
                .and_then(|f| f["value"].as_str())
                .and_then(valid)
        };
        let mut contact = serde_json::Map::new();
        if let Some(email) = first("emails", untrusted::email) {
            contact.insert("email".into(), Value::String(email));
        }
        if let Some(phone) = first("phones", untrusted::phone) {
            contact.insert("phone".into(), Value::String(phone));
        }
        Suggestions {
            design: Design {
                primary_color: color_for("primary"),
                secondary_color: color_for("secondary"),
                launcher_logo: insights
                    .logo_url
                    .as_deref()
                    .and_then(|url| untrusted::http_url(url, None)),
                ..Design::default()
            },
            contact: (!contact.is_empty()).then_some(Value::Object(contact)),
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
    fn hex_colours_normalise() {
        assert_eq!(normalise_hex_color("#fb8537").as_deref(), Some("#FB8537"));
        assert_eq!(normalise_hex_color("#abc").as_deref(), Some("#AABBCC"));
        for bad in ["fb8537", "#fb853", "#ggg", "red", "#1234567"] {
            assert_eq!(normalise_hex_color(bad), None, "{bad}");
        }
    }
}
