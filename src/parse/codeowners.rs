//! `CODEOWNERS` as GitHub and GitLab read it: the last place owners are
//! inherited from.
//!
//! A rule is a .gitignore-style pattern and its owners; the last matching
//! rule wins, and a rule without owners leaves the path unowned. GitLab
//! adds sections (`[Section]`, optional `^[Section]`, approval counts
//! `[Section][2]`, default owners `[Section] @team`): each section is read
//! on its own and a path's owners are those of every section that matches
//! it, in file order. Escaped spaces (`\ `) belong to the pattern.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::workspace::folder_of;

/// One pattern line.
#[derive(Debug)]
struct Rule {
    /// The globs the pattern stands for (see [`compile`]).
    globs: Vec<Pattern>,
    /// Owners as written; empty clears ownership.
    owners: Vec<String>,
    span: Span,
}

/// One glob of a rule, and what its match depends on.
#[derive(Debug, Clone)]
struct Pattern {
    glob: globset::Glob,
    /// `<folder glob>/**`: it matches a path when it matches some folder
    /// above it, so every file of one folder matches it alike.
    by_folder: bool,
}

/// A GitLab section (the rules before the first header form an unnamed one).
#[derive(Debug, Default)]
struct Section {
    rules: Vec<Rule>,
    /// The rules' globs matched on a whole path, in one set matched in one
    /// pass: a repo asks for the owner of thousands of files, and a
    /// CODEOWNERS file can hold hundreds of rules.
    matcher: globset::GlobSet,
    /// The rule each glob of `matcher` belongs to.
    rule_of_glob: Vec<usize>,
    /// The rules' globs whose match depends on a path's folder only
    /// ([`Pattern::by_folder`]): matched once per folder.
    folder_matcher: globset::GlobSet,
    /// The rule each glob of `folder_matcher` belongs to.
    rule_of_folder_glob: Vec<usize>,
}

impl Section {
    /// Builds the section's matchers from the rules' globs.
    fn seal(&mut self) -> Result<(), globset::Error> {
        let mut whole = globset::GlobSetBuilder::new();
        let mut by_folder = globset::GlobSetBuilder::new();
        self.rule_of_glob.clear();
        self.rule_of_folder_glob.clear();
        for (i, rule) in self.rules.iter().enumerate() {
            for p in &rule.globs {
                if p.by_folder {
                    by_folder.add(p.glob.clone());
                    self.rule_of_folder_glob.push(i);
                } else {
                    whole.add(p.glob.clone());
                    self.rule_of_glob.push(i);
                }
            }
        }
        self.matcher = whole.build()?;
        self.folder_matcher = by_folder.build()?;
        Ok(())
    }

    /// The last rule whose folder globs match the files of `folder`
    /// (repo-relative, `""` for the root).
    fn last_folder_match(&self, folder: &str) -> Option<usize> {
        // Any file of the folder stands for all of them.
        let file = if folder.is_empty() {
            "_".to_string()
        } else {
            format!("{folder}/_")
        };
        let glob = self.folder_matcher.matches(&file).into_iter().max()?;
        self.rule_of_folder_glob.get(glob).copied()
    }

    /// The last rule matching the path `rel` stands for, given the last
    /// rule whose folder globs match its folder.
    fn last_match(&self, rel: &globset::Candidate, by_folder: Option<usize>) -> Option<&Rule> {
        let whole = self
            .matcher
            .matches_candidate(rel)
            .into_iter()
            .max()
            .and_then(|glob| self.rule_of_glob.get(glob).copied());
        self.rules.get(whole.max(by_folder)?)
    }
}

/// What the folder globs of each section say about one folder (see
/// [`CodeOwners::folder`]).
#[derive(Debug, Clone)]
pub struct FolderMatch(Vec<Option<usize>>);

/// The CODEOWNERS rules, by section in file order.
#[derive(Debug, Default)]
pub struct CodeOwners {
    sections: Vec<Section>,
    /// The primary owner found for each file asked for (see
    /// [`CodeOwners::owners_of_files`]).
    found: std::sync::Mutex<FileOwners>,
}

/// A file's primary owner and the line of the rule that names it (`None`:
/// no rule gives it one).
pub type FileOwner = Option<(String, Span)>;

/// The primary owner of each file.
pub type FileOwners = foldhash::HashMap<Arc<str>, FileOwner>;

/// The owners of one path and the line that names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owners<'a> {
    /// Every owner, shortened (see [`CodeOwners::owner_of`]); the first is
    /// the primary owner.
    pub all: Vec<String>,
    /// The line of the first section's matching rule.
    pub span: &'a Span,
}

