//! Batch loading of related objects, so a list of N objects costs one query per relation
//! rather than N (a brand list with configurations, their identity providers and default
//! accounts is four queries whatever its length). Loaders live for one request and do not
//! cache across requests.
use std::{collections::HashMap, marker::PhantomData, sync::Arc, time::Duration};

use async_graphql::{Context, Request, dataloader::DataLoader, dataloader::Loader};
use entity::{
    account, admin_provisioning_rule, administrator, administrator_event, api_token, audit_event,
    brand, company, contact, credential, employee_sync, hris_connection, identity_provider,
    identity_provider_configuration as configuration, provisioning_event, role_mapping, scim_user,
};
use uuid::Uuid;

use super::errors::{GqlResultExt, ToGraphql};
use crate::{
    error::AppError,
    service::read::{self, Child, Db, Log, Stored},
};

/// A failed batch, shared by every key of it (the cause was logged where it happened).
/// An overloaded database stays a 503 for every field that waited on the batch.
#[derive(Clone)]
pub struct LoadError {
    cause: Arc<str>,
    unavailable: bool,
}

impl From<AppError> for LoadError {
    fn from(err: AppError) -> Self {
        Self {
            unavailable: matches!(err, AppError::Unavailable(_)),
            cause: err.to_string().into(),
        }
    }
}

impl From<LoadError> for AppError {
    fn from(err: LoadError) -> Self {
        let cause = err.cause.to_string();
        if err.unavailable {
            AppError::Unavailable(cause)
        } else {
            AppError::Internal(cause)
        }
    }
}

/// One request's batch loader of rows, read the way `How` says: [`ById`], [`ChildrenOf`] or
/// [`NewestOf`].
pub struct Batch<How> {
    db: Db,
    how: PhantomData<fn() -> How>,
}

/// Rows of `E` by primary key.
pub struct ById<E>(PhantomData<E>);

/// The children of a parent row ([`read::Child`]), by parent ID.
pub struct ChildrenOf<E>(PhantomData<E>);

/// The newest entries of a log ([`read::Log`]) under a parent, keyed by (parent, how many):
/// one statement for every parent of a page, however many ask.
pub struct NewestOf<E>(PhantomData<E>);

impl<E: Stored> Loader<Uuid> for Batch<ById<E>> {
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, LoadError> {
        Ok(read::by_ids::<E>(&self.db, keys).await?)
    }
}

impl<E: Child> Loader<Uuid> for Batch<ChildrenOf<E>> {
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        Ok(read::children::<E>(&self.db, keys).await?)
    }
}

impl<E: Log> Loader<(Uuid, u64)> for Batch<NewestOf<E>> {
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Self::Value>, LoadError> {
        let mut by_limit: HashMap<u64, Vec<Uuid>> = HashMap::new();
        for (parent, limit) in keys {
            by_limit.entry(*limit).or_default().push(*parent);
        }
        let mut loaded = HashMap::new();
        for (limit, parents) in by_limit {
            for (parent, rows) in read::newest::<E>(&self.db, &parents, limit).await? {
                loaded.insert((parent, limit), rows);
            }
        }
        Ok(loaded)
    }
}

/// The children of `parent`, as their API type.
pub async fn load_children<E: Child, T: From<E::Model>>(
    ctx: &Context<'_>,
    parent: Uuid,
) -> async_graphql::Result<Vec<T>> {
    let rows = load::<Batch<ChildrenOf<E>>, _>(ctx, parent).await?;
    Ok(rows.unwrap_or_default().into_iter().map(T::from).collect())
}

/// The newest `limit` entries of `parent`'s log, as their API type, through the request's
/// batch loader.
pub async fn load_newest<E: Log, T: From<E::Model>>(
    ctx: &Context<'_>,
    parent: Uuid,
    limit: u64,
) -> async_graphql::Result<Vec<T>> {
    let rows = load::<Batch<NewestOf<E>>, _>(ctx, (parent, limit)).await?;
    Ok(rows.unwrap_or_default().into_iter().map(T::from).collect())
}

fn batched<How: 'static>(db: &Db, window: Duration) -> DataLoader<Batch<How>> {
    let inner = Batch {
        db: db.clone(),
        how: PhantomData,
    };
    DataLoader::new(inner, tokio::spawn).delay(window)
}

/// Adds this request's loaders to `request`. Each collects the keys asked for during
/// `window` after the first one, then runs one query for all of them.
pub fn attach(request: Request, db: &Db, window: Duration) -> Request {
    request
        .data(batched::<ById<brand::Entity>>(db, window))
        .data(batched::<ById<identity_provider::Entity>>(db, window))
        .data(batched::<ById<company::Entity>>(db, window))
        .data(batched::<ById<account::Entity>>(db, window))
        .data(batched::<ById<contact::Entity>>(db, window))
        .data(batched::<ChildrenOf<configuration::Entity>>(db, window))
        .data(batched::<ChildrenOf<role_mapping::Entity>>(db, window))
        .data(batched::<ChildrenOf<credential::Entity>>(db, window))
        .data(batched::<ChildrenOf<scim_user::Entity>>(db, window))
        .data(batched::<NewestOf<provisioning_event::Entity>>(db, window))
        .data(batched::<NewestOf<audit_event::Entity>>(db, window))
        .data(batched::<ById<administrator::Entity>>(db, window))
        .data(batched::<ById<api_token::Entity>>(db, window))
        .data(batched::<ById<admin_provisioning_rule::Entity>>(db, window))
        .data(batched::<ById<employee_sync::Entity>>(db, window))
        .data(batched::<ById<hris_connection::Entity>>(db, window))
        .data(batched::<NewestOf<administrator_event::Entity>>(db, window))
}

/// Loads one value through the request's loader `T`.
pub async fn load<T, K>(ctx: &Context<'_>, key: K) -> async_graphql::Result<Option<T::Value>>
where
    T: Loader<K, Error = LoadError>,
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
{
    let loader = ctx.data::<DataLoader<T>>().map_err(|_| {
        AppError::Internal(format!(
            "no {} in the request context",
            std::any::type_name::<T>()
        ))
        .to_graphql()
    })?;
    loader.load_one(key).await.gql()
}
