//! Employee syncs: deactivation and reactivation, the safeguard, dry runs, malformed files
//! and rows, idempotence, and the columns rules may name.
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::{TestApp, spawn_app};

/// A server with one rule: the Sales department gets `support`.
async fn sales_rule() -> TestApp {
    let app = spawn_app().await;
    create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    app
}

/// A Sales rule (support) and five Sales employees E1..E5, all provisioned.
async fn five_sales_admins() -> TestApp {
    let app = sales_rule().await;
    let sync = import_applied(&app, &csv(&staff("E", 5, "Sales"))).await;
    assert_eq!(sync["created"], 5, "{sync}");
    app
}

fn statuses(admins: &[(String, String, String)]) -> Vec<&str> {
    admins.iter().map(|a| a.2.as_str()).collect()
}

#[tokio::test]
async fn missing_and_terminated_employees_are_deactivated_and_come_back() {
    let app = five_sales_admins().await;
    // 10 administrators, so that 2 deactivations stay within the safeguard.
    let people: Vec<Employee> = staff("E", 10, "Sales");
    import_applied(&app, &csv(&people)).await;
    let mut next: Vec<Employee> = people[2..].to_vec();
    next.push(people[1].clone().terminated());
    let sync = import_applied(&app, &csv(&next)).await;
    assert_eq!(
        (&sync["deactivated"], &sync["unchanged"]),
        (&json!(2), &json!(8)),
        "{sync}"
    );
    let e1 = admin_of(&app, "E1").await;
    assert_eq!(e1["status"], "inactive");
    assert_eq!(e1["role"], "support", "the role is kept for a reactivation");
    let event = &e1["events"][0];
    assert_eq!(
        (&event["kind"], &event["oldStatus"], &event["newStatus"]),
        (&json!("deactivated"), &json!("active"), &json!("inactive")),
        "{e1}"
    );
    assert!(
        event["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not in the file")),
        "{e1}"
    );
    let e2 = admin_of(&app, "E2").await;
    assert_eq!(e2["status"], "inactive");
    assert!(
        e2["events"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("terminated")),
        "{e2}"
    );

    // Both come back.
    let sync = import_applied(&app, &csv(&people)).await;
    assert_eq!(
        (
            &sync["reactivated"],
            &sync["unchanged"],
            &sync["deactivated"]
        ),
        (&json!(2), &json!(8), &json!(0)),
        "{sync}"
    );
    assert_eq!(
        change_kinds(&sync),
        [
            ("E1".to_owned(), "reactivated".to_owned()),
            ("E2".to_owned(), "reactivated".to_owned())
        ]
    );
    assert!(
        statuses(&rule_admins(&app).await)
            .iter()
            .all(|s| *s == "active")
    );
    let e2 = admin_of(&app, "E2").await;
    let kinds: Vec<&Value> = e2["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| &e["kind"])
        .collect();
    assert_eq!(
        kinds,
        [
            &json!("reactivated"),
            &json!("deactivated"),
            &json!("created")
        ]
    );
}

#[tokio::test]
async fn a_sync_deactivating_more_than_a_fifth_is_held_until_applied() {
    let app = five_sales_admins().await;
    let before = admin_table_counts(&app).await;
    let held = import(&app, &csv(&staff("E", 3, "Sales"))).await;
    assert_eq!(held["status"], "held", "{held}");
    assert_eq!(held["deactivated"], 2, "{held}");
    assert!(
        held["reason"]
            .as_str()
            .is_some_and(|r| r.contains("2 of the 5")),
        "{held}"
    );
    assert_eq!(
        change_kinds(&held),
        [
            ("E4".to_owned(), "deactivated".to_owned()),
            ("E5".to_owned(), "deactivated".to_owned())
        ]
    );
    // Nothing changed but the sync's record.
    assert_eq!(
        admin_table_counts(&app).await,
        plus(before.clone(), "employee_sync", 1)
    );
    assert_eq!(statuses(&rule_admins(&app).await), ["active"; 5]);

    let data = app.data(&with_sync(APPLY), json!({"id": held["id"]})).await;
    let payload = &data["employeeSyncs"]["apply"];
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(payload["employeeSync"]["id"], held["id"]);
    assert_eq!(payload["employeeSync"]["status"], "applied", "{payload}");
    assert_eq!(payload["employeeSync"]["deactivated"], 2, "{payload}");
    assert_eq!(
        statuses(&rule_admins(&app).await),
        ["active", "active", "active", "inactive", "inactive"]
    );
    let newest = app
        .data(
            "{ employeeSyncs(first: 1) { edges { node { id status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        newest["employeeSyncs"]["edges"][0]["node"],
        json!({"id": held["id"], "status": "applied"})
    );

    // Applying again is refused and changes nothing.
    let before = admin_table_counts(&app).await;
    let data = app.data(&with_sync(APPLY), json!({"id": held["id"]})).await;
    let payload = &data["employeeSyncs"]["apply"];
    assert_eq!(payload["employeeSync"], Value::Null, "{payload}");
    assert_eq!(
        (
            &payload["errors"][0]["label"],
            &payload["errors"][0]["code"]
        ),
        (&json!("employeeSyncId"), &json!("invalid")),
        "{payload}"
    );
    assert_eq!(admin_table_counts(&app).await, before);
}

