//! The employees of a snapshot, held compactly: a file of a million employees must fit in
//! tens of megabytes, not the gigabyte that one struct of `String`s and one map of extra
//! columns per row took (about 1.1 KB an employee).
//!
//! The column names are kept once, for the whole table. Each row's values lie back to back in
//! a shared text buffer, each value ended by a control character that no accepted value can
//! hold (the file refuses such rows, and the stored snapshot holds only what a file accepted),
//! so a row costs its text plus 17 bytes: where it starts, its line and two flags. The buffer
//! grows by chunks, never by reallocating what it holds, so a large file does not briefly need
//! twice its size. Rows are read through [`Employee`], a view that borrows the table.
//!
//! The table also indexes its rows by EmployeeId (a hash table of row numbers, 5 to 10 bytes
//! a row, the ids themselves staying in the buffer): ids are unique by construction, and the
//! sync finds a stored row's employee without a map of its own.
use std::collections::{BTreeMap, hash_map::RandomState};
use std::fmt;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::domain::employees::file::EmployeeStatus;

/// Ends each value of a row (the ASCII unit separator).
const VALUE_END: char = '\u{1f}';
/// Ends a row (the ASCII record separator), after the end of its last value.
const ROW_END: char = '\u{1e}';
/// Stands for an extra column that a row does not have (the ASCII group separator): a stored
/// row kept from an older file can lack a column a newer file brought.
const ABSENT: &str = "\u{1d}";
/// Bytes of text per chunk of the buffer (a longer row gets a chunk of its own size).
const CHUNK: usize = 1 << 20;

// Where each known value sits in a row (and each required column in the file's `REQUIRED`).
pub(super) const EMPLOYEE_ID: usize = 0;
pub(super) const EMAIL: usize = 1;
pub(super) const FIRST_NAME: usize = 2;
pub(super) const LAST_NAME: usize = 3;
pub(super) const DEPARTMENT: usize = 4;
pub(super) const LOCATION: usize = 5;
pub(super) const JOB_TITLE: usize = 6;
pub(super) const MANAGER_ID: usize = 7;
/// The values every row has, in this order, before its extra columns.
const KNOWN: usize = 8;

const TERMINATED: u8 = 1;
const MANAGER: u8 = 2;

/// Where a row's text starts, and the line it came from.
#[derive(Clone, Copy)]
struct Row {
    chunk: u32,
    offset: u32,
    line: u64,
}

/// The employees of one snapshot, in the order they were added (file order), with unique
/// EmployeeIds.
#[derive(Clone, Default)]
pub struct Employees {
    /// The extra columns by normalised name, in header order: one name for every row.
    extra_columns: Vec<String>,
    chunks: Vec<String>,
    rows: Vec<Row>,
    /// [`TERMINATED`] and [`MANAGER`] of each row.
    flags: Vec<u8>,
    /// Row numbers by the hash of their EmployeeId.
    by_id: HashTable<u32>,
    hasher: RandomState,
}

/// One row to add, its values trimmed as the file gives them.
pub struct NewEmployee<'a> {
    pub line: u64,
    pub employee_id: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub department: &'a str,
    pub location: &'a str,
    pub job_title: &'a str,
    pub manager_id: &'a str,
    pub status: EmployeeStatus,
    pub is_manager: bool,
}

/// Why a row could not be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Its EmployeeId is already in the table, on this line.
    Repeated { line: u64 },
    /// The table holds as many rows as a row number can count (4,294,967,295).
    Full,
    /// A value holds one of the control characters that separate values in the table (no
    /// accepted employee file holds one).
    Separator,
}

impl Employees {
    /// An empty table whose rows will have these extra columns (normalised names).
    pub fn new(extra_columns: Vec<String>) -> Self {
        Self {
            extra_columns,
            ..Self::default()
        }
    }

    /// The extra columns, by normalised name, in header order.
    pub fn extra_columns(&self) -> &[String] {
        &self.extra_columns
    }

    /// Adds an extra column that rows added from now on may have; earlier rows read it as
    /// absent. Returns its position among the extra columns (the existing one if the name is
    /// already there).
    pub fn add_extra_column(&mut self, name: &str) -> usize {
        match self.extra_columns.iter().position(|c| c == name) {
            Some(at) => at,
            None => {
                self.extra_columns.push(name.to_owned());
                self.extra_columns.len() - 1
            }
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The employee of row `index` (file order), if there is one.
    pub fn get(&self, index: usize) -> Option<Employee<'_>> {
        (index < self.rows.len()).then_some(Employee { table: self, index })
    }

    /// Every employee, in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Employee<'_>> + '_ {
        (0..self.rows.len()).map(move |index| Employee { table: self, index })
    }

