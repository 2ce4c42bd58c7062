//! Proof that a guest controls a domain, as site-verification services ask for it: the
//! guest is given a token, puts it on the site (a `<meta>` tag on the home page, or a file
//! under `/.well-known/`), and the service fetches the site and looks for it. Only a
//! guest holding a verified token for a domain may apply a configuration to that domain's
//! site; typing a domain proves nothing.
//!
//! The check is a job (`verification` queue): the api never fetches a site itself.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use crate::{
    entities::domain_verification::{self, Column, Model},
    jobs::VerificationJob,
    queue::{JobQueue, QueueError},
};

/// The `name` of the `<meta>` tag on the home page; its `content` is the token.
pub const META_NAME: &str = "onboard-site-verification";
/// The file whose content (one token per line) the site serves.
pub const FILE_PATH: &str = "/.well-known/onboard-site-verification.txt";
/// A check still `checking` this long after it began was lost (its job never ran) and
/// may be pushed again.
pub const CHECK_LOST_AFTER: chrono::Duration = chrono::Duration::seconds(60);
/// A finished check may be repeated this long after it ended, no sooner: one guest
/// cannot make the service fetch a site more often than this.
pub const CHECK_COOLDOWN: chrono::Duration = chrono::Duration::seconds(5);

pub use crate::entities::domain_verification::{Method, Status};

/// The `<meta>` tag a site puts in its home page's `<head>`.
pub fn meta_tag(token: &str) -> String {
    format!("<meta name=\"{META_NAME}\" content=\"{token}\">")
}

/// A new token: 128 random bits twice over, as hex.
fn new_token() -> String {
    format!(
        "onboard-{}{}",
        Uuid::new_v4().simple(),
        Uuid::new_v4().simple()
    )
}

/// The guest's verification of a domain, issued now if it has none (one per guest and
/// domain; issuing again returns the same token). The flag says whether it is new.
pub async fn issue<C: ConnectionTrait>(
    db: &C,
    guest: Uuid,
    domain: &str,
) -> Result<(Model, bool), DbErr> {
    if let Some(existing) = of(db, guest, domain).await? {
        return Ok((existing, false));
    }
    domain_verification::Entity::insert(domain_verification::ActiveModel {
        guest_uuid: Set(guest),
        domain: Set(domain.to_owned()),
        token: Set(new_token()),
        status: Set(Status::Pending),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([Column::GuestUuid, Column::Domain])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = of(db, guest, domain)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("verification just issued".into()))?;
    Ok((row, true))
}

/// The guest's verification of a domain, if issued.
pub async fn of<C: ConnectionTrait>(
    db: &C,
    guest: Uuid,
    domain: &str,
) -> Result<Option<Model>, DbErr> {
    domain_verification::Entity::find()
        .filter(Column::GuestUuid.eq(guest))
        .filter(Column::Domain.eq(domain))
        .one(db)
        .await
}

/// Whether the guest has shown control of the domain.
pub async fn is_verified<C: ConnectionTrait>(
    db: &C,
    guest: Uuid,
    domain: &str,
) -> Result<bool, DbErr> {
    Ok(of(db, guest, domain)
        .await?
        .is_some_and(|v| v.status == Status::Verified))
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("the verification could not be read or written")]
    Db(#[from] DbErr),
    #[error("the check could not be queued")]
    Queue(#[from] QueueError),
}

/// What asking for a check did.
#[derive(Debug)]
pub enum CheckStart {
    /// Already verified: nothing to check.
    Verified(Model),
    /// A check is running (this request's or an earlier one's).
    Checking(Model),
    /// The last check ended too recently; try again after this long.
    TooSoon(Model, std::time::Duration),
}

/// Starts a check of a verification unless one is running, it is verified, or the last
/// check ended less than [`CHECK_COOLDOWN`] ago.
pub async fn start_check<C: ConnectionTrait>(
    db: &C,
    queue: &JobQueue,
    row: Model,
) -> Result<CheckStart, CheckError> {
    let now = Utc::now();
    let status = row.status;
    let since_check = row.checked_at.map(|at| now - at);
    match status {
        Status::Verified => return Ok(CheckStart::Verified(row)),
        Status::Checking if since_check.is_some_and(|d| d < CHECK_LOST_AFTER) => {
            return Ok(CheckStart::Checking(row));
        }
        Status::Failed if since_check.is_some_and(|d| d < CHECK_COOLDOWN) => {
            let wait = (CHECK_COOLDOWN - since_check.unwrap_or_default())
                .to_std()
                .unwrap_or_default();
            return Ok(CheckStart::TooSoon(row, wait));
        }
        _ => {}
    }
    // Only the request that moves the row to `checking` pushes the job.
    let moved = domain_verification::Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Checking))
        .col_expr(Column::CheckedAt, Expr::value(now))
        .filter(Column::Id.eq(row.id))
        .filter(Column::Status.eq(row.status))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if moved {
        let key = format!("verification:{}:{}", row.id, now.timestamp_micros());
        queue
            .push(
                VerificationJob {
                    verification_id: row.id,
                },
                Some(&key),
            )
            .await?;
    }
    let row = domain_verification::Entity::find_by_id(row.id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("verification".into()))?;
    Ok(CheckStart::Checking(row))
}

/// Records the outcome of a check (the worker's side): verified by a method, or failed
/// with what was looked for and found. A verified row stays verified.
pub async fn finish_check<C: ConnectionTrait>(
    db: &C,
    id: i64,
    outcome: Result<Method, String>,
) -> Result<(), DbErr> {
    let now: DateTime<Utc> = Utc::now();
    let update = domain_verification::Entity::update_many()
        .col_expr(Column::CheckedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.ne(Status::Verified));
    let update = match outcome {
        Ok(method) => update
            .col_expr(Column::Status, Expr::value(Status::Verified))
            .col_expr(Column::Method, Expr::value(method))
            .col_expr(Column::Detail, Expr::value(Option::<String>::None))
            .col_expr(Column::VerifiedAt, Expr::value(now)),
        Err(detail) => update
            .col_expr(Column::Status, Expr::value(Status::Failed))
            .col_expr(Column::Detail, Expr::value(detail)),
    };
    update.exec(db).await?;
    Ok(())
}
