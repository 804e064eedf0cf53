//! What an operation may cost. Complexity prices what a query makes the server do: lists as
//! `first` × their items, `totalRecords` as the count it runs, skipped rows as the scan they
//! are. The size of the document itself is capped in [`super::document`].
use async_graphql::parser::types::{Field, Selection, SelectionSet};

use crate::service::list::{DEFAULT_PAGE, MAX_OFFSET, MAX_PAGE};

/// The complexity of `totalRecords`, a count of every matching row.
pub const TOTAL_RECORDS_COST: usize = 100;

/// The complexity of a top-level list: each item's fields, the rows it skips (one point per
/// hundred), and the count behind `pageInfo { totalRecords }` when `field` asks for it.
/// async-graphql hands a complexity expression the list's own field as `__field`.
pub fn list_complexity(
    field: &Field,
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
fn asks_for_total(field: &Field) -> bool {
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
