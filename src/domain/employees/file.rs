//! Reading an employee file: a CSV full snapshot of the organisation (PRODUCT §7).
//!
//! Two kinds of fault, on purpose: a file that cannot be trusted as a whole (not CSV, not
//! UTF-8, a header without the required columns) is refused whole, because a snapshot read
//! wrongly would deactivate people who are still there; a bad row only leaves that row out and
//! is reported by line, so one typo does not stop everyone else's sync.
mod fingerprint;
mod index;
mod records;
mod row;
mod rows;

use std::collections::HashSet;
use std::fmt;
use std::io::Read;

pub use fingerprint::{CHANGED, Fingerprint, Verified};
pub use index::{FileIds, Index, Selection};
pub use rows::{Rows, read_again};

use crate::domain::employees::table::Employees;
use crate::domain::stored::stored_enum;

/// The longest value a cell may hold, in characters: beyond it the row is left out, so a
/// runaway quoted field cannot swallow the rest of the file into one employee unnoticed.
pub const VALUE_MAX: usize = 1000;

/// The most rejected rows a snapshot keeps (the first ones, by line); the rest are only
/// counted. A file of a million bad lines must not become a million stored problems.
pub const REJECTED_KEPT: usize = 1000;

/// The most columns a header may have: every row keeps one value per extra column, so the
/// columns multiply the memory a file takes.
pub const COLUMNS_MAX: usize = 250;

/// The longest column name, in characters (rule fields name columns; none is this long).
pub const COLUMN_NAME_MAX: usize = 128;

/// The required columns by canonical name, in the order their indexes are kept: the order the
/// table keeps their values in (`table::EMPLOYEE_ID` and the others).
pub(crate) const REQUIRED: [&str; 8] = [
    "EmployeeId",
    "Email",
    "FirstName",
    "LastName",
    "Department",
    "Location",
    "JobTitle",
    "ManagerId",
];
const STATUS: &str = "status";

stored_enum! {
    /// Whether the HR system still employs someone. Terminated employees match no rule. Its
    /// spelling is also the value rules compare against.
    pub enum EmployeeStatus in "employee.status" {
        Active = "active",
        Terminated = "terminated",
    }
}

/// A row left out (or, in a sync plan, a row whose change was skipped), with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// 1-based line where the row starts; the header is line 1.
    pub line: u64,
    /// The row's EmployeeId when it has one, so its administrator can be left as it is.
    pub employee_id: Option<String>,
    pub message: String,
}

/// A parsed file: the accepted employees in file order and the rows left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// With the columns beyond the known ones (normalised, in header order): what rules may
    /// name.
    pub employees: Employees,
    /// The first [`REJECTED_KEPT`] rows left out.
    pub rejected: Vec<RowProblem>,
    /// How many rows were left out in all.
    pub rejected_total: u64,
    /// The EmployeeIds of every row left out (not only the first ones): their
    /// administrators and stored rows are left as they are.
    pub rejected_ids: HashSet<String>,
}

/// The file was refused whole; nothing may change because of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRejection {
    pub message: String,
}

impl fmt::Display for FileRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FileRejection {}

fn rejection(message: impl Into<String>) -> FileRejection {
    FileRejection {
        message: message.into(),
    }
}

/// A file that could not be read (again): refused whole.
pub fn unreadable(message: impl Into<String>) -> FileRejection {
    rejection(message)
}

/// The form under which column names (and rule fields) are compared: HR exports disagree on
/// case and stray spaces, never on spelling.
pub fn normalise_column(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Reads a whole employee file in one pass, keeping every accepted employee in a table: for
/// small files and tests. A sync reads a file twice instead ([`index`], then [`read_again`])
/// and never holds its rows; both make the same checks (this is the first pass, with the rows
/// kept).
pub fn parse<R: Read>(reader: R) -> Result<Snapshot, FileRejection> {
    let mut employees: Option<Employees> = None;
    let index = index::read(reader, |accepted| {
        let table = employees.get_or_insert_with(|| Employees::new(accepted.columns.extra_names()));
        row::push(
            table,
            accepted.columns,
            accepted.record,
            accepted.line,
            accepted.status,
            false,
        )
    })?;
    let mut employees = employees.unwrap_or_else(|| Employees::new(index.extra_columns.clone()));
    for number in 0..employees.len() {
        employees.set_manager(number, index.selection.managers.get(number as u64));
    }
    Ok(Snapshot {
        employees,
        rejected: index.rejected,
        rejected_total: index.rejected_total,
        rejected_ids: index.rejected_ids,
    })
}

/// The first pass over a file: every check, the rows left out, and what the second pass
/// ([`read_again`]) needs, never the rows themselves.
pub fn index<R: Read>(reader: R) -> Result<Index, FileRejection> {
    index::read(reader, |_| Ok(()))
}

#[cfg(test)]
mod tests;
