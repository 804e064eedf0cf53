//! What the service says to its database: every statement is counted, slow ones are logged,
//! and a recording can be switched on to see exactly which statements a request ran (the
//! statement-count and query-plan tests use it; operators can read the totals).
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use sea_orm::{DatabaseConnection, Statement};

/// By default a statement slower than this is logged at `warn`, with its SQL (never its values).
pub const SLOW_STATEMENT: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct StatementLog {
    inner: Arc<Inner>,
}

impl Default for StatementLog {
    fn default() -> Self {
        Self::new(SLOW_STATEMENT)
    }
}

#[derive(Default)]
struct Inner {
    slow: Duration,
    executed: AtomicU64,
    failed: AtomicU64,
    recording: AtomicBool,
    recorded: Mutex<Vec<Statement>>,
}

impl StatementLog {
    /// A log that warns about statements that take `slow` or longer.
    pub fn new(slow: Duration) -> Self {
        let inner = Inner {
            slow,
            ..Inner::default()
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Makes `db` report every statement it runs (transactions included) to this log.
    pub fn observe(&self, db: &mut DatabaseConnection) {
        let log = self.clone();
        db.set_metric_callback(move |info| {
            log.inner.executed.fetch_add(1, Ordering::Relaxed);
            if info.failed {
                log.inner.failed.fetch_add(1, Ordering::Relaxed);
            }
            if info.elapsed >= log.inner.slow {
                tracing::warn!(
                    elapsed_ms = info.elapsed.as_millis() as u64,
                    sql = %info.statement.sql,
                    "slow statement"
                );
            }
            if log.inner.recording.load(Ordering::Relaxed)
                && !info.statement.sql.starts_with(super::statistics::UPKEEP)
                && let Ok(mut recorded) = log.inner.recorded.lock()
            {
                recorded.push(info.statement.clone());
            }
        });
    }

    /// Statements run since start, and how many of them failed.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.inner.executed.load(Ordering::Relaxed),
            self.inner.failed.load(Ordering::Relaxed),
        )
    }

    /// Starts recording statements (with their values), dropping any earlier recording.
    pub fn start_recording(&self) {
        if let Ok(mut recorded) = self.inner.recorded.lock() {
            recorded.clear();
        }
        self.inner.recording.store(true, Ordering::Relaxed);
    }

    /// Stops recording and returns what was recorded, in order.
    pub fn stop_recording(&self) -> Vec<Statement> {
        self.inner.recording.store(false, Ordering::Relaxed);
        self.inner
            .recorded
            .lock()
            .map(|mut recorded| std::mem::take(&mut *recorded))
            .unwrap_or_default()
    }
}

/// Transaction control (`BEGIN`, `COMMIT`, savepoints): not counted as the work of a request.
pub fn is_transaction_control(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_uppercase();
    [
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "START TRANSACTION",
    ]
    .iter()
    .any(|word| head.starts_with(word))
}
