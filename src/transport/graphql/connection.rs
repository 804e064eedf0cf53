//! Lists as GraphQL shows them: `filters`, `order` and the field enums as input types, and a
//! connection whose `pageInfo` carries `totalRecords`. Everything else about lists (limits,
//! filter values, cursors, the query) is `service::list`'s.
use async_graphql::{Context, Enum, InputObject, InputType, OutputType, SimpleObject};

use super::{
    account::Account, api_token::ApiToken, audit_event::AuditEvent, brand::Brand, company::Company,
    contact::Contact, errors::GqlResultExt, identity_provider::IdentityProvider, pool,
    provisioning_event::ProvisioningEvent,
};
use super::{
    admin_rule::AdminProvisioningRule, administrator::Administrator, employee_sync::EmployeeSync,
};
use crate::service::list::{self as lists, FilterArg};

/// How a filter compares a column with its value(s).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::service::list::FilterOp", rename_items = "camelCase")]
pub enum FilterOperation {
    /// Equal to `value`.
    Eq,
    /// Not equal to `value`.
    Ne,
    /// Equal to one of `values`.
    In,
    /// SQL LIKE pattern (`%` any run, `_` one character), case-insensitive.
    Like,
    /// Greater than `value` (later, for times).
    Gt,
    /// Less than `value` (earlier, for times).
    Lt,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(rename_items = "camelCase")]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

#[derive(InputObject)]
#[graphql(concrete(name = "BrandFilter", params(BrandField)))]
#[graphql(concrete(name = "IdentityProviderFilter", params(IdentityProviderField)))]
#[graphql(concrete(name = "CompanyFilter", params(CompanyField)))]
#[graphql(concrete(name = "AccountFilter", params(AccountField)))]
#[graphql(concrete(name = "ContactFilter", params(ContactField)))]
#[graphql(concrete(name = "ApiTokenFilter", params(ApiTokenField)))]
#[graphql(concrete(name = "ProvisioningEventFilter", params(ProvisioningEventField)))]
#[graphql(concrete(name = "AuditEventFilter", params(AuditEventField)))]
#[graphql(concrete(name = "AdministratorFilter", params(AdministratorField)))]
#[graphql(concrete(
    name = "AdminProvisioningRuleFilter",
    params(AdminProvisioningRuleField)
))]
#[graphql(concrete(name = "EmployeeSyncFilter", params(EmployeeSyncField)))]
pub struct Filter<F: ApiField> {
    pub field: F,
    pub operation: FilterOperation,
    /// The value for every operation but `in`.
    pub value: Option<String>,
    /// The values for `in`.
    pub values: Option<Vec<String>>,
}

#[derive(InputObject)]
#[graphql(concrete(name = "BrandOrder", params(BrandField)))]
#[graphql(concrete(name = "IdentityProviderOrder", params(IdentityProviderField)))]
#[graphql(concrete(name = "CompanyOrder", params(CompanyField)))]
#[graphql(concrete(name = "AccountOrder", params(AccountField)))]
#[graphql(concrete(name = "ContactOrder", params(ContactField)))]
#[graphql(concrete(name = "ApiTokenOrder", params(ApiTokenField)))]
#[graphql(concrete(name = "ProvisioningEventOrder", params(ProvisioningEventField)))]
#[graphql(concrete(name = "AuditEventOrder", params(AuditEventField)))]
#[graphql(concrete(name = "AdministratorOrder", params(AdministratorField)))]
#[graphql(concrete(
    name = "AdminProvisioningRuleOrder",
    params(AdminProvisioningRuleField)
))]
#[graphql(concrete(name = "EmployeeSyncOrder", params(EmployeeSyncField)))]
pub struct Order<F: ApiField> {
    pub field: F,
    #[graphql(default)]
    pub direction: OrderDirection,
}

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
    /// Rows matching the filters, across all pages. Asking for it costs what the count does:
    /// 100 complexity points, once per list.
    pub total_records: u64,
}

