//! What an operation may cost. Complexity prices what a query makes the server do: lists as
//! `first` × their items, `totalRecords` as the count it runs, skipped rows as the scan they
//! are. The field limit caps what complexity cannot see, the size of the document itself, so a
//! query of thousands of cheap aliases is refused before anything runs.
use std::sync::Arc;

use async_graphql::{
    ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser,
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

use crate::service::list::{DEFAULT_PAGE, MAX_OFFSET, MAX_PAGE};

/// The complexity of `totalRecords`, a count of every matching row.
pub const TOTAL_RECORDS_COST: usize = 100;

/// The complexity of a top-level list: each item's fields, the rows it skips (one point per
/// hundred), and the count behind `pageInfo { totalRecords }` when `field` asks for it.
/// async-graphql hands a complexity expression the list's own field as `__field`.
pub fn list_complexity(
    field: &parser::types::Field,
    first: Option<i32>,
    offset: Option<i32>,
    child_complexity: usize,
) -> usize {
    let first = first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
    let offset = offset.unwrap_or(0).clamp(0, MAX_OFFSET as i32) as usize;
    let total = if asks_for_total(field) {
        TOTAL_RECORDS_COST
    } else {
        0
    };
    first
        .saturating_mul(child_complexity)
        .saturating_add(offset / 100)
        .saturating_add(total)
}

/// Whether `pageInfo { totalRecords }` may be selected. A named fragment is not visible
/// here, so a spread on the way counts as asking (priced, never free).
fn asks_for_total(field: &parser::types::Field) -> bool {
    use parser::types::{Selection, SelectionSet};
    fn has(set: &SelectionSet, path: &[&str]) -> bool {
        let Some((name, rest)) = path.split_first() else {
            return true;
        };
        set.items.iter().any(|item| match &item.node {
            Selection::Field(f) => {
                f.node.name.node.as_str() == *name && has(&f.node.selection_set.node, rest)
            }
            Selection::InlineFragment(f) => has(&f.node.selection_set.node, path),
            Selection::FragmentSpread(_) => true,
        })
    }
    has(&field.selection_set.node, &["pageInfo", "totalRecords"])
}

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
