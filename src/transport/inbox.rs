//! The employee inbox (`--employee-inbox DIR`): a directory an SFTP server (or anything else)
//! drops employee files into, polled every `--employee-inbox-poll-seconds`.
//!
//! The contract with uploaders: write under another name (`*.csv.part`, `*.tmp`, or a
//! dot-file) and rename to `*.csv` when done (WinSCP's temporary names do; with OpenSSH's
//! `sftp`, `put` then `rename`). As a second guard for
//! uploaders that write in place, a `.csv` is taken only when its size and modification time
//! are the same as at the previous poll, so every file waits at least one poll.
//!
//! Files are taken one at a time in name order (each is a full snapshot, so the last one
//! sent should be the last one applied). Several instances may share one inbox: a file is
//! claimed by renaming it into `DIR/processing/` under a name of its own, and a rename is
//! atomic, so exactly one instance wins and the others see it gone. Then:
//! - applied, held (or a dry run): moved to `DIR/processed/<UTC time>-<name>`;
//! - rejected: moved to `DIR/failed/<UTC time>-<name>`, with `<that>.reason.txt` beside it
//!   holding the reason and the sync's ID;
//! - not a regular file once opened (a symbolic link swapped in, a device, a FIFO), larger than
//!   `--max-employee-file-bytes`, or named with bytes that are not UTF-8: moved to `failed/`
//!   with the reason, without being imported (a file that grows past the limit while it is
//!   read is refused by the import, which records the sync as rejected);
//! - the import failed while the database answers (a failure of this file, which would fail
//!   again): moved to `failed/` with the cause, and later files go on;
//! - the import failed and the database does not answer: moved back, and the pass stops so
//!   that no later snapshot overtakes it; it is tried again at the next poll, at most
//!   [`MAX_ATTEMPTS`] times in all, then moved to `failed/`, so that no file holds the
//!   inbox forever.
//!
//! A file left in `processing/` by an instance that died mid-import is not retried on its
//! own (another live instance may be working on it); the start logs it for an operator.
use std::{
    collections::HashMap,
    ffi::OsString,
    future::Future,
    io,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use tokio::{fs, sync::watch, task::JoinHandle};

use crate::{
    domain::{
        access::Caller,
        employees::{SyncSource, SyncStatus},
        id::{self, NodeKind},
    },
    error::AppError,
    service::{
        App,
        employees::{self, Body, Import, Synced},
    },
};

const PROCESSED: &str = "processed";
const FAILED: &str = "failed";
const PROCESSING: &str = "processing";

/// How many passes may try a file while the database does not answer before it goes to
/// `failed/` (with the default poll of 5 s, about 25 s of outage; move it back to retry).
pub const MAX_ATTEMPTS: u32 = 5;

/// Why the service did not import a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The database does not answer: the file waits for the next poll.
    Unavailable(String),
    /// Anything else: trying again would fail again, so the file goes to `failed/`.
    Failed(String),
}

/// What became of one file in a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Imported (`applied`, `held` or `dryRun`, the sync's status) and moved to `processed/`.
    Imported(SyncStatus),
    /// Rejected (by the importer, or unreadable or too large) and moved to `failed/`.
    Rejected(String),
    /// Another instance claimed it first.
    Claimed,
    /// The database does not answer; the file is back in the inbox for the next poll.
    Retry(String),
}

/// Size and modification time of a candidate, as a poll saw it.
type Seen = (u64, Option<SystemTime>);

/// A watched inbox: its directory and what the previous poll saw there.
pub struct Inbox {
    dir: PathBuf,
    max_file_bytes: u64,
    /// (size, modification time) of each candidate at the previous poll.
    seen: HashMap<String, Seen>,
    /// The same for names that are not UTF-8 (they cannot be imported under their name).
    seen_unreadable: HashMap<OsString, Seen>,
    /// Passes that found the database down while importing a file, by name.
    attempts: HashMap<String, u32>,
}

