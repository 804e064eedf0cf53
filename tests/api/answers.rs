//! Answers as documented: the 401 bodies the README shows, one format for every instant
//! (GraphQL, the audit log, SCIM), and response fields in the order of the query.
use serde_json::{Value, json};

use crate::{
    helpers::{ScimClient, graphql_request, spawn_app},
    sso::Portal,
};

/// The README's ```json block after the marker line `<!-- {marker} -->`.
fn readme_block(marker: &str) -> String {
    let readme = include_str!("../../README.md");
    let start = readme
        .find(&format!("<!-- {marker} -->\n```json\n"))
        .unwrap_or_else(|| panic!("no README block marked {marker:?}"));
    let block = &readme[start..];
    let body = &block[block.find("```json\n").expect("fence") + 8..];
    body[..body.find("\n```").expect("closing fence")].to_owned()
}

#[tokio::test]
async fn the_401_bodies_are_the_readmes_byte_for_byte() {
    let app = spawn_app().await;
    let query = json!({"query": "{ __typename }"});
    for (marker, authorization) in [
        ("401 without a token", None),
        ("401 without a token", Some("Basic dXNlcjpwYXNz")),
        ("401 without a token", Some("Bearer ")),
        ("401 with a refused token", Some("Bearer apt_unknown")),
        (
            "401 with a refused token",
            Some(&*format!("Bearer {}x", app.owner_token)),
        ),
    ] {
        let mut request = graphql_request(&app.client, &app.address, None).json(&query);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), 401, "{authorization:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let request_id = response.headers()["x-request-id"]
            .to_str()
            .expect("x-request-id")
            .to_owned();
        let body = response.text().await.expect("body");
        assert_eq!(
            body.replace(&request_id, "<the answer's x-request-id>"),
            readme_block(marker),
            "{authorization:?}"
        );
    }
}

/// `2026-12-04T07:27:23.796133Z`: RFC 3339, UTC, microseconds.
fn assert_instant(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is no string"));
    let bytes = text.as_bytes();
    let shape = text.len() == 27
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'.',
            26 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    assert!(shape, "{text} is not the documented format");
    assert!(chrono::DateTime::parse_from_rfc3339(text).is_ok(), "{text}");
}

#[tokio::test]
async fn every_instant_is_written_one_way_whatever_the_door() {
    let p = Portal::new(json!({})).await;
    let app = &p.app;
    let signed = p
        .sign_in(
            "ada",
            json!({"email": "ada@example.com", "given_name": "Ada"}),
        )
        .await;
    let contact = signed["contact"]["id"]
        .as_str()
        .expect("contact")
        .to_owned();
    // An expiry given with an offset is written back in UTC.
    let token = app
        .create_token_with(
            json!({"name": "later", "role": "auditor", "expiresAt": "2099-01-31T01:00:00+01:00"}),
        )
        .await;
    assert_eq!(
        token["apiToken"]["expiresAt"],
        "2099-01-31T00:00:00.000000Z"
    );
    assert_instant(&token["apiToken"]["expiresAt"]);

    let data = app
        .data(
            "query($id: ID!) { contact(id: $id) { createdAt updatedAt
                credentials { createdAt lastSignInAt }
                provisioningEvents(first: 1) { occurredAt } }
              brands(first: 1) { edges { node { createdAt updatedAt } } }
              apiTokens(first: 5) { edges { node { createdAt expiresAt } } }
              auditEvents(first: 1, filters: [{field: entityType, operation: eq, value: \"apiToken\"}]) {
                edges { node { occurredAt changes { field after } } } } }",
            json!({"id": contact}),
        )
        .await;
    let c = &data["contact"];
    for at in [
        &c["createdAt"],
        &c["updatedAt"],
        &c["credentials"][0]["createdAt"],
        &c["credentials"][0]["lastSignInAt"],
        &c["provisioningEvents"][0]["occurredAt"],
        &data["brands"]["edges"][0]["node"]["createdAt"],
        &data["auditEvents"]["edges"][0]["node"]["occurredAt"],
    ] {
        assert_instant(at);
    }
    for edge in data["apiTokens"]["edges"].as_array().expect("edges") {
        assert_instant(&edge["node"]["createdAt"]);
    }
    // The audit log's values are instants too, in the same format.
    let changes = &data["auditEvents"]["edges"][0]["node"]["changes"];
    let expires = changes
        .as_array()
        .and_then(|c| c.iter().find(|c| c["field"] == "expiresAt"))
        .unwrap_or_else(|| panic!("{changes}"));
    assert_eq!(expires["after"], "2099-01-31T00:00:00.000000Z");

    // SCIM's meta, the same way.
    let scim = ScimClient::new(app, Some(&app.create_scim_token(&p.brand, &p.idp).await));
    let (status, _, user) = scim
        .post(
            "/Users",
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "grace@example.com", "active": true}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    assert_instant(&user["meta"]["created"]);
    assert_instant(&user["meta"]["lastModified"]);
}

/// The keys of a JSON object, in the order the server wrote them.
fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("{value} is no object"))
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn response_fields_come_in_the_order_of_the_query() {
    let p = Portal::new(json!({})).await;
    let app = &p.app;
    // Objects before scalars, merged roots in any order, aliases, fragments.
    let body = app
        .gql(
            "query($id: ID!) {
               node(id: $id) { ...B }
               brands(first: 1) { pageInfo { totalRecords } edges { cursor node { name id } } }
               apiTokens(first: 1) { edges { node { name id } } }
               alias: brand(id: $id) { identityProviderConfigurations { identityProvider { id } id }
                 auditEvents(first: 1) { operation entityId } name createdAt id }
             }
             fragment B on Brand { updatedAt id name }",
            json!({"id": p.brand}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let data = &body["data"];
    assert_eq!(keys(data), ["node", "brands", "apiTokens", "alias"]);
    assert_eq!(keys(&data["node"]), ["updatedAt", "id", "name"]);
    assert_eq!(keys(&data["brands"]), ["pageInfo", "edges"]);
    assert_eq!(keys(&data["brands"]["edges"][0]), ["cursor", "node"]);
    assert_eq!(keys(&data["brands"]["edges"][0]["node"]), ["name", "id"]);
    assert_eq!(
        keys(&data["alias"]),
        [
            "identityProviderConfigurations",
            "auditEvents",
            "name",
            "createdAt",
            "id"
        ]
    );
    assert_eq!(
        keys(&data["alias"]["identityProviderConfigurations"][0]),
        ["identityProvider", "id"]
    );

    // A mutation's payload too: the entity after its errors when asked so.
    let body = app
        .gql(
            "mutation { companies { create(input: {name: \"Acme\"}) { errors { code } company { name id } } } }",
            json!({}),
        )
        .await;
    let create = &body["data"]["companies"]["create"];
    assert_eq!(keys(create), ["errors", "company"], "{body}");
    assert_eq!(keys(&create["company"]), ["name", "id"]);
    // An error names its message first.
    let body = app.gql("{ nope }", json!({})).await;
    assert_eq!(keys(&body["errors"][0])[0], "message", "{body}");
}
