//! Settings, from flags or environment variables, in one struct.
use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::domain::{access::Role, stored::StoredEnum};

#[derive(Parser, Debug)]
#[command(
    name = "autoprov",
    version,
    about = "Identity provisioning for a training platform"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run pending migrations and serve the API (the default).
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Manage admin API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Print the GraphQL schema (SDL), as committed in `schema.graphql`.
    Schema,
    /// Employee files (the HR snapshot that provisions administrators).
    Employees {
        #[command(subcommand)]
        command: EmployeesCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum EmployeesCommand {
    /// Import an employee file (CSV): runs migrations, syncs administrators and prints a
    /// summary. Exits 0 when applied (or a dry run), 3 when held, 2 when rejected, 1 on error.
    Import {
        /// The CSV file to read.
        file: std::path::PathBuf,
        /// Plan and record the sync without changing any administrator.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print its secret, alone, on stdout.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = CliRole::Owner)]
        role: CliRole,
        /// Days until the token expires; without it the token does not expire.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
}

#[derive(ValueEnum, Copy, Clone, Debug)]
pub enum CliRole {
    Owner,
    Support,
    Auditor,
}

#[derive(ValueEnum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable lines.
    Pretty,
}

/// Everything the service can be told. Each flag has an environment variable.
#[derive(Args, Debug, Clone)]
// Every setting may be given after a subcommand as well (`autoprov migrate --database-url …`).
#[command(mut_args(|arg| arg.global(true)))]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (the bound address is logged).
    #[arg(long, env = "AUTOPROV_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// sqlite://FILE?mode=rwc or postgres://user@host/db.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://autoprov.db?mode=rwc"
    )]
    pub database_url: String,
    /// Database connection pool size.
    #[arg(long, env = "AUTOPROV_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
    /// Seconds a request waits for a pooled database connection; past it the answer is 503
    /// with `Retry-After`.
    #[arg(
        long,
        env = "AUTOPROV_DB_ACQUIRE_TIMEOUT_SECONDS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub db_acquire_timeout_seconds: u64,
    /// Serve GraphQL introspection (the admin API has it on by default).
    #[arg(long, env = "AUTOPROV_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
    /// Maximum depth of a GraphQL query.
    #[arg(long, env = "AUTOPROV_MAX_DEPTH", default_value_t = 15)]
    pub max_depth: usize,
    /// Maximum complexity (roughly, fields resolved) of a GraphQL query.
    #[arg(long, env = "AUTOPROV_MAX_COMPLEXITY", default_value_t = 5000)]
    pub max_complexity: usize,
    /// Maximum number of fields (aliases included) written in one GraphQL document.
    #[arg(long, env = "AUTOPROV_MAX_FIELDS", default_value_t = 500)]
    pub max_fields: usize,
    /// Most connections served at once; more wait in the listen backlog until one closes.
    #[arg(
        long,
        env = "AUTOPROV_MAX_CONNECTIONS",
        default_value_t = 1024,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_connections: usize,
    /// Seconds a connection may take to send a request's headers (idle keep-alive
    /// connections too) before it is closed.
    #[arg(
        long,
        env = "AUTOPROV_HEADER_READ_TIMEOUT_SECONDS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub header_read_timeout_seconds: u64,
    /// Seconds a request may take from its headers to its response, body upload included;
    /// past it the answer is 408 while the body is still arriving, else 503 with `Retry-After`.
    #[arg(
        long,
        env = "AUTOPROV_REQUEST_TIMEOUT_SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub request_timeout_seconds: u64,
    /// `sso.signIn` calls a second that one API token may make, sustained (0: no limit).
    /// Each instance paces on its own.
    #[arg(
        long,
        env = "AUTOPROV_SIGN_IN_RATE",
        default_value_t = 100.0,
        value_parser = rate
    )]
    pub sign_in_rate: f64,
    /// `sso.signIn` calls one API token may make at once after a quiet spell.
    #[arg(long, env = "AUTOPROV_SIGN_IN_BURST", default_value_t = 200)]
    pub sign_in_burst: u32,
    /// Maximum request body size in bytes.
    #[arg(long, env = "AUTOPROV_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// How long (ms) an admin query waits to batch the related objects its list items ask
    /// for into one database query (DataLoader window).
    #[arg(long, env = "AUTOPROV_BATCH_WINDOW_MS", default_value_t = 2)]
    pub batch_window_ms: u64,
    /// Seconds a verified API token is trusted without looking it up again (0: every request).
    /// A token revoked through another instance keeps working on this one for at most this long.
    #[arg(long, env = "AUTOPROV_TOKEN_CACHE_SECONDS", default_value_t = 5)]
    pub token_cache_seconds: u64,
    /// Statements that take this many milliseconds or more are logged at `warn`.
    #[arg(long, env = "AUTOPROV_SLOW_STATEMENT_MS", default_value_t = 250)]
    pub slow_statement_ms: u64,
    /// Log format.
    #[arg(long, env = "AUTOPROV_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// Roles whose API tokens may read `GET /metrics` on the main address, comma-separated
    /// (owner, support, auditor, portal), or `none`.
    #[arg(
        long,
        env = "AUTOPROV_METRICS_ROLES",
        default_value = "owner,support,auditor",
        value_parser = metrics_roles
    )]
    pub metrics_roles: MetricsRoles,
    /// Also serve `GET /metrics`, without a token, on this address (for a Prometheus on the
    /// same host or network; keep it off the public interface).
    #[arg(long, env = "AUTOPROV_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// Directory watched for employee files (`*.csv`), e.g. where an SFTP server writes.
    /// Uploaders write under another name (`*.part`, `*.tmp`, a dot-file) and rename to
    /// `*.csv` when done. Imported files move to `DIR/processed/`, rejected ones to
    /// `DIR/failed/` with a `.reason.txt`. Unset: no inbox.
    #[arg(long, env = "AUTOPROV_EMPLOYEE_INBOX")]
    pub employee_inbox: Option<std::path::PathBuf>,
    /// Seconds between two looks at the employee inbox. A file is taken only once its size
    /// and modification time are unchanged since the previous look.
    #[arg(
        long,
        env = "AUTOPROV_EMPLOYEE_INBOX_POLL_SECONDS",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub employee_inbox_poll_seconds: u64,
    /// An employee sync that would deactivate more than this percentage (0 to 100) of the
    /// active rule-provisioned administrators is held until `employeeSyncs.apply`.
    #[arg(
        long,
        env = "AUTOPROV_MAX_DEACTIVATION_PERCENT",
        default_value_t = 20,
        value_parser = clap::value_parser!(u8).range(0..=100)
    )]
    pub max_deactivation_percent: u8,
    /// Largest employee file accepted, in bytes, by `POST /employee-files` (which has this
    /// limit instead of `--max-body-bytes`), the command line and the inbox.
    #[arg(
        long,
        env = "AUTOPROV_MAX_EMPLOYEE_FILE_BYTES",
        default_value_t = 64 * 1024 * 1024,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_employee_file_bytes: usize,
    /// File holding the key that seals HRIS connection secrets (API keys, passwords, client
    /// secrets) in the database: 32 random bytes as 64 hex characters (`openssl rand -hex
    /// 32`). Unset (and no `AUTOPROV_SECRET_KEY`): HRIS connections cannot be created.
    #[arg(long, env = "AUTOPROV_SECRET_KEY_FILE")]
    pub secret_key_file: Option<std::path::PathBuf>,
    /// The same key given directly (64 hex characters), for platforms that inject secrets as
    /// environment variables; environment only, so that it never shows in a process list.
    #[arg(skip = std::env::var("AUTOPROV_SECRET_KEY").ok())]
    pub secret_key: Option<String>,
    /// Seconds between two looks for HRIS connections whose scheduled sync is due.
    #[arg(
        long,
        env = "AUTOPROV_HRIS_POLL_SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub hris_poll_seconds: u64,
    /// Seconds one request to an HRIS (a report, an OAuth token) may take, connection
    /// included, before the run is rejected as unanswered.
    #[arg(
        long,
        env = "AUTOPROV_HRIS_TIMEOUT_SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub hris_timeout_seconds: u64,
    /// A JWKS URL is fetched again (on a token naming a key we do not hold) at most this often
    /// per identity provider, in seconds.
    #[arg(long, env = "AUTOPROV_JWKS_REFETCH_SECONDS", default_value_t = 60)]
    pub jwks_refetch_seconds: u64,
    /// Serve HTTPS with this certificate chain (PEM: the server's certificate first, then its
    /// intermediates); needs `--tls-key`. Both files are read again on SIGHUP.
    #[arg(long, env = "AUTOPROV_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The private key of `--tls-cert` (PEM: PKCS#8, PKCS#1 for RSA or SEC1 for EC); needs
    /// `--tls-cert`.
    #[arg(long, env = "AUTOPROV_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<std::path::PathBuf>,
}

