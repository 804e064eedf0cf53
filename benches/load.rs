//! Load benchmark of autoprov: the real server binary, driven over HTTP by concurrent
//! clients, next to a baseline that does the same database work directly with sqlx.
//!
//! `cargo bench --bench load -- [--db sqlite|postgres|both] [--seconds N] [--big N]
//! [--small N] [--concurrency 1,16,64] [--quick] [--employees N]
//! [--only employees|scim-pressure|proofs|scale-out]`
//!
//! Per database: migrate and create an owner token with the CLI, start `autoprov serve`, set up
//! a brand, three identity providers and a portal token through the API, seed companies and
//! contacts with sqlx, then measure each operation at each concurrency level (server, then
//! baseline). The returning learners of the "individual" identity provider also sign in with an
//! ID token it signed (issue 21), measured beside their bare sign-in through the same server
//! (alone, after their learners are made, with `--only proofs`). Last come the SCIM cells: two more identity providers with a configuration and a
//! SCIM token each, one seeded with `--small` SCIM users and one with `--big`, and a third
//! whose group of `--group-members` members gains and loses one member at a time (alone with
//! `--only groups`); then the employee-file syncs of `--employees` people (alone with `--only employees`). Progress goes
//! to stderr; the markdown report to stdout and `target/bench-load.md`.
//!
//! The modules live in `benches/load/` (a bench root file has no directory of its own).
#[path = "load/api.rs"]
mod api;
#[path = "load/baseline.rs"]
mod baseline;
#[path = "load/cpu.rs"]
mod cpu;
#[path = "load/db.rs"]
mod db;
#[path = "load/driver.rs"]
mod driver;
#[path = "load/employee_file.rs"]
mod employee_file;
#[path = "load/employees.rs"]
mod employees;
#[path = "load/hostile_files.rs"]
mod hostile_files;
#[path = "load/options.rs"]
mod options;
#[path = "load/proofs.rs"]
mod proofs;
#[path = "load/report.rs"]
mod report;
#[path = "load/scale_out.rs"]
mod scale_out;
#[path = "load/scenarios.rs"]
mod scenarios;
#[path = "load/scim.rs"]
mod scim;
#[path = "load/scim_baseline.rs"]
mod scim_baseline;
#[path = "load/scim_groups.rs"]
mod scim_groups;
#[path = "load/scim_pressure.rs"]
mod scim_pressure;
#[path = "load/seed.rs"]
mod seed;
#[path = "load/server.rs"]
mod server;

use std::sync::{Arc, Mutex};

use uuid::Uuid;

use db::{Kind, Target, with_pool};
use driver::{Op, Runner};
use options::Options;
use report::{DatabaseReport, ops};
use scenarios::{Client, Learners, Listing};

/// Learners created on the "update" identity provider before its returning cell, and on the
/// "individual" one before its returning cells with `--only proofs`.
const UPDATE_LEARNERS: u64 = 2000;

fn main() {
    let options = Options::from_args();
    if !options.under_cargo_bench {
        eprintln!("the load benchmark runs under `cargo bench --bench load` (or pass --bench)");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("cannot start the tokio runtime");
    let reports: Vec<DatabaseReport> = options
        .databases
        .iter()
        .map(|kind| runtime.block_on(bench_database(*kind, &options)))
        .collect();

    let mut markdown = String::from("# autoprov load benchmark\n\n");
    for report in &reports {
        markdown.push_str(&report.markdown(&options));
        markdown.push('\n');
    }
    markdown.push_str(&report::footer(&options));
    println!("{markdown}");
    let path = target_dir().join("bench-load.md");
    match std::fs::write(&path, &markdown) {
        Ok(()) => eprintln!("report written to {}", path.display()),
        Err(e) => eprintln!("cannot write {}: {e}", path.display()),
    }
    // A failed call is a finding, not noise: the run fails so that CI's smoke run notices.
    let failed: u64 = reports
        .iter()
        .flat_map(|r| &r.rows)
        .map(|row| {
            row.server.errors
                + row.server.warmup_errors
                + row.baseline.errors
                + row.baseline.warmup_errors
        })
        .sum();
    if failed > 0 {
        eprintln!("{failed} calls failed; see the errors above");
        std::process::exit(1);
    }
}

/// Cargo's target directory: benches run from `<target>/release/deps/`.
fn target_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return dir.into();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(std::path::Path::to_path_buf))
        .filter(|dir| dir.join("CACHEDIR.TAG").exists())
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/target").into())
}

