//! What a SCIM resource type offers, whichever it is: the six operations RFC 7644 §3 defines
//! for `/Users` and `/Groups`. The HTTP door serves any [`ScimResource`] with one set of
//! generic handlers, so a third resource type is one `impl`, not another set of routes.
use std::future::Future;

use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::{ListQuery, ScimResult, Scope, users::Rendered};
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

/// `/Users`: learners, each a contact (`service::scim::users`).
pub struct Users;

/// `/Groups`: groups of one configuration's users, mapped to roles (`service::scim::groups`).
pub struct Groups;
