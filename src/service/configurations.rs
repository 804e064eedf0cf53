//! A brand's configuration of one identity provider (`brands { *IdentityProviderConfiguration }`).
use entity::{
    account, brand, identity_provider, identity_provider_configuration as configuration,
    role_mapping,
};
use sea_orm::DatabaseTransaction;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{App, Problems, audit::Change, now, unless_taken};
use crate::{
    db,
    domain::{
        access::{Action, Principal},
        audit::{Actor, AuditEntity},
        configuration::{
            AttributeMap, AttributeMapPatch, CompanyMatch, DEFAULT_ROLE, MatchBy, ProofPolicy,
            match_claim_mapped, role_mappings, role_name,
        },
        id::NodeKind,
        proof::settings,
        stored::StoredEnum,
    },
    error::{AppError, AppResult, ErrorCode, FieldError},
};

/// The input of create and update alike; `None` means omitted.
#[derive(Default)]
pub struct ConfigurationInput<'a> {
    pub brand_id: &'a str,
    pub identity_provider_id: &'a str,
    pub auto_provision_learners: Option<bool>,
    /// `Some(None)`: an explicit null, which clears the default account.
    pub default_account_id: Option<Option<&'a str>>,
    pub update_attributes_on_login: Option<bool>,
    /// `Some(None)`: an explicit null, which makes it follow `update_attributes_on_login`.
    pub update_roles_on_login: Option<Option<bool>>,
    pub link_existing_contacts: Option<bool>,
    pub company_match: Option<CompanyMatch>,
    pub match_by: Option<MatchBy>,
    pub attribute_map: Option<AttributeMapPatch>,
    pub default_role: Option<&'a str>,
    pub role_mappings: Option<Vec<(String, String)>>,
    /// What a signed proof must name as its audience; `Some(None)` clears it.
    pub audience: Option<Option<&'a str>>,
    /// SAML: the assertion consumer URL a proof must be addressed to; `Some(None)` clears it.
    pub recipient: Option<Option<&'a str>>,
    pub proof_policy: Option<ProofPolicy>,
}

/// Everything the input names, loaded and validated.
struct Resolved {
    brand: brand::Model,
    identity_provider: identity_provider::Model,
    default_account_id: Option<Option<Uuid>>,
    default_role: Option<String>,
    role_mappings: Option<Vec<(String, String)>>,
    audience: Option<Option<String>>,
    recipient: Option<Option<String>>,
}

async fn resolve(
    txn: &DatabaseTransaction,
    input: &ConfigurationInput<'_>,
    problems: &mut Problems,
) -> AppResult<Option<Resolved>> {
    let brand = problems
        .load::<brand::Entity, _>(txn, NodeKind::Brand, "brandId", input.brand_id)
        .await?;
    let identity_provider = problems
        .load::<identity_provider::Entity, _>(
            txn,
            NodeKind::IdentityProvider,
            "identityProviderId",
            input.identity_provider_id,
        )
        .await?;
    let default_account_id = match input.default_account_id {
        Some(Some(raw)) => problems
            .load::<account::Entity, _>(txn, NodeKind::Account, "defaultAccountId", raw)
            .await?
            .map(|a| Some(a.id)),
        Some(None) => Some(None),
        None => None,
    };
    let default_role = input
        .default_role
        .and_then(|r| problems.check(role_name("defaultRole", r)));
    let role_mappings = input
        .role_mappings
        .as_ref()
        .and_then(|m| problems.check_all(role_mappings(m)));
    let mut text = |label: &str, value: Option<Option<&str>>| match value? {
        Some(raw) if !raw.trim().is_empty() => {
            problems.check(settings::audience(label, raw)).map(Some)
        }
        _ => Some(None),
    };
    let audience = text("audience", input.audience);
    let recipient = text("recipient", input.recipient);
    Ok(brand.zip(identity_provider).map(|(brand, idp)| Resolved {
        brand,
        identity_provider: idp,
        default_account_id,
        default_role,
        role_mappings,
        audience,
        recipient,
    }))
}

/// `required` is refused while no proof could pass: without an audience to check, or with an
/// identity provider that has no key to verify with.
fn proofs_possible(
    model: &configuration::Model,
    identity_provider: &identity_provider::Model,
) -> AppResult<()> {
    if model.proof_policy != ProofPolicy::Required.as_str() {
        return Ok(());
    }
    let missing = match (
        model.audience.is_some(),
        super::identity_providers::has_key_source(identity_provider),
    ) {
        (true, true) => return Ok(()),
        (false, _) => "an audience (set `audience`)",
        (true, false) => {
            "an identity provider with a key source (its jwks, jwksUrl or \
             signingCertificates)"
        }
    };
    Err(AppError::field(
        "proofPolicy",
        ErrorCode::Invalid,
        format!("`required` needs {missing}, or no proof could ever be verified"),
        Some(ProofPolicy::Required.as_str()),
    ))
}

