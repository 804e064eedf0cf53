//! Administrators (PRODUCT §7): the object type, its events, queries and the manual
//! mutations.
use super::types::Timestamp;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use entity::{
    admin_provisioning_rule, administrator, administrator_event, employee_sync, identity_provider,
};

use super::{
    Allow,
    admin_rule::AdminProvisioningRule,
    app,
    connection::{AdministratorField, entity_queries},
    employee_sync::EmployeeSync,
    identity_provider::IdentityProvider,
    limits::list_complexity,
    loaders::load_newest,
    mutation::entity_payload,
    principal,
    types::{self, row_object},
};
use crate::{
    domain::{
        access::Action,
        employees::{
            AdminOrigin as DomainOrigin, AdminRole as DomainRole, AdminStatus as DomainStatus,
            ChangeKind as DomainChangeKind,
        },
        id::NodeKind,
    },
    service::{self, administrators::AdministratorChanges},
};

/// What an administrator may do on the platform.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainRole", rename_items = "camelCase")]
pub enum AdminRole {
    /// Everything, including rules and other administrators.
    Owner,
    /// Day-to-day operations.
    Support,
    /// Read-only access.
    Auditor,
}
/// Whether an administrator may sign in.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainStatus", rename_items = "camelCase")]
pub enum AdministratorStatus {
    Active,
    /// Suspended: sign-ins are denied; a rule may reactivate a rule administrator.
    Inactive,
}
/// Who manages an administrator: a person (never touched by a sync) or the rules.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainOrigin", rename_items = "camelCase")]
pub enum AdministratorOrigin {
    Manual,
    Rule,
}
/// What a sync did to one administrator. One change may do several things; its kind is the
/// most significant: created, reactivated, deactivated, handed over, role changed, updated.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainChangeKind", rename_items = "camelCase")]
pub enum AdministratorChangeKind {
    Created,
    Reactivated,
    Deactivated,
    RoleChanged,
    /// Another rule took control (its role may differ too).
    HandedOver,
    /// Only the email or names followed the employee file.
    Updated,
}

row_object! {
    #[Object]
    /// A person who runs the platform, created by hand (`manual`) or by a rule from employee
    /// data (`rule`).
    Administrator(administrator::Model), id NodeKind::Administrator;
    columns {
        email: String,
        first_name: String,
        last_name: String,
        /// The `EmployeeId` of the employee a rule-provisioned administrator comes from.
        employee_id: Option<String>,
        created_at: Timestamp,
        updated_at: Timestamp,
    }
    stored {
        role: AdminRole = DomainRole,
        status: AdministratorStatus = DomainStatus,
        origin: AdministratorOrigin = DomainOrigin,
    }
    related {
        /// The rule controlling a rule-provisioned administrator; null for a manual one, and
        /// once that rule is deleted (until another rule takes over). Not for dashboard
        /// tokens, which read only the signed-in administrator's own fields.
        #[graphql(guard = "Allow(Action::Read)")]
        rule: AdminProvisioningRule = admin_provisioning_rule::Entity, rule_id,
        /// The identity provider of the administrator's first SSO sign-in, which later
        /// sign-ins must come through; null before the first. Not for dashboard tokens.
        #[graphql(guard = "Allow(Action::Read)")]
        sign_in_identity_provider: IdentityProvider = identity_provider::Entity, sign_in_identity_provider_id,
    }
    resolvers {
        /// The subject of the administrator's first SSO sign-in, which later sign-ins must
        /// assert; null before the first. Not for dashboard tokens.
        #[graphql(guard = "Allow(Action::Read)")]
        async fn sign_in_subject(&self) -> Option<String> {
            self.0.sign_in_subject.clone()
        }
        /// What happened to this administrator, newest first: each sync that changed them
        /// (with its rule) and each manual change. Not for dashboard tokens.
        #[graphql(
            guard = "Allow(Action::Read)",
            complexity = "list_complexity(__field, Some(first), None, child_complexity)"
        )]
        async fn events(
            &self,
            ctx: &Context<'_>,
            #[graphql(default = 25, validator(minimum = 0, maximum = 100))] first: i32,
        ) -> Result<Vec<AdministratorEvent>> {
            load_newest::<administrator_event::Entity, _>(ctx, self.0.id, first.max(0) as u64).await
        }
    }
}

