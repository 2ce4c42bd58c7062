//! `/api/onboarding/config/` reaches the same operation as `/api/onboarding/config`: the
//! UI builds some paths with a trailing slash, and a redirect would cost it a round trip
//! (and turn a POST into a GET in some clients).

use poem::{Endpoint, IntoResponse, Request, Response, http::Uri};

pub async fn strip<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    if let Some(uri) = without_trailing_slash(req.uri()) {
        *req.uri_mut() = uri;
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// The URI without the trailing slashes of an `/api/` path; `None` when it has none.
fn without_trailing_slash(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    if !path.starts_with("/api/") || !path.ends_with('/') {
        return None;
    }
    let trimmed = path.trim_end_matches('/');
    let path_and_query = match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_paths_lose_their_trailing_slash() {
        let strip = |s: &str| without_trailing_slash(&s.parse().unwrap()).map(|u| u.to_string());
        assert_eq!(
            strip("/api/onboarding/config/?user_uuid=x").as_deref(),
            Some("/api/onboarding/config?user_uuid=x")
        );
        assert_eq!(
            strip("/api/onboarding/upload-logo/floatie/").as_deref(),
            Some("/api/onboarding/upload-logo/floatie")
        );
        assert_eq!(strip("/api/onboarding/config"), None);
        assert_eq!(strip("/docs/"), None);
        assert_eq!(strip("/ops/"), None);
    }
}
