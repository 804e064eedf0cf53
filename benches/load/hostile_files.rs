//! The worst employee files for memory (issue 18, item 5), each measured as the server's peak
//! RSS growth (VmHWM, reset before each cell): a million bad lines in 2 MiB, bad lines up to
//! the body limit, listing the syncs such files left (with and without their rejected rows),
//! 2,000 long column names, and the widest header accepted with a file of rows. Each answer
//! is checked: a capped list of rejected rows with the total, a header refused by name.
use std::{fmt::Write as _, time::Instant};

use serde_json::{Value, json};

use crate::{api::Api, server::Server};

const HEADER: &str = "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId";
/// Rejected rows a sync keeps (`domain::employees::file::REJECTED_KEPT`).
const REJECTED_KEPT: usize = 1000;
/// The widest header accepted (`COLUMNS_MAX`).
const COLUMNS_MAX: usize = 250;

/// The sizes of the cells (`--hostile-lines`, `--hostile-bytes`).
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Bad lines of the first cell (default 1,000,000: 2 MiB).
    pub lines: usize,
    /// Bytes of the body-limit cells (default 64 MiB, `--max-employee-file-bytes`'s default;
    /// the bench's server takes up to 1 GiB, for the files of a million employees).
    pub bytes: usize,
}

pub struct Cell {
    pub name: String,
    pub file_mib: f64,
    pub seconds: f64,
    pub answer: String,
    /// Peak RSS growth over the RSS before the call, MiB.
    pub peak_growth_mib: f64,
}

/// A file of `lines` one-field lines after the header: every line is a rejected row.
fn bad_lines(lines: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(HEADER.len() + 1 + 2 * lines);
    body.extend_from_slice(HEADER.as_bytes());
    body.push(b'\n');
    for _ in 0..lines {
        body.extend_from_slice(b"x\n");
    }
    body
}

/// A header of `columns` columns named with `name_chars` characters each, and one row.
fn long_columns(columns: usize, name_chars: usize) -> Vec<u8> {
    let mut text = HEADER.to_owned();
    for i in 0..columns {
        let _ = write!(text, ",{}{i:04}", "c".repeat(name_chars.saturating_sub(4)));
    }
    text.push_str("\nE1,e1@example.com,A,B,D,L,J,\n");
    text.into_bytes()
}

/// The widest header accepted, and rows of one-character values up to `bytes`.
fn widest(bytes: usize) -> (Vec<u8>, usize) {
    let extra = COLUMNS_MAX - 8;
    let mut text = HEADER.to_owned();
    for i in 0..extra {
        let _ = write!(text, ",c{i}");
    }
    text.push('\n');
    let values = ",x".repeat(extra);
    let mut rows = 0;
    while text.len() < bytes {
        rows += 1;
        let _ = writeln!(text, "E{rows},e{rows}@example.com,A,B,D,L,J,{values}");
    }
    (text.into_bytes(), rows)
}

struct Bench<'a> {
    server: &'a Server,
    owner: &'a str,
    http: reqwest::Client,
    peak_per_cell: std::cell::Cell<bool>,
}

impl Bench<'_> {
    /// Runs `call` with the peak RSS reset before it; returns its seconds and peak growth.
    async fn measured<T>(&self, call: impl std::future::Future<Output = T>) -> (T, f64, f64) {
        let before = self.server.memory_mib().1;
        self.peak_per_cell
            .set(self.peak_per_cell.get() && self.server.reset_peak_rss());
        let started = Instant::now();
        let out = call.await;
        let seconds = started.elapsed().as_secs_f64();
        (out, seconds, self.server.memory_mib().0 - before)
    }

    async fn post(&self, body: Vec<u8>, dry_run: bool) -> (u16, Value) {
        let url = format!(
            "http://{}/employee-files?dryRun={dry_run}&fileName=hostile.csv",
            self.server.addr
        );
        let response = self
            .http
            .post(url)
            .bearer_auth(self.owner)
            .header(reqwest::header::CONTENT_TYPE, "text/csv")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /employee-files failed: {e}"));
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Posts a file of bad lines (a dry run) and checks the capped answer.
    async fn bad_file(&self, name: String, lines: usize) -> Cell {
        let body = bad_lines(lines);
        let file_mib = body.len() as f64 / 1048576.0;
        let ((status, answer), seconds, growth) = self.measured(self.post(body, true)).await;
        let sync = &answer["employeeSync"];
        assert_eq!(status, 200, "{name}: {}", abridged(&answer));
        assert_eq!(sync["rejectedRowCount"], json!(lines), "{name}");
        assert_eq!(
            sync["rejectedRows"].as_array().map(Vec::len),
            Some(lines.min(REJECTED_KEPT)),
            "{name}"
        );
        cell(
            name,
            file_mib,
            seconds,
            format!("200, {lines} rejected, {} kept", lines.min(REJECTED_KEPT)),
            growth,
        )
    }
}

