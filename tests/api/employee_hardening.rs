//! Employee files against amplification and hostile bytes (issue 18): rejected rows kept per
//! sync are capped, the header is capped, a sync list reads its large columns only when they
//! are selected, a NUL is a rejected row naming its column (never a 500, never a stuck inbox).

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    employee_files::{app_with_inbox, files_in},
    helpers::{TestApp, spawn_app},
};

const HEADER: &str = "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId";

impl TestApp {
    /// `POST /employee-files` as the owner, with `query`.
    async fn post_file(
        &self,
        csv: impl Into<reqwest::Body>,
        query: &[(&str, &str)],
    ) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/employee-files", self.address))
            .header(reqwest::header::CONTENT_TYPE, "text/csv")
            .bearer_auth(&self.owner_token)
            .query(query)
            .body(csv)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A rule making everyone in IT a support administrator.
    async fn rule_for_it(&self) {
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

    async fn sync_by_id(&self, id: &str) -> Value {
        let data = self
            .data(
                "query($id: ID!) { employeeSync(id: $id) { status rows rejectedRowCount
                    rejectedRows { line employeeId message } } }",
                json!({ "id": id }),
            )
            .await;
        data["employeeSync"].clone()
    }
}

/// The rows in `table`, read by the test's own connection.
async fn rows_in(app: &TestApp, table: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get("", "n").expect("n")
}

fn row(id: &str, department: &str) -> String {
    format!("{id},{id}@example.com,Ann,Lee,{department},London,Engineer,\n")
}

#[tokio::test]
async fn rejected_rows_are_capped_at_the_first_thousand_with_the_total_kept() {
    let app = spawn_app().await;
    let mut csv = format!("{HEADER}\n");
    csv.push_str(&row("E1", "IT"));
    // 5,000 lines of one field each: every one is a rejected row.
    for _ in 0..5000 {
        csv.push_str("x\n");
    }
    csv.push_str(&row("E2", "IT"));
    let (status, body) = app.post_file(csv, &[("dryRun", "true")]).await;
    assert_eq!(status, 200, "{body}");
    let sync = &body["employeeSync"];
    assert_eq!(sync["rows"], 5002, "{sync}");
    assert_eq!(sync["rejectedRowCount"], 5000, "{sync}");
    assert_eq!(sync["rejectedRows"].as_array().map(Vec::len), Some(1000));
    assert_eq!(sync["rejectedRows"][0]["line"], 3);
    assert_eq!(sync["rejectedRows"][999]["line"], 1002);

    let stored = app.sync_by_id(sync["id"].as_str().expect("id")).await;
    assert_eq!(stored["rejectedRowCount"], 5000, "{stored}");
    assert_eq!(stored["rows"], 5002);
    assert_eq!(stored["rejectedRows"].as_array().map(Vec::len), Some(1000));
}

#[tokio::test]
async fn a_header_with_too_many_or_too_long_columns_is_refused_naming_it() {
    let app = spawn_app().await;
    // 2,000 long column names: each row would repeat them all.
    let mut csv = HEADER.to_owned();
    for i in 0..2000 {
        csv.push_str(&format!(",{}{i}", "c".repeat(200)));
    }
    csv.push('\n');
    csv.push_str(&row("E1", "IT"));
    let (status, body) = app.post_file(csv, &[]).await;
    assert_eq!(status, 422, "{body}");
    let why = body["error"].as_str().expect("error");
    assert!(why.contains("header row has 2008 columns"), "{why}");
    assert!(why.contains("250"), "{why}");

    let csv = format!(
        "{HEADER},{}\n{}",
        "n".repeat(129),
        row("E1", "IT").trim_end().to_owned() + ",x\n"
    );
    let (status, body) = app.post_file(csv, &[]).await;
    assert_eq!(status, 422, "{body}");
    let why = body["error"].as_str().expect("error");
    assert!(why.contains("header column 9"), "{why}");
    assert!(why.contains("128 characters"), "{why}");
    assert_eq!(rows_in(&app, "employee").await, 0);
}

/// The statements a GraphQL query runs that read `employee_sync`.
async fn sync_reads(app: &TestApp, query: &str) -> (Value, Vec<String>) {
    app.statements.start_recording();
    let data = app.data(query, json!({})).await;
    let statements = app.statements.stop_recording();
    let reads = statements
        .into_iter()
        .map(|s| s.sql)
        .filter(|sql| sql.contains("FROM \"employee_sync\""))
        .collect();
    (data, reads)
}

