//! The root query, merged from each entity's queries.
use async_graphql::MergedObject;

use super::{
    account::AccountQuery, api_token::ApiTokenQuery, audit_event::AuditEventQuery,
    brand::BrandQuery, company::CompanyQuery, contact::ContactQuery,
    identity_provider::IdentityProviderQuery, provisioning_event::ProvisioningEventQuery,
    types::NodeQuery,
};
use super::{
    admin_rule::AdminProvisioningRuleQuery, administrator::AdministratorQuery,
    employee_sync::EmployeeSyncQuery, hris::HrisConnectionQuery,
};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    NodeQuery,
    BrandQuery,
    IdentityProviderQuery,
    CompanyQuery,
    AccountQuery,
    ContactQuery,
    ProvisioningEventQuery,
    ApiTokenQuery,
    AuditEventQuery,
    AdministratorQuery,
    AdminProvisioningRuleQuery,
    EmployeeSyncQuery,
    HrisConnectionQuery,
);