#[tokio::test]
async fn deactivating_exactly_a_fifth_applies_directly() {
    let app = five_sales_admins().await;
    let sync = import_applied(&app, &csv(&staff("E", 4, "Sales"))).await;
    assert_eq!(sync["deactivated"], 1, "{sync}");
    assert_eq!(
        statuses(&rule_admins(&app).await),
        ["active", "active", "active", "active", "inactive"]
    );
}

#[tokio::test]
async fn a_held_sync_is_superseded_by_a_later_file() {
    let app = five_sales_admins().await;
    let held = import(&app, &csv(&staff("E", 1, "Sales"))).await;
    assert_eq!(held["status"], "held", "{held}");
    import_applied(&app, &csv(&staff("E", 5, "Sales"))).await;
    let data = app.data(&with_sync(APPLY), json!({"id": held["id"]})).await;
    let payload = &data["employeeSyncs"]["apply"];
    assert_eq!(payload["errors"][0]["code"], "invalid", "{payload}");
    assert_eq!(statuses(&rule_admins(&app).await), ["active"; 5]);
}

#[tokio::test]
async fn a_dry_run_lists_the_plan_and_changes_nothing() {
    let app = five_sales_admins().await;
    let before = admin_table_counts(&app).await;
    let mut people = staff("E", 3, "Sales");
    people.push(employee("E6", "Sales"));
    let payload = import_payload(&app, &app.owner_token, &csv(&people), true).await;
    let sync = &payload["employeeSync"];
    // Not held either: nothing is applied anyway.
    assert_eq!(sync["status"], "dryRun", "{sync}");
    assert_eq!(
        (&sync["created"], &sync["deactivated"], &sync["unchanged"]),
        (&json!(1), &json!(2), &json!(3))
    );
    assert_eq!(
        change_kinds(sync),
        [
            ("E6".to_owned(), "created".to_owned()),
            ("E4".to_owned(), "deactivated".to_owned()),
            ("E5".to_owned(), "deactivated".to_owned()),
        ]
    );
    let created = &sync["changes"][0];
    assert_eq!(
        (
            &created["ruleName"],
            &created["newRole"],
            &created["newStatus"]
        ),
        (&json!("Sales"), &json!("support"), &json!("active"))
    );
    assert_eq!(
        admin_table_counts(&app).await,
        plus(before, "employee_sync", 1)
    );
    assert_eq!(statuses(&rule_admins(&app).await), ["active"; 5]);
    // Nor can it be applied.
    let data = app.data(&with_sync(APPLY), json!({"id": sync["id"]})).await;
    assert_eq!(
        data["employeeSyncs"]["apply"]["errors"][0]["code"],
        "invalid"
    );
}

