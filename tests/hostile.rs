//! No input crashes, hangs or blows memory: every reproducer of issue 11 as
//! a regression test with the exact diagnostic it must give. Big inputs are
//! generated here at run time; the heaviest (whole-run memory) are opt-in
//! with `PIPELINT_EXTERNAL_TESTS=1`.

mod common;

use std::fs;
use std::path::Path;

use common::{check_json, pipelint};

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let path = dir.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// `rule file:line:column message` of each parse-error.
fn parse_errors(dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["--select", "parse-error"];
    args.extend_from_slice(extra);
    let (_, doc) = check_json(dir, &args);
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}:{}:{} {}",
                d["rule"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["line"],
                d["column"],
                d["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// `file:line message` of each finding of the `select`ed rules.
fn located(dir: &Path, select: &str) -> Vec<String> {
    let (_, doc) = check_json(dir, &["--select", select]);
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{} {}",
                d["file"].as_str().unwrap(),
                d["line"],
                d["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_dag_indented_511_deep_is_refused_before_the_python_parser() {
    let mut dag = String::from("from airflow import DAG\n");
    for i in 0..511 {
        dag.push_str(&format!("{}if x:\n", " ".repeat(i)));
    }
    dag.push_str(&format!("{}pass\n", " ".repeat(511)));
    let dir = repo(&[("dags/deep.py", &dag)]);
    assert_eq!(
        parse_errors(dir.path(), &[]),
        ["parse-error dags/deep.py:1:1 511 levels of indentation: over the 400 the Python parser can take; the file was not parsed"]
    );
}

#[test]
fn a_sum_of_260000_terms_is_over_the_chain_limit() {
    let sql = format!("SELECT {};\n", vec!["a"; 260_000].join("+"));
    let dir = repo(&[("sql/sum.sql", &sql)]);
    assert_eq!(
        parse_errors(dir.path(), &[]),
        ["parse-error sql/sum.sql:1:1 SQL cannot be read: a chain of 259999 operators: over the limit of 1024 operators (64 levels) (raise it with --max-depth)"]
    );
}

#[test]
fn or_and_concatenation_chains_are_over_the_chain_limit() {
    let or = format!(
        "SELECT * FROM t\nWHERE {};\n",
        vec!["a = 1"; 100_000].join(" OR ")
    );
    let concat = format!("SELECT {} FROM t;\n", vec!["a"; 200_000].join(" || "));
    let dir = repo(&[("sql/concat.sql", &concat), ("sql/or.sql", &or)]);
    assert_eq!(
        parse_errors(dir.path(), &[]),
        [
            "parse-error sql/concat.sql:1:1 SQL cannot be read: a chain of 199999 operators: over the limit of 1024 operators (64 levels) (raise it with --max-depth)",
            "parse-error sql/or.sql:1:1 SQL cannot be read: a chain of 200000 operators: over the limit of 1024 operators (64 levels) (raise it with --max-depth)",
        ]
    );
}

#[test]
fn a_long_chain_in_inline_airflow_sql_is_a_parse_error_at_the_string() {
    let dag = format!(
        "from airflow import DAG\n\
         from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n\
         with DAG('sums'):\n    SQLExecuteQueryOperator(task_id='t', sql='SELECT {}')\n",
        vec!["a"; 200_000].join("+")
    );
    let dir = repo(&[("dags/sums.py", &dag)]);
    assert_eq!(
        parse_errors(dir.path(), &[]),
        ["parse-error dags/sums.py:4:47 SQL was not analyzed: a chain of 199999 operators: over the limit of 1024 operators (64 levels) (raise it with --max-depth)"]
    );
}

#[test]
fn a_dbt_project_nested_30000_deep_is_refused_without_a_stack_overflow() {
    let project = format!("x: [{}\n", ": ".repeat(30_000));
    let dir = repo(&[("dbt_project.yml", &project)]);
    assert_eq!(
        parse_errors(dir.path(), &[]),
        ["parse-error dbt_project.yml:1:129 dbt_project.yml is not valid YAML: nested deeper than allowed: over the limit of 64 levels (raise it with --max-depth)"]
    );
}

#[test]
fn a_union_of_300000_selects_is_over_the_chain_limit_not_out_of_memory() {
    let sql = format!("SELECT 1{};\n", " UNION ALL SELECT 1".repeat(300_000));
    let dir = repo(&[("sql/union.sql", &sql)]);
    assert_eq!(
        parse_errors(dir.path(), &[]),
        ["parse-error sql/union.sql:1:1 SQL cannot be read: a chain of 300000 operators: over the limit of 1024 operators (64 levels) (raise it with --max-depth)"]
    );
}

/// A fuzzer's find (10-minute release run): 18,715 `LEFT JOIN o` without
/// `ON` made sqlparser recurse once per join until the stack overflowed.
/// Joins count in the chain limit now.
#[test]
fn a_chain_of_20000_joins_is_over_the_chain_limit_not_a_stack_overflow() {
    let sql = format!(
        "CREATE TABLE analytics.x AS\nSELECT 1\nFROM raw.orders o{};\n",
        "\nLEFT JOIN o".repeat(20_000)
    );
    let dir = repo(&[("sql/joins.sql", &sql)]);
    assert_eq!(
        parse_errors(dir.path(), &[]),
        ["parse-error sql/joins.sql:1:1 SQL cannot be read: a chain of 20000 operators: over the limit of 1024 operators (64 levels) (raise it with --max-depth)"]
    );
}

/// A fuzzer's find (10-minute release run): Snowflake's nested
/// `FILE_FORMAT = (TYPE = (…` options, 19,000 deep and never closed, made
/// sqlparser recurse past the stack: that rule does not count against its
/// recursion limit. Bracket depth is checked before parsing now.
#[test]
fn copy_options_nested_19000_deep_are_refused_not_a_stack_overflow() {
    let sql = format!(
        "COPY INTO raw.events\nFROM 's3://lake/raw/events/'\nFILE_FORMAT = {};\n",
        "(TYPE = ".repeat(19_000)
    );
    let dir = repo(&[("sql/load_events.sql", &sql)]);
    assert_eq!(
        parse_errors(dir.path(), &[]),
        ["parse-error sql/load_events.sql:3:527 SQL cannot be read: nested deeper than allowed (19000 brackets): over the limit of 64 levels (raise it with --max-depth)"]
    );
}

/// A fuzzer's find (10-minute release run): a template expression of
/// 50,000 prefix `-` made minijinja's parser recurse once per operator
/// until the stack overflowed (in a release build). Templates whose
/// expressions nest past the limit are refused before minijinja parses
/// them: a note, and the refs read from the literal calls.
#[test]
fn a_template_with_30000_prefix_operators_is_a_note_not_a_stack_overflow() {
    let model = format!(
        "select {{{{ {}1 }}}} as x from {{{{ ref('orders') }}}}\n",
        "-\n".repeat(30_000)
    );
    let dir = repo(&[
        ("pipeline.toml", "[project]\nroot = true\n"),
        (
            "dbt_project.yml",
            "name: shop\nversion: \"1.0\"\nprofile: shop\n",
        ),
        ("models/deep.sql", &model),
        ("models/orders.sql", "select 1 as id\n"),
    ]);
    let found = located(dir.path(), "unresolved-dynamic,unresolved-reference");
    assert_eq!(
        found,
        ["models/deep.sql:1025 model `deep` could not be rendered (expressions nested deeper than allowed: over the limit of 1024 levels (raise it with --max-depth)); its refs and sources were read from the literal calls in the file"]
    );
}

/// A fuzzer's find: a `[paths."…"]` key of 334,000 bytes made globset
/// panic ("regex compilation shouldn't fail"). Repo globs are capped in
/// length and built without the panicking call.
#[test]
fn a_path_glob_of_300_kb_is_a_finding_not_a_panic() {
    let manifest = format!(
        "[project]\nroot = true\n\n[paths.\"{}*.sql\"]\nowner = \"data\"\n",
        "warehouse/".repeat(30_000)
    );
    let dir = repo(&[("pipeline.toml", &manifest), ("sql/a.sql", "SELECT 1")]);
    let found = located(dir.path(), "invalid-config");
    assert_eq!(
        found,
        ["pipeline.toml:4 bad glob `warehouse/warehouse/warehouse/warehouse/warehouse/warehouse/warehouse/warehouse…`: a pattern of 300005 bytes is longer than the 1024 pipelint compiles"]
    );
}

#[test]
fn limits_are_raised_and_lowered_from_the_command_line_only() {
    let dir = repo(&[
        ("sql/three.sql", "SELECT 1;\nSELECT 2;\nSELECT 3;\n"),
        (
            "pipeline.toml",
            "[limits]\nmax-statements = 1000\n\n[project]\nname = \"x\"\n",
        ),
    ]);
    let found = parse_errors(dir.path(), &["--max-statements", "2"]);
    assert_eq!(
        found,
        ["parse-error sql/three.sql:3:1 SQL cannot be read: more than 2 statements: over the limit of 2 (raise it with --max-statements); the rest of the file was not analyzed"]
    );
    let (_, doc) = check_json(dir.path(), &["--max-statements", "2"]);
    let rules: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"invalid-config"),
        "[limits] is not a manifest table: {rules:?}"
    );
    let sql = format!("SELECT {};\n", vec!["a"; 60].join("+"));
    let dir = repo(&[("sql/a.sql", &sql)]);
    assert_eq!(parse_errors(dir.path(), &[]), Vec::<String>::new());
    assert_eq!(
        parse_errors(dir.path(), &["--max-nodes", "100"]),
        ["parse-error sql/a.sql:1:1 SQL cannot be read: a statement of 120 tokens: over the limit of 100 (raise it with --max-nodes)"]
    );
    assert_eq!(
        parse_errors(dir.path(), &["--max-file-bytes", "100"]),
        ["parse-error sql/a.sql:1:1 sql/a.sql was not read: 128 bytes: over the limit of 100 (raise it with --max-file-bytes)"]
    );
    let nested = format!("SELECT {}1{};\n", "(".repeat(20), ")".repeat(20));
    let dir = repo(&[("sql/n.sql", &nested)]);
    assert_eq!(
        parse_errors(dir.path(), &["--max-depth", "8"]),
        ["parse-error sql/n.sql:1:16 SQL cannot be read: nested deeper than allowed (20 brackets): over the limit of 8 levels (raise it with --max-depth)"]
    );
    assert_eq!(parse_errors(dir.path(), &[]), Vec::<String>::new());
}

#[test]
fn a_statement_that_stops_short_is_reported_at_its_end_not_its_start() {
    let dir = repo(&[(
        "sql/short.sql",
        "SELECT 1;\n\nINSERT INTO analytics.t\nSELECT * FROM\n",
    )]);
    // It tokenizes, so it is not a parse-error but one unparsed-sql finding.
    assert_eq!(
        parse_errors(dir.path(), &["--select", "unparsed-sql"]),
        ["unparsed-sql sql/short.sql:4:14 `INSERT INTO analytics.t SELECT …` does not parse as generic, snowflake, bigquery, postgres, duckdb, mysql SQL: Expected: identifier, found: EOF; its reads and writes were recovered from its tokens"]
    );
}

#[test]
fn a_chain_of_100000_dependencies_is_checked_without_recursion() {
    use pipelint::facts::{DataRef, FileFacts, JobFact, JobKind, Located};
    use pipelint::span::Span;
    let file: std::sync::Arc<str> = std::sync::Arc::from("sql/chain.sql");
    let at = Span::file_start(&file);
    let mut facts = FileFacts::default();
    for i in 1..100_000 {
        let mut job = JobFact::new(
            format!("script:s{i}"),
            JobKind::Script,
            format!("s{i}"),
            at.clone(),
        );
        job.reads = vec![Located::new(
            DataRef::from_name(&format!("s.t{}", i - 1)),
            at.clone(),
        )];
        job.writes = vec![Located::new(
            DataRef::from_name(&format!("s.t{i}")),
            at.clone(),
        )];
        facts.jobs.push(job);
    }
    // On a small stack, as a library caller would have.
    let found = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let graph = pipelint::graph::build(&facts, &Default::default(), None);
            pipelint::rules::GRAPH_RULES
                .iter()
                .map(|r| r.check(&graph).len())
                .sum::<usize>()
        })
        .unwrap()
        .join()
        .expect("the rules finish on a 2 MB stack");
    assert!(found > 0);
}

