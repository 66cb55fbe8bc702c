//! `pipelint audit`: the whole analysis on many repos in parallel, one row
//! per repo (metrics and finding counts per rule). One bad or unreadable repo
//! never stops the others: its row says why. For estates beyond one machine,
//! `--shard K/N` takes a deterministic slice of the repo list (by a hash of
//! each repo's name) and [`merge`] joins the shards' JSON into the same
//! report. Rows hold no timings and no absolute paths, so shard outputs and
//! reruns compare equal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::check::{self, Options, RunError};
use crate::diagnostic::Severity;
use crate::metrics::{self, Metrics};

/// The version of the JSON document, checked by `audit merge`.
pub const FORMAT_VERSION: u32 = 1;

/// One repo's line of the audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The repo's name: its folder's name (with parent folders when two
    /// repos of the list share a name).
    pub repo: String,
    /// Why the repo could not be analyzed at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Files that did not parse (`parse-error` findings).
    #[serde(default)]
    pub unparsed_files: usize,
    /// Findings by severity.
    #[serde(default)]
    pub errors: usize,
    /// Warnings.
    #[serde(default)]
    pub warnings: usize,
    /// Infos.
    #[serde(default)]
    pub infos: usize,
    /// Findings per rule slug.
    #[serde(default)]
    pub findings: BTreeMap<String, usize>,
    /// Architecture metrics (absent when the repo could not be analyzed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// The repo's diagram as SVG, when asked for (HTML output, JSON for merging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagram: Option<String>,
}

impl Row {
    /// `ok`, `N files did not parse`, or `error: why`.
    pub fn status(&self) -> String {
        match (&self.error, self.unparsed_files) {
            (Some(e), _) => format!("error: {e}"),
            (None, 0) => "ok".into(),
            (None, 1) => "1 file did not parse".into(),
            (None, n) => format!("{n} files did not parse"),
        }
    }
}

/// The audit: rows sorted by repo name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// One per repo.
    pub rows: Vec<Row>,
}

/// A slice of the repo list: the `index`-th (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// Reads `K/N` with 1 ≤ K ≤ N.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not K/N (e.g. 2/8)"))?;
        let index: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("`{k}` is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard {s}: K must be between 1 and N"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether a repo of this name falls in the shard: the first 8 bytes of
    /// the SHA-256 of its name, modulo the shard count.
    pub fn holds(self, name: &str) -> bool {
        let digest = Sha256::digest(name.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.count == self.index - 1
    }
}

/// What to audit and how.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Options of each repo's run.
    pub check: Options,
    /// Only this slice of the list.
    pub shard: Option<Shard>,
    /// Draw each repo's diagram.
    pub diagrams: bool,
}

/// Reads a repos file: one path a line, `#` comments and blank lines
/// skipped, relative paths taken from the file's folder.
pub fn read_repos_file(file: &Path) -> Result<Vec<PathBuf>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| base.join(l))
        .collect())
}

