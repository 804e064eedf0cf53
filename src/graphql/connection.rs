//! Lists in Administrate's shape: `first`/`offset`/`after`, `filters`, `order`, and a
//! connection whose `pageInfo` carries `totalRecords`.
use async_graphql::{Context, Enum, InputObject, InputType, OutputType, SimpleObject};
use chrono::DateTime;
use sea_orm::{EntityTrait, IdenStatic, ModelTrait, Value};

use super::{
    account::Account,
    api_token::ApiToken,
    brand::Brand,
    company::Company,
    contact::Contact,
    cursor::{Cursor, CursorKey, tag_of, tagged},
    db,
    errors::GqlResultExt,
    identity_provider::IdentityProvider,
    limits::MAX_OFFSET,
    provisioning_event::ProvisioningEvent,
};
use crate::{
    db::list::{self, Keyset, ListRequest},
    domain::id::{self, NodeKind},
    error::AppError,
};

pub const DEFAULT_PAGE: i32 = 25;
pub const MAX_PAGE: i32 = 100;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::db::list::FilterOp", rename_items = "camelCase")]
pub enum FilterOperation {
    Eq,
    Ne,
    In,
    /// SQL LIKE pattern (`%` any run, `_` one character), case-insensitive.
    Like,
    Gt,
    Lt,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(rename_items = "camelCase")]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

/// What kind of value a filterable field holds, and so how a filter value is read.
#[derive(Copy, Clone, Debug)]
pub enum ValueKind {
    Text,
    Id(NodeKind),
    /// Text compared case-insensitively (emails): the value is folded like the column.
    FoldedText,
    Bool,
    Timestamp,
    OneOf(&'static [&'static str]),
}

/// A filterable, orderable field of one entity.
pub trait ListField: InputType + Copy {
    type Entity: EntityTrait;
    fn column(self) -> <Self::Entity as EntityTrait>::Column;
    fn kind(self) -> ValueKind;
    fn id_column() -> <Self::Entity as EntityTrait>::Column;
    fn default_order() -> Self;
    /// Whether the default order runs newest first.
    fn default_descending() -> bool;
}

