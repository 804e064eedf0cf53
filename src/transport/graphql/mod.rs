//! The GraphQL API: thin resolvers over [`crate::service`], and API types that wrap
//! database models without exposing them.
mod account;
mod admin_rule;
mod administrator;
mod api_token;
mod audit_event;
mod brand;
mod company;
mod configuration;
mod connection;
mod contact;
mod document;
mod employee_sync;
pub mod errors;
mod guard;
mod hris;
mod identity_provider;
mod limits;
mod loaders;
mod mutation;
mod observe;
mod order;
mod provisioning_event;
mod query;
mod sso;
mod types;

use async_graphql::{EmptySubscription, Schema};

pub use guard::Allow;
pub use loaders::attach as attach_loaders;
pub use mutation::MutationRoot;
pub use query::QueryRoot;

use crate::{
    config::Settings,
    domain::access::Principal,
    error::AppError,
    service::{App, read::Db},
};
use errors::ToGraphql;

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The schema with the limits of `settings`. The database and the caller are per-request data.
pub fn schema(settings: &Settings) -> AppSchema {
    let builder = Schema::build(QueryRoot::default(), MutationRoot, EmptySubscription)
        .limit_depth(settings.max_depth)
        .limit_complexity(settings.max_complexity)
        .limit_recursive_depth(32)
        .limit_directives(16)
        .extension(document::DocumentChecks {
            max_fields: settings.max_fields,
        })
        .extension(observe::OperationMetrics)
        .extension(order::QueryOrder);
    let builder = if settings.introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    builder.finish()
}

/// The SDL committed as `schema.graphql`.
pub fn sdl() -> String {
    schema(&Settings::for_database("")).sdl()
}

/// The request's caller, from its bearer token (HTTP put it in the context).
fn principal<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data::<Principal>()
        .map_err(|_| AppError::Internal("no principal in request context".into()).to_graphql())
}

/// The application the request runs on: what every use case takes.
fn app<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a App> {
    ctx.data::<App>()
        .map_err(|_| AppError::Internal("no application in request context".into()).to_graphql())
}

/// An ID input where `null` clears: omitted (`None`), `null` (`Some(None)`) or the ID.
fn id_or_null(value: &async_graphql::MaybeUndefined<async_graphql::ID>) -> Option<Option<&str>> {
    value.as_opt_ref().map(|id| id.map(|id| id.as_str()))
}

/// A text input where `null` clears: omitted (`None`), `null` (`Some(None)`) or the text.
fn text_or_null(value: &async_graphql::MaybeUndefined<String>) -> Option<Option<&str>> {
    value.as_opt_ref().map(|text| text.map(String::as_str))
}

/// The connection pool the request runs on.
fn pool<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Db> {
    app(ctx).map(App::db)
}