impl CodeOwners {
    /// The primary owner of a repo-relative path, with the line that says
    /// so. Team handles are shortened to the team name (`@acme/data-eng` →
    /// `data-eng`) so they compare with `[teams]`.
    pub fn owner_of(&self, rel: &str) -> Option<(String, &Span)> {
        self.owner_in(rel, &self.folder(folder_of(rel)))
    }

    /// [`CodeOwners::owner_of`] for a path in a folder already matched
    /// with [`CodeOwners::folder`]: the files of one folder share that work.
    pub fn owner_in(&self, rel: &str, folder: &FolderMatch) -> Option<(String, &Span)> {
        let owners = self.owners_in(rel, folder)?;
        let first = owners.all.first()?.clone();
        Some((first, owners.span))
    }

    /// [`CodeOwners::owner_of`] of each of `files`, in parallel, the files
    /// of one folder sharing its folder globs' matching. What is found is
    /// remembered: rules kept from run to run (the language server keeps
    /// them while the file is unchanged) match each file once.
    pub fn owners_of_files(&self, files: &[Arc<str>]) -> FileOwners {
        use rayon::prelude::*;
        let mut owners = FileOwners::default();
        let mut unknown = Vec::new();
        match self.found.lock() {
            Ok(found) => {
                for file in files {
                    match found.get(file) {
                        Some(owner) => {
                            owners.insert(file.clone(), owner.clone());
                        }
                        None => unknown.push(file),
                    }
                }
            }
            Err(_) => unknown.extend(files),
        }
        let folders: foldhash::HashSet<&str> = unknown.iter().map(|f| folder_of(f)).collect();
        let folders: foldhash::HashMap<&str, FolderMatch> = folders
            .into_par_iter()
            .map(|folder| (folder, self.folder(folder)))
            .collect();
        let made: Vec<(Arc<str>, FileOwner)> = unknown
            .into_par_iter()
            .map(|file| {
                let owner = folders
                    .get(folder_of(file))
                    .and_then(|folder| self.owner_in(file, folder))
                    .map(|(owner, span)| (owner, span.clone()));
                (file.clone(), owner)
            })
            .collect();
        if let Ok(mut found) = self.found.lock() {
            found.extend(made.iter().cloned());
        }
        owners.extend(made);
        owners
    }

    /// The folder globs of every section matched on the files of `folder`
    /// (repo-relative, no trailing `/`, `""` for the root).
    pub fn folder(&self, folder: &str) -> FolderMatch {
        FolderMatch(
            self.sections
                .iter()
                .map(|s| s.last_folder_match(folder))
                .collect(),
        )
    }

    /// Every owner of a repo-relative path: in each section the last
    /// matching rule counts, and the sections' owners are joined in file
    /// order. `None` when no section gives the path an owner.
    pub fn owners_of(&self, rel: &str) -> Option<Owners<'_>> {
        self.owners_in(rel, &self.folder(folder_of(rel)))
    }

    /// [`CodeOwners::owners_of`] for a path whose folder is matched.
    fn owners_in(&self, rel: &str, folder: &FolderMatch) -> Option<Owners<'_>> {
        let mut all: Vec<String> = Vec::new();
        let mut span = None;
        // Prepared once for every section's matcher.
        let candidate = globset::Candidate::new(rel);
        for (section, by_folder) in self.sections.iter().zip(&folder.0) {
            let Some(rule) = section.last_match(&candidate, *by_folder) else {
                continue;
            };
            if rule.owners.is_empty() {
                continue;
            }
            span.get_or_insert(&rule.span);
            for o in &rule.owners {
                let short = short_owner(o);
                if !all.contains(&short) {
                    all.push(short);
                }
            }
        }
        Some(Owners { all, span: span? })
    }
}

/// Reads a CODEOWNERS file; a pattern that does not compile is an
/// `invalid-config` finding on its line.
pub fn parse_codeowners(file: &Arc<str>, text: &str) -> (CodeOwners, Vec<Diagnostic>) {
    // Each section's globs are built into one matcher. Only when one fails
    // to build is every pattern also built alone, to report the lines that
    // cannot become a matcher on their own (a read twice as slow).
    let (owners, diags, sealed) = read_codeowners(file, text, false);
    if sealed {
        return (owners, diags);
    }
    let (owners, diags, _) = read_codeowners(file, text, true);
    (owners, diags)
}

