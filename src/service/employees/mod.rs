//! Employee files and the administrators they provision (PRODUCT §7).
use entity::employee_sync;
use sea_orm::DatabaseConnection;

use crate::{
    domain::{audit::Actor, employees::SyncSource},
    error::{AppError, AppResult},
};

/// How one employee file arrived and what to do with it.
pub struct Import<'a> {
    pub source: SyncSource,
    /// The file's name, when it has one (the inbox, the command line).
    pub file_name: Option<&'a str>,
    /// Plan and record the sync, change nothing.
    pub dry_run: bool,
    /// A sync deactivating more than this share of active rule-provisioned administrators is
    /// held until `employeeSyncs.apply`.
    pub max_deactivation_percent: u8,
}

/// Reads an employee file, plans the sync, and applies it (or holds it, or only records the
/// plan). The sync is recorded whatever happens; its `status` says what: `applied`, `held`,
/// `dryRun`, or `rejected` (the whole file refused, `reason` says why, nothing changed).
/// `Err` only for a failure of the service itself.
pub async fn import(
    db: &DatabaseConnection,
    actor: &Actor,
    import: Import<'_>,
    body: &[u8],
) -> AppResult<employee_sync::Model> {
    let _ = (db, actor, import, body);
    Err(AppError::Internal("employee import not built yet".into()))
}
