//! Rows to the domain's views and back: employees, rules and administrators.
use std::collections::BTreeMap;

use entity::{admin_provisioning_rule, administrator, employee};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, StreamTrait};

use crate::{
    db,
    domain::{
        employees::{
            AdminOrigin, AdminRole, AdminStatus,
            file::EmployeeStatus,
            rules::{self, ConditionInput},
            sync::{AdminView, RuleView},
            table::{Employee, Employees, NewEmployee},
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

/// The employees of the stored (latest) snapshot, in file order, read one row at a time into
/// a compact table.
pub async fn stored_employees<Db: ConnectionTrait + StreamTrait>(db: &Db) -> AppResult<Employees> {
    let mut employees = Employees::default();
    let mut rows = db::employees::employees_in_file_order(db).await?;
    while let Some(row) = rows.next().await {
        add_stored(&mut employees, row?)?;
    }
    Ok(employees)
}

/// Adds a stored row. Its extra columns are those its file had: a row kept from an older file
/// may lack (or have) columns that the others have, so the table's columns are all those met.
fn add_stored(employees: &mut Employees, row: employee::Model) -> AppResult<()> {
    let status = AppError::decode::<EmployeeStatus>(&row.status)?;
    let extra: BTreeMap<String, String> = AppError::decode_json("employee.extra", &row.extra)?;
    let mut values: Vec<Option<&str>> = vec![None; employees.extra_columns().len()];
    for (name, value) in &extra {
        let at = employees.add_extra_column(name);
        if at >= values.len() {
            values.resize(at + 1, None);
        }
        values[at] = Some(value);
    }
    let new = NewEmployee {
        line: u64::try_from(row.line).unwrap_or_default(),
        employee_id: &row.employee_id,
        email: &row.email,
        first_name: &row.first_name,
        last_name: &row.last_name,
        department: &row.department,
        location: &row.location,
        job_title: &row.job_title,
        manager_id: &row.manager_id,
        status,
        is_manager: row.is_manager,
    };
    employees
        .push(&new, values)
        .map_err(|_| AppError::corrupt("employee.employee_id", &row.employee_id))
}

/// Whether a stored row already says what the file says, down to the line it came from (so
/// that `Employee.line` stays true; an unchanged file rewrites nothing).
pub fn same_employee(row: &employee::Model, e: Employee<'_>) -> bool {
    u64::try_from(row.line).ok() == Some(e.line())
        && row.email == e.email()
        && row.first_name == e.first_name()
        && row.last_name == e.last_name()
        && row.department == e.department()
        && row.location == e.location()
        && row.job_title == e.job_title()
        && row.manager_id == e.manager_id()
        && row.status == e.status().as_str()
        && row.is_manager == e.is_manager()
        && row.extra.as_object().is_some_and(|stored| {
            let mut extras = 0;
            e.extras().all(|(name, value)| {
                extras += 1;
                stored.get(name).and_then(serde_json::Value::as_str) == Some(value)
            }) && extras == stored.len()
        })
}
