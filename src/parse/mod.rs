//! Parsing: one module per input kind, each turning files into plain facts.

pub mod airflow;
pub mod codeowners;
pub mod content;
pub mod dbt;
pub mod inline_allow;
pub mod manifest;
pub mod sql;
pub mod sql_stream;
pub mod toml_comments;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::cache::memo::Memo;
use crate::cache::{hash, hash_parts, FactCache, Hash};
use crate::discover::{Discovery, FileKind, RepoFile};
use crate::facts::FileFacts;
use crate::files::{read_repo_text, read_text, SourceMap};
use crate::manifest::Manifest;
use crate::sql_dialect::SqlDialect;
use crate::workspace::Workspace;

pub use codeowners::CodeOwners;
pub use content::FileContent;

/// What every parser may know besides its own file.
#[derive(Debug)]
pub struct ParseContext {
    /// The repo root.
    pub root: PathBuf,
    /// The SQL dialect from the manifest.
    pub dialect: SqlDialect,
    /// Every repo-relative path discovered (to resolve `sql="x.sql"` and the like).
    pub paths: HashSet<Arc<str>>,
    /// Report findings inside installed dbt packages too.
    pub include_packages: bool,
    /// Read dbt projects' models, sources and edges from their
    /// `target/manifest.json` when it exists, instead of rendering.
    pub dbt_manifest: bool,
    /// File texts, kept for the reports.
    pub sources: SourceMap,
    /// Unsaved editor buffers read instead of the files on disk (see
    /// [`Overlay`]).
    pub overlay: Option<Overlay>,
    /// Parts of this parse an earlier run made (a dbt project's renders
    /// and schema files), when the cache is on.
    pub memo: Option<Memo>,
}

/// Unsaved editor buffers by repo-relative path (`pipelint server`): a
/// file named here is read from its buffer instead of the disk, by
/// [`ParseContext::read`] and by the config read of [`parse_repo`]. Only
/// files that exist on disk are discovered, so a buffer replaces a file's
/// text, never adds a file.
pub type Overlay = Arc<BTreeMap<Arc<str>, Arc<str>>>;

/// The one place a buffer replaces a file: the buffer's text for `rel` when
/// `overlay` holds one (without a leading byte-order mark, as
/// [`read_text`] reads files), else what `disk` reads.
fn overlaid(
    overlay: Option<&Overlay>,
    rel: &str,
    disk: impl FnOnce() -> Result<String, Box<crate::diagnostic::Diagnostic>>,
) -> Result<Arc<str>, Box<crate::diagnostic::Diagnostic>> {
    match overlay.and_then(|o| o.get(rel)) {
        Some(text) if text.starts_with('\u{feff}') => Ok(Arc::from(&text['\u{feff}'.len_utf8()..])),
        Some(text) => Ok(text.clone()),
        None => disk().map(Arc::from),
    }
}

impl ParseContext {
    /// Reads a repo file by its repo-relative path (from its editor buffer
    /// when the overlay holds one), remembering its text for reports.
    /// Errors are `parse-error` diagnostics.
    /// A path the walker found was admitted through the same confinement
    /// ([`crate::discover`] resolves every link it meets), so it is opened
    /// at once; any other path is resolved first.
    pub fn read(&self, rel: &Arc<str>) -> Result<Arc<str>, Box<crate::diagnostic::Diagnostic>> {
        let buffered = self.overlay.as_ref().is_some_and(|o| o.contains_key(rel));
        let text = match &self.memo {
            // A discovered file's text may be known from an earlier run.
            Some(memo) if !buffered && self.paths.contains(rel) => {
                let path = self.root.join(rel.as_ref());
                let text = memo
                    .cache()
                    .text(rel, &path, || read_text(&path, rel).map(Arc::from))?;
                memo.read(rel);
                text
            }
            _ => overlaid(self.overlay.as_ref(), rel, || {
                if self.paths.contains(rel) {
                    read_text(&self.root.join(rel.as_ref()), rel)
                } else {
                    read_repo_text(&self.root, rel)
                }
            })?,
        };
        self.sources.insert(rel.clone(), text.clone());
        Ok(text)
    }

    /// What `make` gives, or the part named `part` an earlier run made
    /// under the same key when the cache is on (see [`crate::cache::memo`]);
    /// `key` (a hash of everything `make` reads) is computed only then.
    pub fn remembered<T>(
        &self,
        part: &str,
        key: impl FnOnce() -> Hash,
        make: impl FnOnce() -> T,
    ) -> T
    where
        T: crate::cache::memo::Part,
    {
        match &self.memo {
            Some(memo) => memo.get_or_make(part, key(), make),
            None => make(),
        }
    }

