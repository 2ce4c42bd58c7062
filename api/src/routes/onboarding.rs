use chrono::{DateTime, SubsecRound, Utc};
use onboard_shared::{
    analytics::{self, Auto},
    domain::Domain,
    entities::{guest_session, onboarding_configuration as oc, site_insight},
    onboarding::{self, Design, Suggestions, TempConfiguration, normalise_hex_color},
    runs,
    session::{self, SessionError, SessionStatus, steps},
    sites, verification,
};
use poem::web::Data;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, TransactionTrait, sea_query::Expr,
};
use std::collections::BTreeMap;

use uuid::Uuid;

use super::{Tag, session as session_routes};
use crate::{
    error::{ApiError, ErrorCode, operation_errors},
    guest_access,
    guest_id::GuestId,
    json::Json,
    no_null::NoNull,
    nullable::{NullableFlag, NullableText},
    state::AppState,
    strict_string::StrictString,
};

operation_errors!(ReadConfigErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id (a \
                  version-4 UUID).",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});
operation_errors!(UpdateConfigErrors {
    bad_request: "`invalid_user_uuid`; `invalid_request` (the body is not JSON of the \
                  documented shape); a field that breaks its rule, named by its code: \
                  `invalid_domain`, `invalid_current_step`, `invalid_configuration`, \
                  `invalid_design`, `invalid_primary_color`, `invalid_secondary_color`, \
                  `invalid_floatie_position`, `invalid_floatie_logo`, `invalid_launcher_logo`, \
                  `invalid_contact`, `invalid_disabled_tabs`, `invalid_skip_analysis`, \
                  `invalid_no_contact`.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Conflict = 409: "`invalid_step_transition`: `currentStep` moves forward past a step \
                     whose completion criteria do not hold (the message names them).",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
    TooLarge = 413: "`payload_too_large`: the body is larger than the limit; \
                     `contact_too_large`: the contact methods are larger than 16 KiB.",
    UnsupportedMediaType = 415: "`unsupported_media_type`: the body is not sent as \
                                 `application/json`.",
});
operation_errors!(CompleteErrors {
    bad_request: "`invalid_user_uuid`: `user_uuid` is missing or is not a guest id.",
    rate_limited: "`rate_limited`: too many requests from this address; try again \
                   after `Retry-After` seconds.",
    unavailable: onboarding,
    Forbidden = 403: "`verification_required`: the guest has not proved control of its \
                      domain (see `POST /api/onboarding/verification`).",
    NotFound = 404: "`guest_not_found`: no guest session has this id.",
    Conflict = 409: "`domain_required`: the guest has not set a domain yet.",
    Gone = 410: "`guest_expired`: the guest session has expired; start a new one.",
});

#[derive(Default)]
pub struct OnboardingApi;

/// Serialised size limit of the contact methods.
pub const MAX_CONTACT_BYTES: usize = 16 * 1024;
/// Contact channels and hidden tabs a configuration may name, at most.
const MAX_CONTACT_KEYS: usize = 32;
const MAX_TABS: usize = 16;

/// Where the widget's launcher sits on the page.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum FloatiePosition {
    Left,
    Right,
}

impl FloatiePosition {
    fn as_str(self) -> &'static str {
        match self {
            FloatiePosition::Left => "left",
            FloatiePosition::Right => "right",
        }
    }

    fn from_stored(value: Option<&str>) -> Self {
        match value {
            Some("left") => FloatiePosition::Left,
            _ => FloatiePosition::Right,
        }
    }
}

/// Design fields to set; each one given replaces what is set, each one left out is kept.
#[derive(Object, Default)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct DesignFields {
    /// The widget's main colour, `#RRGGBB` or `#RGB` (stored as `#RRGGBB`).
    #[oai(nullable, validator(pattern = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"))]
    pub primary_color: Option<StrictString>,
    /// The widget's second colour, `#RRGGBB` or `#RGB`.
    #[oai(nullable, validator(pattern = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"))]
    pub secondary_color: Option<StrictString>,
    // Described by its type: a field's own description would wrap the reference in an
    // `allOf`, which openapi-python-client cannot read for an enum.
    pub floatie_position: NoNull<FloatiePosition>,
    /// The stored name of an uploaded logo (as `POST /api/onboarding/upload-logo/floatie`
    /// answered it).
    #[oai(nullable, validator(pattern = r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$"))]
    pub floatie_logo: Option<StrictString>,
    /// The stored name of an uploaded launcher logo.
    #[oai(nullable, validator(pattern = r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$"))]
    pub launcher_logo: Option<StrictString>,
}

