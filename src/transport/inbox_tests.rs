//! The inbox's passes over temporary directories, with a fake importer.
use std::{cell::RefCell, path::Path};

use tempfile::TempDir;

use super::*;

fn sync(status: SyncStatus, reason: Option<&str>) -> Synced {
    let mut synced = Synced::sample(status);
    synced.record.reason = reason.map(str::to_owned);
    synced
}

fn applied(_: &str) -> Answer {
    Ok(sync(SyncStatus::Applied, None))
}

/// The names in `dir` (files only), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The `.reason.txt` beside the first file in `failed/`, with the file's name first.
fn failed_reason(tmp: &TempDir) -> String {
    let failed = names(&tmp.path().join("failed"));
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[1], format!("{}.reason.txt", failed[0]));
    std::fs::read_to_string(tmp.path().join("failed").join(&failed[1])).unwrap()
}

/// What an opened file holds.
fn contents(mut file: std::fs::File) -> Vec<u8> {
    use std::io::Read;
    let mut body = Vec::new();
    file.read_to_end(&mut body).unwrap();
    body
}

/// What the fake importer answers.
type Answer = Result<Synced, ImportError>;

/// An importer that answers `answer(file name)` and records what it was given.
#[derive(Default)]
struct Fake {
    calls: RefCell<Vec<(String, Vec<u8>)>>,
}

impl Fake {
    async fn pass(
        &self,
        inbox: &mut Inbox,
        answer: impl Fn(&str) -> Answer,
    ) -> Vec<(String, Outcome)> {
        inbox
            .pass(|name, file| {
                let result = answer(&name);
                self.calls.borrow_mut().push((name, contents(file)));
                async move { result }
            })
            .await
            .unwrap()
    }

    /// Two passes: the first sees the files, the second takes those unchanged since.
    async fn settled(
        &self,
        inbox: &mut Inbox,
        answer: impl Fn(&str) -> Answer,
    ) -> Vec<(String, Outcome)> {
        self.pass(inbox, &answer).await;
        self.pass(inbox, answer).await
    }

    /// Takes `name` at once (as if a pass had listed it), its import applied.
    async fn take(&self, inbox: &mut Inbox, name: &str) -> Outcome {
        let mut import = |name: String, file: std::fs::File| {
            self.calls.borrow_mut().push((name, contents(file)));
            async { applied("") }
        };
        inbox.take(name, &mut import).await
    }

    fn names(&self) -> Vec<String> {
        self.calls.borrow().iter().map(|(n, _)| n.clone()).collect()
    }
}

async fn open(dir: &Path) -> Inbox {
    Inbox::open(dir, 1024).await.unwrap()
}

/// An inbox in a new directory, holding `files` (name, contents).
async fn inbox_with(files: &[(&str, &[u8])]) -> (TempDir, Inbox) {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = open(tmp.path()).await;
    for (name, contents) in files {
        std::fs::write(tmp.path().join(name), contents).unwrap();
    }
    (tmp, inbox)
}

#[tokio::test]
async fn open_creates_the_subdirectories() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inbox");
    open(&dir).await;
    for sub in ["processed", "failed", "processing"] {
        assert!(dir.join(sub).is_dir(), "{sub}");
    }
}

#[test]
fn only_finished_csv_uploads_are_candidates() {
    for name in ["hr.csv", "HR.CSV", "2024-01-01 staff.Csv"] {
        assert!(is_candidate(name), "{name}");
    }
    for name in [
        "hr.csv.part",
        "hr.tmp",
        ".hr.csv",
        ".hr.csv.XXXXXX",
        "~$hr.csv",
        "hr.csv~",
        "hr.txt",
        "csv",
    ] {
        assert!(!is_candidate(name), "{name}");
    }
}

#[tokio::test]
async fn a_file_is_taken_once_it_is_unchanged_since_the_previous_poll() {
    let (tmp, mut inbox) = inbox_with(&[("hr.csv", b"EmployeeId\n")]).await;
    let fake = Fake::default();
    assert_eq!(fake.pass(&mut inbox, applied).await, vec![]);
    // Still being written: it grew since the last poll.
    std::fs::write(tmp.path().join("hr.csv"), "EmployeeId\n1\n").unwrap();
    assert_eq!(fake.pass(&mut inbox, applied).await, vec![]);
    assert!(fake.names().is_empty());

    let outcomes = fake.pass(&mut inbox, applied).await;
    assert_eq!(
        outcomes,
        vec![("hr.csv".into(), Outcome::Imported(SyncStatus::Applied))]
    );
    assert_eq!(fake.calls.borrow()[0].1, b"EmployeeId\n1\n");
    assert!(names(tmp.path()).is_empty());
    let processed = names(&tmp.path().join("processed"));
    assert_eq!(processed.len(), 1);
    assert!(processed[0].ends_with("Z-hr.csv"), "{processed:?}");
    assert!(names(&tmp.path().join("processing")).is_empty());
}

