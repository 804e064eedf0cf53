//! Lists in Administrate's shape, for every transport: which fields of each entity filter and
//! order a list and how a filter value is read, `first`/`offset`/`after` with their limits,
//! cursors, and the page. A transport only maps its own argument types to [`ListArgs`].
mod cursor;

use sea_orm::{EntityTrait, IdenStatic, ModelTrait, Value};

use cursor::{Cursor, CursorKey, tag_of, tagged};

pub use crate::db::list::FilterOp;
use crate::{
    db::list::{self, Keyset, ListRequest},
    domain::{
        access::Role,
        audit::AuditEntity,
        employees::{AdminOrigin, AdminRole, AdminStatus, SyncSource, SyncStatus},
        id::{self, NodeKind},
        stored::{AccountAssignment, ContactStatus, Outcome, Protocol, Source, StoredEnum},
        time,
    },
    error::{AppError, AppResult},
    service::read::Db,
};

pub const DEFAULT_PAGE: i32 = 25;
pub const MAX_PAGE: i32 = 100;
/// The most rows a page may skip (`offset`, or a cursor read in another order): skipping is
/// a scan of the skipped rows. Deeper pages continue from a cursor in the same order.
pub const MAX_OFFSET: u64 = 10_000;

/// What kind of value a filterable field holds, and so how a filter value is read.
#[derive(Copy, Clone, Debug)]
pub enum ValueKind {
    Text,
    Id(NodeKind),
    /// A global ID of any entity type (the audit log's `entityId`).
    AnyId,
    /// Text compared case-insensitively (emails): the value is folded like the column.
    FoldedText,
    Bool,
    Timestamp,
    /// A stored enum: one of its spellings (`domain::stored`'s, so the list cannot drift).
    OneOf(fn() -> Vec<&'static str>),
}

/// The spellings of a stored enum, for [`ValueKind::OneOf`].
fn spellings<T: StoredEnum>() -> Vec<&'static str> {
    T::ALL.iter().map(|v| v.as_str()).collect()
}

/// A filterable, orderable field of one entity.
pub trait ListField: Copy + Send + Sync + 'static {
    type Entity: EntityTrait;
    fn column(self) -> <Self::Entity as EntityTrait>::Column;
    fn kind(self) -> ValueKind;
    fn id_column() -> <Self::Entity as EntityTrait>::Column;
    fn default_order() -> Self;
    /// Whether the default order runs newest first.
    fn default_descending() -> bool;
    /// Columns too large to read for every row of a page (the rejected rows and changes of an
    /// employee sync), each with the value it reads as when the caller does not want it.
    fn deferrable() -> Vec<(ColumnOf<Self>, Value)> {
        Vec::new()
    }
}

fn bad(label: &str, why: &str) -> AppError {
    AppError::BadRequest(format!("{label}: {why}"))
}

fn value(label: &str, kind: ValueKind, raw: &str) -> Result<Value, AppError> {
    match kind {
        ValueKind::Text => Ok(Value::String(Some(raw.to_owned()))),
        ValueKind::Id(k) => id::decode(k, label, raw)
            .map(|u| Value::Uuid(Some(u)))
            .map_err(|e| bad(label, &e.message)),
        ValueKind::AnyId => id::decode_any(raw)
            .map(|(_, u)| Value::Uuid(Some(u)))
            .ok_or_else(|| bad(label, "not a valid ID")),
        ValueKind::FoldedText => Ok(Value::String(Some(crate::domain::validate::fold(raw)))),
        ValueKind::Bool => match raw {
            "true" => Ok(Value::Bool(Some(true))),
            "false" => Ok(Value::Bool(Some(false))),
            _ => Err(bad(label, "must be `true` or `false`")),
        },
        ValueKind::Timestamp => time::parse(raw)
            .map(|t| Value::ChronoDateTimeUtc(Some(t)))
            .ok_or_else(|| {
                bad(
                    label,
                    "must be an RFC 3339 timestamp, e.g. 2026-01-31T09:00:00Z",
                )
            }),
        ValueKind::OneOf(spellings) => {
            let allowed = spellings();
            if allowed.contains(&raw) {
                Ok(Value::String(Some(raw.to_owned())))
            } else {
                Err(bad(
                    label,
                    &format!("must be one of {}", allowed.join(", ")),
                ))
            }
        }
    }
}

