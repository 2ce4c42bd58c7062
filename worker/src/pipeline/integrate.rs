//! Step 4, Integration Setup: what extraction found on the crawled pages becomes the run's
//! `site_insights` row, from which the guest's configuration takes its suggested values
//! (never over a value the user set; see `onboarding::effective`). The findings are
//! gathered page by page as the crawl goes ([`Findings`]), so no page is kept for them.

use std::collections::{BTreeMap, HashSet};

use chrono::Utc;
use onboard_shared::{
    entities::site_insight,
    insights::{
        ChatFound, ColorRole, ColorSuggestion, FaqPair, Found, QualitySummary, SocialFound,
        SupportChannels,
    },
    onboarding::normalise_hex_color,
    untrusted,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr};
use serde_json::Value;

use crate::{
    crawl::fetch::Fetcher,
    extract::{
        PageAnalysis,
        brand::{self, Brand},
    },
};

/// A manifest or stylesheet larger than this is not read for colours.
const MAX_ASSET_BYTES: usize = 512 * 1024;

/// FAQ pairs kept per site, and characters kept of a question and of an answer.
const MAX_FAQ_PAIRS: usize = 200;
const MAX_QUESTION_CHARS: usize = 300;
const MAX_ANSWER_CHARS: usize = 2000;

/// The home page's brand, completed with its web manifest and a few of its stylesheets,
/// fetched through the crawler's guarded client.
pub async fn home_brand(fetcher: &Fetcher, home: &PageAnalysis, base: &url::Url) -> Brand {
    let mut found = home.brand.clone();
    if let Some(manifest) = home
        .metadata
        .manifest
        .as_deref()
        .and_then(|m| m.parse().ok())
        && let Ok(fetched) = fetcher.get_limited(&manifest, MAX_ASSET_BYTES).await
        && fetched.status.is_success()
        && let Ok(value) = serde_json::from_slice::<Value>(&fetched.body)
    {
        brand::add_manifest(&mut found, &value, &manifest);
    }
    for sheet in home.brand.stylesheets.iter().take(brand::MAX_STYLESHEETS) {
        let Ok(url) = base.join(sheet) else { continue };
        if let Ok(fetched) = fetcher.get_limited(&url, MAX_ASSET_BYTES).await
            && fetched.status.is_success()
        {
            brand::add_stylesheet(&mut found, &fetched.text());
        }
    }
    found
}

#[derive(Debug)]
struct Profile {
    network: &'static str,
    page: String,
    pages: u32,
    on_home: bool,
}

/// The site's own profiles: a link the site repeats in its chrome (on the home page, or
/// on two pages or more), not one a single page cites (someone else's repository).
fn social_profiles(found: BTreeMap<String, Profile>, pages: usize) -> Vec<SocialFound> {
    found
        .into_iter()
        .filter(|(_, p)| p.on_home || p.pages >= 2 || pages <= 1)
        .map(|(url, p)| SocialFound {
            network: p.network.to_owned(),
            url,
            page: p.page,
        })
        .collect()
}

/// What the crawled pages show, gathered one page at a time. Every value came from a
/// crawled page: each passes the untrusted-value rules (http(s) URLs only, valid emails
/// and phone numbers, plain bounded text) as it is taken.
#[derive(Debug, Default)]
pub struct Findings {
    /// Each channel with the first page it was found on.
    emails: BTreeMap<String, String>,
    phones: BTreeMap<String, String>,
    chat: BTreeMap<&'static str, String>,
    /// Each profile with its network, the first page it was found on, and on how many
    /// pages, and whether on the first page crawled (the home page's chrome).
    social: BTreeMap<String, Profile>,
    help: BTreeMap<String, String>,
    forms: Vec<String>,
    faq: Vec<FaqPair>,
    questions_seen: HashSet<String>,
    categories: BTreeMap<&'static str, u64>,
    languages: BTreeMap<String, u64>,
    flags: BTreeMap<String, u64>,
    /// The first page's language: the home page's, when it was crawled.
    home_language: Option<String>,
    pages: usize,
    score_sum: u64,
    good: u32,
    words: usize,
}

