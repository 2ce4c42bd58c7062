//! Support channels a page shows: chat widgets (by script source or markup), social
//! profiles, help-centre links and contact forms. Emails and phones come from `page`.

use serde::Serialize;
use url::Url;

use super::{PageFacts, chat_widgets::CHAT_PROVIDERS, metadata::Metadata, scan::Markup};

const SOCIAL_HOSTS: &[(&str, &str)] = &[
    ("twitter.com", "twitter"),
    ("x.com", "twitter"),
    ("facebook.com", "facebook"),
    ("linkedin.com", "linkedin"),
    ("instagram.com", "instagram"),
    ("youtube.com", "youtube"),
    ("github.com", "github"),
    ("tiktok.com", "tiktok"),
    ("pinterest.com", "pinterest"),
    ("discord.gg", "discord"),
    ("mastodon.social", "mastodon"),
];

/// Hosted help centres by host suffix.
const HELP_HOSTS: &[&str] = &[
    "zendesk.com",
    "helpscoutdocs.com",
    "intercom.help",
    "freshdesk.com",
    "gitbook.io",
    "readme.io",
    "helpjuice.com",
    "document360.io",
];
/// First labels of a help-centre subdomain.
const HELP_SUBDOMAINS: &[&str] = &["help", "support", "docs", "kb", "helpcenter", "faq"];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Channels {
    /// Chat providers, by name.
    pub chat: Vec<&'static str>,
    /// (network, profile URL).
    pub social: Vec<(&'static str, String)>,
    pub help_centres: Vec<String>,
    pub contact_form: bool,
}

pub fn detect(facts: &PageFacts, markup: &Markup, base: &Url, metadata: &Metadata) -> Channels {
    let mut channels = Channels::default();
    for (name, markers) in CHAT_PROVIDERS {
        let found = markers.iter().any(|m| {
            markup.chat_marks.iter().any(|k| k == m)
                || metadata.scripts.iter().any(|s| s.contains(m))
                || markup.inline_scripts.iter().any(|s| s.contains(m))
        });
        if found {
            channels.chat.push(name);
        }
    }

    // A profile is an account: one path segment (`github.com/acme`), or a network's kind
    // of account and its name (`linkedin.com/company/acme`). A repository, a file in it, a
    // post or a share link ("/sharer", "/intent") is not the site's profile.
    let profile = |url: &Url| -> Option<&'static str> {
        let host = url.host_str()?.trim_start_matches("www.");
        let (_, network) = SOCIAL_HOSTS.iter().find(|(h, _)| host == *h)?;
        let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
        let account = match segments.as_slice() {
            [name] => ![
                "share", "sharer", "intent", "home", "search", "login", "watch", "hashtag",
                "explore", "results", "feed", "embed",
            ]
            .contains(&name.to_ascii_lowercase().as_str()),
            [kind, _] => matches!(
                (*network, kind.to_ascii_lowercase().as_str()),
                ("linkedin", "company" | "in" | "school" | "showcase")
                    | ("youtube", "c" | "channel" | "user")
            ),
            _ => false,
        };
        account.then_some(*network)
    };
    let site = base
        .host_str()
        .unwrap_or_default()
        .trim_start_matches("www.");
    let same_as = metadata
        .same_as()
        .into_iter()
        .filter_map(|href| base.join(href.trim()).ok());
    for url in facts.links.iter().map(|l| l.url.clone()).chain(same_as) {
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        if let Some(network) = profile(&url) {
            let link = url.to_string();
            if !channels.social.iter().any(|(_, l)| *l == link) {
                channels.social.push((network, link));
            }
            continue;
        }
        let host = url.host_str().unwrap_or_default();
        let first = host.split('.').next().unwrap_or_default();
        let own_help = HELP_SUBDOMAINS.contains(&first) && host.ends_with(site) && host != site;
        let hosted = HELP_HOSTS.iter().any(|h| host.ends_with(h));
        if own_help || hosted {
            let centre = format!("{}://{host}/", url.scheme());
            if !channels.help_centres.contains(&centre) {
                channels.help_centres.push(centre);
            }
        }
    }

    channels.contact_form = markup.contact_form;
    channels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::scan;

    fn detect_in(html: &str) -> Channels {
        let base = Url::parse("https://www.acme.test/").unwrap();
        let scan = scan::scan(html, &base, false);
        detect(&scan.facts, &scan.markup, &base, &scan.metadata)
    }

    #[test]
    fn every_chat_provider_by_its_snippet() {
        let cases = [
            (
                "intercom",
                r#"<script src="https://widget.intercom.io/widget/abc"></script>"#,
            ),
            (
                "zendesk",
                r#"<script id="ze-snippet" src="https://static.zdassets.com/ekr/snippet.js?key=1"></script>"#,
            ),
            ("drift", r#"<script>drift.load('abc');</script>"#),
            (
                "crisp",
                r#"<script>window.$crisp=[];window.CRISP_WEBSITE_ID="x";</script>"#,
            ),
            (
                "hubspot",
                r#"<script id="hs-script-loader" src="//js.hs-scripts.com/123.js"></script>"#,
            ),
            ("tawk", r#"<script>var Tawk_API=Tawk_API||{};</script>"#),
            (
                "livechat",
                r#"<script>window.__lc = {}; window.__lc.license = 1;</script>"#,
            ),
            (
                "freshchat",
                r#"<script src="https://wchat.freshchat.com/js/widget.js"></script>"#,
            ),
            (
                "helpscout",
                r#"<script>window.Beacon('init', 'abc')</script>"#,
            ),
            ("gorgias", r#"<div id="gorgias-chat"></div>"#),
            (
                "olark",
                r#"<script src="https://static.olark.com/jsclient/loader.js"></script>"#,
            ),
        ];
        for (provider, html) in cases {
            assert_eq!(detect_in(html).chat, [provider], "{html}");
        }
        assert!(
            detect_in("<p>No chat here; we love talking.</p>")
                .chat
                .is_empty()
        );
    }

    #[test]
    fn social_profiles_help_centres_and_contact_forms() {
        let found = detect_in(
            r#"<a href="https://twitter.com/acme">t</a><a href="https://twitter.com/intent/tweet?u=x">share</a>
               <a href="https://www.linkedin.com/company/acme">l</a>
               <a href="https://help.acme.test/hc/en-us">Help</a><a href="https://acme.zendesk.com/hc">HC</a>
               <form><input type=email name=email><textarea name=message></textarea></form>
               <form><input name=email><input type=password></form>"#,
        );
        assert_eq!(
            found.social,
            [
                ("twitter", "https://twitter.com/acme".to_string()),
                (
                    "linkedin",
                    "https://www.linkedin.com/company/acme".to_string()
                )
            ]
        );
        assert_eq!(
            found.help_centres,
            ["https://help.acme.test/", "https://acme.zendesk.com/"]
        );
        assert!(found.contact_form);
        let login_only = detect_in("<form><input name=email><input type=password></form>");
        assert!(!login_only.contact_form);
    }

    #[test]
    fn a_profile_is_an_account_not_a_repository_or_a_post() {
        let found = detect_in(
            r#"<a href="https://github.com/someone/tool/blob/main/README.md">a file</a>
               <a href="https://github.com/someone/tool">a repository</a>
               <a href="https://twitter.com/acme/status/1">a post</a>
               <a href="https://www.youtube.com/watch?v=x">a video</a>
               <a href="https://github.com/acme">GitHub</a>
               <a href="https://www.youtube.com/c/acme">YouTube</a>"#,
        );
        assert_eq!(
            found.social,
            [
                ("github", "https://github.com/acme".to_string()),
                ("youtube", "https://www.youtube.com/c/acme".to_string())
            ]
        );
    }
}
