//! Reading an employee file: a CSV full snapshot of the organisation (PRODUCT §7).
//!
//! Two kinds of fault, on purpose: a file that cannot be trusted as a whole (not CSV, not
//! UTF-8, a header without the required columns) is refused whole, because a snapshot read
//! wrongly would deactivate people who are still there; a bad row only leaves that row out and
//! is reported by line, so one typo does not stop everyone else's sync.
use std::collections::{HashMap, HashSet, VecDeque, hash_map::RandomState};
use std::fmt;
use std::hash::BuildHasher;
use std::io::Read;

use hashbrown::HashTable;

use crate::domain::employees::rules::folded_text;
// `REQUIRED` lists the columns in the order the table keeps their values.
use crate::domain::employees::table::{
    DEPARTMENT, EMAIL, EMPLOYEE_ID, Employees, FIRST_NAME, JOB_TITLE, LAST_NAME, LOCATION,
    MANAGER_ID, NewEmployee, Refused,
};
use crate::domain::{stored::stored_enum, validate};

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

/// The required columns by canonical name, in the order their indexes are kept.
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

/// The form under which column names (and rule fields) are compared: HR exports disagree on
/// case and stray spaces, never on spelling.
pub fn normalise_column(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Where each column of the header is.
struct Columns {
    required: [usize; 8],
    status: Option<usize>,
    /// `(index, normalised name)` of every extra column.
    extra: Vec<(usize, String)>,
    /// What a row's problem calls each column: the canonical name of a known column, the
    /// header's (trimmed) of any other.
    labels: Vec<String>,
    width: usize,
}

/// Reads a whole employee file, streaming: only the accepted employees, compactly
/// ([`Employees`]), and an index of their folded emails (to refuse repeats) are held, never
/// the file's text.
pub fn parse<R: Read>(reader: R) -> Result<Snapshot, FileRejection> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(Lines::new(reader));
    let mut record = csv::StringRecord::new();
    let header = loop {
        if !read(&mut csv, &mut record)? {
            return Err(rejection("the file is empty"));
        }
        if !is_blank(&record) {
            break record.clone();
        }
    };
    let columns = columns(&header)?;
    let mut snapshot = Snapshot {
        employees: Employees::new(columns.extra.iter().map(|(_, n)| n.clone()).collect()),
        ..Snapshot::default()
    };
    let mut emails = Emails::default();
    while read(&mut csv, &mut record)? {
        if is_blank(&record) {
            continue;
        }
        let line = line_of(&mut csv, record.position());
        let accepted = row(
            &columns,
            &record,
            line,
            &mut snapshot.employees,
            &mut emails,
        )?;
        if let Err(problem) = accepted {
            snapshot.rejected_total += 1;
            if let Some(id) = &problem.employee_id {
                snapshot.rejected_ids.insert(id.clone());
            }
            if snapshot.rejected.len() < REJECTED_KEPT {
                snapshot.rejected.push(problem);
            }
        }
    }
    snapshot.employees.derive_managers();
    Ok(snapshot)
}

/// Reads the next record; any error the CSV reader reports refuses the file.
fn read<R: Read>(
    csv: &mut csv::Reader<Lines<R>>,
    record: &mut csv::StringRecord,
) -> Result<bool, FileRejection> {
    csv.read_record(record).map_err(|err| {
        let at = match err.position() {
            Some(position) => format!("line {}: ", line_of(csv, Some(position))),
            None => String::new(),
        };
        match err.kind() {
            csv::ErrorKind::Utf8 { .. } => rejection(format!(
                "{at}the file is not valid UTF-8 text; save it as CSV UTF-8"
            )),
            csv::ErrorKind::Io(io) => rejection(format!("the file could not be read: {io}")),
            _ => rejection(format!("{at}not valid CSV: {err}")),
        }
    })
}

/// The line a record starts on; 0 if the reader gave no position (it always does).
fn line_of<R: Read>(csv: &mut csv::Reader<Lines<R>>, position: Option<&csv::Position>) -> u64 {
    position.map_or(0, |p| csv.get_mut().line_at(p.byte()))
}

/// Counts line breaks as the CSV reader pulls bytes, so that a record's line can be told from
/// its byte offset. The csv crate's own `Position::line` cannot be used: it is wrong after
/// blank lines and in CRLF files (it reports where the previous record ended). Its byte
/// offset is where the previous record's content ended, give or take one terminator byte, so
/// a record starts after the run of `\r`/`\n` at or after that offset: its line is one plus
/// the breaks up to the end of that run. Only the runs the reader has buffered ahead are kept.
struct Lines<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    last: Option<u8>,
    /// Runs of line-break bytes that no record has passed yet.
    runs: VecDeque<Run>,
    /// The breaks in the runs already passed.
    passed: u64,
}