type ColumnOf<F> = <<F as ListField>::Entity as EntityTrait>::Column;

/// One filter as the caller sent it.
pub struct FilterArg<F> {
    pub field: F,
    pub op: FilterOp,
    /// The value for every operation but `in`.
    pub value: Option<String>,
    /// The values for `in`.
    pub values: Option<Vec<String>>,
}

/// The arguments every list takes, as the caller sent them.
pub struct ListArgs<F> {
    pub first: Option<i32>,
    pub offset: Option<i32>,
    pub after: Option<String>,
    pub filters: Vec<FilterArg<F>>,
    /// The order field, and whether it runs descending.
    pub order: Option<(F, bool)>,
    /// Count every matching row (a scan): only when the caller asks for the total.
    pub with_total: bool,
    /// Which of [`ListField::deferrable`]'s columns to read after all, by column name; the
    /// others read as their placeholders.
    pub wanted: Vec<&'static str>,
}

impl<F: ListField> ListArgs<F> {
    /// The query for these arguments, and the position of the page's first row.
    fn into_request(self) -> Result<(ListRequest<ColumnOf<F>>, u64), AppError> {
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
        for (i, f) in self.filters.into_iter().enumerate() {
            let kind = f.field.kind();
            let raw_values = match (f.op, f.value, f.values) {
                (FilterOp::In, _, Some(values)) => values,
                (FilterOp::In, Some(v), None) => vec![v],
                (_, Some(v), _) => vec![v],
                _ => return Err(bad(&format!("filters[{i}].value"), "a value is required")),
            };
            if f.op == FilterOp::Like && !matches!(kind, ValueKind::Text | ValueKind::FoldedText) {
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
                op: f.op,
                values,
            });
        }
        let (order_field, descending) = self
            .order
            .unwrap_or((F::default_order(), F::default_descending()));
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
                with_total: self.with_total,
                deferred: F::deferrable()
                    .into_iter()
                    .filter(|(column, _)| !self.wanted.contains(&column.as_str()))
                    .collect(),
            },
            first_position,
        ))
    }
}

/// One page of rows, each with its cursor.
pub struct Page<M> {
    pub rows: Vec<(String, M)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// Zero unless [`ListArgs::with_total`] asked for it.
    pub total_records: u64,
}

/// Reads one page of `F`'s entity.
pub async fn page<F>(db: &Db, args: ListArgs<F>) -> AppResult<Page<Model<F>>>
where
    F: ListField,
    Model<F>: Sync,
{
    let (request, first_position) = args.into_request()?;
    let order_by = request.order_by;
    let descending = request.descending;
    let page = list::list::<F::Entity, _>(db, request).await?;
    let rows = page
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
            (cursor.encode(), model)
        })
        .collect();
    Ok(Page {
        rows,
        has_next_page: page.has_more,
        has_previous_page: first_position > 0,
        total_records: page.total.unwrap_or_default(),
    })
}

/// The names of the columns an `F` list reads only when asked for ([`ListArgs::wanted`]).
pub fn deferrable_columns<F: ListField>() -> Vec<&'static str> {
    F::deferrable()
        .into_iter()
        .map(|(column, _)| column.as_str())
        .collect()
}

/// The rows an `F` list returns.
pub type Model<F> = <<F as ListField>::Entity as EntityTrait>::Model;

