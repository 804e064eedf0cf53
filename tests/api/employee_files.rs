//! Employee files by their three transports: `POST /employee-files`, `autoprov employees
//! import` and the inbox directory (PRODUCT §7).
use std::{path::Path, time::Duration};

use serde_json::{Value, json};

use crate::helpers::{TestApp, autoprov, spawn_app, spawn_app_with};

/// Two employees of the IT department.
pub(crate) const TWO_IN_IT: &str =
    "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId
E1,ada@example.com,Ada,Lovelace,IT,London,Engineer,E2
E2,bob@example.com,Bob,Smith,IT,London,Manager,
";

/// The same two, moved out of IT.
pub(crate) const NONE_IN_IT: &str =
    "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId
E1,ada@example.com,Ada,Lovelace,Sales,London,Engineer,E2
E2,bob@example.com,Bob,Smith,Sales,London,Manager,
";

/// Not an employee file: the required columns are missing.
const MALFORMED: &str = "name,colour\nada,blue\n";

impl TestApp {
    /// `POST /employee-files` with `token` (or none), a body of `content_type` and `query`.
    async fn send_file(
        &self,
        token: Option<&str>,
        content_type: &str,
        query: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .client
            .post(format!("{}/employee-files", self.address))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .query(query)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, headers, body)
    }

    pub(crate) async fn upload(&self, csv: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let (status, _, body) = self
            .send_file(Some(&self.owner_token), "text/csv", query, csv.to_owned())
            .await;
        (status, body)
    }

    /// A rule making everyone in IT a support administrator.
    pub(crate) async fn it_support_rule(&self) {
        let data = self
            .data(
                r#"mutation { adminProvisioningRules { create(input: {name: "IT",
                    conditions: [{field: "department", operation: eq, value: "IT"}],
                    role: support}) { errors { message } } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            data["adminProvisioningRules"]["create"]["errors"],
            json!([]),
            "{data}"
        );
    }
}

#[tokio::test]
async fn a_file_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let (status, headers, body) = app.send_file(None, "text/csv", &[], TWO_IN_IT).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert!(body["error"].is_string(), "{body}");
    let (status, _, _) = app
        .send_file(Some("apt_nonsense"), "text/csv", &[], TWO_IN_IT)
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_auditor_may_not_send_employee_files() {
    let app = spawn_app().await;
    let auditor = app.create_token("auditor").await;
    let (status, _, body) = app
        .send_file(Some(&auditor), "text/csv", &[], TWO_IN_IT)
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("auditor")),
        "{body}"
    );
}

#[tokio::test]
async fn only_csv_bodies_are_read() {
    let app = spawn_app().await;
    let (status, headers, body) = app
        .send_file(Some(&app.owner_token), "application/json", &[], "{}")
        .await;
    assert_eq!(status, 415, "{body}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("text/csv")),
        "{body}"
    );
}

#[tokio::test]
async fn dry_run_must_be_true_or_false() {
    let app = spawn_app().await;
    for query in [[("dryRun", "maybe")], [("dryrun", "true")]] {
        let (status, body) = app.upload(TWO_IN_IT, &query).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains(query[0].0)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_route_has_its_own_body_limit() {
    let app = spawn_app_with(|s| {
        s.max_body_bytes = 1024;
        s.max_employee_file_bytes = 8 * 1024;
    })
    .await;
    // Over the router-wide limit, under the route's: it reaches the importer.
    let mut csv = TWO_IN_IT.to_owned();
    for n in 3..60 {
        csv.push_str(&format!(
            "E{n},p{n}@example.com,P,Q,Sales,London,Clerk,E2\n"
        ));
    }
    assert!(csv.len() > 1024 && csv.len() < 8 * 1024);
    let (status, body) = app.upload(&csv, &[]).await;
    assert_ne!(status, 413, "{body}");
    // Over the route's: refused before the importer sees it.
    let (status, body) = app.upload(&"x".repeat(9 * 1024), &[]).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("--max-employee-file-bytes")),
        "{body}"
    );
}

#[test]
fn an_unreadable_file_exits_1_naming_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-file.csv");
    let output = autoprov()
        .args(["employees", "import"])
        .arg(&missing)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.path().join("db").display()),
        )
        .output()
        .expect("run employees import");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
}

