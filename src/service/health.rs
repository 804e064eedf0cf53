//! The service's own state, as `/readyz` and `/metrics` report it: whether the database
//! answers in time, and how much of the connection pool is in use; and the planner statistics
//! the service keeps from lying (see [`db::statistics`]).
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::db;

/// Why the database is not ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotReady {
    /// The round trip failed (the cause is logged here, never shown).
    Unreachable,
    /// No answer within the time given.
    TimedOut,
}

/// Whether the database answers a round trip within `within`.
pub async fn database_ready(db: &DatabaseConnection, within: Duration) -> Result<(), NotReady> {
    match tokio::time::timeout(within, db::ping(db)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(NotReady::Unreachable)
        }
        Err(_) => Err(NotReady::TimedOut),
    }
}

/// The pool's connections: (in use, idle).
pub fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    db::pool_usage(db)
}

/// Rows written to a never-analyzed table before the service analyzes it (PostgreSQL's
/// autovacuum waits for 50 and 10 %, but only while it runs).
pub const ANALYZE_AFTER_ROWS: i64 = 1000;

/// Analyzes the tables PostgreSQL has no statistics for yet, once they hold
/// [`ANALYZE_AFTER_ROWS`] written rows; returns their names. Later statistics are autovacuum's.
pub async fn analyze_unseen_tables(
    app: &crate::service::App,
) -> Result<Vec<String>, crate::error::AppError> {
    Ok(db::statistics::analyze_unseen(app.db(), ANALYZE_AFTER_ROWS).await?)
}
