//! Building and running the service: connect, migrate, bootstrap, bind, serve.
use std::{future::Future, net::SocketAddr, time::Duration};

use axum::Router;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::net::TcpListener;

use crate::{
    config::Settings,
    db::{self, StatementLog},
    error::AppError,
    graphql,
    http::{self, AppState},
    service,
};

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
}

/// Connects and runs pending migrations.
pub async fn open_database(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    open_observed_database(settings, &StatementLog::default()).await
}

async fn open_observed_database(
    settings: &Settings,
    statements: &StatementLog,
) -> Result<DatabaseConnection, DbErr> {
    let db = db::connect(
        &settings.database_url,
        settings.db_max_connections,
        statements,
    )
    .await?;
    db::migrate(&db).await?;
    Ok(db)
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    local_addr: SocketAddr,
    bootstrap_secret: Option<String>,
    db: DatabaseConnection,
    statements: StatementLog,
}

impl Application {
    /// Opens the database, migrates it, creates the first owner token if there is no token at
    /// all, and binds the listener (port 0 picks a free port).
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let statements = StatementLog::default();
        let db = open_observed_database(settings, &statements).await?;
        let bootstrap_secret = service::api_tokens::bootstrap(&db).await?;
        let listener =
            TcpListener::bind(&settings.bind)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: settings.bind.clone(),
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.bind.clone(),
            source,
        })?;
        let state = AppState {
            db: db.clone(),
            schema: graphql::schema(settings),
            batch_window: Duration::from_millis(settings.batch_window_ms),
        };
        Ok(Self {
            listener,
            router: http::router(state, settings.max_body_bytes),
            local_addr,
            bootstrap_secret,
            db,
            statements,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
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
        tracing::info!(address = %self.local_addr, "listening");
        let result = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await;
        self.db.close().await.ok();
        result
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