#[tokio::test]
async fn listing_syncs_reads_rejected_rows_and_changes_only_when_selected() {
    let app = spawn_app().await;
    app.rule_for_it().await;
    let csv = format!("{HEADER}\n{}x\n{}", row("E1", "IT"), row("E2", "IT"));
    let (status, body) = app.post_file(csv, &[]).await;
    assert_eq!(status, 200, "{body}");

    let (data, reads) = sync_reads(
        &app,
        "{ employeeSyncs { edges { node { id status rows rejectedRowCount created } } } }",
    )
    .await;
    assert_eq!(
        data["employeeSyncs"]["edges"][0]["node"]["rejectedRowCount"],
        1
    );
    assert_eq!(reads.len(), 1, "{reads:?}");
    for column in ["rejected_rows", "notes", "changes", "body"] {
        let read = format!("\"employee_sync\".\"{column}\"");
        assert!(!reads[0].contains(&read), "{column} was read: {}", reads[0]);
    }

    let (data, reads) = sync_reads(
        &app,
        "{ employeeSyncs { edges { node { ... on EmployeeSync { rejectedRows { line } }
            changes { employeeId } } } } }",
    )
    .await;
    let node = &data["employeeSyncs"]["edges"][0]["node"];
    assert_eq!(node["rejectedRows"], json!([{ "line": 3 }]), "{data}");
    assert_eq!(node["changes"].as_array().map(Vec::len), Some(2), "{data}");
    assert!(
        reads[0].contains("\"employee_sync\".\"rejected_rows\""),
        "{}",
        reads[0]
    );
    assert!(
        reads[0].contains("\"employee_sync\".\"changes\""),
        "{}",
        reads[0]
    );
    assert!(
        !reads[0].contains("\"employee_sync\".\"body\""),
        "{}",
        reads[0]
    );
}

#[tokio::test]
async fn a_long_list_of_changes_is_stored_in_parts_and_read_back_whole() {
    let app = spawn_app().await;
    app.rule_for_it().await;
    // Some 3 MB of changes: written as many parts of about 64 KiB, joined by the database.
    let employees = 8000;
    let mut csv = format!("{HEADER}\n");
    for i in 0..employees {
        csv.push_str(&row(&format!("E{i:05}"), "IT"));
    }
    app.statements.start_recording();
    let (status, body) = app.post_file(csv, &[]).await;
    let statements = app.statements.stop_recording();
    assert_eq!(status, 200, "{body}");
    let parts = statements
        .iter()
        .filter(|s| s.sql.contains("INSERT INTO \"employee_sync_change_part\""))
        .count();
    assert!(parts >= 2, "{parts} parts");
    assert_eq!(rows_in(&app, "employee_sync_change_part").await, 0);

    let id = body["employeeSync"]["id"].as_str().expect("id");
    let data = app
        .data(
            "query($id: ID!) { employeeSync(id: $id) { status
                changes { employeeId email kind newRole } } }",
            json!({ "id": id }),
        )
        .await;
    let sync = &data["employeeSync"];
    assert_eq!(sync["status"], "applied", "{body}");
    let changes = sync["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), employees);
    for (i, change) in changes.iter().enumerate() {
        let employee = format!("E{i:05}");
        assert_eq!(change["employeeId"], employee.as_str(), "change {i}");
        assert_eq!(change["email"], format!("{employee}@example.com"));
        assert_eq!(change["kind"], "created");
        assert_eq!(change["newRole"], "support");
    }
    // The answer to the import carries the same list.
    assert_eq!(
        body["employeeSync"]["changes"].as_array().map(Vec::len),
        Some(employees),
        "the import's answer"
    );
}

#[tokio::test]
async fn a_nul_or_control_character_is_a_rejected_row_naming_its_column() {
    let app = spawn_app().await;
    app.rule_for_it().await;
    let csv = format!(
        "{HEADER},Cost Center\n\
         E1,e1@example.com,Ann,Lee,I\0T,London,Engineer,,CC1\n\
         E2,e2@example.com,Ann,Lee,IT,London,Engineer,,CC\u{1}2\n\
         E\0,e3@example.com,Ann,Lee,IT,London,Engineer,,CC3\n\
         E4,e4@example.com,Ann,Lee,IT,London,\"Lead\tEngineer\",,CC4\n"
    );
    let (status, body) = app.post_file(csv, &[]).await;
    assert_eq!(status, 200, "{body}");
    let sync = &body["employeeSync"];
    assert_eq!(sync["created"], 1, "{sync}");
    let rejected = sync["rejectedRows"].as_array().expect("rejected rows");
    assert_eq!(rejected.len(), 3, "{sync}");
    let message = |i: usize| {
        rejected[i]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        message(0).starts_with("Department must not contain control characters"),
        "{sync}"
    );
    assert!(
        message(1).starts_with("Cost Center must not contain control characters"),
        "{sync}"
    );
    assert!(
        message(2).starts_with("EmployeeId must not contain control characters"),
        "{sync}"
    );
    assert_eq!(rejected[0]["employeeId"], "E1");
    // An id holding a NUL is not repeated (PostgreSQL could not store it).
    assert_eq!(rejected[2]["employeeId"], Value::Null);
    assert_eq!(rows_in(&app, "employee").await, 1);
}

