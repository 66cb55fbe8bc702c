//! The fact cache gives byte-identical results: a copy of acme-broken is
//! checked with and without the cache after each edit, rename and deletion,
//! and the outputs compared whole.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

/// stdout and stderr of `check --format FORMAT` on `repo`, with `cache`
/// (`None`: `--no-cache`), and `PIPELINT_TIMINGS` set when `timings`.
fn check(repo: &Path, cache: Option<&Path>, format: &str, timings: bool) -> (String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pipelint"));
    cmd.args(["check", "--format", format]).arg(repo);
    match cache {
        Some(dir) => cmd.arg("--cache-dir").arg(dir),
        None => cmd.arg("--no-cache"),
    };
    if timings {
        cmd.env("PIPELINT_TIMINGS", "1");
    }
    let out = cmd.env_remove("CI").output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// stdout and stderr of `check --format json` on `repo`, with `cache`
/// (`None`: `--no-cache`).
fn run(repo: &Path, cache: Option<&Path>) -> (String, String) {
    check(repo, cache, "json", false)
}

/// stdout and stderr of `check --format FORMAT` on `repo` with the cache
/// and `PIPELINT_TIMINGS` set.
fn timed(repo: &Path, cache: &Path, format: &str) -> (String, String) {
    check(repo, Some(cache), format, true)
}

/// A copy of acme-broken in a temporary folder, and a cache folder beside it.
fn acme_copy() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let cache = dir.path().join("cache");
    common::copy_dir(&common::fixture("acme-broken"), &repo);
    (dir, repo, cache)
}

/// The cache's line of `PIPELINT_TIMINGS`: how many entries a run reused,
/// so a cache that is never hit fails the test.
fn reuse(repo: &Path, cache: &Path) -> String {
    line(&timed(repo, cache, "human").1, "pipelint: cache").to_string()
}

/// The repo's one cache file under `cache`.
fn cache_file(cache: &Path) -> std::path::PathBuf {
    let repo_dir = fs::read_dir(cache).unwrap().next().unwrap().unwrap().path();
    repo_dir.join("facts.bin")
}

/// An edit that adds a finding to a SQL script of acme-broken.
fn add_a_finding_to_a_script(repo: &Path) {
    let script = repo.join("sql/load_events.sql");
    let text = fs::read_to_string(&script).unwrap();
    fs::write(
        &script,
        format!("{text}\nSELECT * FROM raw.nowhere_at_all;\n"),
    )
    .unwrap();
}

fn same_with_and_without(repo: &Path, cache: &Path, step: &str) {
    let (fresh, _) = run(repo, None);
    let (cached, notes) = run(repo, Some(cache));
    assert_eq!(notes, "", "{step}: no note");
    assert_eq!(cached, fresh, "{step}: the cached run differs");
    let (again, _) = run(repo, Some(cache));
    assert_eq!(again, fresh, "{step}: the warm run differs");
}

