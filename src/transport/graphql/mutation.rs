//! Mutations, namespaced by entity as in Administrate. Each takes one `input` and returns a
//! payload whose `errors` carry business refusals; the entity is null when there are errors.

use async_graphql::{Object, Result};

use super::{
    Allow,
    account::AccountMutations,
    admin_rule::AdminProvisioningRuleMutations,
    administrator::AdministratorMutations,
    api_token::ApiTokenMutations,
    brand::BrandMutations,
    company::CompanyMutations,
    contact::ContactMutations,
    employee_sync::EmployeeSyncMutations,
    errors::{ApiFieldError, ToGraphql, field_errors},
    hris::HrisConnectionMutations,
    identity_provider::IdentityProviderMutations,
    sso::SsoMutations,
};
use crate::{
    domain::access::Action,
    error::{AppError, AppResult},
};

/// Splits a use case's result into (entity, errors); unexpected errors go to the top level.
pub(super) fn payload<T>(result: AppResult<T>) -> Result<(Option<T>, Vec<ApiFieldError>)> {
    match result {
        Ok(v) => Ok((Some(v), Vec::new())),
        Err(AppError::Invalid(errors)) => Ok((None, field_errors(errors))),
        Err(other) => Err(other.to_graphql()),
    }
}

/// Declares `MutationRoot`: one namespace field per entity, each behind its guard. The use
/// cases authorise their caller themselves; the guard refuses earlier, at the namespace, so
/// that a refused mutation answers `data: null` (async-graphql does not propagate the null
/// of a failed non-null field to its parent: a refusal inside the namespace would answer
/// `data: {namespace: null}`).
macro_rules! namespaces {
    ($($(#[doc = $doc:literal])* $field:ident: $namespace:ident $(= $guard:literal)?),+ $(,)?) => {
        pub struct MutationRoot;

        #[Object]
        impl MutationRoot {
            $(
                $(#[doc = $doc])*
                $(#[graphql(guard = $guard)])?
                async fn $field(&self) -> $namespace {
                    $namespace
                }
            )+
        }
    };
}

namespaces! {
    brands: BrandMutations = "Allow(Action::Administer)",
    identity_providers: IdentityProviderMutations = "Allow(Action::Administer)",
    companies: CompanyMutations = "Allow(Action::Administer)",
    accounts: AccountMutations = "Allow(Action::Administer)",
    contacts: ContactMutations = "Allow(Action::Administer)",
    api_tokens: ApiTokenMutations = "Allow(Action::ManageTokens)",
    /// The sign-in hook; each field checks that the token may act for the input's brand.
    sso: SsoMutations,
    /// Administrators created by hand (owners only).
    administrators: AdministratorMutations = "Allow(Action::ManageAdministrators)",
    /// The rules that provision administrators from employee data (owners only).
    admin_provisioning_rules: AdminProvisioningRuleMutations = "Allow(Action::ManageAdministrators)",
    /// Employee files and held syncs (owners and support).
    employee_syncs: EmployeeSyncMutations = "Allow(Action::ImportEmployees)",
    /// Connections that pull employee data from an HRIS (owners only).
    hris_connections: HrisConnectionMutations = "Allow(Action::ManageAdministrators)",
}

/// Declares the payload of the mutations that return one entity: the entity (null when there
/// are errors) and `errors`. One definition for every such payload.
macro_rules! entity_payload {
    ($payload:ident { $field:ident: $ty:ident }) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $payload {
            pub $field: Option<$ty>,
            pub errors: Vec<$crate::transport::graphql::errors::ApiFieldError>,
        }

        impl $payload {
            fn from<M>(result: $crate::error::AppResult<M>) -> async_graphql::Result<Self>
            where
                $ty: From<M>,
            {
                let (entity, errors) = $crate::transport::graphql::mutation::payload(result)?;
                Ok(Self {
                    $field: entity.map(<$ty>::from),
                    errors,
                })
            }
        }
    };
}
pub(super) use entity_payload;
