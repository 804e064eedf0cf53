//! All sea-orm access: connecting, migrating, lookups and listings.
//! Services call these with a connection or a transaction; nothing here decides policy.
pub(crate) mod accounts;
pub(crate) mod administrators;
pub(crate) mod api_tokens;
pub(crate) mod audit;
pub(crate) mod brands;
pub(crate) mod companies;
pub(crate) mod configurations;
pub(crate) mod contacts;
pub(crate) mod credentials;
pub(crate) mod employees;
pub(crate) mod hris;
pub(crate) mod identity_providers;
pub(crate) mod list;
pub(crate) mod proofs;
pub(crate) mod provisioning_events;
pub(crate) mod queries;
pub(crate) mod scim;
pub(crate) mod sign_in;
pub mod statements;
pub mod statistics;

use std::{sync::Arc, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr,
    SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use statements::StatementLog;

/// Opens the pool; every statement it runs is reported to `statements`.
///
/// SQLite gets WAL (readers never block the writer, and the writer never blocks readers),
/// `synchronous = NORMAL` (with WAL a commit is durable against a crash of the process; only
/// a power loss can lose the last transactions, and never corrupts the file), a busy timeout
/// (writers queue for the single write lock instead of failing with SQLITE_BUSY) and foreign
/// keys on. The README's Performance section says how the pool size was chosen.
///
/// A pooled connection is pinged before use only after it sat idle for
/// [`PING_WHEN_IDLE_FOR`] (the way a server, proxy or firewall drops one): sqlx's default pings
/// at every checkout, a round trip per statement outside a transaction. Going back to the pool
/// it is flushed, not pinged (the patched sqlx-core in `vendor/`, see vendor/README.md).
pub async fn connect(
    url: &str,
    max_connections: u32,
    statements: &StatementLog,
) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, max_connections, ACQUIRE_TIMEOUT, statements).await
}

/// How long a request waits for a pooled connection before it is answered 503 (the default).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// An idle connection older than this is pinged before it is handed out.
pub const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);