/// Matching by the Username or the OrgDefinedId is refused while no claim carries it: every
/// sign-in without a credential would then be denied. Checked on the row as written, so that
/// unmapping the claim of a configuration that matches by it is refused too (the transaction
/// rolls back).
fn match_possible(model: &configuration::Model) -> AppResult<()> {
    let match_by: MatchBy = AppError::decode(&model.match_by)?;
    match_claim_mapped(match_by, &attribute_map(model)).map_err(|e| AppError::Invalid(vec![e]))
}

/// The attribute map a configuration applies.
pub fn attribute_map(model: &configuration::Model) -> AttributeMap {
    AttributeMap {
        email: model.email_claim.clone(),
        first_name: model.first_name_claim.clone(),
        last_name: model.last_name_claim.clone(),
        company_name: model.company_name_claim.clone(),
        roles: model.roles_claim.clone(),
        username: model.username_claim.clone(),
        org_defined_id: model.org_defined_id_claim.clone(),
    }
}

/// Whether sign-ins refresh roles: as set, or (never set) as they refresh attributes, which
/// refreshed roles too before the two were apart.
pub fn update_roles_on_login(model: &configuration::Model) -> bool {
    model
        .update_roles_on_login
        .unwrap_or(model.update_attributes_on_login)
}

pub async fn create(
    app: &App,
    principal: &Principal,
    input: ConfigurationInput<'_>,
) -> AppResult<(brand::Model, configuration::Model)> {
    let actor = app.authorize(principal, Action::Administer)?;
    let mut problems = Problems::default();
    let attribute_map = match &input.attribute_map {
        Some(patch) => problems.check_all(AttributeMap::default().patched(patch)),
        None => Some(AttributeMap::default()),
    };
    app.transaction(async |txn| {
        let resolved = resolve(txn, &input, &mut problems).await?;
        let (r, attribute_map) = problems.finish(resolved.zip(attribute_map))?;
        let already_exists = || {
            FieldError::new(
                "identityProviderId",
                ErrorCode::AlreadyExists,
                "this brand already has a configuration for this identity provider; \
                 use updateIdentityProviderConfiguration to change it",
                Some(input.identity_provider_id),
            )
        };
        let existing = db::queries::configuration(txn, r.brand.id, r.identity_provider.id).await?;
        let new = db::configurations::NewConfiguration {
            brand_id: r.brand.id,
            identity_provider_id: r.identity_provider.id,
            auto_provision_learners: input.auto_provision_learners.unwrap_or(false),
            default_account_id: r.default_account_id.flatten(),
            update_attributes_on_login: input.update_attributes_on_login.unwrap_or(false),
            update_roles_on_login: input.update_roles_on_login.flatten(),
            link_existing_contacts: input.link_existing_contacts.unwrap_or(true),
            company_match: input.company_match.unwrap_or(CompanyMatch::Exact),
            match_by: input.match_by.unwrap_or(MatchBy::Email),
            attribute_map,
            default_role: r.default_role.unwrap_or_else(|| DEFAULT_ROLE.into()),
            audience: r.audience.clone().flatten(),
            recipient: r.recipient.clone().flatten(),
            proof_policy: input.proof_policy.unwrap_or(ProofPolicy::Optional),
            at: now(),
        };
        let insert = db::configurations::insert(txn, new);
        let model = unless_taken(existing, already_exists, insert).await?;
        proofs_possible(&model, &r.identity_provider)?;
        match_possible(&model)?;
        if let Some(mappings) = &r.role_mappings {
            db::configurations::replace_role_mappings(txn, model.id, mappings).await?;
        }
        let operation = "brands.createIdentityProviderConfiguration";
        let after = audited(txn, &model).await?;
        record(txn, &actor, operation, &model, None, Some(after)).await?;
        Ok((r.brand, model))
    })
    .await
}

/// Records a configuration's change, its rows as [`audited`] reads them.
async fn record(
    txn: &DatabaseTransaction,
    actor: &Actor,
    operation: &str,
    model: &configuration::Model,
    before: Option<Map<String, Value>>,
    after: Option<Map<String, Value>>,
) -> AppResult<()> {
    let change = Change {
        entity: AuditEntity::IdentityProviderConfiguration,
        id: model.id,
        brand_id: Some(model.brand_id),
        before,
        after,
    };
    super::audit::record(txn, actor, operation, change).await
}