/// The roles that may read `/metrics` on the main address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsRoles(pub Vec<Role>);

fn metrics_roles(raw: &str) -> Result<MetricsRoles, String> {
    if raw.trim().eq_ignore_ascii_case("none") {
        return Ok(MetricsRoles(Vec::new()));
    }
    raw.split(',')
        .map(|name| {
            Role::parse(name.trim()).ok_or_else(|| {
                format!(
                    "`{}` is not a role: give owner, support, auditor, portal or none",
                    name.trim()
                )
            })
        })
        .collect::<Result<_, _>>()
        .map(MetricsRoles)
}

/// A rate: a finite number of calls a second, zero or more.
fn rate(raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate >= 0.0 => Ok(rate),
        _ => Err(format!(
            "`{raw}` is not a rate: give calls a second, 0 or more (0: no limit)"
        )),
    }
}

impl Settings {
    /// The flags' own defaults (whatever the environment holds) on a free port, for
    /// `database_url`: as tests and embedders want them.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let command = Self::augment_args(clap::Command::new("autoprov"));
        let defaults = command
            .mut_args(|arg| arg.env(None))
            .try_get_matches_from(["autoprov"])
            .and_then(|matches| Self::from_arg_matches(&matches))
            // Every default is a constant of this file that its own parser accepts.
            .unwrap_or_else(|e| unreachable!("the flags' defaults: {e}"));
        Self {
            bind: "127.0.0.1:0".into(),
            database_url: database_url.into(),
            secret_key: None,
            ..defaults
        }
    }
}