#[derive(InputObject)]
#[graphql(concrete(name = "BrandFilter", params(BrandField)))]
#[graphql(concrete(name = "IdentityProviderFilter", params(IdentityProviderField)))]
#[graphql(concrete(name = "CompanyFilter", params(CompanyField)))]
#[graphql(concrete(name = "AccountFilter", params(AccountField)))]
#[graphql(concrete(name = "ContactFilter", params(ContactField)))]
#[graphql(concrete(name = "ApiTokenFilter", params(ApiTokenField)))]
#[graphql(concrete(name = "ProvisioningEventFilter", params(ProvisioningEventField)))]
pub struct Filter<F: ListField> {
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
pub struct Order<F: ListField> {
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
pub struct Connection<T: OutputType>
where
    Edge<T>: OutputType,
{
    pub edges: Vec<Edge<T>>,
    pub page_info: PageInfo,
}

pub(super) fn bad(label: &str, why: &str) -> AppError {
    AppError::BadRequest(format!("{label}: {why}"))
}

fn value(label: &str, kind: ValueKind, raw: &str) -> Result<Value, AppError> {
    let id = |k: NodeKind| {
        id::decode(k, label, raw)
            .map(|u| Value::Uuid(Some(u)))
            .map_err(|e| bad(label, &e.message))
    };
    match kind {
        ValueKind::Text => Ok(Value::String(Some(raw.to_owned()))),
        ValueKind::Id(k) => id(k),
        ValueKind::FoldedText => Ok(Value::String(Some(crate::domain::validate::fold(raw)))),
        ValueKind::Bool => match raw {
            "true" => Ok(Value::Bool(Some(true))),
            "false" => Ok(Value::Bool(Some(false))),
            _ => Err(bad(label, "must be `true` or `false`")),
        },
        ValueKind::Timestamp => DateTime::parse_from_rfc3339(raw)
            .map(|t| Value::ChronoDateTimeUtc(Some(t.to_utc())))
            .map_err(|_| {
                bad(
                    label,
                    "must be an RFC 3339 timestamp, e.g. 2026-01-31T09:00:00Z",
                )
            }),
        ValueKind::OneOf(allowed) if allowed.contains(&raw) => {
            Ok(Value::String(Some(raw.to_owned())))
        }
        ValueKind::OneOf(allowed) => Err(bad(
            label,
            &format!("must be one of {}", allowed.join(", ")),
        )),
    }
}

type ColumnOf<F> = <<F as ListField>::Entity as EntityTrait>::Column;

/// The arguments every list takes.
pub struct ListArgs<F: ListField> {
    pub first: Option<i32>,
    pub offset: Option<i32>,
    pub after: Option<String>,
    pub filters: Option<Vec<Filter<F>>>,
    pub order: Option<Order<F>>,
}

impl<F: ListField> ListArgs<F> {
    /// The query for these arguments, and the position of the page's first row.
    fn into_request(self, with_total: bool) -> Result<(ListRequest<ColumnOf<F>>, u64), AppError> {
        let first = self.first.unwrap_or(DEFAULT_PAGE);
        if !(0..=MAX_PAGE).contains(&first) {
            return Err(bad("first", &format!("must be between 0 and {MAX_PAGE}")));
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(bad("offset", "must not be negative"));
        }
        let after = self
            .after
            .as_deref()
            .map(|raw| Cursor::decode("after", raw))
            .transpose()?;
        let mut filters = Vec::new();
        for (i, f) in self.filters.unwrap_or_default().into_iter().enumerate() {
            let kind = f.field.kind();
            let raw_values = match (f.operation, f.value, f.values) {
                (FilterOperation::In, _, Some(values)) => values,
                (FilterOperation::In, Some(v), None) => vec![v],
                (_, Some(v), _) => vec![v],
                _ => return Err(bad(&format!("filters[{i}].value"), "a value is required")),
            };
            if f.operation == FilterOperation::Like
                && !matches!(kind, ValueKind::Text | ValueKind::FoldedText)
            {
                return Err(bad(
                    &format!("filters[{i}].operation"),
                    "`like` applies to text fields only",
                ));
            }
            let label = format!("filters[{i}].value");
            let values = raw_values
                .iter()
                .map(|raw| value(&label, kind, raw))
                .collect::<Result<Vec<_>, _>>()?;
            filters.push(list::Filter {
                column: f.field.column(),
                op: f.operation.into(),
                values,
            });
        }
        let (order_field, direction) = match self.order {
            Some(o) => (o.field, o.direction),
            None if F::default_descending() => (F::default_order(), OrderDirection::Desc),
            None => (F::default_order(), OrderDirection::Asc),
        };
        let descending = direction == OrderDirection::Desc;
        let order_by = order_field.column();
        // A cursor read in this same order seeks to its row; any other counts rows to its
        // position, as the list stood when the cursor was read.
        let (keyset, skip) = match after {
            None => (None, 0),
            Some(Cursor {
                position,
                key: Some(key),
            }) if key.column == order_by.as_str()
                && key.descending == descending
                && tagged(&key.value).map(|(tag, _)| tag) == Some(tag_of(order_field.kind())) =>
            {
                let keyset = Keyset {
                    order_value: key.value,
                    id: Value::Uuid(Some(key.id)),
                };
                (Some((keyset, position + 1)), 0)
            }
            Some(cursor) => (None, cursor.position + 1),
        };
        // i32 offsets cannot overflow these sums; the position cap keeps them valid SQL.
        let start = skip + offset as u64;
        if start > MAX_OFFSET {
            return Err(bad(
                "offset",
                &format!(
                    "a page may skip at most {MAX_OFFSET} rows; continue from the `endCursor` of \
                     a page in the same order instead"
                ),
            ));
        }
        let first_position = keyset.as_ref().map_or(0, |(_, p)| *p) + start;
        Ok((
            ListRequest {
                filters,
                order_by,
                descending,
                tie_breaker: F::id_column(),
                after: keyset.map(|(k, _)| k),
                offset: start,
                limit: first as u64,
                with_total,
            },
            first_position,
        ))
    }
}

/// Runs a list query and shapes the page as a connection of `T`. The total is counted only
/// when the query asks for `pageInfo.totalRecords`.
pub async fn list<F, T>(
    ctx: &Context<'_>,
    args: ListArgs<F>,
) -> async_graphql::Result<Connection<T>>
where
    F: ListField,
    <F::Entity as EntityTrait>::Model: Sync,
    T: OutputType + From<<F::Entity as EntityTrait>::Model>,
    Edge<T>: OutputType,
{
    let with_total = ctx
        .look_ahead()
        .field("pageInfo")
        .field("totalRecords")
        .exists();
    let (request, first_position) = args.into_request(with_total).gql()?;
    let order_by = request.order_by;
    let descending = request.descending;
    let page = list::list::<F::Entity, _>(db(ctx)?, request).await.gql()?;
    let edges: Vec<Edge<T>> = page
        .items
        .into_iter()
        .enumerate()
        .map(|(i, model)| {
            let key = match model.get(F::id_column()) {
                Value::Uuid(Some(id)) => Some(CursorKey {
                    column: order_by.as_str().to_owned(),
                    descending,
                    id,
                    value: model.get(order_by),
                }),
                _ => None,
            };
            let cursor = Cursor {
                position: first_position + i as u64,
                key,
            };
            Edge {
                cursor: cursor.encode(),
                node: T::from(model),
            }
        })
        .collect();
    Ok(Connection {
        page_info: PageInfo {
            has_next_page: page.has_more,
            has_previous_page: first_position > 0,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
            total_records: page.total.unwrap_or_default(),
        },
        edges,
    })
}

macro_rules! list_fields {
    ($(#[$meta:meta])* $name:ident for $entity:path { $($variant:ident => $column:ident : $kind:expr),+ $(,)? } default $default:ident $direction:ident) => {
        $(#[$meta])*
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
        #[graphql(rename_items = "camelCase")]
        pub enum $name { $($variant),+ }

        impl ListField for $name {
            type Entity = $entity;
            fn column(self) -> <$entity as EntityTrait>::Column {
                match self { $(Self::$variant => <$entity as EntityTrait>::Column::$column),+ }
            }
            fn kind(self) -> ValueKind {
                match self { $(Self::$variant => $kind),+ }
            }
            fn id_column() -> <$entity as EntityTrait>::Column {
                <$entity as EntityTrait>::Column::Id
            }
            fn default_order() -> Self { Self::$default }
            fn default_descending() -> bool { stringify!($direction) == "desc" }
        }
    };
}

list_fields!(
    /// A field of a brand to filter or order by.
    BrandField for entity::brand::Entity {
        Id => Id: ValueKind::Id(NodeKind::Brand),
        Name => Name: ValueKind::Text,
        CreatedAt => CreatedAt: ValueKind::Timestamp,
        UpdatedAt => UpdatedAt: ValueKind::Timestamp,
    } default CreatedAt asc
);

list_fields!(
    /// A field of an identity provider to filter or order by.
    IdentityProviderField for entity::identity_provider::Entity {
        Id => Id: ValueKind::Id(NodeKind::IdentityProvider),
        Name => Name: ValueKind::Text,
        Protocol => Protocol: ValueKind::OneOf(&["oidc", "saml"]),
        Issuer => Issuer: ValueKind::Text,
        CreatedAt => CreatedAt: ValueKind::Timestamp,
    } default CreatedAt asc
);

list_fields!(
    /// A field of a company to filter or order by.
    CompanyField for entity::company::Entity {
        Id => Id: ValueKind::Id(NodeKind::Company),
        Name => Name: ValueKind::Text,
        CreatedAt => CreatedAt: ValueKind::Timestamp,
    } default CreatedAt asc
);

list_fields!(
    /// A field of an account to filter or order by.
    AccountField for entity::account::Entity {
        Id => Id: ValueKind::Id(NodeKind::Account),
        Name => Name: ValueKind::Text,
        IsIndividual => IsIndividual: ValueKind::Bool,
        CompanyId => CompanyId: ValueKind::Id(NodeKind::Company),
        CreatedAt => CreatedAt: ValueKind::Timestamp,
    } default CreatedAt asc
);

list_fields!(
    /// A field of a contact to filter or order by.
    ContactField for entity::contact::Entity {
        Id => Id: ValueKind::Id(NodeKind::Contact),
        FirstName => FirstName: ValueKind::Text,
        LastName => LastName: ValueKind::Text,
        Email => EmailFolded: ValueKind::FoldedText,
        Status => Status: ValueKind::OneOf(&["active", "inactive"]),
        AccountId => AccountId: ValueKind::Id(NodeKind::Account),
        CreatedAt => CreatedAt: ValueKind::Timestamp,
        UpdatedAt => UpdatedAt: ValueKind::Timestamp,
    } default CreatedAt asc
);

list_fields!(
    /// A field of an API token to filter or order by.
    ApiTokenField for entity::api_token::Entity {
        Id => Id: ValueKind::Id(NodeKind::ApiToken),
        Name => Name: ValueKind::Text,
        Role => Role: ValueKind::OneOf(&["owner", "support", "auditor", "portal"]),
        CreatedAt => CreatedAt: ValueKind::Timestamp,
    } default CreatedAt asc
);

list_fields!(
    /// A field of a provisioning event to filter or order by.
    ProvisioningEventField for entity::provisioning_event::Entity {
        Id => Id: ValueKind::Id(NodeKind::ProvisioningEvent),
        BrandId => BrandId: ValueKind::Id(NodeKind::Brand),
        IdentityProviderId => IdentityProviderId: ValueKind::Id(NodeKind::IdentityProvider),
        ContactId => ContactId: ValueKind::Id(NodeKind::Contact),
        AccountId => AccountId: ValueKind::Id(NodeKind::Account),
        Subject => Subject: ValueKind::Text,
        Outcome => Outcome: ValueKind::OneOf(&["created", "linked", "signedIn", "denied"]),
        AccountAssignment => AccountAssignment: ValueKind::OneOf(&["defaultAccount", "companyMatch", "individualAccount"]),
        OccurredAt => OccurredAt: ValueKind::Timestamp,
    } default OccurredAt desc
);

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
                    $crate::graphql::types::fetch::<$entity, _>(ctx, $kind, &id).await
                }
            )?

            $(#[doc = $doc])*
            #[graphql(
                guard = $guard,
                complexity = "crate::graphql::limits::list_complexity(__field, first, offset, child_complexity)"
            )]
            async fn $list(
                &self,
                ctx: &async_graphql::Context<'_>,
                first: Option<i32>,
                offset: Option<i32>,
                after: Option<String>,
                filters: Option<Vec<$crate::graphql::connection::Filter<$field>>>,
                order: Option<$crate::graphql::connection::Order<$field>>,
            ) -> async_graphql::Result<$crate::graphql::connection::Connection<$node>> {
                $crate::graphql::connection::list(
                    ctx,
                    $crate::graphql::connection::ListArgs {
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
    };
}
pub(super) use entity_queries;
