//! Hand-overs: what happens to an administrator when its rule stops matching, is changed,
//! or is deleted.
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::{TestApp, spawn_app};

/// Sales (support) then Paris (auditor); E1 in Sales in Paris, E2 in Sales in Berlin, and
/// E3..E6 in Legal in Paris.
async fn sales_and_paris() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let sales = create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    let paris = create_rule(
        &app,
        "Paris",
        json!([cond("location", "eq", "paris")]),
        "auditor",
    )
    .await;
    let mut people = vec![
        employee("E1", "Sales"),
        employee("E2", "Sales").location("Berlin"),
    ];
    people.extend((3..=6).map(|i| employee(&format!("E{i}"), "Legal")));
    import_applied(&app, &csv(&people)).await;
    assert_eq!(admin_of(&app, "E1").await["role"], "support");
    assert_eq!(admin_of(&app, "E3").await["role"], "auditor");
    (app, sales, paris)
}

#[tokio::test]
async fn a_moved_employee_is_handed_over_deactivated_and_reactivated() {
    let (app, sales, paris) = sales_and_paris().await;
    let others: Vec<Employee> = (3..=6)
        .map(|i| employee(&format!("E{i}"), "Legal"))
        .collect();
    let with = |e1: Employee| {
        let mut people = vec![e1, employee("E2", "Sales").location("Berlin")];
        people.extend(others.iter().cloned());
        csv(&people)
    };
    // E1 leaves Sales but stays in Paris: Paris takes over, with its role.
    let sync = import_applied(&app, &with(employee("E1", "Marketing"))).await;
    assert_eq!(
        change_kinds(&sync),
        [("E1".to_owned(), "handedOver".to_owned())]
    );
    let change = &sync["changes"][0];
    assert_eq!(
        (&change["ruleName"], &change["oldRole"], &change["newRole"]),
        (&json!("Paris"), &json!("support"), &json!("auditor")),
        "{sync}"
    );
    assert_eq!(
        (&sync["roleChanged"], &sync["unchanged"]),
        (&json!(1), &json!(5))
    );
    let e1 = admin_of(&app, "E1").await;
    assert_eq!(
        (&e1["role"], &e1["status"], &e1["rule"]["id"]),
        (&json!("auditor"), &json!("active"), &json!(paris))
    );
    let event = &e1["events"][0];
    assert_eq!(
        (
            &event["kind"],
            &event["ruleName"],
            &event["oldRole"],
            &event["newRole"]
        ),
        (
            &json!("handedOver"),
            &json!("Paris"),
            &json!("support"),
            &json!("auditor")
        ),
        "{e1}"
    );
    assert_eq!(event["actor"], "bootstrap owner", "{e1}");
    assert_eq!(e1["events"][1]["kind"], "created", "{e1}");

    // Out of Paris too: no rule matches (1 of 6 is under the safeguard).
    let sync = import_applied(&app, &with(employee("E1", "Marketing").location("Berlin"))).await;
    assert_eq!(
        change_kinds(&sync),
        [("E1".to_owned(), "deactivated".to_owned())]
    );
    assert_eq!(admin_of(&app, "E1").await["status"], "inactive");

    // Back in Sales (not Paris): reactivated by Sales, with its role.
    let sync = import_applied(&app, &with(employee("E1", "Sales").location("Berlin"))).await;
    assert_eq!(
        change_kinds(&sync),
        [("E1".to_owned(), "reactivated".to_owned())]
    );
    assert_eq!(
        (&sync["reactivated"], &sync["roleChanged"]),
        (&json!(1), &json!(1)),
        "{sync}"
    );
    let e1 = admin_of(&app, "E1").await;
    assert_eq!(
        (&e1["role"], &e1["status"], &e1["rule"]["id"]),
        (&json!("support"), &json!("active"), &json!(sales))
    );
}

#[tokio::test]
async fn a_rule_update_applies_to_the_latest_file_at_once() {
    let (app, sales, paris) = sales_and_paris().await;
    // Sales now means Marketing: E1 (Paris) is handed over, E2 (Berlin) deactivated, whatever
    // the safeguard says (a person asked for it).
    let payload = update_rule(
        &app,
        json!({"ruleId": sales, "conditions": [cond("department", "eq", "Marketing")]}),
    )
    .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    let sync = &payload["employeeSync"];
    assert_eq!(sync["status"], "applied", "{sync}");
    assert_eq!(
        change_kinds(sync),
        [
            ("E1".to_owned(), "handedOver".to_owned()),
            ("E2".to_owned(), "deactivated".to_owned())
        ]
    );
    let admins = rule_admins(&app).await;
    assert_eq!(admins[0], admin("E1", "auditor", "active"));
    assert_eq!(admins[1], admin("E2", "support", "inactive"));

    // A role change follows at once too.
    let payload = update_rule(&app, json!({"ruleId": paris, "role": "owner"})).await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(payload["employeeSync"]["roleChanged"], 5, "{payload}");
    assert_eq!(admin_of(&app, "E1").await["role"], "owner");
    assert_eq!(admin_of(&app, "E6").await["role"], "owner");
}

#[tokio::test]
async fn deleting_a_rule_hands_its_administrators_over_or_deactivates_them() {
    let (app, sales, paris) = sales_and_paris().await;
    let data = app
        .data(&with_sync(DELETE_RULE), json!({"id": sales}))
        .await;
    let payload = &data["adminProvisioningRules"]["delete"];
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(
        change_kinds(&payload["employeeSync"]),
        [
            ("E1".to_owned(), "handedOver".to_owned()),
            ("E2".to_owned(), "deactivated".to_owned())
        ]
    );
    let e1 = admin_of(&app, "E1").await;
    assert_eq!(
        (&e1["role"], &e1["rule"]["id"]),
        (&json!("auditor"), &json!(paris))
    );
    let e2 = admin_of(&app, "E2").await;
    assert_eq!(
        (&e2["status"], &e2["rule"]),
        (&json!("inactive"), &Value::Null),
        "{e2}"
    );
    assert_eq!(e2["events"][0]["kind"], "deactivated", "{e2}");
    let reason = &e1["events"][0]["reason"];
    assert!(
        reason.as_str().is_some_and(|r| r.contains("deleted")),
        "{e1}"
    );
    let rules = app
        .data(
            "{ adminProvisioningRules { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        rules["adminProvisioningRules"]["edges"],
        json!([{"node": {"id": paris}}])
    );
}
