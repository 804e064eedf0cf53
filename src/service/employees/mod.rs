//! Employee files and the administrators they provision (PRODUCT §7): importing a file
//! (`import`), applying a held sync (`apply`), the rules (`rules`) and the sync both share
//! (`sync`).
mod convert;
pub mod rules;
mod snapshot;
mod source;
mod sync;

pub use source::Body;

use entity::employee_sync;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{App, load, load_error, now};
use crate::{
    db,
    domain::{
        access::{Action, Caller},
        audit::{Actor, AuditEntity},
        employees::{AdminRole, SyncSource, SyncStatus, file},
        id::NodeKind,
        stored::StoredEnum,
    },
    error::{AppError, AppResult, ErrorCode},
};
use source::EmployeeFile;

/// A recorded sync with its status read, so that a door branches on the status, never on the
/// stored text.
#[derive(Clone)]
pub struct Synced {
    pub status: SyncStatus,
    pub record: employee_sync::Model,
}

#[cfg(test)]
impl Synced {
    /// A sync of `status` that read and changed nothing, for the doors' tests.
    pub fn sample(status: SyncStatus) -> Self {
        use sea_orm::TryIntoModel;
        let new = db::employees::NewSync {
            source: SyncSource::Upload,
            hris_connection: None,
            file_name: None,
            actor: None,
            at: chrono::Utc::now(),
        };
        let outcome = db::employees::SyncOutcome::nothing(status);
        let record = db::employees::new_sync(new, outcome).try_into_model();
        Self {
            status,
            record: record.expect("every column is set"),
        }
    }
}

/// A caller let send employee files and apply held syncs (`Action::ImportEmployees`): whom
/// the sync's record and the audit log name, and the role it sends with, since a sync never
/// gives anyone more than its sender has (PRODUCT §7).
pub struct Sender {
    actor: Actor,
    role: AdminRole,
}

impl Sender {
    /// Lets `caller` send employee files, or refuses with [`AppError::Forbidden`]. The HTTP
    /// door asks before it reads the body, so that a caller who may not send a file cannot
    /// make the server buffer one.
    pub fn admit<'a>(app: &App, caller: impl Into<Caller<'a>>) -> AppResult<Self> {
        let caller = caller.into();
        let actor = app.authorize(caller, Action::ImportEmployees)?;
        let role = match caller {
            Caller::Token(principal) => principal.role.authority(),
            // Whoever runs the binary or writes to the inbox operates the service.
            Caller::Operator(_) => AdminRole::Owner,
        };
        Ok(Self { actor, role })
    }

    /// Reads an employee file, plans the sync, and applies it (or holds it, or only records
    /// the plan). The sync is recorded whatever happens; its `status` says what: `applied`,
    /// `held`, `dryRun`, or `rejected` (the whole file refused, `reason` says why, nothing
    /// changed). `Err` only for a failure of the service itself.
    pub async fn import(&self, app: &App, import: Import<'_>, body: Body<'_>) -> AppResult<Synced> {
        file_name(import.file_name)?;
        // The first reading, before the transaction: the second, which plans and writes, is
        // in it.
        let (indexed, file) = EmployeeFile::from(body).index().await?;
        let synced = app
            .transaction(async |txn| match indexed {
                Err(rejection) => reject(txn, &self.actor, &import, &rejection.message).await,
                Ok(index) => {
                    let run = sync::Run {
                        source: import.source,
                        hris_connection: import.hris_connection,
                        file_name: import.file_name,
                        actor: &self.actor.name,
                        sender: self.role,
                        dry_run: import.dry_run,
                        // A sync deactivating more than this share of active rule-provisioned
                        // administrators is held until `employeeSyncs.apply`.
                        hold_above: Some(app.limits().max_deactivation_percent),
                        file: Some(sync::IndexedFile { index, file }),
                        existing: None,
                        answer_changes: import.answer_changes,
                    };
                    sync::run(txn, run).await
                }
            })
            .await?;
        let sync = &synced.record;
        if let Some(reason) = sync
            .reason
            .as_deref()
            .filter(|_| synced.status == SyncStatus::Rejected)
        {
            tracing::warn!(sync = %sync.id, reason, "employee file rejected");
        } else {
            tracing::info!(
                sync = %sync.id, status = %sync.status, rows = sync.rows, created = sync.created,
                reactivated = sync.reactivated, deactivated = sync.deactivated,
                role_changed = sync.role_changed, "employee file synced"
            );
        }
        app.record_sync(sync);
        Ok(synced)
    }
}

/// How one employee file arrived and what to do with it.
pub struct Import<'a> {
    pub source: SyncSource,
    /// The HRIS connection the file was built from (`source: hris`).
    pub hris_connection: Option<Uuid>,
    /// The file's name, when it has one (the inbox, the command line).
    pub file_name: Option<&'a str>,
    /// Plan and record the sync, change nothing.
    pub dry_run: bool,
    /// Whether the answer's record carries the sync's changes: a door that shows them says
    /// yes; the inbox, which never reads them, says no, since the changes of a file of a
    /// million employees are tens of thousands, some 75 MB as JSON values.
    pub answer_changes: bool,
}