/// A configuration as the audit log records it: its row and its role mappings.
async fn audited(
    txn: &DatabaseTransaction,
    model: &configuration::Model,
) -> AppResult<Map<String, Value>> {
    let mut row = db::audit::row(model);
    let mappings = db::queries::children::<role_mapping::Entity, _>(
        txn,
        role_mapping::Column::ConfigurationId,
        &[role_mapping::Column::ProviderRole],
        &[model.id],
    )
    .await?;
    let mappings: Vec<Value> = mappings
        .into_iter()
        .map(|m| json!({"providerRole": m.provider_role, "role": m.role}))
        .collect();
    row.insert("roleMappings".into(), Value::Array(mappings));
    Ok(row)
}

/// The input's brand and identity provider, resolved, and their configuration, which must exist.
async fn existing(
    txn: &DatabaseTransaction,
    input: &ConfigurationInput<'_>,
) -> AppResult<(Resolved, configuration::Model)> {
    let mut problems = Problems::default();
    let resolved = resolve(txn, input, &mut problems).await?;
    let r = problems.finish(resolved)?;
    let current = db::queries::configuration(txn, r.brand.id, r.identity_provider.id)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "identityProviderId",
                ErrorCode::NotFound,
                "this brand has no configuration for this identity provider; \
                 use createIdentityProviderConfiguration first",
                Some(input.identity_provider_id),
            )
        })?;
    Ok((r, current))
}

pub async fn update(
    app: &App,
    principal: &Principal,
    input: ConfigurationInput<'_>,
) -> AppResult<(brand::Model, configuration::Model)> {
    let actor = app.authorize(principal, Action::Administer)?;
    let changed = app
        .transaction(async |txn| {
            let (r, current) = existing(txn, &input).await?;
            let attribute_map = match &input.attribute_map {
                Some(patch) => Some(
                    attribute_map(&current)
                        .patched(patch)
                        .map_err(AppError::Invalid)?,
                ),
                None => None,
            };
            let before = audited(txn, &current).await?;
            let update = db::configurations::ConfigurationUpdate {
                auto_provision_learners: input.auto_provision_learners,
                default_account_id: r.default_account_id,
                update_attributes_on_login: input.update_attributes_on_login,
                update_roles_on_login: input.update_roles_on_login,
                link_existing_contacts: input.link_existing_contacts,
                company_match: input.company_match,
                match_by: input.match_by,
                attribute_map,
                default_role: r.default_role.clone(),
                audience: r.audience.clone(),
                recipient: r.recipient.clone(),
                proof_policy: input.proof_policy,
            };
            let model = db::configurations::update(txn, current.id, update, now()).await?;
            proofs_possible(&model, &r.identity_provider)?;
            match_possible(&model)?;
            if let Some(mappings) = &r.role_mappings {
                let before = db::scim::role_mappings(txn, model.id).await?;
                db::configurations::replace_role_mappings(txn, model.id, mappings).await?;
                // What the old mappings granted through SCIM groups goes with them (PRODUCT §6).
                super::scim::groups::remap_group_roles(txn, &model, &before, mappings).await?;
            }
            let operation = "brands.updateIdentityProviderConfiguration";
            let after = audited(txn, &model).await?;
            record(txn, &actor, operation, &model, Some(before), Some(after)).await?;
            Ok((r.brand, model))
        })
        .await;
    if changed.is_ok() {
        app.settings_changed();
    }
    changed
}

pub async fn delete(
    app: &App,
    principal: &Principal,
    brand_id: &str,
    identity_provider_id: &str,
) -> AppResult<brand::Model> {
    let actor = app.authorize(principal, Action::Administer)?;
    let input = ConfigurationInput {
        brand_id,
        identity_provider_id,
        ..Default::default()
    };
    let changed = app
        .transaction(async |txn| {
            let (r, current) = existing(txn, &input).await?;
            let operation = "brands.deleteIdentityProviderConfiguration";
            let before = audited(txn, &current).await?;
            record(txn, &actor, operation, &current, Some(before), None).await?;
            // Its role mappings go with it: `ON DELETE CASCADE`.
            db::queries::delete::<configuration::Entity, _>(txn, current.id).await?;
            Ok(r.brand)
        })
        .await;
    if changed.is_ok() {
        app.settings_changed();
    }
    changed
}
