//! An employee file is read twice (README "Scale"): once to check it and index it, again to
//! plan and write it a batch of 500 rows at a time. What the second reading must get right: a
//! file changed between the readings, a held sync's snapshot, and rules that span batches.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::json;

use crate::employee_files::{NONE_IN_IT, TWO_IN_IT, app_with_inbox, files_in};
use crate::helpers::{TestApp, spawn_app};

const HEADER: &str = "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId";

/// The stored snapshot: each row's id, line, department and manager flag, by id.
async fn stored(app: &TestApp) -> Vec<(String, i64, String, bool)> {
    let backend = app.db.get_database_backend();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT employee_id, line, department, is_manager FROM employee ORDER BY employee_id",
        ))
        .await
        .expect("read the snapshot");
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "employee_id").expect("employee_id"),
                row.try_get("", "line").expect("line"),
                row.try_get("", "department").expect("department"),
                row.try_get("", "is_manager").expect("is_manager"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_file_changed_between_its_two_readings_is_refused_and_changes_nothing() {
    let (inbox, app) = app_with_inbox().await;
    let dir = inbox.path().to_owned();
    app.it_support_rule().await;
    let before = app.row_counts().await;

    // Holding the sync lock from the test's own connection stops the sync after its first
    // reading (made before its transaction) and before its second.
    let txn = app.db.begin().await.expect("begin");
    let hold = match txn.get_database_backend() {
        DbBackend::Postgres => "SELECT pg_advisory_xact_lock(7308620004216091499)",
        // Any write takes SQLite's one write lock, even one that changes nothing.
        _ => "DELETE FROM brand WHERE 1 = 0",
    };
    txn.execute_unprepared(hold).await.expect("take the lock");
    std::fs::write(dir.join("hr.csv"), TWO_IN_IT).expect("write");
    let claimed = files_in(&dir.join("processing"), 1).await;
    // The first reading of two rows takes milliseconds.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let path = dir.join("processing").join(&claimed[0]);
    std::fs::write(&path, TWO_IN_IT.replace("Lovelace", "Byron")).expect("rewrite in place");
    txn.rollback().await.expect("release the lock");

    let failed = files_in(&dir.join("failed"), 2).await;
    let reason = std::fs::read_to_string(dir.join("failed").join(&failed[1])).expect("reason");
    assert!(
        reason.contains("the employee file changed while it was imported"),
        "{reason}"
    );
    assert_eq!(app.row_counts().await, before);
}

#[tokio::test]
async fn a_held_sync_leaves_the_stored_snapshot_as_it_was() {
    let app = spawn_app().await;
    app.it_support_rule().await;
    assert_eq!(app.upload(TWO_IN_IT, &[]).await.0, 200);
    let snapshot = stored(&app).await;
    assert_eq!(snapshot.len(), 2);
    assert!(
        snapshot
            .iter()
            .all(|(_, _, department, _)| department == "IT")
    );

    // Both administrators would be deactivated: held, and the snapshot written in its
    // savepoint is undone.
    let (status, body) = app.upload(NONE_IN_IT, &[]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["employeeSync"]["status"], "held", "{body}");
    assert_eq!(stored(&app).await, snapshot);

    // A dry run writes no snapshot either.
    let (status, body) = app.upload(NONE_IN_IT, &[("dryRun", "true")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stored(&app).await, snapshot);
}

/// `n` employees of IT, E0001 on line 2 onwards; each reports to the one 700 rows later
/// (so in a later batch), the last ones to nobody.
fn many(n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let manager = if i + 700 <= n {
                format!("E{:04}", i + 700)
            } else {
                String::new()
            };
            format!("E{i:04},e{i}@example.com,F{i},L{i},IT,London,Engineer,{manager}")
        })
        .collect()
}

#[tokio::test]
async fn repeats_and_managers_are_found_across_batches() {
    let app = spawn_app().await;
    app.it_support_rule().await;
    let mut rows = many(1200);
    // Lines 1202 and 1203 repeat an id and an email of the first batch; line 1204 is refused,
    // so its id may come again on line 1205.
    rows.push("E0003,other@example.com,X,Y,IT,London,Engineer,".to_owned());
    rows.push("E9001,E5@EXAMPLE.com,X,Y,IT,London,Engineer,".to_owned());
    rows.push("E9002,not-an-address,X,Y,IT,London,Engineer,".to_owned());
    rows.push("E9002,e9002@example.com,X,Y,IT,London,Engineer,E0001".to_owned());
    let file = format!("{HEADER}\n{}\n", rows.join("\n"));
    let (status, body) = app.upload(&file, &[]).await;
    assert_eq!(status, 200, "{body}");
    let sync = &body["employeeSync"];
    assert_eq!(sync["rows"], 1204, "{body}");
    assert_eq!(sync["created"], 1201, "{body}");
    let rejected = sync["rejectedRows"].as_array().expect("rejected rows");
    let lines: Vec<_> = rejected
        .iter()
        .map(|r| (&r["line"], &r["message"]))
        .collect();
    assert_eq!(
        lines,
        [
            (
                &json!(1202),
                &json!("EmployeeId E0003 already appears on line 4")
            ),
            (
                &json!(1203),
                &json!("Email E5@EXAMPLE.com already appears on line 6")
            ),
            (
                &json!(1204),
                &json!("Email must be an email address like name@example.com")
            ),
        ],
        "{body}"
    );

    let snapshot = stored(&app).await;
    assert_eq!(snapshot.len(), 1201);
    let manager = |id: &str| {
        snapshot
            .iter()
            .find(|(stored, ..)| stored == id)
            .map(|(_, _, _, manager)| *manager)
    };
    // Named by a row 700 lines earlier, in an earlier batch.
    assert_eq!(manager("E0701"), Some(true));
    assert_eq!(manager("E1200"), Some(true));
    // Named by nobody before line 701, but by the last row, in a later batch.
    assert_eq!(manager("E0001"), Some(true));
    assert_eq!(manager("E0002"), Some(false));
    assert_eq!(manager("E0700"), Some(false));
    let last = snapshot.iter().find(|(id, ..)| id == "E9002");
    assert_eq!(last.map(|(_, line, ..)| *line), Some(1205));

    // The same file again changes nothing, the moved rows of a changed one only themselves.
    let (status, body) = app.upload(&file, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stored(&app).await, snapshot);
    let (status, body) = app
        .upload(
            &file.replace(",IT,London,Engineer,E1150", ",Sales,London,Engineer,E1150"),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let moved = stored(&app).await;
    let sales: Vec<_> = moved.iter().filter(|(_, _, d, _)| d == "Sales").collect();
    assert_eq!(sales.len(), 1, "{sales:?}");
    assert_eq!(sales[0].0, "E0450");
    assert_eq!(moved.len(), snapshot.len());
}
