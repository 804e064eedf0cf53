//! One sync: load the rules, the administrators and the snapshot, let the domain plan, then
//! record the sync and (unless it is held or a dry run) apply the plan, all in the caller's
//! transaction.
use std::collections::{HashMap, HashSet};

use entity::{administrator, administrator_event, employee_sync};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseTransaction, EntityTrait, IntoActiveModel,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::convert::{admin_view, employee_of, employee_row, rule_view, same_employee};
use crate::{
    db,
    domain::{
        employees::{
            AdminOrigin, AdminRole, AdminStatus, ChangeKind, HoldReason, SyncSource, SyncStatus,
            authority,
            file::{RowProblem, Snapshot},
            sync::{self, Change, Plan, Target},
        },
        id::{NodeKind, encode},
        stored::StoredEnum,
        validate,
    },
    error::{AppError, AppResult, ErrorCode},
    service::now,
};

/// What one sync works on and how.
pub(super) struct Run<'a> {
    pub source: SyncSource,
    pub file_name: Option<&'a str>,
    pub actor: Option<&'a str>,
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
    /// The file itself, kept with a held sync so that it can be applied later.
    pub body: Option<&'a str>,
    /// Applying a held sync: its row, updated instead of a new one.
    pub existing: Option<employee_sync::Model>,
}

pub(super) async fn run(
    txn: &DatabaseTransaction,
    run: Run<'_>,
) -> AppResult<employee_sync::Model> {
    db::employees::lock_syncs(txn).await?;
    let rule_rows = db::employees::rules(txn).await?;
    let rules = rule_rows
        .iter()
        .map(rule_view)
        .collect::<AppResult<Vec<_>>>()?;
    let rule_names: HashMap<Uuid, String> =
        rule_rows.iter().map(|r| (r.id, r.name.clone())).collect();
    let admin_rows = db::employees::administrators(txn).await?;
    let admins = admin_rows
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
            db::employees::employees(txn)
                .await?
                .into_iter()
                .map(employee_of)
                .collect::<AppResult<Vec<_>>>()?,
            Vec::new(),
            0,
            HashSet::new(),
            false,
        ),
    };
    let plan = sync::plan(&rules, &employees, &admins, &kept);
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
    let rows = i32::try_from(employees.len() as u64 + rejected_total).unwrap_or(i32::MAX);
    let (hold_reason, reason) = hold.unzip();
    let ids = administrator_ids(&plan, status == SyncStatus::Applied);
    let updating = run.existing.is_some();
    let record = sync_row(SyncRow {
        existing: run.existing,
        status,
        source: run.source,
        file_name: run.file_name,
        actor: run.actor,
        rows,
        plan: &plan,
        ids: &ids,
        rule_names: &rule_names,
        rejected: &rejected,
        hold_reason,
        rejected_total,
        reason,
        body: (status == SyncStatus::Held).then_some(run.body).flatten(),
        at,
    });
    let sync = if updating {
        record.update(txn).await?
    } else {
        record.insert(txn).await?
    };

    if status == SyncStatus::Applied {
        apply_plan(txn, &plan, &ids, sync.id, &rule_names, run.actor, at).await?;
        if from_file {
            write_snapshot(txn, &employees, &kept).await?;
        }
    }
    if from_file && status != SyncStatus::DryRun {
        db::employees::supersede_held(txn, sync.id).await?;
    }
    Ok(sync)
}

