//! One sync: load the rules, the administrators and the snapshot, let the domain plan, then
//! record the sync and (unless it is held or a dry run) apply the plan, all in the caller's
//! transaction.
use std::collections::{HashMap, HashSet};

use entity::employee_sync;
use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Original, Synced,
    convert::{admin_view, rule_view, same_employee, stored_employees},
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
            file::{RowProblem, Snapshot},
            sync::{self, Change, Plan, Target},
            table::Employees,
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
    /// The file's snapshot; `None` re-evaluates the stored latest snapshot (rule changes).
    pub snapshot: Option<Snapshot>,
    /// The file itself, kept with a held sync so that it can be applied later: read only
    /// then, once the snapshot is dropped.
    pub body: Original<'a>,
    /// Applying a held sync: its row, updated instead of a new one.
    pub existing: Option<employee_sync::Model>,
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
    // A file is compared with the stored snapshot page by page when it is applied
    // (`write_snapshot`); only a rule change plans from the stored snapshot itself.
    let (employees, rejected, rejected_total, kept, from_file) = match run.snapshot {
        Some(snapshot) => (
            snapshot.employees,
            snapshot.rejected,
            snapshot.rejected_total,
            snapshot.rejected_ids,
            true,
        ),
        None => (
            stored_employees(txn).await?,
            Vec::new(),
            0,
            HashSet::new(),
            false,
        ),
    };
    let plan = sync::plan(&rules, &employees, &admins, &kept);
    let rows = i32::try_from(employees.len() as u64 + rejected_total).unwrap_or(i32::MAX);
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
    // The snapshot is written only when the sync is applied; a held sync keeps its file
    // instead, read now that the snapshot is gone, so that the two are never held together.
    // The snapshot is written first, and dropped: the sync's record (its list of changes) is
    // built after, so that the two are never held together. A held sync keeps its file
    // instead, read now that the snapshot is gone.
    if status == SyncStatus::Applied && from_file {
        write_snapshot(txn, &employees, &kept).await?;
    }
    drop(employees);
    let body = match status {
        SyncStatus::Held => run.body.text().await?,
        _ => None,
    };
    let (hold_reason, reason) = hold.unzip();
    let ids = administrator_ids(&plan, status == SyncStatus::Applied);
    let changes = changes_text(&plan, &ids, &rule_names)?;
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
    if !plan.changes.is_empty() {
        db::employees::set_sync_changes(txn, sync.id, &changes).await?;
        sync.changes = serde_json::from_str(&changes)
            .map_err(|e| AppError::Internal(format!("a sync's changes: {e}")))?;
    }
    drop(changes);

    if status == SyncStatus::Applied {
        apply_plan(txn, &plan, &ids, sync.id, &rule_names, run.actor, at).await?;
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

/// The changes of a plan as the JSON text of the sync's `changes` column, serialised straight
/// from the plan.
fn changes_text(
    plan: &Plan,
    ids: &[Option<Uuid>],
    rule_names: &HashMap<Uuid, String>,
) -> AppResult<String> {
    let entries: Vec<ChangeEntry<'_>> = plan
        .changes
        .iter()
        .zip(ids)
        .map(|(c, id)| {
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
        })
        .collect();
    serde_json::to_string(&entries)
        .map_err(|e| AppError::Internal(format!("a sync's changes: {e}")))
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
    let mut new_admins = Vec::new();
    let mut events = Vec::with_capacity(plan.changes.len());
    for (change, id) in plan.changes.iter().zip(ids) {
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

/// Writes the difference between the stored snapshot and the file: new and changed rows,
/// and the rows of employees no longer in it, except those whose row this file refused (the
/// sync left their administrators alone, so their last known row stays too). The stored
/// snapshot is read a page at a time and each row is found in the file by the table's own
/// index; the new rows are built a batch at a time, so that memory holds the file's snapshot
/// and little else (a flag per employee, the ids of employees gone).
async fn write_snapshot(
    txn: &DatabaseTransaction,
    employees: &Employees,
    kept: &HashSet<String>,
) -> AppResult<()> {
    // Whether each employee of the file is stored as it is.
    let mut stored_as_is = vec![false; employees.len()];
    // Stored rows that differ from the file's: deleted, then written again.
    let mut changed: Vec<usize> = Vec::new();
    let mut gone: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = db::employees::employees_after(txn, after.as_deref()).await?;
        for row in &page {
            match employees.find(&row.employee_id) {
                Some(e) if same_employee(row, e) => stored_as_is[e.index()] = true,
                Some(e) => changed.push(e.index()),
                None if !kept.contains(&row.employee_id) => gone.push(row.employee_id.clone()),
                None => {}
            }
        }
        match page.last() {
            Some(last) if page.len() == db::employees::EMPLOYEE_PAGE => {
                after = Some(last.employee_id.clone());
            }
            _ => break,
        }
    }
    let mut delete: Vec<&str> = gone.iter().map(String::as_str).collect();
    for &index in &changed {
        if let Some(e) = employees.get(index) {
            delete.push(e.employee_id());
        }
    }
    db::employees::delete_employees(txn, &delete).await?;
    drop(delete);
    let mut batch = Vec::with_capacity(db::employees::EMPLOYEE_BATCH);
    // By index, not by an iterator of the table held across the writes' awaits: its
    // closures would make this future's `Send` depend on lifetimes the compiler cannot name.
    for (index, as_is) in stored_as_is.iter().enumerate() {
        if *as_is {
            continue;
        }
        if let Some(e) = employees.get(index) {
            batch.push(e);
        }
        if batch.len() == db::employees::EMPLOYEE_BATCH {
            db::employees::insert_employees(txn, &batch).await?;
            batch.clear();
        }
    }
    db::employees::insert_employees(txn, &batch).await?;
    Ok(())
}
