//! GitHub Actions workflow commands: one annotation per finding on the PR line.
//!
//! GitHub shows at most [`PER_TYPE`] annotations of each type (error,
//! warning, notice) per step and 50 per job, and drops the rest silently. So
//! at most that many of each type are written, errors first as the findings
//! are sorted, and one closing notice says how many were left out and where
//! to see them all (the step summary and code scanning).

use std::fmt::Write as _;

use crate::check::Analysis;
use crate::diagnostic::{Diagnostic, Severity};
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

/// Annotations of one type GitHub displays per step.
pub const PER_TYPE: usize = 10;

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warn => "warning",
        Severity::Info => "notice",
    }
}

/// Renders `::error file=…,line=…,col=…,title=…::message` lines, capped at
/// what GitHub displays, plus a closing notice when some were left out.
pub fn render(analysis: &Analysis) -> String {
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut left_out = 0usize;
    for d in &analysis.diagnostics {
        let slot = &mut shown[d.severity as usize];
        // One notice slot stays free for the closing notice.
        let cap = if d.severity == Severity::Info {
            PER_TYPE - 1
        } else {
            PER_TYPE
        };
        if *slot >= cap {
            left_out += 1;
            continue;
        }
        *slot += 1;
        annotation(&mut out, d);
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "::notice title={}::{}",
            escape_property("pipelint: more findings"),
            escape_data(&format!(
                "{left_out} more finding{} not shown as annotations (GitHub displays {PER_TYPE} \
                 of each type per step). Every finding is in the job summary \
                 (--format markdown) and in code scanning (--format sarif).",
                if left_out == 1 { " is" } else { "s are" }
            ))
        );
    }
    out
}

fn annotation(out: &mut String, d: &Diagnostic) {
    let command = command(d.severity);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_per_the_workflow_command_grammar() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