#[derive(SimpleObject)]
#[graphql(concrete(name = "BrandEdge", params(Brand)))]
#[graphql(concrete(name = "IdentityProviderEdge", params(IdentityProvider)))]
#[graphql(concrete(name = "CompanyEdge", params(Company)))]
#[graphql(concrete(name = "AccountEdge", params(Account)))]
#[graphql(concrete(name = "ContactEdge", params(Contact)))]
#[graphql(concrete(name = "ApiTokenEdge", params(ApiToken)))]
#[graphql(concrete(name = "ProvisioningEventEdge", params(ProvisioningEvent)))]
#[graphql(concrete(name = "AuditEventEdge", params(AuditEvent)))]
#[graphql(concrete(name = "AdministratorEdge", params(Administrator)))]
#[graphql(concrete(name = "AdminProvisioningRuleEdge", params(AdminProvisioningRule)))]
#[graphql(concrete(name = "EmployeeSyncEdge", params(EmployeeSync)))]
pub struct Edge<T: OutputType> {
    pub cursor: String,
    pub node: T,
}

#[derive(SimpleObject)]
#[graphql(concrete(name = "BrandConnection", params(Brand)))]
#[graphql(concrete(name = "IdentityProviderConnection", params(IdentityProvider)))]
#[graphql(concrete(name = "CompanyConnection", params(Company)))]
#[graphql(concrete(name = "AccountConnection", params(Account)))]
#[graphql(concrete(name = "ContactConnection", params(Contact)))]
#[graphql(concrete(name = "ApiTokenConnection", params(ApiToken)))]
#[graphql(concrete(name = "ProvisioningEventConnection", params(ProvisioningEvent)))]
#[graphql(concrete(name = "AuditEventConnection", params(AuditEvent)))]
#[graphql(concrete(name = "AdministratorConnection", params(Administrator)))]
#[graphql(concrete(
    name = "AdminProvisioningRuleConnection",
    params(AdminProvisioningRule)
))]
#[graphql(concrete(name = "EmployeeSyncConnection", params(EmployeeSync)))]
pub struct Connection<T: OutputType>
where
    Edge<T>: OutputType,
{
    pub edges: Vec<Edge<T>>,
    pub page_info: PageInfo,
}

/// A GraphQL enum of the fields a list filters and orders by, and the service's field it is.
pub trait ApiField: InputType + Copy {
    type Field: lists::ListField;
    fn field(self) -> Self::Field;
}

