//! Baselines: the findings a repo already had, recorded by fingerprint (see
//! [`crate::fingerprint`]) so that a run reports only new ones.
//!
//! Findings are recorded one per node, before grouping, so a baseline survives
//! changes to how findings are grouped. The file is sorted, pretty-printed
//! JSON: stable across runs and reviewable in a diff.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::facts::Located;

/// The version written in baseline files.
const VERSION: u32 = 1;

/// One recorded finding. Only the fingerprint is compared; the rest is there
/// for the person reviewing the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// The rule's slug.
    pub rule: String,
    /// The node, for a finding about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The file, for a finding about a file alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The fingerprint.
    pub fingerprint: String,
}

impl Entry {
    /// The entry recording `d`, whose fingerprint is `fingerprint`.
    pub fn of(d: &Diagnostic, fingerprint: String) -> Entry {
        Entry {
            rule: d.rule.to_string(),
            node: d.node.clone(),
            file: match d.node {
                Some(_) => None,
                None => d.span.as_ref().map(|s| s.file.to_string()),
            },
            fingerprint,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// Renders entries as the baseline file's text: sorted, one JSON document.
pub fn render(entries: &[Entry]) -> String {
    let mut findings = entries.to_vec();
    findings.sort();
    let file = File {
        version: VERSION,
        findings,
    };
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

/// Reads a baseline file.
pub fn read(path: &Path) -> Result<Vec<Entry>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Reads a baseline file's text; `name` names it in errors.
fn parse(text: &str, name: &str) -> Result<Vec<Entry>, String> {
    let file: File = serde_json::from_str(text).map_err(|e| {
        format!("{name} is not a pipelint baseline ({e}); write one with --write-baseline")
    })?;
    if file.version != VERSION {
        return Err(format!(
            "{name} is a version {} baseline; this pipelint reads version {VERSION}",
            file.version
        ));
    }
    Ok(file.findings)
}

/// Reads the baseline a repo names in `[project]`: a path inside the repo,
/// never through a symlink. A problem is an `invalid-config` finding there.
pub fn read_in_repo(root: &Path, file: &Located<String>) -> Result<Vec<Entry>, Box<Diagnostic>> {
    let fail = |why: String| {
        Box::new(
            Diagnostic::new("invalid-config", why)
                .at(Some(file.span.clone()))
                .help("write it with `pipelint check --write-baseline <file>`, or remove `baseline` from [project]"),
        )
    };
    let rel = Path::new(&file.value);
    let inside = rel.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    if !inside {
        return Err(fail(format!(
            "baseline `{}` must be a path inside the repo",
            file.value
        )));
    }
    let path = root.join(rel);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(fail(format!(
                "baseline `{}` is a symlink; it was not read",
                file.value
            )))
        }
        Ok(_) => {}
        Err(_) => {
            return Err(fail(format!("baseline `{}` does not exist", file.value)));
        }
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| fail(format!("cannot read baseline `{}`: {e}", file.value)))?;
    parse(&text, &format!("`{}`", file.value)).map_err(fail)
}

/// The fingerprints already known (recorded in a baseline, or present in the
/// merge-base tree), as a multiset: two identical findings need two entries.
#[derive(Debug, Clone, Default)]
pub struct Known {
    left: HashMap<String, usize>,
}

impl Known {
    /// The known set of these fingerprints.
    pub fn new<'a>(fingerprints: impl IntoIterator<Item = &'a str>) -> Known {
        let mut known = Known::default();
        known.add(fingerprints);
        known
    }

    /// Adds more known fingerprints.
    pub fn add<'a>(&mut self, fingerprints: impl IntoIterator<Item = &'a str>) {
        for f in fingerprints {
            *self.left.entry(f.to_string()).or_insert(0) += 1;
        }
    }

    /// Takes one occurrence of a fingerprint; whether it was known.
    pub fn take(&mut self, fingerprint: &str) -> bool {
        match self.left.get_mut(fingerprint) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// How many known findings were not seen: fixed since.
    pub fn remaining(&self) -> usize {
        self.left.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_sorted_and_reads_back() {
        let a = Entry::of(
            &Diagnostic::new("missing-owner", "x").node("model:shop.b"),
            "bb".into(),
        );
        let b = Entry::of(
            &Diagnostic::new("missing-owner", "x").node("model:shop.a"),
            "aa".into(),
        );
        let text = render(&[a.clone(), b.clone()]);
        assert!(text.find("model:shop.a") < text.find("model:shop.b"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read(&path).unwrap(), vec![b, a]);
        std::fs::write(&path, "{}").unwrap();
        assert!(read(&path).unwrap_err().contains("not a pipelint baseline"));
    }

    #[test]
    fn known_is_a_multiset() {
        let mut k = Known::new(["a", "a", "b"]);
        assert!(k.take("a") && k.take("a") && !k.take("a"));
        assert!(!k.take("c"));
        assert_eq!(k.remaining(), 1);
    }
}
