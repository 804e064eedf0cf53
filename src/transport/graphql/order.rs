//! Response fields in the order of the query (GraphQL spec, "Serialized Map Ordering").
//!
//! async-graphql writes an object's fields in the order it resolves them, which is not the
//! query's where an object is assembled from parts: the fields of a `#[ComplexObject]` come
//! after its simple fields, and a merged root (`QueryRoot`, `MutationRoot`) writes one part's
//! fields after another's (async-graphql issue #612). This extension reads the operation's
//! selection sets when the query is parsed and, once it has run, puts every object's keys back
//! in the order in which they were first asked for (CollectFields: fragments count where they
//! are spread).
use std::sync::{Arc, Mutex};

use async_graphql::{
    Name, Response, ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery},
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

/// Installs [`ResponseOrder`] on a schema.
pub struct QueryOrder;

impl ExtensionFactory for QueryOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResponseOrder::default())
    }
}

/// One request's extension: the key order of each operation of its document.
#[derive(Default)]
struct ResponseOrder {
    operations: Mutex<Vec<(Option<Name>, Keys)>>,
}

/// The response keys of a selection set, in query order, each with the keys of its own
/// selection (merged over every place the key is selected).
#[derive(Default, Debug, PartialEq)]
struct Keys(Vec<(Name, Keys)>);

/// Fragments nested deeper than this are not followed (validation, which runs after parsing,
/// refuses cycles; this only keeps a cyclic document from looping before it is refused).
const MAX_FRAGMENT_DEPTH: usize = 32;

impl Keys {
    fn of(document: &ExecutableDocument, set: &SelectionSet) -> Self {
        let mut keys = Self::default();
        keys.collect(document, set, 0);
        keys
    }

    fn collect(&mut self, document: &ExecutableDocument, set: &SelectionSet, depth: usize) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.alias.as_ref().unwrap_or(&field.name).node.clone();
                    let at = match self.0.iter().position(|(k, _)| *k == key) {
                        Some(at) => at,
                        None => {
                            self.0.push((key, Self::default()));
                            self.0.len() - 1
                        }
                    };
                    self.0[at]
                        .1
                        .collect(document, &field.selection_set.node, depth);
                }
                Selection::InlineFragment(fragment) => {
                    self.collect(document, &fragment.node.selection_set.node, depth);
                }
                Selection::FragmentSpread(spread) if depth < MAX_FRAGMENT_DEPTH => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        self.collect(document, &fragment.node.selection_set.node, depth + 1);
                    }
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }

    /// Puts the keys of `value` (an object, or a list of them at any depth) in this order;
    /// keys this order does not know keep their place after the known ones.
    fn apply(&self, value: &mut Value) {
        if self.0.is_empty() {
            return;
        }
        match value {
            Value::Object(object) => {
                let rank = |key: &Name| {
                    self.0
                        .iter()
                        .position(|(k, _)| k == key)
                        .unwrap_or(usize::MAX)
                };
                object.sort_by(|a, _, b, _| rank(a).cmp(&rank(b)));
                for (key, inner) in &self.0 {
                    if let Some(field) = object.get_mut(key) {
                        inner.apply(field);
                    }
                }
            }
            Value::List(items) => items.iter_mut().for_each(|item| self.apply(item)),
            _ => {}
        }
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ResponseOrder {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let operations = match &document.operations {
            DocumentOperations::Single(operation) => {
                vec![(
                    None,
                    Keys::of(&document, &operation.node.selection_set.node),
                )]
            }
            DocumentOperations::Multiple(operations) => operations
                .iter()
                .map(|(name, operation)| {
                    let keys = Keys::of(&document, &operation.node.selection_set.node);
                    (Some(name.clone()), keys)
                })
                .collect(),
        };
        if let Ok(mut slot) = self.operations.lock() {
            *slot = operations;
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let Ok(operations) = self.operations.lock() else {
            return response;
        };
        // The operation that ran: the named one, else the document's only one.
        let keys = match operation_name {
            Some(name) => operations.iter().find(|(n, _)| n.as_deref() == Some(name)),
            None if operations.len() == 1 => operations.first(),
            None => None,
        };
        if let Some((_, keys)) = keys {
            keys.apply(&mut response.data);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    fn keys(query: &str) -> Keys {
        let document = parse_query(query).unwrap();
        let DocumentOperations::Single(operation) = &document.operations else {
            panic!("one operation");
        };
        Keys::of(&document, &operation.node.selection_set.node)
    }

    fn ordered(query: &str, data: serde_json::Value) -> String {
        let mut value = Value::from_json(data).unwrap();
        keys(query).apply(&mut value);
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn objects_and_lists_follow_the_query_at_every_depth() {
        let out = ordered(
            "{ b { z a { y x } } a: c }",
            json!({"a": 1, "b": [{"a": [{"x": 1, "y": 2}], "z": 3}]}),
        );
        assert_eq!(out, r#"{"b":[{"z":3,"a":[{"y":2,"x":1}]}],"a":1}"#);
    }

    #[test]
    fn fragments_count_where_they_are_spread_and_repeated_keys_merge() {
        let out = ordered(
            "{ n { id ...F ... on T { c } b { q } } } fragment F on T { b { p } a }",
            json!({"n": {"a": 1, "b": {"p": 1, "q": 2}, "c": 3, "id": 4}}),
        );
        assert_eq!(out, r#"{"n":{"id":4,"b":{"p":1,"q":2},"a":1,"c":3}}"#);
    }

    #[test]
    fn a_cyclic_fragment_does_not_loop() {
        let k = keys("{ a { ...F } } fragment F on T { b ...F }");
        assert_eq!(k.0.len(), 1);
    }
}
