//! One function per use case: authorise the caller, validate, open a transaction, load,
//! decide, persist.
//! Inputs arrive as the client sent them (IDs as global-ID strings) so that every refusal
//! can name the field and echo the value.
pub(crate) mod accounts;
pub(crate) mod administrators;
pub mod api_tokens;
pub mod app;
pub(crate) mod audit;
pub(crate) mod brands;
pub(crate) mod companies;
pub(crate) mod configurations;
pub(crate) mod contacts;
pub mod employees;
pub mod health;
pub mod hris;
pub(crate) mod identity_providers;
pub(crate) mod key_sets;
pub(crate) mod list;
pub(crate) mod placement;
pub(crate) mod rate_limit;
pub(crate) mod read;
pub(crate) mod recent;
pub mod scim;
pub mod secrets;
pub(crate) mod sign_in;

/// Turns at SQLite's write lock; the sign-in hook takes one (see [`crate::db::WriteGate`]).
pub use crate::db::WriteGate;
pub use app::App;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PrimaryKeyTrait};
use uuid::Uuid;

use crate::{
    db,
    domain::{
        access::{Action, Principal},
        id::{self, NodeKind},
        validate,
    },
    error::{AppError, AppResult, ErrorCode, FieldError},
};

/// Wall-clock time, truncated to microseconds so that what is stored equals what is returned
/// on both databases (PostgreSQL keeps microseconds).
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Accumulates field errors so a client sees every problem of an input at once.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    pub fn check_all<T>(&mut self, result: Result<T, Vec<FieldError>>) -> Option<T> {
        result.map_err(|e| self.0.extend(e)).ok()
    }

    /// A required name for the field `label`: trimmed, at most [`validate::NAME_MAX`]
    /// characters.
    pub fn name(&mut self, label: &str, raw: &str) -> Option<String> {
        self.check(validate::required_text(label, raw, validate::NAME_MAX))
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Records `error` for a value that is then missing.
    pub fn refuse<T>(&mut self, error: FieldError) -> Option<T> {
        self.push(error);
        None
    }

    /// Ends validation: every problem, or the loaded value (present whenever there were none).
    pub fn finish<T>(self, loaded: Option<T>) -> AppResult<T> {
        self.into_result()?;
        loaded.ok_or_else(|| AppError::Internal("validated value missing".into()))
    }

    pub fn into_result(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

/// Decodes `raw` as an ID of `kind` for the field `label` and loads the entity, or says why not.
pub async fn load<E, Db>(
    db: &Db,
    kind: NodeKind,
    label: &str,
    raw: &str,
) -> Result<E::Model, LoadError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    Db: ConnectionTrait,
{
    let uuid = id::decode(kind, label, raw).map_err(LoadError::Field)?;
    db::queries::find::<E, _>(db, uuid)
        .await?
        .ok_or_else(|| LoadError::Field(not_found(kind, label, raw)))
}

pub fn not_found(kind: NodeKind, label: &str, raw: &str) -> FieldError {
    FieldError::new(
        label,
        ErrorCode::NotFound,
        format!("no {} has this ID", kind.type_name()),
        Some(raw),
    )
}

/// Why an entity could not be loaded: the client's fault, or the database's.
pub enum LoadError {
    Field(FieldError),
    Db(DbErr),
}

impl From<DbErr> for LoadError {
    fn from(err: DbErr) -> Self {
        Self::Db(err)
    }
}

impl Problems {
    /// Records a client-side load failure; a database failure is returned as an error.
    pub fn loaded<T>(&mut self, result: Result<T, LoadError>) -> AppResult<Option<T>> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(LoadError::Field(e)) => {
                self.0.push(e);
                Ok(None)
            }
            Err(LoadError::Db(e)) => Err(e.into()),
        }
    }

    /// Loads the entity `raw` names (nothing when it is `None`) for the input field `label`,
    /// recording a client-side failure; a database failure is returned as an error.
    pub async fn load<'r, E, Db>(
        &mut self,
        db: &Db,
        kind: NodeKind,
        label: &str,
        raw: impl Into<Option<&'r str>>,
    ) -> AppResult<Option<E::Model>>
    where
        E: EntityTrait,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
        Db: ConnectionTrait,
    {
        match raw.into() {
            Some(raw) => self.loaded(load::<E, Db>(db, kind, label, raw).await),
            None => Ok(None),
        }
    }
}

/// What a delete use case deletes: the kind of ID it takes, in which input field, and how the
/// audit log names the operation.
pub struct Deletion {
    pub kind: NodeKind,
    pub label: &'static str,
    pub operation: &'static str,
}

/// Deletes the entity `raw` names for an administrator (`principal`), refused with `inUse`
/// while `references` counts rows that still refer to it: (what refers, how many). One
/// transaction, audit event included.
pub async fn delete_unreferenced<E>(
    app: &App,
    principal: &Principal,
    deletion: &Deletion,
    raw: &str,
    references: impl AsyncFnOnce(
        &sea_orm::DatabaseTransaction,
        Uuid,
    ) -> Result<Vec<(&'static str, u64)>, DbErr>,
) -> AppResult<E::Model>
where
    E: EntityTrait<Model: audit::Audited>,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let actor = app.authorize(principal, Action::Administer)?;
    let Deletion {
        kind,
        label,
        operation,
    } = *deletion;
    app.transaction(async |txn| {
        let id = id::decode(kind, label, raw).map_err(invalid)?;
        let current = load::<E, _>(txn, kind, label, raw)
            .await
            .map_err(load_error)?;
        let still: Vec<String> = references(txn, id)
            .await?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!("{n} {what}"))
            .collect();
        if !still.is_empty() {
            return Err(AppError::field(
                label,
                ErrorCode::InUse,
                format!(
                    "this {} is still referenced by {}; remove those first",
                    kind.noun(),
                    still.join(" and ")
                ),
                Some(raw),
            ));
        }
        db::queries::delete::<E, _>(txn, id).await?;
        audit::deleted(txn, &actor, operation, &current).await?;
        Ok(current)
    })
    .await
}

/// One refused field as an error.
pub fn invalid(error: FieldError) -> AppError {
    AppError::Invalid(vec![error])
}

/// Writes unless `existing` (what the pre-check found) holds the unique value: then, and when
/// the write meets a unique constraint (a concurrent writer won the race), the refusal is
/// `taken`'s.
pub async fn unless_taken<T, U>(
    existing: Option<U>,
    taken: impl FnOnce() -> FieldError,
    write: impl Future<Output = Result<T, DbErr>>,
) -> AppResult<T> {
    if existing.is_some() {
        return Err(invalid(taken()));
    }
    write.await.map_err(|e| unique_or_internal(e, taken))
}

/// Maps a unique-constraint violation (a concurrent writer won the race) to the field error
/// the pre-check would have given; anything else is internal.
pub fn unique_or_internal(err: DbErr, conflict: impl FnOnce() -> FieldError) -> AppError {
    if db::is_unique_violation(&err) {
        invalid(conflict())
    } else {
        err.into()
    }
}

/// For use cases with a single ID to load: the load failure as an [`AppError`].
pub fn load_error(err: LoadError) -> AppError {
    match err {
        LoadError::Field(e) => invalid(e),
        LoadError::Db(e) => e.into(),
    }
}
