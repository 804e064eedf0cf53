//! The README's GraphQL blocks are documents the schema accepts: each one without variables is
//! sent to a server as it is written (placeholder IDs make its payloads answer `malformedId`,
//! which is fine: it ran), and each one with variables must at least parse. The README's shell
//! blocks are run by `scripts/walkthrough.sh` in CI.
use serde_json::{Value, json};

/// The README's ```graphql blocks, in order, with the line each starts on.
fn graphql_blocks() -> Vec<(usize, String)> {
    let readme = include_str!("../../README.md");
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in readme.lines().enumerate() {
        match current.as_mut() {
            None if line == "```graphql" => current = Some((number + 2, String::new())),
            None => {}
            Some(_) if line == "```" => blocks.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    blocks
}

/// Parse, validation and variable errors have no path: the document never ran.
fn refused(body: &Value) -> bool {
    body["data"].is_null()
        && body["errors"]
            .as_array()
            .is_some_and(|errors| errors.iter().all(|e| e.get("path").is_none()))
}

#[tokio::test]
async fn every_graphql_block_of_the_readme_is_accepted_by_the_schema() {
    let app = crate::helpers::spawn_app().await;
    let blocks = graphql_blocks();
    assert!(
        blocks.len() >= 30,
        "only {} GraphQL blocks found",
        blocks.len()
    );
    let mut sent = 0;
    for (line, document) in &blocks {
        if document.contains('$') {
            async_graphql::parser::parse_query(document)
                .unwrap_or_else(|e| panic!("README line {line}: {e}\n{document}"));
            continue;
        }
        let (status, body) = app
            .post_graphql(Some(&app.owner_token), &json!({"query": document}))
            .await;
        assert!(
            status == 200 && !refused(&body),
            "README line {line} is refused ({status}): {body}\n{document}"
        );
        sent += 1;
    }
    assert!(sent >= 25, "only {sent} blocks were sent");
}