#[test]
fn results_are_identical_with_and_without_the_cache_across_edits() {
    let (_dir, repo, cache) = acme_copy();
    same_with_and_without(&repo, &cache, "first run");
    assert!(cache_file(&cache).is_file());
    assert_eq!(
        reuse(&repo, &cache),
        "pipelint: cache    22 reused, 0 parsed"
    );

    // An edit that adds a finding to a SQL script.
    add_a_finding_to_a_script(&repo);
    assert_eq!(
        reuse(&repo, &cache),
        "pipelint: cache    21 reused, 1 parsed"
    );
    same_with_and_without(&repo, &cache, "SQL edit");

    // A dbt model edited, then one renamed: the project's facts change.
    let model = repo.join("dbt/models/broken/orders_typo.sql");
    fs::write(&model, "select * from {{ ref('no_such_model') }}\n").unwrap();
    same_with_and_without(&repo, &cache, "model edit");
    fs::rename(&model, repo.join("dbt/models/broken/orders_renamed.sql")).unwrap();
    same_with_and_without(&repo, &cache, "model rename");

    // A DAG file deleted: its facts are gone, and references to it break.
    fs::remove_file(repo.join("dags/orders_hourly.py")).unwrap();
    same_with_and_without(&repo, &cache, "DAG deletion");

    // The configuration changed: every entry's key changes.
    let manifest = repo.join("pipeline.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, format!("{text}\n# a comment\n")).unwrap();
    same_with_and_without(&repo, &cache, "config edit");
}

/// The parts line of `PIPELINT_TIMINGS`: how many model renders and
/// schema files of a dbt project made afresh were reused.
fn parts(repo: &Path, cache: &Path) -> String {
    line(&timed(repo, cache, "human").1, "pipelint: parts").to_string()
}

#[test]
fn an_edited_project_renders_again_only_what_the_edit_reaches() {
    let (_dir, repo, cache) = acme_copy();
    // 15 models, 5 schema files and 1 macro file.
    assert_eq!(parts(&repo, &cache), "pipelint: parts    0 reused, 21 made");
    same_with_and_without(&repo, &cache, "first run");

    // One model edited: only it renders again.
    let model = repo.join("dbt/models/broken/orders_typo.sql");
    fs::write(&model, "select * from {{ ref('no_such_model') }}\n").unwrap();
    assert_eq!(parts(&repo, &cache), "pipelint: parts    20 reused, 1 made");
    same_with_and_without(&repo, &cache, "model edit");

    // A macro edited: its file is split again and every model renders with
    // it again; schema files do not call macros.
    let r#macro = repo.join("dbt/macros/cents_to_dollars.sql");
    let text = fs::read_to_string(&r#macro).unwrap();
    fs::write(&r#macro, text.replace("100.0", "{{ ref('stg_orders') }}")).unwrap();
    assert_eq!(parts(&repo, &cache), "pipelint: parts    5 reused, 16 made");
    same_with_and_without(&repo, &cache, "macro edit");

    // An alias set in a schema file: what `ref()` returns changes for
    // every model, so all render again, and the one schema file is read.
    let schema = repo.join("dbt/models/marts/schema.yml");
    let text = fs::read_to_string(&schema).unwrap();
    fs::write(
        &schema,
        text.replacen(
            "  - name: dim_customer\n",
            "  - name: dim_customer\n    config:\n      alias: customers\n",
            1,
        ),
    )
    .unwrap();
    assert_eq!(parts(&repo, &cache), "pipelint: parts    5 reused, 16 made");
    same_with_and_without(&repo, &cache, "alias in schema YAML");
}

#[test]
fn a_corrupt_cache_is_ignored_with_a_note_and_rewritten() {
    let (_dir, repo, cache) = acme_copy();
    let (fresh, _) = run(&repo, None);
    run(&repo, Some(&cache));
    fs::write(cache_file(&cache), b"not a cache").unwrap();
    let (out, notes) = run(&repo, Some(&cache));
    assert_eq!(out, fresh);
    assert!(
        notes.starts_with("pipelint: the cache ")
            && notes.contains("was ignored: it does not decode"),
        "{notes}"
    );
    let (_, notes) = run(&repo, Some(&cache));
    assert_eq!(notes, "", "rewritten after the corrupt one");
}

#[test]
fn two_runs_at_once_leave_a_readable_cache() {
    let (_dir, repo, cache) = acme_copy();
    let (fresh, _) = run(&repo, None);
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let (repo, cache) = (repo.clone(), cache.clone());
            std::thread::spawn(move || run(&repo, Some(&cache)))
        })
        .collect();
    for r in runs {
        assert_eq!(r.join().unwrap().0, fresh);
    }
    let (out, notes) = run(&repo, Some(&cache));
    assert_eq!((out, notes), (fresh, String::new()));
}

#[test]
fn the_cache_is_off_when_ci_is_set_unless_a_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let home = dir.path().join("home");
    common::copy_dir(&common::fixture("acme"), &repo);
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .arg("check")
        .arg(&repo)
        .env("CI", "true")
        .env("HOME", &home)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("PIPELINT_CACHE_DIR")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!home.exists(), "nothing written under HOME");
    let named = dir.path().join("named");
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .arg("check")
        .arg(&repo)
        .env("CI", "true")
        .env("PIPELINT_CACHE_DIR", &named)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(cache_file(&named).is_file());
}

