//! SCIM filter conditions (`domain::scim::filter`) as SQL over `scim_user` (joined to its
//! contact when the filter reads one) and `scim_group`.
use entity::{contact, scim_group, scim_group_member, scim_user};
use sea_orm::{
    Condition, DbBackend, Value,
    sea_query::{Alias, Expr, ExprTrait, Func, IntoColumnRef, Query, SelectStatement},
};
use uuid::Uuid;

use crate::domain::{
    scim::{
        GroupAttr, UserAttr,
        filter::{Cond, Literal, Op},
        user,
    },
    stored::StoredEnum,
    validate,
};

/// How one attribute is stored: the SQL expression to compare, and how a literal is shaped
/// for it.
pub(super) enum Column {
    /// Text compared after the database lowercases it (and the literal is lowercased).
    Lowered(Expr),
    /// Text stored folded (NFKC + case folding); the literal is folded the same way in Rust.
    Folded(Expr),
    /// Text compared exactly.
    Exact(Expr),
    Id(Expr),
    Time(Expr),
    /// The contact's status: `active` is true.
    Status(Expr),
    /// A nullable boolean column.
    Flag(Expr),
    /// The contact's folded email; a placeholder address (a user the IdP sent no email for)
    /// counts as absent.
    Email(Expr),
    /// A group's members (`members.value`), compared as EXISTS subqueries of
    /// `scim_group_member`.
    Member,
}

fn col<T: IntoColumnRef>(c: T) -> Expr {
    Expr::col(c)
}

pub(super) fn user_column(attr: UserAttr) -> Column {
    use scim_user::Column as U;
    let u = |c: U| col((scim_user::Entity, c));
    let c = |c: contact::Column| col((contact::Entity, c));
    match attr {
        UserAttr::Id => Column::Id(u(U::Id)),
        UserAttr::UserName => Column::Folded(u(U::UserNameFolded)),
        UserAttr::ExternalId => Column::Exact(u(U::ExternalId)),
        UserAttr::GivenName => Column::Lowered(c(contact::Column::FirstName)),
        UserAttr::FamilyName => Column::Lowered(c(contact::Column::LastName)),
        UserAttr::DisplayName => Column::Lowered(u(U::DisplayName)),
        UserAttr::Title => Column::Lowered(u(U::Title)),
        UserAttr::Email => Column::Email(c(contact::Column::EmailFolded)),
        UserAttr::EmailType => Column::Lowered(u(U::EmailType)),
        UserAttr::EmailPrimary => Column::Flag(u(U::EmailPrimary)),
        UserAttr::Active => Column::Status(c(contact::Column::Status)),
        UserAttr::Department => Column::Lowered(u(U::Department)),
        UserAttr::EmployeeNumber => Column::Lowered(u(U::EmployeeNumber)),
        UserAttr::Organization => Column::Lowered(u(U::Organization)),
        UserAttr::Manager => Column::Exact(u(U::ManagerId)),
        UserAttr::Created => Column::Time(u(U::CreatedAt)),
        UserAttr::LastModified => Column::Time(last_modified()),
    }
}

/// `meta.lastModified` of a user: the later of its SCIM row's and its contact's changes (a
/// sign-in may update the contact).
fn last_modified() -> Expr {
    let u = col((scim_user::Entity, scim_user::Column::UpdatedAt));
    let c = col((contact::Entity, contact::Column::UpdatedAt));
    Expr::case(u.clone().gt(c.clone()), u).finally(c).into()
}

/// The SQL of one condition over `column_of`'s attributes.
pub(super) fn sql<A: Copy>(
    cond: &Cond<A>,
    backend: DbBackend,
    column_of: &dyn Fn(A) -> Column,
) -> Expr {
    match cond {
        Cond::Always(true) => Expr::cust("1 = 1"),
        Cond::Always(false) => Expr::cust("1 = 0"),
        Cond::Not(inner) => sql(inner, backend, column_of).not(),
        Cond::And(items) | Cond::Or(items) => {
            let junction = match cond {
                Cond::And(_) => Condition::all(),
                _ => Condition::any(),
            };
            let add = |j: Condition, c| j.add(sql(c, backend, column_of));
            items.iter().fold(junction, add).into()
        }
        Cond::Present(attr) => match column_of(*attr) {
            Column::Lowered(e) | Column::Folded(e) | Column::Exact(e) => {
                e.clone().is_not_null().and(e.ne(""))
            }
            Column::Id(e) | Column::Time(e) | Column::Status(e) | Column::Flag(e) => {
                e.is_not_null()
            }
            Column::Email(e) => e.not_like(placeholder_pattern()),
            Column::Member => Expr::exists(members(None)),
        },
        Cond::Compare(attr, op, literal) => compare(column_of(*attr), op, literal, backend),
    }
}

