//! The root queries: one entity by ID, any node, and the lists.
use async_graphql::{Context, ID, Object, Result};
use entity::{account, api_token, brand, company, contact, identity_provider, provisioning_event};
use sea_orm::DatabaseConnection;

use super::{
    Allow,
    connection::{
        AccountField, ApiTokenField, BrandField, CompanyField, Connection, ContactField, Filter,
        IdentityProviderField, ListArgs, Order, ProvisioningEventField, list,
    },
    db,
    errors::{GqlResultExt, ToGraphql},
    limits::list_complexity,
    types::{
        Account, ApiToken, Brand, Company, Contact, IdentityProvider,
        IdentityProviderConfiguration, Node, ProvisioningEvent,
    },
};
use crate::{
    db::queries,
    domain::{
        access::Action,
        id::{self, NodeKind},
    },
    error::AppError,
};

pub struct QueryRoot;

/// Loads one entity by global ID for a single-fetch query; a malformed or wrong-type ID is
/// a `BAD_USER_INPUT` error naming the argument, an unknown one is `null`.
async fn fetch<E, T>(ctx: &Context<'_>, kind: NodeKind, raw: &ID) -> Result<Option<T>>
where
    E: sea_orm::EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<uuid::Uuid>,
    T: From<E::Model>,
{
    let uuid = id::decode(kind, "id", raw)
        .map_err(|e| AppError::Invalid(vec![e]))
        .gql()?;
    Ok(queries::find::<E, DatabaseConnection>(db(ctx)?, uuid)
        .await
        .gql()?
        .map(T::from))
}

#[Object]
impl QueryRoot {
    /// Any entity by its global ID.
    #[graphql(guard = "Allow(Action::Read)")]
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let Some((kind, uuid)) = id::decode_any(&id) else {
            return Err(AppError::BadRequest("id: not a valid ID".into()).to_graphql());
        };
        let db = db(ctx)?;
        let node = match kind {
            NodeKind::Brand => queries::find::<brand::Entity, _>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::Brand(Brand(m))),
            NodeKind::IdentityProvider => queries::find::<identity_provider::Entity, _>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::IdentityProvider(IdentityProvider(m))),
            NodeKind::IdentityProviderConfiguration => {
                queries::find::<entity::identity_provider_configuration::Entity, _>(db, uuid)
                    .await
                    .gql()?
                    .map(|m| Node::IdentityProviderConfiguration(IdentityProviderConfiguration(m)))
            }
            NodeKind::Company => queries::find::<company::Entity, _>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::Company(Company(m))),
            NodeKind::Account => queries::find::<account::Entity, _>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::Account(Account(m))),
            NodeKind::Contact => queries::find::<contact::Entity, _>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::Contact(Contact(m))),
            NodeKind::ApiToken => {
                let principal = Allow(Action::ManageTokens);
                async_graphql::Guard::check(&principal, ctx).await?;
                queries::find::<api_token::Entity, _>(db, uuid)
                    .await
                    .gql()?
                    .map(|m| Node::ApiToken(ApiToken(m)))
            }
            NodeKind::ProvisioningEvent => queries::find::<provisioning_event::Entity, _>(db, uuid)
                .await
                .gql()?
                .map(|m| Node::ProvisioningEvent(ProvisioningEvent(m))),
        };
        Ok(node)
    }

    #[graphql(guard = "Allow(Action::Read)")]
    async fn brand(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Brand>> {
        fetch::<brand::Entity, _>(ctx, NodeKind::Brand, &id).await
    }

    #[graphql(guard = "Allow(Action::Read)")]
    async fn identity_provider(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<IdentityProvider>> {
        fetch::<identity_provider::Entity, _>(ctx, NodeKind::IdentityProvider, &id).await
    }

    #[graphql(guard = "Allow(Action::Read)")]
    async fn company(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Company>> {
        fetch::<company::Entity, _>(ctx, NodeKind::Company, &id).await
    }

    #[graphql(guard = "Allow(Action::Read)")]
    async fn account(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Account>> {
        fetch::<account::Entity, _>(ctx, NodeKind::Account, &id).await
    }

    #[graphql(guard = "Allow(Action::Read)")]
    async fn contact(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Contact>> {
        fetch::<contact::Entity, _>(ctx, NodeKind::Contact, &id).await
    }

    #[graphql(
        guard = "Allow(Action::Read)",
        complexity = "list_complexity(__field, first, offset, child_complexity)"
    )]
    async fn brands(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
        after: Option<String>,
        filters: Option<Vec<Filter<BrandField>>>,
        order: Option<Order<BrandField>>,
    ) -> Result<Connection<Brand>> {
        list(
            ctx,
            ListArgs {
                first,
                offset,
                after,
                filters,
                order,
            },
        )
        .await
    }

    #[graphql(
        guard = "Allow(Action::Read)",
        complexity = "list_complexity(__field, first, offset, child_complexity)"
    )]
    async fn identity_providers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
        after: Option<String>,
        filters: Option<Vec<Filter<IdentityProviderField>>>,
        order: Option<Order<IdentityProviderField>>,
    ) -> Result<Connection<IdentityProvider>> {
        list(
            ctx,
            ListArgs {
                first,
                offset,
                after,
                filters,
                order,
            },
        )
        .await
    }

    #[graphql(
        guard = "Allow(Action::Read)",
        complexity = "list_complexity(__field, first, offset, child_complexity)"
    )]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
        after: Option<String>,
        filters: Option<Vec<Filter<CompanyField>>>,
        order: Option<Order<CompanyField>>,
    ) -> Result<Connection<Company>> {
        list(
            ctx,
            ListArgs {
                first,
                offset,
                after,
                filters,
                order,
            },
        )
        .await
    }

    #[graphql(
        guard = "Allow(Action::Read)",
        complexity = "list_complexity(__field, first, offset, child_complexity)"
    )]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
        after: Option<String>,
        filters: Option<Vec<Filter<AccountField>>>,
        order: Option<Order<AccountField>>,
    ) -> Result<Connection<Account>> {
        list(
            ctx,
            ListArgs {
                first,
                offset,
                after,
                filters,
                order,
            },
        )
        .await
    }

    #[graphql(
        guard = "Allow(Action::Read)",
        complexity = "list_complexity(__field, first, offset, child_complexity)"
    )]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
        after: Option<String>,
        filters: Option<Vec<Filter<ContactField>>>,
        order: Option<Order<ContactField>>,
    ) -> Result<Connection<Contact>> {
        list(
            ctx,
            ListArgs {
                first,
                offset,
                after,
                filters,
                order,
            },
        )
        .await
    }

    /// The provisioning log: one event per sign-in call, denials included; newest first
    /// unless `order` says otherwise.
    #[graphql(
        guard = "Allow(Action::Read)",
        complexity = "list_complexity(__field, first, offset, child_complexity)"
    )]
    async fn provisioning_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
        after: Option<String>,
        filters: Option<Vec<Filter<ProvisioningEventField>>>,
        order: Option<Order<ProvisioningEventField>>,
    ) -> Result<Connection<ProvisioningEvent>> {
        list(
            ctx,
            ListArgs {
                first,
                offset,
                after,
                filters,
                order,
            },
        )
        .await
    }

    /// API tokens (owner only). Secrets are never shown after creation.
    #[graphql(
        guard = "Allow(Action::ManageTokens)",
        complexity = "list_complexity(__field, first, offset, child_complexity)"
    )]
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
        after: Option<String>,
        filters: Option<Vec<Filter<ApiTokenField>>>,
        order: Option<Order<ApiTokenField>>,
    ) -> Result<Connection<ApiToken>> {
        list(
            ctx,
            ListArgs {
                first,
                offset,
                after,
                filters,
                order,
            },
        )
        .await
    }
}
