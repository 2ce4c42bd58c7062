//! The database connection: PostgreSQL by URL, or the embedded SQLite file by default.

use std::time::Duration;

use onboard_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, RuntimeErr, sqlx};

use crate::config::Config;

/// The database URL the config selects: `DATABASE_URL`, else a SQLite file in the data dir.
pub fn database_url(config: &Config) -> String {
    match &config.database_url {
        Some(url) => url.clone(),
        None => format!(
            "sqlite://{}?mode=rwc",
            config.data_dir.join("onboard.db").display()
        ),
    }
}

/// Connects, creating the data directory for the embedded default, and runs pending
/// migrations unless the config says not to.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let options = options(config)?;
    if config.run_migrations {
        run_migrations(&options).await?;
    }
    Database::connect(options).await
}

/// Runs pending migrations, whatever `run_migrations` says (the `migrate` subcommand of
/// both binaries).
pub async fn migrate(config: &Config) -> Result<(), DbErr> {
    run_migrations(&options(config)?).await
}

/// Migrations run on a connection of their own, closed before the pool opens. A pooled
/// connection that read the schema before a migration changed it goes on naming a
/// statement's result columns from the old schema (sqlx keeps them per prepared statement;
/// sqlx issue 2517), so rows came back without a column a migration had added: "Missing
/// value for column 'status'" and 500s, in 2 of 12 looped runs of the API suite under load.
async fn run_migrations(options: &ConnectOptions) -> Result<(), DbErr> {
    let mut single = options.clone();
    single.max_connections(1).min_connections(0);
    let db = Database::connect(single).await?;
    let migrated = Migrator::up(&db, None).await;
    db.close().await?;
    migrated
}

/// How to connect, creating the data directory for the embedded default.
fn options(config: &Config) -> Result<ConnectOptions, DbErr> {
    let url = database_url(config);
    let sqlite = url.starts_with("sqlite:");
    if sqlite {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            DbErr::Custom(format!("cannot create {}: {e}", config.data_dir.display()))
        })?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        // A ping before every query doubles its round trips; only a connection idle this
        // long may have been dropped unnoticed (sqlx also pings each one as it is released,
        // and closes it when that fails). A connection that breaks in use fails its query,
        // which `is_unavailable` reports.
        .test_before_acquire_if_idle_for(Duration::from_secs(10))
        .max_connections(if sqlite { 8 } else { 20 });
    // Several writers (api, progress writes, queue) share the file: WAL lets readers go on
    // while one writes, and the busy timeout queues writers instead of failing them.
    options.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
    });
    Ok(options)
}

/// Whether an error says the database could not be reached or went away (no connection,
/// one broken in use, the server shutting down), rather than that the statement failed.
pub fn is_unavailable(error: &DbErr) -> bool {
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                // SQLSTATE class 08 (connection exception) and 57P (the server is shutting
                // down or cannot accept connections yet).
                sqlx::Error::Database(e) => e
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn exec(error: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error)))
    }

    #[test]
    fn a_connection_lost_in_use_is_unavailability_not_a_failed_statement() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(is_unavailable(&exec(sqlx::Error::Io(reset))));
        assert!(is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(
            Arc::new(sqlx::Error::PoolTimedOut)
        ))));
        assert!(!is_unavailable(&exec(sqlx::Error::RowNotFound)));
        assert!(!is_unavailable(&exec(sqlx::Error::Protocol("bad".into()))));
        assert!(!is_unavailable(&DbErr::Custom("no".into())));
    }
}
