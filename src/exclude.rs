//! Which discovered files are not pipeline code: test fixtures, SQL
//! templates, virtualenvs, and whatever `[discover]` in `pipeline.toml` says,
//! with ruff's names and meaning.
//!
//! - A pattern without `/` matches any file or folder of that name anywhere
//!   (`testdata`, `*_scratch.sql`); a pattern with `/` matches a path from the
//!   repo root, of the file or of any folder above it (`legacy/sql`,
//!   `tests/**/fixtures/**`).
//! - `exclude` replaces [`DEFAULT_EXCLUDE`]; `extend-exclude` adds to it.
//! - `include`, when given, lists the only SQL and Python files read.
//!
//! `pipeline.toml` and CODEOWNERS are always read. A dbt project whose
//! `dbt_project.yml` is excluded is not read; a project's own folders
//! (including its `test-paths`) are read by the dbt parser whatever the
//! default exclusions say.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use globset::{GlobBuilder, GlobSet};

use crate::discover::{Discovery, FileKind};
use crate::manifest::{Discover, MANIFEST_FILE};
use crate::workspace::{file_name_of, folder_of};

/// Excluded unless `[discover] exclude` replaces them: test fixtures, SQL
/// template folders, and virtualenvs and packages that are someone else's code.
pub const DEFAULT_EXCLUDE: &[&str] = &[
    "**/tests/**/fixtures/**",
    "**/testdata/**",
    "**/__fixtures__/**",
    "sql_templates",
    ".venv",
    "venv",
    "node_modules",
    "site-packages",
];

/// The key under which files outside `[discover] include` are counted.
const NOT_INCLUDED: &str = "not in [discover] include";

/// One exclusion pattern, compiled.
struct Pattern {
    written: String,
    matcher: GlobSet,
    /// No `/`: matches a file or folder name anywhere.
    by_name: bool,
}

impl Pattern {
    fn new(written: &str) -> Option<Pattern> {
        let trimmed = written.trim_end_matches('/');
        if crate::globs::too_long(trimmed).is_some() {
            return None;
        }
        let glob = GlobBuilder::new(trimmed)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .ok()?;
        let matcher = crate::globs::matcher(glob).ok()?;
        Some(Pattern {
            written: written.to_string(),
            matcher,
            by_name: !trimmed.contains('/'),
        })
    }

    /// Whether the folder `folder` (repo-relative, `""` for the root) or
    /// one above it matches.
    fn matches_folder(&self, folder: &str) -> bool {
        if folder.is_empty() {
            return false;
        }
        if self.by_name {
            return folder.split('/').any(|part| self.matcher.is_match(part));
        }
        let mut end = 0;
        loop {
            let next = folder[end..].find('/').map(|i| end + i);
            if self
                .matcher
                .is_match(&folder[..next.unwrap_or(folder.len())])
            {
                return true;
            }
            match next {
                Some(i) => end = i + 1,
                None => return false,
            }
        }
    }

    /// Whether the file itself matches: its name, or its whole path.
    fn matches_file(&self, rel: &str) -> bool {
        self.matcher
            .is_match(if self.by_name { file_name_of(rel) } else { rel })
    }
}

/// What the patterns say of one folder, the same for every file in it: the
/// first exclusion matching it or a folder above it, and whether an
/// inclusion does.
#[derive(Clone, Copy)]
struct FolderVerdict {
    excluded_by: Option<usize>,
    included: bool,
}

/// The exclusions of one run.
pub struct Exclusions {
    exclude: Vec<Pattern>,
    include: Option<Vec<Pattern>>,
}

impl Exclusions {
    /// The default exclusions changed by a `[discover]` table.
    pub fn new(settings: &Discover) -> Exclusions {
        let compile = |ps: &mut dyn Iterator<Item = &str>| -> Vec<Pattern> {
            ps.filter_map(Pattern::new).collect()
        };
        let mut exclude = match &settings.exclude {
            Some(list) => compile(&mut list.iter().map(|p| p.value.as_str())),
            None => compile(&mut DEFAULT_EXCLUDE.iter().copied()),
        };
        exclude.extend(compile(
            &mut settings.extend_exclude.iter().map(|p| p.value.as_str()),
        ));
        let include = settings
            .include
            .as_ref()
            .map(|list| compile(&mut list.iter().map(|p| p.value.as_str())));
        Exclusions { exclude, include }
    }

    /// Why a file is skipped: the pattern that excludes it, if any.
    pub fn skip_reason(&self, rel: &str, kind: Option<FileKind>) -> Option<&str> {
        self.skip_reason_in(rel, kind, self.folder_verdict(folder_of(rel)))
    }

    fn folder_verdict(&self, folder: &str) -> FolderVerdict {
        FolderVerdict {
            excluded_by: self.exclude.iter().position(|p| p.matches_folder(folder)),
            included: self
                .include
                .as_ref()
                .is_some_and(|ps| ps.iter().any(|p| p.matches_folder(folder))),
        }
    }

    /// [`Exclusions::skip_reason`] given what the patterns say of the
    /// file's folder: a pattern matches a file when it matches its folder
    /// (or one above) or the file itself.
    fn skip_reason_in(
        &self,
        rel: &str,
        kind: Option<FileKind>,
        folder: FolderVerdict,
    ) -> Option<&str> {
        if matches!(kind, Some(FileKind::Manifest | FileKind::CodeOwners)) {
            return None;
        }
        let before = folder.excluded_by.unwrap_or(self.exclude.len());
        let by_file = self.exclude[..before]
            .iter()
            .position(|p| p.matches_file(rel));
        if let Some(i) = by_file.or(folder.excluded_by) {
            return Some(&self.exclude[i].written);
        }
        match (&self.include, kind) {
            (Some(include), Some(FileKind::Sql | FileKind::Python))
                if !folder.included && !include.iter().any(|p| p.matches_file(rel)) =>
            {
                Some(NOT_INCLUDED)
            }
            _ => None,
        }
    }
}

