//! The api's one error type. Module errors convert into it here, once; every error leaves
//! as `{ "error": "<code>", "message": "<human text>" }` with its 4xx (or 503) status, and
//! an unexpected failure is logged in full but shown only as a stable code.

use onboard_shared::telemetry::Chain;
use onboard_shared::{domain::DomainError, queue::QueueError, runs::RunError};

use crate::allow::AllowTable;
use poem::{Endpoint, IntoResponse, Request, Response, http::StatusCode};
use poem_openapi::{Object, payload::Json};
use sea_orm::DbErr;

#[derive(Object, Debug, Clone, serde::Serialize)]
pub struct ErrorBody {
    /// A stable, machine-readable code such as `invalid_user_uuid`.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
}

/// What a handler can fail with; each operation's own error response (declared with
/// [`operation_errors!`]) takes the variants it documents.
#[derive(Debug)]
pub enum ApiError {
    /// The request is malformed or a value is invalid.
    BadRequest(Json<ErrorBody>),
    /// No credentials were sent.
    Unauthorized(Json<ErrorBody>),
    /// The credentials sent do not allow this.
    Forbidden(Json<ErrorBody>),
    /// The guest, analysis or resource does not exist (or is not this guest's).
    NotFound(Json<ErrorBody>),
    /// The request conflicts with the current state (for example, no domain set yet).
    Conflict(Json<ErrorBody>),
    /// The guest session has expired.
    Gone(Json<ErrorBody>),
    /// The body or one of its values is too large.
    TooLarge(Json<ErrorBody>),
    /// The request is well-formed but what it asks for could not be done (a failed check).
    Unprocessable(Json<ErrorBody>),
    /// The client has too much under way; try again after this many seconds.
    TooMany(Json<ErrorBody>, u64),
    /// The upload is not of a type we accept.
    UnsupportedMediaType(Json<ErrorBody>),
    /// The database or queue is unreachable; try again shortly.
    Unavailable(Json<ErrorBody>),
    /// An unexpected failure on our side.
    Internal(Json<ErrorBody>),
}

fn body(error: &str, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: error.to_owned(),
        message: message.into(),
    })
}

impl ApiError {
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest(body(code, message))
    }

    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        ApiError::Forbidden(body(code, message))
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        ApiError::NotFound(body(code, message))
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        ApiError::Conflict(body(code, message))
    }

    pub fn gone(code: &str, message: impl Into<String>) -> Self {
        ApiError::Gone(body(code, message))
    }

    pub fn too_large(code: &str, message: impl Into<String>) -> Self {
        ApiError::TooLarge(body(code, message))
    }

    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        ApiError::Unprocessable(body(code, message))
    }

    pub fn too_many(code: &str, message: impl Into<String>, retry_after_secs: u64) -> Self {
        ApiError::TooMany(body(code, message), retry_after_secs.max(1))
    }

    pub fn unsupported_media_type(code: &str, message: impl Into<String>) -> Self {
        ApiError::UnsupportedMediaType(body(code, message))
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::Unavailable(body("unavailable", message))
    }

    pub fn internal() -> Self {
        ApiError::Internal(body(
            "internal",
            "An unexpected error occurred; it has been logged",
        ))
    }

    /// The status and body, for a response that is not JSON (the operators' page).
    pub fn parts(&self) -> (StatusCode, &ErrorBody) {
        use ApiError::*;
        match self {
            BadRequest(b) => (StatusCode::BAD_REQUEST, &b.0),
            Unauthorized(b) => (StatusCode::UNAUTHORIZED, &b.0),
            Forbidden(b) => (StatusCode::FORBIDDEN, &b.0),
            NotFound(b) => (StatusCode::NOT_FOUND, &b.0),
            Conflict(b) => (StatusCode::CONFLICT, &b.0),
            Gone(b) => (StatusCode::GONE, &b.0),
            TooLarge(b) => (StatusCode::PAYLOAD_TOO_LARGE, &b.0),
            Unprocessable(b) => (StatusCode::UNPROCESSABLE_ENTITY, &b.0),
            TooMany(b, _) => (StatusCode::TOO_MANY_REQUESTS, &b.0),
            UnsupportedMediaType(b) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, &b.0),
            Unavailable(b) => (StatusCode::SERVICE_UNAVAILABLE, &b.0),
            Internal(b) => (StatusCode::INTERNAL_SERVER_ERROR, &b.0),
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        if onboard_shared::db::is_unavailable(&e) {
            tracing::warn!(error = %Chain(&e), "database unavailable");
            ApiError::unavailable("The database is unavailable; try again shortly")
        } else {
            tracing::error!(error = %Chain(&e), "database error");
            ApiError::internal()
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        tracing::warn!(error = %Chain(&e), "queue unavailable");
        ApiError::unavailable("The job queue is unavailable; try again shortly")
    }
}