/// Declares the GraphQL enum of a list's fields, one variant per field of the service's.
macro_rules! api_fields {
    ($($(#[$meta:meta])* $name:ident => $field:ident { $($variant:ident),+ $(,)? })+) => {$(
        $(#[$meta])*
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
        #[graphql(rename_items = "camelCase")]
        pub enum $name { $($variant),+ }

        impl ApiField for $name {
            type Field = lists::$field;
            fn field(self) -> lists::$field {
                match self { $(Self::$variant => lists::$field::$variant),+ }
            }
        }
    )+};
}

api_fields! {
    /// A field of a brand to filter or order by.
    BrandField => BrandField { Id, Name, CreatedAt, UpdatedAt }
    /// A field of an identity provider to filter or order by.
    IdentityProviderField => IdentityProviderField { Id, Name, Protocol, Issuer, CreatedAt }
    /// A field of a company to filter or order by.
    CompanyField => CompanyField { Id, Name, CreatedAt }
    /// A field of an account to filter or order by.
    AccountField => AccountField { Id, Name, IsIndividual, CompanyId, CreatedAt }
    /// A field of a contact to filter or order by.
    ContactField => ContactField { Id, FirstName, LastName, Email, Status, AccountId, CreatedAt, UpdatedAt }
    /// A field of an API token to filter or order by.
    ApiTokenField => ApiTokenField { Id, Name, Role, CreatedAt }
    /// A field of a provisioning event to filter or order by.
    ProvisioningEventField => ProvisioningEventField {
        Id, BrandId, IdentityProviderId, ContactId, AccountId, Subject, Outcome,
        AccountAssignment, Source, OccurredAt,
    }
    /// A field of an audit event to filter or order by.
    AuditEventField => AuditEventField {
        Id, EntityId, EntityType, BrandId, ActorTokenId, ActorName, Operation, OccurredAt,
    }
    /// A field of an administrator to filter or order by.
    AdministratorField => AdministratorField {
        Id, Email, FirstName, LastName, Role, Status, Origin, RuleId, EmployeeId, CreatedAt,
        UpdatedAt,
    }
    /// A field of an administrator provisioning rule to filter or order by.
    AdminProvisioningRuleField => AdminProvisioningRuleField { Id, Name, Role, CreatedAt, UpdatedAt }
    /// A field of an employee sync to filter or order by.
    EmployeeSyncField => EmployeeSyncField { Id, Status, Source, FileName, CreatedAt }
}

/// Runs a list through the service and shapes the page as a connection of `T`. The total is
/// counted only when the query asks for `pageInfo.totalRecords`.
pub async fn list<F, T>(
    ctx: &Context<'_>,
    first: Option<i32>,
    offset: Option<i32>,
    after: Option<String>,
    filters: Option<Vec<Filter<F>>>,
    order: Option<Order<F>>,
) -> async_graphql::Result<Connection<T>>
where
    F: ApiField,
    lists::Model<F::Field>: Sync,
    T: OutputType + From<lists::Model<F::Field>>,
    Edge<T>: OutputType,
{
    let with_total = ctx
        .look_ahead()
        .field("pageInfo")
        .field("totalRecords")
        .exists();
    // A large column is read only when the node's field of the same name is selected.
    let node = ctx.look_ahead().field("edges").field("node");
    let wanted = lists::deferrable_columns::<F::Field>()
        .into_iter()
        .filter(|column| node.field(&crate::domain::audit::camel(column)).exists())
        .collect();
    let args = lists::ListArgs {
        first,
        offset,
        after,
        filters: filters
            .unwrap_or_default()
            .into_iter()
            .map(|f| FilterArg {
                field: f.field.field(),
                op: f.operation.into(),
                value: f.value,
                values: f.values,
            })
            .collect(),
        order: order.map(|o| (o.field.field(), o.direction == OrderDirection::Desc)),
        with_total,
        wanted,
    };
    let page = lists::page(pool(ctx)?, args).await.gql()?;
    let edges: Vec<Edge<T>> = page
        .rows
        .into_iter()
        .map(|(cursor, model)| Edge {
            cursor,
            node: T::from(model),
        })
        .collect();
    Ok(Connection {
        page_info: PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
            total_records: page.total_records,
        },
        edges,
    })
}

/// Declares an entity's root queries, merged into `QueryRoot`: its list (`first`, `offset`,
/// `after`, `filters`, `order`, priced by `limits::list_complexity`) and, where it has one, the
/// single fetch by ID; both behind `guard`.
macro_rules! entity_queries {
    (
        $query:ident, guard = $guard:literal;
        $(one $one:ident: $entity:path, $kind:expr;)?
        $(#[doc = $doc:literal])*
        list $list:ident: $field:ty => $node:ty
    ) => {
        #[derive(Default)]
        pub struct $query;

        #[async_graphql::Object]
        impl $query {
            $(
                #[graphql(guard = $guard)]
                async fn $one(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    id: async_graphql::ID,
                ) -> async_graphql::Result<Option<$node>> {
                    $crate::transport::graphql::types::fetch::<$entity, _>(ctx, $kind, &id).await
                }
            )?

            $(#[doc = $doc])*
            #[graphql(
                guard = $guard,
                complexity = "crate::transport::graphql::limits::list_complexity(__field, first, offset, child_complexity)"
            )]
            async fn $list(
                &self,
                ctx: &async_graphql::Context<'_>,
                first: Option<i32>,
                offset: Option<i32>,
                after: Option<String>,
                filters: Option<Vec<$crate::transport::graphql::connection::Filter<$field>>>,
                order: Option<$crate::transport::graphql::connection::Order<$field>>,
            ) -> async_graphql::Result<$crate::transport::graphql::connection::Connection<$node>> {
                let list = $crate::transport::graphql::connection::list;
                list(ctx, first, offset, after, filters, order).await
            }
        }
    };
}
pub(super) use entity_queries;