/// The rules of a CODEOWNERS text, with each pattern also built alone when
/// `each_alone`; and whether every section's matcher built.
fn read_codeowners(
    file: &Arc<str>,
    text: &str,
    each_alone: bool,
) -> (CodeOwners, Vec<Diagnostic>, bool) {
    let mut owners = CodeOwners {
        sections: vec![Section::default()],
        ..CodeOwners::default()
    };
    let mut defaults: Vec<String> = Vec::new();
    let mut diags = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split('\n').enumerate() {
        let line_offset = offset;
        offset += line.len() + 1;
        let words = split_line(line.trim_end_matches('\r'));
        let Some((first, rest)) = words.split_first() else {
            continue;
        };
        let span = Span {
            file: file.clone(),
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            column: 1,
            offset: line_offset,
            len: line.len(),
        };
        if let Some(section_defaults) = section_header(first, rest) {
            defaults = section_defaults;
            owners.sections.push(Section::default());
            continue;
        }
        let (pattern, excluded) = match first.strip_prefix('!') {
            Some(p) => (p, true),
            None => (first.as_str(), false),
        };
        let listed: Vec<String> = if excluded {
            Vec::new()
        } else if rest.is_empty() {
            defaults.clone()
        } else {
            rest.to_vec()
        };
        if let Some(why) = crate::globs::too_long(pattern) {
            diags.push(
                Diagnostic::new(
                    "invalid-config",
                    format!("CODEOWNERS: {why}; the line was skipped"),
                )
                .at(Some(span))
                .help("a path pattern this long names no real path; shorten it or use a wildcard"),
            );
            continue;
        }
        match compile(pattern, each_alone) {
            Ok(globs) => {
                if let Some(section) = owners.sections.last_mut() {
                    section.rules.push(Rule {
                        globs,
                        owners: listed,
                        span,
                    });
                }
            }
            Err(e) => diags.push(
                Diagnostic::new(
                    "invalid-config",
                    format!("CODEOWNERS pattern `{pattern}` does not compile: {e}"),
                )
                .at(Some(span))
                .help("CODEOWNERS patterns follow .gitignore syntax"),
            ),
        }
    }
    let mut sealed = true;
    for section in &mut owners.sections {
        // A set of globs that fails to build (past the regex size limit)
        // owns nothing; when each glob was built alone above, the set
        // still fails although each line compiles.
        if let Err(e) = section.seal() {
            sealed = false;
            let span = section.rules.first().map(|r| r.span.clone());
            section.rules.clear();
            section.rule_of_glob.clear();
            section.matcher = globset::GlobSet::empty();
            section.rule_of_folder_glob.clear();
            section.folder_matcher = globset::GlobSet::empty();
            diags.push(
                Diagnostic::new(
                    "invalid-config",
                    format!("the CODEOWNERS rules of this section do not compile together: {e}; they were skipped"),
                )
                .at(span)
                .help("use fewer or simpler patterns"),
            );
        }
    }
    (owners, diags, sealed)
}

/// The words of a line, comments dropped: `#` starts a comment at the
/// start of the line or after a blank; `\ ` and `\#` are literal.
fn split_line(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some(' ' | '#' | '\t')) => {
                word.push(chars.next().unwrap_or(' '));
            }
            '#' if word.is_empty() => break,
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// A GitLab section header — `[Name]`, `^[Name]`, `[Name][2]`, the name
/// possibly split over several words — and its default owners.
fn section_header(first: &str, rest: &[String]) -> Option<Vec<String>> {
    let head = first.strip_prefix('^').unwrap_or(first);
    if !head.starts_with('[') {
        return None;
    }
    let words: Vec<&str> = std::iter::once(head)
        .chain(rest.iter().map(String::as_str))
        .collect();
    let joined = words.join(" ");
    let close = joined.find(']')?;
    let mut after = &joined[close + 1..];
    if let Some(count) = after.strip_prefix('[') {
        let end = count.find(']')?;
        if !count[..end].chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        after = &count[end + 1..];
    }
    if !after.is_empty() && !after.starts_with(' ') {
        return None;
    }
    Some(after.split_whitespace().map(str::to_string).collect())
}

/// `@org/team` → `team`, `@user` → `user`; e-mail addresses stay as they are.
fn short_owner(owner: &str) -> String {
    let o = owner.trim_start_matches('@');
    o.rsplit_once('/').map_or(o, |(_, team)| team).to_string()
}

