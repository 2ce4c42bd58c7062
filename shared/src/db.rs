//! The database connection: PostgreSQL by URL, or the embedded SQLite file by default.

use std::time::Duration;

use onboard_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

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
        // long may have been dropped by the server or a proxy unnoticed.
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
    let db = Database::connect(options).await?;
    if config.run_migrations {
        Migrator::up(&db, None).await?;
    }
    Ok(db)
}

/// Connects and runs pending migrations, whatever `run_migrations` says (the `migrate`
/// subcommand of both binaries).
pub async fn migrate(config: &Config) -> Result<(), DbErr> {
    let db = connect(&Config {
        run_migrations: false,
        ..config.clone()
    })
    .await?;
    Migrator::up(&db, None).await
}
