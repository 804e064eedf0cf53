//! Lists: paging by first/offset/after, filters, order, totalRecords.
use serde_json::{Value, json};

use crate::helpers::{error_code, error_message, spawn_app};

const COMPANIES: &str = "query($first: Int, $offset: Int, $after: String, $filters: [CompanyFilter!], $order: CompanyOrder) {
  companies(first: $first, offset: $offset, after: $after, filters: $filters, order: $order) {
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor totalRecords } } }";

fn names(data: &Value) -> Vec<String> {
    data["companies"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_by_first_offset_and_after_cursor() {
    let app = spawn_app().await;
    for i in 0..7 {
        app.create_company(&format!("Company {i}")).await;
    }
    let page1 = app.data(COMPANIES, json!({"first": 3})).await;
    assert_eq!(names(&page1), ["Company 0", "Company 1", "Company 2"]);
    let info = &page1["companies"]["pageInfo"];
    assert_eq!(info["totalRecords"], 7);
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["hasPreviousPage"], false);

    let page2 = app
        .data(COMPANIES, json!({"first": 3, "after": info["endCursor"]}))
        .await;
    assert_eq!(names(&page2), ["Company 3", "Company 4", "Company 5"]);
    assert_eq!(page2["companies"]["pageInfo"]["hasPreviousPage"], true);

    let by_offset = app.data(COMPANIES, json!({"first": 3, "offset": 6})).await;
    assert_eq!(names(&by_offset), ["Company 6"]);
    assert_eq!(by_offset["companies"]["pageInfo"]["hasNextPage"], false);

    use base64::Engine;
    let huge = base64::engine::general_purpose::STANDARD.encode(format!("cursor:{}", u64::MAX));
    for after in ["garbage".to_owned(), huge] {
        let body = app.gql(COMPANIES, json!({"after": after})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    // Skipping is a scan: beyond the cap, the client is told to follow cursors instead.
    let far = base64::engine::general_purpose::STANDARD.encode("cursor:1000000000");
    for variables in [
        json!({"after": far, "offset": i32::MAX}),
        json!({"offset": 10_001}),
        json!({"after": far}),
    ] {
        let body = app.gql(COMPANIES, variables.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{variables}: {body}");
        assert!(error_message(&body).starts_with("offset:"), "{body}");
    }
    let data = app.data(COMPANIES, json!({"offset": 10_000})).await;
    assert_eq!(names(&data), Vec::<String>::new());
}

#[tokio::test]
async fn filters_and_order() {
    let app = spawn_app().await;
    for name in ["Acme", "Acme Labs", "Globex", "Initech"] {
        app.create_company(name).await;
    }
    let data = app
        .data(COMPANIES, json!({"filters": [{"field": "name", "operation": "like", "value": "acme%"}], "order": {"field": "name", "direction": "desc"}}))
        .await;
    assert_eq!(names(&data), ["Acme Labs", "Acme"]);
    assert_eq!(data["companies"]["pageInfo"]["totalRecords"], 2);

    let data = app
        .data(COMPANIES, json!({"filters": [{"field": "name", "operation": "in", "values": ["Globex", "Initech", "Nope"]}]}))
        .await;
    assert_eq!(names(&data), ["Globex", "Initech"]);

    let data = app
        .data(COMPANIES, json!({"filters": [{"field": "name", "operation": "ne", "value": "Acme"}, {"field": "name", "operation": "lt", "value": "H"}]}))
        .await;
    assert_eq!(names(&data), ["Acme Labs", "Globex"]);
}

#[tokio::test]
async fn filter_values_are_validated_and_named() {
    let app = spawn_app().await;
    for (filter, label) in [
        (
            json!({"field": "id", "operation": "eq", "value": "nope"}),
            "filters[0].value",
        ),
        (
            json!({"field": "createdAt", "operation": "gt", "value": "yesterday"}),
            "filters[0].value",
        ),
        (
            json!({"field": "createdAt", "operation": "like", "value": "2026%"}),
            "filters[0].operation",
        ),
        (
            json!({"field": "name", "operation": "eq"}),
            "filters[0].value",
        ),
    ] {
        let body = app.gql(COMPANIES, json!({"filters": [filter]})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(error_message(&body).starts_with(label), "{body}");
    }
}

#[tokio::test]
async fn contacts_filter_by_email_case_insensitively_and_by_account() {
    let app = spawn_app().await;
    let a = app.create_account("A", None).await;
    let b = app.create_account("B", None).await;
    let ada = app.create_contact("Ada@Example.com", &a).await;
    app.create_contact("bob@example.com", &b).await;
    let query = "query($filters: [ContactFilter!]) { contacts(filters: $filters) { edges { node { id } } pageInfo { totalRecords } } }";
    for filters in [
        json!([{"field": "email", "operation": "eq", "value": "ada@example.COM"}]),
        json!([{"field": "accountId", "operation": "eq", "value": a}]),
    ] {
        let data = app.data(query, json!({"filters": filters})).await;
        assert_eq!(
            data["contacts"]["edges"],
            json!([{"node": {"id": ada}}]),
            "{filters}"
        );
        assert_eq!(data["contacts"]["pageInfo"]["totalRecords"], 1);
    }
}

#[tokio::test]
async fn accounts_filter_by_company() {
    let app = spawn_app().await;
    let acme = app.create_company("Acme").await;
    let first = app.create_account("Acme One", Some(&acme)).await;
    app.create_account("Loner", None).await;
    let by_company = "query($c: String) { accounts(filters: [{field: companyId, operation: eq, value: $c}]) { edges { node { id company { name } } } } }";
    let data = app.data(by_company, json!({"c": acme})).await;
    assert_eq!(
        data["accounts"]["edges"],
        json!([{"node": {"id": first, "company": {"name": "Acme"}}}])
    );
}

#[tokio::test]
async fn an_after_cursor_continues_after_its_row_even_when_rows_are_added_before_it() {
    let app = spawn_app().await;
    for name in ["B", "D", "F", "H"] {
        app.create_company(name).await;
    }
    let by_name = |direction: &str| json!({"field": "name", "direction": direction});
    let page1 = app
        .data(COMPANIES, json!({"first": 2, "order": by_name("asc")}))
        .await;
    assert_eq!(names(&page1), ["B", "D"]);
    let after = page1["companies"]["pageInfo"]["endCursor"].clone();
    // Two rows now sort before the cursor's row; a position would shift, the key does not.
    app.create_company("A").await;
    app.create_company("C").await;
    let page2 = app
        .data(
            COMPANIES,
            json!({"first": 2, "after": after, "order": by_name("asc")}),
        )
        .await;
    assert_eq!(names(&page2), ["F", "H"]);
    assert_eq!(page2["companies"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(page2["companies"]["pageInfo"]["hasPreviousPage"], true);

    // `offset` counts on from the cursor's row.
    let skipped = app
        .data(
            COMPANIES,
            json!({"first": 2, "after": after, "offset": 1, "order": by_name("asc")}),
        )
        .await;
    assert_eq!(names(&skipped), ["H"]);

    // Descending order seeks the other way.
    let desc = app
        .data(COMPANIES, json!({"first": 3, "order": by_name("desc")}))
        .await;
    assert_eq!(names(&desc), ["H", "F", "D"]);
    let rest = app
        .data(
            COMPANIES,
            json!({"first": 10, "after": desc["companies"]["pageInfo"]["endCursor"], "order": by_name("desc")}),
        )
        .await;
    assert_eq!(names(&rest), ["C", "B", "A"]);

    // A cursor read in another order stands for its position: the second row onwards.
    let other_order = app
        .data(COMPANIES, json!({"first": 2, "after": after}))
        .await;
    assert_eq!(names(&other_order), ["F", "H"]);
}

#[tokio::test]
async fn total_records_is_counted_only_when_asked_for() {
    let app = spawn_app().await;
    app.create_company("Acme").await;
    // The data of `query` and the number of COUNT statements the server ran for it.
    let app = &app;
    let counting = |query: &'static str| async move {
        app.statements.start_recording();
        let data = app.data(query, json!({})).await;
        let statements = app.statements.stop_recording();
        let counts = statements
            .iter()
            .filter(|s| s.sql.contains("COUNT("))
            .count();
        (data, counts)
    };
    let (data, counts) =
        counting("{ companies { edges { node { name } } pageInfo { hasNextPage } } }").await;
    assert_eq!(data["companies"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(counts, 0);

    let (data, counts) = counting(
        "{ companies { pageInfo { ...total } } } fragment total on PageInfo { totalRecords }",
    )
    .await;
    assert_eq!(data["companies"]["pageInfo"]["totalRecords"], 1);
    assert_eq!(counts, 1);
}