impl Inbox {
    /// Opens `dir`, creating it and its `processed/`, `failed/` and `processing/` if missing.
    pub async fn open(dir: impl Into<PathBuf>, max_file_bytes: usize) -> io::Result<Self> {
        let dir = dir.into();
        for sub in [PROCESSED, FAILED, PROCESSING] {
            fs::create_dir_all(dir.join(sub)).await?;
        }
        let mut stranded = fs::read_dir(dir.join(PROCESSING)).await?;
        while let Some(entry) = stranded.next_entry().await? {
            tracing::warn!(
                file = %entry.path().display(),
                "an employee file was left mid-import (by a stopped instance?); move it back \
                 into the inbox to import it"
            );
        }
        Ok(Self {
            dir,
            max_file_bytes: u64::try_from(max_file_bytes).unwrap_or(u64::MAX),
            seen: HashMap::new(),
            seen_unreadable: HashMap::new(),
            attempts: HashMap::new(),
        })
    }

    /// One look at the inbox: takes every file that is ready, in name order, through
    /// `import(file name, opened file)`, and says what became of each. The importer reads the
    /// file as it parses it, never whole, and at most `--max-employee-file-bytes` of it.
    pub async fn pass<F, Fut>(&mut self, mut import: F) -> io::Result<Vec<(String, Outcome)>>
    where
        F: FnMut(String, std::fs::File) -> Fut,
        Fut: Future<Output = Result<Synced, ImportError>>,
    {
        let (current, unreadable) = self.candidates().await?;
        let mut ready: Vec<String> = current
            .iter()
            .filter(|(name, state)| self.seen.get(*name) == Some(*state))
            .map(|(name, _)| name.clone())
            .collect();
        ready.sort();
        let mut unreadable_ready: Vec<OsString> = unreadable
            .iter()
            .filter(|(name, state)| self.seen_unreadable.get(*name) == Some(*state))
            .map(|(name, _)| name.clone())
            .collect();
        unreadable_ready.sort();
        self.attempts.retain(|name, _| current.contains_key(name));
        self.seen = current;
        self.seen_unreadable = unreadable;
        let mut outcomes = Vec::new();
        for name in unreadable_ready {
            if let Some(outcome) = self.take_unreadable(&name).await {
                outcomes.push(outcome);
            }
        }
        for name in ready {
            let outcome = self.take(&name, &mut import).await;
            let retry = matches!(outcome, Outcome::Retry(_));
            outcomes.push((name, outcome));
            if retry {
                break;
            }
        }
        Ok(outcomes)
    }

