//! The application handle every use case runs on. It owns what a use case needs besides its
//! input: the connection pool, the SQLite write gate, the token cache, the sign-in pacer, the
//! metrics and the limits. A transport holds one and hands it, with the caller's principal, to
//! the use case; it never reaches the parts, so authorisation, pacing, metrics and redaction
//! are decided inside the use case, the same for every door.
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::{WriteGate, api_tokens::TokenCache, rate_limit::SignInPacer};
use crate::{
    db,
    domain::{
        access::{Action, Caller, Principal},
        audit::Actor,
    },
    error::{AppError, AppResult},
    metrics::Metrics,
};

/// How many times [`App::retrying`] runs a use case that keeps losing races.
const ATTEMPTS: usize = 3;

/// Whether a write transaction keeps what its work wrote.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Commit {
    OnSuccess,
    Never,
}

/// A failure that says whether the work lost a race to a concurrent writer: a unique
/// constraint that a check before the write did not see.
pub trait Race {
    fn lost_race(&self) -> bool;
}

/// Limits the operator sets that use cases apply.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Past this share of deactivations of rule administrators, an employee sync is held.
    pub max_deactivation_percent: u8,
}

#[derive(Clone)]
pub struct App {
    db: DatabaseConnection,
    gate: WriteGate,
    tokens: Arc<TokenCache>,
    sign_in_pacer: Arc<SignInPacer>,
    metrics: Arc<Metrics>,
    limits: Limits,
}

impl App {
    pub fn new(
        db: DatabaseConnection,
        tokens: TokenCache,
        sign_in_pacer: SignInPacer,
        metrics: Arc<Metrics>,
        limits: Limits,
    ) -> Self {
        Self {
            gate: WriteGate::for_backend(db.get_database_backend()),
            db,
            tokens: Arc::new(tokens),
            sign_in_pacer: Arc::new(sign_in_pacer),
            metrics,
            limits,
        }
    }

    /// The pool, for the use cases that take it directly.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The turns at SQLite's write lock (none on PostgreSQL).
    pub fn gate(&self) -> &WriteGate {
        &self.gate
    }

    pub fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Runs `work` in one write transaction, in this writer's turn at SQLite's write lock
    /// (see [`WriteGate`]): committed when it succeeds, rolled back when it fails.
    pub async fn transaction<T, E>(
        &self,
        work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbErr>,
    {
        self.run(Commit::OnSuccess, work).await
    }

    /// The race-retry rule: [`Self::transaction`] run again, up to [`ATTEMPTS`] times, while
    /// it fails by losing a race, for use cases whose answer depends on what the winner wrote
    /// (a sign-in decided again finds the contact a concurrent sign-in created). Other use
    /// cases answer a lost race themselves (SCIM's 409, a field's `alreadyExists`).
    /// `Commit::Never` rolls back even what succeeded: a preview.
    pub async fn retrying<T, E>(
        &self,
        commit: Commit,
        mut work: impl AsyncFnMut(&DatabaseTransaction) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbErr> + Race,
    {
        let mut attempt = 1;
        loop {
            match self.run(commit, async |txn| work(txn).await).await {
                Err(e) if e.lost_race() && attempt < ATTEMPTS => {
                    tracing::info!(attempt, "lost a race to a concurrent writer; running again");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn run<T, E>(
        &self,
        commit: Commit,
        work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbErr>,
    {
        let _turn = self.gate.turn().await;
        let txn = db::begin(&self.db).await?;
        match work(&txn).await {
            Ok(value) if commit == Commit::OnSuccess => {
                txn.commit().await?;
                Ok(value)
            }
            result => {
                if let Err(rollback) = txn.rollback().await {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                result
            }
        }
    }

    /// Lets `caller` do `action`, or refuses with [`AppError::Forbidden`]; what the audit log
    /// records as the one who acted. Every use case calls this first, whichever door it came
    /// through.
    pub fn authorize<'a>(&self, caller: impl Into<Caller<'a>>, action: Action) -> AppResult<Actor> {
        let caller = caller.into();
        caller.authorize(action).map_err(AppError::Forbidden)?;
        Ok(caller.into())
    }

    /// Admits one paced call (a sign-in) of `principal`'s token, or refuses it with
    /// [`AppError::RateLimited`] (`--sign-in-rate`, `--sign-in-burst`).
    pub fn pace(&self, principal: &Principal) -> AppResult<()> {
        self.sign_in_pacer.admit(principal.token_id)
    }

    /// Counts a sync in `/metrics` (`autoprov_employee_syncs_total`), whichever door or rule
    /// change ran it.
    pub(crate) fn record_sync(&self, sync: &entity::employee_sync::Model) {
        self.metrics.employee_sync(sync.into());
    }

    /// The caller's authentication from its bearer secret (cached: see [`TokenCache`]).
    pub async fn authenticate(&self, secret: &str) -> Result<Principal, AppError> {
        self.tokens.authenticate(&self.db, secret).await
    }
}
