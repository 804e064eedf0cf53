//! The `autoprov` binary: `serve` (the default), `migrate`, `token create`, `schema` and
//! `employees import`.
#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;

use autoprov::{
    config::{Cli, Command, EmployeesCommand, TokenCommand},
    startup::{self, Application, open_database},
    telemetry,
    transport::{self, cli},
};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.settings.log_format);
    match run(cli).await {
        Ok(code) => code,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command; `Err` is a failure (exit 1), `Ok` carries any other exit code.
async fn run(cli: Cli) -> Result<ExitCode, String> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(&settings)
                .await
                .map_err(|e| e.to_string())?;
            // Listen for SIGTERM before announcing the address: a supervisor may stop us at once.
            let stopped = startup::shutdown_signal();
            if let Some(secret) = app.bootstrap_secret() {
                println!(
                    "Created the first owner API token. It is shown only this once; keep it safe:\n\n    {secret}\n\nSend it as `Authorization: Bearer {secret}`."
                );
            }
            println!("GraphiQL: {}://{}/graphql", app.scheme(), app.local_addr());
            app.run_until(stopped).await.map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            open_database(&settings).await.map_err(|e| e.to_string())?;
            tracing::info!("migrations are up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    name,
                    role,
                    expires_in_days,
                },
        } => cli::create_token(&settings, &name, role, expires_in_days).await,
        Command::Schema => {
            print!("{}", transport::graphql::sdl());
            Ok(ExitCode::SUCCESS)
        }
        Command::Employees {
            command: EmployeesCommand::Import { file, dry_run },
        } => cli::import(&settings, &file, dry_run).await,
    }
}