#[tokio::test]
async fn partial_uploads_dot_files_and_directories_are_left_alone() {
    let (tmp, mut inbox) = inbox_with(&[
        ("hr.csv.part", b"EmployeeId\n"),
        (".hr.csv", b"EmployeeId\n"),
        ("notes.txt", b"hello"),
    ])
    .await;
    std::fs::create_dir(tmp.path().join("folder.csv")).unwrap();
    let fake = Fake::default();
    for _ in 0..3 {
        assert_eq!(fake.pass(&mut inbox, applied).await, vec![]);
    }
    assert!(fake.names().is_empty());
    assert_eq!(
        names(tmp.path()),
        [".hr.csv", "hr.csv.part", "notes.txt"].map(String::from)
    );
}

#[tokio::test]
async fn files_go_in_name_order_and_held_ones_count_as_processed() {
    let (tmp, mut inbox) = inbox_with(&[
        ("b.csv", b"b.csv"),
        ("a.CSV", b"a.CSV"),
        ("c.csv", b"c.csv"),
    ])
    .await;
    let fake = Fake::default();
    let answer = |name: &str| match name {
        "b.csv" => Ok(sync(SyncStatus::Held, Some("would deactivate 50%"))),
        _ => applied(name),
    };
    let outcomes = fake.settled(&mut inbox, answer).await;
    assert_eq!(fake.names(), ["a.CSV", "b.csv", "c.csv"]);
    assert_eq!(outcomes[1].1, Outcome::Imported(SyncStatus::Held));
    assert_eq!(names(&tmp.path().join("processed")).len(), 3);
}

#[tokio::test]
async fn a_rejected_file_moves_to_failed_with_its_reason_and_sync() {
    let (tmp, mut inbox) = inbox_with(&[("hr.csv", b"nonsense")]).await;
    let rejected = sync(SyncStatus::Rejected, Some("missing column EmployeeId"));
    let sync_id = id::encode(NodeKind::EmployeeSync, rejected.record.id);
    let outcomes = Fake::default()
        .settled(&mut inbox, |_| Ok(rejected.clone()))
        .await;
    assert_eq!(
        outcomes,
        vec![(
            "hr.csv".into(),
            Outcome::Rejected("missing column EmployeeId".into())
        )]
    );
    let reason = failed_reason(&tmp);
    assert!(reason.contains("missing column EmployeeId"), "{reason}");
    assert!(reason.contains(&sync_id), "{reason}");
    let failed = names(&tmp.path().join("failed"));
    assert!(failed[0].ends_with("-hr.csv"), "{failed:?}");
    assert_eq!(
        std::fs::read(tmp.path().join("failed").join(&failed[0])).unwrap(),
        b"nonsense"
    );
}

#[tokio::test]
async fn a_service_error_leaves_the_file_and_later_ones_for_the_next_poll() {
    let (tmp, mut inbox) = inbox_with(&[("a.csv", b"a"), ("b.csv", b"b")]).await;
    let fake = Fake::default();
    let down = |_: &str| Err(ImportError::Unavailable("database down".into()));
    let outcomes = fake.settled(&mut inbox, down).await;
    // The later snapshot must not overtake the earlier one.
    assert_eq!(
        outcomes,
        vec![("a.csv".into(), Outcome::Retry("database down".into()))]
    );
    assert_eq!(names(tmp.path()), ["a.csv", "b.csv"]);
    assert!(names(&tmp.path().join("processing")).is_empty());

    // The database is back: both go at the next poll.
    let outcomes = fake.pass(&mut inbox, applied).await;
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!(fake.names(), ["a.csv", "a.csv", "b.csv"]);
    assert!(names(tmp.path()).is_empty());
}

#[tokio::test]
async fn a_file_claimed_by_another_instance_is_skipped() {
    let (tmp, mut ours) = inbox_with(&[("hr.csv", b"x")]).await;
    let mut theirs = open(tmp.path()).await;
    let fake = Fake::default();
    fake.pass(&mut ours, applied).await;
    // Both saw the file stable; the other instance takes it first.
    assert_eq!(fake.settled(&mut theirs, applied).await.len(), 1);
    // Ours listed it before the other renamed it: its claim fails and it skips the file.
    assert_eq!(fake.take(&mut ours, "hr.csv").await, Outcome::Claimed);
    assert_eq!(fake.names(), ["hr.csv"]);
}

#[tokio::test]
async fn a_file_over_the_limit_is_rejected_without_calling_the_service() {
    let (tmp, mut inbox) = inbox_with(&[("big.csv", &[b'x'; 2048])]).await;
    let fake = Fake::default();
    let outcomes = fake.settled(&mut inbox, applied).await;
    assert!(
        matches!(&outcomes[0].1, Outcome::Rejected(why) if why.contains("--max-employee-file-bytes")),
        "{outcomes:?}"
    );
    assert!(fake.names().is_empty());
    assert_eq!(names(&tmp.path().join("failed")).len(), 2);
}

/// Takes `name`, which the listing saw as a regular file, and checks that it was refused for
/// `why` without being read (nor the open waiting for a writer).
async fn refused_unread(inbox: &mut Inbox, name: &str, why: &str) {
    let fake = Fake::default();
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), fake.take(inbox, name))
        .await
        .expect("the open waited for a writer");
    assert!(
        matches!(&outcome, Outcome::Rejected(w) if w.contains(why)),
        "{name}: {outcome:?}"
    );
    assert!(fake.names().is_empty(), "{name} was read");
}