fn compare(column: Column, op: &Op, literal: &Literal, backend: DbBackend) -> Expr {
    match (column, literal) {
        (Column::Lowered(e), Literal::Text(v)) => {
            text(Expr::expr(Func::lower(e)), op, v.to_lowercase(), backend)
        }
        (Column::Folded(e), Literal::Text(v)) => text(e, op, validate::fold(v), backend),
        // Equality keeps the unique index; other operators must not see placeholders.
        (Column::Email(e), Literal::Text(v)) if *op == Op::Eq => e.eq(validate::fold(v)),
        (Column::Email(e), Literal::Text(v)) => {
            let real: Expr = Expr::case(
                e.clone().like(placeholder_pattern()),
                Expr::val(Option::<String>::None),
            )
            .finally(e)
            .into();
            text(real, op, validate::fold(v), backend)
        }
        (Column::Flag(e), Literal::Bool(b)) => ordered(e, op, Value::from(*b)),
        (Column::Exact(e), Literal::Text(v)) => text(e, op, v.clone(), backend),
        (Column::Id(e), Literal::Id(id)) => ordered(e, op, Value::from(*id)),
        (Column::Time(e), Literal::DateTime(at)) => ordered(e, op, Value::from(*at)),
        (Column::Status(e), Literal::Bool(b)) => {
            let is = e.eq(user::status_of(*b).as_str());
            if *op == Op::Ne { is.not() } else { is }
        }
        (Column::Member, Literal::Id(id)) if *op == Op::Eq => Expr::exists(members(Some(*id))),
        (Column::Member, Literal::Id(id)) if *op == Op::Ne => Expr::not_exists(members(Some(*id))),
        // The filter module types every literal for its attribute; anything else matches
        // nothing rather than everything.
        _ => Expr::cust("1 = 0"),
    }
}

fn ordered(e: Expr, op: &Op, v: Value) -> Expr {
    match op {
        Op::Eq => e.eq(v),
        Op::Ne => e.clone().ne(v).or(e.is_null()),
        Op::Gt => e.gt(v),
        Op::Ge => e.gte(v),
        Op::Lt => e.lt(v),
        Op::Le => e.lte(v),
        // Substring operators on ids and times are refused by the filter module.
        Op::Co | Op::Sw | Op::Ew => Expr::cust("1 = 0"),
    }
}

/// A text comparison; substring tests use `substr` and `instr`/`strpos` rather than LIKE, so
/// `%` and `_` in a value mean themselves and case rules are the column's own on both
/// databases.
fn text(e: Expr, op: &Op, v: String, backend: DbBackend) -> Expr {
    // 32-bit, so that PostgreSQL finds `substr(text, int, int)`.
    let n = v.chars().count().min(i32::MAX as usize) as i32;
    match op {
        Op::Co => {
            let position = if backend == DbBackend::Postgres {
                "strpos"
            } else {
                "instr"
            };
            Expr::expr(Func::cust(position).arg(e).arg(Expr::val(v))).gt(0)
        }
        Op::Sw => Expr::expr(
            Func::cust("substr")
                .arg(e)
                .arg(Expr::val(1))
                .arg(Expr::val(n)),
        )
        .eq(v),
        Op::Ew => {
            let start = Expr::expr(Func::cust("length").arg(e.clone())).sub(Expr::val(n - 1));
            Expr::expr(Func::cust("substr").arg(e).arg(start)).eq(v)
        }
        other => ordered(e, other, Value::from(v)),
    }
}

/// The placeholder addresses of users without email (see `service::scim::users`).
fn placeholder_pattern() -> String {
    format!("%@{}", user::PLACEHOLDER_DOMAIN)
}

/// Whether a condition reads any attribute of `pred` (a cheaper plan is possible when not).
pub(super) fn mentions<A: Copy>(cond: &Cond<A>, pred: &dyn Fn(A) -> bool) -> bool {
    match cond {
        Cond::Always(_) => false,
        Cond::Present(a) | Cond::Compare(a, _, _) => pred(*a),
        Cond::Not(inner) => mentions(inner, pred),
        Cond::And(items) | Cond::Or(items) => items.iter().any(|c| mentions(c, pred)),
    }
}

pub(super) fn on_contact(attr: UserAttr) -> bool {
    matches!(
        attr,
        UserAttr::GivenName
            | UserAttr::FamilyName
            | UserAttr::Email
            | UserAttr::Active
            | UserAttr::LastModified
    )
}

pub(super) fn group_column(attr: GroupAttr) -> Column {
    use scim_group::Column as G;
    let g = |c: G| col((scim_group::Entity, c));
    match attr {
        GroupAttr::Id => Column::Id(g(G::Id)),
        GroupAttr::DisplayName => Column::Folded(g(G::DisplayNameFolded)),
        GroupAttr::ExternalId => Column::Exact(g(G::ExternalId)),
        GroupAttr::Created => Column::Time(g(G::CreatedAt)),
        GroupAttr::LastModified => Column::Time(g(G::UpdatedAt)),
        GroupAttr::Member => Column::Member,
    }
}

/// The memberships of the group in the outer query (of `user`, when one is named).
fn members(user: Option<Uuid>) -> SelectStatement {
    let m = Alias::new("m");
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from_as(scim_group_member::Entity, m.clone())
        .and_where(
            Expr::col((m.clone(), scim_group_member::Column::GroupId))
                .equals((scim_group::Entity, scim_group::Column::Id)),
        );
    if let Some(user) = user {
        q.and_where(Expr::col((m, scim_group_member::Column::UserId)).eq(user));
    }
    q.to_owned()
}
