//! Site-specific main-content selectors from configuration (`ONBOARD_CONTENT_SELECTORS`),
//! compiled once at start so a typo stops the worker instead of quietly doing nothing.

use std::{collections::HashMap, sync::Arc};

use scraper::Selector;

#[derive(Debug, thiserror::Error)]
#[error("ONBOARD_CONTENT_SELECTORS: {selectors:?} for {host} is not a CSS selector list: {reason}")]
pub struct InvalidSelector {
    pub host: String,
    pub selectors: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct SiteSelectors {
    by_host: HashMap<String, Arc<[Selector]>>,
}

impl SiteSelectors {
    /// From `(host, selector list)` pairs; each comma-separated selector is tried in order.
    pub fn compile(entries: &[(String, String)]) -> Result<Self, InvalidSelector> {
        let mut by_host = HashMap::new();
        for (host, list) in entries {
            let invalid = |reason: String| InvalidSelector {
                host: host.clone(),
                selectors: list.clone(),
                reason,
            };
            // Each selector on its own, so the first that matches wins rather than the
            // first element in document order matching any of them.
            let compiled = split_list(list)
                .map(|one| Selector::parse(one).map_err(|e| invalid(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            if compiled.is_empty() {
                return Err(invalid("empty".into()));
            }
            by_host.insert(host.clone(), compiled.into());
        }
        Ok(Self { by_host })
    }

    /// The selectors for a page's host (`www.` or not); none for most sites.
    pub fn for_host(&self, host: &str) -> Option<Arc<[Selector]>> {
        let host = host.to_ascii_lowercase();
        let bare = host.strip_prefix("www.").unwrap_or(&host);
        self.by_host.get(bare).cloned()
    }
}

/// Splits a selector list at its top-level commas (not those inside `:is(a, b)` or
/// `[title="a,b"]`).
fn split_list(list: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in list.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts.into_iter().map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &str) -> Vec<(String, String)> {
        vec![("acme.test".into(), list.into())]
    }

    #[test]
    fn selectors_are_found_by_host_with_or_without_www() {
        let sites = SiteSelectors::compile(&entries(".doc-body, :is(main, article) > .x")).unwrap();
        assert_eq!(sites.for_host("WWW.acme.test").unwrap().len(), 2);
        assert_eq!(sites.for_host("acme.test").unwrap().len(), 2);
        assert!(sites.for_host("other.test").is_none());
    }

    #[test]
    fn a_bad_selector_names_its_host_and_variable() {
        let error = SiteSelectors::compile(&entries("div[")).unwrap_err();
        assert_eq!(error.host, "acme.test");
        assert!(
            error.to_string().starts_with("ONBOARD_CONTENT_SELECTORS"),
            "{error}"
        );
    }
}
