//! Limits on the size of an operation that complexity cannot see: the number of fields
//! (aliases included) written in the document. Complexity prices what a query makes the
//! server do; this caps what it makes the server parse and validate, so a query of thousands
//! of cheap aliases is refused before anything runs.
use std::sync::Arc;

use async_graphql::{
    ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

/// Refuses documents that write more than `max_fields` fields.
pub struct FieldLimit {
    pub max_fields: usize,
}

impl ExtensionFactory for FieldLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FieldLimitExtension {
            max_fields: self.max_fields,
        })
    }
}

struct FieldLimitExtension {
    max_fields: usize,
}

#[async_graphql::async_trait::async_trait]
impl Extension for FieldLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let fields = count_fields(&document);
        if fields > self.max_fields {
            let mut error = ServerError::new(
                format!(
                    "the operation has {fields} fields (aliases included); at most {} are allowed",
                    self.max_fields
                ),
                None,
            );
            error.extensions = Some({
                let mut ext = async_graphql::ErrorExtensionValues::default();
                ext.set("code", "QUERY_TOO_LARGE");
                ext
            });
            return Err(error);
        }
        Ok(document)
    }
}

/// Fields written in the document: each operation's and each fragment's, each once.
pub fn count_fields(document: &ExecutableDocument) -> usize {
    let operations: Vec<&SelectionSet> = match &document.operations {
        DocumentOperations::Single(op) => vec![&op.node.selection_set.node],
        DocumentOperations::Multiple(ops) => {
            ops.values().map(|op| &op.node.selection_set.node).collect()
        }
    };
    let fragments = document
        .fragments
        .values()
        .map(|f| &f.node.selection_set.node);
    // A stack rather than recursion: the document's nesting is the client's to choose.
    let mut pending: Vec<&SelectionSet> = operations.into_iter().chain(fragments).collect();
    let mut fields = 0;
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    fields += 1;
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

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    #[test]
    fn counts_every_written_field_once() {
        let doc = parse_query(
            "query { a: brands { edges { node { id } } } b: brands { ...F } ... on QueryRoot { c } } \
             fragment F on BrandConnection { edges { cursor } }",
        )
        .unwrap();
        // a, edges, node, id, b, c, and the fragment's edges, cursor.
        assert_eq!(count_fields(&doc), 8);
    }

    #[test]
    fn aliases_count_as_fields() {
        let aliases: String = (0..3000).map(|i| format!("a{i}: __typename ")).collect();
        let doc = parse_query(format!("{{ {aliases} }}")).unwrap();
        assert_eq!(count_fields(&doc), 3000);
    }
}
