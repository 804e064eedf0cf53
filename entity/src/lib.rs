//! sea-orm entities, one module a table, in the layout `sea-orm-cli generate entity` produces.
pub mod prelude;

pub mod account;
pub mod admin_provisioning_rule;
pub mod administrator;
pub mod administrator_event;
pub mod api_token;
pub mod audit_event;
pub mod brand;
pub mod company;
pub mod contact;
pub mod credential;
pub mod employee;
pub mod employee_sync;
pub mod hris_connection;
pub mod identity_provider;
pub mod identity_provider_configuration;
pub mod identity_provider_key_set;
pub mod proof_replay;
pub mod provisioning_event;
pub mod role_mapping;
pub mod scim_group;
pub mod scim_group_member;
pub mod scim_user;
