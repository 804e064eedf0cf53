//! What every entity module shares: global IDs, the `Node` interface and `node(id:)`, and
//! loading one entity or a related one.
use async_graphql::{
    Context, ID, InputValueError, InputValueResult, Interface, Object, Result, Scalar, ScalarType,
    Value,
};
use chrono::{DateTime, Utc};
use entity::{
    account, admin_provisioning_rule, administrator, administrator_event, api_token, audit_event,
    brand, company, contact, employee_sync, hris_connection, identity_provider,
    identity_provider_configuration as configuration, provisioning_event,
};

use super::{
    Allow,
    account::Account,
    admin_rule::AdminProvisioningRule,
    administrator::{Administrator, AdministratorEvent},
    api_token::ApiToken,
    audit_event::AuditEvent,
    brand::Brand,
    company::Company,
    configuration::IdentityProviderConfiguration,
    contact::Contact,
    employee_sync::EmployeeSync,
    errors::{GqlResultExt, ToGraphql},
    hris::HrisConnection,
    identity_provider::IdentityProvider,
    loaders::{Batch, ById, load},
    pool,
    provisioning_event::ProvisioningEvent,
};

use crate::{
    domain::{
        access::Action,
        id::{self, NodeKind, encode},
        stored::StoredEnum,
        time,
    },
    error::AppError,
    service::read::{self, Db, Stored},
};

/// The complexity multiplier of a list without `first` (a brand's configurations, a
/// contact's credentials, role mappings): such lists hold a few items, as many as a brand has
/// identity providers, but a query that walks back and forth through them is still priced.
pub(super) const UNPAGED_LIST_COST: usize = 10;

pub(super) fn gid(kind: NodeKind, id: uuid::Uuid) -> ID {
    ID(encode(kind, id))
}

/// The entity `id` refers to, if any, as its API type; batched with its siblings.
pub(super) async fn related<E, T>(
    ctx: &Context<'_>,
    id: impl Into<Option<uuid::Uuid>>,
) -> Result<Option<T>>
where
    E: Stored,
    T: From<E::Model>,
{
    let Some(id) = id.into() else {
        return Ok(None);
    };
    Ok(load::<Batch<ById<E>>, _>(ctx, id).await?.map(T::from))
}

/// An instant, as every answer writes it ([`crate::domain::time::format`]). It keeps the
/// schema's scalar name `DateTime`, so that operations declaring `$at: DateTime` still run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

/// An instant in RFC 3339, always written in UTC with microseconds, e.g.
/// `2026-12-04T07:27:23.796133Z`. Input may use any RFC 3339 offset.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(raw) => time::parse(raw).map(Self).ok_or_else(|| {
                InputValueError::custom(
                    "must be an RFC 3339 date-time with an offset, like 2026-12-31T23:59:59Z",
                )
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(time::format(self.0))
    }
}

/// A column's value as its API type: the value itself, or an instant as a [`Timestamp`].
pub trait FromColumn<C> {
    fn from_column(column: &C) -> Self;
}

impl<T: Clone> FromColumn<T> for T {
    fn from_column(column: &T) -> Self {
        column.clone()
    }
}

impl FromColumn<DateTime<Utc>> for Timestamp {
    fn from_column(column: &DateTime<Utc>) -> Self {
        Self(*column)
    }
}

impl FromColumn<Option<DateTime<Utc>>> for Option<Timestamp> {
    fn from_column(column: &Option<DateTime<Utc>>) -> Self {
        column.map(Timestamp)
    }
}

/// A stored enum column as its API enum; an unknown spelling is an internal error.
pub(super) fn stored<D: StoredEnum, G: From<D>>(raw: &str) -> Result<G> {
    AppError::decode::<D>(raw).map(G::from).gql()
}

/// [`stored`] for a column that may be null.
pub(super) fn stored_or_null<D: StoredEnum, G: From<D>>(raw: Option<&str>) -> Result<Option<G>> {
    raw.map(stored::<D, G>).transpose()
}

/// A stored JSON column as its API type; an unreadable one is an internal error.
pub(super) fn json<T: serde::de::DeserializeOwned>(
    column: &str,
    raw: &serde_json::Value,
) -> Result<T> {
    AppError::decode_json(column, raw).gql()
}

