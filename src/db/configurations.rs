//! A brand's identity-provider configurations and their role mappings: the one place their
//! rows are built.
use chrono::{DateTime, Utc};
use entity::{identity_provider_configuration as configuration, role_mapping};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::set_some;

use crate::domain::{
    configuration::{AttributeMap, CompanyMatch, MatchBy, ProofPolicy},
    stored::StoredEnum,
};

pub struct NewConfiguration {
    pub brand_id: Uuid,
    pub identity_provider_id: Uuid,
    pub auto_provision_learners: bool,
    pub default_account_id: Option<Uuid>,
    pub update_attributes_on_login: bool,
    /// `None`: follows `update_attributes_on_login`.
    pub update_roles_on_login: Option<bool>,
    pub link_existing_contacts: bool,
    pub company_match: CompanyMatch,
    pub match_by: MatchBy,
    pub attribute_map: AttributeMap,
    pub default_role: String,
    pub audience: Option<String>,
    pub recipient: Option<String>,
    pub proof_policy: ProofPolicy,
    pub at: DateTime<Utc>,
}

/// Writes a new configuration (its role mappings are [`replace_role_mappings`]).
pub async fn insert<Db: ConnectionTrait>(
    db: &Db,
    new: NewConfiguration,
) -> Result<configuration::Model, DbErr> {
    configuration::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(new.brand_id),
        identity_provider_id: Set(new.identity_provider_id),
        auto_provision_learners: Set(new.auto_provision_learners),
        default_account_id: Set(new.default_account_id),
        update_attributes_on_login: Set(new.update_attributes_on_login),
        update_roles_on_login: Set(new.update_roles_on_login),
        link_existing_contacts: Set(new.link_existing_contacts),
        company_match: Set(new.company_match.as_str().into()),
        match_by: Set(new.match_by.as_str().into()),
        email_claim: Set(new.attribute_map.email),
        first_name_claim: Set(new.attribute_map.first_name),
        last_name_claim: Set(new.attribute_map.last_name),
        company_name_claim: Set(new.attribute_map.company_name),
        roles_claim: Set(new.attribute_map.roles),
        username_claim: Set(new.attribute_map.username),
        org_defined_id_claim: Set(new.attribute_map.org_defined_id),
        default_role: Set(new.default_role),
        audience: Set(new.audience),
        recipient: Set(new.recipient),
        proof_policy: Set(new.proof_policy.as_str().into()),
        created_at: Set(new.at),
        updated_at: Set(new.at),
    }
    .insert(db)
    .await
}

/// The columns a configuration's change sets; `None` leaves a column as it is.
#[derive(Default)]
pub struct ConfigurationUpdate {
    pub auto_provision_learners: Option<bool>,
    pub default_account_id: Option<Option<Uuid>>,
    pub update_attributes_on_login: Option<bool>,
    /// `Some(None)`: follow `update_attributes_on_login` again.
    pub update_roles_on_login: Option<Option<bool>>,
    pub link_existing_contacts: Option<bool>,
    pub company_match: Option<CompanyMatch>,
    pub match_by: Option<MatchBy>,
    pub attribute_map: Option<AttributeMap>,
    pub default_role: Option<String>,
    pub audience: Option<Option<String>>,
    pub recipient: Option<Option<String>>,
    pub proof_policy: Option<ProofPolicy>,
}

/// Writes the columns `update` sets and `updated_at`; the row as it is now.
pub async fn update<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    update: ConfigurationUpdate,
    at: DateTime<Utc>,
) -> Result<configuration::Model, DbErr> {
    let mut model = configuration::ActiveModel {
        id: Unchanged(id),
        updated_at: Set(at),
        ..Default::default()
    };
    set_some(
        &mut model.auto_provision_learners,
        update.auto_provision_learners,
    );
    set_some(&mut model.default_account_id, update.default_account_id);
    set_some(
        &mut model.update_attributes_on_login,
        update.update_attributes_on_login,
    );
    set_some(
        &mut model.update_roles_on_login,
        update.update_roles_on_login,
    );
    set_some(
        &mut model.match_by,
        update.match_by.map(|v| v.as_str().into()),
    );
    set_some(
        &mut model.link_existing_contacts,
        update.link_existing_contacts,
    );
    set_some(
        &mut model.company_match,
        update.company_match.map(|v| v.as_str().into()),
    );
    if let Some(map) = update.attribute_map {
        model.email_claim = Set(map.email);
        model.first_name_claim = Set(map.first_name);
        model.last_name_claim = Set(map.last_name);
        model.company_name_claim = Set(map.company_name);
        model.roles_claim = Set(map.roles);
        model.username_claim = Set(map.username);
        model.org_defined_id_claim = Set(map.org_defined_id);
    }
    set_some(&mut model.default_role, update.default_role);
    set_some(&mut model.audience, update.audience);
    set_some(&mut model.recipient, update.recipient);
    set_some(
        &mut model.proof_policy,
        update.proof_policy.map(|v| v.as_str().into()),
    );
    model.update(db).await
}

/// Replaces a configuration's role mappings with `mappings` (provider role, role).
pub async fn replace_role_mappings<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    mappings: &[(String, String)],
) -> Result<(), DbErr> {
    role_mapping::Entity::delete_many()
        .filter(role_mapping::Column::ConfigurationId.eq(configuration_id))
        .exec(db)
        .await?;
    if mappings.is_empty() {
        return Ok(());
    }
    let rows = mappings
        .iter()
        .map(|(provider_role, role)| role_mapping::ActiveModel {
            id: Set(Uuid::now_v7()),
            configuration_id: Set(configuration_id),
            provider_role: Set(provider_role.clone()),
            role: Set(role.clone()),
        });
    role_mapping::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}