    /// What `make` gives from the file `rel`, or the value it gave an
    /// earlier run from the same inputs when the cache keeps values in
    /// memory (the language server, see [`FactCache::kept_for`]). `key` must
    /// hash everything `make` reads.
    pub fn kept<T: Send + Sync + 'static>(
        &self,
        name: &'static str,
        rel: &Arc<str>,
        key: Hash,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        match &self.memo {
            Some(memo) => memo.cache().kept_for(name, rel, key, make),
            None => Arc::new(make()),
        }
    }
}

/// Everything the parsers found in a repo.
#[derive(Debug)]
pub struct Parsed {
    /// The manifest (default when absent).
    pub manifest: Manifest,
    /// All facts, in file order.
    pub facts: FileFacts,
    /// CODEOWNERS rules, if the repo has the file.
    pub codeowners: Option<Arc<CodeOwners>>,
    /// The context parsers ran with (holds the file texts).
    pub context: ParseContext,
}

/// Parses every discovered file: the manifest first (it sets the dialect),
/// then all other files and dbt projects in parallel. Output order is the
/// sorted file order, whatever the thread count. The config is the one
/// `workspace` names; any other `pipeline.toml` below it is reported, not
/// read. `include_packages`, `dbt_manifest` and `overlay` are the
/// [`ParseContext`] fields of the same names.
pub fn parse_repo(
    discovery: &Discovery,
    workspace: &Workspace,
    include_packages: bool,
    dbt_manifest: bool,
    overlay: Option<Overlay>,
    cache: Option<&Arc<FactCache>>,
) -> Parsed {
    let mut context = ParseContext {
        root: workspace.root.clone(),
        dialect: SqlDialect::default(),
        paths: discovery.all_paths.iter().cloned().collect(),
        include_packages,
        dbt_manifest,
        sources: SourceMap::default(),
        overlay,
        memo: None,
    };
    let mut facts = FileFacts::default();
    facts
        .diagnostics
        .extend(discovery.diagnostics.iter().cloned());
    let mut manifest = Manifest::default();
    let mut config_text: Arc<str> = Arc::from("");
    if let Some((path, shown)) = &workspace.config {
        // A config inside the repo is the repo's own file: confined like
        // every other (a `pipeline.toml` linked outside is not read). One
        // named on the command line outside the repo is the person's choice.
        let read = if path.starts_with(&workspace.root) {
            overlaid(context.overlay.as_ref(), shown, || {
                read_repo_text(&workspace.root, shown)
            })
        } else {
            read_text(path, shown).map(Arc::from)
        };
        match read {
            Ok(text) => {
                context.sources.insert(shown.clone(), text.clone());
                config_text = text.clone();
                let (m, f) = manifest::parse_manifest(shown, &text);
                manifest = m;
                facts.extend(f);
            }
            Err(d) => facts.diagnostics.push(*d),
        }
    }
    let config_dir = workspace.config_dir();
    let config_file = workspace.config.as_ref().map(|c| c.1.as_ref());
    let mut codeowners = None;
    for place in crate::workspace::CODEOWNERS_PLACES {
        let Some(file) = discovery
            .files
            .iter()
            .find(|f| f.kind == FileKind::CodeOwners && f.rel.as_ref() == place)
        else {
            continue;
        };
        match context.read(&file.rel) {
            Ok(text) => {
                // Compiled globs cannot be cached on disk; a language
                // server keeps them while the file is unchanged.
                let parse = || {
                    let (c, diags) = codeowners::parse_codeowners(&file.rel, &text);
                    (Arc::new(c), diags)
                };
                let parsed = match cache {
                    Some(cache) => {
                        let key = hash_parts([file.rel.as_bytes(), text.as_bytes()]);
                        cache.kept_for("codeowners", &file.rel, key, parse)
                    }
                    None => Arc::new(parse()),
                };
                codeowners = Some(parsed.0.clone());
                facts.diagnostics.extend(parsed.1.iter().cloned());
            }
            Err(d) => facts.diagnostics.push(*d),
        }
        break;
    }
    for file in &discovery.files {
        let nested = file.kind == FileKind::Manifest
            && Some(file.rel.as_ref()) != config_file
            && config_dir.is_none_or(|dir| crate::workspace::within(dir, &file.rel));
        if nested {
            facts
                .diagnostics
                .push(unread_config(&file.rel, config_file));
        }
    }
    context.dialect = manifest.project.dialect;
    let keys = cache.map(|cache| CacheKeys::new(cache, &config_text, &context, discovery));
    // Files and dbt projects side by side: neither waits for the other's
    // slowest item.
    let (per_file, per_project): (Vec<FileFacts>, Vec<FileFacts>) = rayon::join(
        || {
            discovery
                .files
                .par_iter()
                .map(|file| parse_file(file, &context, keys.as_ref()))
                .collect()
        },
        || {
            discovery
                .dbt_projects
                .par_iter()
                .map(|project| match &keys {
                    Some(keys) => keys.project(project, &context),
                    None => dbt::parse_project(project, &context),
                })
                .collect()
        },
    );
    facts.extend_all(vec![per_file, per_project]);
    Parsed {
        manifest,
        facts,
        codeowners,
        context,
    }
}

