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

/// mimalloc rather than glibc's malloc: a request allocates and frees many small blocks on
/// tokio's worker threads, and glibc's malloc and free took about a fifth of the server's CPU
/// under SCIM load (README, *What keeps it fast → Allocator*).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in `mimalloc.h` (the crate exports no constant for it): how many
/// milliseconds freed memory stays committed before it goes back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the system at once (mimalloc 3's default waits a second): an
/// employee sync frees and allocates a batch at a time on several threads, and with the delay
/// its peak grew about twice as much (+54 MiB against +29 for 100,000 employees). SCIM
/// throughput moved within the run's noise, except a page of 100 users (656 req/s against 821).
fn configure_allocator() {
    // SAFETY: a plain setter of a global option; mimalloc's note that it is not thread-safe is
    // met because no other thread exists yet (the runtime is built after it).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

fn main() -> ExitCode {
    configure_allocator();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve_or_run())
}

async fn serve_or_run() -> ExitCode {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The option's number is mimalloc's, not the crate's: should a new mimalloc renumber its
    /// options, this fails rather than the server quietly setting another option.
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reads and a set of a global option; this test is the only code here that
        // touches mimalloc's options.
        let before = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        // mimalloc 3's default (src/options.c; the header still says 10), unless the
        // environment sets it.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(before, 1000, "mimalloc's default purge delay");
        }
        configure_allocator();
        let after = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(after, 0);
    }
}
