//! What every entity module shares: global IDs, the `Node` interface and `node(id:)`, and
//! loading one entity or a related one.
use async_graphql::{Context, ID, Interface, Object, Result};
use entity::{
    account, api_token, brand, company, contact, identity_provider,
    identity_provider_configuration as configuration, provisioning_event,
};

use super::{
    Allow,
    account::Account,
    api_token::ApiToken,
    brand::Brand,
    company::Company,
    configuration::IdentityProviderConfiguration,
    contact::Contact,
    db,
    errors::{GqlResultExt, ToGraphql},
    identity_provider::IdentityProvider,
    loaders::{ById, load},
    provisioning_event::ProvisioningEvent,
};

use crate::{
    domain::{
        access::Action,
        id::{self, NodeKind, encode},
    },
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

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any entity by its global ID.
    #[graphql(guard = "Allow(Action::Read)")]
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let Some((kind, uuid)) = id::decode_any(&id) else {
            return Err(AppError::BadRequest("id: not a valid ID".into()).to_graphql());
        };
        let db = db(ctx)?;
        let node = match kind {
            NodeKind::Brand => read::by_id::<brand::Entity>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::Brand(Brand(m))),
            NodeKind::IdentityProvider => read::by_id::<identity_provider::Entity>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::IdentityProvider(IdentityProvider(m))),
            NodeKind::IdentityProviderConfiguration => {
                read::by_id::<entity::identity_provider_configuration::Entity>(db, uuid)
                    .await
                    .gql()?
                    .map(|m| Node::IdentityProviderConfiguration(IdentityProviderConfiguration(m)))
            }
            NodeKind::Company => read::by_id::<company::Entity>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::Company(Company(m))),
            NodeKind::Account => read::by_id::<account::Entity>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::Account(Account(m))),
            NodeKind::Contact => read::by_id::<contact::Entity>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::Contact(Contact(m))),
            NodeKind::ApiToken => {
                let principal = Allow(Action::ManageTokens);
                async_graphql::Guard::check(&principal, ctx).await?;
                read::by_id::<api_token::Entity>(db, uuid)
                    .await
                    .gql()?
                    .map(|m| Node::ApiToken(ApiToken(m)))
            }
            NodeKind::ProvisioningEvent => read::by_id::<provisioning_event::Entity>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::ProvisioningEvent(ProvisioningEvent(m))),
        };
        Ok(node)
    }
}
