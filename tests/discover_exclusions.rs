//! Discovery skips what is not pipeline code, and says how much it skipped.

mod common;

use common::{check_json, findings, fixture, pipelint};

#[test]
fn fixtures_templates_and_configured_folders_are_skipped_and_counted() {
    let dir = fixture("discover");
    let (code, doc) = check_json(&dir, &["--fail-on", "info"]);
    assert_eq!(findings(&doc), Vec::<String>::new());
    assert_eq!(code, 0);
    assert_eq!(
        doc["summary"]["skipped"],
        serde_json::json!({
            "**/testdata/**": 1,
            "**/tests/**/fixtures/**": 2,
            "sql/scratch": 1,
            "sql_templates": 1,
        })
    );
    let (_, out, _) = pipelint(&["check", dir.to_str().unwrap(), "--no-color"]);
    assert!(
        out.contains("5 files skipped: 1 by `**/testdata/**`, 2 by `**/tests/**/fixtures/**`, 1 by `sql/scratch`, 1 by `sql_templates`"),
        "{out}"
    );
}
