//! GitHub Actions workflow commands: one annotation per finding on the PR line.

use std::fmt::Write as _;

use crate::check::Analysis;
use crate::diagnostic::Severity;
use crate::rules::code_of;

/// Escapes a message as the workflow-command grammar requires.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (file, title): data escaping plus `:` and `,`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders `::error file=…,line=…,col=…,title=…::message` lines.
pub fn render(analysis: &Analysis) -> String {
    let mut out = String::new();
    for d in &analysis.diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warn => "warning",
            Severity::Info => "notice",
        };
        let title = escape_property(&format!("{} {}", code_of(d.rule), d.rule));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = match &d.span {
            Some(s) => writeln!(
                out,
                "::{command} file={},line={},col={},title={title}::{}",
                escape_property(&s.file),
                s.line,
                s.column,
                escape_data(&message)
            ),
            None => writeln!(out, "::{command} title={title}::{}", escape_data(&message)),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_per_the_workflow_command_grammar() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
