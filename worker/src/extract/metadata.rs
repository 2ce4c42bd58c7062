//! Metadata beyond title and description: Open Graph and Twitter cards, the manifest link,
//! script sources, and JSON-LD (Organization, WebSite, FAQPage, ContactPoint, Product), as
//! the streaming pass (`scan`) collects them, and what the detectors read from them.

use std::collections::BTreeMap;

use scraper::Html;
use serde::Serialize;
use serde_json::Value;

/// JSON-LD scripts larger than this are not read (a page's whole product catalogue).
pub const MAX_JSON_LD: usize = 512 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metadata {
    /// `og:*` and `twitter:*` properties, by name.
    pub cards: BTreeMap<String, String>,
    pub manifest: Option<String>,
    pub scripts: Vec<String>,
    /// JSON-LD nodes of the types we use, `@graph` and arrays flattened.
    pub json_ld: Vec<Value>,
}

const JSON_LD_TYPES: &[&str] = &[
    "Organization",
    "Corporation",
    "LocalBusiness",
    "WebSite",
    "FAQPage",
    "ContactPoint",
    "Product",
    "Article",
    "BlogPosting",
    "NewsArticle",
    "TechArticle",
    "AboutPage",
    "ContactPage",
    "JobPosting",
    "DiscussionForumPosting",
    "QAPage",
];

/// Keeps the nodes of the types we use, looking into arrays, `@graph` and one level of
/// properties (a WebPage's `mainEntity`, an Organization's `contactPoint`).
fn flatten(value: Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 4 {
        return;
    }
    match value {
        Value::Array(items) => items.into_iter().for_each(|v| flatten(v, out, depth + 1)),
        Value::Object(mut map) => {
            if let Some(graph) = map.remove("@graph") {
                flatten(graph, out, depth + 1);
            }
            for key in ["mainEntity", "publisher", "contactPoint", "author"] {
                if let Some(inner) = map.get(key) {
                    flatten(inner.clone(), out, depth + 1);
                }
            }
            let value = Value::Object(map);
            if types(&value).any(|t| JSON_LD_TYPES.contains(&t)) {
                out.push(value);
            }
        }
        _ => {}
    }
}

/// The `@type`s of a JSON-LD node (a string or an array of them).
pub fn types(node: &Value) -> impl Iterator<Item = &str> {
    let t = &node["@type"];
    t.as_str()
        .into_iter()
        .chain(t.as_array().into_iter().flatten().filter_map(Value::as_str))
}

impl Metadata {
    /// Adds the nodes of one JSON-LD script (ignored when it does not parse).
    pub fn add_json_ld(&mut self, raw: &str) {
        if raw.len() <= MAX_JSON_LD
            && let Ok(value) = serde_json::from_str::<Value>(raw.trim())
        {
            flatten(value, &mut self.json_ld, 0);
        }
    }

    /// Nodes of one JSON-LD type.
    pub fn of_type<'a>(&'a self, wanted: &'a str) -> impl Iterator<Item = &'a Value> {
        self.json_ld
            .iter()
            .filter(move |n| types(n).any(|t| t == wanted))
    }

    /// Whether the page says it presents a product: `og:type` says so, or a JSON-LD Product
    /// node stands on a page that does not call itself an article (a review article
    /// declares the products it reviews).
    pub fn declares_product(&self) -> bool {
        let og_type = self
            .cards
            .get("og:type")
            .map(|t| t.trim().to_ascii_lowercase());
        match og_type.as_deref() {
            Some("product" | "og:product" | "product.item") => true,
            Some("article") => false,
            _ => {
                self.of_type("Product").next().is_some()
                    && ["Article", "NewsArticle", "BlogPosting", "TechArticle"]
                        .iter()
                        .all(|t| self.of_type(t).next().is_none())
            }
        }
    }

    /// Whether the page says it is a discussion (a forum thread, a Q&A page), whose replies
    /// are its content.
    pub fn declares_discussion(&self) -> bool {
        ["DiscussionForumPosting", "QAPage"]
            .iter()
            .any(|t| self.of_type(t).next().is_some())
    }

    /// The organisation's logo: a URL or an ImageObject's `url`.
    pub fn organization_logo(&self) -> Option<&str> {
        ["Organization", "Corporation", "LocalBusiness"]
            .iter()
            .flat_map(|t| self.of_type(t))
            .find_map(|o| {
                let logo = &o["logo"];
                logo.as_str().or_else(|| logo["url"].as_str())
            })
    }

    /// Question/answer pairs of FAQPage JSON-LD.
    pub fn faq(&self) -> Vec<(String, String)> {
        self.of_type("FAQPage")
            .flat_map(|page| match &page["mainEntity"] {
                Value::Array(items) => items.clone(),
                single => vec![single.clone()],
            })
            .filter_map(|q| {
                let question = q["name"].as_str()?.trim().to_owned();
                let answer = &q["acceptedAnswer"];
                let answer = answer["text"]
                    .as_str()
                    .or_else(|| answer[0]["text"].as_str())?;
                Some((question, strip_tags(answer)))
            })
            .collect()
    }

    /// `sameAs` profiles of the organisation.
    pub fn same_as(&self) -> Vec<&str> {
        self.json_ld
            .iter()
            .flat_map(|n| match &n["sameAs"] {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            })
            .collect()
    }
}

/// FAQ answers in JSON-LD often carry HTML.
fn strip_tags(s: &str) -> String {
    let text: String = Html::parse_fragment(s).root_element().text().collect();
    super::whitespace::squash(&text)
}

#[cfg(test)]
mod tests {
    use url::Url;

    #[test]
    fn cards_manifest_scripts_and_json_ld() {
        let html = r#"<html><head>
            <meta property="og:image" content="/og.png"><meta name="twitter:site" content="@acme">
            <link rel="manifest" href="/site.webmanifest">
            <script src="https://widget.intercom.io/widget/abc"></script>
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
              {"@type":"Organization","logo":{"@type":"ImageObject","url":"https://acme.test/logo.png"},
               "sameAs":["https://twitter.com/acme"],
               "contactPoint":{"@type":"ContactPoint","telephone":"+1-555-0100","email":"help@acme.test"}},
              {"@type":"FAQPage","mainEntity":[{"@type":"Question","name":"Can I cancel?",
               "acceptedAnswer":{"@type":"Answer","text":"<p>Yes, <b>any time</b>.</p>"}}]}]}
            </script><script type="application/ld+json">{not json</script></head><body></body></html>"#;
        let meta =
            super::super::scan::scan(html, &Url::parse("https://acme.test/").unwrap(), false)
                .metadata;
        assert_eq!(meta.cards["og:image"], "/og.png");
        assert_eq!(meta.cards["twitter:site"], "@acme");
        assert_eq!(
            meta.manifest.as_deref(),
            Some("https://acme.test/site.webmanifest")
        );
        assert_eq!(meta.scripts, ["https://widget.intercom.io/widget/abc"]);
        assert_eq!(meta.organization_logo(), Some("https://acme.test/logo.png"));
        assert_eq!(
            meta.of_type("ContactPoint").next().unwrap()["email"],
            "help@acme.test"
        );
        assert_eq!(
            meta.faq(),
            [("Can I cancel?".to_string(), "Yes, any time.".to_string())]
        );
        assert_eq!(meta.same_as(), ["https://twitter.com/acme"]);
    }
}
