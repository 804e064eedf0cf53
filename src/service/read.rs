//! Reads of the API's object graph, for transports: one entity by ID, many by IDs (batch
//! loaders), and the lists that hang off an entity. Transports name entities through
//! [`Stored`] and connections through [`Db`], never through the storage crate.
use std::collections::HashMap;

use entity::{
    credential, identity_provider_configuration as configuration, provisioning_event, role_mapping,
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

/// Each brand's configurations, oldest first.
pub async fn configurations_of_brands(
    db: &Db,
    brands: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<configuration::Model>>> {
    let rows = queries::configurations_of_brands(db, brands).await?;
    Ok(grouped(rows, |c| c.brand_id))
}

/// Each configuration's role mappings, by provider role.
pub async fn role_mappings_of_configurations(
    db: &Db,
    configurations: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<role_mapping::Model>>> {
    let rows = queries::role_mappings_of_configurations(db, configurations).await?;
    Ok(grouped(rows, |m| m.configuration_id))
}

/// Each contact's credentials, oldest first.
pub async fn credentials_of_contacts(
    db: &Db,
    contacts: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<credential::Model>>> {
    let rows = queries::credentials_of_contacts(db, contacts).await?;
    Ok(grouped(rows, |c| c.contact_id))
}

/// Each contact's newest `limit` events, newest first.
pub async fn events_of_contacts(
    db: &Db,
    contacts: &[Uuid],
    limit: u64,
) -> AppResult<HashMap<Uuid, Vec<provisioning_event::Model>>> {
    let rows = queries::provisioning_events_of_contacts(db, contacts, limit).await?;
    Ok(grouped(rows, |e| e.contact_id.unwrap_or_default()))
}
