use chrono::{DateTime, Utc};
use onboard_shared::{
    domain::Domain,
    entities::{analysis_run, guest_session, onboarding_configuration as oc, site_insight},
    onboarding::{
        self, Design, FLOATIE_POSITIONS, Suggestions, TempConfiguration, normalise_hex_color,
    },
    progress::RunStatus,
    runs,
};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde_json::Value;
use uuid::Uuid;

use super::Tag;
use crate::{
    error::{ApiError, operation_errors},
    guest_access,
    guest_id::GuestId,
    sites,
    state::AppState,
};

operation_errors!(ReadConfigErrors {
    NotFound = 404: "No guest session has this id.",
    Gone = 410: "The guest session has expired.",
});
operation_errors!(UpdateConfigErrors {
    NotFound = 404: "No guest session has this id.",
    Gone = 410: "The guest session has expired.",
    TooLarge = 413: "The body, or its contact object, is too large.",
    UnsupportedMediaType = 415: "The body is not JSON.",
});
operation_errors!(CompleteErrors {
    NotFound = 404: "No guest session has this id.",
    Conflict = 409: "The guest has not set a domain yet.",
    Gone = 410: "The guest session has expired.",
});

#[derive(Default)]
pub struct OnboardingApi;

/// Serialised size limit of the `contact` object.
pub const MAX_CONTACT_BYTES: usize = 16 * 1024;
pub const MAX_DISABLED_TABS: usize = 16;
const MAX_LOGO_NAME: usize = 128;

