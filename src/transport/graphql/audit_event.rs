//! The audit log of admin changes: the `AuditEvent` type and the `auditEvents` query (a
//! brand's own events are also `Brand.auditEvents`).
use super::types::Timestamp;
use async_graphql::{Context, Enum, ID, Json, Object, Result, SimpleObject};
use entity::{administrator, api_token, audit_event, brand, identity_provider};

use super::{
    Allow,
    administrator::Administrator,
    brand::Brand,
    connection::{AuditEventField, entity_queries},
    identity_provider::IdentityProvider,
    types::{gid, json, related, row_object, stored},
};
use crate::domain::{
    access::Action,
    audit::AuditEntity as CoreAuditEntity,
    id::{NodeKind, encode},
};

/// The kind of entity an admin change was made to.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "CoreAuditEntity", rename_items = "camelCase")]
pub enum AuditEntityType {
    Brand,
    IdentityProvider,
    IdentityProviderConfiguration,
    Company,
    Account,
    Contact,
    ApiToken,
    Administrator,
    AdminProvisioningRule,
    EmployeeSync,
    HrisConnection,
}

/// One changed field: its value before and after (null before a create, after a delete).
#[derive(SimpleObject)]
#[graphql(name = "AuditFieldChange")]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Json<serde_json::Value>>,
    pub after: Option<Json<serde_json::Value>>,
}

fn kind_of(entity: CoreAuditEntity) -> NodeKind {
    match entity {
        CoreAuditEntity::Brand => NodeKind::Brand,
        CoreAuditEntity::IdentityProvider => NodeKind::IdentityProvider,
        CoreAuditEntity::IdentityProviderConfiguration => NodeKind::IdentityProviderConfiguration,
        CoreAuditEntity::Company => NodeKind::Company,
        CoreAuditEntity::Account => NodeKind::Account,
        CoreAuditEntity::Contact => NodeKind::Contact,
        CoreAuditEntity::ApiToken => NodeKind::ApiToken,
        CoreAuditEntity::Administrator => NodeKind::Administrator,
        CoreAuditEntity::AdminProvisioningRule => NodeKind::AdminProvisioningRule,
        CoreAuditEntity::EmployeeSync => NodeKind::EmployeeSync,
        CoreAuditEntity::HrisConnection => NodeKind::HrisConnection,
    }
}

row_object! {
    #[Object]
    /// One admin change: who made it, through which mutation, to which entity, and the fields
    /// it changed. Written in the same transaction as the change; secrets are never recorded.
    AuditEvent(audit_event::Model), id NodeKind::AuditEvent;
    columns {
        occurred_at: Timestamp,
        /// The name of the API token that made the change, as it was then (or the service's
        /// own name for changes it made itself: the first start, the command line).
        actor_name: String,
        /// The mutation, e.g. `brands.updateIdentityProviderConfiguration`.
        operation: String,
    }
    stored { entity_type: AuditEntityType = CoreAuditEntity }
    related {
        /// The brand the entity belongs to; null once the brand is deleted.
        brand: Brand = brand::Entity, brand_id,
    }
    resolvers {
        /// The ID of the API token that made the change (null for the service itself).
        async fn actor_token_id(&self) -> Option<ID> {
            self.0.actor_token_id.map(|id| gid(NodeKind::ApiToken, id))
        }
        /// The administrator who made the change, when it was made with their SSO sign-in
        /// token (`sso.adminSignIn`) or a token created from that session; null for other API
        /// tokens and the service itself.
        async fn actor_administrator(&self, ctx: &Context<'_>) -> Result<Option<Administrator>> {
            let token = self.actor_token(ctx).await?;
            related::<administrator::Entity, Administrator>(
                ctx,
                token.and_then(|t| t.administrator_id),
            )
            .await
        }
        /// The identity provider that vouched for the administrator, when the change was made
        /// with their SSO sign-in token; null otherwise.
        async fn actor_identity_provider(&self, ctx: &Context<'_>) -> Result<Option<IdentityProvider>> {
            let token = self.actor_token(ctx).await?;
            related::<identity_provider::Entity, IdentityProvider>(
                ctx,
                token.and_then(|t| t.sign_in_identity_provider_id),
            )
            .await
        }
        /// The subject that identity provider asserted, when the change was made with an
        /// administrator's SSO sign-in token; null otherwise.
        async fn actor_subject(&self, ctx: &Context<'_>) -> Result<Option<String>> {
            Ok(self.actor_token(ctx).await?.and_then(|t| t.sign_in_subject))
        }
        /// The changed entity's global ID (it may no longer exist).
        async fn entity_id(&self) -> Result<ID> {
            let entity = stored::<CoreAuditEntity, CoreAuditEntity>(&self.0.entity_type)?;
            Ok(ID(encode(kind_of(entity), self.0.entity_id)))
        }
        /// The fields the change set, with their values before and after.
        async fn changes(&self) -> Result<Vec<FieldChange>> {
            let changes: serde_json::Map<String, serde_json::Value> =
                json("audit_event.changes", &self.0.changes)?;
            Ok(changes
                .into_iter()
                .map(|(field, change)| FieldChange {
                    field,
                    before: change.get("before").cloned().map(Json),
                    after: change.get("after").cloned().map(Json),
                })
                .collect())
        }
    }
}

impl AuditEvent {
    /// The API token that made the change, if it still exists.
    async fn actor_token(&self, ctx: &Context<'_>) -> Result<Option<api_token::Model>> {
        related::<api_token::Entity, _>(ctx, self.0.actor_token_id).await
    }
}

entity_queries!(
    AuditEventQuery, guard = "Allow(Action::Read)";
    /// The audit log of admin changes, newest first unless `order` says otherwise. Filter by
    /// `entityId` (any entity's ID), `entityType`, `brandId`, `actorTokenId`, `actorName`,
    /// `operation` or `occurredAt`.
    list audit_events: AuditEventField => AuditEvent
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stored::StoredEnum;

    #[test]
    fn every_audited_entity_has_the_global_id_type_of_its_name() {
        for entity in CoreAuditEntity::ALL {
            let type_name = kind_of(*entity).type_name();
            let spelled = entity.as_str();
            assert!(
                type_name.eq_ignore_ascii_case(spelled),
                "{type_name} / {spelled}"
            );
            assert_eq!(type_name[1..], spelled[1..]);
        }
    }
}
