//! Manual administrators: created and changed by hand, never touched by a sync; and rule
//! administrators, which refuse manual changes.
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::{only_error, spawn_app};

fn create_input(email: &str, role: &str) -> Value {
    json!({"input": {"email": email, "firstName": "Grace", "lastName": "Hopper", "role": role}})
}

#[tokio::test]
async fn manual_administrators_are_never_touched_by_a_sync() {
    let app = spawn_app().await;
    let data = app
        .data(CREATE_ADMIN, create_input("Grace@Example.com", "auditor"))
        .await;
    let payload = &data["administrators"]["create"];
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(
        (
            &payload["administrator"]["origin"],
            &payload["administrator"]["status"]
        ),
        (&json!("manual"), &json!("active"))
    );
    let grace = payload["administrator"]["id"].clone();
    create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "owner",
    )
    .await;

    // Her email (recased) is in the file and matches the rule: noted, left alone.
    let mut people = staff("E", 5, "Sales");
    people.push(employee("G1", "Sales").email("grace@EXAMPLE.com"));
    let sync = import_applied(&app, &csv(&people)).await;
    assert_eq!(sync["created"], 5, "{sync}");
    let notes = sync["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{sync}");
    assert_eq!(
        (&notes[0]["line"], &notes[0]["employeeId"]),
        (&json!(7), &json!("G1")),
        "{sync}"
    );
    assert!(
        notes[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("manual")),
        "{sync}"
    );
    let only_grace = |admins: Vec<Value>| {
        admins
            .into_iter()
            .filter(|a| a["id"] == grace)
            .collect::<Vec<_>>()
    };
    let before = only_grace(administrators(&app).await);
    assert_eq!(
        (
            &before[0]["origin"],
            &before[0]["role"],
            &before[0]["employeeId"],
            &before[0]["rule"]
        ),
        (
            &json!("manual"),
            &json!("auditor"),
            &Value::Null,
            &Value::Null
        )
    );
    assert_eq!(
        before[0]["events"].as_array().map(Vec::len),
        Some(1),
        "only her creation"
    );

    // Gone from the file, or terminated: still untouched.
    import_applied(&app, &csv(&staff("E", 5, "Sales"))).await;
    people.last_mut().expect("G1").status = "terminated".to_owned();
    import_applied(&app, &csv(&people)).await;
    assert_eq!(only_grace(administrators(&app).await), before);
    // Rule changes neither.
    let payload = update_rule(
        &app,
        json!({"ruleId": admin_of(&app, "E1").await["rule"]["id"], "role": "support"}),
    )
    .await;
    assert_eq!(payload["employeeSync"]["roleChanged"], 5, "{payload}");
    assert_eq!(only_grace(administrators(&app).await), before);
}

#[tokio::test]
async fn rule_administrators_refuse_manual_changes() {
    let app = spawn_app().await;
    create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    import_applied(&app, &csv(&[employee("E1", "Sales")])).await;
    let e1 = admin_of(&app, "E1").await;
    let before = admin_table_counts(&app).await;
    for (field, value) in [
        ("role", "owner"),
        ("status", "inactive"),
        ("email", "x@example.com"),
    ] {
        let data = app
            .data(
                UPDATE_ADMIN,
                json!({"input": {"administratorId": e1["id"], field: value}}),
            )
            .await;
        let payload = &data["administrators"]["update"];
        assert_eq!(payload["administrator"], Value::Null, "{payload}");
        let error = only_error(payload);
        assert_eq!(
            (&error["label"], &error["code"], &error["value"]),
            (&json!(field), &json!("managedByRule"), &json!(value)),
            "{payload}"
        );
    }
    assert_eq!(admin_table_counts(&app).await, before);
    assert_eq!(admin_of(&app, "E1").await, e1);
}

#[tokio::test]
async fn manual_administrators_are_validated_and_changed_by_hand() {
    let app = spawn_app().await;
    let data = app
        .data(CREATE_ADMIN, create_input("grace@example.com", "owner"))
        .await;
    let grace = data["administrators"]["create"]["administrator"]["id"].clone();
    create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    import_applied(&app, &csv(&[employee("E1", "Sales")])).await;
    let before = admin_table_counts(&app).await;
    // An address taken by a manual or a rule administrator, however cased, or a bad one.
    for (email, code) in [
        ("GRACE@example.com", "alreadyExists"),
        ("E1@Example.com", "alreadyExists"),
        ("not-an-email", "invalid"),
    ] {
        let data = app.data(CREATE_ADMIN, create_input(email, "owner")).await;
        let error = only_error(&data["administrators"]["create"]);
        assert_eq!(
            (&error["label"], &error["code"]),
            (&json!("email"), &json!(code)),
            "{data}"
        );
    }
    let data = app
        .data(
            UPDATE_ADMIN,
            json!({"input": {"administratorId": grace, "email": "E1@example.com"}}),
        )
        .await;
    let error = only_error(&data["administrators"]["update"]);
    assert_eq!(
        (&error["label"], &error["code"]),
        (&json!("email"), &json!("alreadyExists")),
        "{data}"
    );
    // A wrong-type ID names its field.
    let rule = admin_of(&app, "E1").await["rule"]["id"].clone();
    let data = app
        .data(
            UPDATE_ADMIN,
            json!({"input": {"administratorId": rule, "role": "auditor"}}),
        )
        .await;
    let error = only_error(&data["administrators"]["update"]);
    assert_eq!(
        (&error["label"], &error["code"]),
        (&json!("administratorId"), &json!("wrongType"))
    );
    assert_eq!(admin_table_counts(&app).await, before);

    // A manual administrator's role and status change by hand, with events.
    let data = app
        .data(
            UPDATE_ADMIN,
            json!({"input": {"administratorId": grace, "role": "auditor", "status": "inactive"}}),
        )
        .await;
    assert_eq!(
        data["administrators"]["update"],
        json!({"administrator": {"id": grace, "role": "auditor", "status": "inactive", "email": "grace@example.com"}, "errors": []})
    );
    let admins = administrators(&app).await;
    let events = &admins.iter().find(|a| a["id"] == grace).expect("grace")["events"];
    assert_eq!(
        (
            &events[0]["kind"],
            &events[0]["oldRole"],
            &events[0]["newRole"],
            &events[0]["newStatus"],
            &events[0]["actor"]
        ),
        (
            &json!("deactivated"),
            &json!("owner"),
            &json!("auditor"),
            &json!("inactive"),
            &json!("bootstrap owner")
        ),
        "{events}"
    );
}
