//! The first pass over an employee file: every check the reader makes, in file order, keeping
//! only what the second pass and the sync need, never the rows. A row's id and folded email
//! are kept as 128-bit keyed hashes (16 bytes each, whatever their length) with the row's
//! number, enough to refuse a repeat and name the line of the first; which records were
//! accepted and which accepted employees are managers are a bit each. About 70 bytes an
//! employee while the file is read, 16 after (the ids, for the stored rows of people gone).
use std::collections::{HashSet, hash_map::RandomState};
use std::hash::BuildHasher;
use std::io::Read;

use hashbrown::HashTable;

use super::fingerprint::{Fingerprint, Fingerprinting};
use super::records::{Columns, Records};
use super::row::{self, employee_id, manager_id};
use super::{EmployeeStatus, FileRejection, REJECTED_KEPT, RowProblem, rejection};
use crate::domain::employees::rules::folded_text;

/// What the first pass found: the rows left out, whole, and what the second pass needs to
/// read the accepted ones again.
pub struct Index {
    /// The columns beyond the known ones (normalised, in header order): what rules may name.
    pub extra_columns: Vec<String>,
    /// The first [`REJECTED_KEPT`] rows left out.
    pub rejected: Vec<RowProblem>,
    /// How many rows were left out in all.
    pub rejected_total: u64,
    /// The EmployeeIds of every row left out (not only the first ones): their
    /// administrators and stored rows are left as they are.
    pub rejected_ids: HashSet<String>,
    /// How many employees the file has (rows accepted).
    pub employees: usize,
    /// The accepted EmployeeIds.
    pub ids: FileIds,
    /// What the second pass reads: taken by it.
    pub selection: Selection,
}

/// Which records the second pass turns into employees, what one record cannot tell (whether
/// its employee is a manager), and the fingerprint that proves it reads the same file.
pub struct Selection {
    /// By record (blank ones not counted), in file order.
    pub(super) accepted: Bits,
    /// By accepted employee, in file order.
    pub(super) managers: Bits,
    pub(super) fingerprint: Fingerprint,
}

impl Selection {
    /// The fingerprint of the file, to read it yet again (a held sync keeps its file).
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }
}

/// One bit a number, from 0 up.
#[derive(Default)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    pub(super) fn get(&self, at: u64) -> bool {
        usize::try_from(at / 64)
            .ok()
            .and_then(|word| self.0.get(word))
            .is_some_and(|word| word & (1 << (at % 64)) != 0)
    }

    fn set(&mut self, at: u64) {
        let Ok(word) = usize::try_from(at / 64) else {
            return;
        };
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (at % 64);
    }
}

/// A 128-bit hash: two keyed 64-bit SipHashes. Two different values of one file share a key
/// with odds of about 10^-27 for a million rows, and the keys are drawn for each file, so a
/// file cannot be written to make two values collide.
type Key = [u64; 2];

#[derive(Clone)]
struct Hashers(RandomState, RandomState);

impl Hashers {
    fn new() -> Self {
        Self(RandomState::new(), RandomState::new())
    }

    fn key(&self, value: &str) -> Key {
        [self.0.hash_one(value), self.1.hash_one(value)]
    }
}

/// Keys by employee number, found through a hash table of those numbers.
#[derive(Default)]
struct KeyTable {
    keys: Vec<Key>,
    numbers: HashTable<u32>,
}

impl KeyTable {
    fn find(&self, key: Key) -> Option<u32> {
        self.numbers
            .find(key[0], |&n| self.keys.get(n as usize) == Some(&key))
            .copied()
    }

    /// Adds the key of the next employee (number `self.keys.len()`, which fits a `u32`: the
    /// indexer checked).
    fn push(&mut self, key: Key) {
        let number = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.keys.push(key);
        let keys = &self.keys;
        self.numbers.insert_unique(key[0], number, |&n| {
            keys.get(n as usize).map_or(0, |k| k[0])
        });
    }
}

/// The accepted EmployeeIds of a file, as sorted keys: 16 bytes an id.
pub struct FileIds {
    hashers: Hashers,
    sorted: Vec<Key>,
}

impl FileIds {
    pub fn contains(&self, employee_id: &str) -> bool {
        self.sorted
            .binary_search(&self.hashers.key(employee_id))
            .is_ok()
    }
}

/// An accepted record, as the first pass hands it to whoever also wants the row.
pub(super) struct Accepted<'r> {
    pub(super) columns: &'r Columns,
    pub(super) record: &'r csv::StringRecord,
    pub(super) line: u64,
    pub(super) status: EmployeeStatus,
}

