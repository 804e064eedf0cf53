//! The layers of `src/` depend one way (the rule is written at the top of `src/lib.rs`): this
//! test reads the source and fails when a layer names what it must not.
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The lines of `file` that name any of `forbidden`, comments aside.
fn offences(file: &Path, forbidden: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("read source");
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| forbidden.iter().any(|f| line.contains(f)))
        .map(|(n, line)| format!("{}:{}: {}", file.display(), n + 1, line.trim()))
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Storage, transports and runtimes: what the pure core must not know.
const OUTSIDE_THE_CORE: &[&str] = &[
    "async_graphql",
    "sea_orm",
    "sqlx",
    "axum",
    "hyper",
    "tower",
    "tokio",
    "entity::",
    "migration::",
    "crate::db",
    "crate::service",
    "crate::transport",
];

/// Asserts that none of `files` names any of `forbidden`, listing every offence if one does.
fn assert_none_names(files: &[PathBuf], forbidden: &[&str]) {
    let found: Vec<String> = files.iter().flat_map(|f| offences(f, forbidden)).collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_domain_and_the_core_error_know_no_storage_and_no_transport() {
    let mut files = sources(&src().join("domain"));
    files.push(src().join("error.rs"));
    assert_none_names(&files, OUTSIDE_THE_CORE);
}

#[test]
fn services_and_the_database_know_no_transport() {
    let mut files = sources(&src().join("service"));
    files.extend(sources(&src().join("db")));
    assert_none_names(
        &files,
        &[
            "async_graphql",
            "axum",
            "hyper",
            "tower",
            "crate::transport",
        ],
    );
}

/// Every door (HTTP, GraphQL, SCIM, the inbox, the command line) lives under `transport/`,
/// and none of them reaches the database but through a service.
#[test]
fn transports_call_services_never_the_database() {
    let transports = sources(&src().join("transport"));
    assert!(transports.len() > 20, "{transports:?}");
    assert_none_names(
        &transports,
        &["crate::db", "sea_orm", "sqlx", "ActiveModel", "ActiveValue"],
    );
    // Nothing but the composition root and the crate's own modules at the root.
    let root: Vec<String> = std::fs::read_dir(src())
        .expect("read src")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    for door in [
        "graphql",
        "http",
        "inbox.rs",
        "server.rs",
        "employee_cli.rs",
    ] {
        assert!(
            !root.contains(&door.to_owned()),
            "src/{door} is a transport"
        );
    }
}

/// A row is built, changed or deleted in `db/` only: one write path per table, whatever the
/// door (sign-in hook, SCIM, admin API, employee files).
#[test]
fn rows_are_built_only_in_db() {
    let outside_db: Vec<PathBuf> = sources(&src())
        .into_iter()
        .filter(|f| !f.starts_with(src().join("db")))
        .collect();
    assert!(outside_db.len() > 50, "{outside_db:?}");
    assert_none_names(
        &outside_db,
        &[
            "ActiveModel",
            "ActiveValue",
            "::delete_by_id(",
            "Entity::delete_many(",
            "Entity::insert_many(",
            "Entity::update_many(",
            "exec_without_returning",
        ],
    );
}

#[test]
fn the_rules_catch_what_they_forbid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.rs");
    std::fs::write(
        &file,
        "// sea_orm in a comment is fine\nuse sea_orm::DbErr;\n",
    )
    .expect("write");
    assert_eq!(offences(&file, OUTSIDE_THE_CORE).len(), 1);
}
