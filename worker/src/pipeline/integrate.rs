//! Step 4, Integration Setup: what the crawl found becomes the run's `site_insights` row,
//! from which the guest's configuration takes its suggested values.

use std::collections::BTreeMap;

use chrono::Utc;
use onboard_shared::{entities::site_insight, onboarding::normalise_hex_color};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr};
use serde_json::{Value, json};

use crate::crawl::CrawledPage;

/// A rough page category from the URL path, until content-based categories replace it.
fn category(url: &url::Url) -> &'static str {
    let path = url.path().to_ascii_lowercase();
    const RULES: &[(&str, &[&str])] = &[
        ("faq", &["faq"]),
        (
            "help",
            &["help", "support", "docs", "kb", "knowledge", "guide"],
        ),
        ("pricing", &["pricing", "plans"]),
        ("contact", &["contact"]),
        ("about", &["about", "team", "company"]),
        ("blog", &["blog", "news", "article"]),
        ("legal", &["privacy", "terms", "legal", "cookie"]),
        ("careers", &["careers", "jobs"]),
    ];
    RULES
        .iter()
        .find(|(_, words)| words.iter().any(|w| path.contains(w)))
        .map_or("other", |(name, _)| name)
}

/// Derives and stores the insights of a run.
pub async fn write_insights(
    db: &DatabaseConnection,
    run_id: i64,
    site_id: i64,
    pages: &[CrawledPage],
) -> Result<site_insight::Model, DbErr> {
    let crawled: Vec<_> = pages
        .iter()
        .filter_map(|p| p.facts.as_ref().map(|f| (p, f)))
        .collect();
    let home = crawled.first().map(|(_, f)| *f);

    let mut colors = Vec::new();
    if let Some(color) = home
        .and_then(|h| h.theme_color.as_deref())
        .and_then(normalise_hex_color)
    {
        colors.push(
            json!({"color": color, "source": "theme-color", "confidence": 0.9, "role": "primary"}),
        );
    }

    let mut emails: BTreeMap<String, String> = BTreeMap::new();
    let mut phones: BTreeMap<String, String> = BTreeMap::new();
    let mut categories: BTreeMap<&str, u32> = BTreeMap::new();
    for (page, facts) in &crawled {
        for email in &facts.emails {
            emails
                .entry(email.clone())
                .or_insert_with(|| page.url.to_string());
        }
        for phone in &facts.phones {
            phones
                .entry(phone.clone())
                .or_insert_with(|| page.url.to_string());
        }
        *categories.entry(category(&page.url)).or_default() += 1;
    }
    let found = |m: BTreeMap<String, String>| -> Value {
        m.into_iter()
            .map(|(value, page)| json!({"value": value, "page": page}))
            .collect()
    };

    let words: usize = crawled.iter().map(|(_, f)| f.word_count).sum();
    let favicon = home.and_then(|h| h.icons.first()).map(|u| u.to_string());
    site_insight::ActiveModel {
        run_id: Set(run_id),
        site_id: Set(site_id),
        suggested_colors: Set(Value::Array(colors)),
        logo_url: Set(None),
        favicon_url: Set(favicon),
        support_channels: Set(json!({"emails": found(emails), "phones": found(phones)})),
        content_categories: Set(json!(categories)),
        language: Set(home.and_then(|h| h.language.clone())),
        quality_summary: Set(json!({
            "pages": crawled.len(),
            "meanWords": if crawled.is_empty() { 0 } else { words / crawled.len() },
        })),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}