/// Drops excluded files and dbt projects from a discovery, counting the files
/// skipped by each pattern in [`Discovery::skipped`]. Reads `[discover]` from
/// the root's `pipeline.toml`, if any.
pub fn apply(discovery: &mut Discovery, root: &Path) {
    let manifest_rel: Arc<str> = Arc::from(MANIFEST_FILE);
    let settings = std::fs::read_to_string(root.join(MANIFEST_FILE))
        .map(|text| crate::parse::manifest::discover_settings(&manifest_rel, &text))
        .unwrap_or_default();
    let exclusions = Exclusions::new(&settings);
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    // Files come folder by folder: each folder is matched once.
    let mut last: Option<(Arc<str>, FolderVerdict)> = None;
    discovery.files.retain(|f| {
        let folder = folder_of(&f.rel);
        let verdict = match &last {
            Some((seen, verdict)) if seen.as_ref() == folder => *verdict,
            _ => {
                let verdict = exclusions.folder_verdict(folder);
                last = Some((Arc::from(folder), verdict));
                verdict
            }
        };
        match exclusions.skip_reason_in(&f.rel, Some(f.kind), verdict) {
            Some(reason) => {
                *skipped.entry(reason.to_string()).or_default() += 1;
                false
            }
            None => true,
        }
    });
    discovery.dbt_projects.retain(|p| {
        let project_file = if p.rel.is_empty() {
            "dbt_project.yml".to_string()
        } else {
            format!("{}/dbt_project.yml", p.rel)
        };
        match exclusions.skip_reason(&project_file, None) {
            Some(reason) => {
                *skipped.entry(reason.to_string()).or_default() += 1;
                false
            }
            None => true,
        }
    });
    discovery.skipped = skipped;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Located;
    use crate::span::Span;

    fn located(ps: &[&str]) -> Vec<Located<String>> {
        ps.iter()
            .map(|p| Located::new(p.to_string(), Span::file_start(&Arc::from("pipeline.toml"))))
            .collect()
    }

    #[test]
    fn defaults_skip_fixtures_and_templates() {
        let e = Exclusions::new(&Discover::default());
        let py = Some(FileKind::Python);
        let sql = Some(FileKind::Sql);
        assert_eq!(
            e.skip_reason("tests/utils/fixtures/dag.py", py),
            Some("**/tests/**/fixtures/**")
        );
        assert_eq!(
            e.skip_reason("etl/tests/fixtures/x.sql", sql),
            Some("**/tests/**/fixtures/**")
        );
        assert_eq!(
            e.skip_reason("pkg/testdata/q.sql", sql),
            Some("**/testdata/**")
        );
        assert_eq!(
            e.skip_reason("a/provision/sql_templates/user.sql", sql),
            Some("sql_templates")
        );
        assert_eq!(e.skip_reason("tests/test_dags.py", py), None);
        assert_eq!(e.skip_reason("dags/fixtures/load.py", py), None);
        assert_eq!(
            e.skip_reason("pipeline.toml", Some(FileKind::Manifest)),
            None
        );
    }

    #[test]
    fn the_first_pattern_wins_whether_it_matches_the_folder_or_the_file() {
        let sql = Some(FileKind::Sql);
        let with = |exclude: &[&str]| {
            Exclusions::new(&Discover {
                exclude: Some(located(exclude)),
                extend_exclude: Vec::new(),
                include: Some(located(&["etl", "*.sql"])),
            })
        };
        let file_first = with(&["*_scratch.sql", "sql"]);
        assert_eq!(
            file_first.skip_reason("sql/a_scratch.sql", sql),
            Some("*_scratch.sql")
        );
        assert_eq!(file_first.skip_reason("sql/a.sql", sql), Some("sql"));
        let folder_first = with(&["sql", "*_scratch.sql"]);
        assert_eq!(
            folder_first.skip_reason("sql/a_scratch.sql", sql),
            Some("sql")
        );
        assert_eq!(
            folder_first.skip_reason("etl/a_scratch.sql", sql),
            Some("*_scratch.sql")
        );
        // Included by its folder, by its name, or not at all.
        let py = Some(FileKind::Python);
        assert_eq!(folder_first.skip_reason("etl/jobs/load.py", py), None);
        assert_eq!(folder_first.skip_reason("dags/load.sql", sql), None);
        assert_eq!(
            folder_first.skip_reason("dags/load.py", py),
            Some(NOT_INCLUDED)
        );
    }

    #[test]
    fn exclude_replaces_extend_exclude_adds_include_limits() {
        let e = Exclusions::new(&Discover {
            exclude: Some(located(&["legacy"])),
            extend_exclude: located(&["sql/scratch/*.sql"]),
            include: Some(located(&["*.sql"])),
        });
        let sql = Some(FileKind::Sql);
        assert_eq!(e.skip_reason("tests/x/fixtures/a.sql", sql), None);
        assert_eq!(e.skip_reason("etl/legacy/a.sql", sql), Some("legacy"));
        assert_eq!(
            e.skip_reason("sql/scratch/a.sql", sql),
            Some("sql/scratch/*.sql")
        );
        assert_eq!(e.skip_reason("sql/scratch/deep/a.sql", sql), None);
        assert_eq!(
            e.skip_reason("dags/a.py", Some(FileKind::Python)),
            Some(NOT_INCLUDED)
        );
    }
}