fn taken(learners: &Learners) -> Vec<scenarios::Learner> {
    learners.lock().map(|l| l.clone()).unwrap_or_default()
}

fn learners() -> Learners {
    Arc::new(Mutex::new(Vec::new()))
}

/// The identity providers' raw keys, for the baseline.
struct IdpKeys {
    individual: Uuid,
    company: Uuid,
    update: Uuid,
}

async fn bench_database(kind: Kind, options: &Options) -> DatabaseReport {
    eprintln!("== {} ==", kind.name());
    // Anything else running on these few cores (a build, say) shows in the figures.
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let target = match kind {
        Kind::Sqlite => Target::sqlite(),
        Kind::Postgres => Target::postgres(&options.pg_admin_url).await,
    };

    // The server, as deployed: migrate, an owner token from the CLI, then serve.
    server::cli(&target.url, &["migrate"]);
    let owner = server::cli(
        &target.url,
        &["token", "create", "--name", "bench", "--role", "owner"],
    )
    .trim()
    .to_owned();
    let mut server = server::Server::start(&target.url);
    eprintln!("  server pid {} on {}", server.pid, server.addr);
    if options.only_employees {
        let pool = target.pool().await;
        let sync = employees::cells(
            &mut server,
            &pool,
            &owner,
            options.employees,
            options.hostile,
        )
        .await;
        let (peak_rss_mib, end_rss_mib) = server.memory_mib();
        drop(server);
        with_pool!(&pool, p => p.close().await);
        return DatabaseReport {
            kind,
            rows: Vec::new(),
            peak_rss_mib,
            end_rss_mib,
            seeding: Vec::new(),
            notes: vec![report::load_note(&load_before)],
            employees: Some(sync),
        };
    }

    // Brand, identity providers, configurations and the portal token, through the API.
    let api = api::Api::new(server.url());
    let prefix = format!("{:08x}", rand::random::<u32>());
    if options.only_scim_pressure {
        let cells = scim_pressure::cells(
            &server.url(),
            owner,
            &prefix,
            &options.concurrency,
            options.seconds,
        )
        .await;
        let (peak_rss_mib, end_rss_mib) = server.memory_mib();
        drop(server);
        let failed: u64 = cells.iter().map(scim_pressure::Cell::failed).sum();
        if failed > 0 {
            eprintln!("{failed} SCIM pressure calls failed; see the errors above");
            std::process::exit(1);
        }
        let mut notes = vec![
            format!(
                "SCIM pressure: first sign-ins on one brand, alone and beside {} SCIM clients of \
                 another brand sending PATCHes of {} phone numbers back to back",
                scim_pressure::PATCH_CLIENTS,
                scim_pressure::PHONE_NUMBERS
            ),
            String::new(),
            "| cell | c | req/s | p50 ms | p99 ms | errors | PATCH clients |".into(),
            "|---|---:|---:|---:|---:|---:|---|".into(),
        ];
        for cell in &cells {
            notes.extend(cell.markdown_rows());
        }
        notes.push(String::new());
        notes.push(report::load_note(&load_before));
        return DatabaseReport {
            kind,
            rows: Vec::new(),
            peak_rss_mib,
            end_rss_mib,
            seeding: Vec::new(),
            notes,
            employees: None,
        };
    }
    let setup = api::setup(&api, owner, &prefix).await;
    if options.only_scale_out {
        return scale_out_report(&target, server, &api, setup, &prefix, options).await;
    }
    let brand = api::uuid_of(&setup.brand);
    let idps = IdpKeys {
        individual: api::uuid_of(&setup.idp_individual),
        company: api::uuid_of(&setup.idp_company),
        update: api::uuid_of(&setup.idp_update),
    };

    // The small company table, checked through the API.
    let pool = target.pool().await;
    let mut seeder = seed::Seeder::new(pool.clone()).await;
    if !options.only_proofs {
        seeder.grow_companies(options.small).await;
        db::settle(&pool).await;
        seeder.verify_company(&api, &setup.owner).await;
    }

    let mut client = Client::new(api, setup, prefix.clone());
    let mut notes = Vec::new();
    if !client.choose_noop_token().await {
        notes.push(
            "the portal token was refused for `{ __typename }`; noop used the owner token".into(),
        );
    }
    let client = Arc::new(client);
    let baseline = baseline::Baseline::new(pool.clone(), brand, &prefix);
    let mut runner = Runner {
        kind,
        options,
        pool: &pool,
        server: &mut server,
        rows: Vec::new(),
    };

    if options.only_groups || options.only_scim {
        let addr = runner.server.addr.to_string();
        if options.only_groups {
            notes.extend(group_cells(&mut runner, &mut seeder, &client, &addr, &prefix).await);
        } else {
            runner
                .cells(ops::NOOP, &scenarios::noop(&client), &baseline.noop())
                .await;
            let scim = scim_user_cells(&mut runner, &mut seeder, &client, &addr, &prefix, brand);
            notes.extend(scim.await);
        }
        let rows = std::mem::take(&mut runner.rows);
        let (peak_rss_mib, end_rss_mib) = server.memory_mib();
        notes.push(report::load_note(&load_before));
        notes.extend(report::server_log_notes(&server, &rows));
        drop(server);
        with_pool!(&pool, p => p.close().await);
        let seeding = std::mem::take(&mut seeder.times);
        drop(target);
        return DatabaseReport {
            kind,
            rows,
            peak_rss_mib,
            end_rss_mib,
            seeding,
            notes,
            employees: None,
        };
    }

    let counted_before = client.api.sign_ins_counted(&client.setup.owner).await;
    if options.only_proofs {
        proof_cells(&mut runner, &client, &baseline, &idps).await;
    } else {
        sign_in_cells(&mut runner, &client, &baseline, &idps).await;
    }
    let counted_after = client.api.sign_ins_counted(&client.setup.owner).await;
    notes.push(report::sign_ins_counted_note(counted_before, counted_after));
    if options.only_proofs {
        let rows = std::mem::take(&mut runner.rows);
        let (peak_rss_mib, end_rss_mib) = server.memory_mib();
        notes.push(report::load_note(&load_before));
        notes.extend(report::server_log_notes(&server, &rows));
        drop(server);
        with_pool!(&pool, p => p.close().await);
        drop(target);
        return DatabaseReport {
            kind,
            rows,
            peak_rss_mib,
            end_rss_mib,
            seeding: Vec::new(),
            notes,
            employees: None,
        };
    }

    // The large company table.
    seeder.grow_companies(options.big).await;
    db::settle(&pool).await;
    runner
        .cells(
            ops::FIRST_COMPANY_BIG,
            &scenarios::first_company(&client, options.big),
            &baseline.first_company(idps.company, options.big),
        )
        .await;

    // The large contact table.
    seeder.grow_contacts(options.big).await;
    db::settle(&pool).await;
    seeder
        .verify_contact(&client.api, &client.setup.owner)
        .await;
    let total = seed::count(&pool, "contact").await;
    listing_cells(&mut runner, &client, &baseline, total).await;

    let addr = runner.server.addr.to_string();
    notes.extend(scim_user_cells(&mut runner, &mut seeder, &client, &addr, &prefix, brand).await);
    notes.extend(group_cells(&mut runner, &mut seeder, &client, &addr, &prefix).await);

    // Memory of the cells above, before the employee-sync cells reset the peak.
    let rows = std::mem::take(&mut runner.rows);
    let (peak_rss_mib, end_rss_mib) = server.memory_mib();
    let sync = employees::cells(
        &mut server,
        &pool,
        &client.setup.owner,
        options.employees,
        options.hostile,
    )
    .await;

    // Wrap up: the server, the pool, the database.
    notes.push(match kind {
        Kind::Sqlite => "after each bulk seeding: `PRAGMA wal_checkpoint(TRUNCATE)`".into(),
        Kind::Postgres => "after each bulk seeding: `VACUUM ANALYZE`".into(),
    });
    notes.push(report::load_note(&load_before));
    notes.push(format!(
        "tables at the end: {} contacts, {} companies, {} SCIM users",
        seed::count(&pool, "contact").await,
        seeder.companies,
        seed::count(&pool, "scim_user").await,
    ));
    notes.extend(report::server_log_notes(&server, &rows));
    drop(server);
    with_pool!(&pool, p => p.close().await);
    let seeding = std::mem::take(&mut seeder.times);
    drop(target);
    DatabaseReport {
        kind,
        rows,
        peak_rss_mib,
        end_rss_mib,
        seeding,
        notes,
        employees: Some(sync),
    }
}