/// When to try again after `too_many_analyses`: analyses take tens of seconds.
const BUSY_RETRY_SECS: u64 = 15;

impl From<RunError> for ApiError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Db(e) => e.into(),
            RunError::Queue(e) => e.into(),
            RunError::DomainRequired => ApiError::conflict(
                "domain_required",
                "Set a domain with POST /api/onboarding/config first",
            ),
            RunError::ClientBusy { active } => ApiError::too_many(
                "too_many_analyses",
                format!(
                    "{active} analyses started from your address are still under way; start \
                     another when one has finished"
                ),
                BUSY_RETRY_SECS,
            ),
            RunError::DomainBusy { domain, active } => ApiError::too_many(
                "too_many_analyses",
                format!(
                    "{domain} is already being analysed {active} times; try again when one of \
                     those analyses has finished"
                ),
                BUSY_RETRY_SECS,
            ),
            RunError::Conflict => {
                ApiError::conflict("analysis_conflict", "An analysis changed state; try again")
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::bad_request("invalid_domain", Chain(&e).to_string())
    }
}

/// Turns errors raised outside our handlers (unknown route, wrong method, unparsable JSON,
/// a missing or malformed parameter, a body over the limit) into the same JSON shape.
pub async fn json_errors<E: Endpoint>(
    next: E,
    req: Request,
    paths: AllowTable,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    Ok(match next.call(req).await {
        Ok(response) => response.into_response(),
        Err(err) => json_error(err, &paths.param_names(&path)),
    })
}

fn json_error(err: poem::Error, path_params: &[String]) -> Response {
    // Our own ApiError responses already have their JSON body.
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    // The router calls path parameters `param0`, `param1`, …; the spec names them.
    let param = err
        .downcast_ref::<poem_openapi::error::ParseParamError>()
        .map(|e| (e.name, e.name))
        .or_else(|| {
            err.downcast_ref::<poem_openapi::error::ParsePathError>()
                .map(|e| {
                    let real = e
                        .name
                        .strip_prefix("param")
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|n| path_params.get(n));
                    (e.name, real.map_or(e.name, String::as_str))
                })
        });
    // A parameter that does not parse names itself: `invalid_user_uuid`, `invalid_id`, …;
    // so does a body field that fails its schema rule: `invalid_current_step`, …
    let field_code = param
        .map(|(_, name)| format!("invalid_{name}"))
        .or_else(|| {
            err.downcast_ref::<poem_openapi::error::ParseRequestPayloadError>()
                .and_then(|e| failed_field(&e.reason))
                .map(|field| format!("invalid_{}", snake_case(field)))
        });
    let code = match status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_client_error() => "invalid_request",
        s if s == StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "internal",
    };
    let message = if status.is_server_error() {
        tracing::error!(error = %err, "unhandled error");
        "An unexpected error occurred; it has been logged".to_owned()
    } else {
        match param {
            Some((router, name)) => err
                .to_string()
                .replace(&format!("`{router}`"), &format!("`{name}`")),
            None => err.to_string(),
        }
    };
    poem::web::Json(ErrorBody {
        error: field_code.unwrap_or_else(|| code.to_owned()),
        message,
    })
    .with_status(status)
    .into_response()
}

