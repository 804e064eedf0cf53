//! An employee file as a door hands it over, and its readings: a sync reads a file once to
//! index it (every check, no rows kept), again to plan and write it a batch of rows at a time,
//! and a third time only when it is held (its text is kept with it). A request's body is read
//! from memory each time; an open file (the command line, the inbox) from its start, off the
//! async workers, each reading checked against the first so that a file changed in between is
//! refused rather than half applied.
use std::io::{Read, Seek, SeekFrom};

use tokio::sync::mpsc;

use crate::{
    db,
    domain::employees::{
        file::{self, CHANGED, FileRejection, Fingerprint, Index, Selection, Verified},
        table::Employees,
    },
    error::{AppError, AppResult},
};

/// An employee file as a door has it.
pub enum Body<'a> {
    /// Its bytes, as a request carried them (`POST /employee-files`, GraphQL).
    Bytes(&'a [u8]),
    /// An open file (the command line, the inbox): read as it is parsed, never whole, and at
    /// most `max_bytes` of it (`--max-employee-file-bytes`), whatever its size said when the
    /// door looked.
    File { file: std::fs::File, max_bytes: u64 },
}

/// The file of one sync, between its readings.
pub(super) enum EmployeeFile<'a> {
    Bytes(&'a [u8]),
    File { file: std::fs::File, max_bytes: u64 },
}

impl<'a> From<Body<'a>> for EmployeeFile<'a> {
    fn from(body: Body<'a>) -> Self {
        match body {
            Body::Bytes(bytes) => Self::Bytes(bytes),
            Body::File { file, max_bytes } => Self::File { file, max_bytes },
        }
    }
}

/// What the thread reading a file a second time sends: a batch, the end of the file (once it
/// is found the same as the first time), or why it could not be read.
type Sent = Result<Option<Employees>, FileRejection>;

/// Batches read ahead of the sync: two are enough to keep the reader busy while a batch is
/// written.
const READ_AHEAD: usize = 2;

impl<'a> EmployeeFile<'a> {
    /// The first reading: every row checked, none kept.
    pub(super) async fn index(self) -> AppResult<(Result<Index, FileRejection>, Self)> {
        match self {
            Self::Bytes(bytes) => Ok((file::index(bytes), self)),
            Self::File { file, max_bytes } => {
                // Reading a large file takes seconds of CPU: off the async workers.
                let (indexed, file) = tokio::task::spawn_blocking(move || {
                    let mut file = file;
                    (file::index(Limited::new(&mut file, max_bytes)), file)
                })
                .await
                .map_err(|e| AppError::Internal(format!("reading an employee file: {e}")))?;
                Ok((indexed, Self::File { file, max_bytes }))
            }
        }
    }

    /// The second reading: the accepted employees, a batch at a time.
    pub(super) fn read_again(self, selection: Selection) -> AppResult<Batches<'a>> {
        match self {
            Self::Bytes(bytes) => Ok(Batches::Bytes {
                bytes,
                rows: Box::new(file::read_again(bytes, selection).map_err(|r| unreadable(&r))?),
            }),
            Self::File { file, max_bytes } => {
                let (sender, batches) = mpsc::channel(READ_AHEAD);
                let reader = tokio::task::spawn_blocking(move || {
                    let mut file = file;
                    read_batches(&mut file, max_bytes, selection, &sender);
                    file
                });
                Ok(Batches::File {
                    batches,
                    reader,
                    max_bytes,
                })
            }
        }
    }

    /// The file as text, to keep with a held sync, checked against `fingerprint` (a file must
    /// not be kept other than it was planned). PostgreSQL cannot store a NUL in text, so each
    /// is kept as SUB (U+001A), another control character: the rows holding one are refused
    /// alike when the file is applied.
    pub(super) async fn text(self, fingerprint: &Fingerprint) -> AppResult<String> {
        let text = match self {
            Self::Bytes(bytes) => std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|_| changed())?,
            Self::File { file, max_bytes } => {
                let fingerprint = fingerprint.clone();
                tokio::task::spawn_blocking(move || -> AppResult<String> {
                    let mut file = file;
                    file.seek(SeekFrom::Start(0)).map_err(|e| read_error(&e))?;
                    let mut text = String::new();
                    Verified::new(Limited::new(&mut file, max_bytes), fingerprint)
                        .read_to_string(&mut text)
                        .map_err(|e| match e.kind() {
                            std::io::ErrorKind::InvalidData => changed(),
                            _ => read_error(&e),
                        })?;
                    Ok(text)
                })
                .await
                .map_err(|e| AppError::Internal(format!("reading an employee file: {e}")))??
            }
        };
        Ok(if text.contains('\0') {
            text.replace('\0', "\u{1a}")
        } else {
            text
        })
    }
}