/// `--only scale-out`: the 1, 2 and 4 instance cells, on PostgreSQL only (instances of one
/// SQLite file would share its one write lock, which the figure is not about).
async fn scale_out_report(
    target: &db::Target,
    server: server::Server,
    api: &api::Api,
    setup: api::Setup,
    prefix: &str,
    options: &Options,
) -> DatabaseReport {
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut notes = Vec::new();
    let kind = target.kind;
    if kind == Kind::Postgres {
        let pool = target.pool().await;
        let scim = api::scim_setup(api, &setup.owner, &setup.brand, prefix, "scale").await;
        let shared = scale_out::Shared {
            database_url: &target.url,
            setup: &setup,
            scim: &scim,
            prefix,
        };
        let cells = scale_out::cells(
            &pool,
            &server,
            &shared,
            &options.concurrency,
            options.seconds,
        )
        .await;
        with_pool!(&pool, p => p.close().await);
        let failed = scale_out::failed(&cells);
        if failed > 0 {
            eprintln!("{failed} scale-out calls failed; see the errors above");
            std::process::exit(1);
        }
        notes.extend(scale_out::markdown(&cells).lines().map(str::to_owned));
    } else {
        notes.push("scale-out: PostgreSQL only".into());
    }
    notes.push(String::new());
    notes.push(report::load_note(&load_before));
    let (peak_rss_mib, end_rss_mib) = server.memory_mib();
    DatabaseReport {
        kind,
        rows: Vec::new(),
        peak_rss_mib,
        end_rss_mib,
        seeding: Vec::new(),
        notes,
        employees: None,
    }
}

