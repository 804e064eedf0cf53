//! Admin provisioning rules: create, update, delete. Each change is applied to the latest
//! employee snapshot at once, in the same transaction, and its payload lists the conflicts:
//! other rules that can match the same employee with another role (decided from the
//! conditions), with the employees of the latest snapshot that match both.
use entity::{admin_provisioning_rule, employee_sync};
use sea_orm::DatabaseTransaction;

use super::{
    convert::{rule_view, stored_employees},
    sync,
};
use crate::{
    db,
    domain::{
        access::{Action, Caller},
        audit::Actor,
        employees::{AdminRole, SyncSource, rules, sync as plan, table::EmployeeRecord},
        id::NodeKind,
        stored::StoredEnum,
        validate,
    },
    error::{AppError, AppResult, ErrorCode, FieldError},
    service::{App, LoadError, Problems, audit, load, load_error, now, unique_or_internal},
};

pub use crate::domain::employees::rules::ConditionInput;

/// Another rule that can match the same employees with another role.
pub struct Conflict {
    pub rule: admin_provisioning_rule::Model,
    /// Employees of the latest snapshot matching both rules.
    pub employees: Vec<EmployeeRecord>,
}

/// What a rule change did.
pub struct RuleChange {
    pub rule: admin_provisioning_rule::Model,
    pub conflicts: Vec<Conflict>,
    /// The re-evaluation of the latest snapshot; `None` before the first employee file.
    pub sync: Option<employee_sync::Model>,
}

/// At most this many employees are listed per conflict: enough to see who is concerned.
pub const CONFLICT_EMPLOYEES_MAX: usize = 100;

/// The conditions as stored: checked, and kept as written (trimmed).
fn written(input: &[ConditionInput]) -> AppResult<serde_json::Value> {
    rules::conditions(input).map_err(AppError::Invalid)?;
    let trim = |v: &String| v.trim().to_owned();
    let written: Vec<ConditionInput> = input
        .iter()
        .map(|c| ConditionInput {
            field: trim(&c.field),
            operation: c.operation,
            value: c.value.as_ref().map(trim),
            values: c.values.as_ref().map(|vs| vs.iter().map(trim).collect()),
        })
        .collect();
    serde_json::to_value(&written).map_err(|e| AppError::Internal(format!("conditions: {e}")))
}

fn name_taken(raw: &str) -> FieldError {
    FieldError::new(
        "name",
        ErrorCode::AlreadyExists,
        "another rule has this name",
        Some(raw),
    )
}

/// The rule's name and conditions checked, every refusal in `problems`.
fn checked(
    problems: &mut Problems,
    name: Option<&str>,
    conditions: Option<&[ConditionInput]>,
) -> AppResult<(Option<String>, Option<serde_json::Value>)> {
    let name =
        name.and_then(|n| problems.check(validate::folded_name("name", n, validate::NAME_MAX)));
    let conditions = match conditions.map(written).transpose() {
        Ok(c) => c,
        Err(AppError::Invalid(errors)) => {
            errors.into_iter().for_each(|e| problems.push(e));
            None
        }
        Err(other) => return Err(other),
    };
    Ok((name, conditions))
}

/// Runs a rule change in one write transaction, and counts the re-evaluation it ran in
/// `/metrics`, like any sync.
async fn committed(
    app: &App,
    change: impl AsyncFnOnce(&DatabaseTransaction) -> AppResult<RuleChange>,
) -> AppResult<RuleChange> {
    let change = app.transaction(change).await?;
    if let Some(sync) = &change.sync {
        app.record_sync(sync);
    }
    Ok(change)
}

pub async fn create<'a>(
    app: &App,
    caller: impl Into<Caller<'a>>,
    name: &str,
    conditions: &[ConditionInput],
    role: AdminRole,
) -> AppResult<RuleChange> {
    let actor = app.authorize(caller, Action::ManageAdministrators)?;
    let mut problems = Problems::default();
    let checked = checked(&mut problems, Some(name), Some(conditions))?;
    problems.into_result()?;
    let (Some(name), Some(conditions)) = checked else {
        return Err(AppError::Internal("validated rule missing".into()));
    };
    committed(app, async |txn| {
        let rule = db::employees::insert_rule(txn, name.clone(), conditions, role, now())
            .await
            .map_err(|e| unique_or_internal(e, || name_taken(&name)))?;
        audit::created(txn, &actor, "adminProvisioningRules.create", &rule).await?;
        apply_change(txn, &actor, rule).await
    })
    .await
}

/// A rule update: omitted fields stay as they are. An update that changes nothing writes
/// nothing and re-evaluates nothing (its payload has no `employeeSync`).
pub struct RuleUpdate<'a> {
    pub rule_id: &'a str,
    pub name: Option<&'a str>,
    pub conditions: Option<&'a [ConditionInput]>,
    pub role: Option<AdminRole>,
}