/// A `pipeline.toml` below the run's config: pipelint reads one config per
/// run, so this one would be silently ignored.
fn unread_config(rel: &Arc<str>, config: Option<&str>) -> crate::diagnostic::Diagnostic {
    let dir = crate::workspace::folder_of(rel);
    let read = config.map_or_else(|| "no config".to_string(), |c| format!("the config `{c}`"));
    crate::diagnostic::Diagnostic::new(
        "invalid-config",
        format!(
            "`{rel}` is not read: a run from here uses {read}; this file applies only when pipelint checks `{dir}` or a folder inside it"
        ),
    )
    .at(Some(crate::span::Span::file_start(rel)))
    .help("merge its settings into the config this run reads, or check its folder on its own (`pipelint check DIR` or `--config FILE`)")
}

/// What the cache keys of one run are made of (see [`crate::cache`]).
struct CacheKeys<'c> {
    cache: &'c Arc<FactCache>,
    /// The version, configuration, limits and options.
    run: Hash,
    /// The set of paths that exist.
    paths: Hash,
}

impl<'c> CacheKeys<'c> {
    fn new(
        cache: &'c Arc<FactCache>,
        config: &str,
        context: &ParseContext,
        discovery: &Discovery,
    ) -> CacheKeys<'c> {
        let limits = format!("{:?}", crate::limits::get());
        let options = [context.include_packages, context.dbt_manifest].map(u8::from);
        let run = hash_parts([
            env!("CARGO_PKG_VERSION").as_bytes(),
            config.as_bytes(),
            limits.as_bytes(),
            &options[..],
        ]);
        let paths = hash_parts(discovery.all_paths.iter().map(|p| p.as_bytes()));
        CacheKeys { cache, run, paths }
    }

    /// The key of a file of `kind` with content hash `content`: a DAG file
    /// resolves the paths it names, so it depends on which paths exist.
    fn file_key(&self, kind: FileKind, content: Hash) -> Hash {
        let (tag, paths): (&[u8], Hash) = match kind {
            FileKind::Python => (b"py", self.paths),
            _ => (b"sql", 0),
        };
        hash_parts([
            &self.run.to_le_bytes()[..],
            tag,
            &paths.to_le_bytes(),
            &content.to_le_bytes(),
        ])
    }

    /// The content hash of the file at `rel`, as [`ParseContext::read`]
    /// reads it. A discovered file whose stamp is the one an earlier run
    /// hashed it under is not read: it is listed in the sources unread,
    /// unless it is now over the size limit (then the read reports it).
    fn content_hash(
        &self,
        rel: &Arc<str>,
        context: &ParseContext,
    ) -> Result<Hash, Box<crate::diagnostic::Diagnostic>> {
        let buffered = context
            .overlay
            .as_ref()
            .is_some_and(|o| o.contains_key(rel));
        let stamp = (!buffered && context.paths.contains(rel))
            .then(|| self.cache.stamp_of(&context.root.join(rel.as_ref())))
            .flatten();
        if let Some(stamp) = stamp.filter(crate::cache::stamp::Stamp::readable) {
            if let Some(known) = self.cache.known_hash(rel, stamp) {
                let path: Arc<std::path::Path> = Arc::from(context.root.join(rel.as_ref()));
                context.sources.insert_unread(rel.clone(), path);
                return Ok(known);
            }
        }
        let content = hash(context.read(rel)?.as_bytes());
        self.cache.record_hash(rel, stamp, content);
        Ok(content)
    }

    /// A dbt project's facts: reused when nothing it read has changed, else
    /// parsed with a context of its own that records what it reads. Only a
    /// project that read nothing but discovered paths is cached, so that
    /// the set of paths in its key covers every folder it listed.
    fn project(
        &self,
        project: &crate::discover::DbtProjectDir,
        context: &ParseContext,
    ) -> FileFacts {
        let slot: Arc<str> = Arc::from(format!("dbt-project:{}", project.rel));
        let key = hash_parts([
            &self.run.to_le_bytes()[..],
            b"dbt",
            &self.paths.to_le_bytes(),
            &installed_packages_stamp(&project.path).to_le_bytes(),
        ]);
        let content = |rel: &Arc<str>| self.content_hash(rel, context).ok();
        if let Some(facts) = self.cache.get(&slot, key, content) {
            return facts;
        }
        let own = ParseContext {
            root: context.root.clone(),
            dialect: context.dialect,
            paths: context.paths.clone(),
            include_packages: context.include_packages,
            dbt_manifest: context.dbt_manifest,
            sources: SourceMap::default(),
            overlay: context.overlay.clone(),
            memo: Some(Memo::new(self.cache.clone(), &slot, self.run)),
        };
        let facts = dbt::parse_project(project, &own);
        // The files read, listed for the run's reports, while the facts are
        // made ready for the cache.
        let memo = own.memo.as_ref();
        let (ready, (reads, all_discovered)) = rayon::join(
            || self.cache.ready(&facts),
            || {
                let files = own.sources.take_sorted();
                let mut reads = Vec::with_capacity(files.len());
                let mut all_discovered = true;
                let mut listed = Vec::with_capacity(files.len());
                for (rel, file) in files {
                    // Known by its stamp and never read: its hash is the
                    // stamp's (already recorded for the next run), its text
                    // read if asked.
                    if let Some(content) = memo.and_then(|m| m.unread(&rel)) {
                        reads.push((rel.clone(), content));
                        listed.push((rel, file));
                        continue;
                    }
                    if let Some(text) = file.text(&rel) {
                        let discovered = context.paths.contains(&rel);
                        all_discovered &= discovered;
                        let content = hash(text.as_bytes());
                        reads.push((rel.clone(), content));
                        // Stamped before the run (the replay probe's) or
                        // after the read: a write since then makes the stamp
                        // too fresh to be recorded (see `Stamp::settled`).
                        let buffered = context
                            .overlay
                            .as_ref()
                            .is_some_and(|o| o.contains_key(&rel));
                        if discovered && !buffered {
                            let stamp = self.cache.stamp_of(&context.root.join(rel.as_ref()));
                            self.cache.record_hash(&rel, stamp, content);
                        }
                        listed.push((rel, crate::files::Listed::Read(text)));
                    }
                }
                context.sources.extend(listed);
                (reads, all_discovered)
            },
        );
        if all_discovered {
            self.cache.put_ready(&slot, key, reads, ready);
        }
        facts
    }
}