impl poem_openapi::types::Example for DesignFields {
    fn example() -> Self {
        DesignFields {
            primary_color: Some(StrictString("#FB8537".into())),
            floatie_position: NoNull(Some(FloatiePosition::Left)),
            ..Default::default()
        }
    }
}

/// A change to the configuration: each object given is merged into what is set.
#[derive(Object, Default)]
#[oai(rename_all = "camelCase", example)]
pub struct ConfigurationInput {
    pub design: NoNull<DesignFields>,
    /// Contact methods by channel (`email`, `phone`, `chat`, …), merged key by key: a value
    /// sets the channel, `null` removes it. Channel names are 1-32 letters, digits, `_` or
    /// `-` starting with a letter; at most 32 channels of at most 1,024 characters each,
    /// 16 KiB in all. The first change starts from what the configuration shows (the
    /// analysis' suggestions, when the guest has set none).
    pub contact: NoNull<BTreeMap<String, NullableText>>,
    /// Contact tabs by name (`chat`, `email`, `phone`, …), `true` to hide one, merged key by
    /// key: `null` removes the setting. At most 16 tab names of 1-32 lower-case letters,
    /// digits, `_` or `-`, starting with a letter.
    pub disabled_tabs: NoNull<BTreeMap<String, NullableFlag>>,
    /// `true`: go on without an analysis (it completes the content step without one).
    #[oai(nullable)]
    pub skip_analysis: Option<bool>,
    /// `true`: offer no contact channel (it completes the contact step without one).
    #[oai(nullable)]
    pub no_contact: Option<bool>,
}

impl poem_openapi::types::Example for ConfigurationInput {
    fn example() -> Self {
        ConfigurationInput {
            design: NoNull(Some(DesignFields::example())),
            contact: NoNull(Some(BTreeMap::from([
                (
                    "email".to_owned(),
                    NullableText(Some("help@acme.com".into())),
                ),
                ("phone".to_owned(), NullableText(None)),
            ]))),
            disabled_tabs: NoNull(Some(BTreeMap::from([(
                "phone".to_owned(),
                NullableFlag(Some(true)),
            )]))),
            skip_analysis: None,
            no_contact: None,
        }
    }
}

/// A partial update: every field is optional, and each one given is validated.
#[derive(Object, Default)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct ConfigUpdate {
    /// The customer's domain or a URL on it; reduced to the normalised host. A new domain
    /// cancels the analysis of the old one.
    #[oai(nullable)]
    pub domain: Option<StrictString>,
    /// 1 design, 2 content, 3 contact.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "3")))]
    pub current_step: Option<i16>,
    pub configuration: NoNull<ConfigurationInput>,
}

