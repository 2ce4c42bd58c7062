//! Headers every response carries.

use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, header},
};

/// The API's JSON needs no scripts, frames or referrers; the
/// docs page (Swagger UI) keeps its own needs.
pub async fn add<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let docs = req.uri().path().starts_with("/docs");
    let mut response = next
        .call(req)
        .await
        .map(IntoResponse::into_response)
        .unwrap_or_else(|e| e.into_response());
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A handler may keep the origin on its own pages (the operators' page needs `Origin`
    // on its form posts, which `no-referrer` turns into `null`).
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    // A handler may set a policy of its own (served logos do).
    if !docs && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    Ok(response)
}