impl Findings {
    /// Takes what one analysed page shows.
    pub fn add(&mut self, url: &url::Url, a: &PageAnalysis) {
        let at = url.to_string();
        for email in a.emails.iter().filter_map(|e| untrusted::email(e)) {
            self.emails.entry(email).or_insert_with(|| at.clone());
        }
        for phone in a.phones.iter().filter_map(|p| untrusted::phone(p)) {
            self.phones.entry(phone).or_insert_with(|| at.clone());
        }
        for provider in &a.channels.chat {
            self.chat.entry(provider).or_insert_with(|| at.clone());
        }
        let home = self.pages == 0;
        for (network, url) in &a.channels.social {
            if let Some(url) = untrusted::http_url(url, None) {
                let profile = self.social.entry(url).or_insert_with(|| Profile {
                    network,
                    page: at.clone(),
                    pages: 0,
                    on_home: home,
                });
                profile.pages += 1;
            }
        }
        for centre in &a.channels.help_centres {
            if let Some(centre) = untrusted::http_url(centre, None) {
                self.help.entry(centre).or_insert_with(|| at.clone());
            }
        }
        if a.channels.contact_form {
            self.forms.push(at.clone());
        }
        // The same question on two pages (a duplicate page, say) is kept once.
        for (question, answer) in &a.faq {
            let question = untrusted::plain_text(question, MAX_QUESTION_CHARS);
            let answer = untrusted::plain_text(answer, MAX_ANSWER_CHARS);
            if !question.is_empty()
                && !answer.is_empty()
                && self.faq.len() < MAX_FAQ_PAIRS
                && self.questions_seen.insert(question.to_lowercase())
            {
                self.faq.push(FaqPair {
                    question,
                    answer,
                    page: at.clone(),
                });
            }
        }
        *self.categories.entry(a.category.as_str()).or_default() += 1;
        let language = a.language.code.as_deref().and_then(untrusted::language_tag);
        if self.pages == 0 {
            self.home_language = language.clone();
        }
        if let Some(code) = language {
            *self.languages.entry(code).or_default() += 1;
        }
        for flag in &a.quality.flags {
            let name = serde_json::to_value(flag)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned));
            *self.flags.entry(name.unwrap_or_default()).or_default() += 1;
        }
        self.pages += 1;
        self.score_sum += u64::from(a.quality.score);
        self.good += u32::from(a.quality.flags.is_empty() && a.quality.score >= 60);
        self.words += a.content.word_count;
    }

    /// Stores the run's insights. `brand` is the home page's, from `home_brand`.
    pub async fn write(
        self,
        db: &DatabaseConnection,
        run_id: i64,
        site_id: i64,
        brand: Option<&Brand>,
    ) -> Result<site_insight::Model, DbErr> {
        // The most confident colours: the first two become the primary and secondary
        // suggestions.
        let colors: Vec<ColorSuggestion> = brand
            .map(|b| b.colors.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|c| normalise_hex_color(&c.color).map(|color| (color, c)))
            .take(5)
            .enumerate()
            .map(|(i, (color, c))| ColorSuggestion {
                color,
                source: c.source.to_owned(),
                confidence: c.confidence,
                role: match i {
                    0 => ColorRole::Primary,
                    1 => ColorRole::Secondary,
                    _ => ColorRole::Other,
                },
            })
            .collect();
        let found = |m: BTreeMap<String, String>| -> Vec<Found> {
            m.into_iter()
                .map(|(value, page)| Found { value, page })
                .collect()
        };
        let channels = SupportChannels {
            emails: found(self.emails),
            phones: found(self.phones),
            chat: self
                .chat
                .into_iter()
                .map(|(provider, page)| ChatFound {
                    provider: provider.to_owned(),
                    page,
                })
                .collect(),
            social: social_profiles(self.social, self.pages),
            help_centres: found(self.help),
            contact_forms: self.forms,
        };
        // The home page's language, else the most common one.
        let language = self.home_language.clone().or_else(|| {
            self.languages
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(l, _)| l.clone())
        });
        let n = self.pages.max(1) as u64;
        let quality = QualitySummary {
            pages: self.pages as u64,
            mean_score: self.score_sum / n,
            good_pages: u64::from(self.good),
            flagged: self.flags,
            mean_words: self.words as u64 / n,
            languages: self.languages,
        };
        site_insight::ActiveModel {
            run_id: Set(run_id),
            site_id: Set(site_id),
            suggested_colors: Set(json(&colors)),
            logo_url: Set(brand
                .and_then(|b| b.logo.as_ref())
                .and_then(|l| untrusted::http_url(&l.url, None))),
            favicon_url: Set(brand
                .and_then(|b| b.favicon.as_deref())
                .and_then(|f| untrusted::http_url(f, None))),
            support_channels: Set(json(&channels)),
            content_categories: Set(json(&self.categories)),
            language: Set(language),
            quality_summary: Set(json(&quality)),
            faq_pairs: Set(Some(json(&self.faq))),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await
    }
}

/// A shape as its JSON column stores it.
fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("insight shapes serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::analyse;

    fn add(findings: &mut Findings, url: &str, body: &str) {
        let url = url::Url::parse(url).unwrap();
        let html = format!("<html><head><title>Page</title></head><body>{body}</body></html>");
        findings.add(&url, &analyse(&html, &url, None, &[]));
    }

    #[test]
    fn a_profile_is_one_the_site_repeats_not_one_a_page_cites() {
        let mut findings = Findings::default();
        let chrome = "<footer><a href=\"https://github.com/acme\">GitHub</a></footer>";
        add(
            &mut findings,
            "https://acme.test/",
            &format!("<p>Home</p>{chrome}"),
        );
        add(
            &mut findings,
            "https://acme.test/blog/tools",
            "<p>We like <a href=\"https://github.com/someone\">someone's tools</a>.</p>",
        );
        add(
            &mut findings,
            "https://acme.test/about",
            "<footer><a href=\"https://twitter.com/acme\">Twitter</a></footer>",
        );
        add(
            &mut findings,
            "https://acme.test/contact",
            "<footer><a href=\"https://twitter.com/acme\">Twitter</a></footer>",
        );
        let urls: Vec<String> = social_profiles(findings.social, findings.pages)
            .into_iter()
            .map(|p| p.url)
            .collect();
        assert_eq!(
            urls,
            ["https://github.com/acme", "https://twitter.com/acme"]
        );
    }
}