/// Translates a .gitignore-style pattern to globs over repo-relative paths:
/// a `/` at the start or in the middle anchors it at the root, a trailing
/// `/` matches only a directory's contents, and a pattern matches a
/// directory's contents as well as the path itself (except `dir/*`, which
/// GitHub reads as the files directly in `dir`).
/// With `alone`, the globs are also built into a matcher of their own, so
/// a pattern that cannot become one fails here, on its line.
fn compile(pattern: &str, alone: bool) -> Result<Vec<Pattern>, globset::Error> {
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let body = pattern.trim_start_matches('/');
    let dir_only = body.ends_with('/');
    let body = body.trim_end_matches('/');
    let base = if body.is_empty() {
        "**".to_string()
    } else if anchored || body.starts_with("**") {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    let glob = |g: &str| {
        globset::GlobBuilder::new(g)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
    };
    let mut globs = Vec::new();
    if !dir_only {
        globs.push(Pattern {
            glob: glob(&base)?,
            by_folder: false,
        });
    }
    // GitHub: `docs/*` owns the files directly in `docs/`, not deeper ones.
    if !body.ends_with("/*") {
        globs.push(Pattern {
            glob: glob(&format!("{base}/**"))?,
            // `<base>/**` matches what has a folder matching `<base>` above
            // it — unless `<base>` ends in `**` itself, which globset reads
            // as one token with the `/**` after it.
            by_folder: !base.ends_with("**"),
        });
    }
    if alone {
        let mut set = globset::GlobSetBuilder::new();
        for p in &globs {
            set.add(p.glob.clone());
        }
        set.build()?;
    }
    Ok(globs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (CodeOwners, Vec<Diagnostic>) {
        parse_codeowners(&Arc::from("CODEOWNERS"), text)
    }

    fn owners(c: &CodeOwners, rel: &str) -> Option<(Vec<String>, u32)> {
        c.owners_of(rel).map(|o| (o.all, o.span.line))
    }

    #[test]
    fn owners_of_files_are_each_files_owner_and_are_remembered() {
        let (c, _) = parse("* @acme/platform\ndags/ @acme/data-eng\ndags/*.md\n");
        let files: Vec<Arc<str>> = ["dags/a.py", "dags/README.md", "sql/x.sql"]
            .into_iter()
            .map(Arc::from)
            .collect();
        let owner = |found: &FileOwners, rel: &str| {
            found[rel].as_ref().map(|(o, span)| (o.clone(), span.line))
        };
        let found = c.owners_of_files(&files);
        assert_eq!(owner(&found, "dags/a.py"), Some(("data-eng".into(), 2)));
        assert_eq!(
            owner(&found, "dags/README.md"),
            None,
            "a rule without owners"
        );
        assert_eq!(owner(&found, "sql/x.sql"), Some(("platform".into(), 1)));
        for rel in &files {
            let one = c.owner_of(rel).map(|(o, span)| (o, span.line));
            assert_eq!(owner(&found, rel), one, "{rel}");
        }
        assert_eq!(c.found.lock().unwrap().len(), 3, "every file remembered");
        // What is remembered is what is given back, without matching again.
        let marked = Some(("remembered".to_string(), Span::file_start(&files[0])));
        c.found.lock().unwrap().insert(files[0].clone(), marked);
        let again = c.owners_of_files(&files[..1]);
        assert_eq!(owner(&again, "dags/a.py"), Some(("remembered".into(), 1)));
        assert_eq!(again.len(), 1);
    }

    fn v(owners: &[&str], line: u32) -> Option<(Vec<String>, u32)> {
        Some((owners.iter().map(|s| s.to_string()).collect(), line))
    }

    #[test]
    fn last_matching_rule_wins() {
        let (c, diags) =
            parse("* @acme/data-eng\n/sql/ @acme/analytics-eng # curated\n*.py @alice\n");
        assert!(diags.is_empty());
        assert_eq!(
            c.owner_of("sql/fct.sql").map(|o| o.0),
            Some("analytics-eng".to_string())
        );
        assert_eq!(c.owner_of("dags/x.py").map(|o| o.0), Some("alice".into()));
        assert_eq!(
            c.owner_of("README.md").map(|(o, s)| (o, s.line)),
            Some(("data-eng".to_string(), 1))
        );
    }

    #[test]
    fn every_owner_is_kept_and_an_ownerless_pattern_clears() {
        let (c, diags) = parse("* @acme/data-eng @bob\n/vendor/\ndocs/ @writers\n");
        assert!(diags.is_empty());
        assert_eq!(owners(&c, "x.sql"), v(&["data-eng", "bob"], 1));
        assert_eq!(owners(&c, "vendor/lib/a.py"), None);
        assert_eq!(owners(&c, "src/docs/a.md"), v(&["writers"], 3));
    }

    #[test]
    fn anchored_directory_and_escaped_patterns() {
        let (c, diags) = parse(
            "/dags/ @air\ndocs/* @writers\n**/logs @ops\nmy\\ folder/ @spaces\n\\#notes @hash\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(owners(&c, "dags/a.py"), v(&["air"], 1));
        assert_eq!(owners(&c, "sub/dags/a.py"), None);
        assert_eq!(owners(&c, "docs/a.md"), v(&["writers"], 2));
        assert_eq!(owners(&c, "docs/deep/a.md"), None);
        assert_eq!(owners(&c, "x/logs/a.log"), v(&["ops"], 3));
        assert_eq!(owners(&c, "my folder/a.sql"), v(&["spaces"], 4));
        assert_eq!(owners(&c, "#notes"), v(&["hash"], 5));
    }

    #[test]
    fn gitlab_sections_are_read_each_on_its_own() {
        let text = "\
* @platform
[Data Engineering] @data-eng
/dags/
/dags/ml/ @ml
^[Optional Review][2] @reviewers
/dags/
[Empty]
/dags/legacy/
";
        let (c, diags) = parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(owners(&c, "README.md"), v(&["platform"], 1));
        assert_eq!(
            owners(&c, "dags/a.py"),
            v(&["platform", "data-eng", "reviewers"], 1)
        );
        assert_eq!(
            owners(&c, "dags/ml/train.py"),
            v(&["platform", "ml", "reviewers"], 1)
        );
        // A section without default owners leaves an ownerless entry unowned.
        assert_eq!(
            owners(&c, "dags/legacy/x.py"),
            v(&["platform", "data-eng", "reviewers"], 1)
        );
    }

    #[test]
    fn a_pattern_too_long_to_compile_is_reported_not_built() {
        let text = format!("/{} @team\nsql/ @data\n", "transfo".repeat(10_000));
        let (c, diags) = parse(&text);
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].message.contains("70001 bytes"),
            "{}",
            diags[0].message
        );
        assert_eq!(diags[0].span.as_ref().map(|s| s.line), Some(1));
        assert_eq!(owners(&c, "sql/a.sql"), v(&["data"], 2));
    }

    #[test]
    fn a_pattern_that_cannot_compile_is_reported() {
        let (_, diags) = parse("src/[ab @x\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].rule, "invalid-config");
        assert_eq!(diags[0].span.as_ref().map(|s| s.line), Some(1));
    }

    /// The last rule of a section matching a whole path, every glob
    /// matched on it (what [`Section::last_match`] must agree with).
    fn last_by_every_glob(section: &Section, rel: &str) -> Option<u32> {
        section
            .rules
            .iter()
            .rev()
            .find(|r| {
                r.globs
                    .iter()
                    .any(|p| p.glob.compile_matcher().is_match(rel))
            })
            .map(|r| r.span.line)
    }

    #[test]
    fn folder_globs_matched_per_folder_agree_with_whole_paths() {
        let text = "\
* @all
/dags/ @air
docs/* @writers
**/logs @ops
/transform/**/models/ @dbt
/transform/** @deep
models/*_source @src
dbt* @prefix
**/ @dirs
*.sql @sql
/sql/a.sql @one
/*/ @anydir
[Other] @other
/sql/
a[/]b/ @class
";
        let (c, diags) = parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        let paths = [
            "README.md",
            "dags/a.py",
            "dags/sub/logs/x.log",
            "docs/a.md",
            "docs/deep/a.md",
            "x/logs",
            "x/logs/a",
            "transform/models/m.sql",
            "transform/a/b/models/m.sql",
            "transform/x",
            "models/orders_source/m.sql",
            "models/orders_source",
            "dbt_project.yml",
            "dbt/models/a.sql",
            "sql/a.sql",
            "sql/b.sql",
            "a/b/c.sql",
            "weird/new\nline/x.sql",
        ];
        for rel in paths {
            let folder = c.folder(folder_of(rel));
            for (section, by_folder) in c.sections.iter().zip(&folder.0) {
                let candidate = globset::Candidate::new(rel);
                let got = section
                    .last_match(&candidate, *by_folder)
                    .map(|r| r.span.line);
                assert_eq!(got, last_by_every_glob(section, rel), "{rel}");
            }
        }
    }
}
