//! The api's one error type. Module errors convert into it here, once; every error leaves
//! as `{ "error": "<code>", "message": "<human text>" }` with its 4xx (or 503) status, and
//! an unexpected failure is logged in full but shown only as a stable code.

use onboard_shared::telemetry::Chain;
use onboard_shared::{domain::DomainError, queue::QueueError, runs::RunError};

use crate::json::Json;
use poem::{Endpoint, IntoResponse, Request, Response, http::StatusCode};
use poem_openapi::Object;
use sea_orm::DbErr;

/// What went wrong, as a stable, machine-readable code (`invalid_user_uuid`), one per
/// reason. Each operation's responses list the codes it can answer.
#[derive(
    poem_openapi::Enum, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq, Eq,
)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    OriginNotAllowed,
    Unavailable,
    Internal,
    NotReady,
    InvalidUserUuid,
    InvalidUuid,
    InvalidId,
    InvalidKind,
    InvalidFilename,
    InvalidQuery,
    InvalidLimit,
    InvalidOffset,
    InvalidFrom,
    InvalidTo,
    InvalidDomain,
    InvalidCurrentStep,
    InvalidConfiguration,
    InvalidDesign,
    InvalidPrimaryColor,
    InvalidSecondaryColor,
    InvalidFloatiePosition,
    InvalidFloatieLogo,
    InvalidLauncherLogo,
    InvalidContact,
    InvalidDisabledTabs,
    InvalidEventType,
    InvalidCustomType,
    InvalidGuestUuid,
    InvalidSessionId,
    InvalidEventData,
    InvalidUpload,
    GuestNotFound,
    GuestExpired,
    DomainRequired,
    AnalysisNotFound,
    AnalysisConflict,
    TooManyAnalyses,
    VerificationRequired,
    VerificationNotFound,
    VerificationFailed,
    TooManyChecks,
    ContactTooLarge,
    EventDataTooLarge,
    FileTooLarge,
    UploadQuotaExceeded,
    ImageTooLarge,
    InvalidImage,
    UnsafeSvg,
    UnsupportedImageType,
    LogoNotFound,
    RunNotFound,
    InvalidRange,
    RangeTooLong,
    OpsDisabled,
    InvalidAdminToken,
    UnknownKind,
    CrossSiteForm,
    OnboardingDisabled,
    AnalysisDisabled,
    InvalidUrl,
    InvalidDescription,
    WebhookNotFound,
    DeliveryNotFound,
    EndpointDisabled,
    DeliveryInProgress,
    InvalidName,
    InvalidFlag,
    InvalidOnDomains,
    InvalidOffDomains,
    InvalidEventTypes,
    InvalidFormat,
    InvalidEnabled,
    InvalidRolloutPercentage,
    FlagNotFound,
    FlagProtected,
    InvalidSessionTransition,
    InvalidStepTransition,
    InvalidResumeOf,
    InvalidSkipAnalysis,
    InvalidNoContact,
}

impl ErrorCode {
    /// The code of a name (`invalid_user_uuid`), when it is one.
    pub fn named(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

#[derive(Object, Debug, Clone, serde::Serialize)]
pub struct ErrorBody {
    // Described by its type (see `FloatiePosition` in the onboarding routes for why).
    pub error: ErrorCode,
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

fn body(error: ErrorCode, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        error,
        message: message.into(),
    })
}

impl ApiError {
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::BadRequest(body(code, message))
    }

    pub fn forbidden(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Forbidden(body(code, message))
    }

    pub fn not_found(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::NotFound(body(code, message))
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Conflict(body(code, message))
    }

    pub fn gone(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Gone(body(code, message))
    }

    pub fn too_large(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::TooLarge(body(code, message))
    }

    pub fn unprocessable(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Unprocessable(body(code, message))
    }

    pub fn too_many(code: ErrorCode, message: impl Into<String>, retry_after_secs: u64) -> Self {
        ApiError::TooMany(body(code, message), retry_after_secs.max(1))
    }

    pub fn unsupported_media_type(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::UnsupportedMediaType(body(code, message))
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::Unavailable(body(ErrorCode::Unavailable, message))
    }

    /// 503 for a part of the service an operator switched off (a kill switch).
    pub fn switched_off(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Unavailable(body(code, message))
    }

    pub fn internal() -> Self {
        ApiError::Internal(body(
            ErrorCode::Internal,
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            ApiError::TooMany(_, secs) => Some(*secs),
            _ => None,
        };
        let (status, body) = self.parts();
        let mut response = poem::web::Json(body.clone())
            .with_status(status)
            .into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(poem::http::header::RETRY_AFTER, secs.into());
        }
        response
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
                ErrorCode::DomainRequired,
                "Set a domain with POST /api/onboarding/config first",
            ),
            RunError::ClientBusy { active } => ApiError::too_many(
                ErrorCode::TooManyAnalyses,
                format!(
                    "{active} analyses started from your address are still under way; start \
                     another when one has finished"
                ),
                BUSY_RETRY_SECS,
            ),
            RunError::DomainBusy { domain, active } => ApiError::too_many(
                ErrorCode::TooManyAnalyses,
                format!(
                    "{domain} is already being analysed {active} times; try again when one of \
                     those analyses has finished"
                ),
                BUSY_RETRY_SECS,
            ),
            RunError::Conflict => ApiError::conflict(
                ErrorCode::AnalysisConflict,
                "An analysis changed state; try again",
            ),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::bad_request(ErrorCode::InvalidDomain, Chain(&e).to_string())
    }
}

/// Turns errors raised outside our handlers (unknown route, wrong method, a body of the
/// wrong type or over the limit, a missing token) into the same JSON shape. Input the
/// operations refuse is explained before it gets here ([`crate::input_errors`]).
pub async fn json_errors<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    Ok(match next.call(req).await {
        Ok(response) => response.into_response(),
        Err(err) => json_error(err, &method, &path),
    })
}

