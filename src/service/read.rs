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

fn primary_key<E: EntityTrait>(model: &E::Model) -> Option<Uuid> {
    let column = E::PrimaryKey::iter().next()?.into_column();
    match model.get(column) {
        sea_orm::Value::Uuid(Some(id)) => Some(id),
        _ => None,
    }
}

/// The rows of `E` with these IDs, by ID.
pub async fn by_ids<E: Stored>(db: &Db, ids: &[Uuid]) -> AppResult<HashMap<Uuid, E::Model>> {
    Ok(queries::find_many::<E, _>(db, ids)
        .await?
        .into_iter()
        .filter_map(|m| primary_key::<E>(&m).map(|id| (id, m)))
        .collect())
}

/// Groups `rows` under the key each one names, keeping their order.
fn grouped<M>(rows: Vec<M>, key: impl Fn(&M) -> Uuid) -> HashMap<Uuid, Vec<M>> {
    let mut groups: HashMap<Uuid, Vec<M>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

/// An entity listed under a parent row (a brand's configurations, a contact's credentials):
/// the column naming the parent, and the order a parent's children are listed in.
pub trait Child: Stored {
    const PARENT: Self::Column;
    /// Ascending, most significant first; ends with a unique column so the order is stable.
    const ORDER: &'static [Self::Column];
    fn parent_of(model: &Self::Model) -> Uuid;
}

/// A brand's configurations, oldest first.
impl Child for configuration::Entity {
    const PARENT: configuration::Column = configuration::Column::BrandId;
    const ORDER: &'static [configuration::Column] =
        &[configuration::Column::CreatedAt, configuration::Column::Id];
    fn parent_of(model: &configuration::Model) -> Uuid {
        model.brand_id
    }
}

/// A configuration's role mappings, by provider role (unique within a configuration).
impl Child for role_mapping::Entity {
    const PARENT: role_mapping::Column = role_mapping::Column::ConfigurationId;
    const ORDER: &'static [role_mapping::Column] = &[role_mapping::Column::ProviderRole];
    fn parent_of(model: &role_mapping::Model) -> Uuid {
        model.configuration_id
    }
}

/// A contact's credentials, oldest first.
impl Child for credential::Entity {
    const PARENT: credential::Column = credential::Column::ContactId;
    const ORDER: &'static [credential::Column] =
        &[credential::Column::CreatedAt, credential::Column::Id];
    fn parent_of(model: &credential::Model) -> Uuid {
        model.contact_id
    }
}

/// A contact's SCIM identities (one per identity provider that pushed it), oldest first.
impl Child for scim_user::Entity {
    const PARENT: scim_user::Column = scim_user::Column::ContactId;
    const ORDER: &'static [scim_user::Column] =
        &[scim_user::Column::CreatedAt, scim_user::Column::Id];
    fn parent_of(model: &scim_user::Model) -> Uuid {
        model.contact_id
    }
}

/// The children of each of `parents`, in the child's order.
pub async fn children<E: Child>(
    db: &Db,
    parents: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<E::Model>>> {
    let rows = queries::children::<E, _>(db, E::PARENT, E::ORDER, parents).await?;
    Ok(grouped(rows, E::parent_of))
}

/// An entity kept as a log under a parent row (a contact's provisioning events, a brand's
/// audit events), read newest first.
pub trait Log: Stored {
    const PARENT: Self::Column;
    const TIME: Self::Column;
    fn parent_of(model: &Self::Model) -> Option<Uuid>;
}

impl Log for provisioning_event::Entity {
    const PARENT: provisioning_event::Column = provisioning_event::Column::ContactId;
    const TIME: provisioning_event::Column = provisioning_event::Column::OccurredAt;
    fn parent_of(model: &provisioning_event::Model) -> Option<Uuid> {
        model.contact_id
    }
}

impl Log for audit_event::Entity {
    const PARENT: audit_event::Column = audit_event::Column::BrandId;
    const TIME: audit_event::Column = audit_event::Column::OccurredAt;
    fn parent_of(model: &audit_event::Model) -> Option<Uuid> {
        model.brand_id
    }
}

/// An administrator's events.
impl Log for administrator_event::Entity {
    const PARENT: administrator_event::Column = administrator_event::Column::AdministratorId;
    const TIME: administrator_event::Column = administrator_event::Column::OccurredAt;
    fn parent_of(model: &administrator_event::Model) -> Option<Uuid> {
        Some(model.administrator_id)
    }
}

/// Each parent's newest `limit` entries, newest first.
pub async fn newest<E: Log>(
    db: &Db,
    parents: &[Uuid],
    limit: u64,
) -> AppResult<HashMap<Uuid, Vec<E::Model>>> {
    let rows = queries::newest_children::<E, _>(db, E::PARENT, E::TIME, parents, limit).await?;
    Ok(grouped(rows, |m| E::parent_of(m).unwrap_or_default()))
}
