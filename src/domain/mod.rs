//! Pure rules with no I/O: global IDs, input validation, access control.
pub mod access;
pub mod configuration;
pub mod id;
pub mod signin;
pub mod validate;
