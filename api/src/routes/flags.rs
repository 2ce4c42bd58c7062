//! Feature flags: the flags that apply to a guest (for the UI), and their management by
//! operators (admin token). Evaluation reads the flag cache, which every change empties
//! on every api replica through the progress feed.

use std::collections::BTreeMap;

use onboard_shared::{
    domain::Domain,
    flags::{self, Flag, store::FlagChanges},
};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, param::Query, types::Example};

use super::Tag;
use crate::{
    admin::AdminToken,
    error::{ApiError, ErrorCode, operation_errors},
    guest_access,
    guest_id::GuestId,
    json::Json,
    state::AppState,
    strict_string::StrictString,
};

operation_errors!(GuestFlagsErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id.",
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});
operation_errors!(ListFlagsErrors {
    bad_request: "`invalid_request`: the request is malformed.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
});
operation_errors!(PutFlagErrors {
    bad_request: "`invalid_name`: not 1-64 lower-case letters, digits, `_`, `-` or `.` \
                  starting with a letter; `invalid_rollout_percentage`: not 0-100; \
                  `invalid_on_domains` / `invalid_off_domains`: a value is not a domain, or \
                  more than 1,000; `invalid_description`: longer than 500 characters; \
                  `invalid_flag`: a kill switch takes no percentage or site lists.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
});
operation_errors!(DeleteFlagErrors {
    bad_request: "`invalid_name`: not a flag name.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
    NotFound = 404: "`flag_not_found`: no flag has this name.",
    Conflict = 409: "`flag_protected`: a kill switch the service honours cannot be deleted \
                     (switch it off instead).",
});

#[derive(Default)]
pub struct FlagsApi;

/// Site domains one list may hold.
const MAX_DOMAINS: usize = 1000;

#[derive(Object)]
#[oai(example)]
pub struct GuestFlags {
    /// Every flag by name: whether it is on for this guest. Stable for a guest while the
    /// flag is unchanged.
    pub flags: BTreeMap<String, bool>,
}

impl Example for GuestFlags {
    fn example() -> Self {
        GuestFlags {
            flags: BTreeMap::from([
                ("analysis".to_owned(), true),
                ("new_design_step".to_owned(), false),
                ("onboarding".to_owned(), true),
            ]),
        }
    }
}

#[derive(Object)]
pub struct Flags {
    pub flags: Vec<Flag>,
}

/// A flag to create or change: each field given replaces what is set; a new flag starts
/// enabled at 100 % with no site lists.
#[derive(Object, Default)]
#[oai(rename_all = "camelCase", example)]
pub struct FlagInput {
    #[oai(nullable, validator(max_length = 500))]
    pub description: Option<StrictString>,
    #[oai(nullable)]
    pub enabled: Option<bool>,
    #[oai(nullable, validator(minimum(value = "0"), maximum(value = "100")))]
    pub rollout_percentage: Option<u8>,
    /// Site domains (or URLs on them) always on; at most 1,000.
    #[oai(nullable, validator(max_items = 1000))]
    pub on_domains: Option<Vec<StrictString>>,
    /// Site domains always off; at most 1,000.
    #[oai(nullable, validator(max_items = 1000))]
    pub off_domains: Option<Vec<StrictString>>,
}

impl Example for FlagInput {
    fn example() -> Self {
        FlagInput {
            enabled: Some(true),
            rollout_percentage: Some(25),
            on_domains: Some(vec![StrictString("beta.acme.com".into())]),
            ..Default::default()
        }
    }
}

#[derive(ApiResponse)]
pub enum PutFlagResponse {
    /// The flag changed.
    #[oai(status = 200)]
    Updated(Json<Flag>),
    /// The flag was created.
    #[oai(status = 201)]
    Created(Json<Flag>),
}

#[derive(ApiResponse)]
pub enum DeleteFlagResponse {
    /// Deleted: it is off for everyone from now on (absent from the guests' flags).
    #[oai(status = 204)]
    Deleted,
}

