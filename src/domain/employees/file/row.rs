//! One data record of an employee file: the checks that need nothing but the record (its
//! width, its values' lengths and characters, its id, email, names and status), and the
//! record as a row of an [`Employees`] table once it is accepted.
use super::records::Columns;
use super::{EmployeeStatus, FileRejection, VALUE_MAX, rejection};
use crate::domain::employees::table::{
    DEPARTMENT, EMAIL, EMPLOYEE_ID, Employees, FIRST_NAME, JOB_TITLE, LAST_NAME, LOCATION,
    MANAGER_ID, NewEmployee, Refused,
};
use crate::domain::validate;

/// Value `i` of a record, trimmed; `""` past its end.
pub(super) fn value(record: &csv::StringRecord, i: usize) -> &str {
    record.get(i).unwrap_or("").trim()
}

/// The record's EmployeeId (trimmed, possibly blank).
pub(super) fn employee_id<'r>(columns: &Columns, record: &'r csv::StringRecord) -> &'r str {
    value(record, columns.required[EMPLOYEE_ID])
}

/// The record's Email as the file gives it (trimmed).
pub(super) fn email<'r>(columns: &Columns, record: &'r csv::StringRecord) -> &'r str {
    value(record, columns.required[EMAIL])
}

/// The record's ManagerId (trimmed; `""` for none).
pub(super) fn manager_id<'r>(columns: &Columns, record: &'r csv::StringRecord) -> &'r str {
    value(record, columns.required[MANAGER_ID])
}

/// The checks of a row that need nothing but the row: its width, its values' lengths and
/// characters, its id, email and names, and its status. The email as validated and the status,
/// or why the row is left out.
pub(super) fn checked(
    columns: &Columns,
    record: &csv::StringRecord,
) -> Result<(String, EmployeeStatus), String> {
    let id = employee_id(columns, record);
    if record.len() != columns.width {
        return Err(format!(
            "has {} fields; the header has {}",
            record.len(),
            columns.width
        ));
    }
    if let Some(long) = (0..record.len()).find(|&i| value(record, i).chars().count() > VALUE_MAX) {
        return Err(format!(
            "column {} is longer than {VALUE_MAX} characters",
            long + 1
        ));
    }
    if let Some(at) = (0..record.len()).find(|&i| value(record, i).chars().any(forbidden_control)) {
        let label = columns.labels.get(at).map_or("a column", String::as_str);
        return Err(format!(
            "{label} must not contain control characters (only tabs and line breaks, in a \
             quoted field)"
        ));
    }
    if id.is_empty() {
        return Err("EmployeeId is blank".to_owned());
    }
    if id.chars().any(char::is_control) {
        return Err("EmployeeId must not contain control characters".to_owned());
    }
    let email = validate::email("Email", email(columns, record))
        .map_err(|e| format!("Email {}", e.message))?;
    for (name, i) in [("FirstName", FIRST_NAME), ("LastName", LAST_NAME)] {
        let text = value(record, columns.required[i]);
        if text.chars().count() > validate::NAME_MAX {
            return Err(format!(
                "{name} is longer than {} characters",
                validate::NAME_MAX
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(format!("{name} must not contain control characters"));
        }
    }
    let status = status(columns, record)?;
    Ok((email, status))
}

/// The record's Status: active when the file has no such column or leaves it blank.
pub(super) fn status(
    columns: &Columns,
    record: &csv::StringRecord,
) -> Result<EmployeeStatus, String> {
    match columns.status.map(|i| value(record, i)) {
        None => Ok(EmployeeStatus::Active),
        Some(s) if s.is_empty() || s.eq_ignore_ascii_case("active") => Ok(EmployeeStatus::Active),
        Some(s) if s.eq_ignore_ascii_case("terminated") => Ok(EmployeeStatus::Terminated),
        Some(s) => Err(format!("Status {s:?} is neither active nor terminated")),
    }
}

/// A control character no field may hold: NUL and the like are never HR data (and
/// PostgreSQL cannot store a NUL). Tabs and line breaks can be, in a quoted field.
fn forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Adds an accepted record to `employees`. Its email is the record's own value: the check
/// that accepted it only trimmed it.
pub(super) fn push(
    employees: &mut Employees,
    columns: &Columns,
    record: &csv::StringRecord,
    line: u64,
    status: EmployeeStatus,
    is_manager: bool,
) -> Result<(), FileRejection> {
    let at = |i: usize| value(record, columns.required[i]);
    let new = NewEmployee {
        line,
        employee_id: at(EMPLOYEE_ID),
        email: at(EMAIL),
        first_name: at(FIRST_NAME),
        last_name: at(LAST_NAME),
        department: at(DEPARTMENT),
        location: at(LOCATION),
        job_title: at(JOB_TITLE),
        manager_id: at(MANAGER_ID),
        status,
        is_manager,
    };
    let extra = columns.extra.iter().map(|(i, _)| Some(value(record, *i)));
    employees
        .push(&new, extra)
        .map_err(|refused| match refused {
            Refused::Full => rejection(format!(
                "line {line}: the file has more employees than can be read at once ({})",
                u32::MAX
            )),
            // The index refused repeated ids and control characters before the row got here.
            Refused::Repeated { .. } | Refused::Separator => rejection(format!(
                "line {line}: a row accepted when the file was indexed could not be read again"
            )),
        })
}
