//! Bad input gets a clear finding or a clear error, never a crash, and the
//! rest of the repo is still analyzed.

mod common;

use std::fs;
use std::path::Path;

use common::{check_json, findings, pipelint};

const GOOD_SQL: &str = "CREATE TABLE analytics.fct_orders AS SELECT * FROM raw.orders;\n";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("sql")).unwrap();
    fs::write(dir.path().join("sql/good.sql"), GOOD_SQL).unwrap();
    dir
}

/// Findings of `--select parse-error` plus whether the good file was still analyzed.
fn parse_errors(dir: &Path) -> (Vec<String>, Vec<String>) {
    let (_, doc) = check_json(dir, &["--select", "parse-error"]);
    let messages = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    (findings(&doc), messages)
}

fn good_file_still_in_graph(dir: &Path) {
    let graph = common::graph_json(dir);
    let ids: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"script:sql/good.sql"), "{ids:?}");
    assert!(ids.contains(&"dataset:analytics.fct_orders"), "{ids:?}");
}

#[test]
fn a_binary_file_named_sql_is_a_parse_error() {
    let dir = repo();
    fs::write(
        dir.path().join("sql/dump.sql"),
        b"SQLite format 3\0\x10\x00\x01\x01",
    )
    .unwrap();
    let (found, messages) = parse_errors(dir.path());
    assert_eq!(found, ["PL000 parse-error - sql/dump.sql:1"]);
    assert!(messages[0].contains("looks binary"), "{messages:?}");
    good_file_still_in_graph(dir.path());
}

#[test]
fn invalid_utf8_is_a_parse_error_at_its_line() {
    let dir = repo();
    fs::write(
        dir.path().join("sql/latin1.sql"),
        b"-- r\xe9sum\xe9\nSELECT 1;\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("sql/late.sql"),
        b"SELECT 1;\nSELECT 'caf\xe9';\n",
    )
    .unwrap();
    let (found, messages) = parse_errors(dir.path());
    assert_eq!(
        found,
        [
            "PL000 parse-error - sql/late.sql:2",
            "PL000 parse-error - sql/latin1.sql:1"
        ]
    );
    assert!(
        messages[0].contains("not valid UTF-8 (at line 2, column 12)"),
        "{messages:?}"
    );
    good_file_still_in_graph(dir.path());
}

#[test]
fn a_five_megabyte_one_line_file_parses() {
    let dir = repo();
    let columns: Vec<String> = (0..700_000).map(|i| format!("c{i}")).collect();
    let sql = format!(
        "INSERT INTO analytics.wide SELECT {} FROM raw.orders;",
        columns.join(", ")
    );
    assert!(sql.len() > 5_000_000 && !sql.contains('\n'));
    fs::write(dir.path().join("sql/wide.sql"), &sql).unwrap();
    let (found, _) = parse_errors(dir.path());
    assert_eq!(found, Vec::<String>::new());
    let graph = common::graph_json(dir.path());
    let edges = common::edges(&graph);
    assert!(
        edges.contains(&"script:sql/wide.sql -writes-> dataset:analytics.wide".to_string()),
        "{edges:?}"
    );
}

#[test]
fn ten_thousand_nested_parentheses_are_a_parse_error() {
    let dir = repo();
    let sql = format!(
        "SELECT {}1{} FROM raw.orders;",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    fs::write(dir.path().join("sql/deep.sql"), sql).unwrap();
    let (found, messages) = parse_errors(dir.path());
    assert_eq!(
        found,
        ["PL000 parse-error script:sql/deep.sql sql/deep.sql:1"]
    );
    assert!(messages[0].contains("nested deeper than"), "{messages:?}");
    good_file_still_in_graph(dir.path());
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_is_reported_not_fatal() {
    let dir = repo();
    std::os::unix::fs::symlink(
        dir.path().join("sql/gone.sql"),
        dir.path().join("sql/link.sql"),
    )
    .unwrap();
    let (found, messages) = parse_errors(dir.path());
    assert_eq!(found, ["PL000 parse-error - sql/link.sql:1"]);
    assert!(
        messages[0].starts_with("sql/link.sql is a symbolic link that points at nothing"),
        "{messages:?}"
    );
    good_file_still_in_graph(dir.path());
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_reported_not_followed_forever() {
    let dir = repo();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sql/loop")).unwrap();
    let (found, messages) = parse_errors(dir.path());
    assert_eq!(found, ["PL000 parse-error - sql/loop:1"]);
    assert!(
        messages[0].contains("symbolic link that loops back"),
        "{messages:?}"
    );
    good_file_still_in_graph(dir.path());
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_refused_without_waiting_for_a_writer() {
    let dir = repo();
    let path = dir.path().join("sql/pipe.sql");
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    let rel: std::sync::Arc<str> = std::sync::Arc::from("sql/pipe.sql");
    let err = pipelint::files::read_text(&path, &rel).unwrap_err();
    assert_eq!(
        err.message,
        "sql/pipe.sql is not a regular file (a folder, pipe or device); it was not read"
    );
    good_file_still_in_graph(dir.path());
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_a_parse_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = repo();
    let path = dir.path().join("sql/secret.sql");
    fs::write(&path, GOOD_SQL).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&path).is_ok() {
        // As root, permissions do not stop reads; reading a directory fails
        // for everyone, through the same code path.
        let rel: std::sync::Arc<str> = std::sync::Arc::from("sql");
        let err = pipelint::files::read_text(&dir.path().join("sql"), &rel).unwrap_err();
        assert_eq!(err.rule, "parse-error");
        assert_eq!(
            err.message,
            "sql is not a regular file (a folder, pipe or device); it was not read"
        );
        return;
    }
    let (found, messages) = parse_errors(dir.path());
    assert_eq!(found, ["PL000 parse-error - sql/secret.sql:1"]);
    assert!(messages[0].contains("cannot read"), "{messages:?}");
    good_file_still_in_graph(dir.path());
}

#[test]
fn an_empty_repo_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (code, doc) = check_json(dir.path(), &["--fail-on", "info"]);
    assert_eq!(code, 0);
    assert_eq!(findings(&doc), Vec::<String>::new());
    assert_eq!(doc["summary"]["nodes"], 0);
}

#[test]
fn a_missing_path_exits_2_with_a_message() {
    let (code, out, err) = pipelint(&["check", "/no/such/repo"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.starts_with("pipelint: cannot check /no/such/repo: "),
        "{err}"
    );
}

#[test]
fn a_file_instead_of_a_repo_exits_2() {
    let dir = repo();
    let file = dir.path().join("sql/good.sql");
    let (code, _, err) = pipelint(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not a directory"), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _, err) = pipelint(&["check", ".", "--select", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule `no-such-rule`"), "{err}");
    let (code, _, _) = pipelint(&["check", ".", "--format", "xml"]);
    assert_eq!(code, 2);
    let (code, _, _) = pipelint(&["frobnicate"]);
    assert_eq!(code, 2);
}

#[test]
fn invalid_toml_is_a_parse_error_and_the_code_is_still_analyzed() {
    let dir = repo();
    fs::write(
        dir.path().join("pipeline.toml"),
        "[project]\nname = \"acme\"\ndialect = snowflake\n",
    )
    .unwrap();
    let (found, messages) = parse_errors(dir.path());
    assert_eq!(found, ["PL000 parse-error - pipeline.toml:3"]);
    assert!(
        messages[0].starts_with("pipeline.toml: not valid TOML"),
        "{messages:?}"
    );
    good_file_still_in_graph(dir.path());
}
