//! autoprov: the identity-provisioning back end of a training platform.
//!
//! Layers, and the one rule between them: **dependencies point inwards**. `domain` (and the
//! core `error`) know no storage, transport or runtime crate; `service` knows no transport;
//! transports (`graphql`, `http`, `inbox`) call services, never `db`. `tests/api/layers.rs`
//! fails when a file breaks the rule.
//!
//! ```text
//!   http ── graphql ──┐            (transports: parse, authorise, map errors)
//!                     ▼
//!                  service ──► db ──► entity, migration   (load, call the domain, persist)
//!                     │
//!                     ▼
//!                  domain, error                           (pure rules, no I/O)
//! ```
//!
//! Layout:
//! - [`config`]: command line and environment settings, in one struct.
//! - [`startup`]: [`startup::Application`] connects the database, runs migrations and binds its
//!   listener; the composition root, so it may wire every layer.
//! - `http`: axum routes and bearer-token authentication: GraphQL over HTTP (`/graphql`, its
//!   media types and status codes), the self-contained playground and its assets, `/metrics`,
//!   `/healthz`, `/readyz`, `POST /employee-files` (an employee file as `text/csv`); SCIM v2
//!   (`/scim/v2`: routes, SCIM tokens, `application/scim+json` messages, ETags); `server`:
//!   the accept loop with its connection cap and header read timeout.
//! - [`employee_cli`]: `autoprov employees import`, the command-line transport of employee
//!   files: its summary and exit codes.
//! - [`inbox`]: the employee inbox (`--employee-inbox`), a transport like `http`: it polls a
//!   directory and hands each finished `*.csv` to the employee import service.
//! - [`graphql`]: one module per entity (object type, queries, mutations), merged into the
//!   roots; `errors` maps core errors to GraphQL; `limits` prices operations; `observe` times
//!   operations for the metrics; `order` writes response fields in query order; batch loaders.
//! - [`metrics`]: the Prometheus registry (a cross-cutting concern, like `telemetry`).
//! - [`service`]: one function per use case: open a transaction, load, call the domain,
//!   persist (and record admin changes in the audit log, in the same transaction); `read`
//!   serves transports the object graph and `list` every list (fields, filters, cursors,
//!   limits); `scim` the SCIM users and groups of a configuration; `employees` employee files,
//!   their syncs and the rules that provision administrators; `administrators` manual
//!   administrators and their SSO sign-in.
//! - [`db`]: all sea-orm access: connections, lookups, the sign-in statements, listings, SCIM
//!   filters as SQL, the employee snapshot and sync lock, the statement log and the SQLite
//!   write gate.
//! - [`domain`]: pure rules: global IDs, validation and folding, access control, stored enums,
//!   the sign-in decision (and the account rules SCIM shares), what an audit event records,
//!   pacing, the one format of instants (`time`), SCIM's resources, PATCH, filters and
//!   discovery documents, and (`employees`)
//!   employee files, rule conditions and the sync plan.
//! - [`error`]: the one core error type, with codes and field paths and no transport.
//! - [`telemetry`]: structured tracing.
//! - [`tls`]: HTTPS: loading the PEM certificate and key files and the certificate resolver
//!   that SIGHUP reloads.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod config;
pub mod db;
pub mod domain;
pub mod employee_cli;
pub mod error;
pub mod graphql;
mod http;
pub mod inbox;
pub mod metrics;
mod server;
pub mod service;
pub mod startup;
pub mod telemetry;
pub mod tls;
