//! Step 4, Integration Setup: what extraction found on the crawled pages becomes the run's
//! `site_insights` row, from which the guest's configuration takes its suggested values
//! (never over a value the user set; see `onboarding::effective`).

use std::collections::BTreeMap;

use chrono::Utc;
use onboard_shared::{entities::site_insight, onboarding::normalise_hex_color, untrusted};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr};
use serde_json::{Value, json};

use crate::{
    crawl::{CrawledPage, fetch::Fetcher},
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

/// Derives and stores the insights of a run. `brand` is the home page's, from `home_brand`.
/// Every value came from a crawled page: each passes the untrusted-value rules (http(s)
/// URLs only, valid emails and phone numbers, plain bounded text) before it is stored.
pub async fn write_insights(
    db: &DatabaseConnection,
    run_id: i64,
    site_id: i64,
    pages: &[CrawledPage],
    brand: Option<&Brand>,
) -> Result<site_insight::Model, DbErr> {
    let analysed: Vec<(&CrawledPage, &PageAnalysis)> = pages
        .iter()
        .filter_map(|p| p.analysis.as_deref().map(|a| (p, a)))
        .collect();

    // The two most confident colours become the primary and secondary suggestions.
    let colors: Vec<Value> = brand
        .map(|b| b.colors.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|c| normalise_hex_color(&c.color).map(|color| (color, c)))
        .take(5)
        .enumerate()
        .map(|(i, (color, c))| {
            let role = match i {
                0 => "primary",
                1 => "secondary",
                _ => "other",
            };
            json!({"color": color, "source": c.source, "confidence": c.confidence, "role": role})
        })
        .collect();

    // Each channel with the first page it was found on.
    let mut emails: BTreeMap<String, String> = BTreeMap::new();
    let mut phones: BTreeMap<String, String> = BTreeMap::new();
    let mut chat: BTreeMap<&str, String> = BTreeMap::new();
    let mut social: BTreeMap<String, (&str, String)> = BTreeMap::new();
    let mut help: BTreeMap<String, String> = BTreeMap::new();
    let mut forms: Vec<String> = Vec::new();
    let mut faq: Vec<Value> = Vec::new();
    let mut questions_seen: std::collections::HashSet<String> = Default::default();
    let mut categories: BTreeMap<&str, u32> = BTreeMap::new();
    let mut languages: BTreeMap<String, u32> = BTreeMap::new();
    let mut flags: BTreeMap<String, u32> = BTreeMap::new();
    let (mut score_sum, mut good, mut words) = (0u64, 0u32, 0usize);
    for (page, a) in &analysed {
        let at = page.url.to_string();
        for email in a.emails.iter().filter_map(|e| untrusted::email(e)) {
            emails.entry(email).or_insert_with(|| at.clone());
        }
        for phone in a.phones.iter().filter_map(|p| untrusted::phone(p)) {
            phones.entry(phone).or_insert_with(|| at.clone());
        }
        for provider in &a.channels.chat {
            chat.entry(provider).or_insert_with(|| at.clone());
        }
        for (network, url) in &a.channels.social {
            if let Some(url) = untrusted::http_url(url, None) {
                social.entry(url).or_insert_with(|| (network, at.clone()));
            }
        }
        for centre in &a.channels.help_centres {
            if let Some(centre) = untrusted::http_url(centre, None) {
                help.entry(centre).or_insert_with(|| at.clone());
            }
        }
        if a.channels.contact_form {
            forms.push(at.clone());
        }
        // The same question on two pages (a duplicate page, say) is kept once.
        for (question, answer) in &a.faq {
            let question = untrusted::plain_text(question, MAX_QUESTION_CHARS);
            let answer = untrusted::plain_text(answer, MAX_ANSWER_CHARS);
            if !question.is_empty()
                && !answer.is_empty()
                && faq.len() < MAX_FAQ_PAIRS
                && questions_seen.insert(question.to_lowercase())
            {
                faq.push(json!({"question": question, "answer": answer, "page": at}));
            }
        }
        *categories.entry(a.category.as_str()).or_default() += 1;
        if let Some(code) = a.language.code.as_deref().and_then(untrusted::language_tag) {
            *languages.entry(code).or_default() += 1;
        }
        for flag in &a.quality.flags {
            let name = serde_json::to_value(flag)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned));
            *flags.entry(name.unwrap_or_default()).or_default() += 1;
        }
        score_sum += u64::from(a.quality.score);
        good += u32::from(a.quality.flags.is_empty() && a.quality.score >= 60);
        words += a.content.word_count;
    }
    let found = |m: BTreeMap<String, String>| -> Value {
        m.into_iter()
            .map(|(value, page)| json!({"value": value, "page": page}))
            .collect()
    };
    let home = analysed.first().map(|(_, a)| *a);
    // The home page's language, else the most common one.
    let language = home
        .and_then(|h| h.language.code.as_deref().and_then(untrusted::language_tag))
        .or_else(|| {
            languages
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(l, _)| l.clone())
        });
    let n = analysed.len().max(1);
    site_insight::ActiveModel {
        run_id: Set(run_id),
        site_id: Set(site_id),
        suggested_colors: Set(Value::Array(colors)),
        logo_url: Set(brand
            .and_then(|b| b.logo.as_ref())
            .and_then(|l| untrusted::http_url(&l.url, None))),
        favicon_url: Set(brand
            .and_then(|b| b.favicon.as_deref())
            .and_then(|f| untrusted::http_url(f, None))),
        support_channels: Set(json!({
            "emails": found(emails),
            "phones": found(phones),
            "chat": chat.into_iter().map(|(provider, page)| json!({"provider": provider, "page": page})).collect::<Vec<_>>(),
            "social": social.into_iter().map(|(url, (network, page))| json!({"network": network, "url": url, "page": page})).collect::<Vec<_>>(),
            "helpCentres": found(help),
            "contactForms": forms,
        })),
        content_categories: Set(json!(categories)),
        language: Set(language),
        quality_summary: Set(json!({
            "pages": analysed.len(),
            "meanScore": score_sum / n as u64,
            "goodPages": good,
            "flagged": flags,
            "meanWords": words / n,
            "languages": languages,
        })),
        faq_pairs: Set(Some(Value::Array(faq))),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}
