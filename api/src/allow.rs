//! A 405 names the methods the path does allow (`Allow`, RFC 9110), taken from the spec so
//! it cannot disagree with the routes.

use std::sync::Arc;

use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, StatusCode, header},
};

/// Path templates (`/api/guest/{uuid}` as segments) and their methods.
#[derive(Clone, Default)]
pub struct AllowTable(Arc<Vec<(Vec<String>, String)>>);

/// How the spec writes a path template from its segments.
fn spec_path(template: &[String]) -> String {
    format!("/{}", template.join("/"))
}

impl AllowTable {
    pub fn from_spec(spec_json: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec_json).unwrap_or_default();
        let mut table = Vec::new();
        if let Some(paths) = spec["paths"].as_object() {
            for (path, item) in paths {
                let mut methods: Vec<String> = item
                    .as_object()
                    .map(|m| m.keys().map(|k| k.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                methods.sort();
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(str::to_owned)
                    .collect();
                table.push((segments, methods.join(", ")));
            }
        }
        Self(Arc::new(table))
    }

    fn allowed(&self, path: &str) -> Option<&str> {
        self.template(path).map(|(_, methods)| methods.as_str())
    }

    /// The names of the path's parameters, in order, from the template it matches (the
    /// router knows them only as `param0`, `param1`, ...).
    pub fn param_names(&self, path: &str) -> Vec<String> {
        self.template(path)
            .map(|(template, _)| {
                template
                    .iter()
                    .filter_map(|t| t.strip_prefix('{')?.strip_suffix('}'))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The spec's path template a request path matches (`/api/guest/{uuid}`), for metric
    /// labels; the few paths outside the spec by name, anything else as `unmatched`.
    pub fn route(&self, path: &str) -> String {
        match self.template(path) {
            Some((template, _)) => spec_path(template),
            None if path == "/openapi.yaml" || path == "/metrics" => path.to_owned(),
            None if path == "/docs" || path.starts_with("/docs/") => "/docs".to_owned(),
            None => "unmatched".to_owned(),
        }
    }

    /// The spec's path template a request path matches (`/api/guest/{uuid}`).
    pub fn template_of(&self, path: &str) -> Option<String> {
        self.template(path).map(|(template, _)| spec_path(template))
    }

    /// The value a request path gives its parameter `name`.
    pub fn path_value(&self, path: &str, name: &str) -> Option<String> {
        let (template, _) = self.template(path)?;
        let at = template.iter().position(|t| *t == format!("{{{name}}}"))?;
        let raw = path.trim_matches('/').split('/').nth(at)?;
        Some(
            percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned(),
        )
    }

    fn template(&self, path: &str) -> Option<&(Vec<String>, String)> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.0.iter().find(|(template, _)| {
            template.len() == parts.len()
                && template
                    .iter()
                    .zip(&parts)
                    .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
        })
    }
}

pub async fn allow<E: Endpoint>(
    next: E,
    req: Request,
    table: AllowTable,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let mut response = next
        .call(req)
        .await
        .map(IntoResponse::into_response)
        .unwrap_or_else(|e| e.into_response());
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(value) = table
            .allowed(&path)
            .and_then(|m| HeaderValue::from_str(m).ok())
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(response)
}
