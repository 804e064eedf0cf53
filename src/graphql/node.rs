//! `node(id:)`: any entity by its global ID.
use async_graphql::{Context, ID, Object, Result};
use entity::{account, api_token, brand, company, contact, identity_provider, provisioning_event};

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
    provisioning_event::ProvisioningEvent,
    types::Node,
};
use crate::{
    domain::{
        access::Action,
        id::{self, NodeKind},
    },
    error::AppError,
    service::read,
};

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
