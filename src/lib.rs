//! autoprov: the identity-provisioning back end of a training platform.
//!
//! Layout:
//! - [`config`]: command line and environment settings, in one struct.
//! - [`startup`]: [`startup::Application`] connects the database, runs migrations and binds its listener.
//! - [`http`]: axum routes (`/graphql`, `/healthz`, `/readyz`) and bearer-token authentication.
//! - [`server`]: the accept loop with its connection cap and header read timeout.
//! - [`graphql`]: thin resolvers and API types (never database models), with batch loaders
//!   for related objects.
//! - [`service`]: one function per use case: open a transaction, load, decide, persist.
//! - [`db`]: all sea-orm access: connections, lookups, listings, the statement log and the
//!   SQLite write gate.
//! - [`domain`]: pure rules with no I/O: global IDs, validation, access control.
//! - [`error`]: the one error type and its mapping to client-facing codes.
//! - [`telemetry`]: structured tracing.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod server;
pub mod service;
pub mod startup;
pub mod telemetry;
