//! Command-line options, parsed by hand (no new dependencies for a bench).
use crate::db::Kind;

pub const USAGE: &str = "usage: cargo bench --bench load -- [--db sqlite|postgres|both] \
[--seconds N] [--big N] [--small N] [--concurrency 1,16,64] [--quick] [--employees N] \
[--only employees|scim|scim-pressure|proofs|groups|scale-out] [--hostile-lines N] \
[--hostile-bytes N] [--group-members N]
  --quick            = --seconds 1 --big 100000 (explicit flags still win)
  --employees N      people in the employee files of the employee-sync cells (default 100000)
  --only employees   run only the employee-sync cells
  --only scim        run only the noop floor and the SCIM user cells (filter, deep page,
                     create, PATCH `active`) of the small and big configurations
  --only scim-pressure  run only the SCIM pressure cells: first sign-ins alone, then beside
                     four clients sending oversize SCIM PATCHes
  --only proofs      run only the returning sign-ins of the \"individual\" identity provider:
                     bare (server and baseline), then signed beside bare (same server)
  --only scale-out   run only the scale-out cells (PostgreSQL): first sign-ins and SCIM
                     creates spread over 1, 2 and 4 server instances on one database
  --only groups      run only the SCIM group cells: one member added to and removed from a
                     group of --group-members members (server and baseline)
  --group-members N  members of the group of the SCIM group cells (default 100000)
  --hostile-lines N  bad lines of the first hostile-file cell (default 1000000, 2 MiB)
  --hostile-bytes N  size of the body-limit hostile-file cells (default 67108864, the default limit)
  BENCH_DATABASE_URL PostgreSQL admin URL (default postgres://postgres@127.0.0.1:5432/postgres)";

#[derive(Clone, Debug)]
pub struct Options {
    pub databases: Vec<Kind>,
    /// Measured time per cell; each cell also gets a warm-up of a tenth of it.
    pub seconds: f64,
    /// Size the "large" tables (companies, contacts) are grown to, and the SCIM users of the
    /// big SCIM configuration.
    pub big: u64,
    /// Companies seeded for the "small" company-match cell, and the SCIM users of the small
    /// SCIM configuration.
    pub small: u64,
    pub concurrency: Vec<usize>,
    /// People in the generated employee files of the employee-sync cells.
    pub employees: usize,
    /// `--only employees`: skip every other cell.
    pub only_employees: bool,
    /// The sizes of the hostile employee files.
    pub hostile: crate::hostile_files::Sizes,
    /// `--only scim`: only the noop floor and the SCIM user cells.
    pub only_scim: bool,
    /// `--only scim-pressure`: only the SCIM pressure cells.
    pub only_scim_pressure: bool,
    /// `--only proofs`: only the returning sign-in cells, bare and signed (issue 21).
    pub only_proofs: bool,
    /// `--only scale-out`: only the 1, 2 and 4 instance cells (issue 23).
    pub only_scale_out: bool,
    /// Members of the group whose member add and remove are measured (issue 23, item 5).
    pub group_members: u64,
    /// `--only groups`: only the SCIM group cells.
    pub only_groups: bool,
    pub pg_admin_url: String,
    /// Cargo passes `--bench` under `cargo bench` only; `cargo test --all-targets` runs bench
    /// targets too, without it, and must not start a load run.
    pub under_cargo_bench: bool,
}

impl Options {
    /// Parses `std::env::args`; panics with the usage on anything it does not understand.
    pub fn from_args() -> Self {
        Self::parse(std::env::args().skip(1))
    }

    fn parse(args: impl Iterator<Item = String>) -> Self {
        let mut databases = None;
        let mut seconds = None;
        let mut big = None;
        let mut small = None;
        let mut concurrency = None;
        let mut employees = None;
        let mut only_employees = false;
        let mut hostile_lines = None;
        let mut hostile_bytes = None;
        let mut only_scim = false;
        let mut only_scim_pressure = false;
        let mut only_proofs = false;
        let mut only_scale_out = false;
        let mut only_groups = false;
        let mut group_members = None;
        let mut quick = false;
        let mut under_cargo_bench = false;
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            // `--flag=value` and `--flag value` are both accepted.
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
                None => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .unwrap_or_else(|| fail(&format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "--db" => {
                    databases = Some(match value().as_str() {
                        "sqlite" => vec![Kind::Sqlite],
                        "postgres" | "pg" => vec![Kind::Postgres],
                        "both" => vec![Kind::Sqlite, Kind::Postgres],
                        other => fail(&format!("--db: unknown database {other:?}")),
                    })
                }
                "--seconds" => seconds = Some(number::<f64>("--seconds", &value())),
                "--big" => big = Some(number::<u64>("--big", &value())),
                "--small" => small = Some(number::<u64>("--small", &value())),
                "--concurrency" => {
                    concurrency = Some(
                        value()
                            .split(',')
                            .map(|c| number::<usize>("--concurrency", c.trim()))
                            .collect::<Vec<_>>(),
                    )
                }
                "--employees" => employees = Some(number::<usize>("--employees", &value())),
                "--group-members" => {
                    group_members = Some(number::<u64>("--group-members", &value()));
                }
                "--hostile-lines" => {
                    hostile_lines = Some(number::<usize>("--hostile-lines", &value()));
                }
                "--hostile-bytes" => {
                    hostile_bytes = Some(number::<usize>("--hostile-bytes", &value()));
                }
                "--only" => match value().as_str() {
                    "employees" => only_employees = true,
                    "scim" => only_scim = true,
                    "scim-pressure" => only_scim_pressure = true,
                    "proofs" => only_proofs = true,
                    "scale-out" => only_scale_out = true,
                    "groups" => only_groups = true,
                    other => fail(&format!(
                        "--only: unknown cells {other:?} (`employees`, `scim`, \
                         `scim-pressure`, `proofs`, `groups` or `scale-out`)"
                    )),
                },
                "--quick" => quick = true,
                // `cargo bench` passes `--bench` to harness-less benches.
                "--bench" => under_cargo_bench = true,
                "--help" | "-h" => {
                    eprintln!("{USAGE}");
                    std::process::exit(0);
                }
                other => fail(&format!("unknown option {other:?}")),
            }
        }
        let options = Options {
            // Instances share a database server only on PostgreSQL.
            databases: databases.unwrap_or_else(|| match only_scale_out {
                true => vec![Kind::Postgres],
                false => vec![Kind::Sqlite, Kind::Postgres],
            }),
            seconds: seconds.unwrap_or(if quick { 1.0 } else { 3.0 }),
            big: big.unwrap_or(if quick { 100_000 } else { 1_000_000 }),
            small: small.unwrap_or(1_000),
            concurrency: concurrency.unwrap_or_else(|| vec![1, 16, 64]),
            employees: employees.unwrap_or(100_000),
            only_employees,
            hostile: crate::hostile_files::Sizes {
                lines: hostile_lines.unwrap_or(1_000_000),
                bytes: hostile_bytes.unwrap_or(64 * 1024 * 1024),
            },
            only_scim_pressure,
            only_proofs,
            only_scale_out,
            group_members: group_members.unwrap_or(100_000),
            only_groups,
            only_scim,
            pg_admin_url: std::env::var("BENCH_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            under_cargo_bench,
        };
        if options.seconds <= 0.0
            || options.concurrency.contains(&0)
            || options.small == 0
            || options.employees == 0
            || options.group_members == 0
        {
            fail(
                "--seconds, --small, --employees, --group-members and every --concurrency level \
                 must be positive",
            );
        }
        if options.big < options.small {
            fail("--big must be at least --small");
        }
        options
    }
}

fn number<T: std::str::FromStr>(flag: &str, raw: &str) -> T {
    raw.parse()
        .unwrap_or_else(|_| fail(&format!("{flag}: not a number: {raw:?}")))
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}\n{USAGE}");
    std::process::exit(2)
}