/// The floor, then the sign-in cells on the small company table. Each first-sign-in cell keeps
/// its learners for the returning cell that follows.
async fn sign_in_cells(
    runner: &mut Runner<'_>,
    client: &Arc<Client>,
    baseline: &Arc<baseline::Baseline>,
    idps: &IdpKeys,
) {
    let small = runner.options.small;
    runner
        .cells(ops::NOOP, &scenarios::noop(client), &baseline.noop())
        .await;

    // Each pair of learner lists: the server's, the baseline's.
    let individuals = (learners(), learners());
    runner
        .cells(
            ops::FIRST_INDIVIDUAL,
            &scenarios::first_individual(
                client,
                &client.setup.idp_individual,
                "ind",
                &individuals.0,
            ),
            &baseline.first_individual(idps.individual, "ind", &individuals.1),
        )
        .await;

    runner
        .cells(
            ops::FIRST_COMPANY_SMALL,
            &scenarios::first_company(client, small),
            &baseline.first_company(idps.company, small),
        )
        .await;

    returning_cells(runner, client, baseline, idps, &individuals).await;

    eprintln!("  preparing {UPDATE_LEARNERS} learners on the \"update\" identity provider");
    let updaters = (learners(), learners());
    driver::prepare(
        "server learners",
        &scenarios::first_individual(client, &client.setup.idp_update, "upd", &updaters.0),
        16,
        UPDATE_LEARNERS,
    )
    .await;
    driver::prepare(
        "baseline learners",
        &baseline.first_individual(idps.update, "upd", &updaters.1),
        16,
        UPDATE_LEARNERS,
    )
    .await;
    returning_cell(runner, client, baseline, idps, &updaters, true).await;
}

