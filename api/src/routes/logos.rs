use chrono::Utc;
use onboard_shared::telemetry::Chain;
use onboard_shared::{
    entities::{guest_session, onboarding_configuration, upload},
    logo_store::{LogoStore, valid_name},
    onboarding::TempConfiguration,
};
use poem::{IntoResponse, Response, web::Data};
use poem_openapi::{
    ApiResponse, Enum, Multipart, Object, OpenApi,
    param::{Path, Query},
    payload::Payload,
    registry::{MetaSchema, MetaSchemaRef},
    types::multipart::Upload,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QuerySelect,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Tag;
use crate::{
    closed_form::ClosedForm,
    error::{ApiError, ErrorCode, operation_errors},
    guest_access,
    guest_id::GuestId,
    json::Json,
    logo_check::{self, LogoError},
    state::AppState,
};

#[derive(Default)]
pub struct LogoApi;

operation_errors!(UploadErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id; \
                  `invalid_kind`: the kind is not `floatie` or `launcher`; \
                  `invalid_request`: the body is not a multipart form with one `file`; \
                  `invalid_upload`: the upload could not be read; `invalid_image`: the image \
                  header cannot be read; `image_too_large`: larger than 2048x2048; \
                  `unsafe_svg`: the SVG uses something not allowed.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
    TooLarge = 413: "`file_too_large` or `payload_too_large`: the file is larger than 5 MB; \
                     `upload_quota_exceeded`: the guest's logos would take more than its \
                     allowance.",
    UnsupportedMediaType = 415: "`unsupported_image_type`: the file is not a PNG, JPEG or \
                                 SVG image.",
});
operation_errors!(ServeErrors {
    bad_request: "`invalid_filename`: the name cannot be read.",
    NotFound = 404: "`logo_not_found`: no logo has this name.",
});

/// Which logo of the widget.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum LogoKind {
    Floatie,
    Launcher,
}

#[derive(Multipart)]
#[oai(deny_unknown_fields)]
pub struct LogoUpload {
    /// The image: PNG or JPEG up to 2048x2048, or SVG without scripts or external
    /// references; at most 5 MB. Its type is read from its content.
    file: Upload,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum UploadedStatus {
    Uploaded,
}

#[derive(Object)]
#[oai(example)]
pub struct Uploaded {
    /// The stored name, now the guest's `floatieLogo` or `launcherLogo`.
    pub filename: String,
    /// Where the logo is served.
    pub preview: String,
    pub status: UploadedStatus,
}

impl poem_openapi::types::Example for Uploaded {
    fn example() -> Self {
        Uploaded {
            filename: "0d9f4c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f.png".into(),
            preview: "/api/onboarding/logos/0d9f4c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f.png".into(),
            status: UploadedStatus::Uploaded,
        }
    }
}

#[derive(ApiResponse)]
pub enum UploadResponse {
    /// The logo is stored and set in the guest's configuration.
    #[oai(status = 201)]
    Created(Json<Uploaded>),
}

#[derive(ApiResponse)]
pub enum LogoResponse {
    /// The image, with its stored type.
    #[oai(status = 200)]
    Image(
        LogoImage,
        /// A policy under which the image runs nothing.
        #[oai(header = "Content-Security-Policy")]
        String,
        /// Stored names never change their content: cached for a year.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// A stored logo's bytes, answered with the type it was stored under; documented as
/// `image/*` because that type is one of PNG, JPEG and SVG.
pub struct LogoImage {
    bytes: Vec<u8>,
    content_type: String,
}

impl Payload for LogoImage {
    const CONTENT_TYPE: &'static str = "image/*";

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            format: Some("binary"),
            ..MetaSchema::new("string")
        }))
    }
}

impl IntoResponse for LogoImage {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(self.content_type)
            .body(self.bytes)
    }
}

