//! The employee-file sync cells (PRODUCT §7): three rules created through the API, then a
//! generated file of `--employees` people dropped into the server's inbox: the first import
//! (empty snapshot), a re-import of the same file (must write nothing but its sync record), a
//! dry run of a file where 1 % of the people moved department (`POST /employee-files
//! ?dryRun=true`: the inbox has no dry run, so that cell also holds the request body), and
//! that file applied. The inbox is the door of large files (issue 23: a million employees
//! "through the CLI or the inbox"): the server reads the file as it parses it, where a request
//! body is held whole. Each sync is checked against the model of `employee_file`, and the
//! tables are fingerprinted
//! before and after each cell with a direct connection: row counts, plus a marker that moves on
//! any insert, update or delete (PostgreSQL: the sum of `xmin`; SQLite: the sum of `rowid`, and
//! the newest `updated_at` of administrators, whose updates keep their rowid).
use std::{path::Path, time::Instant};

use sea_orm::sqlx::{self, AssertSqlSafe};
use serde_json::{Value, json};

use crate::{
    api::{Api, payload},
    db::{Pool, with_pool},
    employee_file::{Admins, Counts, Expected, Organisation, rules},
    hostile_files,
    server::Server,
};

/// The tables a sync writes, in the order of [`Cell::written`].
const TABLES: [&str; 4] = [
    "employee",
    "administrator",
    "administrator_event",
    "employee_sync",
];
/// The server's default `--max-deactivation-percent`.
const HOLD_ABOVE_PERCENT: i64 = 20;
/// The goal for one sync of 100,000 employees; reported, not asserted.
pub const GOAL_SECONDS: f64 = 10.0;

/// One measured sync.
pub struct Cell {
    pub name: &'static str,
    /// The inbox: from the server claiming the file to the file filed in `processed/` (read,
    /// sync, move); HTTP: wall time of the `POST /employee-files` call (upload, sync, answer).
    pub seconds: f64,
    /// `inbox` or `POST` (the door the file went through).
    pub door: &'static str,
    /// The `employeeSyncs.apply` call, when the file was held.
    pub apply_seconds: Option<f64>,
    pub status: String,
    pub rows: i64,
    pub counts: Counts,
    /// Row-count change per table of [`TABLES`].
    pub written: [i64; 4],
    /// Whether each table's fingerprint moved (a rewrite shows even when its count does not).
    pub touched: [bool; 4],
    /// Server RSS before the call, its peak during it, and after, in MiB.
    pub rss: (f64, f64, f64),
    /// Warning/error lines the server logged during the cell (slow statements among them).
    pub log_lines: u64,
}

pub struct Report {
    pub employees: usize,
    pub file_bytes: u64,
    pub moved: usize,
    pub generate_seconds: f64,
    /// Whether the peak RSS could be reset before each cell (`/proc/<pid>/clear_refs`).
    pub peak_per_cell: bool,
    pub cells: Vec<Cell>,
    pub notes: Vec<String>,
    /// The worst files for memory (`hostile_files`).
    pub hostile: Vec<hostile_files::Cell>,
    pub hostile_peak_per_cell: bool,
}

const CREATE_RULE: &str = "mutation($input: CreateAdminProvisioningRuleInput!) { \
    adminProvisioningRules { create(input: $input) { rule { id } errors { message } } } }";
const APPLY: &str = "mutation($input: ApplyEmployeeSyncInput!) { employeeSyncs { \
    apply(input: $input) { employeeSync { status created deactivated } errors { message } } } }";
/// The newest sync, with what `POST /employee-files` answers of it.
const NEWEST_SYNC: &str = "{ employeeSyncs(first: 1) { edges { node { id status rows created \
    reactivated deactivated roleChanged updated unchanged rejectedRows { line message } \
    notes { line message } changes { kind } reason } } } }";

