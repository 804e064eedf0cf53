//! Pure rules with no I/O: global IDs, input validation, access control, pacing, the one
//! format of instants.
pub mod access;
pub mod audit;
pub(crate) mod configuration;
pub mod employees;
pub(crate) mod hris;
pub(crate) mod id;
pub mod proof;
pub(crate) mod rate;
pub mod scim;
pub(crate) mod sign_in;
pub(crate) mod stored;
pub mod time;
pub(crate) mod validate;