/// Peak resident memory of `pipelint check` on `dir`, from `/usr/bin/time -v`.
fn peak_kb(dir: &Path) -> Option<u64> {
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_pipelint"))
        .args(["check", "-q", "--threads", "2"])
        .arg(dir)
        .env("PIPELINT_CACHE_DIR", common::CACHE_DIR)
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|n| n.trim().parse().ok())
}

#[test]
fn a_16_mb_file_of_230000_statements_stays_under_300_mb() {
    if !common::external_tests() {
        eprintln!("skipped: set PIPELINT_EXTERNAL_TESTS=1 to measure peak memory");
        return;
    }
    let mut sql = String::with_capacity(16 << 20);
    for i in 0..230_000 {
        sql.push_str(&format!(
            "INSERT INTO analytics.events_{:03} (id, kind) VALUES ({i}, 'ok');\n",
            i % 500
        ));
    }
    let dir = repo(&[("sql/dump.sql", &sql)]);
    let kb = peak_kb(dir.path()).expect("/usr/bin/time -v works here");
    assert!(kb < 300 * 1024, "peak {kb} KB");
}

#[test]
fn one_hundred_thousand_empty_files_stay_under_600_mb() {
    if !common::external_tests() {
        eprintln!("skipped: set PIPELINT_EXTERNAL_TESTS=1 to measure peak memory");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for d in 0..100 {
        let folder = dir.path().join(format!("sql/{d:03}"));
        fs::create_dir_all(&folder).unwrap();
        for f in 0..1000 {
            fs::write(folder.join(format!("{f:04}.sql")), "").unwrap();
        }
    }
    let kb = peak_kb(dir.path()).expect("/usr/bin/time -v works here");
    // Not yet the 300 MB of the big-file case: ~5.4 KB a file, spent before
    // the rules run (544 MB in a debug build with `--select parse-error`
    // alone; 457 MB in issue 11's report, which keeps this open). This only
    // bounds it against further regressions.
    assert!(kb < 600 * 1024, "peak {kb} KB");
}

#[test]
fn a_chain_of_100000_dbt_models_is_checked_end_to_end() {
    if !common::external_tests() {
        eprintln!("skipped: set PIPELINT_EXTERNAL_TESTS=1 for the 100,000-model run");
        return;
    }
    let dir = repo(&[(
        "dbt_project.yml",
        "name: chain\nversion: '1.0'\nconfig-version: 2\nprofile: chain\n",
    )]);
    fs::write(dir.path().join("models/m0.sql"), "select 1 as id\n").unwrap_or_else(|_| {
        fs::create_dir_all(dir.path().join("models")).unwrap();
        fs::write(dir.path().join("models/m0.sql"), "select 1 as id\n").unwrap();
    });
    for i in 1..100_000 {
        fs::write(
            dir.path().join(format!("models/m{i}.sql")),
            format!("select * from {{{{ ref('m{}') }}}}\n", i - 1),
        )
        .unwrap();
    }
    let p = dir.path().to_string_lossy().into_owned();
    let (code, _, err) = pipelint(&["check", p.as_str(), "-q", "--select", "parse-error"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn the_longest_chain_allowed_parses_on_a_small_stack() {
    use pipelint::sql_dialect::SqlDialect;
    let max = 64 * pipelint::limits::CHAIN_PER_DEPTH;
    let sum = format!("SELECT {} FROM raw.t", vec!["a"; max + 1].join(" + "));
    let union = format!(
        "SELECT 1 FROM raw.u{}",
        " UNION ALL SELECT 1 FROM raw.u".repeat(max)
    );
    let ors = format!(
        "SELECT * FROM raw.o WHERE {}",
        vec!["a = 1"; max / 2].join(" OR ")
    );
    let joins = format!("SELECT 1 FROM raw.o{}", " LEFT JOIN raw.o".repeat(max));
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            for sql in [sum, union, ors, joins] {
                let access = pipelint::parse::sql::analyze(&sql, SqlDialect::Generic);
                assert_eq!(access.errors, [], "{}", &sql[..40]);
                assert!(!access.reads.is_empty());
            }
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
}

/// A fuzzer's find: a dbt model whose one line runs past column 65,535 made
/// minijinja's lexer overflow its 16-bit column counter (a panic in debug
/// builds). The model is now refused before it is lexed, with one note.
#[test]
fn a_model_line_past_column_65535_is_a_note_not_a_panic() {
    let model = format!(
        "select * from {{{{ {}source('crm', 'contacts') }}}}\n",
        "source(' ".repeat(14_363)
    );
    let dir = repo(&[
        (
            "dbt_project.yml",
            "name: shop\nversion: \"1.0\"\nprofile: shop\n",
        ),
        ("models/wide.sql", &model),
    ]);
    let (code, doc) = check_json(dir.path(), &["--select", "unresolved-dynamic,parse-error"]);
    assert_eq!(code, 0, "{doc}");
    let found: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}:{}",
                d["rule"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["line"]
            )
        })
        .collect();
    assert_eq!(found, ["unresolved-dynamic models/wide.sql:1"]);
    assert!(doc["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("longer than 65535 characters"));
}
