//! Exact positions: line and column (1-based, in Unicode scalar values)
//! agree between the human header, JSON, SARIF and GitHub annotations on
//! lines with multibyte characters, CRLF endings and a byte-order mark.

mod common;

use common::pipelint;

/// `(line, column)` of every finding in each format, sorted.
fn positions(repo: &std::path::Path, select: &str) -> [Vec<(u64, u64)>; 4] {
    let p = repo.to_string_lossy().into_owned();
    let run = |format: &str| {
        let (_, out, err) = pipelint(&[
            "check",
            p.as_str(),
            "--select",
            select,
            "--format",
            format,
            "--no-color",
        ]);
        assert!(!out.is_empty(), "{err}");
        out
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let json: Vec<(u64, u64)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap()))
        .collect();
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["columnKind"], "unicodeCodePoints");
    let sarif: Vec<(u64, u64)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let region = &r["locations"][0]["physicalLocation"]["region"];
            (
                region["startLine"].as_u64().unwrap(),
                region["startColumn"].as_u64().unwrap(),
            )
        })
        .collect();
    let field = |line: &str, key: &str| -> u64 {
        line.split([',', ' ', ':'])
            .find_map(|f| f.strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    let github: Vec<(u64, u64)> = run("github")
        .lines()
        .filter(|l| l.starts_with("::"))
        .map(|l| (field(l, "line="), field(l, "col=")))
        .collect();
    let human: Vec<(u64, u64)> = run("human")
        .lines()
        .filter(|l| l.starts_with("sql/") || l.starts_with("dags/"))
        .filter_map(|l| {
            let mut parts = l.split(':').skip(1);
            Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
        })
        .collect();
    let mut all = [json, sarif, github, human];
    for v in &mut all {
        v.sort();
    }
    all
}

#[test]
fn sql_positions_count_characters_past_a_bom_crlf_and_multibyte_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sql")).unwrap();
    std::fs::write(
        dir.path().join("sql/p.sql"),
        "\u{feff}SELECT 1;\r\n-- café 😀\r\nSELECT 'éé', x FROM raw.b WHERE;\r\nSELECT 'ü' FROM\r\n",
    )
    .unwrap();
    let [json, sarif, github, human] = positions(dir.path(), "unparsed-sql");
    // One finding per file, at its first statement that does not parse: the
    // missing condition is where `;` is, the 32nd character of line 3.
    assert_eq!(json, [(3, 32)]);
    assert_eq!(sarif, json);
    assert_eq!(github, json);
    assert_eq!(human, json);
}

#[test]
fn python_positions_count_characters_past_a_bom_crlf_and_multibyte_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("dags")).unwrap();
    std::fs::write(
        dir.path().join("dags/d.py"),
        "\u{feff}# ☕ café\r\nfrom airflow import DAG\r\n\r\nné = 1; dag = DAG('😀_daily', schedule='@daily')\r\n",
    )
    .unwrap();
    let [json, sarif, github, human] = positions(dir.path(), "missing-owner");
    assert_eq!(json, [(4, 15)]);
    assert_eq!(sarif, json);
    assert_eq!(github, json);
    assert_eq!(human, json);
}
