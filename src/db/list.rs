//! One listing mechanism for every entity: filters, order, keyset (`after`), offset and limit,
//! plus the total when asked for.
//!
//! A page after a cursor is found by seeking in the order's index to the cursor's row, so
//! page 10,000 costs what page 1 does; an `offset` still walks the rows it skips.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IdenStatic, Iterable, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Value,
    sea_query::{Expr, ExprTrait, Func, SimpleExpr},
};

/// How a filter compares a column with its value(s); `Like` is case-insensitive on both
/// databases. What each means to a client is written on the GraphQL `FilterOperation`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FilterOp {
    Eq,
    Ne,
    In,
    Like,
    Gt,
    Lt,
}

/// One condition on one column; values are already typed for the column.
pub struct Filter<C> {
    pub column: C,
    pub op: FilterOp,
    pub values: Vec<Value>,
}

/// The sort key of the row a page starts after: its order column's value and its ID.
pub struct Keyset {
    pub order_value: Value,
    pub id: Value,
}

pub struct ListRequest<C> {
    pub filters: Vec<Filter<C>>,
    pub order_by: C,
    pub descending: bool,
    /// Breaks ties so that pages never overlap or skip rows.
    pub tie_breaker: C,
    /// Start after this row (then skip `offset` more).
    pub after: Option<Keyset>,
    pub offset: u64,
    pub limit: u64,
    /// Count the rows matching the filters (one more query).
    pub with_total: bool,
    /// Columns not read: each reads as its placeholder instead (large JSON or text that the
    /// caller will not look at).
    pub deferred: Vec<(C, Value)>,
}

pub struct Page<M> {
    pub items: Vec<M>,
    pub total: Option<u64>,
    /// Whether rows follow this page.
    pub has_more: bool,
}

fn condition<C: ColumnTrait>(filter: Filter<C>) -> SimpleExpr {
    let col = filter.column;
    let first = filter
        .values
        .first()
        .cloned()
        .unwrap_or(Value::String(None));
    match filter.op {
        FilterOp::Eq => col.eq(first),
        FilterOp::Ne => col.ne(first),
        FilterOp::Gt => col.gt(first),
        FilterOp::Lt => col.lt(first),
        FilterOp::In => col.is_in(filter.values),
        // Case-insensitive on both databases (SQLite's LIKE is, PostgreSQL's is not).
        FilterOp::Like => {
            let pattern = match first {
                Value::String(Some(s)) => s.to_lowercase(),
                _ => String::new(),
            };
            Expr::expr(Func::lower(Expr::col(col))).like(pattern)
        }
    }
}

pub fn filtered<E: EntityTrait>(filters: Vec<Filter<E::Column>>) -> Select<E> {
    filters
        .into_iter()
        .fold(E::find(), |query, filter| query.filter(condition(filter)))
}

pub async fn list<E, Db>(db: &Db, request: ListRequest<E::Column>) -> Result<Page<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    Db: ConnectionTrait,
{
    let query = filtered::<E>(request.filters);
    let total = if request.with_total {
        Some(query.clone().count(db).await?)
    } else {
        None
    };
    let order = if request.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut query = query;
    if !request.deferred.is_empty() {
        query = query.select_only();
        for column in E::Column::iter() {
            let deferred = request
                .deferred
                .iter()
                .find(|(c, _)| c.as_str() == column.as_str());
            query = match deferred {
                Some((_, placeholder)) => {
                    query.column_as(Expr::val(placeholder.clone()), column.as_str())
                }
                None => query.column(column),
            };
        }
    }
    if let Some(after) = request.after {
        // A row value comparison: both databases seek an (order, id) index with it.
        let key = Expr::tuple([Expr::col(request.order_by), Expr::col(request.tie_breaker)]);
        let cursor = Expr::tuple([Expr::val(after.order_value), Expr::val(after.id)]);
        query = query.filter(if request.descending {
            key.lt(cursor)
        } else {
            key.gt(cursor)
        });
    }
    // One row more than the page tells whether another page follows, without a count.
    let mut items = query
        .order_by(request.order_by, order.clone())
        .order_by(request.tie_breaker, order)
        .offset(request.offset)
        .limit(request.limit + 1)
        .all(db)
        .await?;
    let has_more = items.len() as u64 > request.limit;
    items.truncate(request.limit as usize);
    Ok(Page {
        items,
        total,
        has_more,
    })
}