/// [`connect`], waiting at most `acquire_timeout` for a pooled connection.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statements: &StatementLog,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(acquire_timeout)
        .test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut attempt = 1;
    let mut db = loop {
        match Database::connect(options.clone()).await {
            Ok(db) => break db,
            // Another process is switching a new SQLite file to WAL, which takes the file
            // exclusively for a moment and does not wait in the busy handler: try again.
            Err(e) if is_sqlite_busy(&e) && attempt < CONNECT_ATTEMPTS => {
                tracing::info!(attempt, "the SQLite file is busy; connecting again");
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    };
    statements.observe(&mut db);
    Ok(db)
}

const CONNECT_ATTEMPTS: u32 = 10;

/// SQLITE_BUSY and its extended codes, as sqlx reports them.
fn is_sqlite_busy(err: &DbErr) -> bool {
    let (DbErr::Conn(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| matches!(code.as_ref(), "5" | "261" | "517"))
}

/// Begins a write transaction. On SQLite it is `BEGIN IMMEDIATE`: a transaction that reads and
/// then writes would otherwise fail with SQLITE_BUSY when another writer got there first,
/// instead of waiting its turn under the busy timeout.
pub async fn begin<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Runs pending migrations. Instances starting together take turns (see
/// `queries::lock_startup`), so two of them never apply the same migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = begin(db).await?;
    queries::lock_startup(&txn).await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// The pool's connections: (in use, idle).
pub fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    use sea_orm::DatabaseConnectionType as Pool;
    let (size, idle) = match &db.inner {
        // Each getter is called only for its own variant, where it cannot panic.
        Pool::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        Pool::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    (size.saturating_sub(idle), idle)
}

/// A cheap round trip, for `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// Takes turns at SQLite's single write lock inside the process. A writer that waits for the
/// lock inside SQLite polls it with sleeps of up to 100 ms (the busy handler), which stretches
/// the slowest sign-ins to hundreds of milliseconds under load; writers queued here go in
/// arrival order and start the moment the previous one commits. PostgreSQL locks rows, not the
/// database, so it has no gate. Other processes on the same file still meet the busy timeout.
#[derive(Clone, Default)]
pub struct WriteGate(Option<Arc<Semaphore>>);

impl WriteGate {
    pub fn for_backend(backend: DbBackend) -> Self {
        match backend {
            DbBackend::Sqlite => Self(Some(Arc::new(Semaphore::new(1)))),
            _ => Self(None),
        }
    }

    /// Waits for this writer's turn; the turn ends when the returned value is dropped.
    pub async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        let gate = self.0.clone()?;
        gate.acquire_owned().await.ok()
    }
}

/// A database error is an internal one, never shown to a client. It is logged once, where it
/// ends: by the door that answers with it (`ToGraphql`, the SCIM and employee-file mappings),
/// or by the caller that handles it.
impl From<DbErr> for crate::error::AppError {
    fn from(err: DbErr) -> Self {
        match err {
            // No connection to be had in time: the service is overloaded or the database is
            // down, not broken; the client may retry.
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::Unavailable(err.to_string()),
            err => Self::Internal(err.to_string()),
        }
    }
}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Sets a column to `value` when there is one; without, the column keeps what it had (the
/// `None` of an update's changes).
pub fn set_some<T: Into<sea_orm::Value>>(column: &mut sea_orm::ActiveValue<T>, value: Option<T>) {
    if let Some(value) = value {
        *column = sea_orm::ActiveValue::Set(value);
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::domain::{
        access::Role,
        audit::AuditEntity,
        configuration::{CompanyMatch, MatchBy, ProofPolicy},
        employees::{
            AdminOrigin, AdminRole, AdminStatus, ChangeKind, HoldReason, SyncSource, SyncStatus,
            file::EmployeeStatus,
        },
        hris::HrisKind,
        stored::{
            AccountAssignment, ContactStatus, CredentialKind, Outcome, Protocol, Source, StoredEnum,
        },
    };

    fn spellings<T: StoredEnum>() -> Vec<&'static str> {
        T::ALL.iter().map(|v| v.as_str()).collect()
    }

    #[test]
    fn the_database_checks_the_same_spellings() {
        let expected: Vec<(&str, Vec<&str>)> = vec![
            (ContactStatus::COLUMN, spellings::<ContactStatus>()),
            (Protocol::COLUMN, spellings::<Protocol>()),
            (CredentialKind::COLUMN, spellings::<CredentialKind>()),
            (Outcome::COLUMN, spellings::<Outcome>()),
            (AccountAssignment::COLUMN, spellings::<AccountAssignment>()),
            (Role::COLUMN, Role::ALL.iter().map(|v| v.as_str()).collect()),
            (Source::COLUMN, spellings::<Source>()),
            (CompanyMatch::COLUMN, spellings::<CompanyMatch>()),
            (ProofPolicy::COLUMN, spellings::<ProofPolicy>()),
            (MatchBy::COLUMN, spellings::<MatchBy>()),
            (HrisKind::COLUMN, spellings::<HrisKind>()),
            (AuditEntity::COLUMN, spellings::<AuditEntity>()),
            (AdminRole::COLUMN, spellings::<AdminRole>()),
            // Rules hand out the same roles administrators hold.
            ("admin_provisioning_rule.role", spellings::<AdminRole>()),
            ("administrator_event.old_role", spellings::<AdminRole>()),
            ("administrator_event.new_role", spellings::<AdminRole>()),
            ("administrator_event.old_status", spellings::<AdminStatus>()),
            ("administrator_event.new_status", spellings::<AdminStatus>()),
            (AdminStatus::COLUMN, spellings::<AdminStatus>()),
            (AdminOrigin::COLUMN, spellings::<AdminOrigin>()),
            (SyncStatus::COLUMN, spellings::<SyncStatus>()),
            (SyncSource::COLUMN, spellings::<SyncSource>()),
            (HoldReason::COLUMN, spellings::<HoldReason>()),
            (ChangeKind::COLUMN, spellings::<ChangeKind>()),
            (
                "employee.status",
                [EmployeeStatus::Active, EmployeeStatus::Terminated]
                    .iter()
                    .map(|s| s.as_str())
                    .collect(),
            ),
        ];
        let checked: Vec<(String, Vec<&str>)> = migration::stored_enums()
            .into_iter()
            .map(|(table, column, values)| (format!("{table}.{column}"), values.to_vec()))
            .collect();
        for (column, values) in &expected {
            let found = checked.iter().find(|(c, _)| c == column);
            assert_eq!(found.map(|(_, v)| v), Some(values), "{column}");
        }
        assert_eq!(checked.len(), expected.len());
    }

    #[tokio::test]
    async fn sqlite_writers_take_turns_and_postgres_writers_do_not_wait() {
        let gate = WriteGate::for_backend(DbBackend::Sqlite);
        let first = gate.turn().await;
        assert!(first.is_some());
        assert!(
            gate.turn().now_or_never().is_none(),
            "a second writer waits"
        );
        drop(first);
        assert!(gate.turn().now_or_never().flatten().is_some());

        let postgres = WriteGate::for_backend(DbBackend::Postgres);
        let _held = postgres.turn().await;
        assert!(postgres.turn().now_or_never().is_some(), "no gate at all");
    }
}