/// A run of `\r` and `\n` bytes: where it starts, and how many line breaks it holds (CRLF is
/// one, a lone CR or LF is one).
struct Run {
    start: u64,
    breaks: u64,
}

impl<R> Lines<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            last: None,
            runs: VecDeque::new(),
            passed: 0,
        }
    }

    /// The line of the record the CSV reader placed at `byte`. Calls come in file order.
    fn line_at(&mut self, byte: u64) -> u64 {
        while let Some(run) = self.runs.front() {
            if run.start > byte {
                break;
            }
            self.passed += run.breaks;
            self.runs.pop_front();
        }
        self.passed + 1
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in buf.iter().take(n) {
            if b == b'\r' || b == b'\n' {
                if !matches!(self.last, Some(b'\r' | b'\n')) {
                    self.runs.push_back(Run {
                        start: self.offset,
                        breaks: 0,
                    });
                }
                let crlf = b == b'\n' && self.last == Some(b'\r');
                if let (false, Some(run)) = (crlf, self.runs.back_mut()) {
                    run.breaks += 1;
                }
            }
            self.last = Some(b);
            self.offset += 1;
        }
        Ok(n)
    }
}

/// Spreadsheets export empty rows as `,,,,`: they are nobody, not a row without an id.
fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|v| v.trim().is_empty())
}

fn columns(header: &csv::StringRecord) -> Result<Columns, FileRejection> {
    if header.len() > COLUMNS_MAX {
        return Err(rejection(format!(
            "the header row has {} columns; at most {COLUMNS_MAX} are allowed",
            header.len()
        )));
    }
    let mut names = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        // The CSV reader strips a BOM it sees whole; this catches one it did not.
        let raw = if i == 0 {
            raw.trim_start_matches('\u{feff}')
        } else {
            raw
        };
        if raw.chars().any(char::is_control) {
            return Err(rejection(
                "the file does not look like CSV text: its first line is not a header row",
            ));
        }
        if raw.trim().chars().count() > COLUMN_NAME_MAX {
            return Err(rejection(format!(
                "header column {} is named with more than {COLUMN_NAME_MAX} characters",
                i + 1
            )));
        }
        names.push(normalise_column(raw));
    }
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        if let Some(first) = at.insert(name, i) {
            return Err(rejection(format!(
                "column {name:?} appears twice in the header (columns {} and {})",
                first + 1,
                i + 1
            )));
        }
    }
    let found = REQUIRED.map(|c| at.get(normalise_column(c).as_str()).copied());
    let missing: Vec<&str> = REQUIRED
        .iter()
        .zip(found)
        .filter_map(|(c, f)| f.is_none().then_some(*c))
        .collect();
    if missing.len() == REQUIRED.len() {
        let single = header.len() == 1 && header.iter().any(|h| h.contains([';', '\t']));
        return Err(rejection(if single {
            format!(
                "the header row is a single column: columns must be separated by commas \
                 (missing required columns: {})",
                missing.join(", ")
            )
        } else {
            format!(
                "the file does not look like an employee CSV file: its header row has none of \
                 the required columns {}",
                missing.join(", ")
            )
        }));
    }
    if !missing.is_empty() {
        return Err(rejection(format!(
            "missing required columns: {}",
            missing.join(", ")
        )));
    }
    let required = found.map(|f| f.unwrap_or(0));
    let status = at.get(STATUS).copied();
    let known: HashSet<usize> = required.iter().copied().chain(status).collect();
    let extra = names
        .iter()
        .enumerate()
        .filter(|(i, n)| !n.is_empty() && !known.contains(i))
        .map(|(i, n)| (i, n.clone()))
        .collect();
    let labels = header
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            if let Some(k) = required.iter().position(|&r| r == i) {
                REQUIRED[k].to_owned()
            } else if status == Some(i) {
                "Status".to_owned()
            } else if raw.trim().is_empty() {
                format!("column {}", i + 1)
            } else {
                raw.trim().to_owned()
            }
        })
        .collect();
    Ok(Columns {
        required,
        status,
        extra,
        labels,
        width: header.len(),
    })
}

/// The folded emails of the accepted rows, to refuse repeats: a hash table of row numbers,
/// the emails themselves staying in [`Employees`] (folding them again to compare is free for
/// the usual ASCII lower-case address).
#[derive(Default)]
struct Emails {
    rows: HashTable<u32>,
    hasher: RandomState,
}

impl Emails {
    /// The line of the accepted row with this folded email.
    fn line_of(&self, employees: &Employees, folded: &str) -> Option<u64> {
        let hash = self.hasher.hash_one(folded);
        self.rows
            .find(hash, |&row| folded_email(employees, row) == folded)
            .and_then(|&row| employees.get(row as usize))
            .map(|e| e.line())
    }

