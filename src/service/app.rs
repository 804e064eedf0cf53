//! The application handle every use case runs on. It owns what a use case needs besides its
//! input: the connection pool, the SQLite write gate, the token cache, the settings the hot
//! doors read on every call (see [`Recent`]), the sign-in pacer, the metrics and the limits. A transport holds one and hands it, with the caller's principal, to
//! the use case; it never reaches the parts, so authorisation, pacing, metrics and redaction
//! are decided inside the use case, the same for every door.
use std::{sync::Arc, time::Duration};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use uuid::Uuid;

use super::{
    WriteGate, api_tokens::TokenCache, key_sets::KeySets, rate_limit::SignInPacer, recent::Recent,
    scim::ScimSettings, secrets::Sealer,
};
use crate::{
    db,
    domain::{
        access::{Action, Caller, Principal},
        audit::Actor,
    },
    error::{AppError, AppResult},
    metrics::Metrics,
};

/// Limits the operator sets that use cases apply.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Past this share of deactivations of rule administrators, an employee sync is held.
    pub max_deactivation_percent: u8,
    /// The least time between two fetches of one identity provider's JWKS URL.
    pub jwks_refetch: Duration,
    /// How long one request to an HRIS may take.
    pub hris_timeout: Duration,
}

#[derive(Clone)]
pub struct App {
    db: DatabaseConnection,
    gate: WriteGate,
    tokens: Arc<TokenCache>,
    sign_in_pacer: Arc<SignInPacer>,
    metrics: Arc<Metrics>,
    limits: Limits,
    key_sets: Arc<KeySets>,
    /// What a signed proof sent to (brand, IdP) is verified with.
    proof_contexts: Arc<Recent<(Uuid, Uuid), db::proofs::ProofContext>>,
    /// The configuration (and its role mappings) a SCIM token serves, by configuration.
    scim_settings: Arc<Recent<Uuid, ScimSettings>>,
    /// The statements run on the pool, for `/metrics`.
    statements: db::StatementLog,
    /// Seals the secrets of HRIS connections (`--secret-key-file`); `None`: no key given.
    sealer: Option<Arc<Sealer>>,
}

impl App {
    pub fn new(
        db: DatabaseConnection,
        tokens: TokenCache,
        sign_in_pacer: SignInPacer,
        metrics: Arc<Metrics>,
        limits: Limits,
    ) -> Self {
        let settings_ttl = tokens.ttl();
        Self {
            gate: WriteGate::for_backend(db.get_database_backend()),
            proof_contexts: Arc::new(Recent::new(settings_ttl)),
            scim_settings: Arc::new(Recent::new(settings_ttl)),
            statements: db::StatementLog::default(),
            sealer: None,
            db,
            tokens: Arc::new(tokens),
            sign_in_pacer: Arc::new(sign_in_pacer),
            metrics,
            key_sets: Arc::new(KeySets::new(limits.jwks_refetch)),
            limits,
        }
    }

    /// The key HRIS connections' secrets are sealed with.
    pub fn with_sealer(mut self, sealer: Option<Sealer>) -> Self {
        self.sealer = sealer.map(Arc::new);
        self
    }

    pub(crate) fn sealer(&self) -> Option<&Sealer> {
        self.sealer.as_deref()
    }

    /// The log `db::connect` reports this pool's statements to, counted in `/metrics`.
    pub fn with_statements(mut self, statements: db::StatementLog) -> Self {
        self.statements = statements;
        self
    }

    /// Statements run on the pool since the start.
    pub fn statements_run(&self) -> u64 {
        self.statements.totals().0
    }

    /// The JWKS fetched from identity providers' URLs.
    pub fn key_sets(&self) -> &KeySets {
        &self.key_sets
    }

    /// The pool, for the use cases that take it directly.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The turns at SQLite's write lock (none on PostgreSQL).
    pub fn gate(&self) -> &WriteGate {
        &self.gate
    }

    pub(crate) fn proof_contexts(&self) -> &Recent<(Uuid, Uuid), db::proofs::ProofContext> {
        &self.proof_contexts
    }

    pub(crate) fn scim_settings(&self) -> &Recent<Uuid, ScimSettings> {
        &self.scim_settings
    }

    /// An identity provider, a configuration, a brand or a fetched key set changed through
    /// this instance: the settings kept for the hot doors are read again at their next call.
    pub(crate) fn settings_changed(&self) {
        self.proof_contexts.forget_all();
        self.scim_settings.forget_all();
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
        let _turn = self.gate.turn().await;
        let txn = db::begin(&self.db).await?;
        match work(&txn).await {
            Ok(value) => {
                txn.commit().await?;
                Ok(value)
            }
            Err(e) => {
                if let Err(rollback) = txn.rollback().await {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(e)
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
