//! Employee files and the administrators they provision (PRODUCT §7): importing a file
//! (`import`), applying a held sync (`apply`), the rules (`rules`) and the sync both share
//! (`sync`).
mod convert;
pub mod rules;
mod sync;

use std::io::{Read, Seek, SeekFrom};

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
        let (parsed, original) = match body {
            Body::Bytes(bytes) => (file::parse(bytes), Original::Bytes(bytes)),
            Body::File { file, max_bytes } => {
                // Parsing a large file takes seconds of CPU: off the async workers.
                let (parsed, file) = tokio::task::spawn_blocking(move || {
                    let mut file = file;
                    (file::parse(Limited::new(&mut file, max_bytes)), file)
                })
                .await
                .map_err(|e| AppError::Internal(format!("reading an employee file: {e}")))?;
                (parsed, Original::File { file, max_bytes })
            }
        };
        let synced = app
            .transaction(async |txn| match parsed {
                Err(rejection) => reject(txn, &self.actor, &import, &rejection.message).await,
                Ok(snapshot) => {
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
                        snapshot: Some(snapshot),
                        body: original,
                        existing: None,
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

/// An employee file as a door has it.
pub enum Body<'a> {
    /// Its bytes, as a request carried them (`POST /employee-files`, GraphQL).
    Bytes(&'a [u8]),
    /// An open file (the command line, the inbox): read as it is parsed, never whole, and at
    /// most `max_bytes` of it (`--max-employee-file-bytes`), whatever its size said when the
    /// door looked.
    File { file: std::fs::File, max_bytes: u64 },
}

/// The file a sync came from, kept to be stored with the sync if it is held (and read again
/// only then, from a file).
pub(super) enum Original<'a> {
    Bytes(&'a [u8]),
    File {
        file: std::fs::File,
        max_bytes: u64,
    },
    /// A rule change or an applied held sync: no file to keep.
    None,
}

impl Original<'_> {
    /// The file as text, to keep with a held sync. The file parsed, so it is UTF-8. PostgreSQL
    /// cannot store a NUL in text, so each is kept as SUB (U+001A), another control
    /// character: the rows holding one are refused alike when the file is applied.
    async fn text(self) -> AppResult<Option<String>> {
        let text = match self {
            Self::None => return Ok(None),
            Self::Bytes(bytes) => std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|_| changed())?,
            Self::File { file, max_bytes } => {
                tokio::task::spawn_blocking(move || -> AppResult<String> {
                    let mut file = file;
                    file.seek(SeekFrom::Start(0)).map_err(|e| read_error(&e))?;
                    let mut text = String::new();
                    Limited::new(&mut file, max_bytes)
                        .read_to_string(&mut text)
                        .map_err(|e| match e.kind() {
                            std::io::ErrorKind::InvalidData => changed(),
                            _ => read_error(&e),
                        })?;
                    Ok(text)
                })
                .await
                .map_err(|e| AppError::Internal(format!("reading an employee file: {e}")))??
            }
        };
        Ok(Some(if text.contains('\0') {
            text.replace('\0', "\u{1a}")
        } else {
            text
        }))
    }
}

fn changed() -> AppError {
    AppError::Internal("the employee file changed while it was imported".to_owned())
}

fn read_error(e: &std::io::Error) -> AppError {
    AppError::Internal(format!("reading an employee file again: {e}"))
}

/// A reader that fails past `max_bytes`, whatever the file's size said when it was opened (it
/// may still be growing).
struct Limited<R> {
    inner: R,
    left: u64,
    max_bytes: u64,
}

impl<R> Limited<R> {
    fn new(inner: R, max_bytes: u64) -> Self {
        Self {
            inner,
            left: max_bytes,
            max_bytes,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a file of exactly the limit from a longer one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "the file is larger than --max-employee-file-bytes ({})",
                    self.max_bytes
                ))),
            };
        }
        let room = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        self.left -= n as u64;
        Ok(n)
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
            let snapshot = file::parse(body.as_bytes())
                .map_err(|r| AppError::Internal(format!("held sync {}: {}", held.id, r.message)))?;
            drop(body);
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
                snapshot: Some(snapshot),
                body: Original::None,
                existing: Some(held),
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::Limited;

    fn read_all(bytes: &[u8], max: u64) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Limited::new(bytes, max).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_limited_read_takes_the_limit_and_fails_one_byte_past_it() {
        assert_eq!(read_all(b"abcd", 4).unwrap(), b"abcd");
        assert_eq!(read_all(b"abc", 4).unwrap(), b"abc");
        let why = read_all(b"abcde", 4).unwrap_err().to_string();
        assert!(why.contains("--max-employee-file-bytes (4)"), "{why}");
    }

    #[test]
    fn a_file_growing_past_the_limit_is_refused_whole_by_the_parser() {
        let text = "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId\n\
                    E1,a@example.com,A,B,D,L,J,\n";
        let limit = text.len() as u64 - 5;
        let why = crate::domain::employees::file::parse(Limited::new(text.as_bytes(), limit))
            .unwrap_err()
            .message;
        assert!(why.contains("--max-employee-file-bytes"), "{why}");
    }
}
