//! The CSV layer of an employee file: its header (which column is which) and its records,
//! each with the line it starts on. Both passes over a file read it through here, so they see
//! the same records at the same lines.
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Read;

use super::{COLUMN_NAME_MAX, COLUMNS_MAX};
use super::{FileRejection, REQUIRED, STATUS, normalise_column, rejection};

/// Where each column of the header is.
pub(super) struct Columns {
    pub(super) required: [usize; 8],
    pub(super) status: Option<usize>,
    /// `(index, normalised name)` of every extra column.
    pub(super) extra: Vec<(usize, String)>,
    /// What a row's problem calls each column: the canonical name of a known column, the
    /// header's (trimmed) of any other.
    pub(super) labels: Vec<String>,
    pub(super) width: usize,
}

impl Columns {
    /// The extra columns' normalised names, in header order.
    pub(super) fn extra_names(&self) -> Vec<String> {
        self.extra.iter().map(|(_, name)| name.clone()).collect()
    }
}

/// The records of a file after its header, blank ones skipped.
pub(super) struct Records<R> {
    csv: csv::Reader<Lines<R>>,
    record: csv::StringRecord,
}

impl<R: Read> Records<R> {
    /// Reads the header (the first record that is not blank); refuses a file without a usable
    /// one.
    pub(super) fn open(reader: R) -> Result<(Self, Columns), FileRejection> {
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Lines::new(reader));
        let mut records = Self {
            csv,
            record: csv::StringRecord::new(),
        };
        loop {
            if !records.read()? {
                return Err(rejection("the file is empty"));
            }
            if !is_blank(&records.record) {
                break;
            }
        }
        let columns = columns(&records.record)?;
        Ok((records, columns))
    }

    /// The next record that is not blank, with the line it starts on.
    pub(super) fn next(&mut self) -> Result<Option<(&csv::StringRecord, u64)>, FileRejection> {
        loop {
            if !self.read()? {
                return Ok(None);
            }
            if !is_blank(&self.record) {
                break;
            }
        }
        let line = line_of(&mut self.csv, self.record.position());
        Ok(Some((&self.record, line)))
    }

    /// The reader under the CSV layer, once every record is read.
    pub(super) fn into_inner(self) -> R {
        self.csv.into_inner().inner
    }

    /// Reads the next record; any error the CSV reader reports refuses the file.
    fn read(&mut self) -> Result<bool, FileRejection> {
        let csv = &mut self.csv;
        csv.read_record(&mut self.record).map_err(|err| {
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
