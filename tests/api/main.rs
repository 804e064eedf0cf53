//! The one integration-test binary: every test starts the real server on port 0 against a
//! fresh SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set.
mod helpers;

mod administrators;
mod answers;
mod audit;
mod auth;
mod brands;
mod cli;
mod concurrency;
mod configurations;
mod confusable;
mod contacts;
mod control_characters;
mod deletes;
mod durability;
mod employee_files;
mod employee_hardening;
mod employee_two_readings;
mod hardening;
mod http_surface;
mod layers;
mod limits;
mod lists;
mod metrics;
mod operations;
mod overload;
pub mod performance;
mod proofs;
mod readme;
mod scim;
mod scim_cursor;
mod scim_groups;
mod scim_load;
mod scim_trust;
mod slow_clients;
pub mod sso;
mod tls;
