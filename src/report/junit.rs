//! `check --format junit`: JUnit XML for CI systems that show test reports
//! (GitLab `artifacts: reports: junit`, Jenkins, Azure DevOps): one
//! testsuite per rule with findings, one failed testcase per finding. The
//! testcase name carries the fingerprint, so a finding keeps its identity
//! in a test history when its lines move.

use std::collections::BTreeMap;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::check::Analysis;
use crate::diagnostic::Diagnostic;
use crate::report::terminal::sanitize;
use crate::rules::code_of;

/// Repo text fit for XML 1.0, which allows no control characters even
/// escaped: each line sanitized, lines kept.
fn xml_text(s: &str) -> String {
    s.lines()
        .map(|l| sanitize(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a failure's body says: the place, the message, help, related places.
fn body(d: &Diagnostic) -> String {
    let mut out = match &d.span {
        Some(s) => format!("{}:{}:{}: {}", s.file, s.line, s.column, d.message),
        None => d.message.clone(),
    };
    if let Some(help) = &d.help {
        out.push_str("\nhelp: ");
        out.push_str(help);
    }
    for r in &d.related {
        out.push_str("\nrelated: ");
        if let Some(s) = &r.span {
            out.push_str(&format!("{}:{}:{}: ", s.file, s.line, s.column));
        }
        out.push_str(&r.message);
    }
    xml_text(&out)
}

/// The testcase name: what the finding is about, and its fingerprint.
fn case_name(analysis: &Analysis, d: &Diagnostic) -> String {
    let subject = d
        .node
        .clone()
        .or_else(|| d.span.as_ref().map(|s| s.file.to_string()))
        .unwrap_or_else(|| "repository".to_string());
    xml_text(&format!("{subject} [{}]", analysis.fingerprint(d)))
}

/// Renders the findings as one `<testsuites>` document.
pub fn render(analysis: &Analysis) -> String {
    let mut by_rule: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &analysis.diagnostics {
        by_rule.entry(code_of(d.rule)).or_default().push(d);
    }
    let total = analysis.diagnostics.len().to_string();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let result = (|| -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("testsuites")
            .with_attributes([
                ("name", "pipelint"),
                ("tests", total.as_str()),
                ("failures", total.as_str()),
                ("errors", "0"),
            ])
            .write_inner_content(|w| {
                for findings in by_rule.values() {
                    let rule = findings[0].rule;
                    let count = findings.len().to_string();
                    w.create_element("testsuite")
                        .with_attributes([
                            ("name", rule),
                            ("tests", count.as_str()),
                            ("failures", count.as_str()),
                            ("errors", "0"),
                            ("skipped", "0"),
                        ])
                        .write_inner_content(|w| {
                            for d in findings {
                                let name = case_name(analysis, d);
                                let classname = format!("pipelint.{rule}");
                                let message = sanitize(&d.message);
                                let text = body(d);
                                w.create_element("testcase")
                                    .with_attributes([
                                        ("name", name.as_str()),
                                        ("classname", classname.as_str()),
                                    ])
                                    .write_inner_content(|w| {
                                        w.create_element("failure")
                                            .with_attributes([
                                                ("type", d.severity.as_str()),
                                                ("message", message.as_ref()),
                                            ])
                                            .write_text_content(BytesText::new(&text))?;
                                        Ok(())
                                    })?;
                            }
                            Ok(())
                        })?;
                }
                Ok(())
            })?;
        Ok(())
    })();
    match result {
        Ok(()) => String::from_utf8_lossy(&w.into_inner()).into_owned() + "\n",
        Err(e) => format!("<!-- cannot write JUnit XML: {e} -->\n"),
    }
}