fn cell(name: String, file_mib: f64, seconds: f64, answer: String, peak_growth_mib: f64) -> Cell {
    eprintln!(
        "  hostile files: {name}: {seconds:.2} s, {answer}, peak RSS +{peak_growth_mib:.0} MiB"
    );
    Cell {
        name,
        file_mib,
        seconds,
        answer,
        peak_growth_mib,
    }
}

/// The answer without its rejected rows (a thousand of them).
fn abridged(answer: &Value) -> Value {
    let mut answer = answer.clone();
    if let Some(rows) = answer["employeeSync"].get_mut("rejectedRows") {
        let n = rows.as_array().map_or(0, Vec::len);
        *rows = json!(format!("{n} rows"));
    }
    answer
}

const LIST: &str =
    "{ employeeSyncs(first: 25) { edges { node { id status rows rejectedRowCount } } } }";
const LIST_REJECTED: &str = "{ employeeSyncs(first: 25) { edges { node { id rejectedRowCount \
    rejectedRows { line message } } } } }";

/// Runs the cells; panics on any answer that is not the expected one.
pub async fn cells(server: &Server, owner: &str, sizes: Sizes) -> (Vec<Cell>, bool) {
    let api = Api::new(server.url());
    let bench = Bench {
        server,
        owner,
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(600))
            .build()
            .expect("cannot build the HTTP client"),
        peak_per_cell: std::cell::Cell::new(true),
    };
    let mut cells = Vec::new();
    cells.push(
        bench
            .bad_file(format!("{} bad lines, dry run", sizes.lines), sizes.lines)
            .await,
    );
    // As many bad lines as fit the body limit.
    let limit_lines = sizes.bytes.saturating_sub(HEADER.len() + 1) / 2;
    cells.push(
        bench
            .bad_file(
                format!("{limit_lines} bad lines (the body limit), dry run"),
                limit_lines,
            )
            .await,
    );
    for (name, query, with_rows) in [
        ("listing 25 syncs (counts only)", LIST, false),
        (
            "listing 25 syncs with their rejected rows",
            LIST_REJECTED,
            true,
        ),
    ] {
        let (data, seconds, growth) = bench.measured(api.must(owner, query, json!({}))).await;
        let edges = data["employeeSyncs"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(edges.len() >= 2, "{name}: {data}");
        if with_rows {
            let kept = edges[0]["node"]["rejectedRows"]
                .as_array()
                .map_or(0, Vec::len);
            assert_eq!(kept, limit_lines.min(REJECTED_KEPT), "{name}");
        }
        cells.push(cell(
            name.to_owned(),
            0.0,
            seconds,
            format!("{} syncs", edges.len()),
            growth,
        ));
    }
    let body = long_columns(2000, 1000);
    let file_mib = body.len() as f64 / 1048576.0;
    let ((status, answer), seconds, growth) = bench.measured(bench.post(body, true)).await;
    let why = answer["error"].as_str().unwrap_or_default().to_owned();
    assert_eq!(status, 422, "2,000 long column names: {answer}");
    assert!(why.contains("columns"), "2,000 long column names: {why}");
    cells.push(cell(
        "2,000 column names of 1,000 characters".to_owned(),
        file_mib,
        seconds,
        "422, refused by the header's column cap".to_owned(),
        growth,
    ));
    let (body, rows) = widest(sizes.bytes.min(2 * 1048576));
    let file_mib = body.len() as f64 / 1048576.0;
    let ((status, answer), seconds, growth) = bench.measured(bench.post(body, true)).await;
    assert_eq!(status, 200, "widest header: {}", abridged(&answer));
    assert_eq!(answer["employeeSync"]["rows"], json!(rows), "widest header");
    assert_eq!(
        answer["employeeSync"]["rejectedRowCount"],
        json!(0),
        "widest header"
    );
    cells.push(cell(
        format!("{COLUMNS_MAX} columns (the cap), {rows} rows, dry run"),
        file_mib,
        seconds,
        format!("200, {rows} rows read"),
        growth,
    ));
    (cells, bench.peak_per_cell.get())
}

pub fn markdown(cells: &[Cell], peak_per_cell: bool) -> String {
    let mut out = String::from(
        "\n### Hostile employee files (peak RSS growth of the server)\n\n\
         | cell | file MiB | s | answer | peak RSS growth MiB |\n|---|---:|---:|---|---:|\n",
    );
    for c in cells {
        let _ = writeln!(
            out,
            "| {} | {:.1} | {:.2} | {} | {:.0} |",
            c.name, c.file_mib, c.seconds, c.answer, c.peak_growth_mib
        );
    }
    let _ = writeln!(
        out,
        "\n- peak RSS is {}; goal: under 150 MiB of growth for every cell",
        if peak_per_cell {
            "per cell (VmHWM reset through /proc/<pid>/clear_refs before each)"
        } else {
            "the server's since it started (VmHWM could not be reset)"
        }
    );
    out
}
