//! `/graphql` as the GraphQL-over-HTTP specification has it, the playground's page and assets,
//! and request IDs in errors. (The graphql-http audit suite runs against a release build in
//! `.ci/run`; these tests pin the behaviour it checks.)
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, spawn_app, spawn_app_with};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn post(app: &TestApp, accept: &str, body: &Value) -> (u16, String, Value) {
    let response = app
        .request(Some(&app.owner_token))
        .header(ACCEPT, accept)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_response_type_follows_accept() {
    let app = spawn_app().await;
    let query = json!({"query": "{ __typename }"});
    for (accept, expected) in [
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (
            "application/graphql-response+json, application/json",
            GRAPHQL_RESPONSE,
        ),
        ("*/*", "application/json"),
        (
            "application/graphql-response+json;q=0, application/json",
            "application/json",
        ),
    ] {
        let (status, content_type, body) = post(&app, accept, &query).await;
        assert_eq!(status, 200, "{accept}: {body}");
        assert!(
            content_type.starts_with(expected),
            "{accept}: {content_type}"
        );
        assert_eq!(
            body,
            json!({"data": {"__typename": "QueryRoot"}}),
            "{accept}"
        );
    }
}

#[tokio::test]
async fn unexecutable_documents_are_400_without_data_only_for_graphql_response_json() {
    let app = spawn_app().await;
    for query in [
        json!({"query": "{"}),
        json!({"query": "{ noSuchField }"}),
        json!({"query": "query($n: Int!) { brands(first: $n) { edges { node { id } } } }", "variables": {"n": "x"}}),
    ] {
        let (status, _, body) = post(&app, GRAPHQL_RESPONSE, &query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        let (status, _, body) = post(&app, "application/json", &query).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(body["data"], Value::Null, "{body}");
        assert!(!body["errors"].as_array().expect("errors").is_empty());
    }
    // An execution error is still a 200 with `data`.
    let (status, _, body) = post(
        &app,
        GRAPHQL_RESPONSE,
        &json!({"query": "{ brands(first: 1000) { edges { node { id } } } }"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("data").is_some(), "{body}");
}

#[tokio::test]
async fn malformed_requests_are_4xx_and_name_the_parameter() {
    let app = spawn_app().await;
    for (body, needle) in [
        (json!({}), "`query` is required"),
        (json!({"query": 1}), "`query` must be a string"),
        (
            json!({"query": "{ __typename }", "variables": "x"}),
            "`variables`",
        ),
        (
            json!({"query": "{ __typename }", "operationName": 1}),
            "`operationName`",
        ),
        (
            json!({"query": "{ __typename }", "extensions": []}),
            "`extensions`",
        ),
        (json!([{"query": "{ __typename }"}]), "batched"),
        (json!("{ __typename }"), "JSON object"),
    ] {
        for accept in ["application/json", GRAPHQL_RESPONSE] {
            let (status, _, out) = post(&app, accept, &body).await;
            assert_eq!(status, 400, "{body}: {out}");
            assert_eq!(error_code(&out), "BAD_USER_INPUT", "{out}");
            let message = out["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains(needle), "{body}: {message}");
        }
    }
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/json; charset=utf-16"),
    ] {
        let mut request = app
            .request(Some(&app.owner_token))
            .body(r#"{"query": "{ __typename }"}"#);
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 415, "{content_type:?}");
    }
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = spawn_app().await;
    app.create_brand("Acme").await;
    let get = |params: Vec<(&'static str, String)>| {
        app.client
            .get(format!("{}/graphql", app.address))
            .bearer_auth(&app.owner_token)
            .query(&params)
            .send()
    };
    let response = get(vec![
        (
            "query",
            "query($n: Int) { brands(first: $n) { edges { node { name } } } }".into(),
        ),
        ("variables", json!({"n": 1}).to_string()),
    ])
    .await
    .expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["data"]["brands"]["edges"][0]["node"]["name"], "Acme");

    let response = get(vec![(
        "query",
        "mutation { brands { create(input: {name: \"Sneaky\"}) { brand { id } } } }".into(),
    )])
    .await
    .expect("request");
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(app.row_count("brand").await, 1, "nothing was written");

    let response = get(vec![
        ("query", "{ __typename }".into()),
        ("variables", "not json".into()),
    ])
    .await
    .expect("request");
    assert_eq!(response.status(), 400);

    // Without a token, a GET query is refused like a POST.
    let response = app
        .client
        .get(format!("{}/graphql?query=%7B__typename%7D", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn errors_carry_the_request_id_of_the_logs() {
    let app = spawn_app().await;
    let response = app
        .request(Some("not-a-token"))
        .header("x-request-id", "support-ticket-42")
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["x-request-id"], "support-ticket-42");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"],
        "support-ticket-42"
    );

    // Generated when the client sends none, and echoed on resolver errors too.
    let response = app
        .request(Some(&app.owner_token))
        .json(&json!({"query": "{ brand(id: \"nope\") { id } }"}))
        .send()
        .await
        .expect("request");
    let header = response.headers()["x-request-id"]
        .to_str()
        .expect("header")
        .to_owned();
    let body: Value = response.json().await.expect("JSON");
    assert!(!header.is_empty());
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"],
        header.as_str(),
        "{body}"
    );
}

#[tokio::test]
async fn the_playground_is_self_contained_behind_a_strict_policy() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("policy")
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    let html = page.text().await.expect("page");
    assert!(
        html.contains("Authorization"),
        "the page explains the token header"
    );
    // The banner names the Headers template's placeholder, and says where a first token comes
    // from (scripts/web/playground.mjs checks the template against the README in a browser).
    let script = app
        .client
        .get(format!("{}/graphql/assets/playground.js", app.address))
        .send()
        .await
        .expect("script")
        .text()
        .await
        .expect("script");
    let placeholder = "apt_PASTE_YOUR_SECRET_HERE";
    assert!(
        script.contains(&format!("'{placeholder}'")),
        "the template's placeholder"
    );
    for needle in [
        placeholder,
        "owner token",
        "autoprov token create --name NAME --role owner",
    ] {
        assert!(html.contains(needle), "the banner says {needle}: {html}");
    }
    assert!(!html.contains("<script>"), "no inline script");
    let references: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/graphql/assets/") || s.contains("://"))
        .collect();
    assert!(references.len() >= 5, "{references:?}");
    for reference in references {
        assert!(
            reference.starts_with("/graphql/assets/"),
            "off-origin: {reference}"
        );
        let asset = app
            .client
            .get(format!("{}{reference}", app.address))
            .send()
            .await
            .expect("asset");
        assert_eq!(asset.status(), 200, "{reference}");
        let content_type = asset.headers()[CONTENT_TYPE].to_str().unwrap_or_default();
        assert!(
            content_type.starts_with("text/javascript") || content_type.starts_with("text/css"),
            "{reference}: {content_type}"
        );
    }
    let missing = app
        .client
        .get(format!("{}/graphql/assets/../Cargo.toml", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_standard_introspection_query_passes_the_default_limits() {
    let app = spawn_app().await;
    let body = app.gql(&introspection_query(), json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "QueryRoot"), "{body}");
    // It is as deep as the default allows: one level less refuses it.
    let shallower = spawn_app_with(|s| s.max_depth = 14).await;
    let body = shallower.gql(&introspection_query(), json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
}

/// The introspection query GraphiQL sends (graphql-js `getIntrospectionQuery` with descriptions,
/// deprecated input values, repeatable directives and `specifiedByURL`): its type references
/// nest `ofType` nine levels deep, which makes the query 15 deep.
fn introspection_query() -> String {
    let mut type_ref = "kind name".to_owned();
    for _ in 0..9 {
        type_ref = format!("kind name ofType {{ {type_ref} }}");
    }
    let input_value =
        "name description type { ...TypeRef } defaultValue isDeprecated deprecationReason";
    format!(
        "query IntrospectionQuery {{ __schema {{ description queryType {{ name kind }} \
         mutationType {{ name kind }} subscriptionType {{ name kind }} types {{ ...FullType }} \
         directives {{ name description isRepeatable locations \
         args(includeDeprecated: true) {{ ...InputValue }} }} }} }}
         fragment FullType on __Type {{ kind name description specifiedByURL \
         fields(includeDeprecated: true) {{ name description \
         args(includeDeprecated: true) {{ ...InputValue }} type {{ ...TypeRef }} \
         isDeprecated deprecationReason }} inputFields(includeDeprecated: true) {{ ...InputValue }} \
         interfaces {{ ...TypeRef }} enumValues(includeDeprecated: true) {{ name description \
         isDeprecated deprecationReason }} possibleTypes {{ ...TypeRef }} }}
         fragment InputValue on __InputValue {{ {input_value} }}
         fragment TypeRef on __Type {{ {type_ref} }}"
    )
}
