//! API types. Each wraps a database model and chooses what of it the API shows.
use async_graphql::{Context, ID, Interface, Result};
use entity::{
    account, api_token, brand, company, contact, identity_provider,
    identity_provider_configuration as configuration, provisioning_event,
};

use super::{
    account::Account,
    api_token::ApiToken,
    brand::Brand,
    company::Company,
    configuration::IdentityProviderConfiguration,
    contact::Contact,
    db,
    errors::GqlResultExt,
    identity_provider::IdentityProvider,
    loaders::{ById, load},
    provisioning_event::ProvisioningEvent,
};

use crate::{
    domain::id::{self, NodeKind, encode},
    error::AppError,
    service::read::{self, Stored},
};

/// The complexity multiplier of a list without `first` (a brand's configurations, a
/// contact's credentials, role mappings): such lists hold a few items, as many as a brand has
/// identity providers, but a query that walks back and forth through them is still priced.
pub(super) const UNPAGED_LIST_COST: usize = 10;

pub(super) fn gid(kind: NodeKind, id: uuid::Uuid) -> ID {
    ID(encode(kind, id))
}

/// The entity `id` refers to, if any, as its API type; batched with its siblings.
pub(super) async fn related<E, T>(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<T>>
where
    E: Stored,
    T: From<E::Model>,
{
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(load::<ById<E>, _>(ctx, id).await?.map(T::from))
}

/// Any entity with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Brand(Brand),
    IdentityProvider(IdentityProvider),
    IdentityProviderConfiguration(IdentityProviderConfiguration),
    Company(Company),
    Account(Account),
    Contact(Contact),
    ProvisioningEvent(ProvisioningEvent),
    ApiToken(ApiToken),
}

macro_rules! from_model {
    ($($ty:ident: $model:path),+) => {
        $(impl From<$model> for $ty {
            fn from(m: $model) -> Self { Self(m) }
        })+
    };
}

from_model!(
    IdentityProviderConfiguration: configuration::Model,
    Brand: brand::Model,
    IdentityProvider: identity_provider::Model,
    Company: company::Model,
    Account: account::Model,
    Contact: contact::Model,
    ApiToken: api_token::Model,
    ProvisioningEvent: provisioning_event::Model
);

/// Loads one entity by global ID for a single-fetch query; a malformed or wrong-type ID is
/// a `BAD_USER_INPUT` error naming the argument, an unknown one is `null`.
pub(super) async fn fetch<E, T>(ctx: &Context<'_>, kind: NodeKind, raw: &ID) -> Result<Option<T>>
where
    E: Stored,
    T: From<E::Model>,
{
    let uuid = id::decode(kind, "id", raw)
        .map_err(|e| AppError::Invalid(vec![e]))
        .gql()?;
    Ok(read::by_id::<E>(db(ctx)?, uuid).await.gql()?.map(T::from))
}