#[tokio::test]
async fn a_malformed_file_is_rejected_whole() {
    let app = five_sales_admins().await;
    let missing = csv(&staff("E", 1, "Sales"))
        .replace(",ManagerId", "")
        .replace(",,active", ",active");
    for (file, why) in [
        (missing.as_str(), "ManagerId"),
        (
            "\u{0}\u{1}\u{2}\u{3}PNG\r\n\u{1a}\n\u{0}\u{0}IHDR\u{7f}",
            "CSV",
        ),
        ("EmployeeId;Email;FirstName\nE1;e1@example.com;A\n", "comma"),
        ("Name,Age\nAda,36\n", "EmployeeId"),
        ("", "empty"),
    ] {
        let before = admin_table_counts(&app).await;
        let sync = import(&app, file).await;
        assert_eq!(sync["status"], "rejected", "{file:?}: {sync}");
        assert!(
            sync["reason"].as_str().is_some_and(|r| r.contains(why)),
            "{file:?}: {sync}"
        );
        assert_eq!(
            (&sync["rows"], &sync["changes"]),
            (&json!(0), &json!([])),
            "{sync}"
        );
        assert_eq!(
            admin_table_counts(&app).await,
            plus(before, "employee_sync", 1),
            "{file:?}"
        );
    }
    assert_eq!(statuses(&rule_admins(&app).await), ["active"; 5]);
}

#[tokio::test]
async fn bad_rows_are_reported_by_line_and_leave_their_administrators_alone() {
    let app = five_sales_admins().await;
    let row = |e: Employee| csv(&[e]).lines().nth(1).expect("row").to_owned();
    let file = [
        HEADER.to_owned(),
        row(employee("E1", "Sales")),
        row(employee("E2", "Sales").email("not-an-email")),
        row(employee("E1", "Sales").email("other@example.com")),
        row(employee("E4", "Sales")).replace(",active", ",retired"),
        row(employee("E5", "Sales")),
        // A blank line counts as a line.
        String::new(),
        row(employee("E6", "Sales")),
        row(employee("E3", "Sales")),
    ]
    .join("\n");
    let sync = import_applied(&app, &file).await;
    let rejected: Vec<(u64, &str)> = sync["rejectedRows"]
        .as_array()
        .expect("rejectedRows")
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["employeeId"].as_str().expect("id"),
            )
        })
        .collect();
    assert_eq!(rejected, [(3, "E2"), (4, "E1"), (5, "E4")], "{sync}");
    for (i, word) in [(0, "Email"), (1, "line 2"), (2, "retired")] {
        assert!(
            sync["rejectedRows"][i]["message"]
                .as_str()
                .is_some_and(|m| m.contains(word)),
            "{sync}"
        );
    }
    assert_eq!(sync["rows"], 7, "{sync}");
    // E6 is created; E2 and E4, whose rows were refused, are left as they were.
    assert_eq!(
        (&sync["created"], &sync["deactivated"], &sync["unchanged"]),
        (&json!(1), &json!(0), &json!(5)),
        "{sync}"
    );
    assert_eq!(statuses(&rule_admins(&app).await), ["active"; 6]);
    assert_eq!(admin_of(&app, "E1").await["email"], "e1@example.com");
    // Their last known rows stay in the snapshot that rule changes are applied to.
    let payload = create_rule_payload(
        &app,
        "Paris",
        json!([cond("location", "eq", "Paris")]),
        "auditor",
    )
    .await;
    let resync = &payload["employeeSync"];
    assert_eq!(
        (&resync["deactivated"], &resync["unchanged"]),
        (&json!(0), &json!(6)),
        "{payload}"
    );
}

#[tokio::test]
async fn an_unchanged_file_writes_nothing_but_its_sync() {
    let app = five_sales_admins().await;
    let mut people = staff("E", 4, "Sales");
    people.push(employee("E5", "Sales").terminated());
    // With an extra column, which must read back the same too.
    let file: String = csv(&people)
        .lines()
        .enumerate()
        .map(|(i, line)| format!("{line},{}\n", if i == 0 { "CostCenter" } else { "CC-1" }))
        .collect();
    let sync = import_applied(&app, &file).await;
    assert_eq!(sync["deactivated"], 1, "{sync}");

    let admins_before = administrators(&app).await;
    let rows_before = app.row_counts().await;
    let before = admin_table_counts(&app).await;
    app.statements.start_recording();
    let sync = import_applied(&app, &file).await;
    let statements = app.statements.stop_recording();
    assert_eq!(
        (
            &sync["unchanged"],
            &sync["created"],
            &sync["reactivated"],
            &sync["deactivated"],
            &sync["roleChanged"],
            &sync["updated"]
        ),
        (
            &json!(5),
            &json!(0),
            &json!(0),
            &json!(0),
            &json!(0),
            &json!(0)
        ),
        "{sync}"
    );
    assert_eq!(sync["changes"], json!([]));
    assert_eq!(app.row_counts().await, rows_before);
    assert_eq!(
        admin_table_counts(&app).await,
        plus(before, "employee_sync", 1)
    );
    assert_eq!(
        administrators(&app).await,
        admins_before,
        "updatedAt and everything else unchanged"
    );
    let writes: Vec<&str> = statements
        .iter()
        .map(|s| s.sql.trim_start())
        .filter(|sql| {
            ["INSERT", "UPDATE", "DELETE"]
                .iter()
                .any(|w| sql.to_ascii_uppercase().starts_with(w))
        })
        .collect();
    assert!(!writes.is_empty());
    assert!(
        writes
            .iter()
            .all(|sql| sql.contains("\"employee_sync\"") || sql.contains(" employee_sync ")),
        "{writes:#?}"
    );
}

