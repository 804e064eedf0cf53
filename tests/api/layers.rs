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
    "crate::graphql",
    "crate::http",
    "crate::server",
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
fn services_know_no_transport() {
    assert_none_names(
        &sources(&src().join("service")),
        &[
            "async_graphql",
            "crate::graphql",
            "axum",
            "hyper",
            "crate::http",
        ],
    );
}

#[test]
fn graphql_calls_services_not_the_database() {
    assert_none_names(
        &sources(&src().join("graphql")),
        &["crate::db", "sea_orm", "sqlx"],
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

#[test]
fn the_inbox_calls_services_not_the_database() {
    assert_none_names(&[src().join("inbox.rs")], &["crate::db", "sqlx"]);
}
