//! Rows to the domain's views and back: employees, rules and administrators.
use std::collections::BTreeMap;

use entity::{admin_provisioning_rule, administrator, employee};

use crate::{
    db::{self, employees::extra_json},
    domain::{
        employees::{
            AdminOrigin, AdminRole, AdminStatus,
            file::{Employee, EmployeeStatus},
            rules::{self, ConditionInput},
            sync::{AdminView, RuleView},
        },
        stored::StoredEnum,
    },
    error::{AppError, AppResult},
};

/// A stored rule as the planner needs it; unreadable conditions fail closed.
pub fn rule_view(rule: &admin_provisioning_rule::Model) -> AppResult<RuleView> {
    const COLUMN: &str = "admin_provisioning_rule.conditions";
    let role = AppError::decode::<AdminRole>(&rule.role)?;
    let written: Vec<ConditionInput> = AppError::decode_json(COLUMN, &rule.conditions)?;
    Ok(RuleView {
        id: rule.id,
        name: rule.name.clone(),
        role,
        conditions: rules::conditions(&written)
            .map_err(|_| AppError::corrupt(COLUMN, &rule.conditions))?,
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

/// The employees of the stored (latest) snapshot.
pub async fn stored_employees(db: &impl sea_orm::ConnectionTrait) -> AppResult<Vec<Employee>> {
    let rows = db::employees::employees(db).await?;
    rows.into_iter().map(employee_of).collect()
}

fn employee_of(row: employee::Model) -> AppResult<Employee> {
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