#[tokio::test]
async fn a_held_file_with_a_nul_is_kept_and_applies_with_that_row_refused() {
    let app = spawn_app().await;
    app.rule_for_it().await;
    let csv = format!("{HEADER}\n{}{}", row("E1", "IT"), row("E2", "IT"));
    assert_eq!(app.post_file(csv, &[]).await.0, 200);
    // Both leave IT (held: 100 % deactivated); a third row holds a NUL.
    let csv = format!(
        "{HEADER}\n{}{}{}",
        row("E1", "Sales"),
        row("E2", "Sales"),
        row("E3", "I\0T")
    );
    let (status, body) = app.post_file(csv, &[]).await;
    assert_eq!(status, 202, "{body}");
    let id = body["employeeSync"]["id"].as_str().expect("id").to_owned();
    assert_eq!(body["employeeSync"]["rejectedRowCount"], 1, "{body}");
    let data = app
        .data(
            "mutation($id: ID!) { employeeSyncs { apply(input: {employeeSyncId: $id}) {
                employeeSync { status deactivated rejectedRowCount rejectedRows { line message } }
                errors { message } } } }",
            json!({ "id": id }),
        )
        .await;
    let applied = &data["employeeSyncs"]["apply"]["employeeSync"];
    assert_eq!(applied["status"], "applied", "{data}");
    assert_eq!(applied["deactivated"], 2, "{data}");
    assert_eq!(applied["rejectedRows"][0]["line"], 4, "{data}");
    assert!(
        applied["rejectedRows"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Department must not contain control characters"),
        "{data}"
    );
}

#[tokio::test]
async fn a_file_name_with_a_nul_is_a_field_error_not_a_500() {
    let app = spawn_app().await;
    let csv = format!("{HEADER}\n{}", row("E1", "IT"));
    let (status, body) = app
        .post_file(csv.clone(), &[("fileName", "hr\0.csv")])
        .await;
    assert_eq!(status, 400, "{body}");
    let why = body["error"].as_str().expect("error");
    assert!(why.starts_with("fileName: "), "{why}");
    // Over GraphQL the argument check refuses it before the resolver, naming the field.
    let body = app
        .gql(
            "mutation($file: String!) { employeeSyncs { import(input: {file: $file,
                fileName: \"hr\\u0000.csv\"}) { employeeSync { id } errors { label code } } } }",
            json!({ "file": csv }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "import.input.fileName",
        "{body}"
    );
    assert_eq!(rows_in(&app, "employee_sync").await, 0);
}

#[tokio::test]
async fn a_file_with_a_nul_in_the_inbox_is_imported_and_later_files_follow() {
    let (inbox, app) = app_with_inbox().await;
    let dir = inbox.path().to_owned();
    let nul = format!("{HEADER}\n{}{}", row("E1", "IT"), row("E2", "I\0T"));
    std::fs::write(dir.join("a.csv"), nul).expect("write");
    std::fs::write(dir.join("b.csv"), format!("{HEADER}\n{}", row("E1", "IT"))).expect("write");

    let processed = files_in(&dir.join("processed"), 2).await;
    assert!(processed[0].ends_with("-a.csv"), "{processed:?}");
    assert!(processed[1].ends_with("-b.csv"), "{processed:?}");
    let data = app
        .data(
            "{ employeeSyncs { edges { node { fileName status rejectedRowCount
                rejectedRows { line message } } } } }",
            json!({}),
        )
        .await;
    let edges = data["employeeSyncs"]["edges"].as_array().expect("edges");
    let of_a = edges
        .iter()
        .find(|e| e["node"]["fileName"] == "a.csv")
        .unwrap_or_else(|| panic!("{data}"));
    assert_eq!(of_a["node"]["rejectedRowCount"], 1, "{data}");
    assert_eq!(of_a["node"]["rejectedRows"][0]["line"], 3, "{data}");
    assert!(files_in(&dir.join("failed"), 0).await.is_empty());
}
