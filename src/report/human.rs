//! Terminal output: a one-line header per finding (`file:line:col: CODE slug
//! [severity] message`, as editors and CI logs expect), a code frame, one
//! line per related place and the help; then a per-rule table and the totals,
//! as ruff's `--statistics` prints them.
//!
//! Why not miette (used before): its frame repeats the message, prints each
//! related place as a separate "Advice" block, panics on a column past
//! 65,536, prints a 16 MB line whole, and costs time proportional to the file
//! for every finding. The frame here is a few lines cut from a per-file line
//! index: its cost is bounded per finding, its width is capped, and its caret
//! stands under the character the header's column names (columns in
//! characters, a BOM and a line's `\r` not shown). Every piece of repo text
//! (file names, messages, source lines) goes through
//! [`crate::report::terminal`], so no control character reaches the terminal
//! and no line begins with `::`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use crate::check::Analysis;
use crate::diagnostic::{Diagnostic, Severity};
use crate::report::terminal::{safe_line, sanitize};
use crate::rules::code_of;
use crate::span::{LineIndex, Span};

/// How much of a long line the frame shows on either side of the finding, in bytes.
const FRAME_SIDE_BYTES: usize = 60;

/// The most bytes of one source line the frame looks at.
const FRAME_MAX_BYTES: usize = 240;

/// Related places printed under one frame; the rest are counted.
const RELATED_SHOWN: usize = 8;

/// How to render.
#[derive(Debug, Clone, Default)]
pub struct HumanOptions {
    /// Use colors.
    pub color: bool,
    /// One line per finding and the one-line totals: no frames, no table.
    pub quiet: bool,
    /// Only the per-rule table and the totals.
    pub statistics: bool,
    /// A line printed before the totals (e.g. about baselined findings).
    pub note: Option<String>,
}

/// Renders all findings, the per-rule table and the totals.
pub fn render(analysis: &Analysis, options: &HumanOptions) -> String {
    let mut out = String::new();
    let style = Style {
        color: options.color,
    };
    if !options.statistics {
        let mut frames = Frames::default();
        for d in &analysis.diagnostics {
            let _ = writeln!(out, "{}", style.header(d));
            if !options.quiet {
                frames.render(&mut out, analysis, d, &style);
                out.push('\n');
            }
        }
    }
    if !options.quiet && !analysis.diagnostics.is_empty() {
        out.push_str(&statistics(&analysis.diagnostics));
    }
    if let Some(note) = &options.note {
        let _ = writeln!(out, "{}", safe_line(note));
    }
    out.push_str(&totals(analysis));
    out
}

/// `file:line:col: PL401 consumer-reads-raw [error] message`, safe for a terminal.
pub fn header(d: &Diagnostic) -> String {
    Style { color: false }.header(d)
}

