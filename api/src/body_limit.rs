//! Request bodies are capped: a declared length over the limit is refused before reading,
//! and a body without one (chunked) is read only up to the limit.

use poem::{
    Endpoint, Request, Response, http::StatusCode, web::headers::ContentLength,
    web::headers::HeaderMapExt,
};

fn too_large(limit: usize) -> poem::Error {
    poem::Error::from_string(
        format!("the request body is larger than {limit} bytes"),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
}

/// The most of an oversized body that is read (and discarded) before answering 413.
const DRAIN_AT_MOST: u64 = 16 * 1024 * 1024;

/// Logo uploads may carry a 5 MB file plus the multipart envelope.
const UPLOAD_LIMIT: usize = crate::logo_check::MAX_LOGO_BYTES + 64 * 1024;

pub async fn limit<E: Endpoint>(next: E, mut req: Request, limit: usize) -> poem::Result<Response> {
    let limit = if req.uri().path().starts_with("/api/onboarding/upload-logo/") {
        UPLOAD_LIMIT
    } else {
        limit
    };
    match req.headers().typed_get::<ContentLength>() {
        Some(ContentLength(len)) if len > limit as u64 => {
            // Read (and discard) a moderately oversized body, so the client, still writing,
            // gets the 413 instead of a broken pipe; a huge one just has its connection closed.
            if len <= DRAIN_AT_MOST {
                let mut body = req.take_body().into_bytes_stream();
                while let Some(Ok(_)) = futures::StreamExt::next(&mut body).await {}
            }
            return Err(too_large(limit));
        }
        Some(_) => {}
        None => {
            let body = req
                .take_body()
                .into_bytes_limit(limit)
                .await
                .map_err(|e| match e {
                    poem::error::ReadBodyError::PayloadTooLarge => too_large(limit),
                    other => poem::Error::from_string(other.to_string(), StatusCode::BAD_REQUEST),
                })?;
            req.set_body(body);
        }
    }
    next.call(req).await.map(poem::IntoResponse::into_response)
}