/// `--only proofs`: the learners of the "individual" identity provider are made unmeasured,
/// then its returning cells run as in the full benchmark.
async fn proof_cells(
    runner: &mut Runner<'_>,
    client: &Arc<Client>,
    baseline: &Arc<baseline::Baseline>,
    idps: &IdpKeys,
) {
    eprintln!("  preparing {UPDATE_LEARNERS} learners on the \"individual\" identity provider");
    let individuals = (learners(), learners());
    driver::prepare(
        "server learners",
        &scenarios::first_individual(client, &client.setup.idp_individual, "ind", &individuals.0),
        16,
        UPDATE_LEARNERS,
    )
    .await;
    driver::prepare(
        "baseline learners",
        &baseline.first_individual(idps.individual, "ind", &individuals.1),
        16,
        UPDATE_LEARNERS,
    )
    .await;
    returning_cells(runner, client, baseline, idps, &individuals).await;
}

/// The returning learners of the "individual" identity provider: bare (server, then the sqlx
/// baseline), then signed (issue 21) beside bare through the same server, so that the row's
/// ratio is signed ÷ bare. The identity provider gets its key and its configuration the
/// audience first, so that both cells sign in through the same settings.
async fn returning_cells(
    runner: &mut Runner<'_>,
    client: &Arc<Client>,
    baseline: &Arc<baseline::Baseline>,
    idps: &IdpKeys,
    individuals: &(Learners, Learners),
) {
    let key = Arc::new(proofs::IdpKey::generate());
    proofs::setup(&client.api, &client.setup, &key).await;
    returning_cell(runner, client, baseline, idps, individuals, false).await;

    let learners = taken(&individuals.0);
    let bare = scenarios::returning(
        client,
        &client.setup.idp_individual,
        learners.clone(),
        false,
    );
    // Enough tokens for every signed call at up to 4,000 a second, warm-ups included.
    let calls = runner.options.seconds * 1.1 * 4000.0 * runner.options.concurrency.len() as f64;
    let minted = Arc::new(proofs::Minted::new(client, &key, &learners, calls as usize));
    let signed = proofs::returning_signed(client, &key, learners, minted);
    runner.cells(ops::RETURNING_SIGNED, &signed, &bare).await;
    for row in runner
        .rows
        .iter()
        .filter(|r| r.operation == ops::RETURNING_SIGNED)
    {
        eprintln!(
            "  [{}] signed ÷ bare returning sign-in at c={}: {:.2}× req/s (goal ≥ 0.8×)",
            runner.kind.name(),
            row.concurrency,
            row.server.throughput() / row.baseline.throughput()
        );
    }
}

/// The returning cell for a pair of learner lists (the server's, the baseline's): without
/// `update_names` the learners of the "individual" identity provider sign in again unchanged,
/// with it those of the "update" identity provider sign in with new names.
async fn returning_cell(
    runner: &mut Runner<'_>,
    client: &Arc<Client>,
    baseline: &Arc<baseline::Baseline>,
    idps: &IdpKeys,
    (server_learners, baseline_learners): &(Learners, Learners),
    update_names: bool,
) {
    let (op, server_idp, baseline_idp) = if update_names {
        (ops::RETURNING_UPDATE, &client.setup.idp_update, idps.update)
    } else {
        (
            ops::RETURNING,
            &client.setup.idp_individual,
            idps.individual,
        )
    };
    let server = scenarios::returning(client, server_idp, taken(server_learners), update_names);
    let base = baseline.returning(baseline_idp, taken(baseline_learners), update_names);
    runner.cells(op, &server, &base).await;
}