#[test]
fn employee_settings_out_of_range_are_refused_by_name() {
    for (flag, value) in [
        ("--max-deactivation-percent", "101"),
        ("--max-deactivation-percent", "-1"),
        ("--employee-inbox-poll-seconds", "0"),
        ("--max-employee-file-bytes", "0"),
    ] {
        let output = autoprov()
            .arg(format!("{flag}={value}"))
            .arg("schema")
            .output()
            .expect("run autoprov");
        assert!(!output.status.success(), "{flag}={value} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{flag}={value}: {stderr}");
    }
}

#[tokio::test]

async fn an_applied_file_is_200_and_a_dry_run_changes_nothing() {
    let app = spawn_app().await;
    app.it_support_rule().await;
    let (status, body) = app
        .upload(TWO_IN_IT, &[("dryRun", "true"), ("fileName", "hr.csv")])
        .await;
    assert_eq!(status, 200, "{body}");
    let sync = &body["employeeSync"];
    assert_eq!(sync["status"], "dryRun", "{body}");
    assert_eq!(sync["created"], 2, "{body}");
    assert!(body.get("error").is_none(), "{body}");

    let (status, body) = app.upload(TWO_IN_IT, &[]).await;
    assert_eq!(status, 200, "{body}");
    let sync = &body["employeeSync"];
    assert_eq!(sync["status"], "applied", "{body}");
    assert_eq!(
        (sync["rows"].clone(), sync["created"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(sync["changes"].as_array().map(Vec::len), Some(2), "{body}");
    for key in [
        "reactivated",
        "deactivated",
        "roleChanged",
        "updated",
        "unchanged",
        "rejectedRows",
        "notes",
        "reason",
    ] {
        assert!(sync.get(key).is_some(), "{key}: {body}");
    }
    use base64::Engine;
    let id = base64::engine::general_purpose::STANDARD
        .decode(sync["id"].as_str().expect("id"))
        .expect("base64");
    assert!(String::from_utf8_lossy(&id).starts_with("EmployeeSync:"));
}

#[tokio::test]

async fn a_mass_deactivation_is_202_held_and_a_malformed_file_422() {
    let app = spawn_app().await;
    app.it_support_rule().await;
    assert_eq!(app.upload(TWO_IN_IT, &[]).await.0, 200);
    let (status, body) = app.upload(NONE_IN_IT, &[]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["employeeSync"]["status"], "held", "{body}");
    assert!(body["employeeSync"]["reason"].is_string(), "{body}");

    let (status, body) = app.upload(MALFORMED, &[]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["employeeSync"]["status"], "rejected", "{body}");
    assert_eq!(body["error"], body["employeeSync"]["reason"], "{body}");
}

/// Runs `autoprov employees import` on `csv` against the app's database.
fn import_command(app: &TestApp, dir: &Path, csv: &str) -> std::process::Output {
    let file = dir.join("hr.csv");
    std::fs::write(&file, csv).expect("write file");
    autoprov()
        .args(["employees", "import"])
        .arg(&file)
        .env("DATABASE_URL", &app.database.url)
        .output()
        .expect("run employees import")
}

#[tokio::test]

async fn the_command_exits_0_applied_3_held_2_rejected() {
    let app = spawn_app().await;
    app.it_support_rule().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let output = import_command(&app, dir.path(), TWO_IN_IT);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("applied"), "{stdout}");

    let output = import_command(&app, dir.path(), NONE_IN_IT);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("employeeSyncs"), "{stdout}");

    let output = import_command(&app, dir.path(), MALFORMED);
    assert_eq!(output.status.code(), Some(2));
    assert!(!output.stderr.is_empty());
}

/// Waits up to 30 s for `dir` to hold `n` files; their names, sorted.
pub(crate) async fn files_in(dir: &Path, n: usize) -> Vec<String> {
    for _ in 0..300 {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        if names.len() >= n {
            names.sort();
            return names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never held {n} files", dir.display());
}

/// A server watching a new inbox directory every second; the directory lives as long as the
/// guard.
pub(crate) async fn app_with_inbox() -> (tempfile::TempDir, TestApp) {
    let inbox = tempfile::tempdir().expect("temp dir");
    let dir = inbox.path().to_owned();
    let app = spawn_app_with(|s| {
        s.employee_inbox = Some(dir);
        s.employee_inbox_poll_seconds = 1;
    })
    .await;
    (inbox, app)
}

#[tokio::test]
async fn the_inbox_imports_finished_files_and_fails_malformed_ones() {
    let (inbox, app) = app_with_inbox().await;
    let dir = inbox.path().to_owned();
    app.it_support_rule().await;
    std::fs::write(dir.join("upload.csv.part"), TWO_IN_IT).expect("write");
    std::fs::write(dir.join("bad.csv"), MALFORMED).expect("write");
    std::fs::rename(dir.join("upload.csv.part"), dir.join("good.csv")).expect("rename");

    let processed = files_in(&dir.join("processed"), 1).await;
    assert!(processed[0].ends_with("-good.csv"), "{processed:?}");
    let failed = files_in(&dir.join("failed"), 2).await;
    let reason = std::fs::read_to_string(dir.join("failed").join(&failed[1])).expect("reason");
    assert!(failed[1].ends_with("-bad.csv.reason.txt"), "{failed:?}");
    assert!(reason.contains("sync: "), "{reason}");
    let data = app
        .data(
            "{ employeeSyncs { edges { node { source fileName status } } } }",
            json!({}),
        )
        .await;
    assert!(data.to_string().contains("good.csv"), "{data}");
}

/// The statements among `sql` that write (INSERT, UPDATE, DELETE).
fn writes(sql: &[String]) -> Vec<&str> {
    sql.iter()
        .map(|s| s.trim_start())
        .filter(|sql| {
            ["INSERT", "UPDATE", "DELETE"]
                .iter()
                .any(|w| sql.to_ascii_uppercase().starts_with(w))
        })
        .collect()
}

#[tokio::test]
async fn a_file_dropped_again_into_the_inbox_writes_only_its_sync_row() {
    let (inbox, app) = app_with_inbox().await;
    let dir = inbox.path().to_owned();
    app.it_support_rule().await;
    // With an extra column and a terminated employee, which must compare equal too.
    let file = format!(
        "{}E3,cy@example.com,Cy,Ng,IT,Paris,Engineer,E2,terminated,CC-2\n",
        TWO_IN_IT
            .lines()
            .enumerate()
            .map(|(i, line)| match i {
                0 => format!("{line},Status,CostCenter\n"),
                _ => format!("{line},,CC-1\n"),
            })
            .collect::<String>()
    );
    std::fs::write(dir.join("first.csv"), &file).expect("write");
    files_in(&dir.join("processed"), 1).await;
    let rows_before = app.row_counts().await;

    app.statements.start_recording();
    std::fs::write(dir.join("second.csv"), &file).expect("write");
    files_in(&dir.join("processed"), 2).await;
    let statements = app.statements.stop_recording();
    let sql: Vec<String> = statements.into_iter().map(|s| s.sql).collect();
    let written = writes(&sql);
    assert!(!written.is_empty(), "the sync row is written");
    assert!(
        written
            .iter()
            .all(|sql| sql.contains("\"employee_sync\"") || sql.contains(" employee_sync ")),
        "{written:#?}"
    );
    assert_eq!(app.row_counts().await, rows_before);
    let data = app
        .data(
            "{ employeeSyncs(first: 2) { edges { node { status rows created unchanged } } } }",
            json!({}),
        )
        .await;
    let syncs = &data["employeeSyncs"]["edges"];
    assert_eq!(
        syncs[0]["node"],
        json!({"status": "applied", "rows": 3, "created": 0, "unchanged": 2}),
        "{data}"
    );
    assert_eq!(syncs[1]["node"]["created"], 2, "{data}");
}

#[tokio::test]
async fn a_file_held_from_the_command_line_keeps_its_file_to_be_applied() {
    let app = spawn_app().await;
    app.it_support_rule().await;
    let dir = tempfile::tempdir().expect("temp dir");
    assert_eq!(
        import_command(&app, dir.path(), TWO_IN_IT).status.code(),
        Some(0)
    );
    // Read as it is parsed, the file is read again for the held sync's record.
    assert_eq!(
        import_command(&app, dir.path(), NONE_IN_IT).status.code(),
        Some(3)
    );
    let data = app
        .data(
            "{ employeeSyncs(first: 1) { edges { node { id status } } } }",
            json!({}),
        )
        .await;
    let held = &data["employeeSyncs"]["edges"][0]["node"];
    assert_eq!(held["status"], "held", "{data}");
    let applied = app
        .data(
            "mutation($id: ID!) { employeeSyncs { apply(input: {employeeSyncId: $id}) {
                employeeSync { status deactivated } errors { message } } } }",
            json!({ "id": held["id"] }),
        )
        .await;
    assert_eq!(
        applied["employeeSyncs"]["apply"],
        json!({"employeeSync": {"status": "applied", "deactivated": 2}, "errors": []}),
        "{applied}"
    );
}
