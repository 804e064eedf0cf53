//! `GET /metrics`: who may read it, and the series moving with the traffic.
use serde_json::json;

use crate::{
    helpers::{spawn_app, spawn_app_with},
    sso::Portal,
};

async fn scrape(client: &reqwest::Client, url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("scrape");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The value of the series `name{labels}` (labels as Prometheus prints them, sorted by name).
fn value(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn sign_ins_operations_routes_and_the_pool_are_counted() {
    let p = Portal::new(json!({})).await;
    let url = format!("{}/metrics", p.app.address);
    let owner = p.app.owner_token.clone();
    p.sign_in("s1", json!({"email": "ada@example.com"})).await;
    p.sign_in("s1", json!({"email": "ada@example.com"})).await;
    p.configure(json!({"autoProvisionLearners": false})).await;
    p.sign_in("s2", json!({"email": "bob@example.com"})).await;
    // A preview decides without signing in: not counted (it would be a second `created`).
    p.app
        .data(
            "mutation($input: SignInInput!) { sso { previewSignIn(input: $input) { outcome } } }",
            json!({"input": p.input("s3", json!({"email": "cy@example.com"}))}),
        )
        .await;

    let (status, text) = scrape(&p.app.client, &url, Some(&owner)).await;
    assert_eq!(status, 200, "{text}");
    for (series, expected) in [
        (
            r#"autoprov_sign_ins_total{account_assignment="individualAccount",outcome="created"}"#,
            1.0,
        ),
        (
            r#"autoprov_sign_ins_total{account_assignment="none",outcome="signedIn"}"#,
            1.0,
        ),
        (
            r#"autoprov_sign_ins_total{account_assignment="none",outcome="denied"}"#,
            1.0,
        ),
        (
            r#"autoprov_sign_in_denials_total{reason="provisioningDisabled"}"#,
            1.0,
        ),
        (
            r#"autoprov_graphql_operations_total{operation="mutation SsoMutations.signIn",result="ok"}"#,
            3.0,
        ),
        (
            r#"autoprov_graphql_operation_duration_seconds_count{operation="mutation SsoMutations.signIn"}"#,
            3.0,
        ),
        (
            r#"autoprov_graphql_operations_total{operation="mutation BrandMutations.updateIdentityProviderConfiguration",result="ok"}"#,
            1.0,
        ),
        (r#"autoprov_build_info{version=""#, 1.0),
    ] {
        let series = series.trim_end_matches("\"");
        let got = text
            .lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
        assert_eq!(got, Some(expected), "{series} in\n{text}");
    }
    let posts = value(
        &text,
        r#"autoprov_http_requests_total{method="POST",route="/graphql",status="200"}"#,
    )
    .expect("POST /graphql counted");
    assert!(posts >= 6.0, "{posts}");
    assert!(
        value(&text, r#"autoprov_db_connections{state="idle"}"#).is_some(),
        "{text}"
    );
    assert!(
        value(&text, r#"autoprov_db_connections{state="in_use"}"#).is_some(),
        "{text}"
    );
}

#[tokio::test]
async fn only_configured_roles_read_metrics_and_a_private_listener_needs_no_token() {
    let app = spawn_app().await;
    let url = format!("{}/metrics", app.address);
    let (status, _) = scrape(&app.client, &url, None).await;
    assert_eq!(status, 401);
    let auditor = app.create_token("auditor").await;
    assert_eq!(scrape(&app.client, &url, Some(&auditor)).await.0, 200);
    let p = Portal::on(app, json!({})).await;
    let (portal, _) = p.portal_token().await;
    assert_eq!(scrape(&p.app.client, &url, Some(&portal)).await.0, 403);

    let app = spawn_app_with(|s| {
        s.metrics_roles = autoprov::config::MetricsRoles(Vec::new());
        s.metrics_bind = Some("127.0.0.1:0".into());
    })
    .await;
    let (status, _) = scrape(
        &app.client,
        &format!("{}/metrics", app.address),
        Some(&app.owner_token),
    )
    .await;
    assert_eq!(status, 403, "no role may read it on the main address");
    let private = app.metrics_address.clone().expect("metrics listener");
    let (status, text) = scrape(&app.client, &format!("{private}/metrics"), None).await;
    assert_eq!(status, 200);
    assert!(text.contains("autoprov_build_info"), "{text}");
    let (status, _) = scrape(&app.client, &format!("{private}/graphql"), None).await;
    assert_eq!(status, 404, "the private listener serves metrics only");
}

#[tokio::test]
async fn employee_syncs_and_the_administrators_they_change_are_counted() {
    let app = spawn_app().await;
    let rule = "mutation { adminProvisioningRules { create(input: {name: \"Sales\", role: support,
        conditions: [{field: \"department\", operation: eq, value: \"Sales\"}]}) { errors { message } } } }";
    assert_eq!(
        app.data(rule, json!({})).await["adminProvisioningRules"]["create"]["errors"],
        json!([])
    );
    let file = "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId\n\
                E1,ana@example.com,Ana,Lima,Sales,London,Head,\n\
                E2,ben@example.com,Ben,Ode,Sales,London,Rep,E1\n";
    for body in [file, file, "not,a,file\n"] {
        let response = app
            .client
            .post(format!("{}/employee-files", app.address))
            .bearer_auth(&app.owner_token)
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .expect("POST /employee-files");
        assert!(response.status().is_success() || response.status() == 422);
    }
    let url = format!("{}/metrics", app.address);
    let (_, text) = scrape(&app.client, &url, Some(&app.owner_token)).await;
    for (series, expected) in [
        (
            r#"autoprov_employee_syncs_total{source="upload",status="applied"}"#,
            2.0,
        ),
        (
            r#"autoprov_employee_syncs_total{source="upload",status="rejected"}"#,
            1.0,
        ),
        (
            r#"autoprov_administrator_changes_total{change="created"}"#,
            2.0,
        ),
    ] {
        assert_eq!(value(&text, series), Some(expected), "{series}\n{text}");
    }
}