impl poem_openapi::types::Example for ConfigUpdate {
    fn example() -> Self {
        ConfigUpdate {
            domain: Some(StrictString("https://www.acme.com/pricing".into())),
            current_step: Some(1),
            configuration: NoNull(Some(ConfigurationInput::example())),
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum UpdatedStatus {
    Updated,
}

#[derive(Object)]
#[oai(example)]
pub struct Updated {
    pub status: UpdatedStatus,
}

impl poem_openapi::types::Example for Updated {
    fn example() -> Self {
        Updated {
            status: UpdatedStatus::Updated,
        }
    }
}

/// The design as the widget will show it.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct DesignView {
    /// `#RRGGBB`.
    pub primary_color: String,
    /// `#RRGGBB`.
    pub secondary_color: String,
    pub floatie_position: FloatiePosition,
    /// The stored name of an uploaded logo (served at `/api/onboarding/logos/{name}`).
    pub floatie_logo: Option<String>,
    /// The stored name of an uploaded logo or, until the user sets one, the absolute URL of
    /// the logo the analysis found on the site.
    pub launcher_logo: Option<String>,
}

impl poem_openapi::types::Example for DesignView {
    fn example() -> Self {
        DesignView {
            primary_color: "#FB8537".into(),
            secondary_color: "#4884FA".into(),
            floatie_position: FloatiePosition::Right,
            floatie_logo: None,
            launcher_logo: Some("https://www.acme.com/logo.svg".into()),
        }
    }
}

/// The configuration in effect: what the user set, else what the analysis suggests, else
/// the defaults.
#[derive(Object)]
#[oai(rename_all = "camelCase", example)]
pub struct EffectiveConfiguration {
    pub design: DesignView,
    /// Contact methods by channel.
    pub contact: BTreeMap<String, String>,
    /// Contact tabs by name, `true` when hidden.
    pub disabled_tabs: BTreeMap<String, bool>,
}

impl poem_openapi::types::Example for EffectiveConfiguration {
    fn example() -> Self {
        EffectiveConfiguration {
            design: DesignView::example(),
            contact: BTreeMap::from([("email".into(), "help@acme.com".into())]),
            disabled_tabs: BTreeMap::from([("phone".into(), true)]),
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none, example)]
pub struct OnboardingConfig {
    /// Absent until the guest sets one.
    pub domain: Option<String>,
    /// 0 before any step, 1 design, 2 content, 3 contact.
    pub current_step: i16,
    pub configuration: EffectiveConfiguration,
    pub is_completed: bool,
    // Described by its type (see `FloatiePosition` for why).
    pub status: SessionStatus,
    /// The steps whose completion criteria hold.
    pub completed_steps: Vec<i16>,
    pub resume: ResumeState,
}

/// What a UI needs to restore the exact screen the guest left.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct ResumeState {
    pub step: i16,
    pub status: SessionStatus,
    /// The guest's latest analysis of its current domain, to poll or show.
    pub analysis_id: Option<i64>,
    /// The guest chose to go on without an analysis.
    pub skip_analysis: bool,
    /// The guest chose to offer no contact channel.
    pub no_contact: bool,
}

impl poem_openapi::types::Example for OnboardingConfig {
    fn example() -> Self {
        OnboardingConfig {
            domain: Some("www.acme.com".into()),
            current_step: 1,
            configuration: EffectiveConfiguration::example(),
            is_completed: false,
            status: SessionStatus::Active,
            completed_steps: vec![],
            resume: ResumeState {
                step: 1,
                status: SessionStatus::Active,
                analysis_id: Some(7),
                skip_analysis: false,
                no_contact: false,
            },
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum CompletedStatus {
    Completed,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", example)]
pub struct Completed {
    pub status: CompletedStatus,
    pub site_id: i64,
    pub domain: String,
    /// When onboarding was first completed (completing again keeps it).
    pub completed_at: DateTime<Utc>,
}

impl poem_openapi::types::Example for Completed {
    fn example() -> Self {
        Completed {
            status: CompletedStatus::Completed,
            site_id: 42,
            domain: "www.acme.com".into(),
            completed_at: "2026-11-29T12:00:00Z".parse().expect("a time"),
        }
    }
}

#[derive(ApiResponse)]
pub enum ReadConfigResponse {
    /// The guest's configuration, with the analysis' suggestions and the defaults filled in.
    #[oai(status = 200)]
    Ok(Json<OnboardingConfig>),
}

#[derive(ApiResponse)]
pub enum UpdateConfigResponse {
    /// The update is stored.
    #[oai(status = 200)]
    Ok(Json<Updated>),
}

#[derive(ApiResponse)]
pub enum CompleteResponse {
    /// The configuration is applied to the site, and onboarding is complete.
    #[oai(status = 200)]
    Ok(Json<Completed>),
}

impl From<Design> for DesignView {
    fn from(d: Design) -> Self {
        let defaults = Design::defaults();
        DesignView {
            primary_color: d
                .primary_color
                .or(defaults.primary_color)
                .unwrap_or_default(),
            secondary_color: d
                .secondary_color
                .or(defaults.secondary_color)
                .unwrap_or_default(),
            floatie_position: FloatiePosition::from_stored(d.floatie_position.as_deref()),
            floatie_logo: d.floatie_logo,
            launcher_logo: d.launcher_logo,
        }
    }
}

#[OpenApi(tag = "Tag::Onboarding")]
impl OnboardingApi {
    /// The guest's onboarding configuration
    ///
    /// What the guest set, else what the analysis of its current domain suggests, else the
    /// defaults, field by field; the domain, the step the guest is at, and whether
    /// onboarding is complete.
    #[oai(
        path = "/api/onboarding/config",
        method = "get",
        operation_id = "getOnboardingConfig"
    )]
    async fn get_config(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<ReadConfigResponse, ReadConfigErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let read = session_routes::read_situation(&state.db, &guest).await?;
        let completed_steps = steps::completed(&read.facts(&guest));
        let user = &read.config;
        let effective = onboarding::effective(user, &read.suggested);
        let resume = ResumeState {
            step: guest.onboarding_step,
            status: guest.status,
            analysis_id: read.run.as_ref().map(|r| r.id),
            skip_analysis: user.skip_analysis == Some(true),
            no_contact: user.no_contact == Some(true),
        };
        Ok(ReadConfigResponse::Ok(Json(OnboardingConfig {
            domain: guest.onboarding_domain,
            current_step: guest.onboarding_step,
            configuration: EffectiveConfiguration {
                design: effective.design.into(),
                contact: effective.contact,
                disabled_tabs: effective.disabled_tabs,
            },
            is_completed: guest.onboarding_completed_at.is_some(),
            status: guest.status,
            completed_steps,
            resume,
        })))
    }

    /// Update the guest's domain, step and configuration
    ///
    /// A partial update: every field is optional and each one given is validated. Design
    /// fields replace what is set; the contact methods and the hidden tabs are merged key
    /// by key (`null` removes a key). A new domain cancels the analysis of the old one.
    #[oai(
        path = "/api/onboarding/config",
        method = "post",
        operation_id = "updateOnboardingConfig"
    )]
    async fn update_config(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
        body: Json<ConfigUpdate>,
    ) -> Result<UpdateConfigResponse, UpdateConfigErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let update = body.0;
        let domain = update
            .domain
            .as_deref()
            .map(Domain::parse)
            .transpose()?
            .map(|d| d.to_string());
        let mut config = TempConfiguration::from_json(&guest.temp_configuration);
        let design_before = config.design.clone();
        if let Some(input) = update.configuration.into_option() {
            // A first contact change starts from what the guest sees: the suggestions.
            let suggested = match (&config.contact, &input.contact.0) {
                (None, Some(_)) => {
                    suggestions_for(&state.db, guest.uuid, guest.onboarding_domain.as_deref())
                        .await?
                        .contact
                }
                _ => None,
            };
            apply(&mut config, input, suggested)?;
        }
        let design_changed = design_before.changed_fields(&config.design);
        // A move forward must not pass a step whose criteria (after this update) fail.
        if let Some(to) = update.current_step
            && to > guest.onboarding_step
        {
            let domain_after = domain.as_deref().or(guest.onboarding_domain.as_deref());
            let analysis_succeeded = match sites::id_of(&state.db, domain_after).await? {
                Some(site_id) => runs::queries::latest_succeeded(&state.db, guest.uuid, site_id)
                    .await?
                    .is_some(),
                None => false,
            };
            let facts = steps::Facts {
                config: &config,
                domain: domain_after,
                analysis_succeeded,
            };
            if let Some((step, missing)) = steps::blocked_move(guest.onboarding_step, to, &facts) {
                let names: Vec<&str> = missing.iter().map(|c| c.as_str()).collect();
                return Err(ApiError::conflict(
                    ErrorCode::InvalidStepTransition,
                    format!(
                        "Step {step} ({}) is not complete: {} missing. Complete it before \
                         moving on to step {to}; moving back is always allowed.",
                        steps::name(step),
                        names.join(", ")
                    ),
                )
                .into());
            }
        }

        let mut row = guest_session::ActiveModel {
            uuid: Set(guest.uuid),
            temp_configuration: Set(config.to_json()),
            ..Default::default()
        };
        let domain_changed = domain
            .as_deref()
            .is_some_and(|d| guest.onboarding_domain.as_deref() != Some(d));
        if let Some(domain) = &domain {
            row.onboarding_domain = Set(Some(domain.clone()));
        }
        let now = Utc::now();
        let txn = state.db.begin().await?;
        // A write brings a paused or abandoned guest back.
        if matches!(
            guest.status,
            SessionStatus::Paused | SessionStatus::Abandoned
        ) {
            session::resume(&txn, &guest, state.config.guest_ttl, "write", now)
                .await
                .map_err(|e| match e {
                    SessionError::Db(e) => ApiError::from(e),
                    other => {
                        tracing::error!(error = %other, "a write could not resume the session");
                        ApiError::internal()
                    }
                })?;
        }
        if domain_changed {
            // A new domain makes the analysis of the old one moot.
            runs::cancel::cancel_active(&txn, guest.uuid, None, "The domain changed").await?;
        }
        // The update locks the guest's row, so what is read next is what this request
        // changes: two tabs moving the guest at once record two true moves, not one twice.
        let saved = guest_session::Entity::update(row).exec(&txn).await?;
        let site_id = if update.current_step.is_some() || !design_changed.is_empty() {
            sites::id_of(&txn, saved.onboarding_domain.as_deref()).await?
        } else {
            None
        };
        if let Some(to) = update.current_step
            && to != saved.onboarding_step
        {
            let reached = analytics::first_reached(saved.furthest_step, to);
            guest_session::Entity::update(guest_session::ActiveModel {
                uuid: Set(guest.uuid),
                onboarding_step: Set(to),
                furthest_step: Set(saved.furthest_step.max(to)),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
            let moved = analytics::StepNavigated {
                from: saved.onboarding_step,
                to,
                reached,
            };
            analytics::record(
                &txn,
                Auto::StepNavigated,
                Some(guest.uuid),
                site_id,
                moved,
                now,
            )
            .await?;
        }
        if !design_changed.is_empty() {
            let fields = analytics::DesignUpdated {
                fields: design_changed,
            };
            analytics::record(
                &txn,
                Auto::DesignUpdated,
                Some(guest.uuid),
                site_id,
                fields,
                now,
            )
            .await?;
        }
        txn.commit().await?;
        if domain_changed {
            state.progress_changed(guest.uuid).await;
        }
        Ok(UpdateConfigResponse::Ok(Json(Updated {
            status: UpdatedStatus::Updated,
        })))
    }

    /// Apply the configuration to the site and complete onboarding
    ///
    /// Fields the guest did not set keep the site's current values (or the analysis'
    /// suggestions). The guest must have proved control of the domain
    /// (`POST /api/onboarding/verification`): a site's live configuration belongs to
    /// whoever controls its domain. Completing again applies the configuration again and
    /// keeps the first completion's time.
    #[oai(
        path = "/api/onboarding/complete",
        method = "post",
        operation_id = "completeOnboarding"
    )]
    async fn complete(
        &self,
        state: Data<&AppState>,
        /// The guest session's id (a version-4 UUID).
        user_uuid: Query<GuestId>,
    ) -> Result<CompleteResponse, CompleteErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let domain = guest.onboarding_domain.clone().ok_or_else(|| {
            ApiError::conflict(
                ErrorCode::DomainRequired,
                "Set a domain before completing onboarding",
            )
        })?;
        let db = &state.db;
        if !verification::is_verified(db, guest.uuid, &domain).await? {
            return Err(ApiError::forbidden(
                ErrorCode::VerificationRequired,
                format!(
                    "Prove that you control {domain} before applying a configuration to its \
                     site: get a token with POST /api/onboarding/verification, put it on the \
                     site, then POST /api/onboarding/verification/check"
                ),
            )
            .into());
        }
        let site = sites::upsert(db, &domain).await?;
        let user = TempConfiguration::from_json(&guest.temp_configuration);
        let suggested = suggestions_for(db, guest.uuid, Some(&domain)).await?;
        // At the precision the database keeps, so a later read gives the same completedAt.
        let now = Utc::now().trunc_subsecs(6);

        let txn = db.begin().await?;
        let existing = oc::Entity::find()
            .filter(oc::Column::SiteId.eq(site.id))
            .one(&txn)
            .await?;
        let base = existing
            .as_ref()
            .map(design_of)
            .unwrap_or_else(Design::defaults);
        let design = user.design.clone().or(&suggested.design).or(&base);
        let contact = user
            .contact
            .clone()
            .or(suggested.contact.clone())
            .or_else(|| {
                existing
                    .as_ref()
                    .map(|e| onboarding::contact_of(&e.contact_methods))
            })
            .unwrap_or_default();
        let tabs = user
            .disabled_tabs
            .clone()
            .or_else(|| {
                existing
                    .as_ref()
                    .map(|e| onboarding::tabs_of(&e.disabled_contact_tabs))
            })
            .unwrap_or_default();
        let step = if guest.onboarding_step > 0 {
            guest.onboarding_step
        } else {
            3
        };

        let mut row = match existing {
            Some(e) => e.into(),
            None => oc::ActiveModel {
                site_id: Set(site.id),
                created_at: Set(now),
                ..Default::default()
            },
        };
        let defaults = Design::defaults();
        row.primary_color = Set(design
            .primary_color
            .or(defaults.primary_color)
            .unwrap_or_default());
        row.secondary_color = Set(design
            .secondary_color
            .or(defaults.secondary_color)
            .unwrap_or_default());
        row.floatie_position = Set(design
            .floatie_position
            .or(defaults.floatie_position)
            .unwrap_or_default());
        row.floatie_logo = Set(design.floatie_logo);
        row.launcher_logo = Set(design.launcher_logo);
        row.contact_methods = Set(serde_json::to_value(contact).expect("a map serialises"));
        row.disabled_contact_tabs = Set(serde_json::to_value(tabs).expect("a map serialises"));
        row.onboarding_step = Set(step);
        row.is_completed = Set(true);
        row.updated_at = Set(now);
        row.save(&txn).await?;
        sites::mark_claimed(&txn, site.id, now).await?;

        // Completion is recorded once: a second call applies the configuration again but
        // keeps the first completion's time and writes no second event.
        let first = guest_session::Entity::update_many()
            .col_expr(
                guest_session::Column::OnboardingCompletedAt,
                Expr::value(now),
            )
            .col_expr(
                guest_session::Column::Status,
                Expr::value(SessionStatus::Completed),
            )
            .col_expr(
                guest_session::Column::PausedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(guest_session::Column::Uuid.eq(guest.uuid))
            .filter(guest_session::Column::OnboardingCompletedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if first {
            let took = analytics::Completed {
                seconds: (now - guest.created_at).num_milliseconds().max(0) as f64 / 1000.0,
            };
            analytics::record(
                &txn,
                Auto::OnboardingCompleted,
                Some(guest.uuid),
                Some(site.id),
                took,
                now,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(CompleteResponse::Ok(Json(Completed {
            status: CompletedStatus::Completed,
            site_id: site.id,
            domain,
            completed_at: guest.onboarding_completed_at.unwrap_or(now),
        })))
    }
}

fn design_of(row: &oc::Model) -> Design {
    Design {
        primary_color: Some(row.primary_color.clone()),
        secondary_color: Some(row.secondary_color.clone()),
        floatie_position: Some(row.floatie_position.clone()),
        floatie_logo: row.floatie_logo.clone(),
        launcher_logo: row.launcher_logo.clone(),
    }
}

/// Merges validated input (the schema's validators have checked each field's form) into
/// the guest's configuration: design fields replace what is set (colours normalised), the
/// contact methods and hidden tabs merge key by key, a first contact change starting from
/// `suggested`.
fn apply(
    config: &mut TempConfiguration,
    input: ConfigurationInput,
    suggested: Option<onboarding::Contact>,
) -> Result<(), ApiError> {
    if let Some(design) = input.design.into_option() {
        let color = |value: Option<StrictString>| value.as_deref().and_then(normalise_hex_color);
        if let Some(c) = color(design.primary_color) {
            config.design.primary_color = Some(c);
        }
        if let Some(c) = color(design.secondary_color) {
            config.design.secondary_color = Some(c);
        }
        if let Some(position) = design.floatie_position.into_option() {
            config.design.floatie_position = Some(position.as_str().to_owned());
        }
        if design.floatie_logo.is_some() {
            config.design.floatie_logo = design.floatie_logo.map(Into::into);
        }
        if design.launcher_logo.is_some() {
            config.design.launcher_logo = design.launcher_logo.map(Into::into);
        }
    }
    if let Some(patch) = input.contact.into_option() {
        check_names(
            patch.keys(),
            "contact",
            ErrorCode::InvalidContact,
            r"[a-zA-Z0-9_-]",
        )?;
        let mut contact = config.contact.take().or(suggested).unwrap_or_default();
        onboarding::merge(
            &mut contact,
            patch.into_iter().map(|(k, v)| (k, v.0)).collect(),
        );
        if contact.len() > MAX_CONTACT_KEYS {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidContact,
                format!("Contact methods name at most {MAX_CONTACT_KEYS} channels"),
            ));
        }
        if serde_json::to_string(&contact).map_or(0, |s| s.len()) > MAX_CONTACT_BYTES {
            return Err(ApiError::too_large(
                ErrorCode::ContactTooLarge,
                format!(
                    "The contact methods take more than {} KiB; shorten or remove some",
                    MAX_CONTACT_BYTES / 1024
                ),
            ));
        }
        config.contact = Some(contact);
    }
    if let Some(skip) = input.skip_analysis {
        config.skip_analysis = Some(skip);
    }
    if let Some(none) = input.no_contact {
        config.no_contact = Some(none);
    }
    if let Some(patch) = input.disabled_tabs.into_option() {
        check_names(
            patch.keys(),
            "disabledTabs",
            ErrorCode::InvalidDisabledTabs,
            r"[a-z0-9_-]",
        )?;
        let mut tabs = config.disabled_tabs.take().unwrap_or_default();
        onboarding::merge(
            &mut tabs,
            patch.into_iter().map(|(k, v)| (k, v.0)).collect(),
        );
        if tabs.len() > MAX_TABS {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidDisabledTabs,
                format!("disabledTabs names at most {MAX_TABS} tabs"),
            ));
        }
        config.disabled_tabs = Some(tabs);
    }
    Ok(())
}