/// Reads a whole file once, checking every row; `accepted` is given each accepted row.
pub(super) fn read<R: Read>(
    reader: R,
    mut accepted: impl FnMut(Accepted<'_>) -> Result<(), FileRejection>,
) -> Result<Index, FileRejection> {
    let (mut records, columns) = Records::open(Fingerprinting::new(reader))?;
    let mut indexer = Indexer {
        hashers: Hashers::new(),
        ids: KeyTable::default(),
        emails: KeyTable::default(),
        lines: Vec::new(),
        unresolved_managers: Vec::new(),
        records: 0,
        selection: (Bits::default(), Bits::default()),
        rejected: Vec::new(),
        rejected_total: 0,
        rejected_ids: HashSet::new(),
    };
    while let Some((record, line)) = records.next()? {
        if let Some(status) = indexer.row(&columns, record, line)? {
            accepted(Accepted {
                columns: &columns,
                record,
                line,
                status,
            })?;
        }
    }
    let fingerprint = records.into_inner().finish();
    Ok(indexer.finish(columns.extra_names(), fingerprint))
}

/// A row that passed every check: its status, and its id's and folded email's keys.
struct Checked {
    status: EmployeeStatus,
    id: Key,
    email: Key,
}

struct Indexer {
    hashers: Hashers,
    /// The accepted ids' keys, by employee number.
    ids: KeyTable,
    /// The accepted folded emails' keys, by employee number.
    emails: KeyTable,
    /// The line of each accepted employee, for "already appears on line N".
    lines: Vec<u64>,
    /// The ManagerIds that named nobody yet when their row was read (the manager's row may
    /// come later): looked up once the file is read.
    unresolved_managers: Vec<Key>,
    /// Records read (blank ones not counted).
    records: u64,
    /// Accepted records, and managers by employee number.
    selection: (Bits, Bits),
    rejected: Vec<RowProblem>,
    rejected_total: u64,
    rejected_ids: HashSet<String>,
}

impl Indexer {
    /// Checks one record in file order: `Some(status)` when it is accepted, `None` when it is
    /// left out (and reported), `Err` when the file cannot be taken at all.
    fn row(
        &mut self,
        columns: &Columns,
        record: &csv::StringRecord,
        line: u64,
    ) -> Result<Option<EmployeeStatus>, FileRejection> {
        let ordinal = self.records;
        self.records += 1;
        match self.check(columns, record, line)? {
            Ok(checked) => {
                let status = checked.status;
                self.accept(columns, record, checked, line);
                self.selection.0.set(ordinal);
                Ok(Some(status))
            }
            Err(problem) => {
                self.reject(problem);
                Ok(None)
            }
        }
    }

    /// The row's status and its id's and folded email's keys, or why it is left out. A row
    /// left out registers neither, so a later row with its id or email is judged alone.
    fn check(
        &self,
        columns: &Columns,
        record: &csv::StringRecord,
        line: u64,
    ) -> Result<Result<Checked, RowProblem>, FileRejection> {
        let id = employee_id(columns, record);
        // An id with control characters is not repeated in the problem: PostgreSQL cannot
        // store a NUL, in text or in JSON.
        let problem = |message: String| RowProblem {
            line,
            employee_id: (!id.is_empty() && !id.chars().any(char::is_control))
                .then(|| id.to_owned()),
            message,
        };
        let (email, status) = match row::checked(columns, record) {
            Ok(checked) => checked,
            Err(message) => return Ok(Err(problem(message))),
        };
        let id_key = self.hashers.key(id);
        if let Some(earlier) = self.ids.find(id_key) {
            return Ok(Err(problem(format!(
                "EmployeeId {id} already appears on line {}",
                self.line(earlier)
            ))));
        }
        let email_key = self.hashers.key(&folded_text(&email));
        if let Some(earlier) = self.emails.find(email_key) {
            return Ok(Err(problem(format!(
                "Email {email} already appears on line {}",
                self.line(earlier)
            ))));
        }
        if u32::try_from(self.lines.len()).is_err() {
            return Err(rejection(format!(
                "line {line}: the file has more employees than can be read at once ({})",
                u32::MAX
            )));
        }
        Ok(Ok(Checked {
            status,
            id: id_key,
            email: email_key,
        }))
    }

    fn line(&self, number: u32) -> u64 {
        self.lines.get(number as usize).copied().unwrap_or_default()
    }

    fn accept(
        &mut self,
        columns: &Columns,
        record: &csv::StringRecord,
        checked: Checked,
        line: u64,
    ) {
        let status = checked.status;
        self.ids.push(checked.id);
        self.emails.push(checked.email);
        self.lines.push(line);
        // As `Employees::derive_managers`: an active employee makes the employee their
        // ManagerId names a manager, unless it names themself.
        let manager = manager_id(columns, record);
        if status != EmployeeStatus::Active
            || manager.is_empty()
            || manager == employee_id(columns, record)
        {
            return;
        }
        let key = self.hashers.key(manager);
        match self.ids.find(key) {
            Some(number) => self.selection.1.set(u64::from(number)),
            None => self.unresolved_managers.push(key),
        }
    }

    fn reject(&mut self, problem: RowProblem) {
        self.rejected_total += 1;
        if let Some(id) = &problem.employee_id {
            self.rejected_ids.insert(id.clone());
        }
        if self.rejected.len() < REJECTED_KEPT {
            self.rejected.push(problem);
        }
    }

    fn finish(mut self, extra_columns: Vec<String>, fingerprint: Fingerprint) -> Index {
        // The emails and lines are done with: dropped before the ids are sorted.
        drop(std::mem::take(&mut self.emails));
        drop(std::mem::take(&mut self.lines));
        let (accepted, mut managers) = self.selection;
        for key in std::mem::take(&mut self.unresolved_managers) {
            if let Some(number) = self.ids.find(key) {
                managers.set(u64::from(number));
            }
        }
        let KeyTable { keys, numbers } = self.ids;
        drop(numbers);
        let employees = keys.len();
        let mut sorted = keys;
        sorted.sort_unstable();
        Index {
            extra_columns,
            rejected: self.rejected,
            rejected_total: self.rejected_total,
            rejected_ids: self.rejected_ids,
            employees,
            ids: FileIds {
                hashers: self.hashers,
                sorted,
            },
            selection: Selection {
                accepted,
                managers,
                fingerprint,
            },
        }
    }
}
