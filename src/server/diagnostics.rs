//! pipelint findings as LSP diagnostics, per file, and what was last
//! published: a file whose list changed is published again, one that no
//! longer has findings gets an empty list.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Range, Uri,
};

use super::documents::{uri_of, Documents};
use super::positions::{Converter, Encoding};
use crate::check::Analysis;
use crate::diagnostic::{Diagnostic, Severity};
use crate::span::Span;

/// One published finding, with what hover and code actions need of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// As the editor shows it.
    pub lsp: lsp_types::Diagnostic,
    /// The pipelint finding.
    pub diagnostic: Diagnostic,
}

impl Finding {
    /// Where hover and code actions find this finding: its range, or from
    /// its position to the end of the line when the range is empty (a
    /// finding at a point, which editors show on the word there).
    pub fn reach(&self) -> Range {
        let range = self.lsp.range;
        if range.start == range.end {
            Range::new(
                range.start,
                lsp_types::Position::new(range.start.line, u32::MAX),
            )
        } else {
            range
        }
    }

    /// Whether `range` (a cursor or a selection) touches this finding, its
    /// ends included (the cursor just after a name is on it).
    pub fn touches(&self, range: Range) -> bool {
        let reach = self.reach();
        reach.start <= range.end && range.start <= reach.end
    }
}

/// One file's findings.
#[derive(Debug, Clone)]
pub struct FileFindings {
    /// The file's URI.
    pub uri: Uri,
    /// Its findings, in pipelint's order.
    pub list: Vec<Finding>,
}

/// Every file's findings, by repo-relative path.
pub type Findings = BTreeMap<Arc<str>, FileFindings>;

/// The findings of an analysis by file, positions in `encoding` counted in
/// the text the editor holds (its buffer when open, else the file as read),
/// URIs made from `root`.
/// Findings without a location are left out: there is no place to show them.
/// Files not open in the editor are taken from `disk` when it holds them,
/// else read and kept there.
pub fn convert(
    analysis: &Analysis,
    root: &Path,
    documents: &Documents,
    encoding: Encoding,
    disk: &mut DiskTexts,
) -> Findings {
    let texts = Texts {
        analysis,
        root,
        documents,
        encoding,
        files: RefCell::new(HashMap::new()),
        disk: RefCell::new(disk),
    };
    let mut by_file: BTreeMap<&Arc<str>, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &analysis.diagnostics {
        if let Some(span) = &d.span {
            by_file.entry(&span.file).or_default().push(d);
        }
    }
    let mut out = Findings::new();
    for (file, diagnostics) in by_file {
        let shown = texts.file(file);
        let Some(uri) = shown.uri.clone() else {
            continue;
        };
        let findings = diagnostics
            .into_iter()
            .map(|d| Finding {
                lsp: lsp_diagnostic(d, &shown.converter, &texts),
                diagnostic: d.clone(),
            })
            .collect();
        out.insert(
            file.clone(),
            FileFindings {
                uri,
                list: findings,
            },
        );
    }
    out
}

/// The files last read from disk to place findings, kept from one
/// conversion to the next while nothing changed on disk: an edit converts
/// the findings of a few hundred files again, and each of them would be
/// read and its lines indexed again.
#[derive(Default)]
pub struct DiskTexts(HashMap<Arc<str>, Rc<Shown>>);

impl DiskTexts {
    /// Forgets every file, when the disk changed or may have.
    pub fn forget(&mut self) {
        self.0.clear();
    }
}

/// The texts positions are counted in, each file's made once per
/// conversion (a grouped finding's related places share a few files).
struct Texts<'a> {
    analysis: &'a Analysis,
    /// The root URIs are made from (as the editor spells it).
    root: &'a Path,
    documents: &'a Documents,
    encoding: Encoding,
    files: RefCell<HashMap<Arc<str>, Rc<Shown>>>,
    /// The files not open in the editor, kept across conversions.
    disk: RefCell<&'a mut DiskTexts>,
}

/// A file as the editor holds it.
struct Shown {
    /// The editor's own URI for an open buffer (however it spells it), else
    /// the one made from the path.
    uri: Option<Uri>,
    /// Positions in its text: the buffer when open, else the file as read.
    converter: Converter,
}

impl Texts<'_> {
    fn file(&self, file: &Arc<str>) -> Rc<Shown> {
        if let Some(shown) = self.files.borrow().get(file) {
            return shown.clone();
        }
        let shown = match self.documents.by_rel(file) {
            Some((uri, doc)) => Rc::new(Shown {
                uri: Some(uri.clone()),
                converter: Converter::new(Arc::from(doc.text.as_str()), self.encoding),
            }),
            None => {
                let kept = self.disk.borrow().0.get(file).cloned();
                kept.unwrap_or_else(|| {
                    let shown = Rc::new(Shown {
                        uri: uri_of(self.root, file),
                        converter: Converter::new(
                            self.analysis.context.sources.get(file).unwrap_or_default(),
                            self.encoding,
                        ),
                    });
                    self.disk.borrow_mut().0.insert(file.clone(), shown.clone());
                    shown
                })
            }
        };
        self.files.borrow_mut().insert(file.clone(), shown.clone());
        shown
    }

    /// Where a span of any file is, for related places.
    fn location(&self, span: &Span) -> Option<Location> {
        let shown = self.file(&span.file);
        Some(Location::new(
            shown.uri.clone()?,
            range(&shown.converter, span),
        ))
    }
}