/// Channel and tab names: 1-32 characters, a letter first, then the characters `rest`
/// allows (a regex class, for the message).
fn check_names<'a>(
    names: impl Iterator<Item = &'a String>,
    field: &str,
    code: ErrorCode,
    rest: &str,
) -> Result<(), ApiError> {
    let lower_only = rest.starts_with("[a-z0");
    for name in names {
        let ok = (1..=32).contains(&name.len())
            && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name.chars().all(|c| {
                c.is_ascii_digit()
                    || c == '_'
                    || c == '-'
                    || c.is_ascii_lowercase()
                    || !lower_only && c.is_ascii_uppercase()
            });
        if !ok {
            return Err(ApiError::bad_request(
                code,
                format!(
                    "{field}: {name:?} is not a valid name; names are 1 to 32 letters, digits, \
                     `_` or `-`, starting with a lower-case letter"
                ),
            ));
        }
    }
    Ok(())
}

/// The suggestions of the guest's latest successful analysis of `domain` (its current
/// domain), if any: a run of another domain never suggests values for this one.
pub async fn suggestions_for(
    db: &DatabaseConnection,
    guest: Uuid,
    domain: Option<&str>,
) -> Result<Suggestions, DbErr> {
    let Some(site_id) = sites::id_of(db, domain).await? else {
        return Ok(Suggestions::default());
    };
    match runs::queries::latest_succeeded(db, guest, site_id).await? {
        Some(run) => suggestions_of_run(db, run.id).await,
        None => Ok(Suggestions::default()),
    }
}

/// What a succeeded run's insights suggest.
pub async fn suggestions_of_run(
    db: &DatabaseConnection,
    run_id: i64,
) -> Result<Suggestions, DbErr> {
    Ok(site_insight::Entity::find()
        .filter(site_insight::Column::RunId.eq(run_id))
        .one(db)
        .await?
        .map(|i| Suggestions::from_insights(&i))
        .unwrap_or_default())
}