/// Creates the rules, generates the files and measures the four syncs; panics on any answer
/// that is not the expected one.
pub async fn cells(
    server: &mut Server,
    pool: &Pool,
    owner: &str,
    n: usize,
    hostile: hostile_files::Sizes,
) -> Report {
    let api = Api::new(server.url());
    for rule in rules() {
        let data = api.must(owner, CREATE_RULE, json!({ "input": rule })).await;
        payload(&data, &["adminProvisioningRules", "create"]);
    }
    let dir = tempfile::Builder::new()
        .prefix("autoprov-bench-employees-")
        .tempdir()
        .expect("cannot create a temporary directory for the employee files");
    let started = Instant::now();
    let org = Organisation::new(n);
    let (moved_org, moved) = org.moved();
    let (first_file, moved_file) = (
        dir.path().join("employees.csv"),
        dir.path().join("moved.csv"),
    );
    let file_bytes = org
        .write_csv(&first_file)
        .expect("cannot write the employee file");
    moved_org
        .write_csv(&moved_file)
        .expect("cannot write the employee file");
    let generate_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "  employee files: {n} employees, {:.1} MiB, {moved} moved department ({generate_seconds:.1} s)",
        file_bytes as f64 / 1048576.0
    );

    let mut bench = Bench {
        peak_per_cell: true,
        server,
        pool,
        api,
        owner,
        n,
        dropped: 0,
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(600))
            .build()
            .expect("cannot build the HTTP client"),
    };
    let mut admins = Admins::default();
    let mut cells = Vec::new();
    let steps = [
        (
            "first import",
            &org,
            &first_file,
            Writes::Sync { employee_rows: n },
        ),
        ("re-import, unchanged", &org, &first_file, Writes::Nothing),
        (
            "1 % moved department, dry run",
            &moved_org,
            &moved_file,
            Writes::DryRun,
        ),
        (
            "1 % moved department, applied",
            &moved_org,
            &moved_file,
            Writes::Sync { employee_rows: 0 },
        ),
    ];
    for (name, people, file, writes) in steps {
        // A dry run plans on a copy of the administrators: it changes none.
        let expected = match writes {
            Writes::DryRun => admins.clone().sync(people),
            _ => admins.sync(people),
        };
        assert!(admins.any(), "the rules match nobody");
        cells.push(bench.import(name, file, writes, &expected).await);
    }

    let (hostile, hostile_peak_per_cell) = hostile_files::cells(bench.server, owner, hostile).await;

    let mut notes = Vec::new();
    if cells.iter().any(|c| c.log_lines > 0) {
        notes.push(format!(
            "the server logged during the employee cells; its log by kind: {}",
            bench.server.log_summary().join("; ")
        ));
    }
    Report {
        employees: n,
        file_bytes,
        moved,
        generate_seconds,
        peak_per_cell: bench.peak_per_cell,
        cells,
        notes,
        hostile,
        hostile_peak_per_cell,
    }
}

/// What a sync must write besides its `employee_sync` row.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Writes {
    /// A dry run: nothing.
    DryRun,
    /// The file last applied again: nothing.
    Nothing,
    /// Its administrators and events, and this many more employee rows; the employee table
    /// is rewritten (changed rows are replaced).
    Sync { employee_rows: usize },
}

struct Bench<'a> {
    server: &'a mut Server,
    pool: &'a Pool,
    api: Api,
    http: reqwest::Client,
    owner: &'a str,
    n: usize,
    peak_per_cell: bool,
    /// Files dropped into the inbox so far (their names' number).
    dropped: u32,
}