pub async fn update<'a>(
    app: &App,
    caller: impl Into<Caller<'a>>,
    update: RuleUpdate<'_>,
) -> AppResult<RuleChange> {
    let actor = app.authorize(caller, Action::ManageAdministrators)?;
    let mut problems = Problems::default();
    let (name, conditions) = checked(&mut problems, update.name, update.conditions)?;
    committed(app, async |txn| {
        let current = problems.loaded(load_rule(txn, update.rule_id).await)?;
        let current = problems.finish(current)?;
        let unchanged = name.as_ref().is_none_or(|n| *n == current.name)
            && conditions.as_ref().is_none_or(|c| *c == current.conditions)
            && update.role.is_none_or(|r| r.as_str() == current.role);
        if unchanged {
            // Nothing to write or re-evaluate; the conflicts are still worth showing.
            let conflicts = conflicts_of(txn, &current).await?;
            return Ok(RuleChange {
                rule: current,
                conflicts,
                sync: None,
            });
        }
        let taken = name.clone().unwrap_or_default();
        let columns = db::employees::RuleUpdate {
            name,
            conditions,
            role: update.role,
        };
        let rule = db::employees::update_rule(txn, current.id, columns, now())
            .await
            .map_err(|e| unique_or_internal(e, || name_taken(&taken)))?;
        audit::updated(
            txn,
            &actor,
            "adminProvisioningRules.update",
            &current,
            &rule,
        )
        .await?;
        apply_change(txn, &actor, rule).await
    })
    .await
}

/// Deletes a rule. Its administrators are handed over to another matching rule or
/// deactivated at once (by the same re-evaluation as any rule change).
pub async fn delete<'a>(
    app: &App,
    caller: impl Into<Caller<'a>>,
    rule_id: &str,
) -> AppResult<RuleChange> {
    let actor = app.authorize(caller, Action::ManageAdministrators)?;
    committed(app, async |txn| {
        let rule = load_rule(txn, rule_id).await.map_err(load_error)?;
        db::employees::delete_rule(txn, rule.id).await?;
        audit::deleted(txn, &actor, "adminProvisioningRules.delete", &rule).await?;
        Ok(RuleChange {
            rule,
            conflicts: Vec::new(),
            sync: resync(txn, &actor).await?,
        })
    })
    .await
}

async fn load_rule(
    txn: &DatabaseTransaction,
    rule_id: &str,
) -> Result<admin_provisioning_rule::Model, LoadError> {
    load::<admin_provisioning_rule::Entity, _>(
        txn,
        NodeKind::AdminProvisioningRule,
        "ruleId",
        rule_id,
    )
    .await
}

async fn apply_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    rule: admin_provisioning_rule::Model,
) -> AppResult<RuleChange> {
    let conflicts = conflicts_of(txn, &rule).await?;
    let sync = resync(txn, actor).await?;
    Ok(RuleChange {
        rule,
        conflicts,
        sync,
    })
}

/// Re-evaluates the latest snapshot, never held: the change was asked for by a person.
async fn resync(
    txn: &DatabaseTransaction,
    actor: &Actor,
) -> AppResult<Option<employee_sync::Model>> {
    if !db::employees::any_applied_file(txn).await? {
        return Ok(None);
    }
    let run = sync::Run {
        source: SyncSource::Rules,
        hris_connection: None,
        file_name: None,
        actor: &actor.name,
        // Only owners change rules (`ManageAdministrators`).
        sender: AdminRole::Owner,
        dry_run: false,
        hold_above: None,
        file: None,
        existing: None,
        answer_changes: true,
    };
    Ok(Some(sync::run(txn, run).await?.record))
}

async fn conflicts_of(
    txn: &DatabaseTransaction,
    rule: &admin_provisioning_rule::Model,
) -> AppResult<Vec<Conflict>> {
    let this = rule_view(rule)?;
    let others: Vec<_> = db::employees::rules(txn)
        .await?
        .into_iter()
        .filter(|other| other.id != rule.id)
        .map(|other| rule_view(&other).map(|view| (other, view)))
        .collect::<AppResult<_>>()?;
    let overlapping: Vec<_> = others
        .into_iter()
        .filter(|(_, view)| {
            view.role != this.role && rules::can_overlap(&this.conditions, &view.conditions)
        })
        .collect();
    if overlapping.is_empty() {
        return Ok(Vec::new());
    }
    let employees = stored_employees(txn).await?;
    Ok(overlapping
        .into_iter()
        .map(|(other, view)| Conflict {
            employees: plan::matching_both(&this.conditions, &view.conditions, &employees)
                .take(CONFLICT_EMPLOYEES_MAX)
                .map(|e| e.to_record())
                .collect(),
            rule: other,
        })
        .collect())
}