    /// The employee with this EmployeeId.
    pub fn find(&self, employee_id: &str) -> Option<Employee<'_>> {
        let hash = self.hasher.hash_one(employee_id);
        self.by_id
            .find(hash, |&row| {
                self.value(row as usize, EMPLOYEE_ID) == employee_id
            })
            .map(|&row| Employee {
                table: self,
                index: row as usize,
            })
    }

    /// Adds a row with its extra values (`None`: the row does not have that column), in the
    /// order of [`Self::extra_columns`]; values past the columns are ignored. Refused when its
    /// EmployeeId is already there.
    pub fn push<'v>(
        &mut self,
        employee: &NewEmployee<'_>,
        extra: impl IntoIterator<Item = Option<&'v str>>,
    ) -> Result<(), Refused> {
        if let Some(earlier) = self.find(employee.employee_id) {
            return Err(Refused::Repeated {
                line: earlier.line(),
            });
        }
        let index = u32::try_from(self.rows.len()).map_err(|_| Refused::Full)?;
        let separator = |v: &str| v.contains(['\u{1d}', ROW_END, VALUE_END]);
        let known = [
            employee.employee_id,
            employee.email,
            employee.first_name,
            employee.last_name,
            employee.department,
            employee.location,
            employee.job_title,
            employee.manager_id,
        ];
        let extra: Vec<Option<&str>> = extra.into_iter().take(self.extra_columns.len()).collect();
        if known
            .iter()
            .copied()
            .chain(extra.iter().flatten().copied())
            .any(separator)
        {
            return Err(Refused::Separator);
        }
        // Trailing absent columns are left out: a row without them reads them as absent.
        let kept = extra.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        let values = known
            .into_iter()
            .chain(extra[..kept].iter().map(|v| v.unwrap_or(ABSENT)));
        let size: usize = values.clone().map(|v| v.len() + 1).sum::<usize>() + 1;
        let chunk = match self.chunks.last() {
            Some(last) if last.capacity() - last.len() >= size => self.chunks.len() - 1,
            _ => {
                self.chunks.push(String::with_capacity(size.max(CHUNK)));
                self.chunks.len() - 1
            }
        };
        let text = &mut self.chunks[chunk];
        let row = Row {
            chunk: u32::try_from(chunk).map_err(|_| Refused::Full)?,
            offset: u32::try_from(text.len()).map_err(|_| Refused::Full)?,
            line: employee.line,
        };
        for value in values {
            text.push_str(value);
            text.push(VALUE_END);
        }
        text.push(ROW_END);
        self.rows.push(row);
        let mut flags = 0;
        if employee.status == EmployeeStatus::Terminated {
            flags |= TERMINATED;
        }
        if employee.is_manager {
            flags |= MANAGER;
        }
        self.flags.push(flags);
        let hasher = &self.hasher;
        let hash = hasher.hash_one(employee.employee_id);
        let (chunks, rows) = (&self.chunks, &self.rows);
        self.by_id.insert_unique(hash, index, |&row| {
            hasher.hash_one(value_in(chunks, rows, row as usize, EMPLOYEE_ID).unwrap_or(""))
        });
        Ok(())
    }

    /// Sets every `is_manager`: true when another *active* employee's ManagerId names this
    /// employee. A terminated report no longer makes anyone a manager; an employee naming
    /// themself does not count; unknown ids are ignored. One pass and one lookup a row, and
    /// nothing walks the reporting chain, so cycles need no care.
    pub fn derive_managers(&mut self) {
        let mut managers = vec![false; self.rows.len()];
        for employee in self.iter() {
            if employee.status() != EmployeeStatus::Active {
                continue;
            }
            let manager = employee.manager_id().trim();
            if manager.is_empty() || manager == employee.employee_id().trim() {
                continue;
            }
            if let Some(named) = self.find(manager) {
                managers[named.index] = true;
            }
        }
        for (flags, manager) in self.flags.iter_mut().zip(managers) {
            *flags = if manager {
                *flags | MANAGER
            } else {
                *flags & !MANAGER
            };
        }
    }

    /// Sets whether row `index` is a manager, as a reading of the whole file found (a row
    /// alone cannot tell).
    pub fn set_manager(&mut self, index: usize, manager: bool) {
        if let Some(flags) = self.flags.get_mut(index) {
            *flags = if manager {
                *flags | MANAGER
            } else {
                *flags & !MANAGER
            };
        }
    }

    /// The text of a row, without its end.
    fn row_text(&self, index: usize) -> &str {
        row_text_in(&self.chunks, &self.rows, index).unwrap_or("")
    }

    /// Value `at` of a row (see [`KNOWN`]); `""` when the row has no such value.
    fn value(&self, index: usize, at: usize) -> &str {
        value_in(&self.chunks, &self.rows, index, at).unwrap_or("")
    }
}

fn row_text_in<'a>(chunks: &'a [String], rows: &[Row], index: usize) -> Option<&'a str> {
    let row = rows.get(index)?;
    let text = chunks.get(row.chunk as usize)?.get(row.offset as usize..)?;
    text.split(ROW_END).next()
}

