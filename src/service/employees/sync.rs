//! One sync: load the rules, the administrators and the snapshot, let the domain plan, then
//! record the sync and (unless it is held or a dry run) apply the plan, all in the caller's
//! transaction.
use std::collections::{HashMap, HashSet};

use entity::employee_sync;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Synced,
    convert::{admin_view, rule_view, stored_employees},
    snapshot::{self, SnapshotWriter},
    source::EmployeeFile,
};
use crate::{
    db::{
        self,
        administrators::{AdministratorUpdate, NewAdministrator, NewEvent},
    },
    domain::{
        employees::{
            AdminOrigin, AdminRole, AdminStatus, ChangeKind, HoldReason, SyncSource, SyncStatus,
            authority,
            file::{Fingerprint, Index, RowProblem},
            sync::{self, AdminView, Change, Plan, Planner, RuleView, Target},
        },
        id::{NodeKind, encode},
        stored::StoredEnum,
    },
    error::{AppError, AppResult, ErrorCode},
    service::now,
};

/// What one sync works on and how.
pub(super) struct Run<'a> {
    pub source: SyncSource,
    pub hris_connection: Option<Uuid>,
    pub file_name: Option<&'a str>,
    pub actor: &'a str,
    /// The role of whoever sent the file (or applies the held sync): a sync never gives
    /// anyone more (PRODUCT §7). The command line, the inbox and rule changes are owners'.
    pub sender: AdminRole,
    pub dry_run: bool,
    /// Hold the sync when it would deactivate more than this percentage of the active
    /// rule-provisioned administrators; `None` never holds (rule changes, applying a held
    /// sync).
    pub hold_above: Option<u8>,
    /// The file, indexed by its first reading; `None` re-evaluates the stored latest snapshot
    /// (rule changes).
    pub file: Option<IndexedFile<'a>>,
    /// Applying a held sync: its row, updated instead of a new one.
    pub existing: Option<employee_sync::Model>,
    /// Whether the returned record carries the changes (they are stored either way).
    pub answer_changes: bool,
}

/// A file after its first reading: what it found, and the file to read again (and to keep
/// with the sync if it is held).
pub(super) struct IndexedFile<'a> {
    pub index: Index,
    pub file: EmployeeFile<'a>,
}

/// What a sync planned from, once planned.
struct Planned<'a> {
    plan: Plan,
    rows: u64,
    rejected: Vec<RowProblem>,
    rejected_total: u64,
    /// The file's snapshot written in its savepoint, kept or undone once the sync's status
    /// is known; `None` for a dry run and a rule change.
    savepoint: Option<DatabaseTransaction>,
    /// The file and its fingerprint, to keep its text if the sync is held.
    file: Option<(EmployeeFile<'a>, Fingerprint)>,
}

/// Plans from the file, reading it a second time, and writes its snapshot in a savepoint
/// unless the sync is a dry run: whether the sync is applied is only known once the whole file
/// is planned, and a held sync must leave the stored snapshot as it was.
async fn plan_file<'a>(
    txn: &DatabaseTransaction,
    indexed: IndexedFile<'a>,
    rules: &[RuleView],
    admins: &[AdminView],
    dry_run: bool,
) -> AppResult<Planned<'a>> {
    let IndexedFile { index, file } = indexed;
    let Index {
        rejected,
        rejected_total,
        rejected_ids,
        employees,
        ids,
        selection,
        ..
    } = index;
    let fingerprint = selection.fingerprint().clone();
    let savepoint = match dry_run {
        true => None,
        false => Some(txn.begin().await?),
    };
    let writer = match &savepoint {
        Some(savepoint) => Some(SnapshotWriter::new(savepoint).await?),
        None => None,
    };
    let mut planner = Planner::new(rules, admins);
    let mut batches = file.read_again(selection)?;
    snapshot::plan_and_write(&mut batches, &mut planner, writer, &ids, &rejected_ids).await?;
    let file = batches.finish().await?;
    Ok(Planned {
        plan: planner.finish(&rejected_ids),
        rows: employees as u64,
        rejected,
        rejected_total,
        savepoint,
        file: Some((file, fingerprint)),
    })
}

/// Plans a rule change from the stored snapshot, which it leaves as it is.
async fn plan_stored<'a>(
    txn: &DatabaseTransaction,
    rules: &[RuleView],
    admins: &[AdminView],
) -> AppResult<Planned<'a>> {
    let employees = stored_employees(txn).await?;
    Ok(Planned {
        plan: sync::plan(rules, &employees, admins, &HashSet::new()),
        rows: employees.len() as u64,
        rejected: Vec::new(),
        rejected_total: 0,
        savepoint: None,
        file: None,
    })
}