/// SCIM: the small configuration's users and cells, then the big one's; the notes give the
/// statements per call of each operation.
async fn scim_user_cells(
    runner: &mut Runner<'_>,
    seeder: &mut seed::Seeder,
    client: &Client,
    addr: &str,
    prefix: &str,
    brand: Uuid,
) -> Vec<String> {
    let options = runner.options;
    let mut notes = Vec::new();
    for (tag, size, names) in [
        (
            "small",
            options.small,
            [
                ops::SCIM_FILTER_SMALL,
                ops::SCIM_PAGE_SMALL,
                ops::SCIM_CREATE_SMALL,
                ops::SCIM_PATCH_SMALL,
            ],
        ),
        (
            "big",
            options.big,
            [
                ops::SCIM_FILTER_BIG,
                ops::SCIM_PAGE_BIG,
                ops::SCIM_CREATE_BIG,
                ops::SCIM_PATCH_BIG,
            ],
        ),
    ] {
        let setup = api::scim_setup(
            &client.api,
            &client.setup.owner,
            &client.setup.brand,
            prefix,
            tag,
        )
        .await;
        let scim = scim::Scim::new(addr, tag, prefix, setup);
        let counted = scim_cells(runner, seeder, scim, brand, size, names, client);
        notes.extend(counted.await);
    }
    notes
}

