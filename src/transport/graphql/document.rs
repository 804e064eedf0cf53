//! What a parsed operation may hold, checked once before any resolver runs, so every query and
//! mutation gets the same refusal and none reaches the database:
//! - no control character in any argument: PostgreSQL cannot store a NUL in text, and no field
//!   of the API is meant to hold one (an employee file's CSV text is checked by the file parser
//!   instead, row by row);
//! - at most `max_fields` fields, aliases included: complexity (see [`super::limits`]) prices
//!   what a query makes the server do, this caps the size of the document itself, so a query of
//!   thousands of cheap aliases is refused.
use std::sync::Arc;

use async_graphql::{
    ErrorExtensionValues, ServerError, ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{
        DocumentOperations, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
    },
};

use crate::domain::validate::control_character_at;

/// Arguments that are whole documents, checked by their own parser: an employee file's rows
/// with control characters are rejected rows, as over HTTP and from the inbox; PEM
/// certificates and a base64 SAML response are lines by nature, and their parsers refuse
/// anything else (neither is stored unparsed).
const OPAQUE: &[&str] = &["file", "signingCertificates", "samlResponse"];

pub struct DocumentChecks {
    pub max_fields: usize,
}

impl ExtensionFactory for DocumentChecks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Self {
            max_fields: self.max_fields,
        })
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for DocumentChecks {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Some(field) = control_character_in_arguments(&document, variables) {
            let message = format!("{field}: must not contain control characters");
            return Err(refusal(message, "BAD_USER_INPUT", Some(&field)));
        }
        let fields = fields(&document).len();
        if fields > self.max_fields {
            let message = format!(
                "the operation has {fields} fields (aliases included); at most {} are allowed",
                self.max_fields
            );
            return Err(refusal(message, "QUERY_TOO_LARGE", None));
        }
        Ok(document)
    }
}

fn refusal(message: String, code: &str, field: Option<&str>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    if let Some(field) = field {
        extensions.set("field", field);
    }
    error.extensions = Some(extensions);
    error
}

fn operations(document: &ExecutableDocument) -> Vec<&OperationDefinition> {
    match &document.operations {
        DocumentOperations::Single(op) => vec![&op.node],
        DocumentOperations::Multiple(ops) => ops.values().map(|op| &op.node).collect(),
    }
}

/// Fields written in the document: each operation's and each fragment's, each once.
fn fields(document: &ExecutableDocument) -> Vec<&Field> {
    let fragments = document
        .fragments
        .values()
        .map(|f| &f.node.selection_set.node);
    // A stack rather than recursion: the document's nesting is the client's to choose.
    let mut pending: Vec<&SelectionSet> = operations(document)
        .into_iter()
        .map(|op| &op.selection_set.node)
        .chain(fragments)
        .collect();
    let mut fields = Vec::new();
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    fields.push(&field.node);
                    pending.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    pending.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    fields
}

/// The first argument holding a control character, written in the document or sent as a
/// variable (searched where it is used, so that an argument's name decides, as for `file`), as
/// `field.argument.path`; or a variable's default, as `$name.path`.
fn control_character_in_arguments(
    document: &ExecutableDocument,
    variables: &Variables,
) -> Option<String> {
    for operation in operations(document) {
        for definition in &operation.variable_definitions {
            let default = definition.node.default_value.as_ref();
            if let Some(path) = default.and_then(|v| const_path(&v.node)) {
                return Some(format!("${}{}", definition.node.name.node, dotted(&path)));
            }
        }
    }
    fields(document).into_iter().find_map(|field| {
        field.arguments.iter().find_map(|(name, value)| {
            let sent = value.node.clone().into_const_with(|name| {
                Ok::<_, std::convert::Infallible>(
                    variables.get(&name).cloned().unwrap_or(Value::Null),
                )
            });
            let path = sent.ok().as_ref().and_then(const_path)?;
            Some(format!(
                "{}.{}{}",
                field.name.node,
                name.node,
                dotted(&path)
            ))
        })
    })
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
            control_character_in_arguments(&doc, &none).as_deref(),
            Some("signIn.input.subject")
        );
        let doc =
            parse_query(r#"query($q: String = "x\u001b") { brands(name: "ok") { id } }"#).unwrap();
        assert_eq!(
            control_character_in_arguments(&doc, &none).as_deref(),
            Some("$q")
        );
        let doc = parse_query(r#"{ brands(filter: {names: ["ok", "b\u0007"]}) { id } }"#).unwrap();
        assert_eq!(
            control_character_in_arguments(&doc, &none).as_deref(),
            Some("brands.filter.names[1]")
        );
        let doc = parse_query(r#"{ brands(name: "fine") { id } }"#).unwrap();
        assert_eq!(control_character_in_arguments(&doc, &none), None);
        // Variables are searched where they are used: an employee file is its parser's.
        let doc = parse_query(
            "mutation($f: String!, $n: String) { employeeSyncs { import(input: {file: $f, fileName: $n}) { employeeSync { id } } } }",
        )
        .unwrap();
        let sent = |f: &str, n: &str| Variables::from_json(serde_json::json!({"f": f, "n": n}));
        assert_eq!(
            control_character_in_arguments(&doc, &sent("a,b\n\u{0}", "ok.csv")),
            None
        );
        assert_eq!(
            control_character_in_arguments(&doc, &sent("a,b\n", "x\u{0}.csv")).as_deref(),
            Some("import.input.fileName")
        );
    }

    #[test]
    fn counts_every_written_field_once() {
        let doc = parse_query(
            "query { a: brands { edges { node { id } } } b: brands { ...F } ... on QueryRoot { c } } \
             fragment F on BrandConnection { edges { cursor } }",
        )
        .unwrap();
        // a, edges, node, id, b, c, and the fragment's edges, cursor.
        assert_eq!(fields(&doc).len(), 8);
    }

    #[test]
    fn aliases_count_as_fields() {
        let aliases: String = (0..3000).map(|i| format!("a{i}: __typename ")).collect();
        let doc = parse_query(format!("{{ {aliases} }}")).unwrap();
        assert_eq!(fields(&doc).len(), 3000);
    }
}