fn value_in<'a>(chunks: &'a [String], rows: &[Row], index: usize, at: usize) -> Option<&'a str> {
    row_text_in(chunks, rows, index)?
        .split_terminator(VALUE_END)
        .nth(at)
}

impl<'a> IntoIterator for &'a Employees {
    type Item = Employee<'a>;
    type IntoIter = Box<dyn ExactSizeIterator<Item = Employee<'a>> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl fmt::Debug for Employees {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Two tables are equal when they hold the same employees in the same order, with the same
/// extra columns.
impl PartialEq for Employees {
    fn eq(&self, other: &Self) -> bool {
        self.extra_columns == other.extra_columns
            && self.len() == other.len()
            && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Eq for Employees {}

/// One employee of an [`Employees`] table. Values are trimmed but keep their case: rules fold
/// when they compare.
#[derive(Clone, Copy)]
pub struct Employee<'a> {
    table: &'a Employees,
    index: usize,
}

impl<'a> Employee<'a> {
    /// Its row number in its table (file order).
    pub fn index(self) -> usize {
        self.index
    }

    /// Where the row starts in the file (header = line 1), for notes that point at it.
    pub fn line(self) -> u64 {
        self.table.rows[self.index].line
    }

    pub fn employee_id(self) -> &'a str {
        self.table.value(self.index, EMPLOYEE_ID)
    }

    pub fn email(self) -> &'a str {
        self.table.value(self.index, EMAIL)
    }

    pub fn first_name(self) -> &'a str {
        self.table.value(self.index, FIRST_NAME)
    }

    pub fn last_name(self) -> &'a str {
        self.table.value(self.index, LAST_NAME)
    }

    pub fn department(self) -> &'a str {
        self.table.value(self.index, DEPARTMENT)
    }

    pub fn location(self) -> &'a str {
        self.table.value(self.index, LOCATION)
    }

    pub fn job_title(self) -> &'a str {
        self.table.value(self.index, JOB_TITLE)
    }

    /// `""` when the employee has no manager.
    pub fn manager_id(self) -> &'a str {
        self.table.value(self.index, MANAGER_ID)
    }

    pub fn status(self) -> EmployeeStatus {
        if self.table.flags[self.index] & TERMINATED != 0 {
            EmployeeStatus::Terminated
        } else {
            EmployeeStatus::Active
        }
    }

    /// Derived ([`Employees::derive_managers`]): another active employee names this one as
    /// manager.
    pub fn is_manager(self) -> bool {
        self.table.flags[self.index] & MANAGER != 0
    }

    /// The value of an extra column by normalised name; `None` when the table has no such
    /// column or this row does not have it.
    pub fn extra(self, name: &str) -> Option<&'a str> {
        let at = self.table.extra_columns.iter().position(|c| c == name)?;
        self.extras_from(at).next().flatten()
    }

    /// The extra columns this row has, by normalised name, in column order.
    pub fn extras(self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let names = self.table.extra_columns.iter().map(String::as_str);
        names
            .zip(self.extras_from(0))
            .filter_map(|(name, value)| value.map(|v| (name, v)))
    }

    /// The extra values from extra column `at` on (`None` for an absent one).
    fn extras_from(self, at: usize) -> impl Iterator<Item = Option<&'a str>> + 'a {
        self.table
            .row_text(self.index)
            .split_terminator(VALUE_END)
            .skip(KNOWN + at)
            .map(|v| (v != ABSENT).then_some(v))
    }

    /// A copy of this employee that owns its values, for the few that are listed (the
    /// employees a conflict is about).
    pub fn to_record(self) -> EmployeeRecord {
        EmployeeRecord {
            line: self.line(),
            employee_id: self.employee_id().to_owned(),
            email: self.email().to_owned(),
            first_name: self.first_name().to_owned(),
            last_name: self.last_name().to_owned(),
            department: self.department().to_owned(),
            location: self.location().to_owned(),
            job_title: self.job_title().to_owned(),
            manager_id: self.manager_id().to_owned(),
            status: self.status(),
            is_manager: self.is_manager(),
            extra: self
                .extras()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }
}

impl fmt::Debug for Employee<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_record().fmt(f)
    }
}

impl PartialEq for Employee<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.line() == other.line()
            && self.status() == other.status()
            && self.is_manager() == other.is_manager()
            && self
                .table
                .row_text(self.index)
                .split_terminator(VALUE_END)
                .take(KNOWN)
                .eq(other
                    .table
                    .row_text(other.index)
                    .split_terminator(VALUE_END)
                    .take(KNOWN))
            && self.extras().eq(other.extras())
    }
}

/// An employee copied out of a table, owning its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployeeRecord {
    pub line: u64,
    pub employee_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub department: String,
    pub location: String,
    pub job_title: String,
    pub manager_id: String,
    pub status: EmployeeStatus,
    pub is_manager: bool,
    /// The extra columns the row has, by normalised name.
    pub extra: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests;