/// Declares an API object over one entity row, so that a model is never exposed as such: the
/// wrapper and its `From<Model>`, the global `id` (for entities that have one), the `columns`
/// shown as stored, the `stored` enum columns decoded (`field: ApiEnum = DomainEnum`), the
/// `related` entities loaded through a batched key column (`field: ApiType = Entity, key`),
/// and `resolvers` for the rest. The call starts with `#[Object]`, written by the caller so that
/// the attribute's expansion (and the `complexity` expressions in it) resolve in the caller's
/// module, not in this macro's hygiene.
macro_rules! row_object {
    (
        $pound:tt $object:tt
        $(#[$meta:meta])*
        $name:ident($model:path) $(, id $kind:expr)?;
        columns { $($(#[$cmeta:meta])* $column:ident: $cty:ty),* $(,)? }
        $(stored { $($(#[$smeta:meta])* $senum:ident: $sty:ty = $sdomain:ty),* $(,)? })?
        $(related { $($(#[$rmeta:meta])* $rel:ident: $rty:ty = $rentity:path, $rkey:ident),* $(,)? })?
        $(resolvers { $($resolvers:tt)* })?
    ) => {
        $(#[$meta])*
        pub struct $name(pub $model);

        impl From<$model> for $name {
            fn from(row: $model) -> Self {
                Self(row)
            }
        }

        $pound $object
        impl $name {
            $(
                pub async fn id(&self) -> async_graphql::ID {
                    $crate::transport::graphql::types::gid($kind, self.0.id)
                }
            )?
            $(
                $(#[$cmeta])*
                async fn $column(&self) -> $cty {
                    $crate::transport::graphql::types::FromColumn::from_column(&self.0.$column)
                }
            )*
            $($(
                $(#[$smeta])*
                async fn $senum(&self) -> async_graphql::Result<$sty> {
                    $crate::transport::graphql::types::stored::<$sdomain, $sty>(&self.0.$senum)
                }
            )*)?
            $($(
                $(#[$rmeta])*
                async fn $rel(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                ) -> async_graphql::Result<Option<$rty>> {
                    $crate::transport::graphql::types::related::<$rentity, $rty>(ctx, self.0.$rkey).await
                }
            )*)?
            $($($resolvers)*)?
        }
    };
}
pub(super) use row_object;

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
    AuditEvent(AuditEvent),
    Administrator(Administrator),
    AdminProvisioningRule(AdminProvisioningRule),
    EmployeeSync(EmployeeSync),
    AdministratorEvent(AdministratorEvent),
    HrisConnection(HrisConnection),
}

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
    Ok(read::by_id::<E>(pool(ctx)?, uuid).await.gql()?.map(T::from))
}

/// One row as a `Node`.
async fn node<E, T>(db: &Db, id: uuid::Uuid) -> Result<Option<Node>>
where
    E: Stored,
    T: From<E::Model> + Into<Node>,
{
    Ok(read::by_id::<E>(db, id)
        .await
        .gql()?
        .map(|m| T::from(m).into()))
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
        let db = pool(ctx)?;
        match kind {
            NodeKind::Brand => node::<brand::Entity, Brand>(db, uuid).await,
            NodeKind::IdentityProvider => {
                node::<identity_provider::Entity, IdentityProvider>(db, uuid).await
            }
            NodeKind::IdentityProviderConfiguration => {
                node::<configuration::Entity, IdentityProviderConfiguration>(db, uuid).await
            }
            NodeKind::Company => node::<company::Entity, Company>(db, uuid).await,
            NodeKind::Account => node::<account::Entity, Account>(db, uuid).await,
            NodeKind::Contact => node::<contact::Entity, Contact>(db, uuid).await,
            NodeKind::ApiToken => {
                async_graphql::Guard::check(&Allow(Action::ManageTokens), ctx).await?;
                node::<api_token::Entity, ApiToken>(db, uuid).await
            }
            NodeKind::ProvisioningEvent => {
                node::<provisioning_event::Entity, ProvisioningEvent>(db, uuid).await
            }
            NodeKind::AuditEvent => node::<audit_event::Entity, AuditEvent>(db, uuid).await,
            NodeKind::Administrator => node::<administrator::Entity, Administrator>(db, uuid).await,
            NodeKind::AdminProvisioningRule => {
                node::<admin_provisioning_rule::Entity, AdminProvisioningRule>(db, uuid).await
            }
            NodeKind::EmployeeSync => node::<employee_sync::Entity, EmployeeSync>(db, uuid).await,
            NodeKind::AdministratorEvent => {
                node::<administrator_event::Entity, AdministratorEvent>(db, uuid).await
            }
            NodeKind::HrisConnection => {
                async_graphql::Guard::check(&Allow(Action::ManageAdministrators), ctx).await?;
                node::<hris_connection::Entity, HrisConnection>(db, uuid).await
            }
        }
    }
}
