//! No argument may carry a control character: PostgreSQL cannot store a NUL in text, and no
//! field of the API is meant to hold one (an employee file's CSV text is checked by the file
//! parser instead, row by row). The check
//! runs once per operation over the variables and the document's literal arguments, before any
//! resolver, so every mutation and query gets the same field-named refusal and none reaches the
//! database.
use std::sync::Arc;

use async_graphql::{
    ServerError, ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

use crate::domain::validate::control_character_at;

/// Arguments that are whole documents, checked by their own parser: an employee file's rows
/// with control characters are rejected rows, as over HTTP and from the inbox.
const OPAQUE: &[&str] = &["file"];

pub struct ControlCharacters;

impl ExtensionFactory for ControlCharacters {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ControlCharacters)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ControlCharacters {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        match in_arguments(&document, variables) {
            Some(field) => Err(refusal(&field)),
            None => Ok(document),
        }
    }
}

fn refusal(field: &str) -> ServerError {
    let mut error = ServerError::new(
        format!("{field}: must not contain control characters"),
        None,
    );
    error.extensions = Some({
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", "BAD_USER_INPUT");
        ext.set("field", field);
        ext
    });
    error
}

/// The first argument holding a control character, written in the document or sent as a
/// variable (searched where it is used, so that an argument's name decides, as for `file`), as
/// `field.argument.path`; or a variable's default, as `$name.path`.
fn in_arguments(document: &ExecutableDocument, variables: &Variables) -> Option<String> {
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(op) => vec![&op.node],
        DocumentOperations::Multiple(ops) => ops.values().map(|op| &op.node).collect(),
    };
    for operation in &operations {
        for definition in &operation.variable_definitions {
            let default = definition.node.default_value.as_ref();
            if let Some(path) = default.and_then(|v| const_path(&v.node)) {
                return Some(format!("${}{}", definition.node.name.node, dotted(&path)));
            }
        }
    }
    let fragments = document
        .fragments
        .values()
        .map(|f| &f.node.selection_set.node);
    // A stack rather than recursion: the document's nesting is the client's to choose.
    let mut pending: Vec<&SelectionSet> = operations
        .iter()
        .map(|op| &op.selection_set.node)
        .chain(fragments)
        .collect();
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    for (name, value) in &field.node.arguments {
                        let sent = value.node.clone().into_const_with(|name| {
                            Ok::<_, std::convert::Infallible>(
                                variables.get(&name).cloned().unwrap_or(Value::Null),
                            )
                        });
                        if let Some(path) = sent.ok().as_ref().and_then(const_path) {
                            return Some(format!(
                                "{}.{}{}",
                                field.node.name.node,
                                name.node,
                                dotted(&path)
                            ));
                        }
                    }
                    pending.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    pending.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    None
}

fn const_path(value: &Value) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|json| control_character_at(&json, OPAQUE))
}

/// `.path` after a name, nothing for the value itself, `[0]…` as it is.
fn dotted(path: &str) -> String {
    if path.is_empty() || path.starts_with('[') {
        path.to_owned()
    } else {
        format!(".{path}")
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    #[test]
    fn literal_arguments_are_searched_with_their_path() {
        let doc = parse_query(
            r#"mutation { sso { signIn(input: {subject: "a\u0000b", claims: {}}) { outcome } } }"#,
        )
        .unwrap();
        let none = Variables::default();
        assert_eq!(
            in_arguments(&doc, &none).as_deref(),
            Some("signIn.input.subject")
        );
        let doc =
            parse_query(r#"query($q: String = "x\u001b") { brands(name: "ok") { id } }"#).unwrap();
        assert_eq!(in_arguments(&doc, &none).as_deref(), Some("$q"));
        let doc = parse_query(r#"{ brands(filter: {names: ["ok", "b\u0007"]}) { id } }"#).unwrap();
        assert_eq!(
            in_arguments(&doc, &none).as_deref(),
            Some("brands.filter.names[1]")
        );
        let doc = parse_query(r#"{ brands(name: "fine") { id } }"#).unwrap();
        assert_eq!(in_arguments(&doc, &none), None);
        // Variables are searched where they are used: an employee file is its parser's.
        let doc = parse_query(
            "mutation($f: String!, $n: String) { employeeSyncs { import(input: {file: $f, fileName: $n}) { employeeSync { id } } } }",
        )
        .unwrap();
        let sent = |f: &str, n: &str| Variables::from_json(serde_json::json!({"f": f, "n": n}));
        assert_eq!(in_arguments(&doc, &sent("a,b\n\u{0}", "ok.csv")), None);
        assert_eq!(
            in_arguments(&doc, &sent("a,b\n", "x\u{0}.csv")).as_deref(),
            Some("import.input.fileName")
        );
    }
}