/// The range of a span: from its line and column, as long as its bytes.
pub fn range(converter: &Converter, span: &Span) -> Range {
    let start = converter.offset_of(span.line, span.column);
    Range::new(
        converter.position(start),
        converter.position(start.saturating_add(span.len)),
    )
}

fn lsp_diagnostic(
    d: &Diagnostic,
    converter: &Converter,
    texts: &Texts<'_>,
) -> lsp_types::Diagnostic {
    let meta = crate::rules::find(d.rule);
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            Some(DiagnosticRelatedInformation {
                location: texts.location(r.span.as_ref()?)?,
                message: r.message.clone(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range: d
            .span
            .as_ref()
            .map_or_else(Range::default, |s| range(converter, s)),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warn => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(crate::rules::code_of(d.rule).into())),
        code_description: meta
            .and_then(|m| m.page_url().parse().ok())
            .map(|href| CodeDescription { href }),
        source: Some("pipelint".into()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// The files to publish to go from `before` to `after`: each file whose
/// findings changed, with its new list (empty for a file that has none
/// left), in path order.
pub fn changes<'a>(
    before: &Findings,
    after: &'a Findings,
) -> Vec<(Uri, Vec<&'a lsp_types::Diagnostic>)> {
    let lsp = |f: &'a FileFindings| f.list.iter().map(|f| &f.lsp).collect::<Vec<_>>();
    let mut out: Vec<(&Arc<str>, Uri, Vec<&lsp_types::Diagnostic>)> = after
        .iter()
        .filter(|(file, now)| {
            before.get(*file).is_none_or(|old| {
                old.uri != now.uri
                    || old
                        .list
                        .iter()
                        .map(|f| &f.lsp)
                        .ne(now.list.iter().map(|f| &f.lsp))
            })
        })
        .map(|(file, now)| (file, now.uri.clone(), lsp(now)))
        .collect();
    // A file with no findings left, or published under another spelling of
    // its URI (its buffer was opened or closed), is cleared.
    out.extend(
        before
            .iter()
            .filter(|(file, old)| after.get(*file).is_none_or(|now| now.uri != old.uri))
            .map(|(file, old)| (file, old.uri.clone(), Vec::new())),
    );
    // The clearing of an old spelling goes before the new list.
    out.sort_by(|a, b| a.0.cmp(b.0).then(b.2.is_empty().cmp(&a.2.is_empty())));
    out.into_iter().map(|(_, uri, list)| (uri, list)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(entries: &[(&str, &str, &[&str])]) -> Findings {
        entries
            .iter()
            .map(|(file, uri, messages)| {
                let list = messages
                    .iter()
                    .map(|m| Finding {
                        lsp: lsp_types::Diagnostic {
                            message: m.to_string(),
                            ..lsp_types::Diagnostic::default()
                        },
                        diagnostic: Diagnostic::new("dag-cycle", *m),
                    })
                    .collect();
                let uri = uri.parse().unwrap();
                (Arc::from(*file), FileFindings { uri, list })
            })
            .collect()
    }

    fn published(before: &Findings, after: &Findings) -> Vec<String> {
        changes(before, after)
            .into_iter()
            .map(|(uri, list)| {
                let messages: Vec<&str> = list.iter().map(|d| d.message.as_str()).collect();
                format!("{} {messages:?}", uri.as_str())
            })
            .collect()
    }

    #[test]
    fn a_file_read_for_one_conversion_is_kept_for_the_next_until_forgotten() {
        let fixture = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/acme-broken"));
        let analysis = crate::check::run(fixture, &crate::check::Options::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let (documents, mut disk) = (Documents::default(), DiskTexts::default());
        let convert_now =
            |disk: &mut DiskTexts| convert(&analysis, fixture, &documents, Encoding::Utf16, disk);
        let first = convert_now(&mut disk);
        let (file, found) = first.iter().next().unwrap_or_else(|| panic!("no findings"));
        assert!(disk.0.contains_key(file), "kept after the first conversion");
        // What is kept is used as it is, not read again.
        let kept: Uri = "file:///kept.sql"
            .parse()
            .unwrap_or_else(|e| panic!("{e:?}"));
        let converter = Converter::new(Arc::from(""), Encoding::Utf16);
        let shown = Shown {
            uri: Some(kept.clone()),
            converter,
        };
        disk.0.insert(file.clone(), Rc::new(shown));
        assert_eq!(convert_now(&mut disk)[file].uri, kept);
        disk.forget();
        assert_eq!(convert_now(&mut disk)[file].uri, found.uri);
    }

    #[test]
    fn only_changed_files_are_published_and_gone_ones_cleared() {
        let before = findings(&[
            ("a.sql", "file:///r/a.sql", &["x"]),
            ("b.sql", "file:///r/b.sql", &["y"]),
            ("c.sql", "file:///r/c%2Bd.sql", &["z"]),
        ]);
        let after = findings(&[
            ("a.sql", "file:///r/a.sql", &["x"]),
            ("c.sql", "file:///r/c+d.sql", &["z"]),
            ("d.sql", "file:///r/d.sql", &["w", "v"]),
        ]);
        assert_eq!(
            published(&before, &after),
            [
                r#"file:///r/b.sql []"#,
                r#"file:///r/c%2Bd.sql []"#,
                r#"file:///r/c+d.sql ["z"]"#,
                r#"file:///r/d.sql ["w", "v"]"#,
            ]
        );
        assert!(published(&after, &after).is_empty());
    }
}