#[OpenApi]
impl FlagsApi {
    /// The feature flags for a guest
    ///
    /// Every flag, on or off for this guest: a kill switch first, then the guest's site
    /// domain (beta sites on, blocked sites off), then the rollout percentage. Stays
    /// available while onboarding is switched off, so a UI can tell why.
    #[oai(
        path = "/api/onboarding/flags",
        method = "get",
        operation_id = "getFlags",
        tag = "Tag::Onboarding"
    )]
    async fn guest_flags(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<Json<GuestFlags>, GuestFlagsErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let domain = guest.onboarding_domain.as_deref();
        let flags = state.flags.all().await?;
        Ok(Json(GuestFlags {
            flags: flags
                .iter()
                .map(|f| (f.name.clone(), f.is_on_for(guest.uuid, domain)))
                .collect(),
        }))
    }

    /// Feature flags
    ///
    /// Every flag as stored, by name: the kill switches among them.
    #[oai(
        path = "/api/ops/flags",
        method = "get",
        operation_id = "listFlags",
        tag = "Tag::Ops"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
    ) -> Result<Json<Flags>, ListFlagsErrors> {
        auth.check(&state)?;
        let flags = flags::store::list(&state.db).await?;
        Ok(Json(Flags { flags }))
    }

    /// Create or change a feature flag
    ///
    /// Seen by every api replica within a second or two. The kill switches (`onboarding`,
    /// `analysis`) take only `enabled` and `description`.
    #[oai(
        path = "/api/ops/flags/:name",
        method = "put",
        operation_id = "putFlag",
        tag = "Tag::Ops"
    )]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The flag's name: 1-64 lower-case letters, digits, `_`, `-` or `.`, starting with
        /// a letter.
        #[oai(validator(pattern = r"^[a-z][a-z0-9_.-]{0,63}$"))]
        name: Path<String>,
        body: Json<FlagInput>,
    ) -> Result<PutFlagResponse, PutFlagErrors> {
        auth.check(&state)?;
        let input = body.0;
        let changes = FlagChanges {
            description: input.description.map(|d| d.0),
            enabled: input.enabled,
            rollout_percentage: input.rollout_percentage,
            on_domains: input
                .on_domains
                .map(|list| domains(list, ErrorCode::InvalidOnDomains))
                .transpose()?,
            off_domains: input
                .off_domains
                .map(|list| domains(list, ErrorCode::InvalidOffDomains))
                .transpose()?,
        };
        let kill_switch = flags::KILL_SWITCHES.contains(&name.0.as_str());
        let shapes_rollout = changes.rollout_percentage.is_some_and(|p| p != 100)
            || changes.on_domains.as_ref().is_some_and(|l| !l.is_empty())
            || changes.off_domains.as_ref().is_some_and(|l| !l.is_empty());
        if kill_switch && shapes_rollout {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidFlag,
                format!(
                    "{} is a kill switch: it is on or off for everyone, so it takes no \
                     rollout percentage and no site lists.",
                    name.0
                ),
            )
            .into());
        }
        let (flag, created) = flags::store::put(&state.db, &name.0, changes).await?;
        state.flags.changed().await;
        Ok(if created {
            PutFlagResponse::Created(Json(flag))
        } else {
            PutFlagResponse::Updated(Json(flag))
        })
    }

    /// Delete a feature flag
    ///
    /// It is off for everyone from then on. The kill switches cannot be deleted.
    #[oai(
        path = "/api/ops/flags/:name",
        method = "delete",
        operation_id = "deleteFlag",
        tag = "Tag::Ops"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        /// The flag's name.
        #[oai(validator(pattern = r"^[a-z][a-z0-9_.-]{0,63}$"))]
        name: Path<String>,
    ) -> Result<DeleteFlagResponse, DeleteFlagErrors> {
        auth.check(&state)?;
        if flags::KILL_SWITCHES.contains(&name.0.as_str()) {
            return Err(ApiError::conflict(
                ErrorCode::FlagProtected,
                format!(
                    "{} is a kill switch the service honours; switch it off with \
                     {{\"enabled\": false}} instead.",
                    name.0
                ),
            )
            .into());
        }
        if !flags::store::delete(&state.db, &name.0).await? {
            return Err(ApiError::not_found(
                ErrorCode::FlagNotFound,
                format!("There is no flag {}.", name.0),
            )
            .into());
        }
        state.flags.changed().await;
        Ok(DeleteFlagResponse::Deleted)
    }
}

/// Site domains as stored: normalised, each once, at most [`MAX_DOMAINS`].
fn domains(list: Vec<StrictString>, code: ErrorCode) -> Result<Vec<String>, ApiError> {
    if list.len() > MAX_DOMAINS {
        return Err(ApiError::bad_request(
            code,
            format!("A flag lists at most {MAX_DOMAINS} site domains."),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for value in list {
        let domain = Domain::parse(&value).map_err(|e| {
            ApiError::bad_request(
                code,
                format!(
                    "{:?} is not a site domain: {}",
                    value.0.chars().take(100).collect::<String>(),
                    onboard_shared::telemetry::Chain(&e)
                ),
            )
        })?;
        let domain = domain.to_string();
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    Ok(out)
}
