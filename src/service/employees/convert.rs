//! Rows to the domain's views and back: employees, rules and administrators.
use std::collections::BTreeMap;

use entity::{admin_provisioning_rule, administrator, employee};
use serde::{Deserialize, Serialize};

use crate::{
    db::employees::extra_json,
    domain::{
        employees::{
            AdminOrigin, AdminRole, AdminStatus, ConditionOp,
            file::{Employee, EmployeeStatus},
            rules::{self, Condition},
            sync::{AdminView, RuleView},
        },
        stored::StoredEnum,
    },
    error::{AppError, AppResult},
};

/// A rule's condition as its author wrote it (trimmed), so it reads back as written; it is
/// normalised again by `domain::employees::rules` whenever it is evaluated.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WrittenCondition {
    pub field: String,
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// The conditions of a stored rule, as written and normalised; unreadable ones fail closed.
pub fn stored_conditions(
    rule: &admin_provisioning_rule::Model,
) -> AppResult<(Vec<WrittenCondition>, Vec<Condition>)> {
    const COLUMN: &str = "admin_provisioning_rule.conditions";
    let written: Vec<WrittenCondition> = AppError::decode_json(COLUMN, &rule.conditions)?;
    let mut input = Vec::with_capacity(written.len());
    for c in &written {
        let op = serde_json::from_value::<ConditionOp>(c.operation.as_str().into())
            .map_err(|_| AppError::corrupt(COLUMN, &c.operation))?;
        input.push((c.field.clone(), op, c.value.clone(), c.values.clone()));
    }
    let normalised =
        rules::conditions(&input).map_err(|_| AppError::corrupt(COLUMN, &rule.conditions))?;
    Ok((written, normalised))
}

pub fn rule_view(rule: &admin_provisioning_rule::Model) -> AppResult<RuleView> {
    Ok(RuleView {
        id: rule.id,
        name: rule.name.clone(),
        role: AppError::decode::<AdminRole>(&rule.role)?,
        conditions: stored_conditions(rule)?.1,
    })
}

pub fn admin_view(admin: &administrator::Model) -> AppResult<AdminView> {
    Ok(AdminView {
        id: admin.id,
        email: admin.email.clone(),
        email_folded: admin.email_folded.clone(),
        first_name: admin.first_name.clone(),
        last_name: admin.last_name.clone(),
        origin: AppError::decode::<AdminOrigin>(&admin.origin)?,
        rule_id: admin.rule_id,
        role: AppError::decode::<AdminRole>(&admin.role)?,
        status: AppError::decode::<AdminStatus>(&admin.status)?,
        employee_id: admin.employee_id.clone(),
    })
}

pub fn employee_of(row: employee::Model) -> AppResult<Employee> {
    let status = AppError::decode::<EmployeeStatus>(&row.status)?;
    let extra: BTreeMap<String, String> = AppError::decode_json("employee.extra", &row.extra)?;
    let extra = extra.into_iter().map(|(k, v)| (k.into(), v)).collect();
    Ok(Employee {
        line: u64::try_from(row.line).unwrap_or_default(),
        employee_id: row.employee_id,
        email: row.email,
        first_name: row.first_name,
        last_name: row.last_name,
        department: row.department,
        location: row.location,
        job_title: row.job_title,
        manager_id: row.manager_id,
        status,
        is_manager: row.is_manager,
        extra,
    })
}

/// Whether a stored row already says what the file says, down to the line it came from (so
/// that `Employee.line` stays true; an unchanged file rewrites nothing).
pub fn same_employee(row: &employee::Model, e: &Employee) -> bool {
    u64::try_from(row.line).ok() == Some(e.line)
        && row.email == e.email
        && row.first_name == e.first_name
        && row.last_name == e.last_name
        && row.department == e.department
        && row.location == e.location
        && row.job_title == e.job_title
        && row.manager_id == e.manager_id
        && row.status == e.status.as_str()
        && row.is_manager == e.is_manager
        && extra_json(e) == row.extra
}
