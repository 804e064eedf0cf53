//! Rules: which employees they provision, precedence (the first created wins) and the
//! conflicts a rule's payload lists.
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::{TestApp, spawn_app};

/// The employee ids a conflict with `rule` names, sorted; panics if `rule` is not listed.
fn conflict_with(payload: &Value, rule: &str) -> Vec<String> {
    let conflict = payload["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .find(|c| c["rule"]["id"] == rule)
        .unwrap_or_else(|| panic!("no conflict with {rule} in {payload}"));
    let mut ids: Vec<String> = conflict["employees"]
        .as_array()
        .expect("employees")
        .iter()
        .map(|e| e["employeeId"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn is_manager_comes_from_the_manager_ids_of_active_employees() {
    let app = spawn_app().await;
    let managers = create_rule(
        &app,
        "Managers",
        json!([cond("isManager", "eq", "true")]),
        "support",
    )
    .await;
    let file = csv(&[
        employee("M1", "Sales"),
        employee("E2", "Sales").manager("M1"),
        // Names itself: not a manager.
        employee("S3", "Sales").manager("S3"),
        // Their only report is terminated: not a manager.
        employee("M4", "Sales"),
        employee("T5", "Sales").manager("M4").terminated(),
        // An unknown manager id makes nobody a manager.
        employee("E6", "Sales").manager("NOBODY"),
    ]);
    let sync = import_applied(&app, &file).await;
    assert_eq!(sync["created"], 1, "{sync}");
    assert_eq!(rule_admins(&app).await, [admin("M1", "support", "active")]);
    let m1 = admin_of(&app, "M1").await;
    assert_eq!(m1["rule"], json!({"id": managers, "name": "Managers"}));

    // E2 now reports to S3: S3 becomes a manager, M1 stops being one.
    let file = csv(&[
        employee("M1", "Sales"),
        employee("E2", "Sales").manager("S3"),
        employee("S3", "Sales"),
        employee("E6", "Sales"),
    ]);
    // One of one deactivated is above the 20% safeguard: held, then applied.
    let sync = import(&app, &file).await;
    assert_eq!(sync["status"], "held", "{sync}");
    let applied = app.data(&with_sync(APPLY), json!({"id": sync["id"]})).await;
    let applied = &applied["employeeSyncs"]["apply"]["employeeSync"];
    assert_eq!(applied["status"], "applied", "{applied}");
    assert_eq!(
        rule_admins(&app).await,
        [
            admin("M1", "support", "inactive"),
            admin("S3", "support", "active")
        ]
    );
    // A rule on `isManager eq false` matches the others.
    create_rule(
        &app,
        "Individual contributors",
        json!([cond("IsManager", "eq", "FALSE")]),
        "auditor",
    )
    .await;
    assert_eq!(
        rule_admins(&app).await,
        [
            admin("E2", "auditor", "active"),
            admin("E6", "auditor", "active"),
            admin("M1", "auditor", "active"),
            admin("S3", "support", "active"),
        ]
    );
}

#[tokio::test]
async fn the_first_created_rule_wins_and_later_rules_list_the_conflict() {
    let app = spawn_app().await;
    let sales = create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    // No employee file yet: the conflict is decided from the conditions alone.
    let payload = create_rule_payload(
        &app,
        "Managers",
        json!([cond("jobTitle", "eq", "Manager")]),
        "auditor",
    )
    .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(
        payload["employeeSync"],
        Value::Null,
        "no file, no sync: {payload}"
    );
    let managers = payload["rule"]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        payload["conflicts"].as_array().map(Vec::len),
        Some(1),
        "{payload}"
    );
    assert_eq!(conflict_with(&payload, &sales), Vec::<String>::new());

    let file = csv(&[
        employee("E1", "Sales").title("Manager"),
        employee("E2", "Sales"),
        employee("E3", "Engineering").title("Manager"),
        employee("E4", "Engineering"),
    ]);
    let sync = import_applied(&app, &file).await;
    assert_eq!(sync["created"], 3);
    assert_eq!(
        rule_admins(&app).await,
        [
            admin("E1", "support", "active"),
            admin("E2", "support", "active"),
            admin("E3", "auditor", "active"),
        ]
    );
    assert_eq!(admin_of(&app, "E1").await["rule"]["id"], sales);
    assert_eq!(admin_of(&app, "E3").await["rule"]["id"], managers);

    // `in` overlaps both earlier rules; each conflict names the employees matching both.
    let payload = create_rule_payload(
        &app,
        "Commercial",
        json!([{"field": "Department", "operation": "in", "values": ["sales ", "Marketing"]}]),
        "owner",
    )
    .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(conflict_with(&payload, &sales), ["E1", "E2"]);
    assert_eq!(conflict_with(&payload, &managers), ["E1"]);
    // Everyone it matches already has an administrator from an earlier rule.
    assert_eq!(payload["employeeSync"]["created"], 0, "{payload}");
    assert_eq!(payload["employeeSync"]["unchanged"], 3, "{payload}");

    // `like`: a pattern no manager title can meet does not conflict with Managers, but can
    // meet Sales (another field): E2, a Sales engineer, matches both.
    let payload = create_rule_payload(
        &app,
        "Engineers",
        json!([cond("jobTitle", "like", "eng%")]),
        "owner",
    )
    .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    let conflicting: Vec<&Value> = payload["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .map(|c| &c["rule"]["name"])
        .collect();
    assert_eq!(conflicting, [&json!("Sales")], "{payload}");
    assert_eq!(conflict_with(&payload, &sales), ["E2"]);
    // E4 only matches Engineers: a new owner.
    assert_eq!(payload["employeeSync"]["created"], 1, "{payload}");
    assert_eq!(admin_of(&app, "E4").await["role"], "owner");
}

#[tokio::test]
async fn rules_that_cannot_meet_or_share_a_role_do_not_conflict() {
    let app = spawn_app().await;
    create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    for (name, conditions, role) in [
        (
            "Engineering",
            json!([cond("department", "eq", "Engineering")]),
            "owner",
        ),
        (
            "Not sales",
            json!([cond("department", "ne", " SALES ")]),
            "owner",
        ),
        (
            "Commercial",
            json!([{"field": "department", "operation": "in", "values": ["Marketing", "Legal"]}]),
            "owner",
        ),
        ("S-less", json!([cond("department", "like", "x%")]), "owner"),
        // Overlaps, but with the same role.
        (
            "Sales managers",
            json!([
                cond("department", "eq", "Sales"),
                cond("isManager", "eq", "true")
            ]),
            "support",
        ),
    ] {
        let payload = create_rule_payload(&app, name, conditions, role).await;
        assert_eq!(payload["errors"], json!([]), "{payload}");
        assert_eq!(payload["conflicts"], json!([]), "{name}: {payload}");
    }
}

/// Sales (support) provisions E1; a later Managers rule (owner) also matches E1.
async fn sales_then_managers() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let sales = create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    import_applied(&app, &csv(&[employee("E1", "Sales").title("Manager")])).await;
    let payload = create_rule_payload(
        &app,
        "Managers",
        json!([cond("jobTitle", "eq", "manager")]),
        "owner",
    )
    .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(conflict_with(&payload, &sales), ["E1"]);
    let sync = &payload["employeeSync"];
    assert_eq!(sync["status"], "applied", "{sync}");
    assert_eq!(sync["source"], "rules", "{sync}");
    assert_eq!(sync["unchanged"], 1, "{sync}");
    assert_eq!(sync["changes"], json!([]), "{sync}");
    let managers = payload["rule"]["id"].as_str().expect("id").to_owned();
    (app, sales, managers)
}

#[tokio::test]
async fn a_later_conflicting_rule_does_not_take_over_an_administrator() {
    let (app, sales, _) = sales_then_managers().await;
    let e1 = admin_of(&app, "E1").await;
    assert_eq!(
        (&e1["role"], &e1["rule"]["id"]),
        (&json!("support"), &json!(sales))
    );
    // Files change nothing either.
    let sync = import_applied(&app, &csv(&[employee("E1", "Sales").title("Manager")])).await;
    assert_eq!(sync["unchanged"], 1, "{sync}");
    assert_eq!(admin_of(&app, "E1").await["role"], "support");
}

#[tokio::test]
async fn an_administrator_keeps_its_rule_while_it_matches_even_when_an_earlier_one_does() {
    let (app, sales, managers) = sales_then_managers().await;
    // E2, a manager in Engineering, gets Managers; then moves to Sales, which is earlier.
    let file = |department: &str| {
        csv(&[
            employee("E1", "Sales").title("Manager"),
            employee("E2", department).title("Manager"),
        ])
    };
    import_applied(&app, &file("Engineering")).await;
    let sync = import_applied(&app, &file("Sales")).await;
    assert_eq!(sync["unchanged"], 2, "{sync}");
    let e2 = admin_of(&app, "E2").await;
    assert_eq!(
        (&e2["role"], &e2["rule"]["id"]),
        (&json!("owner"), &json!(managers))
    );
    // E2 stops being a manager: Sales takes over.
    let file = csv(&[
        employee("E1", "Sales").title("Manager"),
        employee("E2", "Sales"),
    ]);
    let sync = import_applied(&app, &file).await;
    assert_eq!(
        change_kinds(&sync),
        [("E2".to_owned(), "handedOver".to_owned())]
    );
    assert_eq!(sync["roleChanged"], 1, "{sync}");
    let e2 = admin_of(&app, "E2").await;
    assert_eq!(
        (&e2["role"], &e2["rule"]["id"]),
        (&json!("support"), &json!(sales))
    );
}

#[tokio::test]
async fn an_update_that_changes_nothing_writes_nothing() {
    let app = spawn_app().await;
    let sales = create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    import_applied(&app, &csv(&staff("S", 2, "Sales"))).await;
    let before = admin_table_counts(&app).await;
    let same = update_rule(
        &app,
        json!({"ruleId": sales, "name": "Sales", "role": "support",
               "conditions": [cond("department", "eq", "Sales")]}),
    )
    .await;
    assert_eq!(same["errors"], json!([]), "{same}");
    assert_eq!(same["employeeSync"], Value::Null, "{same}");
    assert_eq!(admin_table_counts(&app).await, before);

    // A real change is written and re-evaluated at once.
    let changed = update_rule(&app, json!({"ruleId": sales, "role": "auditor"})).await;
    assert_eq!(changed["employeeSync"]["roleChanged"], 2, "{changed}");
}
