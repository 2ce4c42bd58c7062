//! The shapes of what an analysis found, as `site_insights` stores them (JSON columns) and
//! the api shows them: written by the worker, read by the api and the suggestions, one
//! definition for both.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A colour found on the site, with where it came from and how sure the guess is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct ColorSuggestion {
    /// `#RRGGBB`.
    pub color: String,
    /// Where it was found: `theme-color`, `manifest-theme`, `css-variable`, ….
    pub source: String,
    /// 0 to 1.
    pub confidence: f64,
    pub role: ColorRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Enum),
    oai(rename_all = "lowercase")
)]
pub enum ColorRole {
    Primary,
    Secondary,
    Other,
}

/// A value (an email, a phone number, a help centre) and the page it was first found on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Found {
    pub value: String,
    pub page: String,
}

/// A chat widget provider and the page it was first found on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct ChatFound {
    /// `intercom`, `zendesk`, `drift`, `crisp`, `hubspot`, `tawk`, `livechat`,
    /// `freshchat`, `helpscout`, `gorgias` or `olark`.
    pub provider: String,
    pub page: String,
}

/// A social profile of the site and the page it was first found on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct SocialFound {
    /// `twitter`, `facebook`, `linkedin`, `instagram`, `youtube`, `github`, ….
    pub network: String,
    pub url: String,
    pub page: String,
}

/// The support channels the site shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Object),
    oai(rename_all = "camelCase")
)]
pub struct SupportChannels {
    pub emails: Vec<Found>,
    pub phones: Vec<Found>,
    pub chat: Vec<ChatFound>,
    pub social: Vec<SocialFound>,
    pub help_centres: Vec<Found>,
    /// Pages with a contact form.
    pub contact_forms: Vec<String>,
}

/// The quality of the pages analysed, summed up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Object),
    oai(rename_all = "camelCase")
)]
pub struct QualitySummary {
    pub pages: u64,
    /// 0 to 100.
    pub mean_score: u64,
    /// Pages scoring 60 or more with no flag.
    pub good_pages: u64,
    /// Pages by quality flag (`thin`, `no_title`, …).
    pub flagged: BTreeMap<String, u64>,
    pub mean_words: u64,
    /// Pages by language code.
    pub languages: BTreeMap<String, u64>,
}

/// A question and its answer, from the site's FAQ pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct FaqPair {
    pub question: String,
    pub answer: String,
    pub page: String,
}

/// Reads a stored JSON column as its shape; what does not read (an older row) reads as
/// the shape's default.
pub fn read<T: for<'de> Deserialize<'de> + Default>(value: &serde_json::Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_channels_read_back_in_their_shape() {
        let stored = serde_json::json!({
            "emails": [{"value": "help@acme.test", "page": "https://acme.test/contact"}],
            "phones": [], "chat": [{"provider": "intercom", "page": "https://acme.test/"}],
            "social": [], "helpCentres": [], "contactForms": ["https://acme.test/contact"]
        });
        let channels: SupportChannels = read(&stored);
        assert_eq!(channels.emails[0].value, "help@acme.test");
        assert_eq!(channels.chat[0].provider, "intercom");
        assert_eq!(serde_json::to_value(&channels).unwrap(), stored);
        assert_eq!(
            read::<SupportChannels>(&serde_json::json!("junk")),
            SupportChannels::default()
        );
    }
}
