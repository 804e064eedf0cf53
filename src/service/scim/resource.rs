//! What a SCIM resource type offers, whichever it is: the six operations RFC 7644 §3 defines
//! for `/Users` and `/Groups`. The HTTP door serves any [`ScimResource`] with one set of
//! generic handlers, so a third resource type is one `impl`, not another set of routes.
use std::future::Future;

use serde_json::Value;

use super::{ListQuery, ScimResult, Scope, users::Rendered};
use crate::{domain::scim::project::Selection, service::App};

/// One SCIM resource type's operations, each within the token's configuration (`scope`).
pub trait ScimResource: Send + Sync + 'static {
    /// `GET /{type}` and `POST /{type}/.search`: a `ListResponse` page.
    fn list(
        app: &App,
        scope: &Scope,
        query: &ListQuery,
    ) -> impl Future<Output = ScimResult<Value>> + Send;

    /// `GET /{type}/{id}`.
    fn get(
        app: &App,
        scope: &Scope,
        id: &str,
        selection: &Selection,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `POST /{type}`.
    fn create(
        app: &App,
        scope: &Scope,
        body: &Value,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `PUT /{type}/{id}`: every attribute replaced.
    fn replace(
        app: &App,
        scope: &Scope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `PATCH /{type}/{id}`: the operations applied to the resource as one unit.
    fn patch(
        app: &App,
        scope: &Scope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `DELETE /{type}/{id}`.
    fn delete(
        app: &App,
        scope: &Scope,
        id: &str,
        if_match: Option<&str>,
    ) -> impl Future<Output = ScimResult<()>> + Send;
}

/// `/Users`: learners, each a contact (`service::scim::users`).
pub struct Users;

/// `/Groups`: groups of one configuration's users, mapped to roles (`service::scim::groups`).
pub struct Groups;
