//! Employee files and the administrators they provision (PRODUCT §7): importing a file
//! (`import`), applying a held sync (`apply`), the rules (`rules`) and the sync both share
//! (`sync`).
mod convert;
pub mod rules;
mod sync;

use entity::employee_sync;
use sea_orm::DatabaseConnection;

pub use convert::WrittenCondition;

use super::{App, load, load_error, now};
use crate::{
    db,
    domain::{
        audit::{Actor, AuditEntity},
        employees::{AdminRole, SyncSource, SyncStatus, file},
        id::NodeKind,
        stored::StoredEnum,
    },
    error::{AppError, AppResult, ErrorCode},
};

/// How one employee file arrived and what to do with it.
pub struct Import<'a> {
    pub source: SyncSource,
    /// The file's name, when it has one (the inbox, the command line).
    pub file_name: Option<&'a str>,
    /// Plan and record the sync, change nothing.
    pub dry_run: bool,
    /// The role of the sender: a sync that would give an administrator more is held
    /// (`needsOwner`). The command line and the inbox are operators' doors: `owner`.
    pub sender: AdminRole,
}

/// Reads an employee file, plans the sync, and applies it (or holds it, or only records the
/// plan). The sync is recorded whatever happens; its `status` says what: `applied`, `held`,
/// `dryRun`, or `rejected` (the whole file refused, `reason` says why, nothing changed).
/// `Err` only for a failure of the service itself.
pub async fn import(
    app: &App,
    actor: &Actor,
    import: Import<'_>,
    body: &[u8],
) -> AppResult<employee_sync::Model> {
    // A sync deactivating more than this share of active rule-provisioned administrators is
    // held until `employeeSyncs.apply`.
    let hold_above = app.limits().max_deactivation_percent;
    let sync = import_file(app.db(), actor, import, hold_above, body).await?;
    app.record_sync(&sync);
    Ok(sync)
}

async fn import_file(
    db: &DatabaseConnection,
    actor: &Actor,
    import: Import<'_>,
    hold_above: u8,
    body: &[u8],
) -> AppResult<employee_sync::Model> {
    file_name(import.file_name)?;
    let snapshot = match file::parse(body) {
        Ok(snapshot) => snapshot,
        Err(rejection) => return reject(db, actor, &import, &rejection.message).await,
    };
    // The file parsed, so it is UTF-8; a held sync keeps it to apply it later. PostgreSQL
    // cannot store a NUL in text, so a held file keeps each as SUB (U+001A), another control
    // character: the rows holding one are refused alike when the file is applied.
    let text = std::str::from_utf8(body).ok().map(|text| {
        if text.contains('\0') {
            std::borrow::Cow::Owned(text.replace('\0', "\u{1a}"))
        } else {
            std::borrow::Cow::Borrowed(text)
        }
    });
    let txn = db::begin(db).await?;
    let sync = sync::run(
        &txn,
        sync::Run {
            source: import.source,
            file_name: import.file_name,
            actor: Some(&actor.name),
            sender: import.sender,
            dry_run: import.dry_run,
            hold_above: Some(hold_above),
            snapshot: Some(snapshot),
            body: text.as_deref(),
            existing: None,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        sync = %sync.id, status = %sync.status, rows = sync.rows, created = sync.created,
        reactivated = sync.reactivated, deactivated = sync.deactivated,
        role_changed = sync.role_changed, "employee file synced"
    );
    Ok(sync)
}

/// Whether the database answers: a caller that could not import a file tells a database that is
/// down (try the file again later) from a file that fails (it never will).
pub async fn database_reachable(db: &DatabaseConnection) -> bool {
    db::ping(db).await.is_ok()
}

/// The longest file name a sync records, in characters.
pub const FILE_NAME_MAX: usize = 255;

/// A file name is recorded as sent, so it must be one a person can read (and PostgreSQL
/// store: no NUL).
fn file_name(name: Option<&str>) -> AppResult<()> {
    const LABEL: &str = "fileName";
    let Some(name) = name else { return Ok(()) };
    if name.chars().any(char::is_control) {
        return Err(AppError::field(
            LABEL,
            ErrorCode::Invalid,
            "must not contain control characters",
            None,
        ));
    }
    if name.chars().count() > FILE_NAME_MAX {
        return Err(AppError::field(
            LABEL,
            ErrorCode::TooLong,
            format!("must be at most {FILE_NAME_MAX} characters"),
            None,
        ));
    }
    Ok(())
}

/// Records a refused file: nothing else is written.
async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    import: &Import<'_>,
    reason: &str,
) -> AppResult<employee_sync::Model> {
    let new = db::employees::NewSync {
        source: import.source,
        file_name: import.file_name,
        actor: Some(&actor.name),
        at: now(),
    };
    let outcome = db::employees::SyncOutcome {
        status: SyncStatus::Rejected,
        rows: 0,
        counts: Default::default(),
        rejected_rows: serde_json::json!([]),
        rejected_row_count: 0,
        notes: serde_json::json!([]),
        changes: serde_json::json!([]),
        reason: Some(reason.to_owned()),
        hold_reason: None,
        body: None,
        applied_at: None,
    };
    let sync = db::employees::insert_sync(db, new, outcome).await?;
    tracing::warn!(sync = %sync.id, reason, "employee file rejected");
    Ok(sync)
}