struct SyncRow<'a> {
    existing: Option<employee_sync::Model>,
    status: SyncStatus,
    source: SyncSource,
    file_name: Option<&'a str>,
    actor: Option<&'a str>,
    rows: i32,
    plan: &'a Plan,
    /// The administrator of each change of the plan, as [`administrator_ids`] gives them.
    ids: &'a [Option<Uuid>],
    rule_names: &'a HashMap<Uuid, String>,
    /// The first rows refused, and how many were in all.
    rejected: &'a [RowProblem],
    hold_reason: Option<HoldReason>,
    rejected_total: u64,
    reason: Option<String>,
    body: Option<&'a str>,
    at: chrono::DateTime<chrono::Utc>,
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

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub(super) fn problems_json(problems: &[RowProblem]) -> Value {
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

fn sync_row(row: SyncRow<'_>) -> employee_sync::ActiveModel {
    let counts = &row.plan.counts;
    let changes: Vec<Value> = row
        .plan
        .changes
        .iter()
        .zip(row.ids)
        .map(|(c, id)| change_json(c, *id, row.rule_names))
        .collect();
    let mut model = match row.existing {
        Some(existing) => existing.into_active_model(),
        None => employee_sync::ActiveModel {
            id: Set(Uuid::now_v7()),
            source: Set(row.source.as_str().to_owned()),
            file_name: Set(row.file_name.map(str::to_owned)),
            actor: Set(row.actor.map(str::to_owned)),
            created_at: Set(row.at),
            ..Default::default()
        },
    };
    model.status = Set(row.status.as_str().to_owned());
    model.rows = Set(row.rows);
    model.created = Set(count(counts.created));
    model.reactivated = Set(count(counts.reactivated));
    model.deactivated = Set(count(counts.deactivated));
    model.role_changed = Set(count(counts.role_changed));
    model.updated = Set(count(counts.updated));
    model.unchanged = Set(count(counts.unchanged));
    model.rejected_rows = Set(problems_json(row.rejected));
    model.rejected_row_count = Set(i32::try_from(row.rejected_total).unwrap_or(i32::MAX));
    model.notes = Set(problems_json(&row.plan.notes));
    model.changes = Set(Value::Array(changes));
    model.reason = Set(row.reason);
    model.hold_reason = Set(row.hold_reason.map(|r| r.as_str().to_owned()));
    model.body = Set(row.body.map(str::to_owned));
    model.applied_at = Set((row.status == SyncStatus::Applied).then_some(row.at));
    model
}

/// One change as stored with its sync: `email` is the administrator's address after the
/// change (a new one's, an existing one's new or current one).
fn change_json(
    c: &Change,
    administrator_id: Option<Uuid>,
    rule_names: &HashMap<Uuid, String>,
) -> Value {
    let rule = c.new_rule_id.or(c.old_rule_id);
    json!({
        "administratorId": administrator_id.map(|id| encode(NodeKind::Administrator, id)),
        "employeeId": c.employee_id,
        "email": match &c.target {
            Target::New { email, .. } => email,
            Target::Existing { email, .. } => c.new_email.as_ref().unwrap_or(email),
        },
        "kind": c.kind.as_str(),
        "ruleId": rule.map(|id| encode(NodeKind::AdminProvisioningRule, id)),
        "ruleName": rule.and_then(|id| rule_names.get(&id)),
        "oldRole": c.old_role.map(|r| r.as_str()),
        "newRole": c.new_role.as_str(),
        "oldStatus": c.old_status.map(|s| s.as_str()),
        "newStatus": c.new_status.as_str(),
        "reason": c.reason,
    })
}

/// Rows per multi-row insert of administrators and their events.
const BATCH: usize = 500;

async fn apply_plan(
    txn: &DatabaseTransaction,
    plan: &Plan,
    ids: &[Option<Uuid>],
    sync_id: Uuid,
    rule_names: &HashMap<Uuid, String>,
    actor: Option<&str>,
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
                new_admins.push(administrator::ActiveModel {
                    id: Set(id),
                    email_folded: Set(validate::fold(email)),
                    email: Set(email.clone()),
                    first_name: Set(first_name.clone()),
                    last_name: Set(last_name.clone()),
                    role: Set(change.new_role.as_str().to_owned()),
                    status: Set(change.new_status.as_str().to_owned()),
                    origin: Set(AdminOrigin::Rule.as_str().to_owned()),
                    rule_id: Set(change.new_rule_id),
                    employee_id: Set(Some(employee_id.clone())),
                    sign_in_identity_provider_id: Set(None),
                    sign_in_subject: Set(None),
                    created_at: Set(at),
                    updated_at: Set(at),
                });
                id
            }
            Target::Existing { id, .. } => {
                update_administrator(txn, *id, change, at).await?;
                *id
            }
        };
        let rule_id = change.new_rule_id.or(change.old_rule_id);
        events.push(administrator_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            administrator_id: Set(administrator_id),
            employee_sync_id: Set(Some(sync_id)),
            kind: Set(change.kind.as_str().to_owned()),
            rule_id: Set(rule_id),
            rule_name: Set(rule_id.and_then(|id| rule_names.get(&id).cloned())),
            old_role: Set(change.old_role.map(|r| r.as_str().to_owned())),
            new_role: Set(change.new_role.as_str().to_owned()),
            old_status: Set(change.old_status.map(|s| s.as_str().to_owned())),
            new_status: Set(change.new_status.as_str().to_owned()),
            reason: Set(change.reason.clone()),
            actor: Set(actor.map(str::to_owned)),
            occurred_at: Set(at),
        });
    }
    insert_batches::<administrator::Entity>(txn, new_admins).await?;
    insert_batches::<administrator_event::Entity>(txn, events).await?;
    Ok(())
}

