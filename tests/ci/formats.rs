//! What CI systems read: SARIF against the official schema, GitHub
//! annotations within GitHub's limits, the Markdown step summary, GitLab Code
//! Quality against its documented format, JUnit against a JUnit XSD.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::copy_dir;
use crate::common::{check_json, external_tests, fixture, pipelint};
use crate::repo_root;

fn run(path: &Path, format: &str) -> (i32, String) {
    let p = path.to_string_lossy().into_owned();
    let (code, stdout, stderr) = pipelint(&["check", p.as_str(), "--format", format]);
    assert!(code < 2, "pipelint could not run: {stderr}");
    (code, stdout)
}

fn schema(name: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join("schemas").join(name)).expect("schema");
    serde_json::from_str(&text).expect("schema is JSON")
}

/// Validation errors of `doc` against a vendored JSON schema, with format
/// checks on (`uri`, `uri-reference`, …).
fn schema_errors(schema_name: &str, doc: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema(schema_name))
        .expect("the schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Fingerprints by finding, from the JSON output (the baseline's source).
fn json_fingerprints(path: &Path) -> Vec<String> {
    let (_, doc) = check_json(path, &[]);
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

fn sarif(path: &Path) -> Value {
    let (_, text) = run(path, "sarif");
    serde_json::from_str(&text).expect("SARIF is JSON")
}

#[test]
fn sarif_is_valid_against_the_official_schema_and_complete_for_code_scanning() {
    let broken = fixture("acme-broken");
    let log = sarif(&broken);
    let errors = schema_errors("sarif-schema-2.1.0.json", &log);
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    println!(
        "SARIF validation: fixtures/acme-broken, {} results, valid against schemas/sarif-schema-2.1.0.json (formats checked)",
        results.len()
    );
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());

    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 20, "every rule is in the driver");
    let cycle = rules.iter().find(|r| r["id"] == "dag-cycle").unwrap();
    assert_eq!(cycle["name"], "DagCycle");
    assert_eq!(
        cycle["shortDescription"]["text"],
        "a cycle anywhere in the joined graph"
    );
    assert!(cycle["fullDescription"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Flags a cycle anywhere in the joined graph: Airflow `>>` edges"));
    assert_eq!(
        cycle["helpUri"],
        format!(
            "https://github.com/pipelint/pipelint/blob/v{}/rules/dag-cycle.md",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(cycle["help"]["markdown"]
        .as_str()
        .unwrap()
        .starts_with("# dag-cycle (PL101)"));
    assert_eq!(cycle["defaultConfiguration"]["level"], "error");
    assert_eq!(
        cycle["properties"]["tags"],
        serde_json::json!(["architecture", "data-pipeline", "dependencies"])
    );

    let fingerprints = json_fingerprints(&broken);
    assert_eq!(results.len(), fingerprints.len());
    for (r, fp) in results.iter().zip(&fingerprints) {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at the rule"
        );
        assert_eq!(r["partialFingerprints"]["pipelint/v1"], fp.as_str());
        let place = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(place["uriBaseId"], "%SRCROOT%");
        assert!(!place["uri"].as_str().unwrap().starts_with('/'));
    }
    assert_eq!(results[0]["ruleId"], "missing-cadence");
    assert_eq!(results[0]["level"], "error");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        13
    );

    // A cycle's hops: related locations with ids, linked from the message.
    let hop = results.iter().find(|r| r["ruleId"] == "dag-cycle").unwrap();
    let related = hop["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 3);
    let text = hop["message"]["text"].as_str().unwrap();
    for (i, r) in related.iter().enumerate() {
        assert_eq!(r["id"], i as u64 + 1);
        let label = r["message"]["text"].as_str().unwrap();
        assert!(text.contains(&format!("[{label}]({})", i + 1)), "{text}");
    }
    assert_eq!(
        related[0]["physicalLocation"]["artifactLocation"]["uri"],
        "dags/finance_reconcile.py"
    );
}

#[test]
fn sarif_uris_are_percent_encoded_and_still_valid() {
    let dir = tempfile::tempdir().unwrap();
    let sql = dir.path().join("sql");
    std::fs::create_dir_all(&sql).unwrap();
    std::fs::write(
        sql.join("daily report é#1.sql"),
        "CREATE TABLE analytics.daily AS SELECT a FROM raw.events;\n",
    )
    .unwrap();
    let log = sarif(dir.path());
    let errors = schema_errors("sarif-schema-2.1.0.json", &log);
    assert!(errors.is_empty(), "{errors:#?}");
    let uris: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(!uris.is_empty());
    assert!(
        uris.iter()
            .all(|u| *u == "sql/daily%20report%20%C3%A9%231.sql"),
        "{uris:?}"
    );
}

/// Prepends comment lines to every file pipelint reads, as an unrelated
/// edit above the findings would.
fn insert_lines(root: &Path) {
    for entry in walk(root) {
        let name = entry.to_string_lossy().into_owned();
        let comment = if name.ends_with(".sql") {
            "-- moved down by an edit\n-- and another line\n"
        } else if name.ends_with(".py")
            || name.ends_with(".yml")
            || name.ends_with(".yaml")
            || name.ends_with(".toml")
        {
            "# moved down by an edit\n# and another line\n"
        } else {
            continue;
        };
        let text = std::fs::read_to_string(&entry).unwrap();
        std::fs::write(&entry, format!("{comment}{text}")).unwrap();
    }
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// (ruleId, fingerprint) → start lines, from a SARIF log.
fn fingerprint_lines(log: &Value) -> BTreeMap<(String, String), Vec<u64>> {
    let mut out: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
    for r in log["runs"][0]["results"].as_array().unwrap() {
        let key = (
            r["ruleId"].as_str().unwrap().to_string(),
            r["partialFingerprints"]["pipelint/v1"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap_or(0);
        out.entry(key).or_default().push(line);
    }
    out
}

#[test]
fn sarif_fingerprints_survive_inserting_lines() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("acme-broken"), dir.path());
    let before = fingerprint_lines(&sarif(dir.path()));
    insert_lines(dir.path());
    let after = fingerprint_lines(&sarif(dir.path()));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the same findings, with the same fingerprints"
    );
    assert_eq!(before.len(), 51, "every fingerprint is distinct");
    let moved = before
        .iter()
        .filter(|(k, lines)| after[*k].iter().zip(lines.iter()).all(|(a, b)| *a == b + 2))
        .count();
    assert!(
        moved >= 44,
        "lines moved by two for most findings, {moved} did"
    );
}

#[test]
fn github_annotations_stop_at_what_github_displays() {
    let (code, out) = run(&fixture("acme-broken"), "github");
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    let count = |p: &str| lines.iter().filter(|l| l.starts_with(p)).count();
    assert_eq!(count("::error "), 10);
    assert_eq!(count("::warning "), 10);
    assert_eq!(count("::notice file="), 2);
    assert_eq!(lines.len(), 23);
    assert_eq!(
        *lines.last().unwrap(),
        "::notice title=pipelint%3A more findings::29 more findings are not shown as \
         annotations (GitHub displays 10 of each type per step). Every finding is in the job \
         summary (--format markdown) and in code scanning (--format sarif)."
    );
    // The annotations that are written keep the workflow-command escaping.
    assert!(lines.iter().any(|l| l.starts_with(
        "::warning file=dags/marketing_attribution.py,line=24,col=18,title=PL103 cross-dag-without-trigger::`task:marke"
    )));
    assert!(lines.iter().any(|l| l.contains("%0Ahelp: ")));
    // A clean repo writes nothing at all.
    let (code, out) = run(&fixture("acme"), "github");
    assert_eq!((code, out.as_str()), (0, ""));
}

/// `--format markdown` with the variables GitHub Actions sets, the path
/// checked as a repo of its own.
fn markdown(path: &Path) -> (i32, String) {
    let p = path.to_string_lossy().into_owned();
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args([
            "check",
            p.as_str(),
            "--root",
            p.as_str(),
            "--format",
            "markdown",
        ])
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/warehouse")
        .env("GITHUB_SHA", "0123abc")
        .env("PIPELINT_CACHE_DIR", crate::common::CACHE_DIR)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn markdown_has_totals_a_rule_table_and_linked_findings() {
    let (code, md) = markdown(&fixture("acme-broken"));
    assert_eq!(code, 1);
    let version = env!("CARGO_PKG_VERSION");
    assert!(md.starts_with(
        "## pipelint\n\n**51 findings**: 27 errors, 22 warnings, 2 infos in 45 files (107 nodes, 108 edges).\n\n\
         | rule | code | severity | findings |\n|---|---|---|---:|\n"
    ), "{md}");
    assert!(md.contains(&format!(
        "| [`dag-cycle`](https://github.com/pipelint/pipelint/blob/v{version}/rules/dag-cycle.md) | PL101 | error | 5 |\n"
    )));
    assert!(md.contains(
        "- **error** [dags/account\\_health\\_refresh.py:13](https://github.com/acme/warehouse/blob/0123abc/dags/account_health_refresh.py#L13): \
         DAG `dag:account_health_refresh` only runs when triggered by hand"
    ), "{md}");
    // Nine findings of one rule are collapsed; five stay open.
    assert!(md.contains(
        "<details><summary><code>missing-failure-behavior</code> (PL302): 9 findings</summary>\n\n- **warn** "
    ));
    assert!(md.contains("### `dag-cycle` (PL101)\n\n- **error** "));
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    assert_eq!(md.matches("\n- **").count(), 51);
    assert!(!md.contains("left out"));

    // Without the GitHub variables, places are plain text.
    let p = fixture("acme-broken");
    let (_, plain, _) = pipelint(&["check", p.to_str().unwrap(), "--format", "markdown"]);
    assert!(plain.contains("- **error** dags/account\\_health\\_refresh.py:13: DAG"));

    let (code, md) = markdown(&fixture("acme"));
    assert_eq!(code, 0);
    assert!(md.starts_with("## pipelint\n\nNo findings in "), "{md}");
}

#[test]
fn markdown_stays_under_the_step_summary_limit() {
    let dir = tempfile::tempdir().unwrap();
    let sql = dir.path().join("sql");
    std::fs::create_dir_all(&sql).unwrap();
    for i in 0..1500 {
        std::fs::write(
            sql.join(format!("table_{i:04}.sql")),
            format!(
                "CREATE TABLE analytics.table_{i} AS SELECT a FROM raw.source_{i} \
                 JOIN raw.other_{i} USING (a) JOIN raw.third_{i} USING (a);\n"
            ),
        )
        .unwrap();
    }
    let (_, doc) = check_json(dir.path(), &[]);
    let total = doc["diagnostics"].as_array().unwrap().len();
    // 4,500 unresolved reads, and the scripts' missing owner and failure
    // behavior as one finding each (one [paths] glob fixes them).
    assert_eq!(total, 4502);
    let (_, md) = markdown(dir.path());
    assert!(md.len() < 1024 * 1024, "{} bytes", md.len());
    assert!(
        md.len() > 1000 * 1000,
        "the budget is used: {} bytes",
        md.len()
    );
    let shown = md.matches("\n- **").count();
    let last = md.lines().last().unwrap();
    assert_eq!(
        last,
        format!(
            "{} findings left out to stay under the summary size limit; `pipelint check --format json` lists them all.",
            total - shown
        )
    );
    assert!(shown > 1000 && shown < total);
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

#[test]
fn gitlab_code_quality_matches_the_documented_format() {
    let broken = fixture("acme-broken");
    let (code, text) = run(&broken, "gitlab");
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let errors = schema_errors("gitlab-codequality.schema.json", &doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let issues = doc.as_array().unwrap();
    assert_eq!(issues.len(), 51);
    let fingerprints = json_fingerprints(&broken);
    for (issue, fp) in issues.iter().zip(&fingerprints) {
        assert_eq!(issue["fingerprint"], fp.as_str());
    }
    assert_eq!(
        issues[0],
        serde_json::json!({
            "description": "DAG `dag:account_health_refresh` only runs when triggered by hand, but consumer `consumer:salesforce_reverse_etl` depends on it (help: set `schedule=` on the DAG (cron, preset, timedelta or Dataset/Asset list))",
            "check_name": "missing-cadence",
            "fingerprint": fingerprints[0],
            "severity": "major",
            "location": { "path": "dags/account_health_refresh.py", "lines": { "begin": 13 } }
        })
    );
    let severity = |s: &str| issues.iter().filter(|i| i["severity"] == s).count();
    assert_eq!(
        (severity("major"), severity("minor"), severity("info")),
        (27, 22, 2)
    );
    // The vendored schema is not a rubber stamp.
    let mut bad = issues[0].clone();
    bad["severity"] = "error".into();
    bad["location"]["path"] = "./dags/x.py".into();
    assert_eq!(
        schema_errors("gitlab-codequality.schema.json", &serde_json::json!([bad])).len(),
        2
    );
    let (code, text) = run(&fixture("acme"), "gitlab");
    assert_eq!((code, text.as_str()), (0, "[]\n"));
}

#[test]
fn junit_has_one_suite_per_rule_and_one_failure_per_finding() {
    let broken = fixture("acme-broken");
    let (code, xml) = run(&broken, "junit");
    assert_eq!(code, 1);
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"pipelint\" tests=\"51\" failures=\"51\" errors=\"0\">"
    ), "{xml}");
    assert_eq!(
        xml.matches("<testsuite ").count(),
        18,
        "one per rule with findings"
    );
    assert_eq!(xml.matches("<testcase ").count(), 51);
    assert_eq!(xml.matches("<failure ").count(), 51);
    assert!(xml.contains(
        "<testsuite name=\"dag-cycle\" tests=\"5\" failures=\"5\" errors=\"0\" skipped=\"0\">"
    ));
    let fp = &json_fingerprints(&broken)[0];
    assert!(xml.contains(&format!(
        "<testcase name=\"dag:account_health_refresh [{fp}]\" classname=\"pipelint.missing-cadence\">"
    )), "{xml}");
    assert!(xml.contains("dags/account_health_refresh.py:13:14: DAG `dag:account_health_refresh`"));

    if !external_tests() {
        println!("skipped: xmllint validation (set PIPELINT_EXTERNAL_TESTS=1)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, repo) in [("broken.xml", "acme-broken"), ("clean.xml", "acme")] {
        let (_, xml) = run(&fixture(repo), "junit");
        let file = dir.path().join(name);
        std::fs::write(&file, xml).unwrap();
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(repo_root().join("schemas/junit-10.xsd"))
            .arg(&file)
            .output()
            .expect("xmllint is installed (.ci/setup.d/10-ci-integrations.sh)");
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{said}");
        assert!(said.contains("validates"), "{said}");
        println!("xmllint: {}", said.trim());
    }
}