/// [`Sender::import`] for a caller not yet admitted.
pub async fn import<'a>(
    app: &App,
    caller: impl Into<Caller<'a>>,
    import: Import<'_>,
    body: Body<'_>,
) -> AppResult<Synced> {
    Sender::admit(app, caller)?.import(app, import, body).await
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
    let refuse = |code, message: String| AppError::field("fileName", code, message, None);
    let Some(name) = name else { return Ok(()) };
    if name.chars().any(char::is_control) {
        return Err(refuse(
            ErrorCode::Invalid,
            "must not contain control characters".into(),
        ));
    }
    if name.chars().count() > FILE_NAME_MAX {
        return Err(refuse(
            ErrorCode::TooLong,
            format!("must be at most {FILE_NAME_MAX} characters"),
        ));
    }
    Ok(())
}

/// Records a sync that had no file to read (an HRIS report that could not be fetched, or
/// was empty): rejected, with why; nothing else changes.
pub async fn reject_unread<'a>(
    app: &App,
    caller: impl Into<Caller<'a>>,
    import: &Import<'_>,
    reason: &str,
) -> AppResult<Synced> {
    let sender = Sender::admit(app, caller)?;
    let synced = app
        .transaction(async |txn| reject(txn, &sender.actor, import, reason).await)
        .await?;
    app.record_sync(&synced.record);
    Ok(synced)
}

/// Records a refused file: nothing else is written.
async fn reject(
    db: &impl ConnectionTrait,
    actor: &Actor,
    import: &Import<'_>,
    reason: &str,
) -> AppResult<Synced> {
    let new = db::employees::NewSync {
        source: import.source,
        hris_connection: import.hris_connection,
        file_name: import.file_name,
        actor: Some(&actor.name),
        at: now(),
    };
    let outcome = db::employees::SyncOutcome {
        reason: Some(reason.to_owned()),
        ..db::employees::SyncOutcome::nothing(SyncStatus::Rejected)
    };
    Ok(Synced {
        status: SyncStatus::Rejected,
        record: db::employees::insert_sync(db, new, outcome).await?,
    })
}

/// Applies a held sync: its file is planned again against the rules and administrators as
/// they are now (they may have changed since), and applied whatever it deactivates. Applying
/// is giving what the sync gives: the caller must reach every role it hands out, or nothing is
/// applied (`employeeSyncId`, `denied`).
pub async fn apply<'a>(
    app: &App,
    caller: impl Into<Caller<'a>>,
    employee_sync_id: &str,
) -> AppResult<Synced> {
    const LABEL: &str = "employeeSyncId";
    let sender = Sender::admit(app, caller)?;
    let synced = app
        .transaction(async |txn| {
            // Under the sync lock before reading the status: two applies of one held sync must
            // not both see it held.
            db::employees::lock_syncs(txn).await?;
            let held = load::<employee_sync::Entity, _>(
                txn,
                NodeKind::EmployeeSync,
                LABEL,
                employee_sync_id,
            )
            .await
            .map_err(load_error)?;
            let status = AppError::decode::<SyncStatus>(&held.status)?;
            if status != SyncStatus::Held {
                return Err(AppError::field(
                    LABEL,
                    ErrorCode::Invalid,
                    format!(
                        "only a held sync can be applied; this one is {}",
                        status.as_str()
                    ),
                    Some(employee_sync_id),
                ));
            }
            let mut held = held;
            // Taken out of the row, and dropped once parsed: the row is written again without
            // it (an applied sync keeps no file).
            let Some(body) = held.body.take() else {
                return Err(AppError::Internal(format!(
                    "held sync {} has no file",
                    held.id
                )));
            };
            // Read twice from the text, which stays until the sync is written again without it.
            let index = file::index(body.as_bytes())
                .map_err(|r| AppError::Internal(format!("held sync {}: {}", held.id, r.message)))?;
            let before = audited_fields(&held);
            let file_name = held.file_name.clone();
            let run = sync::Run {
                source: AppError::decode::<SyncSource>(&held.source)?,
                hris_connection: held.hris_connection_id,
                file_name: file_name.as_deref(),
                actor: &sender.actor.name,
                sender: sender.role,
                dry_run: false,
                hold_above: None,
                file: Some(sync::IndexedFile {
                    index,
                    file: EmployeeFile::Bytes(body.as_bytes()),
                }),
                existing: Some(held),
                answer_changes: true,
            };
            let synced = sync::run(txn, run).await?;
            let change = super::audit::Change {
                entity: AuditEntity::EmployeeSync,
                id: synced.record.id,
                brand_id: None,
                before: Some(before),
                after: Some(audited_fields(&synced.record)),
            };
            super::audit::record(txn, &sender.actor, "employeeSyncs.apply", change).await?;
            Ok(synced)
        })
        .await?;
    app.record_sync(&synced.record);
    Ok(synced)
}

/// A sync's counts, as the API names them.
pub fn counts(sync: &employee_sync::Model) -> impl Iterator<Item = (String, Value)> {
    [
        ("rows", sync.rows),
        ("created", sync.created),
        ("reactivated", sync.reactivated),
        ("deactivated", sync.deactivated),
        ("roleChanged", sync.role_changed),
        ("updated", sync.updated),
        ("unchanged", sync.unchanged),
    ]
    .into_iter()
    .map(|(name, count)| (name.to_owned(), count.into()))
}

/// What the audit log records of applying a held sync: its outcome and counts, never the file.
/// An import is not in the audit log: its sync record, with its actor, is that record (and a
/// re-sync of an unchanged file writes nothing else).
fn audited_fields(sync: &employee_sync::Model) -> Map<String, Value> {
    let mut fields = Map::from_iter([
        ("status".to_owned(), json!(sync.status)),
        ("source".to_owned(), json!(sync.source)),
        ("fileName".to_owned(), json!(sync.file_name)),
    ]);
    fields.extend(counts(sync));
    fields
}