macro_rules! list_fields {
    ($(#[$meta:meta])* $name:ident for $entity:path { $($variant:ident => $column:ident : $kind:expr),+ $(,)? } default $default:ident $direction:ident $(deferred { $($deferred:ident => $placeholder:expr),+ $(,)? })?) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
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
            $(fn deferrable() -> Vec<(<$entity as EntityTrait>::Column, Value)> {
                vec![$((<$entity as EntityTrait>::Column::$deferred, $placeholder)),+]
            })?
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
        Protocol => Protocol: ValueKind::OneOf(spellings::<Protocol>),
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
        Status => Status: ValueKind::OneOf(spellings::<ContactStatus>),
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
        Role => Role: ValueKind::OneOf(spellings::<Role>),
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
        Outcome => Outcome: ValueKind::OneOf(spellings::<Outcome>),
        AccountAssignment => AccountAssignment: ValueKind::OneOf(spellings::<AccountAssignment>),
        Source => Source: ValueKind::OneOf(spellings::<Source>),
        OccurredAt => OccurredAt: ValueKind::Timestamp,
    } default OccurredAt desc
);

list_fields!(
    /// A field of an audit event to filter or order by.
    AuditEventField for entity::audit_event::Entity {
        Id => Id: ValueKind::Id(NodeKind::AuditEvent),
        EntityId => EntityId: ValueKind::AnyId,
        EntityType => EntityType: ValueKind::OneOf(spellings::<AuditEntity>),
        BrandId => BrandId: ValueKind::Id(NodeKind::Brand),
        ActorTokenId => ActorTokenId: ValueKind::Id(NodeKind::ApiToken),
        ActorName => ActorName: ValueKind::Text,
        Operation => Operation: ValueKind::Text,
        OccurredAt => OccurredAt: ValueKind::Timestamp,
    } default OccurredAt desc
);

list_fields!(
    /// A field of an administrator to filter or order by.
    AdministratorField for entity::administrator::Entity {
        Id => Id: ValueKind::Id(NodeKind::Administrator),
        Email => EmailFolded: ValueKind::FoldedText,
        FirstName => FirstName: ValueKind::Text,
        LastName => LastName: ValueKind::Text,
        Role => Role: ValueKind::OneOf(spellings::<AdminRole>),
        Status => Status: ValueKind::OneOf(spellings::<AdminStatus>),
        Origin => Origin: ValueKind::OneOf(spellings::<AdminOrigin>),
        RuleId => RuleId: ValueKind::Id(NodeKind::AdminProvisioningRule),
        EmployeeId => EmployeeId: ValueKind::Text,
        CreatedAt => CreatedAt: ValueKind::Timestamp,
        UpdatedAt => UpdatedAt: ValueKind::Timestamp,
    } default CreatedAt asc
);

list_fields!(
    /// A field of an administrator provisioning rule to filter or order by. The default
    /// order is precedence: first created first.
    AdminProvisioningRuleField for entity::admin_provisioning_rule::Entity {
        Id => Id: ValueKind::Id(NodeKind::AdminProvisioningRule),
        Name => Name: ValueKind::Text,
        Role => Role: ValueKind::OneOf(spellings::<AdminRole>),
        CreatedAt => CreatedAt: ValueKind::Timestamp,
        UpdatedAt => UpdatedAt: ValueKind::Timestamp,
    } default CreatedAt asc
);

list_fields!(
    /// A field of an employee sync to filter or order by.
    EmployeeSyncField for entity::employee_sync::Entity {
        Id => Id: ValueKind::Id(NodeKind::EmployeeSync),
        Status => Status: ValueKind::OneOf(spellings::<SyncStatus>),
        Source => Source: ValueKind::OneOf(spellings::<SyncSource>),
        FileName => FileName: ValueKind::Text,
        CreatedAt => CreatedAt: ValueKind::Timestamp,
    } default CreatedAt desc
    // A sync keeps up to 1,000 rejected rows, and a held one its whole file: a page of 25
    // reads them only when they are asked for.
    deferred {
        RejectedRows => Value::Json(Some(Box::new(serde_json::json!([])))),
        Notes => Value::Json(Some(Box::new(serde_json::json!([])))),
        Changes => Value::Json(Some(Box::new(serde_json::json!([])))),
        Body => Value::String(None),
    }
);
