//! Pure rules with no I/O: global IDs, input validation, access control, pacing.
pub mod access;
pub mod configuration;
pub mod decision;
pub mod id;
pub mod rate;
pub mod signin;
pub mod stored;
pub mod validate;
