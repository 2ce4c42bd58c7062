//! Chat widgets a page may embed, by the markers their snippets leave: script hosts or
//! paths, and markup (element ids, classes or inline-script globals). The streaming pass
//! keeps only the tokens named here; channel detection names the provider.

/// Chat providers and the markers of their widget: script hosts or paths, and markup
/// (element ids, classes or inline-script globals).
pub const CHAT_PROVIDERS: &[(&str, &[&str])] = &[
    (
        "intercom",
        &[
            "widget.intercom.io",
            "js.intercomcdn.com",
            "intercomSettings",
        ],
    ),
    (
        "zendesk",
        &["static.zdassets.com", "ze-snippet", "zopim.com", "zEmbed"],
    ),
    (
        "drift",
        &["js.driftt.com", "drift.com/include", "drift.load("],
    ),
    (
        "crisp",
        &["client.crisp.chat", "$crisp", "CRISP_WEBSITE_ID"],
    ),
    (
        "hubspot",
        &[
            "js.hs-scripts.com",
            "js.usemessages.com",
            "hs-script-loader",
        ],
    ),
    ("tawk", &["embed.tawk.to", "Tawk_API"]),
    ("livechat", &["cdn.livechatinc.com", "__lc.license"]),
    (
        "freshchat",
        &["wchat.freshchat.com", "fcWidget", "freshchat.com/js"],
    ),
    ("helpscout", &["beacon-v2.helpscout.net", "Beacon('init'"]),
    ("gorgias", &["config.gorgias.chat", "gorgias-chat"]),
    ("olark", &["static.olark.com", "olark.identify", "olark("]),
];

/// Whether an id or class token names a chat widget (the streaming pass keeps only these).
pub fn is_chat_mark(token: &str) -> bool {
    CHAT_PROVIDERS
        .iter()
        .any(|(_, markers)| markers.contains(&token))
}
