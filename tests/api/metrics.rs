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
    // The statements the server ran, as its own log counts them, and more after a sign-in.
    let statements = value(&text, "autoprov_db_statements_total").expect("statements counted");
    assert!(statements >= 10.0, "{statements}");
    p.sign_in("s1", json!({"email": "ada@example.com"})).await;
    let (_, text) = scrape(&p.app.client, &url, Some(&owner)).await;
    let after = value(&text, "autoprov_db_statements_total").expect("statements counted");
    assert!(after > statements, "{statements} then {after}");
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

/// Exposition lines that are series (not `# HELP` / `# TYPE`).
fn series_count(exposition: &str) -> usize {
    exposition
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .count()
}

/// One anonymous request of each kind the random run below sends: a method (standard, or an
/// invented token of `method_len` letters) and a path (a route's pattern with a random
/// segment, or a path no route matches).
fn anonymous_request(
    method_pick: usize,
    method_len: usize,
    path_pick: usize,
    noise: &str,
) -> (reqwest::Method, String) {
    const KNOWN: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];
    let method = match KNOWN.get(method_pick) {
        Some(known) => reqwest::Method::from_bytes(known.as_bytes()).expect("standard method"),
        None => {
            let invented: String = noise
                .chars()
                .filter(char::is_ascii_alphabetic)
                .map(|c| c.to_ascii_uppercase())
                .cycle()
                .take(method_len)
                .collect();
            reqwest::Method::from_bytes(format!("X{invented}").as_bytes()).expect("token")
        }
    };
    let path = match path_pick {
        0 => format!("/{noise}"),
        1 => format!("/{noise}/{noise}"),
        2 => "/graphql".to_owned(),
        3 => format!("/graphql/assets/{noise}"),
        4 => format!("/scim/v2/Users/{noise}"),
        5 => format!("/scim/v2/{noise}"),
        6 => "/healthz".to_owned(),
        7 => "/employee-files".to_owned(),
        _ => "/metrics".to_owned(),
    };
    (method, path)
}

#[tokio::test]
async fn no_anonymous_request_adds_a_series() {
    use futures::StreamExt;
    use rand::Rng;

    let app = spawn_app().await;
    let url = format!("{}/metrics", app.address);
    let send = |(method, path): (reqwest::Method, String)| {
        let request = app.client.request(method, format!("{}{path}", app.address));
        async move {
            // Statuses vary (404, 405, 401, 400, a refused connection for a huge method):
            // only the scrape afterwards matters.
            let _ = request.send().await;
        }
    };
    // One request of every kind, so that each (route, method, status) series exists.
    let mut warm_up = Vec::new();
    for method_pick in 0..8 {
        for path_pick in 0..9 {
            warm_up.push(anonymous_request(method_pick, 8, path_pick, "warmUp0"));
        }
    }
    futures::stream::iter(warm_up)
        .for_each_concurrent(16, send)
        .await;
    // The scrape itself is a series too (GET /metrics 200).
    scrape(&app.client, &url, Some(&app.owner_token)).await;
    let (status, before) = scrape(&app.client, &url, Some(&app.owner_token)).await;
    assert_eq!(status, 200);
    let mut rng = rand::rng();
    let random: Vec<_> = (0..10_000)
        .map(|_| {
            let noise: String = (&mut rng)
                .sample_iter(rand::distr::Alphanumeric)
                .take(12)
                .map(char::from)
                .collect();
            anonymous_request(
                rng.random_range(0..8),
                rng.random_range(1..4_000),
                rng.random_range(0..9),
                &noise,
            )
        })
        .collect();
    futures::stream::iter(random)
        .for_each_concurrent(32, send)
        .await;
    let (_, after) = scrape(&app.client, &url, Some(&app.owner_token)).await;
    let new: Vec<&str> = after
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            let series = line.rsplit_once(' ').map_or(*line, |(s, _)| s);
            !before.lines().any(|b| b.starts_with(series))
        })
        .collect();
    assert_eq!(
        series_count(&after),
        series_count(&before),
        "new series: {new:#?}"
    );
    let invented = value(
        &after,
        r#"autoprov_http_requests_total{method="other",route="unmatched",status="404"}"#,
    );
    assert!(
        invented.is_some_and(|n| n > 100.0),
        "invented methods share the label `other`: {invented:?}\n{after}"
    );
    assert!(
        after.len() < 200_000,
        "the scrape stays small: {} bytes",
        after.len()
    );
}