/// Applies a held sync: its file is planned again against the rules and administrators as
/// they are now (they may have changed since), and applied whatever it deactivates. Applying
/// is giving what the sync gives: `sender` (the role of whoever applies) must reach every
/// role it hands out, or nothing is applied (`employeeSyncId`, `denied`).
pub async fn apply(
    app: &App,
    actor: &Actor,
    sender: AdminRole,
    employee_sync_id: &str,
) -> AppResult<employee_sync::Model> {
    let sync = apply_held(app.db(), actor, sender, employee_sync_id).await?;
    app.record_sync(&sync);
    Ok(sync)
}

async fn apply_held(
    db: &DatabaseConnection,
    actor: &Actor,
    sender: AdminRole,
    employee_sync_id: &str,
) -> AppResult<employee_sync::Model> {
    const LABEL: &str = "employeeSyncId";
    let txn = db::begin(db).await?;
    // Under the sync lock before reading the status: two applies of one held sync must not
    // both see it held.
    db::employees::lock_syncs(&txn).await?;
    let held =
        load::<employee_sync::Entity, _>(&txn, NodeKind::EmployeeSync, LABEL, employee_sync_id)
            .await
            .map_err(load_error)?;
    let status = AppError::decode::<SyncStatus>(&held.status)?;
    let refuse =
        |why: String| AppError::field(LABEL, ErrorCode::Invalid, why, Some(employee_sync_id));
    if status != SyncStatus::Held {
        return Err(refuse(format!(
            "only a held sync can be applied; this one is {}",
            status.as_str()
        )));
    }
    let Some(body) = held.body.clone() else {
        return Err(AppError::Internal(format!(
            "held sync {} has no file",
            held.id
        )));
    };
    let snapshot = file::parse(body.as_bytes())
        .map_err(|r| AppError::Internal(format!("held sync {}: {}", held.id, r.message)))?;
    let source = AppError::decode::<SyncSource>(&held.source)?;
    let file_name = held.file_name.clone();
    let before = held.clone();
    let sync = sync::run(
        &txn,
        sync::Run {
            source,
            file_name: file_name.as_deref(),
            actor: Some(&actor.name),
            sender,
            dry_run: false,
            hold_above: None,
            snapshot: Some(snapshot),
            body: None,
            existing: Some(held),
        },
    )
    .await?;
    audit_sync(&txn, actor, "employeeSyncs.apply", Some(&before), &sync).await?;
    txn.commit().await?;
    Ok(sync)
}

/// What the audit log records of applying a held sync: its outcome and counts, never the file.
/// An import is not in the audit log: its sync record, with its actor, is that record (and a
/// re-sync of an unchanged file writes nothing else).
fn audited_fields(sync: &employee_sync::Model) -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(map) = serde_json::json!({
        "status": sync.status,
        "source": sync.source,
        "fileName": sync.file_name,
        "rows": sync.rows,
        "created": sync.created,
        "reactivated": sync.reactivated,
        "deactivated": sync.deactivated,
        "roleChanged": sync.role_changed,
        "updated": sync.updated,
        "unchanged": sync.unchanged,
    }) else {
        return serde_json::Map::new();
    };
    map
}

async fn audit_sync<C: sea_orm::ConnectionTrait>(
    db: &C,
    actor: &Actor,
    operation: &str,
    before: Option<&employee_sync::Model>,
    after: &employee_sync::Model,
) -> AppResult<()> {
    super::audit::record(
        db,
        actor,
        operation,
        super::audit::Change {
            entity: AuditEntity::EmployeeSync,
            id: after.id,
            brand_id: None,
            before: before.map(audited_fields),
            after: Some(audited_fields(after)),
        },
    )
    .await
}