row_object! {
    #[Object]
    /// One change of one administrator: who, which rule, old and new role and status, why.
    AdministratorEvent(administrator_event::Model), id NodeKind::AdministratorEvent;
    columns {
        /// The rule's name at the time (the rule may since be renamed or deleted).
        rule_name: Option<String>,
        reason: String,
        /// Who made a manual change, or sent the file, or changed the rule.
        actor: Option<String>,
        occurred_at: Timestamp,
    }
    stored {
        kind: AdministratorChangeKind = DomainChangeKind,
        new_role: AdminRole = DomainRole,
        new_status: AdministratorStatus = DomainStatus,
    }
    related {
        administrator: Administrator = administrator::Entity, administrator_id,
        /// The sync that made the change; null for a manual change.
        employee_sync: EmployeeSync = employee_sync::Entity, employee_sync_id,
        rule: AdminProvisioningRule = admin_provisioning_rule::Entity, rule_id,
    }
    resolvers {
        /// Null for a creation.
        async fn old_role(&self) -> Result<Option<AdminRole>> {
            types::stored_or_null::<DomainRole, _>(self.0.old_role.as_deref())
        }
        /// Null for a creation.
        async fn old_status(&self) -> Result<Option<AdministratorStatus>> {
            types::stored_or_null::<DomainStatus, _>(self.0.old_status.as_deref())
        }
    }
}

entity_queries!(
    AdministratorQuery, guard = "Allow(Action::Read)";
    one administrator: administrator::Entity, NodeKind::Administrator;
    /// Administrators, oldest first; filter on `origin` for those the rules provisioned.
    list administrators: AdministratorField => Administrator
);

#[derive(InputObject)]
pub struct CreateAdministratorInput {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: AdminRole,
}

#[derive(InputObject)]
pub struct UpdateAdministratorInput {
    pub administrator_id: ID,
    /// Refused (`managedByRule`) for a rule-provisioned administrator.
    pub role: Option<AdminRole>,
    /// Refused (`managedByRule`) for a rule-provisioned administrator. `inactive` revokes
    /// the administrator's sign-in tokens at once.
    pub status: Option<AdministratorStatus>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// `true` forgets the (IdP, subject) the administrator signs in with, so that the next
    /// SSO sign-in binds afresh (a move to another IdP), and revokes their tokens. Allowed for
    /// rule-provisioned administrators too.
    #[graphql(default)]
    pub reset_sign_in: bool,
}

entity_payload!(AdministratorPayload {
    administrator: Administrator
});

pub struct AdministratorMutations;

#[Object(serial)]
impl AdministratorMutations {
    /// Creates a manual administrator (active; no sync ever changes it).
    async fn create(
        &self,
        ctx: &Context<'_>,
        input: CreateAdministratorInput,
    ) -> Result<AdministratorPayload> {
        AdministratorPayload::from(
            service::administrators::create(
                app(ctx)?,
                principal(ctx)?,
                service::administrators::NewAdministrator {
                    email: &input.email,
                    first_name: &input.first_name,
                    last_name: &input.last_name,
                    role: input.role.into(),
                },
            )
            .await,
        )
    }

    /// Changes a manual administrator; a rule-provisioned one refuses (`managedByRule`).
    async fn update(
        &self,
        ctx: &Context<'_>,
        input: UpdateAdministratorInput,
    ) -> Result<AdministratorPayload> {
        AdministratorPayload::from(
            service::administrators::update(
                app(ctx)?,
                principal(ctx)?,
                &input.administrator_id,
                AdministratorChanges {
                    role: input.role.map(Into::into),
                    status: input.status.map(Into::into),
                    first_name: input.first_name.as_deref(),
                    last_name: input.last_name.as_deref(),
                    email: input.email.as_deref(),
                    reset_sign_in: input.reset_sign_in,
                },
            )
            .await,
        )
    }
}