    /// The `*.csv` files in the inbox with their size and modification time: those named in
    /// UTF-8, and those that are not.
    async fn candidates(&self) -> io::Result<(HashMap<String, Seen>, HashMap<OsString, Seen>)> {
        let mut found = HashMap::new();
        let mut unreadable = HashMap::new();
        let mut entries = fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let os_name = entry.file_name();
            let name = os_name.to_str().map(str::to_owned);
            // A name that is not UTF-8 is judged by its readable part, so that a temporary
            // upload of such a name is still left alone.
            let shown = os_name.to_string_lossy();
            // Symbolic links and directories are not uploads.
            if !is_candidate(&shown) || !entry.file_type().await?.is_file() {
                continue;
            }
            match entry.metadata().await {
                Ok(meta) => {
                    let state = (meta.len(), meta.modified().ok());
                    match name {
                        Some(name) => found.insert(name, state),
                        None => unreadable.insert(os_name, state),
                    };
                }
                // Gone between the listing and now: claimed by another instance.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok((found, unreadable))
    }

    /// Moves a file whose name is not UTF-8 to `failed/` (under its name made readable), with
    /// the reason: it cannot be recorded as the sync's file name, nor left to wait forever.
    /// `None` when another instance moved it first.
    async fn take_unreadable(&self, name: &OsString) -> Option<(String, Outcome)> {
        let shown = name.to_string_lossy().into_owned();
        let claimed = self
            .dir
            .join(PROCESSING)
            .join(format!("{}-unreadable.csv", uuid::Uuid::now_v7().simple()));
        if let Err(e) = fs::rename(self.dir.join(name), &claimed).await {
            if e.kind() != io::ErrorKind::NotFound {
                tracing::warn!(file = %shown, error = %e, "cannot claim an employee file");
            }
            return None;
        }
        let reason = format!(
            "the file name {name:?} is not valid UTF-8; rename the file (in UTF-8) and move it \
             back into the inbox; no sync was recorded"
        );
        Some((shown.clone(), self.reject(&shown, &claimed, &reason).await))
    }

    /// Claims, reads, imports and files away one file.
    async fn take<F, Fut>(&mut self, name: &str, import: &mut F) -> Outcome
    where
        F: FnMut(String, std::fs::File) -> Fut,
        Fut: Future<Output = Result<Synced, ImportError>>,
    {
        let source = self.dir.join(name);
        let claimed = self
            .dir
            .join(PROCESSING)
            .join(format!("{}-{name}", uuid::Uuid::now_v7().simple()));
        if let Err(e) = fs::rename(&source, &claimed).await {
            if e.kind() != io::ErrorKind::NotFound {
                tracing::warn!(file = name, error = %e, "cannot claim an employee file");
            }
            return Outcome::Claimed;
        }
        let file = match open_limited(&claimed, self.max_file_bytes).await {
            Ok(file) => file,
            Err(reason) => return self.reject(name, &claimed, &reason).await,
        };
        match import(name.to_owned(), file).await {
            Ok(sync) => {
                self.attempts.remove(name);
                self.file_away(name, &claimed, &sync).await
            }
            Err(ImportError::Failed(cause)) => {
                self.attempts.remove(name);
                tracing::warn!(file = name, error = %cause, "employee file could not be imported");
                let reason = format!("the import failed: {cause}\nno sync was recorded\n");
                self.reject(name, &claimed, &reason).await
            }
            Err(ImportError::Unavailable(cause)) => {
                let attempts = self.attempts.entry(name.to_owned()).or_default();
                *attempts += 1;
                if *attempts >= MAX_ATTEMPTS {
                    let tries = *attempts;
                    self.attempts.remove(name);
                    let reason = format!(
                        "the import failed {tries} times, the database not answering: {cause}\n\
                         no sync was recorded; move the file back into the inbox to try again\n"
                    );
                    return self.reject(name, &claimed, &reason).await;
                }
                tracing::warn!(file = name, error = %cause, attempts = *attempts, "employee file not imported; it is retried at the next poll");
                self.put_back(name, &claimed).await;
                Outcome::Retry(cause)
            }
        }
    }

    /// Moves an imported or rejected file out of `processing/`, as its sync says.
    async fn file_away(&self, name: &str, claimed: &Path, synced: &Synced) -> Outcome {
        let sync_id = id::encode(NodeKind::EmployeeSync, synced.record.id);
        if synced.status == SyncStatus::Rejected {
            let reason = synced.record.reason.as_deref().unwrap_or("rejected");
            return self
                .reject(name, claimed, &format!("{reason}\nsync: {sync_id}\n"))
                .await;
        }
        // The service logged the sync's counts.
        tracing::info!(file = name, status = %synced.record.status, sync = %sync_id, "employee file imported");
        if let Err(e) = fs::rename(claimed, self.destination(PROCESSED, name).await).await {
            tracing::error!(file = %claimed.display(), error = %e, "cannot move an imported employee file to processed/");
        }
        Outcome::Imported(synced.status)
    }

    /// Moves a rejected file to `failed/` with its reason beside it.
    async fn reject(&self, name: &str, claimed: &Path, reason: &str) -> Outcome {
        let first_line = reason.lines().next().unwrap_or_default().to_owned();
        tracing::info!(file = name, reason = %first_line, "employee file rejected");
        let target = self.destination(FAILED, name).await;
        let mut reason_file = target.clone().into_os_string();
        reason_file.push(".reason.txt");
        let reason = if reason.ends_with('\n') {
            reason.to_owned()
        } else {
            format!("{reason}\n")
        };
        if let Err(e) = fs::write(&reason_file, reason).await {
            tracing::error!(file = name, error = %e, "cannot write the reason file of a rejected employee file");
        }
        if let Err(e) = fs::rename(claimed, &target).await {
            tracing::error!(file = %claimed.display(), error = %e, "cannot move a rejected employee file to failed/");
        }
        Outcome::Rejected(first_line)
    }

    /// Returns a claimed file to the inbox, unless a new file of that name arrived meanwhile
    /// (which would be overwritten): then it is kept in `processing/` and logged.
    async fn put_back(&self, name: &str, claimed: &Path) {
        let source = self.dir.join(name);
        if fs::try_exists(&source).await.unwrap_or(true) {
            tracing::error!(file = %claimed.display(), "a newer {name} arrived; the older one stays in processing/");
            return;
        }
        if let Err(e) = fs::rename(claimed, &source).await {
            tracing::error!(file = %claimed.display(), error = %e, "cannot return an employee file to the inbox");
        }
    }

    /// `DIR/<sub>/<UTC time>-<name>`, a name not yet taken.
    async fn destination(&self, sub: &str, name: &str) -> PathBuf {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let mut path = self.dir.join(sub).join(format!("{stamp}-{name}"));
        let mut n = 2;
        while fs::try_exists(&path).await.unwrap_or(false) {
            path = self.dir.join(sub).join(format!("{stamp}-{n}-{name}"));
            n += 1;
        }
        path
    }
}

/// Whether `name` is an upload to take: `*.csv` in any case, and not a dot-file (OpenSSH's
/// and many editors' temporary names) or a `~` lock or backup file.
fn is_candidate(name: &str) -> bool {
    !name.starts_with('.')
        && !name.starts_with('~')
        && Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// The file opened for the import, or why it cannot be imported. The file is what `path`
/// names itself: a symbolic link is refused, not followed (it may point anywhere outside the
/// inbox), and what was opened must be a regular file (not `/dev/zero`, not a FIFO, which the
/// non-blocking open cannot wait on) no larger than `max_bytes`. The importer reads at most
/// `max_bytes`, whatever the file grows to meanwhile.
async fn open_limited(path: &Path, max_bytes: u64) -> Result<std::fs::File, String> {
    let unreadable = |e: io::Error| format!("cannot read the file: {e}; no sync was recorded");
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .await
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                "the file is a symbolic link; only regular files are imported; no sync was \
                 recorded"
                    .to_owned()
            } else {
                unreadable(e)
            }
        })?;
    let meta = file.metadata().await.map_err(unreadable)?;
    if !meta.is_file() {
        return Err(
            "the file is not a regular file (a device, FIFO or socket); no sync was recorded"
                .to_owned(),
        );
    }
    if meta.len() > max_bytes {
        return Err(format!(
            "the file is {} bytes, more than --max-employee-file-bytes ({max_bytes}); no sync \
             was recorded",
            meta.len()
        ));
    }
    Ok(file.into_std().await)
}