/// The field named by a poem-openapi validator failure ("field `currentStep` verification
/// failed. maximum(3)"), the only place that message's shape is relied on.
fn failed_field(reason: &str) -> Option<&str> {
    let (_, rest) = reason.split_once("field `")?;
    let (field, rest) = rest.split_once('`')?;
    rest.trim_start()
        .starts_with("verification failed")
        .then_some(field)
}

fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Declares an operation's error response: exactly the statuses it can answer, each with its
/// description, converted from [`ApiError`]. 400 (a malformed parameter or body), 500 and
/// 503 are possible for every operation and always included, and so is 429 (answered by
/// the rate limiter in front of the handlers; never built by one).
macro_rules! operation_errors {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $status:literal : $desc:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(poem_openapi::ApiResponse, Debug)]
        pub enum $name {
            /// The request is malformed or a value is invalid.
            #[oai(status = 400)]
            BadRequest(poem_openapi::payload::Json<$crate::error::ErrorBody>),
            $(
                #[doc = $desc]
                #[oai(status = $status)]
                $variant(poem_openapi::payload::Json<$crate::error::ErrorBody>),
            )*
            /// Too many requests from this client; try again after `Retry-After` seconds.
            #[oai(status = 429)]
            RateLimited(
                poem_openapi::payload::Json<$crate::error::ErrorBody>,
                #[oai(header = "Retry-After")] u64,
            ),
            /// The database or the queue is unreachable; try again shortly.
            #[oai(status = 503)]
            Unavailable(poem_openapi::payload::Json<$crate::error::ErrorBody>),
            /// An unexpected failure on our side (logged).
            #[oai(status = 500)]
            Internal(poem_openapi::payload::Json<$crate::error::ErrorBody>),
        }

        impl From<$crate::error::ApiError> for $name {
            fn from(error: $crate::error::ApiError) -> Self {
                use $crate::error::ApiError;
                match error {
                    ApiError::BadRequest(body) => $name::BadRequest(body),
                    ApiError::Unavailable(body) => $name::Unavailable(body),
                    ApiError::Internal(body) => $name::Internal(body),
                    ApiError::TooMany(body, secs) => $name::RateLimited(body, secs),
                    $(ApiError::$variant(body) => $name::$variant(body),)*
                    #[allow(unreachable_patterns)]
                    other => {
                        tracing::error!(error = ?other, "an operation answered a status it does not document");
                        $name::Internal(poem_openapi::payload::Json($crate::error::ErrorBody {
                            error: "internal".into(),
                            message: "An unexpected error occurred; it has been logged".into(),
                        }))
                    }
                }
            }
        }

        impl From<sea_orm::DbErr> for $name {
            fn from(error: sea_orm::DbErr) -> Self {
                $crate::error::ApiError::from(error).into()
            }
        }

        impl From<onboard_shared::runs::RunError> for $name {
            fn from(error: onboard_shared::runs::RunError) -> Self {
                $crate::error::ApiError::from(error).into()
            }
        }

        impl From<onboard_shared::domain::DomainError> for $name {
            fn from(error: onboard_shared::domain::DomainError) -> Self {
                $crate::error::ApiError::from(error).into()
            }
        }
    };
}
pub(crate) use operation_errors;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::{RuntimeErr, sqlx};

    use super::*;

    fn exec(error: sqlx::Error) -> ApiError {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error))).into()
    }

    #[test]
    fn a_database_gone_mid_query_is_503_and_a_failed_statement_500() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(
            exec(sqlx::Error::Io(reset)).parts().0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            exec(sqlx::Error::RowNotFound).parts().0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