impl Bench<'_> {
    /// Posts one file and checks the answer against `expected` and the tables against `writes`.
    async fn import(
        &mut self,
        name: &'static str,
        file: &Path,
        writes: Writes,
        expected: &Expected,
    ) -> Cell {
        let dry_run = writes == Writes::DryRun;
        let before = fingerprints(self.pool).await;
        let logged = self.server.log_line_count();
        let rss_before = self.server.memory_mib().1;
        self.peak_per_cell &= self.server.reset_peak_rss();
        let (door, seconds, answer, (peak, rss_after)) = if dry_run {
            let (seconds, answer) = self.post(name, file).await;
            ("POST", seconds, answer, self.server.memory_mib())
        } else {
            let (seconds, answer, memory) = self.drop_in_inbox(name, file).await;
            ("inbox", seconds, answer, memory)
        };
        let sync = &answer["employeeSync"];

        let held = !dry_run
            && expected.active_before > 0
            && expected.counts.deactivated * 100 > HOLD_ABOVE_PERCENT * expected.active_before;
        let status = match (dry_run, held) {
            (true, _) => "dryRun",
            (false, true) => "held",
            (false, false) => "applied",
        };
        let context = format!("{name} ({door}): {}", abridged(&answer));
        assert_eq!(sync["status"], json!(status), "{context}");
        assert_eq!(sync["rows"], json!(self.n), "{context}");
        assert_eq!(sync["rejectedRows"], json!([]), "{context}");
        assert_eq!(sync["notes"], json!([]), "{context}");
        let counts = Counts::of(sync);
        assert_eq!(counts, expected.counts, "{context}");
        let changes = sync["changes"].as_array().map_or(0, Vec::len) as i64;
        assert_eq!(changes, expected.changes, "{context}");

        let apply_seconds = if held {
            Some(self.apply(name, sync, expected).await)
        } else {
            None
        };
        let after = fingerprints(self.pool).await;
        let written: [i64; 4] = std::array::from_fn(|i| after[i].0 - before[i].0);
        let touched: [bool; 4] = std::array::from_fn(|i| after[i] != before[i]);
        let want = match writes {
            Writes::DryRun | Writes::Nothing => [0, 0, 0, 1],
            Writes::Sync { employee_rows } => [
                employee_rows as i64,
                expected.counts.created,
                expected.changes,
                1,
            ],
        };
        assert_eq!(written, want, "{name}: rows added to {TABLES:?}");
        let must_touch = match writes {
            Writes::DryRun | Writes::Nothing => [false; 3],
            Writes::Sync { .. } => [true, expected.changes > 0, expected.changes > 0],
        };
        assert_eq!(
            touched[..3],
            must_touch,
            "{name}: tables written among {TABLES:?} (only employee_sync for a re-import or a dry run)"
        );
        let cell = Cell {
            name,
            seconds,
            door,
            apply_seconds,
            status: sync["status"].as_str().unwrap_or_default().to_owned(),
            rows: sync["rows"].as_i64().unwrap_or_default(),
            counts,
            written,
            touched,
            rss: (rss_before, peak, rss_after),
            log_lines: self.server.log_line_count() - logged,
        };
        eprintln!(
            "  employees: {name}: {seconds:.2} s, {} {}, rows added {written:?}, RSS {rss_before:.0} → peak {peak:.0} MiB",
            cell.status,
            counts.describe(),
        );
        cell
    }

    /// `POST /employee-files?dryRun=true` (the only cell sent so): its seconds and answer.
    async fn post(&self, name: &str, file: &Path) -> (f64, Value) {
        let body = std::fs::read(file).expect("cannot read the employee file");
        let url = format!(
            "http://{}/employee-files?dryRun=true&fileName=bench.csv",
            self.server.addr
        );
        let started = Instant::now();
        let response = self
            .http
            .post(&url)
            .bearer_auth(self.owner)
            .header(reqwest::header::CONTENT_TYPE, "text/csv")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: POST /employee-files failed: {e}"));
        let http_status = response.status();
        let answer: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{name}: the answer is not JSON ({http_status}): {e}"));
        (started.elapsed().as_secs_f64(), answer)
    }

    /// Copies `file` into the inbox under a temporary name and renames it to `*.csv`, as an
    /// SFTP upload does; waits for the server to file it in `processed/`. Its seconds run from
    /// the server claiming the file (it leaves the inbox) to the file in `processed/`: the
    /// import, without the polls' wait. The answer is the newest sync, read through GraphQL, in
    /// the shape `POST /employee-files` answers. The server's peak and current RSS are read as
    /// soon as the file is filed, before the sync is fetched: reading a sync of tens of
    /// thousands of changes is a cost of its own, not the import's.
    async fn drop_in_inbox(&mut self, name: &str, file: &Path) -> (f64, Value, (f64, f64)) {
        self.dropped += 1;
        let inbox = self.server.inbox.path().to_owned();
        let csv = format!("{:04}-bench.csv", self.dropped);
        let part = inbox.join(format!("{csv}.part"));
        std::fs::copy(file, &part).expect("cannot copy the employee file into the inbox");
        std::fs::rename(&part, inbox.join(&csv)).expect("cannot rename the upload");
        let processed = inbox.join("processed");
        let failed = inbox.join("failed");
        let filed = |dir: &Path| {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .any(|e| e.file_name().to_string_lossy().ends_with(&csv))
                })
                .unwrap_or(false)
        };
        let waiting = Instant::now();
        let mut claimed = None;
        loop {
            if claimed.is_none() && !inbox.join(&csv).exists() {
                claimed = Some(Instant::now());
            }
            if filed(&processed) || filed(&failed) {
                break;
            }
            assert!(
                waiting.elapsed().as_secs() < 900,
                "{name}: the inbox did not take {csv} within 15 minutes"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let seconds = claimed.map_or(f64::NAN, |at| at.elapsed().as_secs_f64());
        let memory = self.server.memory_mib();
        assert!(!filed(&failed), "{name}: the inbox moved {csv} to failed/");
        let data = self.api.must(self.owner, NEWEST_SYNC, json!({})).await;
        let node = data["employeeSyncs"]["edges"][0]["node"].clone();
        (seconds, json!({ "employeeSync": node }), memory)
    }

    /// Applies a held sync through `employeeSyncs.apply`; returns its seconds.
    async fn apply(&self, name: &str, sync: &Value, expected: &Expected) -> f64 {
        let id = sync["id"].as_str().expect("the held sync's id");
        let started = Instant::now();
        let data = self
            .api
            .must(
                self.owner,
                APPLY,
                json!({ "input": { "employeeSyncId": id } }),
            )
            .await;
        let seconds = started.elapsed().as_secs_f64();
        let applied = &payload(&data, &["employeeSyncs", "apply"])["employeeSync"];
        assert_eq!(applied["status"], json!("applied"), "{name}: {applied}");
        assert_eq!(
            applied["deactivated"],
            json!(expected.counts.deactivated),
            "{name}"
        );
        eprintln!("  employees: {name}: held, applied with employeeSyncs.apply in {seconds:.2} s");
        seconds
    }
}

