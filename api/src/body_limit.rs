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

pub async fn limit<E: Endpoint>(next: E, mut req: Request, limit: usize) -> poem::Result<Response> {
    match req.headers().typed_get::<ContentLength>() {
        Some(ContentLength(len)) if len > limit as u64 => return Err(too_large(limit)),
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