/// The per-rule table: code, slug, severity, count; most frequent first.
pub fn statistics(diags: &[Diagnostic]) -> String {
    let mut counts: BTreeMap<(&str, &str, Severity), usize> = BTreeMap::new();
    for d in diags {
        *counts
            .entry((code_of(d.rule), d.rule, d.severity))
            .or_insert(0) += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let width = rows
        .iter()
        .map(|((_, s, _), _)| s.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!(
        "{:<6} {:<width$} {:<8} {:>6}\n",
        "code", "rule", "severity", "count"
    );
    for ((code, slug, sev), n) in rows {
        let _ = writeln!(out, "{code:<6} {slug:<width$} {:<8} {n:>6}", sev.as_str());
    }
    out
}

/// What `check --watch` prints after a re-check: a `+ header` line per
/// finding that appeared, a `- header` line per finding gone (each in report
/// order), then one summary line: `1 appeared, 0 gone; <totals> [84 ms]`.
pub fn changes(
    appeared: &[Diagnostic],
    gone: &[Diagnostic],
    analysis: &Analysis,
    millis: u128,
    color: bool,
) -> String {
    let style = Style { color };
    let mut out = String::new();
    for (sign, code, diags) in [("+", "32", appeared), ("-", "31", gone)] {
        for d in diags {
            let _ = writeln!(out, "{} {}", style.paint(code, sign), style.header(d));
        }
    }
    let _ = writeln!(
        out,
        "{} appeared, {} gone; {} [{millis} ms]",
        appeared.len(),
        gone.len(),
        totals_line(analysis)
    );
    out
}

/// `29 errors, 20 warnings, 2 info in 40 files (120 nodes, 200 edges)`,
/// without a line break.
pub fn totals_line(analysis: &Analysis) -> String {
    let (errors, warnings, infos) = analysis.counts();
    let files = analysis.context.sources.len();
    format!(
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
    )
}

/// The totals line, then a line counting skipped files when any were.
fn totals(analysis: &Analysis) -> String {
    let mut out = totals_line(analysis);
    out.push('\n');
    if !analysis.skipped.is_empty() {
        let by: Vec<String> = analysis
            .skipped
            .iter()
            .map(|(pattern, n)| format!("{n} by `{}`", sanitize(pattern)))
            .collect();
        let total: usize = analysis.skipped.values().sum();
        let _ = writeln!(
            out,
            "{total} file{} skipped: {}",
            plural(total),
            by.join(", ")
        );
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

fn place(span: &Span) -> String {
    format!("{}:{}:{}", span.file, span.line, span.column)
}

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity_code(s: Severity) -> &'static str {
        match s {
            Severity::Error => "1;31",
            Severity::Warn => "1;33",
            Severity::Info => "1;36",
        }
    }

    fn header(&self, d: &Diagnostic) -> String {
        let place = d.span.as_ref().map_or_else(|| "<repo>".to_string(), place);
        let line = format!(
            "{place}: {} {} [{}] {}",
            code_of(d.rule),
            d.rule,
            d.severity.as_str(),
            d.message
        );
        let line = safe_line(&line).into_owned();
        if !self.color {
            return line;
        }
        let tag = format!("[{}]", d.severity.as_str());
        line.replacen(&tag, &self.paint(Self::severity_code(d.severity), &tag), 1)
    }
}

/// Code frames, with each file's line index built once for all its findings.
#[derive(Default)]
struct Frames {
    indexes: HashMap<Arc<str>, LineIndex>,
}

impl Frames {
    fn render(&mut self, out: &mut String, analysis: &Analysis, d: &Diagnostic, style: &Style) {
        let gutter;
        if let Some(span) = &d.span {
            if let Some(text) = analysis.context.sources.get(&span.file) {
                let index = self
                    .indexes
                    .entry(span.file.clone())
                    .or_insert_with(|| LineIndex::new(&text));
                let label = d
                    .related
                    .iter()
                    .find(|r| r.span.as_ref() == Some(span))
                    .map(|r| r.message.as_str());
                gutter = frame(out, &text, index, span, label, style);
            } else {
                gutter = 4;
            }
        } else {
            gutter = 4;
        }
        let pad = " ".repeat(gutter - 1);
        let others: Vec<_> = d
            .related
            .iter()
            .filter(|r| r.span.is_none() || r.span.as_ref() != d.span.as_ref())
            .collect();
        for r in others.iter().take(RELATED_SHOWN) {
            let at = r
                .span
                .as_ref()
                .map(|s| format!("{}: ", place(s)))
                .unwrap_or_default();
            let line = format!("{pad}= {at}{}", r.message);
            let _ = writeln!(out, "{}", safe_line(&line));
        }
        if others.len() > RELATED_SHOWN {
            let _ = writeln!(
                out,
                "{pad}= … and {} more (every one in --format json)",
                others.len() - RELATED_SHOWN
            );
        }
        if let Some(help) = &d.help {
            for (i, line) in help.lines().enumerate() {
                let lead = if i == 0 {
                    style.paint("1;32", "= help: ")
                } else {
                    "        ".to_string()
                };
                let _ = writeln!(out, "{pad}{lead}{}", sanitize(line));
            }
        }
    }
}

/// Writes the frame of one finding: the line before, the line, the carets,
/// the line after; long lines cut around the finding. Returns the gutter width.
fn frame(
    out: &mut String,
    text: &str,
    index: &LineIndex,
    span: &Span,
    label: Option<&str>,
    style: &Style,
) -> usize {
    let line_no = span.line.max(1);
    let start = index.offset(text, line_no, 1);
    let caret = floor(text, span.offset.clamp(start, text.len()));
    let gutter = (line_no as usize + 1).to_string().len() + 2;
    let bar = format!("{}|", " ".repeat(gutter - 1));
    let _ = writeln!(out, "{bar}");
    let cut = caret - start > FRAME_SIDE_BYTES;
    if !cut && line_no > 1 {
        let prev = index.offset(text, line_no - 1, 1);
        let shown = Shown::new(text, prev, prev, start);
        let _ = writeln!(out, "{:>w$} | {}", line_no - 1, shown.text, w = gutter - 2);
    }
    let left = if cut {
        floor(text, caret - FRAME_SIDE_BYTES)
    } else {
        start
    };
    let shown = Shown::new(text, start, left, caret.saturating_add(span.len));
    let _ = writeln!(out, "{:>w$} | {}", line_no, shown.text, w = gutter - 2);
    let col = shown.width_to(text, caret);
    let end = floor(text, caret.saturating_add(span.len).min(shown.end));
    let width = shown.width_to(text, end).saturating_sub(col).max(1);
    let carets = style.paint("1;31", &"^".repeat(width));
    let label = label
        .map(|l| format!(" {}", sanitize(l)))
        .unwrap_or_default();
    let _ = writeln!(out, "{bar} {}{carets}{label}", " ".repeat(col));
    let next = index.offset(text, line_no + 1, 1);
    if !cut && next > start && next < text.len() {
        let shown = Shown::new(text, next, next, next);
        let _ = writeln!(out, "{:>w$} | {}", line_no + 1, shown.text, w = gutter - 2);
    }
    let _ = writeln!(out, "{bar}");
    gutter
}

/// The part of one source line shown in a frame, made safe and cut to width.
struct Shown {
    /// What is printed.
    text: String,
    /// Byte offset of the first source character shown.
    from: usize,
    /// Byte offset after the last source character shown.
    end: usize,
    /// Display width of the leading `…` when the line was cut on the left.
    lead: usize,
}

impl Shown {
    /// The line starting at `line_start`, shown from `from`, reaching at
    /// least to `want` where the width allows.
    fn new(text: &str, line_start: usize, from: usize, want: usize) -> Shown {
        let limit = floor(text, (from + FRAME_MAX_BYTES).min(text.len()));
        let newline = text[from..limit].find('\n').map(|i| from + i);
        let hard_end = newline.unwrap_or(limit);
        let target = floor(text, want.max(from + FRAME_SIDE_BYTES * 2));
        let end = hard_end.min(target);
        let cut_right = end < hard_end || (newline.is_none() && limit < text.len());
        let mut shown = String::new();
        let lead = usize::from(from > line_start);
        if lead == 1 {
            shown.push('…');
        }
        shown.push_str(&display(text, from, end, from == 0));
        if cut_right {
            shown.push('…');
        }
        Shown {
            text: shown,
            from,
            end,
            lead,
        }
    }

    /// The display width from the start of what is shown to byte `at`.
    fn width_to(&self, text: &str, at: usize) -> usize {
        let at = floor(text, at.clamp(self.from, self.end));
        self.lead + display(text, self.from, at, self.from == 0).chars().count()
    }
}

/// Source text made printable: a BOM at the file start and a line's final
/// `\r` dropped, tabs as four spaces, controls escaped.
fn display(text: &str, from: usize, to: usize, file_start: bool) -> String {
    let mut part = &text[from..to];
    if file_start {
        part = part.strip_prefix('\u{feff}').unwrap_or(part);
    }
    let part = part.strip_suffix('\r').unwrap_or(part);
    sanitize(part).replace('\t', "    ")
}

fn floor(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, needle: &str) -> Span {
        let offset = text.find(needle).unwrap();
        LineIndex::new(text).span(&Arc::from("f.sql"), text, offset, offset + needle.len())
    }

    fn frame_of(text: &str, needle: &str) -> (Span, String) {
        let s = span(text, needle);
        let mut out = String::new();
        frame(
            &mut out,
            text,
            &LineIndex::new(text),
            &s,
            None,
            &Style { color: false },
        );
        (s, out)
    }

    /// The column (1-based, in characters) where the carets start.
    fn caret_column(frame: &str) -> usize {
        let lines: Vec<&str> = frame.lines().collect();
        let carets = lines.iter().find(|l| l.contains('^')).unwrap();
        let source = lines[lines.iter().position(|l| l.contains('^')).unwrap() - 1];
        let bar = source.find(" | ").unwrap() + 3;
        carets.chars().position(|c| c == '^').unwrap() + 1 - bar
    }

    #[test]
    fn carets_stand_under_the_column_of_the_header() {
        for text in [
            "select 1;\nselect * from raw.orders;\n",
            "select 'é€😀' as x, * from raw.orders;\n",
            "\u{feff}select * from raw.orders;\r\nselect 2;\r\n",
            "select 'ü' as a\r\n  , * from raw.orders\r\n",
        ] {
            let (s, out) = frame_of(text, "raw.orders");
            assert_eq!(caret_column(&out), s.column as usize, "{text:?}\n{out}");
            assert_eq!(underlined(&out), "raw.orders", "{out}");
            assert!(!out.contains('\r') && !out.contains('\u{feff}'), "{out}");
        }
    }

    #[test]
    fn a_huge_line_is_cut_around_the_finding() {
        let text = format!(
            "select {} from raw.orders, {}",
            "a,".repeat(100_000),
            "b,".repeat(8_000_000)
        );
        let (s, out) = frame_of(&text, "raw.orders");
        assert!(s.column > 65_536);
        assert!(out.len() < 1_000, "{} bytes", out.len());
        assert!(out.contains("…") && out.contains("raw.orders"), "{out}");
        assert_eq!(underlined(&out), "raw.orders");
    }

    /// The source text above the carets.
    fn underlined(frame: &str) -> String {
        let lines: Vec<&str> = frame.lines().collect();
        let at = lines.iter().position(|l| l.contains('^')).unwrap();
        let src: Vec<char> = lines[at - 1].chars().collect();
        let carets: Vec<char> = lines[at].chars().collect();
        let from = carets.iter().position(|c| *c == '^').unwrap();
        let to = carets.iter().rposition(|c| *c == '^').unwrap();
        src[from..=to].iter().collect()
    }

    #[test]
    fn control_characters_are_escaped_in_the_frame() {
        let text = "select 1 \x1b]0;pwned\x07 from raw.orders\n";
        let (_, out) = frame_of(text, "raw.orders");
        assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out}");
        assert!(out.contains("\\x1b]0;pwned\\x07"), "{out}");
        assert_eq!(underlined(&out), "raw.orders");
    }

    #[test]
    fn the_table_counts_per_rule_most_first() {
        let d = |rule, sev| {
            let mut d = Diagnostic::new(rule, "m");
            d.severity = sev;
            d
        };
        let t = statistics(&[
            d("layer-skip", Severity::Warn),
            d("dag-cycle", Severity::Error),
            d("layer-skip", Severity::Warn),
        ]);
        assert_eq!(
            t,
            "code   rule       severity  count\nPL402  layer-skip warn          2\nPL101  dag-cycle  error         1\n"
        );
    }
}
