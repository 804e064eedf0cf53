//! What a SCIM resource type offers, whichever it is: the six operations RFC 7644 §3 defines
//! for `/Users` and `/Groups`. The HTTP door serves any [`ScimResource`] with one set of
//! generic handlers, so a third resource type is one `impl`, not another set of routes.
use std::future::Future;

use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::{ListQuery, ScimResult, Scope, groups, users, users::Rendered};
use crate::{db::WriteGate, domain::scim::project::Selection};

/// One SCIM resource type's operations, each within the token's configuration (`scope`).
pub trait ScimResource: Send + Sync + 'static {
    /// `GET /{type}` and `POST /{type}/.search`: a `ListResponse` page.
    fn list(
        db: &DatabaseConnection,
        scope: &Scope,
        query: &ListQuery,
    ) -> impl Future<Output = ScimResult<Value>> + Send;

    /// `GET /{type}/{id}`.
    fn get(
        db: &DatabaseConnection,
        scope: &Scope,
        id: &str,
        selection: &Selection,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `POST /{type}`.
    fn create(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        body: &Value,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `PUT /{type}/{id}`: every attribute replaced.
    fn replace(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `PATCH /{type}/{id}`: the operations applied to the resource as one unit.
    fn patch(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `DELETE /{type}/{id}`.
    fn delete(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        id: &str,
        if_match: Option<&str>,
    ) -> impl Future<Output = ScimResult<()>> + Send;
}

/// `/Users`: learners, each a contact.
pub struct Users;

/// `/Groups`: groups of one configuration's users, mapped to roles.
pub struct Groups;

impl ScimResource for Users {
    async fn list(db: &DatabaseConnection, scope: &Scope, query: &ListQuery) -> ScimResult<Value> {
        users::list(db, scope, query).await
    }

    async fn get(
        db: &DatabaseConnection,
        scope: &Scope,
        id: &str,
        selection: &Selection,
    ) -> ScimResult<Rendered> {
        users::get(db, scope, id, selection).await
    }

    async fn create(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        body: &Value,
    ) -> ScimResult<Rendered> {
        users::create(db, gate, scope, body).await
    }

    async fn replace(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> ScimResult<Rendered> {
        users::replace(db, gate, scope, id, body, if_match).await
    }

    async fn patch(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> ScimResult<Rendered> {
        users::patch(db, gate, scope, id, body, if_match).await
    }

    async fn delete(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        id: &str,
        if_match: Option<&str>,
    ) -> ScimResult<()> {
        users::delete(db, gate, scope, id, if_match).await
    }
}

impl ScimResource for Groups {
    async fn list(db: &DatabaseConnection, scope: &Scope, query: &ListQuery) -> ScimResult<Value> {
        groups::list(db, scope, query).await
    }

    async fn get(
        db: &DatabaseConnection,
        scope: &Scope,
        id: &str,
        selection: &Selection,
    ) -> ScimResult<Rendered> {
        groups::get(db, scope, id, selection).await
    }

    async fn create(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        body: &Value,
    ) -> ScimResult<Rendered> {
        groups::create(db, gate, scope, body).await
    }

    async fn replace(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> ScimResult<Rendered> {
        groups::replace(db, gate, scope, id, body, if_match).await
    }

    async fn patch(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> ScimResult<Rendered> {
        groups::patch(db, gate, scope, id, body, if_match).await
    }

    async fn delete(
        db: &DatabaseConnection,
        gate: &WriteGate,
        scope: &Scope,
        id: &str,
        if_match: Option<&str>,
    ) -> ScimResult<()> {
        groups::delete(db, gate, scope, id, if_match).await
    }
}