/// The running inbox, stopped with [`InboxTask::stop`].
pub struct InboxTask {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl InboxTask {
    /// Asks the inbox to stop after the file it is importing, and waits up to `patience`.
    pub async fn stop(self, patience: Duration) {
        self.stop.send_replace(true);
        if tokio::time::timeout(patience, self.task).await.is_err() {
            tracing::warn!("the employee inbox did not stop in time");
        }
    }
}

/// Polls `inbox` every `poll` in a background task, importing through the service.
pub fn spawn(mut inbox: Inbox, poll: Duration, app: App) -> InboxTask {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        tracing::info!(dir = %inbox.dir.display(), "watching the employee inbox");
        loop {
            // Stopping is checked between polls only, so an import is never cut short and
            // no file is stranded in `processing/`.
            tokio::select! {
                _ = stopped.changed() => break,
                () = tokio::time::sleep(poll) => {}
            }
            let max_bytes = inbox.max_file_bytes;
            let pass = inbox
                .pass(|name, file| import(&app, name, file, max_bytes))
                .await;
            if let Err(e) = pass {
                tracing::error!(dir = %inbox.dir.display(), error = %e, "cannot read the employee inbox");
            }
        }
    });
    InboxTask { stop, task }
}

/// Imports one file of the inbox through the service, as the operator's own process.
async fn import(
    app: &App,
    name: String,
    file: std::fs::File,
    max_bytes: u64,
) -> Result<Synced, ImportError> {
    let import = Import {
        source: SyncSource::Inbox,
        hris_connection: None,
        file_name: Some(&name),
        dry_run: false,
        // The inbox files the file away by the sync's status and reason alone.
        answer_changes: false,
    };
    let caller = Caller::Operator("employee inbox");
    let body = Body::File { file, max_bytes };
    let cause = match employees::import(app, caller, import, body).await {
        Ok(synced) => return Ok(synced),
        Err(AppError::Unavailable(cause)) => return Err(ImportError::Unavailable(cause)),
        Err(AppError::Internal(cause)) => cause,
        Err(other) => other.to_string(),
    };
    if employees::database_reachable(app.db()).await {
        Err(ImportError::Failed(cause))
    } else {
        Err(ImportError::Unavailable(cause))
    }
}

#[cfg(test)]
#[path = "inbox_tests.rs"]
mod tests;
