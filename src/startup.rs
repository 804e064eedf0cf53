//! Building and running the service: connect, migrate, bootstrap, bind, serve.
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::net::TcpListener;

use crate::{
    config::Settings,
    db::{self, StatementLog},
    domain::rate::Pace,
    error::AppError,
    metrics::Metrics,
    service::{
        self, App, api_tokens::TokenCache, app::Limits, rate_limit::SignInPacer, secrets::Sealer,
    },
    transport::{
        graphql,
        http::{
            self, AppState, Shared,
            server::{self, ConnectionLimits},
            tls::{Tls, TlsError, TlsFiles},
        },
        inbox::{self, Inbox},
    },
};

/// How long in-flight requests may run on after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(#[from] DbErr),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot create the first owner token: {0}")]
    Bootstrap(#[from] AppError),
    #[error("cannot open the employee inbox {dir}: {source}")]
    Inbox { dir: String, source: std::io::Error },
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    #[error(
        "--{given} (AUTOPROV_{given_env}) is set without --{missing} (AUTOPROV_{missing_env}): give both or neither"
    )]
    TlsHalfPair {
        given: &'static str,
        given_env: &'static str,
        missing: &'static str,
        missing_env: &'static str,
    },
    #[error("cannot listen for SIGHUP (which reloads the TLS certificate): {0}")]
    Hangup(std::io::Error),
    #[error("the secret key (--secret-key-file or AUTOPROV_SECRET_KEY): {0}")]
    SecretKey(String),
}

/// The key HRIS secrets are sealed with: `--secret-key-file`, else `AUTOPROV_SECRET_KEY`, else
/// none (HRIS connections then cannot be created, and say why).
pub fn sealer(settings: &Settings) -> Result<Option<Sealer>, StartupError> {
    let text = match (&settings.secret_key_file, &settings.secret_key) {
        (Some(path), _) => std::fs::read_to_string(path)
            .map_err(|e| StartupError::SecretKey(format!("cannot read {}: {e}", path.display())))?,
        (None, Some(key)) => key.clone(),
        (None, None) => return Ok(None),
    };
    Sealer::from_hex(&text)
        .map(Some)
        .map_err(StartupError::SecretKey)
}

/// HTTPS, when both files are given.
struct TlsSettings {
    tls: Tls,
    /// Installed at build: SIGHUP's default action would end the process.
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
}

/// The TLS pair of the settings: both files, or neither.
fn tls_files(settings: &Settings) -> Result<Option<TlsFiles>, StartupError> {
    match (&settings.tls_cert, &settings.tls_key) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(StartupError::TlsHalfPair {
            given: "tls-cert",
            given_env: "TLS_CERT",
            missing: "tls-key",
            missing_env: "TLS_KEY",
        }),
        (None, Some(_)) => Err(StartupError::TlsHalfPair {
            given: "tls-key",
            given_env: "TLS_KEY",
            missing: "tls-cert",
            missing_env: "TLS_CERT",
        }),
    }
}

/// The employee inbox, opened at build and watched once serving starts.
struct InboxSettings {
    inbox: Inbox,
    poll: Duration,
    app: App,
}

/// The application the use cases run on, over `db`, with the operator's settings: the token
/// cache, the sign-in pace, fresh metrics and the limits.
pub fn app(db: DatabaseConnection, settings: &Settings) -> App {
    App::new(
        db,
        TokenCache::new(Duration::from_secs(settings.token_cache_seconds)),
        SignInPacer::new(Pace {
            rate: settings.sign_in_rate,
            burst: f64::from(settings.sign_in_burst),
        }),
        Arc::new(Metrics::new()),
        Limits {
            max_deactivation_percent: settings.max_deactivation_percent,
            jwks_refetch: Duration::from_secs(settings.jwks_refetch_seconds),
            hris_timeout: Duration::from_secs(settings.hris_timeout_seconds),
        },
    )
}