pub(super) async fn run(txn: &DatabaseTransaction, run: Run<'_>) -> AppResult<Synced> {
    db::employees::lock_syncs(txn).await?;
    let rule_rows = db::employees::rules(txn).await?;
    let rules = rule_rows
        .iter()
        .map(rule_view)
        .collect::<AppResult<Vec<_>>>()?;
    let rule_names: HashMap<Uuid, String> =
        rule_rows.iter().map(|r| (r.id, r.name.clone())).collect();
    let admins = db::administrators::all(txn)
        .await?
        .iter()
        .map(admin_view)
        .collect::<AppResult<Vec<_>>>()?;
    let from_file = run.file.is_some();
    let Planned {
        plan,
        rows,
        rejected,
        rejected_total,
        savepoint,
        file,
    } = match run.file {
        Some(indexed) => plan_file(txn, indexed, &rules, &admins, run.dry_run).await?,
        None => plan_stored(txn, &rules, &admins).await?,
    };
    let rows = i32::try_from(rows + rejected_total).unwrap_or(i32::MAX);
    let beyond_sender = authority::beyond(&plan, run.sender);
    if let (Some(held), Some((change, needed))) = (&run.existing, beyond_sender) {
        // Applying is sending the file again: the one who applies needs what it hands out.
        return Err(AppError::field(
            "employeeSyncId",
            ErrorCode::Denied,
            format!(
                "this sync would {} (employee {}); only {} may apply it",
                describe(change),
                change.employee_id,
                with_article(needed.as_str())
            ),
            Some(&encode(NodeKind::EmployeeSync, held.id)),
        ));
    }
    let hold = if run.dry_run {
        None
    } else if let Some((change, needed)) = beyond_sender {
        Some((
            HoldReason::NeedsOwner,
            format!(
                "this file was sent with a {} token and would {} (employee {}), more than its \
                 sender may give; nothing was changed. It waits for {} to apply it \
                 (employeeSyncs.apply)",
                run.sender.as_str(),
                describe(change),
                change.employee_id,
                with_article(needed.as_str())
            ),
        ))
    } else if let Some(max) = run
        .hold_above
        .filter(|max| sync::would_hold(&plan, &admins, *max))
    {
        Some((
            HoldReason::TooManyDeactivations,
            format!(
                "this file would deactivate {} of the {} active rule-provisioned administrators, \
                 more than the {}% allowed (--max-deactivation-percent); nothing was changed. \
                 Apply it with employeeSyncs.apply if that is intended",
                plan.counts.deactivated,
                admins
                    .iter()
                    .filter(|a| a.origin == AdminOrigin::Rule && a.status == AdminStatus::Active)
                    .count(),
                max
            ),
        ))
    } else {
        None
    };
    let status = match (&hold, run.dry_run) {
        (_, true) => SyncStatus::DryRun,
        (Some(_), false) => SyncStatus::Held,
        (None, false) => SyncStatus::Applied,
    };
    let at = now();
    // The snapshot was written as the file was read: kept when the sync is applied, undone
    // otherwise. Either way before the sync's record (its list of changes) is built.
    if let Some(savepoint) = savepoint {
        match status {
            SyncStatus::Applied => savepoint.commit().await?,
            _ => savepoint.rollback().await?,
        }
    }
    // A held sync keeps its file, read a third time.
    let body = match (status, file) {
        (SyncStatus::Held, Some((file, fingerprint))) => Some(file.text(&fingerprint).await?),
        _ => None,
    };
    let (hold_reason, reason) = hold.unzip();
    let ids = administrator_ids(&plan, status == SyncStatus::Applied);
    let outcome = db::employees::SyncOutcome {
        status,
        rows,
        counts: plan.counts.clone(),
        rejected_rows: problems_json(&rejected),
        rejected_row_count: i32::try_from(rejected_total).unwrap_or(i32::MAX),
        notes: problems_json(&plan.notes),
        // Written below as text: a tree of JSON values costs about 1.4 KB a change, and
        // building the row would copy it twice more.
        changes: Value::Array(Vec::new()),
        reason,
        hold_reason,
        body,
        applied_at: (status == SyncStatus::Applied).then_some(at),
    };
    let mut sync = match run.existing {
        Some(existing) => db::employees::update_sync(txn, existing, outcome).await?,
        None => {
            let new = db::employees::NewSync {
                source: run.source,
                hris_connection: run.hris_connection,
                file_name: run.file_name,
                actor: Some(run.actor),
                at,
            };
            db::employees::insert_sync(txn, new, outcome).await?
        }
    };
    if status == SyncStatus::Applied {
        apply_plan(txn, &plan, &ids, sync.id, &rule_names, run.actor, at).await?;
    }
    if !plan.changes.is_empty() {
        if run.answer_changes {
            sync.changes = serde_json::to_value(ChangeEntries {
                plan: &plan,
                ids: &ids,
                rule_names: &rule_names,
            })
            .map_err(|e| AppError::Internal(format!("a sync's changes: {e}")))?;
        }
        write_changes(txn, sync.id, &plan, &ids, &rule_names).await?;
    }
    if from_file && status != SyncStatus::DryRun {
        db::employees::supersede_held(txn, sync.id).await?;
    }
    Ok(Synced {
        status,
        record: sync,
    })
}

