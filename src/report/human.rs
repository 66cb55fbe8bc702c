//! Terminal output: a one-line header per finding (`file:line:col: CODE slug
//! message`, as editors and CI logs expect) and a miette code frame.

use std::fmt::{self, Display, Write as _};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use crate::check::Analysis;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::code_of;

/// How to render.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// Use colors.
    pub color: bool,
    /// Only the header lines, no code frames and no summary.
    pub quiet: bool,
}

/// Renders all findings and a summary line.
pub fn render(analysis: &Analysis, options: HumanOptions) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_width(100);
    let mut out = String::new();
    for d in &analysis.diagnostics {
        let _ = writeln!(out, "{}", header(d));
        if options.quiet {
            continue;
        }
        let report = Report::new(d, analysis);
        let mut frame = String::new();
        if handler.render_report(&mut frame, &report).is_ok() {
            out.push_str(&frame);
        }
        out.push('\n');
    }
    if !options.quiet {
        let (errors, warnings, infos) = analysis.counts();
        let files = analysis.context.sources.len();
        let _ = writeln!(
            out,
            "{} error{}, {} warning{}, {} info in {} file{} ({} nodes, {} edges)",
            errors,
            plural(errors),
            warnings,
            plural(warnings),
            infos,
            files,
            plural(files),
            analysis.graph.inner.node_count(),
            analysis.graph.inner.edge_count()
        );
        if !analysis.skipped.is_empty() {
            let by: Vec<String> = analysis
                .skipped
                .iter()
                .map(|(pattern, n)| format!("{n} by `{pattern}`"))
                .collect();
            let total: usize = analysis.skipped.values().sum();
            let _ = writeln!(
                out,
                "{total} file{} skipped: {}",
                plural(total),
                by.join(", ")
            );
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `file:line:col: PL401 consumer-reads-raw [error] message`.
pub fn header(d: &Diagnostic) -> String {
    let place = d.span.as_ref().map_or_else(
        || "<repo>".to_string(),
        |s| format!("{}:{}:{}", s.file, s.line, s.column),
    );
    format!(
        "{place}: {} {} [{}] {}",
        code_of(d.rule),
        d.rule,
        d.severity.as_str(),
        d.message
    )
}

/// A finding dressed for miette: the primary label and related places of the
/// same file as labels, related places in other files as related reports.
struct Report<'a> {
    d: &'a Diagnostic,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    others: Vec<Related>,
}

impl<'a> Report<'a> {
    fn new(d: &'a Diagnostic, analysis: &Analysis) -> Report<'a> {
        let mut labels = Vec::new();
        let mut others = Vec::new();
        let source = d.span.as_ref().and_then(|s| {
            let text = analysis.context.sources.get(&s.file)?;
            Some(NamedSource::new(&s.file, text.to_string()))
        });
        if let (Some(span), Some(_)) = (&d.span, &source) {
            // The primary place is often one of the related ones: use its words.
            let text = d
                .related
                .iter()
                .find(|r| r.span.as_ref() == Some(span))
                .map_or_else(|| "here".to_string(), |r| r.message.clone());
            labels.push(LabeledSpan::new_primary_with_span(
                Some(text),
                (span.offset, span.len),
            ));
        }
        for r in &d.related {
            match (&r.span, &d.span) {
                (Some(rs), Some(ps)) if rs.file == ps.file && source.is_some() => {
                    if (rs.offset, rs.len) != (ps.offset, ps.len) {
                        labels.push(LabeledSpan::new_with_span(
                            Some(r.message.clone()),
                            (rs.offset, rs.len),
                        ));
                    }
                }
                (Some(rs), _) => others.push(Related {
                    message: format!("{}:{}:{}: {}", rs.file, rs.line, rs.column, r.message),
                }),
                (None, _) => others.push(Related {
                    message: r.message.clone(),
                }),
            }
        }
        Report {
            d,
            source,
            labels,
            others,
        }
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warn => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn Display + 'b>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        (!self.others.is_empty()).then(|| {
            Box::new(self.others.iter().map(|r| r as &dyn miette::Diagnostic))
                as Box<dyn Iterator<Item = _>>
        })
    }
}

/// A related place in another file, shown as an advice line.
#[derive(Debug)]
struct Related {
    message: String,
}

impl Display for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Related {}

impl miette::Diagnostic for Related {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }
}
