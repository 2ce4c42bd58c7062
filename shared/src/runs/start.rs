//! Starting an analysis: the guest's active run is returned as it is; otherwise a new run
//! is created for the guest's domain, within the bounds per client address and per domain,
//! and its job is pushed (or left for admission).

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, SqlErr, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::{RunError, RunStatus, admission, queries};
use crate::{
    analytics::{self, Auto},
    config::GuestLimits,
    entities::{analysis_run, guest_session},
    progress::{StepName, initial_steps},
    queue::JobQueue,
    sites,
};

/// A run the guest asked for, and whether this call created it.
#[derive(Debug)]
pub struct Started {
    pub run: analysis_run::Model,
    pub created: bool,
}

/// The guest's active run, or a new one for its domain (row first, then the job). A new
/// run is refused while the client address, or the domain, has as many analyses under way
/// as `limits` allow.
pub async fn start_or_current(
    db: &DatabaseConnection,
    queue: &JobQueue,
    guest: &guest_session::Model,
    client: Option<IpAddr>,
    limits: &GuestLimits,
) -> Result<Started, RunError> {
    let domain = guest
        .onboarding_domain
        .as_deref()
        .ok_or(RunError::DomainRequired)?;
    if let Some(run) = queries::active(db, guest.uuid).await? {
        return Ok(Started {
            run,
            created: false,
        });
    }
    let site = sites::upsert(db, domain).await?;
    let (of_client, of_site) = active_counts(db, client, site.id).await?;
    if of_client >= limits.analyses_per_client as u64 {
        return Err(RunError::ClientBusy { active: of_client });
    }
    if of_site >= limits.analyses_per_domain as u64 {
        return Err(RunError::DomainBusy {
            domain: domain.to_owned(),
            active: of_site,
        });
    }
    let run = match create(db, site.id, guest.uuid, client).await {
        Ok(run) => run,
        // Another request started it a moment ago: the unique active-run index says so.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            let run = queries::active(db, guest.uuid)
                .await?
                .ok_or(RunError::Conflict)?;
            return Ok(Started {
                run,
                created: false,
            });
        }
        Err(e) => return Err(e.into()),
    };
    // A failed push leaves the run queued, and a worker pushes it once the queue is back;
    // a full queue, or a client at its slots, leaves it waiting for admission.
    admission::enqueue(db, queue, &run, limits.slots_per_client).await?;
    Ok(Started { run, created: true })
}

/// The guest's latest run; when it has none and a domain is set, a new one (the UI's poll
/// starts the analysis lazily).
pub async fn latest_or_start(
    db: &DatabaseConnection,
    queue: &JobQueue,
    guest: &guest_session::Model,
    client: Option<IpAddr>,
    limits: &GuestLimits,
) -> Result<Option<Started>, RunError> {
    match queries::latest(db, guest.uuid).await? {
        Some(run) => Ok(Some(Started {
            run,
            created: false,
        })),
        None if guest.onboarding_domain.is_some() => Ok(Some(
            start_or_current(db, queue, guest, client, limits).await?,
        )),
        None => Ok(None),
    }
}

/// Inserts a queued run for a guest and a site, and its `analysis.started` event.
/// `client` is the address that asked for it (`None` for runs the service makes itself).
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    site_id: i64,
    guest: Uuid,
    client: Option<IpAddr>,
) -> Result<analysis_run::Model, DbErr> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let run = analysis_run::ActiveModel {
        site_id: Set(site_id),
        guest_uuid: Set(guest),
        status: Set(RunStatus::Queued),
        steps: Set(serde_json::to_value(initial_steps()).expect("steps serialise")),
        current_step: Set(0),
        total_steps: Set(StepName::ALL.len() as i16),
        completion_percentage: Set(0),
        error_message: Set(None),
        error_detail: Set(None),
        retry_count: Set(0),
        pages_discovered: Set(0),
        pages_crawled: Set(0),
        pages_failed: Set(0),
        pages_skipped: Set(0),
        lease_owner: Set(None),
        heartbeat_at: Set(None),
        queued_at: Set(now),
        pushed_at: Set(None),
        started_at: Set(None),
        completed_at: Set(None),
        updated_at: Set(now),
        client_ip: Set(client.map(|ip| ip.to_string())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let started = analytics::AnalysisStarted { run_id: run.id };
    analytics::record(
        &txn,
        Auto::AnalysisStarted,
        Some(guest),
        Some(site_id),
        started,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(run)
}

/// Queued or running analyses started from one client address, and of one site.
async fn active_counts<C: ConnectionTrait>(
    db: &C,
    client: Option<IpAddr>,
    site_id: i64,
) -> Result<(u64, u64), DbErr> {
    let active = || {
        analysis_run::Entity::find().filter(analysis_run::Column::Status.is_in(RunStatus::ACTIVE))
    };
    let of_client = match client {
        Some(ip) => {
            active()
                .filter(analysis_run::Column::ClientIp.eq(ip.to_string()))
                .count(db)
                .await?
        }
        None => 0,
    };
    let of_site = active()
        .filter(analysis_run::Column::SiteId.eq(site_id))
        .count(db)
        .await?;
    Ok((of_client, of_site))
}