/// What a change does, for the reason of a sync held for an owner.
fn describe(change: &Change) -> String {
    let new = change.new_role.as_str();
    let reactivated = change.old_status == Some(AdminStatus::Inactive)
        && change.new_status == AdminStatus::Active;
    match (&change.target, change.old_role) {
        (Target::New { .. }, _) => format!("create {} administrator", with_article(new)),
        (_, _) if reactivated => format!("reactivate {} administrator", with_article(new)),
        (_, Some(old)) if !crate::domain::access::reaches(old, change.new_role) => {
            format!("promote an administrator from {} to {new}", old.as_str())
        }
        _ => format!(
            "change the email or names of {} administrator",
            with_article(
                authority::needed_for(change)
                    .unwrap_or(change.new_role)
                    .as_str()
            )
        ),
    }
}

/// "an owner", "a support", "an auditor".
fn with_article(role: &str) -> String {
    match role.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {role}"),
        _ => format!("a {role}"),
    }
}

fn problems_json(problems: &[RowProblem]) -> Value {
    Value::Array(
        problems
            .iter()
            .map(|p| json!({"line": p.line, "employeeId": p.employee_id, "message": p.message}))
            .collect(),
    )
}

/// The administrator each change of `plan` is for: an existing one's id, and for a creation
/// the id it is created with when the sync is `applied` (chosen here, before the sync row is
/// written, so that the row names it), else `None`.
fn administrator_ids(plan: &Plan, applied: bool) -> Vec<Option<Uuid>> {
    plan.changes
        .iter()
        .map(|c| match &c.target {
            Target::Existing { id, .. } => Some(*id),
            Target::New { .. } => applied.then(Uuid::now_v7),
        })
        .collect()
}

/// One change as stored with its sync: `email` is the administrator's address after the
/// change (a new one's, an existing one's new or current one).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangeEntry<'a> {
    administrator_id: Option<String>,
    employee_id: &'a str,
    email: &'a str,
    kind: &'static str,
    rule_id: Option<String>,
    rule_name: Option<&'a str>,
    old_role: Option<&'static str>,
    new_role: &'static str,
    old_status: Option<&'static str>,
    new_status: &'static str,
    reason: &'a str,
}

/// About how much JSON text of a sync's changes is sent in one statement: under glibc's
/// initial mmap threshold (128 KiB). Freeing a larger block raises that threshold for the rest
/// of the process: with 1 MiB parts a first import of a million employees took 31 to 35 s in
/// four runs, against 23 and 26 s with the text sent whole and 26 s with 64 KiB parts (some
/// 500 statements for its 33 MB).
const CHANGE_PART_BYTES: usize = 64 << 10;

/// Writes the changes of a plan as the JSON array of the sync's `changes` column, serialised
/// straight from the plan a part of about 64 KiB at a time: the whole text of a million
/// employees' sync is tens of MB, and sent as one parameter it was held twice more (the
/// statement's copy, the driver's send buffer, which the pooled connection keeps).
async fn write_changes(
    txn: &DatabaseTransaction,
    sync_id: Uuid,
    plan: &Plan,
    ids: &[Option<Uuid>],
    rule_names: &HashMap<Uuid, String>,
) -> AppResult<()> {
    let mut seq = 0;
    let mut part = Vec::with_capacity(CHANGE_PART_BYTES + 8192);
    part.push(b'[');
    for (n, (change, id)) in plan.changes.iter().zip(ids).enumerate() {
        if n > 0 {
            part.push(b',');
        }
        serde_json::to_writer(&mut part, &change_entry(change, *id, rule_names))
            .map_err(|e| AppError::Internal(format!("a sync's changes: {e}")))?;
        if part.len() >= CHANGE_PART_BYTES {
            let full = std::mem::replace(&mut part, Vec::with_capacity(CHANGE_PART_BYTES + 8192));
            db::employees::add_sync_change_part(txn, sync_id, seq, utf8(full)?).await?;
            seq += 1;
        }
    }
    part.push(b']');
    db::employees::add_sync_change_part(txn, sync_id, seq, utf8(part)?).await?;
    db::employees::join_sync_change_parts(txn, sync_id).await?;
    Ok(())
}