/// The guest's earlier uploads of a kind, which a new upload of that kind replaces: all
/// of them but those a site's live configuration uses.
async fn replaced_uploads(
    state: &AppState,
    guest: Uuid,
    kind: &str,
) -> Result<Vec<upload::Model>, ApiError> {
    let earlier = upload::Entity::find()
        .filter(upload::Column::GuestUuid.eq(guest))
        .filter(upload::Column::Kind.eq(kind))
        .all(&state.db)
        .await?;
    if earlier.is_empty() {
        return Ok(earlier);
    }
    let names: Vec<String> = earlier.iter().map(|u| u.stored_name.clone()).collect();
    let in_use: Vec<(Option<String>, Option<String>)> = onboarding_configuration::Entity::find()
        .select_only()
        .column(onboarding_configuration::Column::FloatieLogo)
        .column(onboarding_configuration::Column::LauncherLogo)
        .filter(
            Condition::any()
                .add(onboarding_configuration::Column::FloatieLogo.is_in(names.clone()))
                .add(onboarding_configuration::Column::LauncherLogo.is_in(names)),
        )
        .into_tuple()
        .all(&state.db)
        .await?;
    let used = |name: &str| {
        in_use
            .iter()
            .any(|(f, l)| f.as_deref() == Some(name) || l.as_deref() == Some(name))
    };
    Ok(earlier
        .into_iter()
        .filter(|u| !used(&u.stored_name))
        .collect())
}

impl From<LogoError> for ApiError {
    fn from(e: LogoError) -> Self {
        let message = e.to_string();
        match e {
            LogoError::TooLarge => ApiError::too_large(ErrorCode::FileTooLarge, message),
            LogoError::UnsupportedType => {
                ApiError::unsupported_media_type(ErrorCode::UnsupportedImageType, message)
            }
            LogoError::Dimensions(..) => ApiError::bad_request(ErrorCode::ImageTooLarge, message),
            LogoError::UnsafeSvg(_) => ApiError::bad_request(ErrorCode::UnsafeSvg, message),
            LogoError::Empty | LogoError::Unreadable(_) | LogoError::NoSize => {
                ApiError::bad_request(ErrorCode::InvalidImage, message)
            }
        }
    }
}