/// Connects and runs pending migrations.
pub async fn open_database(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    open_observed_database(settings, &StatementLog::default()).await
}

async fn open_observed_database(
    settings: &Settings,
    statements: &StatementLog,
) -> Result<DatabaseConnection, DbErr> {
    let db = db::connect_with(
        &settings.database_url,
        settings.db_max_connections,
        std::time::Duration::from_secs(settings.db_acquire_timeout_seconds),
        statements,
    )
    .await?;
    db::migrate(&db).await?;
    Ok(db)
}

/// The `--metrics-bind` listener.
struct MetricsListener {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
}

async fn bind(addr: &str) -> Result<(TcpListener, SocketAddr), StartupError> {
    let error = |source| StartupError::Bind {
        addr: addr.to_owned(),
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(error)?;
    let local = listener.local_addr().map_err(error)?;
    Ok((listener, local))
}

pub struct Application {
    listener: TcpListener,
    metrics: Option<MetricsListener>,
    router: Router,
    limits: ConnectionLimits,
    local_addr: SocketAddr,
    bootstrap_secret: Option<String>,
    db: DatabaseConnection,
    statements: StatementLog,
    inbox: Option<InboxSettings>,
    tls: Option<TlsSettings>,
    app: App,
    /// Between two looks for due HRIS syncs.
    hris_poll: Duration,
}

impl Application {
    /// Opens the database, migrates it, creates the first owner token if there is no token at
    /// all, and binds the listener (port 0 picks a free port).
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        // Before the database: a bad pair is the quicker error to report.
        let tls = match tls_files(settings)? {
            Some(files) => Some(TlsSettings {
                tls: Tls::load(files).await?,
                #[cfg(unix)]
                hangup: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                    .map_err(StartupError::Hangup)?,
            }),
            None => None,
        };
        let statements = StatementLog::new(Duration::from_millis(settings.slow_statement_ms));
        let db = open_observed_database(settings, &statements).await?;
        let bootstrap_secret = service::api_tokens::bootstrap(&db).await?;
        let (listener, local_addr) = bind(&settings.bind).await?;
        let the_app = app(db.clone(), settings)
            .with_statements(statements.clone())
            .with_sealer(sealer(settings)?);
        let state = AppState::new(Shared {
            app: the_app.clone(),
            schema: graphql::schema(settings),
            batch_window: Duration::from_millis(settings.batch_window_ms),
            metrics_roles: settings.metrics_roles.0.clone(),
            max_employee_file_bytes: settings.max_employee_file_bytes,
        });
        // Opened here so that a directory that cannot be created stops the start.
        let inbox = match &settings.employee_inbox {
            Some(dir) => Some(InboxSettings {
                inbox: Inbox::open(dir, settings.max_employee_file_bytes)
                    .await
                    .map_err(|source| StartupError::Inbox {
                        dir: dir.display().to_string(),
                        source,
                    })?,
                poll: Duration::from_secs(settings.employee_inbox_poll_seconds),
                app: state.app.clone(),
            }),
            None => None,
        };
        let metrics_listener = match &settings.metrics_bind {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        Ok(Self {
            listener,
            metrics: metrics_listener.map(|(listener, addr)| MetricsListener {
                listener,
                addr,
                router: http::metrics::router(state.clone()),
            }),
            router: http::router(
                state,
                settings.max_body_bytes,
                Duration::from_secs(settings.request_timeout_seconds),
            ),
            limits: ConnectionLimits {
                max_connections: settings.max_connections,
                header_read_timeout: Duration::from_secs(settings.header_read_timeout_seconds),
            },
            local_addr,
            bootstrap_secret,
            db,
            statements,
            inbox,
            tls,
            app: the_app,
            hris_poll: Duration::from_secs(settings.hris_poll_seconds),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `https` when serving TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The address of the tokenless `/metrics` listener, when `--metrics-bind` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|m| m.addr)
    }

    /// The owner token created on an empty database, if this start created one.
    pub fn bootstrap_secret(&self) -> Option<&str> {
        self.bootstrap_secret.as_deref()
    }

    pub fn database(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Every statement the server runs is reported here.
    pub fn statements(&self) -> StatementLog {
        self.statements.clone()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(address = %self.local_addr, scheme = self.scheme(), "listening");
        // The metrics listener lives as long as the main one; it has no state to drain. It
        // stays plain HTTP: it is meant for a private address.
        let metrics = self.metrics.map(|m| {
            tracing::info!(address = %m.addr, "serving /metrics without a token");
            tokio::spawn(async move {
                if let Err(e) = axum::serve(m.listener, m.router).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            })
        });
        let inbox = self.inbox.map(|i| inbox::spawn(i.inbox, i.poll, i.app));
        let statistics = tokio::spawn(analyze_unseen_tables(self.app.clone()));
        let hris = tokio::spawn(run_due_hris_syncs(self.app.clone(), self.hris_poll));
        let pruner = tokio::spawn(forget_expired_proofs(self.app));
        let acceptor = self.tls.as_ref().map(|t| t.tls.acceptor());
        #[cfg(unix)]
        let reloader = self.tls.map(|t| t.tls.reload_on(t.hangup));
        let result = server::serve(
            self.listener,
            self.router,
            self.limits,
            acceptor,
            shutdown,
            DRAIN_TIMEOUT,
        )
        .await;
        if let Some(task) = metrics {
            task.abort();
        }
        pruner.abort();
        statistics.abort();
        hris.abort();
        #[cfg(unix)]
        if let Some(task) = reloader {
            task.abort();
        }
        // Before the database closes, so the file being imported is finished and filed.
        if let Some(inbox) = inbox {
            inbox.stop(DRAIN_TIMEOUT).await;
        }
        self.db.close().await.ok();
        result
    }
}

/// Every minute, forgets the signed proofs past their expiry (PRODUCT §4.1).
async fn forget_expired_proofs(app: App) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        match service::sign_in::proof::forget_expired(&app).await {
            Ok(0) => {}
            Ok(forgotten) => tracing::debug!(forgotten, "expired signed proofs forgotten"),
            Err(e) => tracing::warn!(error = %e, "expired signed proofs not forgotten"),
        }
    }
}

/// Every `poll`, runs the HRIS syncs that are due (each taken by a database lease, so that
/// instances sharing one database run it once).
async fn run_due_hris_syncs(app: App, poll: Duration) {
    loop {
        tokio::time::sleep(poll).await;
        match service::hris::run_due(&app, chrono::Utc::now()).await {
            Ok(ran) if ran.is_empty() => {}
            Ok(ran) => tracing::info!(connections = ran.len(), "scheduled HRIS syncs ran"),
            Err(e) => tracing::warn!(error = %e, "scheduled HRIS syncs not run"),
        }
    }
}

/// Every 15 seconds, analyzes the PostgreSQL tables that have grown without statistics (a
/// bulk import before autovacuum's first pass, or with autovacuum off), so that lookups keep
/// their indexes (see `db::statistics`).
async fn analyze_unseen_tables(app: App) {
    loop {
        tokio::time::sleep(Duration::from_secs(15)).await;
        match service::health::analyze_unseen_tables(&app).await {
            Ok(tables) if tables.is_empty() => {}
            Ok(tables) => tracing::info!(?tables, "tables analyzed: they had no statistics yet"),
            Err(e) => tracing::warn!(error = %e, "tables without statistics not analyzed"),
        }
    }
}

/// Completes at SIGINT or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled, so a signal that arrives before serving starts is not lost
/// (nor does it kill the process ungracefully).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for {name}");
                None
            }
        };
        (
            listen(SignalKind::interrupt(), "SIGINT"),
            listen(SignalKind::terminate(), "SIGTERM"),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (interrupt, terminate) = signals;
            tokio::select! {
                () = received(interrupt) => {},
                () = received(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down");
    }
}

#[cfg(unix)]
async fn received(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