#[derive(Object, Default)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct DesignFields {
    /// `#RRGGBB` or `#RGB`.
    pub primary_color: Option<String>,
    /// `#RRGGBB` or `#RGB`.
    pub secondary_color: Option<String>,
    /// `left` or `right`.
    pub floatie_position: Option<String>,
    /// The stored name of an uploaded logo.
    pub floatie_logo: Option<String>,
    /// The stored name of an uploaded logo.
    pub launcher_logo: Option<String>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct ConfigurationInput {
    pub design: Option<DesignFields>,
    /// Contact methods, a JSON object of at most 16 KiB.
    pub contact: Option<Value>,
    /// Contact tabs to hide: at most 16 names of lower-case letters, digits, `_` or `-`.
    pub disabled_tabs: Option<Vec<String>>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct ConfigUpdate {
    /// The customer's domain or a URL on it; reduced to the normalised host.
    pub domain: Option<String>,
    /// 1 design, 2 content, 3 contact.
    pub current_step: Option<i16>,
    pub configuration: Option<ConfigurationInput>,
}

#[derive(Object)]
pub struct Updated {
    /// `updated`.
    pub status: String,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct EffectiveConfiguration {
    pub design: DesignFields,
    pub contact: Value,
    pub disabled_tabs: Vec<String>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct OnboardingConfig {
    pub domain: Option<String>,
    pub current_step: i16,
    /// What the user set, else what the analysis suggests, else the defaults.
    pub configuration: EffectiveConfiguration,
    pub is_completed: bool,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct Completed {
    /// `completed`.
    pub status: String,
    pub site_id: i64,
    pub domain: String,
    pub completed_at: DateTime<Utc>,
}

impl From<Design> for DesignFields {
    fn from(d: Design) -> Self {
        DesignFields {
            primary_color: d.primary_color,
            secondary_color: d.secondary_color,
            floatie_position: d.floatie_position,
            floatie_logo: d.floatie_logo,
            launcher_logo: d.launcher_logo,
        }
    }
}

#[OpenApi(tag = "Tag::Onboarding")]
impl OnboardingApi {
    /// The guest's onboarding configuration, with suggestions and defaults filled in.
    #[oai(
        path = "/api/onboarding/config",
        method = "get",
        operation_id = "getOnboardingConfig"
    )]
    async fn get_config(
        &self,
        state: Data<&AppState>,
        user_uuid: Query<GuestId>,
    ) -> Result<Json<OnboardingConfig>, ReadConfigErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let user = TempConfiguration::from_json(&guest.temp_configuration);
        let suggested = suggestions_for(&state.db, guest.uuid).await?;
        let effective = onboarding::effective(&user, &suggested);
        Ok(Json(OnboardingConfig {
            domain: guest.onboarding_domain,
            current_step: guest.onboarding_step,
            configuration: EffectiveConfiguration {
                design: effective.design.into(),
                contact: effective.contact,
                disabled_tabs: effective.disabled_tabs,
            },
            is_completed: guest.onboarding_completed_at.is_some(),
        }))
    }

    /// Partly update the guest's domain, step and configuration. Every field is optional;
    /// each one given is validated.
    #[oai(
        path = "/api/onboarding/config",
        method = "post",
        operation_id = "updateOnboardingConfig"
    )]
    async fn update_config(
        &self,
        state: Data<&AppState>,
        user_uuid: Query<GuestId>,
        body: Json<ConfigUpdate>,
    ) -> Result<Json<Updated>, UpdateConfigErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let update = body.0;
        let domain = update
            .domain
            .as_deref()
            .map(Domain::parse)
            .transpose()?
            .map(|d| d.to_string());
        if let Some(step) = update.current_step
            && !(1..=3).contains(&step)
        {
            return Err(ApiError::bad_request(
                "invalid_current_step",
                "currentStep must be 1, 2 or 3",
            )
            .into());
        }
        let mut config = TempConfiguration::from_json(&guest.temp_configuration);
        if let Some(input) = update.configuration {
            apply(&mut config, input)?;
        }

        let mut row = guest_session::ActiveModel {
            uuid: Set(guest.uuid),
            temp_configuration: Set(config.to_json()),
            ..Default::default()
        };
        if let Some(step) = update.current_step {
            row.onboarding_step = Set(step);
        }
        let domain_changed = domain
            .as_deref()
            .is_some_and(|d| guest.onboarding_domain.as_deref() != Some(d));
        if let Some(domain) = &domain {
            row.onboarding_domain = Set(Some(domain.clone()));
        }
        if domain_changed {
            // A new domain makes the analysis of the old one moot.
            runs::cancel_active(&state.db, guest.uuid, None, "The domain changed").await?;
        }
        guest_session::Entity::update(row).exec(&state.db).await?;
        if domain_changed {
            state.queue.progress_feed().guest(guest.uuid).await;
        }
        Ok(Json(Updated {
            status: "updated".into(),
        }))
    }

    /// Apply the guest's configuration to its site and mark onboarding complete. Fields the
    /// guest did not set keep the site's current values (or the analysis' suggestions).
    #[oai(
        path = "/api/onboarding/complete",
        method = "post",
        operation_id = "completeOnboarding"
    )]
    async fn complete(
        &self,
        state: Data<&AppState>,
        user_uuid: Query<GuestId>,
    ) -> Result<Json<Completed>, CompleteErrors> {
        let guest = guest_access::active(&state, user_uuid.0).await?;
        let domain = guest.onboarding_domain.clone().ok_or_else(|| {
            ApiError::conflict(
                "domain_required",
                "Set a domain before completing onboarding",
            )
        })?;
        let db = &state.db;
        let site = sites::upsert(db, &domain).await?;
        let user = TempConfiguration::from_json(&guest.temp_configuration);
        let suggested = suggestions_for(db, guest.uuid).await?;
        let existing = oc::Entity::find()
            .filter(oc::Column::SiteId.eq(site.id))
            .one(db)
            .await?;
        let now = Utc::now();

        let base = existing
            .as_ref()
            .map(design_of)
            .unwrap_or_else(Design::defaults);
        let design = user.design.clone().or(&suggested.design).or(&base);
        let contact = user
            .contact
            .clone()
            .or(suggested.contact.clone())
            .or_else(|| existing.as_ref().map(|e| e.contact_methods.clone()))
            .unwrap_or_else(|| Value::Object(Default::default()));
        let tabs = user
            .disabled_tabs
            .clone()
            .map(|t| serde_json::to_value(t).expect("tabs serialise"))
            .or_else(|| existing.as_ref().map(|e| e.disabled_contact_tabs.clone()))
            .unwrap_or_else(|| Value::Array(Vec::new()));
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
        row.contact_methods = Set(contact);
        row.disabled_contact_tabs = Set(tabs);
        row.onboarding_step = Set(step);
        row.is_completed = Set(true);
        row.updated_at = Set(now);
        row.save(db).await?;

        guest_session::Entity::update(guest_session::ActiveModel {
            uuid: Set(guest.uuid),
            onboarding_completed_at: Set(Some(now)),
            ..Default::default()
        })
        .exec(db)
        .await?;
        Ok(Json(Completed {
            status: "completed".into(),
            site_id: site.id,
            domain,
            completed_at: now,
        }))
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

/// Validates the given configuration fields and merges them into what the guest has set.
fn apply(config: &mut TempConfiguration, input: ConfigurationInput) -> Result<(), ApiError> {
    if let Some(design) = input.design {
        if let Some(color) = design.primary_color {
            config.design.primary_color = Some(color_field(&color, "primaryColor")?);
        }
        if let Some(color) = design.secondary_color {
            config.design.secondary_color = Some(color_field(&color, "secondaryColor")?);
        }
        if let Some(position) = design.floatie_position {
            if !FLOATIE_POSITIONS.contains(&position.as_str()) {
                return Err(ApiError::bad_request(
                    "invalid_floatie_position",
                    "floatiePosition must be left or right",
                ));
            }
            config.design.floatie_position = Some(position);
        }
        if let Some(name) = design.floatie_logo {
            config.design.floatie_logo = Some(logo_field(name, "floatieLogo")?);
        }
        if let Some(name) = design.launcher_logo {
            config.design.launcher_logo = Some(logo_field(name, "launcherLogo")?);
        }
    }
    if let Some(contact) = input.contact {
        if !contact.is_object() {
            return Err(ApiError::bad_request(
                "invalid_contact",
                "contact must be a JSON object",
            ));
        }
        if contact.to_string().len() > MAX_CONTACT_BYTES {
            return Err(ApiError::too_large(
                "contact_too_large",
                format!("contact must be at most {MAX_CONTACT_BYTES} bytes of JSON"),
            ));
        }
        config.contact = Some(contact);
    }
    if let Some(tabs) = input.disabled_tabs {
        let valid = |t: &String| {
            (1..=32).contains(&t.len())
                && t.starts_with(|c: char| c.is_ascii_lowercase())
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        };
        if tabs.len() > MAX_DISABLED_TABS || !tabs.iter().all(valid) {
            return Err(ApiError::bad_request(
                "invalid_disabled_tabs",
                format!(
                    "disabledTabs takes at most {MAX_DISABLED_TABS} names of 1-32 lower-case letters, digits, _ or -"
                ),
            ));
        }
        config.disabled_tabs = Some(tabs);
    }
    Ok(())
}

fn color_field(value: &str, name: &str) -> Result<String, ApiError> {
    normalise_hex_color(value).ok_or_else(|| {
        ApiError::bad_request(
            &format!("invalid_{}", snake(name)),
            format!("{name} must be a hex colour like #FB8537"),
        )
    })
}

fn logo_field(value: String, name: &str) -> Result<String, ApiError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_LOGO_NAME
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && !value.starts_with('.');
    if ok {
        Ok(value)
    } else {
        Err(ApiError::bad_request(
            &format!("invalid_{}", snake(name)),
            format!("{name} must be the stored name of an uploaded logo"),
        ))
    }
}

fn snake(camel: &str) -> String {
    camel
        .chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['_', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// The suggestions of the guest's latest successful analysis, if any.
pub async fn suggestions_for(db: &DatabaseConnection, guest: Uuid) -> Result<Suggestions, DbErr> {
    let Some(run) = analysis_run::Entity::find()
        .filter(analysis_run::Column::GuestUuid.eq(guest))
        .filter(analysis_run::Column::Status.eq(RunStatus::Succeeded.as_str()))
        .order_by_desc(analysis_run::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(Suggestions::default());
    };
    Ok(site_insight::Entity::find()
        .filter(site_insight::Column::RunId.eq(run.id))
        .one(db)
        .await?
        .map(|i| Suggestions::from_insights(&i))
        .unwrap_or_default())
}