/// Seeds `size` SCIM users into `scim`'s configuration, reads the first back through
/// `/scim/v2`, then measures the `userName eq` filter, the last page of 100, the create (in
/// that order, so that the reads see exactly `size` users) and the PATCH of `active`.
async fn scim_cells(
    runner: &mut Runner<'_>,
    seeder: &mut seed::Seeder,
    mut scim: scim::Scim,
    brand: Uuid,
    size: u64,
    [filter, page, create, patch]: [&'static str; 4],
    client: &Client,
) -> Vec<String> {
    let target = seed::ScimTarget {
        tag: scim.tag,
        prefix: &scim.prefix,
        configuration_id: scim.setup.configuration_id,
        identity_provider_id: scim.setup.idp_id,
    };
    let first = seeder.grow_scim_users(&target, 0, size).await;
    db::settle(runner.pool).await;
    scim.seeded = size;
    if let Some(first) = &first {
        scim.verify(first).await;
    }
    let scim = Arc::new(scim);
    let baseline = scim_baseline::ScimBaseline::new(
        runner.pool.clone(),
        brand,
        scim.setup.idp_id,
        &scim.prefix,
        scim.tag,
        size,
    );
    let total = baseline.users().await;
    assert_eq!(
        total, size,
        "the SCIM configuration's users before its cells"
    );
    // The users the PATCH cells change, the server's and the baseline's apart.
    let toggled = baseline.user_ids(PATCHED_USERS).await;
    let ops = [
        (filter, scim::filter(&scim), baseline.filter()),
        (
            page,
            scim::deep_page(&scim, total),
            baseline.deep_page(total),
        ),
        (create, scim::create(&scim), baseline.create()),
        (
            patch,
            scim::patch_active(&scim, &scim::Toggles::new(&toggled, 0)),
            baseline.patch_active(&scim::Toggles::new(&toggled, 1)),
        ),
    ];
    let mut notes = Vec::new();
    for (name, server, base) in &ops {
        runner.cells(name, server, base).await;
        // Right after its cells, while the reads still see the users they expect.
        let per_call = statements_per_call(client, server).await;
        eprintln!(
            "  [{}] {name}: {per_call:.1} statements per call",
            runner.kind.name()
        );
        notes.push(format!(
            "{name}: {per_call:.1} statements per call (server)"
        ));
    }
    notes
}

/// Users the PATCH `active` cells change, half by the server and half by the baseline; a
/// cell of more calls changes them again (deactivated, then reactivated).
const PATCHED_USERS: u64 = 2000;
/// Issue 23, item 5: a configuration of its own with twice `--group-members` SCIM users, the
/// first half seeded as one group's members; the group read back through `/scim/v2`; then
/// one member added, and one removed, per call (server, then baseline: see
/// `scim_groups`), each after its statements per call.
async fn group_cells(
    runner: &mut Runner<'_>,
    seeder: &mut seed::Seeder,
    client: &Client,
    addr: &str,
    prefix: &str,
) -> Vec<String> {
    let size = runner.options.group_members;
    let tag = "groups";
    let setup = api::scim_setup(
        &client.api,
        &client.setup.owner,
        &client.setup.brand,
        prefix,
        tag,
    )
    .await;
    let target = seed::ScimTarget {
        tag,
        prefix,
        configuration_id: setup.configuration_id,
        identity_provider_id: setup.idp_id,
    };
    seeder.grow_scim_users(&target, 0, 2 * size).await;
    let mut users = seeder.scim_user_ids(setup.configuration_id).await;
    assert_eq!(users.len() as u64, 2 * size, "the group cells' SCIM users");
    let outsiders = users.split_off(size as usize);
    let configuration_id = setup.configuration_id;
    let id = seeder
        .seed_group(configuration_id, scim_groups::DISPLAY_NAME, &users)
        .await;
    db::settle(runner.pool).await;
    let group = Arc::new(scim_groups::Group {
        id,
        configuration_id,
        members: users,
        outsiders,
    });
    let scim = Arc::new(scim::Scim::new(addr, tag, prefix, setup));
    scim_groups::verify(&scim, &group).await;
    let baseline = scim_groups::Baseline::new(runner.pool.clone(), &group);
    assert_eq!(baseline.members().await, size, "the seeded group's members");
    let mut notes = Vec::new();
    for (name, server, base) in [
        (
            ops::GROUP_MEMBER_ADD,
            scim_groups::add(&scim, &group),
            baseline.add(),
        ),
        (
            ops::GROUP_MEMBER_REMOVE,
            scim_groups::remove(&scim, &group),
            baseline.remove(),
        ),
    ] {
        // Counted first, while every call still changes a membership (a small group's cells
        // may use up the users, after which the calls write nothing).
        let per_call = statements_per_call(client, &server).await;
        eprintln!(
            "  [{}] {name}: {per_call:.1} statements per call",
            runner.kind.name()
        );
        notes.push(format!(
            "{name} (group of {size} members): {per_call:.1} statements per call (server)"
        ));
        runner.cells(name, &server, &base).await;
    }
    notes.push(format!(
        "the group has {} members after its cells",
        baseline.members().await
    ));
    notes
}

/// Calls of an operation the statements are counted over, one at a time.
const COUNTED_CALLS: u64 = 20;

/// The statements the server runs per call of `op` (its `autoprov_db_statements_total` before
/// and after [`COUNTED_CALLS`] calls made one at a time; the scrapes themselves run none while
/// the owner token is cached).
async fn statements_per_call(client: &Client, op: &Op) -> f64 {
    let owner = &client.setup.owner;
    let before = client
        .api
        .statements_run(owner)
        .await
        .expect("scrape /metrics");
    for n in 0..COUNTED_CALLS {
        op(n).await.expect("a counted call");
    }
    let after = client
        .api
        .statements_run(owner)
        .await
        .expect("scrape /metrics");
    (after - before) / COUNTED_CALLS as f64
}

/// The server's cap on `offset`.
const MAX_OFFSET: u64 = 10_000;

/// The admin listings of the `total` contacts: page 1, a deep page at ~90 % by cursor (taken
/// from the API; the baseline takes the row's key), a page at the deepest offset the server
/// allows, and page 1 with the total.
async fn listing_cells(
    runner: &mut Runner<'_>,
    client: &Arc<Client>,
    baseline: &Arc<baseline::Baseline>,
    total: u64,
) {
    let position = total * 9 / 10;
    let key = baseline.key_at(position).await;
    let cursor = scenarios::cursor_of(client, key.1).await;
    // The server refuses to skip more rows than this (README, Security): deeper pages follow
    // a cursor.
    let offset = position.min(MAX_OFFSET);
    let listings = [
        (ops::PAGE1, Listing::Page1, baseline.listing(None, 0, false)),
        (
            ops::DEEP_CURSOR,
            Listing::AfterCursor(cursor),
            baseline.listing(Some(key), 0, false),
        ),
        (
            ops::DEEP_OFFSET,
            Listing::Offset(offset),
            baseline.listing(None, offset, false),
        ),
        (
            ops::PAGE1_TOTAL,
            Listing::Page1Total,
            baseline.listing(None, 0, true),
        ),
    ];
    for (name, listing, baseline_op) in listings {
        runner
            .cells(
                name,
                &scenarios::listing(client, listing, total),
                &baseline_op,
            )
            .await;
    }
}
