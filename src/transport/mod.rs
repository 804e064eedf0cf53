//! The doors: each one parses what arrives, calls the service that owns the use case, and maps
//! the answer (and the core error) to its own form. None of them touches the database.
//!
//! - [`http`]: the axum router (`/graphql` over HTTP, the playground, `/scim/v2`,
//!   `POST /employee-files`, `/metrics`, `/healthz`, `/readyz`), bearer-token authentication,
//!   the accept loop and HTTPS.
//! - [`graphql`]: the administration API's schema: one module per entity, merged into the roots.
//! - [`inbox`]: the employee inbox, a directory an SFTP server writes into.
//! - [`cli`]: the command line's `employees import` and `token create`.
pub mod cli;
pub mod graphql;
pub(crate) mod http;
pub mod inbox;
