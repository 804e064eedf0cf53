//! autoprov: the identity-provisioning back end of a training platform.
//!
//! Layers, and the one rule between them: **dependencies point inwards**. `domain` (and the
//! core `error`) know no storage, transport or runtime crate; `service` and `db` know no
//! transport; every door lives under `transport` and calls services, never `db`.
//! `tests/api/layers.rs` fails when a file breaks the rule.
//!
//! ```text
//!   transport: http (graphql, scim, employee files), inbox, cli   (parse, call, map)
//!                     │
//!                     ▼
//!                  service ──► db ──► entity, migration   (policy; rows built and read)
//!                     │
//!                     ▼
//!                  domain, error                           (pure rules, no I/O)
//! ```
//!
//! Layout:
//! - [`config`]: command line and environment settings, in one struct.
//! - [`startup`]: [`startup::Application`] connects the database, runs migrations, binds its
//!   listener and starts the inbox and the HRIS schedule; the composition root, so it may wire
//!   every layer.
//! - [`transport`]: the doors. `http`: axum routes and bearer-token authentication, GraphQL
//!   over HTTP (`/graphql`, its media types and status codes), the playground, `/metrics`,
//!   `/healthz`, `/readyz`, `POST /employee-files`, SCIM v2 (`/scim/v2`: routes, SCIM tokens,
//!   `application/scim+json` messages, ETags), the accept loop (`server`) and HTTPS (`tls`,
//!   reloaded on SIGHUP). `graphql`: one module per entity (object type, queries, mutations),
//!   merged into the roots; `errors` maps core errors to GraphQL, `limits` prices operations,
//!   `observe` times them, `order` writes fields in query order. `inbox`: polls a directory
//!   and hands each finished `*.csv` to the employee import. `cli`: `employees import` and
//!   `token create`.
//! - [`service`]: one function per use case, owning its policy: open a transaction, load,
//!   call the domain, persist through `db` (and record admin changes in the audit log, in the
//!   same transaction); `placement` the account rules every door shares; `read` serves the
//!   object graph and `list` every list; `scim` the SCIM users and groups of a configuration;
//!   `employees` employee files, their syncs and the rules that provision administrators;
//!   `administrators` manual administrators and their SSO sign-in; `hris` the HRIS
//!   connections that pull employee reports into the same sync (`secrets` seals their
//!   credentials); `health` what `/readyz` reports; `recent` the settings hot doors read on
//!   every call, kept for a few seconds.
//! - [`db`]: all sea-orm access, and the only place a row is built: one write module per
//!   table (family), lookups, the sign-in statements, listings, SCIM filters as SQL, the
//!   employee snapshot and sync lock, the statement log and the SQLite write gate.
//! - [`domain`]: pure rules: global IDs, validation and folding, access control, stored enums,
//!   the sign-in decision (and the account rules SCIM shares), what an audit event records,
//!   pacing, the one format of instants (`time`), SCIM's resources, PATCH, filters and
//!   discovery documents, (`employees`) employee files (read into a compact table), rule
//!   conditions and the sync plan, and (`hris`) what an HRIS connection needs, its schedule,
//!   and an HRIS report as an employee file.
//! - [`error`]: the one core error type, with codes and field paths and no transport.
//! - [`metrics`]: the Prometheus registry, and [`telemetry`]: structured tracing (both
//!   cross-cutting).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod service;
pub mod startup;
pub mod telemetry;
pub mod transport;