fn line<'a>(stderr: &'a str, prefix: &str) -> &'a str {
    stderr
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_default()
}

#[test]
fn settled_files_are_not_read_again_and_an_unchanged_check_is_replayed() {
    let (_dir, repo, cache) = acme_copy();
    // Stamps are trusted once files have been still for two seconds.
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let (fresh, _) = run(&repo, None);
    let (first, stderr) = timed(&repo, &cache, "json");
    assert_eq!(first, fresh);
    assert!(!stderr.contains("replayed"), "{stderr}");
    assert_eq!(
        line(&stderr, "pipelint: hashes"),
        "pipelint: hashes   44 read, 0 known by their stamp"
    );

    // The same check again: replayed whole.
    let (again, stderr) = timed(&repo, &cache, "json");
    assert_eq!(again, fresh);
    assert_eq!(
        line(&stderr, "pipelint: replayed"),
        "pipelint: replayed the last check: nothing it read has changed"
    );
    // Another format is another check: not replayed, but no file is read.
    let (human, stderr) = timed(&repo, &cache, "human");
    assert!(!stderr.contains("replayed"), "{stderr}");
    assert_eq!(
        line(&stderr, "pipelint: hashes"),
        "pipelint: hashes   0 read, 44 known by their stamp"
    );
    assert_eq!(human, check(&repo, None, "human", false).0);

    // An edit that keeps the file's length: its stamp changed, so it is
    // read, and the check is not replayed.
    let script = repo.join("sql/load_events.sql");
    let text = fs::read_to_string(&script).unwrap();
    let edited = text.replacen("INTO raw.events", "INTO xyz.events", 1);
    assert_eq!(edited.len(), text.len());
    assert_ne!(edited, text);
    fs::write(&script, edited).unwrap();
    let (fresh, _) = run(&repo, None);
    assert_ne!(fresh, first, "the edit changes the findings");
    let (after, stderr) = timed(&repo, &cache, "json");
    assert!(!stderr.contains("replayed"), "{stderr}");
    assert_eq!(after, fresh);
    assert_eq!(
        line(&stderr, "pipelint: hashes"),
        "pipelint: hashes   1 read, 43 known by their stamp"
    );
}

#[test]
fn one_edited_model_reads_no_other_model_and_gives_the_same_result() {
    let (_dir, repo, cache) = acme_copy();
    // A snapshot (its block names it) and a seed, which acme lacks.
    fs::create_dir_all(repo.join("dbt/snapshots")).unwrap();
    fs::write(
        repo.join("dbt/snapshots/orders_history.sql"),
        "{% snapshot orders_history %}\n{{ config(target_schema='snapshots', unique_key='order_id', strategy='check', check_cols='all') }}\nselect * from {{ ref('stg_orders') }}\n{% endsnapshot %}\n",
    )
    .unwrap();
    fs::create_dir_all(repo.join("dbt/seeds")).unwrap();
    fs::write(
        repo.join("dbt/seeds/country_codes.csv"),
        "code,name\nDE,Germany\nFR,France\n",
    )
    .unwrap();
    // Stamps are trusted once files have been still for two seconds.
    std::thread::sleep(std::time::Duration::from_millis(3100));
    same_with_and_without(&repo, &cache, "first run");

    // One model edited: the project is parsed afresh, but of its 25 files
    // only the edited model is read (twice: for its hash when the
    // project's entry is checked, then to render it), with what is always
    // read: the project file and the singular test (4 reads). The other
    // 14 models, the 5 schema files, the macro file, the snapshot and the
    // seed are known by their stamps (23 with the test, whose stamp is
    // asked before it is read), and their parts recalled by those hashes.
    // Of the other counts: 10 files the entry's check met before the
    // edited one and the 21 files outside the project.
    let model = repo.join("dbt/models/broken/orders_typo.sql");
    fs::write(&model, "select * from {{ ref('no_such_model') }}\n").unwrap();
    let (edited, stderr) = timed(&repo, &cache, "json");
    assert_eq!(
        line(&stderr, "pipelint: hashes"),
        "pipelint: hashes   4 read, 54 known by their stamp"
    );
    assert_eq!(
        line(&stderr, "pipelint: parts"),
        "pipelint: parts    22 reused, 1 made"
    );
    assert_eq!(
        edited,
        run(&repo, None).0,
        "the same findings as a fresh parse"
    );
    for node in ["snapshot:acme.orders_history", "seed:acme.country_codes"] {
        assert!(edited.contains(&format!("\"node\": \"{node}\"")), "{node}");
    }
    same_with_and_without(&repo, &cache, "model edit");

    // A lower size limit is another run's configuration: every part is
    // made again, each known file is read, and one now over the limit is
    // reported as a parse without the cache reports it.
    let limited = |cache: Option<&Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pipelint"));
        cmd.args(["check", "--format", "json", "--max-file-bytes", "400"])
            .arg(&repo);
        match cache {
            Some(dir) => cmd.arg("--cache-dir").arg(dir),
            None => cmd.arg("--no-cache"),
        };
        String::from_utf8(cmd.env_remove("CI").output().unwrap().stdout).unwrap()
    };
    let fresh = limited(None);
    assert!(
        fresh.contains("fct_orders.sql was not read"),
        "a model is over the limit: {fresh}"
    );
    assert_eq!(limited(Some(&cache)), fresh);
}