#[OpenApi(tag = "Tag::Onboarding")]
impl LogoApi {
    /// Upload the floatie or launcher logo
    ///
    /// A multipart form with one field, `file`: PNG or JPEG up to 2048x2048, or an SVG of
    /// allowed elements and attributes only; at most 5 MB. The type is read from the
    /// content. The logo replaces the guest's previous one of this kind and becomes its
    /// `floatieLogo` or `launcherLogo`.
    #[oai(
        path = "/api/onboarding/upload-logo/:kind",
        method = "post",
        operation_id = "uploadLogo"
    )]
    async fn upload(
        &self,
        state: Data<&AppState>,
        /// Which logo: `floatie` or `launcher`.
        kind: Path<LogoKind>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
        ClosedForm(body): ClosedForm<LogoUpload>,
    ) -> Result<UploadResponse, UploadErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        if body.file.size() > logo_check::MAX_LOGO_BYTES {
            return Err(ApiError::from(LogoError::TooLarge).into());
        }
        let bytes = body.file.into_vec().await.map_err(|e| {
            ApiError::bad_request(
                ErrorCode::InvalidUpload,
                format!("the upload could not be read: {e}"),
            )
        })?;
        let logo = logo_check::inspect(&bytes).map_err(ApiError::from)?;
        let kind_name = match kind.0 {
            LogoKind::Floatie => "floatie",
            LogoKind::Launcher => "launcher",
        };
        let replaced = replaced_uploads(&state, guest.uuid, kind_name).await?;
        let kept: i64 = upload::Entity::find()
            .filter(upload::Column::GuestUuid.eq(guest.uuid))
            .all(&state.db)
            .await?
            .iter()
            .filter(|u| !replaced.iter().any(|r| r.id == u.id))
            .map(|u| u.bytes)
            .sum();
        let allowance = state.config.limits.upload_bytes_per_guest as i64;
        if kept + bytes.len() as i64 > allowance {
            return Err(ApiError::too_large(
                ErrorCode::UploadQuotaExceeded,
                format!(
                    "Your logos may take {} MB in all; this one would make {:.1} MB",
                    allowance / (1024 * 1024),
                    (kept + bytes.len() as i64) as f64 / (1024.0 * 1024.0)
                ),
            )
            .into());
        }
        let name = format!("{}.{}", Uuid::new_v4(), logo.kind.extension());
        state.logos.put(&name, &bytes).await.map_err(|e| {
            tracing::error!(error = %Chain(&e), "storing a logo");
            ApiError::unavailable("The logo could not be stored; try again shortly")
        })?;
        upload::ActiveModel {
            guest_uuid: Set(guest.uuid),
            kind: Set(kind_name.into()),
            stored_name: Set(name.clone()),
            content_type: Set(logo.kind.content_type().into()),
            bytes: Set(bytes.len() as i64),
            sha256: Set(Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()),
            width: Set(logo.width.map(|w| w as i32)),
            height: Set(logo.height.map(|h| h as i32)),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&state.db)
        .await?;

        let mut config = TempConfiguration::from_json(&guest.temp_configuration);
        match kind.0 {
            LogoKind::Floatie => config.design.floatie_logo = Some(name.clone()),
            LogoKind::Launcher => config.design.launcher_logo = Some(name.clone()),
        }
        guest_session::Entity::update(guest_session::ActiveModel {
            uuid: Set(guest.uuid),
            temp_configuration: Set(config.to_json()),
            ..Default::default()
        })
        .exec(&state.db)
        .await?;
        // The logo this one replaces goes, row and file (a site already using it keeps it).
        if !replaced.is_empty() {
            upload::Entity::delete_many()
                .filter(upload::Column::Id.is_in(replaced.iter().map(|u| u.id)))
                .exec(&state.db)
                .await?;
            for old in &replaced {
                if let Err(error) = state.logos.delete(&old.stored_name).await {
                    // Cleanup removes files no row names.
                    tracing::warn!(error = %Chain(&error), name = %old.stored_name, "could not delete a replaced logo");
                }
            }
        }
        Ok(UploadResponse::Created(Json(Uploaded {
            preview: format!("/api/onboarding/logos/{name}"),
            filename: name,
            status: UploadedStatus::Uploaded,
        })))
    }

    /// An uploaded logo
    ///
    /// Served with the type it was stored under, `nosniff`, and a policy that runs
    /// nothing.
    #[oai(
        path = "/api/onboarding/logos/:filename",
        method = "get",
        operation_id = "getLogo"
    )]
    async fn serve(
        &self,
        state: Data<&AppState>,
        /// The stored name, as the upload answered it.
        filename: Path<String>,
    ) -> Result<LogoResponse, ServeErrors> {
        let not_found = || ApiError::not_found(ErrorCode::LogoNotFound, "No logo has this name");
        if !valid_name(&filename.0) {
            return Err(not_found().into());
        }
        let row = upload::Entity::find()
            .filter(upload::Column::StoredName.eq(filename.0.as_str()))
            .one(&state.db)
            .await?
            .ok_or_else(not_found)?;
        let bytes = state
            .logos
            .get(&row.stored_name)
            .await
            .map_err(|e| {
                tracing::error!(error = %Chain(&e), "reading a logo");
                ApiError::unavailable("The logo could not be read; try again shortly")
            })?
            .ok_or_else(not_found)?;
        Ok(LogoResponse::Image(
            LogoImage {
                bytes,
                content_type: row.content_type,
            },
            "default-src 'none'; style-src 'unsafe-inline'; sandbox".into(),
            "public, max-age=31536000, immutable".into(),
        ))
    }
}