/// The answer without its list of changes (thousands of them after a first import).
fn abridged(answer: &Value) -> Value {
    let mut answer = answer.clone();
    if let Some(changes) = answer["employeeSync"].get_mut("changes") {
        let n = changes.as_array().map_or(0, Vec::len);
        *changes = json!(format!("{n} changes"));
    }
    answer
}

/// Each table of [`TABLES`]: its row count and a marker any write moves.
async fn fingerprints(pool: &Pool) -> [(i64, String); 4] {
    let mut out: [(i64, String); 4] = Default::default();
    for (slot, table) in out.iter_mut().zip(TABLES) {
        let sql = match (pool, table) {
            (Pool::Pg(_), _) => {
                format!("SELECT count(*), coalesce(sum(xmin::text::bigint), 0)::text FROM {table}")
            }
            (Pool::Sqlite(_), "administrator") => format!(
                "SELECT count(*), coalesce(sum(rowid), 0) || ' ' || coalesce(max(updated_at), '') \
                 FROM {table}"
            ),
            (Pool::Sqlite(_), _) => {
                format!("SELECT count(*), CAST(coalesce(sum(rowid), 0) AS TEXT) FROM {table}")
            }
        };
        *slot = with_pool!(pool, p => {
            sqlx::query_as::<_, (i64, String)>(AssertSqlSafe(sql)).fetch_one(p).await
        })
        .unwrap_or_else(|e| panic!("cannot fingerprint {table}: {e}"));
    }
    out
}

fn mib(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else {
        format!("{v:.0}")
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let w = &mut out;
        writeln!(
            w,
            "\n### Employee file sync: {} employees, {:.1} MiB file, 3 rules, {} moved department\n",
            self.employees,
            self.file_bytes as f64 / 1048576.0,
            self.moved
        )
        .ok();
        writeln!(
            w,
            "| cell | door | s | status | rows | created | reactivated | deactivated | role changed | \
             updated | unchanged | rows added (employee, administrator, event, sync) | tables written | \
             RSS before MiB | peak MiB | peak − before MiB |"
        )
        .ok();
        writeln!(
            w,
            "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|"
        )
        .ok();
        for c in &self.cells {
            let k = &c.counts;
            let seconds = match c.apply_seconds {
                Some(apply) => format!("{:.2} (+{apply:.2} apply)", c.seconds),
                None => format!("{:.2}", c.seconds),
            };
            let touched: Vec<&str> = TABLES
                .iter()
                .zip(c.touched)
                .filter(|(_, t)| *t)
                .map(|(name, _)| *name)
                .collect();
            let (before, peak, _) = c.rss;
            writeln!(
                w,
                "| {} | {} | {seconds} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                c.name,
                c.door,
                c.status,
                c.rows,
                k.created,
                k.reactivated,
                k.deactivated,
                k.role_changed,
                k.updated,
                k.unchanged,
                c.written.map(|d| d.to_string()).join(", "),
                touched.join(", "),
                mib(before),
                mib(peak),
                mib(peak - before),
            )
            .ok();
        }
        writeln!(w).ok();
        let slowest = self.cells.iter().map(|c| c.seconds).fold(0.0, f64::max);
        writeln!(
            w,
            "- goal: a sync of 100,000 employees under {GOAL_SECONDS} s (issue 23: a first import of 1,000,000 within 30 s on PostgreSQL); slowest here {slowest:.2} s{}",
            if slowest > GOAL_SECONDS {
                " (**over**)"
            } else {
                ""
            }
        )
        .ok();
        writeln!(
            w,
            "- peak RSS is {}; the file is {:.1} MiB; generating the two files took {:.1} s",
            if self.peak_per_cell {
                "per cell (VmHWM reset through /proc/<pid>/clear_refs before each)"
            } else {
                "the server's since it started (VmHWM could not be reset)"
            },
            self.file_bytes as f64 / 1048576.0,
            self.generate_seconds
        )
        .ok();
        for c in self.cells.iter().filter(|c| c.log_lines > 0) {
            writeln!(w, "- {}: the server logged {} lines", c.name, c.log_lines).ok();
        }
        for note in &self.notes {
            writeln!(w, "- {note}").ok();
        }
        out.push_str(&hostile_files::markdown(
            &self.hostile,
            self.hostile_peak_per_cell,
        ));
        out
    }
}