#[test]
fn a_cache_kept_in_memory_gives_the_same_results_across_edits() {
    use pipelint::cache::{FactCache, RunCounts};
    use pipelint::check::{CacheUse, Options};
    use std::sync::Arc;

    // The language server's cache: entries and parts kept as values from
    // run to run, copied on a hit instead of decoded.
    let (_dir, repo, _) = acme_copy();
    let memory = Arc::new(FactCache::new().keeping_texts());
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(16 * 1024 * 1024)
        .build()
        .unwrap();
    let analyze = |cache: CacheUse| {
        let options = Options {
            cache,
            ..Options::default()
        };
        let analysis = pool
            .install(|| pipelint::check::run(&repo, &options))
            .unwrap();
        pipelint::report::json::render(&analysis)
    };
    let same = |step: &str| -> RunCounts {
        let cached = analyze(CacheUse::Shared(memory.clone()));
        assert_eq!(
            cached,
            analyze(CacheUse::Off),
            "{step}: the cached run differs"
        );
        memory.last_run()
    };
    let counts = |entries, parts| RunCounts { entries, parts };

    // 22 files and projects, 21 parts of the dbt project (see above).
    assert_eq!(same("first run"), counts((0, 22), (0, 21)));
    assert_eq!(same("unchanged"), counts((22, 0), (0, 0)));

    let model = repo.join("dbt/models/broken/orders_typo.sql");
    fs::write(&model, "select * from {{ ref('no_such_model') }}\n").unwrap();
    assert_eq!(same("model edit"), counts((21, 1), (20, 1)));
    assert_eq!(same("model edit, unchanged"), counts((22, 0), (0, 0)));

    add_a_finding_to_a_script(&repo);
    assert_eq!(same("SQL edit"), counts((21, 1), (0, 0)));

    // The parsed dbt_project.yml is kept while its text is unchanged: a run
    // that parses the project afresh (a model edited) keeps it, and an edit
    // of it in the next run (every model moved to another schema) is seen.
    fs::write(&model, "select 1 as id\n").unwrap();
    same("model edit again");
    let before = analyze(CacheUse::Off);
    let project = repo.join("dbt/dbt_project.yml");
    let text = fs::read_to_string(&project).unwrap();
    fs::write(
        &project,
        text.replace("+schema: analytics", "+schema: reporting"),
    )
    .unwrap();
    same("dbt_project.yml edit");
    assert_ne!(
        analyze(CacheUse::Off),
        before,
        "the edit changes the findings"
    );

    fs::rename(&model, repo.join("dbt/models/broken/orders_renamed.sql")).unwrap();
    same("model rename");
    fs::remove_file(repo.join("dags/orders_hourly.py")).unwrap();
    same("DAG deletion");
}