#[tokio::test]
async fn extra_columns_are_usable_in_rules_and_headers_ignore_case_and_spaces() {
    let app = spawn_app().await;
    create_rule(
        &app,
        "Cost centre",
        json!([cond("costCenter", "eq", "cc-42")]),
        "auditor",
    )
    .await;
    create_rule(
        &app,
        "Managers",
        json!([
            cond(" CostCenter ", "eq", "CC-7"),
            cond("isManager", "eq", "true")
        ]),
        "owner",
    )
    .await;
    let file = " employeeid ,EMAIL,firstname, LastName ,DEPARTMENT,location,JobTitle,managerID, Cost Center ,  COSTCENTER ,IsManager, status \n\
                E1,e1@example.com,A,B,Sales,Paris,Rep,,x, CC-42 ,false,Active\n\
                E2,e2@example.com,A,B,Sales,Paris,Rep,,x,CC-43,false,\n\
                E3,e3@example.com,A,B,Sales,Paris,Rep,,x,cc-42,true,TERMINATED\n\
                E4,e4@example.com,A,B,Sales,Paris,Rep,,x,CC-7,true,active\n\
                E5,e5@example.com,A,B,Sales,Paris,Rep,E6,x,CC-7,false,active\n\
                E6,e6@example.com,A,B,Sales,Paris,Rep,,x,cc-7,false,active\n";
    let sync = import_applied(&app, file).await;
    assert_eq!(sync["rejectedRows"], json!([]), "{sync}");
    // E4 says it is a manager, but manages no one; E6 manages E5.
    assert_eq!(
        rule_admins(&app).await,
        [
            admin("E1", "auditor", "active"),
            admin("E6", "owner", "active")
        ]
    );
}

/// `(employeeId, administratorId, email)` of each change of a sync.
fn named(sync: &Value) -> Vec<(String, Value, Value)> {
    sync["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["employeeId"].as_str().expect("employeeId").to_owned(),
                c["administratorId"].clone(),
                c["email"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_change_names_its_administrator_and_email() {
    let app = sales_rule().await;
    let people = staff("E", 10, "Sales");
    // An applied creation names the administrator it created.
    let sync = import_applied(&app, &csv(&people)).await;
    let mut ids = Vec::new();
    for (employee, id, email) in named(&sync) {
        let admin = admin_of(&app, &employee).await;
        assert_eq!(id, admin["id"], "{sync}");
        assert_eq!(email, admin["email"], "{sync}");
        ids.push(id);
    }
    assert_eq!(ids.len(), 10);

    // Existing administrators: a deactivation names the unchanged address, an email change
    // the new one.
    let mut next = people.clone();
    next[0] = people[0].clone().terminated();
    next[1] = people[1].clone().email("e2.new@example.com");
    let sync = import_applied(&app, &csv(&next)).await;
    assert_eq!(
        named(&sync),
        [
            ("E1".to_owned(), ids[0].clone(), json!("e1@example.com")),
            ("E2".to_owned(), ids[1].clone(), json!("e2.new@example.com")),
        ],
        "{sync}"
    );

    // A dry run's creation has no administrator yet, but its email.
    let mut more = next.clone();
    more.push(employee("E11", "Sales"));
    let payload = import_payload(&app, &app.owner_token, &csv(&more), true).await;
    assert_eq!(
        named(&payload["employeeSync"]),
        [("E11".to_owned(), Value::Null, json!("e11@example.com"))],
        "{payload}"
    );
}