#[tokio::test]
async fn a_symbolic_link_swapped_in_is_refused_not_followed() {
    let (tmp, mut inbox) = inbox_with(&[]).await;
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.csv");
    std::fs::write(&secret, "EmployeeId\nfrom outside\n").unwrap();
    // The listing saw a regular file; it was swapped for a link before the claim.
    std::os::unix::fs::symlink(&secret, tmp.path().join("hr.csv")).unwrap();
    refused_unread(&mut inbox, "hr.csv", "symbolic link").await;
    let failed = names(&tmp.path().join("failed"));
    assert_eq!(failed.len(), 1, "the reason file: {failed:?}");
    assert!(failed[0].ends_with(".reason.txt"), "{failed:?}");
    // The link itself went to failed/, and its target is untouched.
    assert_eq!(
        std::fs::read(&secret).unwrap(),
        b"EmployeeId\nfrom outside\n"
    );
}

#[tokio::test]
async fn a_link_to_a_device_is_refused_without_reading_it() {
    let (tmp, mut inbox) = inbox_with(&[]).await;
    std::os::unix::fs::symlink("/dev/zero", tmp.path().join("zero.csv")).unwrap();
    refused_unread(&mut inbox, "zero.csv", "").await;
}

#[tokio::test]
async fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let (tmp, mut inbox) = inbox_with(&[]).await;
    let fifo = tmp.path().join("pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    refused_unread(&mut inbox, "pipe.csv", "not a regular file").await;
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_before_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.csv");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let why = open_limited(&path, 1024).await.unwrap_err();
    assert!(why.contains("--max-employee-file-bytes"), "{why}");
    std::fs::write(&path, vec![b'x'; 1024]).unwrap();
    let file = open_limited(&path, 1024).await.unwrap();
    assert_eq!(contents(file).len(), 1024);
}

#[tokio::test]
async fn a_file_that_fails_to_import_goes_to_failed_and_later_files_go_on() {
    let (tmp, mut inbox) = inbox_with(&[("a.csv", b"a"), ("b.csv", b"b")]).await;
    let answer = |name: &str| match name {
        "a.csv" => Err(ImportError::Failed("invalid byte sequence".into())),
        _ => applied(name),
    };
    let outcomes = Fake::default().settled(&mut inbox, answer).await;
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(
        matches!(&outcomes[0].1, Outcome::Rejected(why) if why.contains("invalid byte sequence")),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1].1, Outcome::Imported(SyncStatus::Applied));
    assert!(names(tmp.path()).is_empty());
    let reason = failed_reason(&tmp);
    assert!(reason.contains("invalid byte sequence"), "{reason}");
}

#[tokio::test]
async fn a_file_retried_while_the_database_is_down_goes_to_failed_after_a_few_passes() {
    let (tmp, mut inbox) = inbox_with(&[("a.csv", b"a"), ("b.csv", b"b")]).await;
    let fake = Fake::default();
    let answer = |name: &str| match name {
        "a.csv" => Err(ImportError::Unavailable("connection refused".into())),
        _ => applied(name),
    };
    fake.pass(&mut inbox, answer).await;
    for attempt in 1..MAX_ATTEMPTS {
        let outcomes = fake.pass(&mut inbox, answer).await;
        assert_eq!(
            outcomes,
            vec![("a.csv".into(), Outcome::Retry("connection refused".into()))],
            "attempt {attempt}"
        );
    }
    let outcomes = fake.pass(&mut inbox, answer).await;
    assert!(
        matches!(&outcomes[0].1, Outcome::Rejected(why) if why.contains(&format!("failed {MAX_ATTEMPTS} times"))),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1].1, Outcome::Imported(SyncStatus::Applied));
    assert!(names(tmp.path()).is_empty());
}

#[tokio::test]
async fn a_file_named_in_bytes_that_are_not_utf8_goes_to_failed_with_a_reason() {
    use std::os::unix::ffi::OsStrExt;
    let (tmp, mut inbox) = inbox_with(&[]).await;
    let name = std::ffi::OsStr::from_bytes(b"staff-\xff.csv");
    std::fs::write(tmp.path().join(name), "EmployeeId\n").unwrap();
    // A temporary upload of such a name is left alone like any other.
    let part = std::ffi::OsStr::from_bytes(b"staff-\xff.csv.part");
    std::fs::write(tmp.path().join(part), "EmployeeId\n").unwrap();
    let fake = Fake::default();
    assert_eq!(fake.pass(&mut inbox, applied).await, vec![]);
    let outcomes = fake.pass(&mut inbox, applied).await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(
        matches!(&outcomes[0].1, Outcome::Rejected(why) if why.contains("not valid UTF-8")),
        "{outcomes:?}"
    );
    assert!(fake.names().is_empty());
    let reason = failed_reason(&tmp);
    assert!(reason.contains("not valid UTF-8"), "{reason}");
    // Only the upload in progress is left.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, [part.to_owned()]);
}
