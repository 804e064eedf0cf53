//! Reads of the API's object graph, for transports: one entity by ID, many by IDs (batch
//! loaders), and the lists that hang off an entity. Transports name entities through
//! [`Stored`] and connections through [`Db`], never through the storage crate.
use std::collections::HashMap;

use entity::{
    administrator_event, audit_event, credential, identity_provider_configuration as configuration,
    provisioning_event, role_mapping, scim_user,
};
use sea_orm::{EntityTrait, Iterable, ModelTrait, PrimaryKeyToColumn, PrimaryKeyTrait};
use uuid::Uuid;

use crate::{db::queries, error::AppResult};

/// The database handle a transport passes to the services.
pub type Db = sea_orm::DatabaseConnection;

/// An entity that can be read by its UUID key.
pub trait Stored:
    EntityTrait<Model: Clone + Send + Sync, PrimaryKey: PrimaryKeyTrait<ValueType: From<Uuid>>>
{
}

impl<E> Stored for E where
    E: EntityTrait<Model: Clone + Send + Sync, PrimaryKey: PrimaryKeyTrait<ValueType: From<Uuid>>>
{
}

/// The row of `E` with this ID, if any.
pub async fn by_id<E: Stored>(db: &Db, id: Uuid) -> AppResult<Option<E::Model>> {
    Ok(queries::find::<E, _>(db, id).await?)
}

/// The UUID `model` holds in `column`, if any.
fn uuid_in<E: EntityTrait>(model: &E::Model, column: E::Column) -> Option<Uuid> {
    match model.get(column) {
        sea_orm::Value::Uuid(Some(id)) => Some(id),
        _ => None,
    }
}

fn primary_key<E: EntityTrait>(model: &E::Model) -> Option<Uuid> {
    uuid_in::<E>(model, E::PrimaryKey::iter().next()?.into_column())
}

/// The rows of `E` with these IDs, by ID.
pub async fn by_ids<E: Stored>(db: &Db, ids: &[Uuid]) -> AppResult<HashMap<Uuid, E::Model>> {
    Ok(queries::find_many::<E, _>(db, ids)
        .await?
        .into_iter()
        .filter_map(|m| primary_key::<E>(&m).map(|id| (id, m)))
        .collect())
}

/// Groups `rows` under the parent each one names in `parent`, keeping their order.
fn grouped<E: EntityTrait>(rows: Vec<E::Model>, parent: E::Column) -> HashMap<Uuid, Vec<E::Model>> {
    let mut groups: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
    for row in rows {
        let key = uuid_in::<E>(&row, parent).unwrap_or_default();
        groups.entry(key).or_default().push(row);
    }
    groups
}

/// An entity listed under a parent row (a brand's configurations, a contact's credentials):
/// the column naming the parent, and the order a parent's children are listed in.
pub trait Child: Stored {
    const PARENT: Self::Column;
    /// Ascending, most significant first; ends with a unique column so the order is stable.
    const ORDER: &'static [Self::Column];
}

/// A brand's configurations, oldest first.
impl Child for configuration::Entity {
    const PARENT: configuration::Column = configuration::Column::BrandId;
    const ORDER: &'static [configuration::Column] =
        &[configuration::Column::CreatedAt, configuration::Column::Id];
}

/// A configuration's role mappings, by provider role (unique within a configuration).
impl Child for role_mapping::Entity {
    const PARENT: role_mapping::Column = role_mapping::Column::ConfigurationId;
    const ORDER: &'static [role_mapping::Column] = &[role_mapping::Column::ProviderRole];
}

/// A contact's credentials, oldest first.
impl Child for credential::Entity {
    const PARENT: credential::Column = credential::Column::ContactId;
    const ORDER: &'static [credential::Column] =
        &[credential::Column::CreatedAt, credential::Column::Id];
}

/// A contact's SCIM identities (one per identity provider that pushed it), oldest first.
impl Child for scim_user::Entity {
    const PARENT: scim_user::Column = scim_user::Column::ContactId;
    const ORDER: &'static [scim_user::Column] =
        &[scim_user::Column::CreatedAt, scim_user::Column::Id];
}

/// The children of each of `parents`, in the child's order.
pub async fn children<E: Child>(
    db: &Db,
    parents: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<E::Model>>> {
    let rows = queries::children::<E, _>(db, E::PARENT, E::ORDER, parents).await?;
    Ok(grouped::<E>(rows, E::PARENT))
}

/// An entity kept as a log under a parent row (a contact's provisioning events, a brand's
/// audit events), read newest first.
pub trait Log: Stored {
    const PARENT: Self::Column;
    const TIME: Self::Column;
}

impl Log for provisioning_event::Entity {
    const PARENT: provisioning_event::Column = provisioning_event::Column::ContactId;
    const TIME: provisioning_event::Column = provisioning_event::Column::OccurredAt;
}

impl Log for audit_event::Entity {
    const PARENT: audit_event::Column = audit_event::Column::BrandId;
    const TIME: audit_event::Column = audit_event::Column::OccurredAt;
}

/// An administrator's events.
impl Log for administrator_event::Entity {
    const PARENT: administrator_event::Column = administrator_event::Column::AdministratorId;
    const TIME: administrator_event::Column = administrator_event::Column::OccurredAt;
}

/// Each parent's newest `limit` entries, newest first.
pub async fn newest<E: Log>(
    db: &Db,
    parents: &[Uuid],
    limit: u64,
) -> AppResult<HashMap<Uuid, Vec<E::Model>>> {
    let rows = queries::newest_children::<E, _>(db, E::PARENT, E::TIME, parents, limit).await?;
    Ok(grouped::<E>(rows, E::PARENT))
}