/// Names for the repos of a list: each folder's name, with as many parent
/// folders as it takes to tell apart repos that share a name.
pub fn names(repos: &[PathBuf]) -> Vec<String> {
    let parts: Vec<Vec<String>> = repos
        .iter()
        .map(|p| {
            let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            p.components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let name = |i: usize, depth: usize| {
        let p = &parts[i];
        p[p.len().saturating_sub(depth)..].join("/")
    };
    (0..repos.len())
        .map(|i| {
            let max = parts[i].len().max(1);
            (1..=max)
                .map(|depth| name(i, depth))
                .enumerate()
                .find(|(d, candidate)| {
                    (0..repos.len()).all(|j| j == i || name(j, d + 1) != *candidate)
                })
                .map_or_else(|| name(i, max), |(_, n)| n)
        })
        .collect()
}

/// Audits the repos (the shard's slice of them), in parallel; `done` is
/// called after each repo, from any thread (for a progress bar).
pub fn run(repos: &[PathBuf], options: &AuditOptions, done: &(dyn Fn() + Sync)) -> Report {
    let names = names(repos);
    let chosen: Vec<(usize, &PathBuf)> = repos
        .iter()
        .enumerate()
        .filter(|(i, _)| options.shard.is_none_or(|s| s.holds(&names[*i])))
        .collect();
    let mut rows: Vec<Row> = chosen
        .par_iter()
        .map(|&(i, path)| {
            let row = audit_one(path, &names[i], options);
            done();
            row
        })
        .collect();
    rows.sort_by(|a, b| a.repo.cmp(&b.repo));
    Report {
        version: FORMAT_VERSION,
        rows,
    }
}

/// How many repos of a list the shard holds (for the progress bar's length).
pub fn shard_len(repos: &[PathBuf], shard: Option<Shard>) -> usize {
    match shard {
        None => repos.len(),
        Some(s) => names(repos).iter().filter(|n| s.holds(n)).count(),
    }
}

/// One repo's row; a panic inside the analysis becomes the row's error.
fn audit_one(path: &Path, name: &str, options: &AuditOptions) -> Row {
    let mut row = Row {
        repo: name.to_string(),
        error: None,
        unparsed_files: 0,
        errors: 0,
        warnings: 0,
        infos: 0,
        findings: BTreeMap::new(),
        metrics: None,
        diagram: None,
    };
    // Each folder of the list is a repo of its own, even inside a larger
    // checkout (a monorepo of projects, a folder of fixtures).
    let check_options = Options {
        root: Some(path.to_path_buf()),
        ..options.check.clone()
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check::run(path, &check_options).map(|analysis| {
            let metrics = metrics::compute(&analysis.graph);
            let diagram = options.diagrams.then(|| {
                let view_options = crate::view::ViewOptions {
                    max_edges: Some((crate::report::diagram::svg::MAX_EDGES, "the page")),
                    ..Default::default()
                };
                crate::view::build(&analysis, &view_options)
                    .map(|v| crate::report::diagram::svg::render(&v))
                    .ok()
            });
            (analysis, metrics, diagram.flatten())
        })
    }));
    match result {
        Ok(Ok((analysis, metrics, diagram))) => {
            let (e, w, i) = analysis.counts();
            row.errors = e;
            row.warnings = w;
            row.infos = i;
            for d in &analysis.diagnostics {
                *row.findings.entry(d.rule.to_string()).or_default() += 1;
            }
            row.unparsed_files = analysis
                .diagnostics
                .iter()
                .filter(|d| d.rule == "parse-error" && d.severity >= Severity::Info)
                .filter_map(|d| d.span.as_ref().map(|s| s.file.clone()))
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            row.metrics = Some(metrics);
            row.diagram = diagram;
        }
        Ok(Err(RunError::BadPath(_, why))) => row.error = Some(why),
        Ok(Err(other)) => row.error = Some(other.to_string()),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            row.error = Some(format!("internal error (please report): {what}"));
        }
    }
    row
}

/// Joins shard reports into one; a repo in two shards is an error (the
/// shards were cut from different lists).
pub fn merge(reports: Vec<Report>) -> Result<Report, String> {
    let mut rows: Vec<Row> = Vec::new();
    for r in reports {
        if r.version != FORMAT_VERSION {
            return Err(format!(
                "an audit of format version {} cannot be merged with version {FORMAT_VERSION}",
                r.version
            ));
        }
        rows.extend(r.rows);
    }
    rows.sort_by(|a, b| a.repo.cmp(&b.repo));
    if let Some(w) = rows.windows(2).find(|w| w[0].repo == w[1].repo) {
        return Err(format!("repo `{}` is in more than one shard", w[0].repo));
    }
    Ok(Report {
        version: FORMAT_VERSION,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_every_name_once() {
        let names: Vec<String> = (0..200).map(|i| format!("repo-{i}")).collect();
        let shards: Vec<Shard> = (1..=4).map(|k| format!("{k}/4").parse().unwrap()).collect();
        for n in &names {
            assert_eq!(shards.iter().filter(|s| s.holds(n)).count(), 1, "{n}");
        }
        let first = names.iter().filter(|n| shards[0].holds(n)).count();
        assert!((30..=70).contains(&first), "{first}");
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    #[test]
    fn names_tell_apart_repos_of_one_name() {
        let repos = [
            PathBuf::from("/nowhere/a/app"),
            PathBuf::from("/nowhere/b/app"),
            PathBuf::from("/nowhere/b/web"),
        ];
        assert_eq!(names(&repos), ["a/app", "b/app", "web"]);
    }
}