    fn insert(&mut self, employees: &Employees, folded: &str, row: usize) {
        let Ok(row) = u32::try_from(row) else { return };
        let hasher = &self.hasher;
        self.rows
            .insert_unique(hasher.hash_one(folded), row, |&other| {
                hasher.hash_one(folded_email(employees, other).as_ref())
            });
    }
}

fn folded_email(employees: &Employees, row: u32) -> std::borrow::Cow<'_, str> {
    folded_text(employees.get(row as usize).map_or("", |e| e.email()))
}

/// Reads one row into `employees`: `Ok(Err(problem))` when the row is left out, `Err` when
/// the file cannot be taken at all (more rows than a table can number).
fn row(
    columns: &Columns,
    record: &csv::StringRecord,
    line: u64,
    employees: &mut Employees,
    emails: &mut Emails,
) -> Result<Result<(), RowProblem>, FileRejection> {
    let value = |i: usize| record.get(i).unwrap_or("").trim();
    let id = value(columns.required[EMPLOYEE_ID]);
    // An id with control characters is not repeated in the problem: PostgreSQL cannot store
    // a NUL, in text or in JSON.
    let problem = |message: String| RowProblem {
        line,
        employee_id: (!id.is_empty() && !id.chars().any(char::is_control)).then(|| id.to_owned()),
        message,
    };
    let email = match checked(columns, record) {
        Ok(email) => email,
        Err(message) => return Ok(Err(problem(message))),
    };
    let status = match columns.status.map(value) {
        None => EmployeeStatus::Active,
        Some(s) if s.is_empty() || s.eq_ignore_ascii_case("active") => EmployeeStatus::Active,
        Some(s) if s.eq_ignore_ascii_case("terminated") => EmployeeStatus::Terminated,
        Some(s) => {
            return Ok(Err(problem(format!(
                "Status {s:?} is neither active nor terminated"
            ))));
        }
    };
    if let Some(earlier) = employees.find(id) {
        return Ok(Err(problem(format!(
            "EmployeeId {id} already appears on line {}",
            earlier.line()
        ))));
    }
    let folded = folded_text(&email);
    if let Some(earlier) = emails.line_of(employees, &folded) {
        return Ok(Err(problem(format!(
            "Email {email} already appears on line {earlier}"
        ))));
    }
    let new = NewEmployee {
        line,
        employee_id: id,
        email: &email,
        first_name: value(columns.required[FIRST_NAME]),
        last_name: value(columns.required[LAST_NAME]),
        department: value(columns.required[DEPARTMENT]),
        location: value(columns.required[LOCATION]),
        job_title: value(columns.required[JOB_TITLE]),
        manager_id: value(columns.required[MANAGER_ID]),
        status,
        is_manager: false,
    };
    let extra = columns.extra.iter().map(|(i, _)| Some(value(*i)));
    match employees.push(&new, extra) {
        Ok(()) => {}
        Err(Refused::Full) => {
            return Err(rejection(format!(
                "line {line}: the file has more employees than can be read at once ({})",
                u32::MAX
            )));
        }
        // Both are checked above: a repeated id, and control characters.
        Err(Refused::Repeated { line: earlier }) => {
            return Ok(Err(problem(format!(
                "EmployeeId {id} already appears on line {earlier}"
            ))));
        }
        Err(Refused::Separator) => {
            return Ok(Err(problem(
                "a value must not contain control characters".to_owned(),
            )));
        }
    }
    emails.insert(employees, &folded, employees.len() - 1);
    Ok(Ok(()))
}

/// The checks of a row that need nothing but the row: its width, its values' lengths and
/// characters, and its id, email and names. The email as validated, or why the row is left
/// out.
fn checked(columns: &Columns, record: &csv::StringRecord) -> Result<String, String> {
    let value = |i: usize| record.get(i).unwrap_or("").trim();
    let id = value(columns.required[EMPLOYEE_ID]);
    if record.len() != columns.width {
        return Err(format!(
            "has {} fields; the header has {}",
            record.len(),
            columns.width
        ));
    }
    if let Some(long) = (0..record.len()).find(|&i| value(i).chars().count() > VALUE_MAX) {
        return Err(format!(
            "column {} is longer than {VALUE_MAX} characters",
            long + 1
        ));
    }
    if let Some(at) = (0..record.len()).find(|&i| value(i).chars().any(forbidden_control)) {
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
    let email = validate::email("Email", value(columns.required[EMAIL]))
        .map_err(|e| format!("Email {}", e.message))?;
    for (name, i) in [("FirstName", FIRST_NAME), ("LastName", LAST_NAME)] {
        let text = value(columns.required[i]);
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
    Ok(email)
}

/// A control character no field may hold: NUL and the like are never HR data (and
/// PostgreSQL cannot store a NUL). Tabs and line breaks can be, in a quoted field.
fn forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

#[cfg(test)]
mod tests;