fn json_error(err: poem::Error, method: &poem::http::Method, path: &str) -> Response {
    // Our own ApiError responses already have their JSON body.
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let (code, message) = match status {
        StatusCode::UNAUTHORIZED => (
            ErrorCode::Unauthorized,
            "Send the admin token as the header Authorization: Bearer <token>.".to_owned(),
        ),
        StatusCode::NOT_FOUND => (
            ErrorCode::NotFound,
            format!("There is no {method} {path}. The API is described at /docs."),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            format!("{path} does not take {method}; the Allow header lists what it takes."),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, sentence(&err.to_string())),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            if path.starts_with("/api/onboarding/upload-logo") {
                "Send the logo as multipart/form-data with a file field named file.".to_owned()
            } else {
                "Send the body as JSON, with the header Content-Type: application/json.".to_owned()
            },
        ),
        s if s.is_client_error() => (
            ErrorCode::InvalidRequest,
            format!(
                "The request was not accepted: {}",
                sentence(&err.to_string())
            ),
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            ErrorCode::Unavailable,
            "The service is unavailable; try again shortly.".to_owned(),
        ),
        _ => {
            tracing::error!(error = %err, "unhandled error");
            (
                ErrorCode::Internal,
                "An unexpected error occurred; it has been logged".to_owned(),
            )
        }
    };
    poem::web::Json(ErrorBody {
        error: code,
        message,
    })
    .with_status(status)
    .into_response()
}

/// A library's lower-case message as a sentence.
fn sentence(text: &str) -> String {
    let mut out = text.trim_end_matches('.').to_owned();
    if let Some(first) = out.get(..1) {
        let upper = first.to_uppercase();
        out.replace_range(..1, &upper);
    }
    out.push('.');
    out
}

/// Declares an operation's error response: exactly the statuses it can answer, each with a
/// description that names the `error` codes it carries, converted from [`ApiError`]. 400
/// (a malformed parameter or body) and 429 (the rate limiter in front of the handlers, and
/// the operation's own bounds) are listed by every operation with their codes; 500 and 503
/// are possible for every operation and always included.
macro_rules! operation_errors {
    ($(#[$doc:meta])* $name:ident {
        bad_request: $bad:literal,
        rate_limited: $rate:literal,
        unavailable: $unavailable:literal,
        $($variant:ident = $status:literal : $desc:literal),* $(,)?
    }) => {
        $(#[$doc])*
        #[derive(poem_openapi::ApiResponse, Debug)]
        pub enum $name {
            #[doc = $bad]
            #[oai(status = 400)]
            BadRequest($crate::json::Json<$crate::error::ErrorBody>),
            $(
                #[doc = $desc]
                #[oai(status = $status)]
                $variant($crate::json::Json<$crate::error::ErrorBody>),
            )*
            #[doc = $rate]
            #[oai(status = 429)]
            RateLimited(
                $crate::json::Json<$crate::error::ErrorBody>,
                /// Seconds to wait before trying again.
                #[oai(header = "Retry-After")] u64,
            ),
            #[doc = $unavailable]
            #[oai(status = 503)]
            Unavailable($crate::json::Json<$crate::error::ErrorBody>),
            /// `internal`: an unexpected failure on our side (logged).
            #[oai(status = 500)]
            Internal($crate::json::Json<$crate::error::ErrorBody>),
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
                        $name::Internal($crate::json::Json($crate::error::ErrorBody {
                            error: $crate::error::ErrorCode::Internal,
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
    // The kill switches' 503s, on the operations they switch off.
    ($(#[$doc:meta])* $name:ident {
        bad_request: $bad:literal,
        rate_limited: $rate:literal,
        unavailable: onboarding,
        $($rest:tt)*
    }) => {
        operation_errors!($(#[$doc])* $name {
            bad_request: $bad,
            rate_limited: $rate,
            unavailable: "`unavailable`: the database or the queue is unreachable; try again \
                          shortly. `onboarding_disabled`: onboarding is switched off for now \
                          (the `onboarding` kill switch); the guest's data is kept.",
            $($rest)*
        });
    };
    ($(#[$doc:meta])* $name:ident {
        bad_request: $bad:literal,
        rate_limited: $rate:literal,
        unavailable: analysis,
        $($rest:tt)*
    }) => {
        operation_errors!($(#[$doc])* $name {
            bad_request: $bad,
            rate_limited: $rate,
            unavailable: "`unavailable`: the database or the queue is unreachable; try again \
                          shortly. `onboarding_disabled`: onboarding is switched off for now \
                          (the `onboarding` kill switch). `analysis_disabled`: analyses are \
                          switched off for now (the `analysis` kill switch); the rest of \
                          onboarding works.",
            $($rest)*
        });
    };
    ($(#[$doc:meta])* $name:ident {
        bad_request: $bad:literal,
        rate_limited: $rate:literal,
        $($variant:ident = $status:literal : $desc:literal),* $(,)?
    }) => {
        operation_errors!($(#[$doc])* $name {
            bad_request: $bad,
            rate_limited: $rate,
            unavailable: "`unavailable`: the database or the queue is unreachable; try again \
                          shortly.",
            $($variant = $status : $desc),*
        });
    };
    ($(#[$doc:meta])* $name:ident {
        bad_request: $bad:literal,
        $($rest:tt)*
    }) => {
        operation_errors!($(#[$doc])* $name {
            bad_request: $bad,
            rate_limited: "`rate_limited`: too many requests from this address; try again \
                           after `Retry-After` seconds.",
            $($rest)*
        });
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
