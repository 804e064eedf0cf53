//! One listing mechanism for every entity: filters, order, offset and limit, plus the total.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Value,
    sea_query::{Expr, ExprTrait, Func, SimpleExpr},
};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
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

pub struct ListRequest<C> {
    pub filters: Vec<Filter<C>>,
    pub order_by: C,
    pub descending: bool,
    /// Breaks ties so that pages never overlap or skip rows.
    pub tie_breaker: C,
    pub offset: u64,
    pub limit: u64,
}

pub struct Page<M> {
    pub items: Vec<M>,
    pub total: u64,
    pub offset: u64,
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
    let total = query.clone().count(db).await?;
    let order = if request.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let items = query
        .order_by(request.order_by, order.clone())
        .order_by(request.tie_breaker, order)
        .offset(request.offset)
        .limit(request.limit)
        .all(db)
        .await?;
    Ok(Page {
        items,
        total,
        offset: request.offset,
    })
}