/// When the installed-packages folders of a dbt project last changed
/// (`dbt deps` rewrites them), as a hash: they are usually git-ignored, so
/// the set of discovered paths does not see a package come or go.
fn installed_packages_stamp(project: &std::path::Path) -> Hash {
    let stamp = |dir: &str| {
        std::fs::metadata(project.join(dir))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos())
    };
    hash_parts([
        &stamp("dbt_packages").to_le_bytes()[..],
        &stamp("dbt_modules").to_le_bytes(),
    ])
}

fn parse_file(file: &RepoFile, context: &ParseContext, keys: Option<&CacheKeys>) -> FileFacts {
    let unreadable = |d: Box<crate::diagnostic::Diagnostic>| FileFacts {
        diagnostics: vec![*d],
        ..FileFacts::default()
    };
    if matches!(file.kind, FileKind::Manifest | FileKind::CodeOwners) {
        return FileFacts::default();
    }
    // With a cache, the content hash first: a hit needs no read.
    let key = match keys {
        Some(k) => match k.content_hash(&file.rel, context) {
            Ok(content) => Some((k, k.file_key(file.kind, content))),
            Err(d) => return unreadable(d),
        },
        None => None,
    };
    if let Some((k, key)) = key {
        if let Some(facts) = k.cache.get(&file.rel, key, |_| None) {
            return facts;
        }
    }
    // Hashing read the file, or listed it to be read when asked for.
    let hashed = key.and_then(|_| context.sources.get(&file.rel));
    let text = match hashed.map_or_else(|| context.read(&file.rel), Ok) {
        Ok(t) => t,
        Err(d) => return unreadable(d),
    };
    let facts = match file.kind {
        FileKind::Sql => sql::parse_sql_file(&file.rel, &text, context.dialect),
        FileKind::Python => airflow::parse_airflow_file(&file.rel, &text, context),
        FileKind::Manifest | FileKind::CodeOwners => FileFacts::default(),
    };
    if let Some((k, _)) = key {
        // Keyed by the text parsed, should the file have changed since its
        // hash was taken.
        let key = k.file_key(file.kind, hash(text.as_bytes()));
        k.cache.put(&file.rel, key, Vec::new(), &facts);
    }
    facts
}