async fn insert_batches<E: EntityTrait>(
    txn: &DatabaseTransaction,
    rows: Vec<E::ActiveModel>,
) -> AppResult<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(BATCH).collect();
        E::insert_many(batch).exec_without_returning(txn).await?;
    }
    Ok(())
}

async fn update_administrator(
    txn: &DatabaseTransaction,
    id: Uuid,
    change: &Change,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut model = administrator::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        ..Default::default()
    };
    model.role = Set(change.new_role.as_str().to_owned());
    model.status = Set(change.new_status.as_str().to_owned());
    model.rule_id = Set(change.new_rule_id.or(change.old_rule_id));
    if let Some(email) = &change.new_email {
        model.email_folded = Set(validate::fold(email));
        model.email = Set(email.clone());
    }
    if let Some(first) = &change.new_first_name {
        model.first_name = Set(first.clone());
    }
    if let Some(last) = &change.new_last_name {
        model.last_name = Set(last.clone());
    }
    model.updated_at = Set(at);
    model.update(txn).await?;
    // A sign-in token carries the role it was issued with: a new role needs a new sign-in.
    if change.kind == ChangeKind::Deactivated || change.old_role != Some(change.new_role) {
        db::employees::revoke_tokens_of(txn, id, at).await?;
    }
    Ok(())
}

/// Writes the difference between the stored snapshot and the file: new and changed rows,
/// and the rows of employees no longer in it, except those whose row this file refused (the
/// sync left their administrators alone, so their last known row stays too). The stored
/// snapshot is read a page at a time and the new rows are built a batch at a time, so that
/// memory holds the file's snapshot and little else.
async fn write_snapshot(
    txn: &DatabaseTransaction,
    employees: &[crate::domain::employees::file::Employee],
    kept: &HashSet<String>,
) -> AppResult<()> {
    let in_file: HashMap<&str, usize> = employees
        .iter()
        .enumerate()
        .map(|(i, e)| (e.employee_id.as_str(), i))
        .collect();
    // Whether each employee of the file is stored as it is.
    let mut stored_as_is = vec![false; employees.len()];
    let mut delete: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = db::employees::employees_after(txn, after.as_deref()).await?;
        for row in &page {
            match in_file.get(row.employee_id.as_str()) {
                Some(&i) if same_employee(row, &employees[i]) => stored_as_is[i] = true,
                Some(_) => delete.push(row.employee_id.clone()),
                None if !kept.contains(&row.employee_id) => delete.push(row.employee_id.clone()),
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
    db::employees::delete_employees(txn, &delete).await?;
    let new_rows: Vec<usize> = (0..employees.len()).filter(|&i| !stored_as_is[i]).collect();
    for batch in new_rows.chunks(db::employees::EMPLOYEE_BATCH) {
        let rows = batch.iter().map(|&i| employee_row(&employees[i])).collect();
        db::employees::insert_employees(txn, rows).await?;
    }
    Ok(())
}