/// Reads a file from its start and sends its accepted employees, a batch at a time, then its
/// end; stops early when the sync stops listening.
fn read_batches(
    file: &mut std::fs::File,
    max_bytes: u64,
    selection: Selection,
    sender: &mpsc::Sender<Sent>,
) {
    let read = || -> Result<(), FileRejection> {
        file.seek(SeekFrom::Start(0))
            .map_err(|e| file::unreadable(format!("the file could not be read: {e}")))?;
        let mut rows = file::read_again(Limited::new(&mut *file, max_bytes), selection)?;
        while let Some(batch) = rows.next_batch(db::employees::EMPLOYEE_BATCH)? {
            if sender.blocking_send(Ok(Some(batch))).is_err() {
                return Ok(());
            }
        }
        // A closed channel here means the sync stopped: nobody is left to tell.
        let _ = sender.blocking_send(Ok(None));
        Ok(())
    };
    if let Err(rejection) = read() {
        let _ = sender.blocking_send(Err(rejection));
    }
}

/// The accepted employees of a file read a second time.
pub(super) enum Batches<'a> {
    /// Read on the caller's task, as the first reading was.
    Bytes {
        bytes: &'a [u8],
        /// Boxed: the CSV reader's state is some 500 bytes.
        rows: Box<file::Rows<&'a [u8]>>,
    },
    /// Read on a blocking thread, ahead of the sync.
    File {
        batches: mpsc::Receiver<Sent>,
        reader: tokio::task::JoinHandle<std::fs::File>,
        max_bytes: u64,
    },
}

impl<'a> Batches<'a> {
    /// The next batch, in file order; `None` at the end of a file found the same as the first
    /// time.
    pub(super) async fn next(&mut self) -> AppResult<Option<Employees>> {
        match self {
            Self::Bytes { rows, .. } => rows
                .next_batch(db::employees::EMPLOYEE_BATCH)
                .map_err(|r| unreadable(&r)),
            Self::File { batches, .. } => match batches.recv().await {
                Some(Ok(batch)) => Ok(batch),
                Some(Err(rejection)) => Err(unreadable(&rejection)),
                // Without its end: the reading thread died (its panic is in the log).
                None => Err(AppError::Internal(
                    "reading an employee file again stopped before its end".to_owned(),
                )),
            },
        }
    }

    /// The file back, once read to its end: a held sync keeps its text.
    pub(super) async fn finish(self) -> AppResult<EmployeeFile<'a>> {
        match self {
            Self::Bytes { bytes, .. } => Ok(EmployeeFile::Bytes(bytes)),
            Self::File {
                batches,
                reader,
                max_bytes,
            } => {
                drop(batches);
                let file = reader
                    .await
                    .map_err(|e| AppError::Internal(format!("reading an employee file: {e}")))?;
                Ok(EmployeeFile::File { file, max_bytes })
            }
        }
    }
}

/// A second reading that failed: the file changed since the first, or could not be read.
fn unreadable(rejection: &FileRejection) -> AppError {
    if rejection.message.contains(CHANGED) {
        changed()
    } else {
        AppError::Internal(format!(
            "the employee file could not be read again: {}",
            rejection.message
        ))
    }
}

fn changed() -> AppError {
    AppError::Internal("the employee file changed while it was imported".to_owned())
}

fn read_error(e: &std::io::Error) -> AppError {
    AppError::Internal(format!("reading an employee file again: {e}"))
}

/// A reader that fails past `max_bytes`, whatever the file's size said when it was opened (it
/// may still be growing).
pub(super) struct Limited<R> {
    inner: R,
    left: u64,
    max_bytes: u64,
}

impl<R> Limited<R> {
    pub(super) fn new(inner: R, max_bytes: u64) -> Self {
        Self {
            inner,
            left: max_bytes,
            max_bytes,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a file of exactly the limit from a longer one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "the file is larger than --max-employee-file-bytes ({})",
                    self.max_bytes
                ))),
            };
        }
        let room = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::Limited;

    fn read_all(bytes: &[u8], max: u64) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Limited::new(bytes, max).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_limited_read_takes_the_limit_and_fails_one_byte_past_it() {
        assert_eq!(read_all(b"abcd", 4).unwrap(), b"abcd");
        assert_eq!(read_all(b"abc", 4).unwrap(), b"abc");
        let why = read_all(b"abcde", 4).unwrap_err().to_string();
        assert!(why.contains("--max-employee-file-bytes (4)"), "{why}");
    }

    #[test]
    fn a_file_growing_past_the_limit_is_refused_whole_by_the_parser() {
        let text = "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId\n\
                    E1,a@example.com,A,B,D,L,J,\n";
        let limit = text.len() as u64 - 5;
        let why = crate::domain::employees::file::index(Limited::new(text.as_bytes(), limit))
            .err()
            .map(|r| r.message)
            .unwrap_or_default();
        assert!(why.contains("--max-employee-file-bytes"), "{why}");
    }
}