fn utf8(bytes: Vec<u8>) -> AppResult<String> {
    String::from_utf8(bytes).map_err(|e| AppError::Internal(format!("a sync's changes: {e}")))
}

/// A plan's changes as the JSON array the sync stores (for a caller that asked for them).
struct ChangeEntries<'a> {
    plan: &'a Plan,
    ids: &'a [Option<Uuid>],
    rule_names: &'a HashMap<Uuid, String>,
}

impl serde::Serialize for ChangeEntries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.plan
                .changes
                .iter()
                .zip(self.ids)
                .map(|(c, id)| change_entry(c, *id, self.rule_names)),
        )
    }
}

fn change_entry<'a>(
    c: &'a Change,
    id: Option<Uuid>,
    rule_names: &'a HashMap<Uuid, String>,
) -> ChangeEntry<'a> {
    let rule = c.new_rule_id.or(c.old_rule_id);
    ChangeEntry {
        administrator_id: id.map(|id| encode(NodeKind::Administrator, id)),
        employee_id: &c.employee_id,
        email: match &c.target {
            Target::New { email, .. } => email,
            Target::Existing { email, .. } => c.new_email.as_ref().unwrap_or(email),
        },
        kind: c.kind.as_str(),
        rule_id: rule.map(|id| encode(NodeKind::AdminProvisioningRule, id)),
        rule_name: rule.and_then(|id| rule_names.get(&id)).map(String::as_str),
        old_role: c.old_role.map(|r| r.as_str()),
        new_role: c.new_role.as_str(),
        old_status: c.old_status.map(|s| s.as_str()),
        new_status: c.new_status.as_str(),
        reason: &c.reason,
    }
}

async fn apply_plan(
    txn: &DatabaseTransaction,
    plan: &Plan,
    ids: &[Option<Uuid>],
    sync_id: Uuid,
    rule_names: &HashMap<Uuid, String>,
    actor: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    // A batch of changes at a time, each batch's new administrators written before their
    // events: the rows of tens of thousands of changes are never built all at once.
    for (changes, ids) in plan
        .changes
        .chunks(db::employees::EMPLOYEE_BATCH)
        .zip(ids.chunks(db::employees::EMPLOYEE_BATCH))
    {
        let mut new_admins = Vec::new();
        let mut events = Vec::with_capacity(changes.len());
        for (change, id) in changes.iter().zip(ids) {
            let administrator_id = match &change.target {
                Target::New {
                    employee_id,
                    email,
                    first_name,
                    last_name,
                } => {
                    let id = id.unwrap_or_else(Uuid::now_v7);
                    new_admins.push(NewAdministrator {
                        id,
                        email: email.clone(),
                        first_name: first_name.clone(),
                        last_name: last_name.clone(),
                        role: change.new_role,
                        status: change.new_status,
                        origin: AdminOrigin::Rule,
                        rule_id: change.new_rule_id,
                        employee_id: Some(employee_id.clone()),
                        at,
                    });
                    id
                }
                Target::Existing { id, .. } => {
                    update_administrator(txn, *id, change, at).await?;
                    *id
                }
            };
            let rule_id = change.new_rule_id.or(change.old_rule_id);
            events.push(NewEvent {
                administrator_id,
                employee_sync_id: Some(sync_id),
                kind: change.kind,
                rule_id,
                rule_name: rule_id.and_then(|id| rule_names.get(&id).cloned()),
                old_role: change.old_role.map(|r| r.as_str().to_owned()),
                new_role: change.new_role.as_str().to_owned(),
                old_status: change.old_status.map(|s| s.as_str().to_owned()),
                new_status: change.new_status.as_str().to_owned(),
                reason: change.reason.clone(),
                actor: Some(actor.to_owned()),
                at,
            });
        }
        db::administrators::insert_many(txn, new_admins).await?;
        db::administrators::insert_events(txn, events).await?;
    }
    Ok(())
}

async fn update_administrator(
    txn: &DatabaseTransaction,
    id: Uuid,
    change: &Change,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let update = AdministratorUpdate {
        role: Some(change.new_role),
        status: Some(change.new_status),
        rule_id: Some(change.new_rule_id.or(change.old_rule_id)),
        email: change.new_email.clone(),
        first_name: change.new_first_name.clone(),
        last_name: change.new_last_name.clone(),
        forget_sign_in: false,
    };
    db::administrators::update(txn, id, update, at).await?;
    // A sign-in token carries the role it was issued with: a new role needs a new sign-in.
    if change.kind == ChangeKind::Deactivated || change.old_role != Some(change.new_role) {
        db::api_tokens::revoke_all_of(txn, id, at).await?;
    }
    Ok(())
}
