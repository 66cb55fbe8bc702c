//! Every registered rule has a page, and every page a rule; `explain` and
//! `rules` show them.

mod common;

use std::collections::BTreeSet;

use common::pipelint;

#[test]
fn every_rule_has_a_page_and_every_page_a_rule() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let pages: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".md"))
                .map(str::to_string)
        })
        .collect();
    let rules: BTreeSet<String> = pipelint::rules::all()
        .iter()
        .map(|m| m.slug.to_string())
        .collect();
    assert_eq!(pages, rules);
    for m in pipelint::rules::all() {
        assert!(
            m.doc.starts_with(&format!("# {} ({})", m.slug, m.code)),
            "{} page title",
            m.slug
        );
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## How to fix",
            "## How to allow",
        ] {
            assert!(m.doc.contains(section), "{} lacks {section}", m.slug);
        }
        assert!(
            m.doc.contains(&format!(
                "Default severity: **{}**",
                m.default_severity.as_str()
            )),
            "{} severity",
            m.slug
        );
    }
}

#[test]
fn explain_accepts_slug_or_code() {
    let (code, by_slug, _) = pipelint(&["explain", "consumer-reads-raw"]);
    assert_eq!(code, 0);
    let (_, by_code, _) = pipelint(&["explain", "PL401"]);
    assert_eq!(by_slug, by_code);
    assert!(by_slug.contains("## Why is this bad?"));
    let (code, _, err) = pipelint(&["explain", "consumer-read-raw"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `consumer-reads-raw`"), "{err}");
}

#[test]
fn rules_lists_every_rule() {
    let (code, out, _) = pipelint(&["rules"]);
    assert_eq!(code, 0);
    for m in pipelint::rules::all() {
        assert!(
            out.contains(m.code) && out.contains(m.slug),
            "{} missing from `pipelint rules`",
            m.slug
        );
    }
}
