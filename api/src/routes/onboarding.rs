use chrono::{DateTime, SubsecRound, Utc};
use onboard_shared::{
    analytics::{self, Auto},
    domain::Domain,
    entities::{guest_session, onboarding_configuration as oc, site_insight},
    onboarding::{self, Design, Suggestions, TempConfiguration, normalise_hex_color},
    runs, sites, verification,
};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, TransactionTrait, sea_query::Expr,
};
use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use super::Tag;
use crate::{
    error::{ApiError, operation_errors},
    guest_access,
    guest_id::GuestId,
    state::AppState,
    strict_string::StrictString,
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
    Forbidden = 403: "The guest has not proved control of its domain \
                      (`verification_required`): see `POST /api/onboarding/verification`.",
    NotFound = 404: "No guest session has this id.",
    Conflict = 409: "The guest has not set a domain yet.",
    Gone = 410: "The guest session has expired.",
});

#[derive(Default)]
pub struct OnboardingApi;

/// Serialised size limit of the `contact` object.
pub const MAX_CONTACT_BYTES: usize = 16 * 1024;

#[derive(Object, Default)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct DesignFields {
    /// `#RRGGBB` or `#RGB`.
    #[oai(nullable, validator(pattern = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"))]
    pub primary_color: Option<StrictString>,
    /// `#RRGGBB` or `#RGB`.
    #[oai(nullable, validator(pattern = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"))]
    pub secondary_color: Option<StrictString>,
    /// `left` or `right`.
    #[oai(nullable, validator(pattern = r"^(left|right)$"))]
    pub floatie_position: Option<StrictString>,
    /// The stored name of an uploaded logo.
    #[oai(nullable, validator(pattern = r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$"))]
    pub floatie_logo: Option<StrictString>,
    /// The stored name of an uploaded logo.
    #[oai(nullable, validator(pattern = r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$"))]
    pub launcher_logo: Option<StrictString>,
}

/// The design as the UI shows it.
#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct DesignView {
    /// `#RRGGBB`.
    pub primary_color: Option<String>,
    /// `#RRGGBB`.
    pub secondary_color: Option<String>,
    /// `left` or `right`.
    pub floatie_position: Option<String>,
    /// The stored name of an uploaded logo (served at `/api/onboarding/logos/{name}`).
    pub floatie_logo: Option<String>,
    /// The stored name of an uploaded logo or, until the user sets one, the absolute URL of
    /// the logo the analysis found on the site.
    pub launcher_logo: Option<String>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct ConfigurationInput {
    #[oai(nullable)]
    pub design: Option<DesignFields>,
    /// Contact methods, a JSON object of at most 16 KiB.
    #[oai(nullable)]
    pub contact: Option<BTreeMap<String, Value>>,
    /// Contact tabs to hide: at most 16 names of lower-case letters, digits, `_` or `-`.
    #[oai(
        nullable,
        validator(max_items = 16, pattern = r"^[a-z][a-z0-9_-]{0,31}$")
    )]
    pub disabled_tabs: Option<Vec<StrictString>>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct ConfigUpdate {
    /// The customer's domain or a URL on it; reduced to the normalised host.
    #[oai(nullable)]
    pub domain: Option<StrictString>,
    /// 1 design, 2 content, 3 contact.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "3")))]
    pub current_step: Option<i16>,
    #[oai(nullable)]
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
    pub design: DesignView,
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

impl From<Design> for DesignView {
    fn from(d: Design) -> Self {
        DesignView {
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
        let suggested =
            suggestions_for(&state.db, guest.uuid, guest.onboarding_domain.as_deref()).await?;
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
        let mut config = TempConfiguration::from_json(&guest.temp_configuration);
        let design_before = config.design.clone();
        if let Some(input) = update.configuration {
            apply(&mut config, input)?;
        }
        let design_changed = design_before.changed_fields(&config.design);

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
        Ok(Json(Updated {
            status: "updated".into(),
        }))
    }

    /// Apply the guest's configuration to its site and mark onboarding complete. Fields the
    /// guest did not set keep the site's current values (or the analysis' suggestions). The
    /// guest must have proved control of the domain (`POST /api/onboarding/verification`):
    /// a site's live configuration belongs to whoever controls its domain.
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
        if !verification::is_verified(db, guest.uuid, &domain).await? {
            return Err(ApiError::forbidden(
                "verification_required",
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
        row.save(&txn).await?;
        sites::mark_claimed(&txn, site.id, now).await?;

        // Completion is recorded once: a second call applies the configuration again but
        // keeps the first completion's time and writes no second event.
        let first = guest_session::Entity::update_many()
            .col_expr(
                guest_session::Column::OnboardingCompletedAt,
                Expr::value(now),
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
        Ok(Json(Completed {
            status: "completed".into(),
            site_id: site.id,
            domain,
            completed_at: guest.onboarding_completed_at.unwrap_or(now),
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
/// Applies validated input (the schema's validators have checked each field's form) to the
/// guest's configuration, normalising colours.
fn apply(config: &mut TempConfiguration, input: ConfigurationInput) -> Result<(), ApiError> {
    if let Some(design) = input.design {
        let color = |value: Option<StrictString>| value.as_deref().and_then(normalise_hex_color);
        if let Some(c) = color(design.primary_color) {
            config.design.primary_color = Some(c);
        }
        if let Some(c) = color(design.secondary_color) {
            config.design.secondary_color = Some(c);
        }
        if design.floatie_position.is_some() {
            config.design.floatie_position = design.floatie_position.map(Into::into);
        }
        if design.floatie_logo.is_some() {
            config.design.floatie_logo = design.floatie_logo.map(Into::into);
        }
        if design.launcher_logo.is_some() {
            config.design.launcher_logo = design.launcher_logo.map(Into::into);
        }
    }
    if let Some(contact) = input.contact {
        let contact = Value::Object(contact.into_iter().collect());
        if contact.to_string().len() > MAX_CONTACT_BYTES {
            return Err(ApiError::too_large(
                "contact_too_large",
                format!("contact must be at most {MAX_CONTACT_BYTES} bytes of JSON"),
            ));
        }
        config.contact = Some(contact);
    }
    if input.disabled_tabs.is_some() {
        config.disabled_tabs = input
            .disabled_tabs
            .map(|tabs| tabs.into_iter().map(Into::into).collect());
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
    let Some(run) = runs::queries::latest_succeeded(db, guest, site_id).await? else {
        return Ok(Suggestions::default());
    };
    Ok(site_insight::Entity::find()
        .filter(site_insight::Column::RunId.eq(run.id))
        .one(db)
        .await?
        .map(|i| Suggestions::from_insights(&i))
        .unwrap_or_default())
}
