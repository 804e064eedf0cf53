//! The README's worked example ("Administrators from employee data"), step by step, with its
//! files sent to `POST /employee-files` as the README shows: if the README's story stops
//! being true, this fails.
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::TestApp;

const HEADER: &str =
    "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId,CostCenter";
const ANA: &str = "E1,ana@example.com,Ana,Lima,Sales,London,Head of Sales,,CC-10";
const BEN: &str = "E2,ben@example.com,Ben,Ode,Sales,London,Account Executive,E1,CC-10";
const BEN_MOVED: &str = "E2,ben@example.com,Ben,Ode,Engineering,Paris,Developer,E3,CC-20";
const CY: &str = "E3,cy@example.com,Cy,Park,Engineering,Paris,Engineering Manager,,CC-20";
const DI: &str = "E4,di@example.com,Di,Ruiz,Engineering,Paris,Developer,E3,CC-20";

fn file(rows: &[&str]) -> String {
    let mut text = format!("{HEADER}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

/// `POST /employee-files` as the README's curl does: (HTTP status, the sync).
async fn post(app: &TestApp, csv: String) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/employee-files", app.address))
        .bearer_auth(&app.owner_token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("POST /employee-files");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON answer");
    (status, body["employeeSync"].clone())
}

#[tokio::test]
async fn the_readme_worked_example_holds() {
    let app = crate::helpers::spawn_app().await;
    let is_manager = || cond("isManager", "eq", "true");
    let sales = create_rule(
        &app,
        "Sales heads",
        json!([cond("department", "eq", "Sales"), is_manager()]),
        "support",
    )
    .await;
    let second =
        create_rule_payload(&app, "People managers", json!([is_manager()]), "auditor").await;
    assert_eq!(second["errors"], json!([]), "{second}");
    assert_eq!(
        second["conflicts"][0]["rule"]["name"], "Sales heads",
        "{second}"
    );
    assert_eq!(
        second["conflicts"][0]["employees"],
        json!([]),
        "no file yet"
    );
    let managers = second["rule"]["id"].as_str().expect("rule id").to_owned();

    // 1. The first file: Ana by "Sales heads" (first created), Cy by "People managers".
    let (status, sync) = post(&app, file(&[ANA, BEN, CY, DI])).await;
    assert_eq!((status, sync["created"].clone()), (200, json!(2)), "{sync}");
    let ana = admin_of(&app, "E1").await;
    assert_eq!(
        (&ana["role"], &ana["rule"]["name"]),
        (&json!("support"), &json!("Sales heads"))
    );
    assert_eq!(
        rule_admins(&app).await,
        [
            admin("E1", "support", "active"),
            admin("E3", "auditor", "active")
        ]
    );

    // 2. The same file again changes nothing.
    let (_, sync) = post(&app, file(&[ANA, BEN, CY, DI])).await;
    assert_eq!(
        (sync["status"].clone(), sync["unchanged"].clone()),
        (json!("applied"), json!(2))
    );

    // 3. Ben moves under Cy: Ana manages nobody; 1 of 2 is over 20%, so the file is held.
    let (status, held) = post(&app, file(&[ANA, BEN_MOVED, CY, DI])).await;
    assert_eq!(
        (status, held["status"].clone()),
        (202, json!("held")),
        "{held}"
    );
    assert_eq!(
        admin_of(&app, "E1").await["status"],
        "active",
        "held: nothing changed"
    );
    let applied = app.data(&with_sync(APPLY), json!({"id": held["id"]})).await;
    let applied = &applied["employeeSyncs"]["apply"];
    assert_eq!(applied["employeeSync"]["status"], "applied", "{applied}");
    assert_eq!(admin_of(&app, "E1").await["status"], "inactive");

    // 4. Ana gets a report again: reactivated by "Sales heads", as support.
    let (_, sync) = post(&app, file(&[ANA, BEN, CY, DI])).await;
    assert_eq!(sync["reactivated"], 1, "{sync}");
    assert_eq!(
        rule_admins(&app).await,
        [
            admin("E1", "support", "active"),
            admin("E3", "auditor", "active")
        ]
    );

    // 5. Rule changes apply at once: Cy's role follows his rule's; deleting "Sales heads"
    // hands Ana over to "People managers".
    let updated = update_rule(&app, json!({"ruleId": managers, "role": "support"})).await;
    assert_eq!(
        change_kinds(&updated["employeeSync"]),
        [("E3".to_owned(), "roleChanged".to_owned())]
    );
    let deleted = app
        .data(&with_sync(DELETE_RULE), json!({"id": sales}))
        .await;
    let sync = &deleted["adminProvisioningRules"]["delete"]["employeeSync"];
    assert_eq!(
        change_kinds(sync),
        [("E1".to_owned(), "handedOver".to_owned())]
    );
    assert_eq!(
        admin_of(&app, "E1").await["rule"]["name"],
        "People managers"
    );

    // 6. Cy leaves (his row is gone): 1 of 2 again, held; applied, he is deactivated.
    let (status, held) = post(&app, file(&[ANA, BEN, DI])).await;
    assert_eq!(
        (status, held["status"].clone()),
        (202, json!("held")),
        "{held}"
    );
    let applied = app.data(&with_sync(APPLY), json!({"id": held["id"]})).await;
    let sync = &applied["employeeSyncs"]["apply"]["employeeSync"];
    assert_eq!(
        change_kinds(sync),
        [("E3".to_owned(), "deactivated".to_owned())],
        "{sync}"
    );
    assert_eq!(
        rule_admins(&app).await,
        [
            admin("E1", "support", "active"),
            admin("E3", "support", "inactive")
        ]
    );
}
