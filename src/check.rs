//! One run of pipelint on a repo: discover → parse → build graph → rules →
//! exceptions → sorted findings. Every front end (check, graph, audit) calls this.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::baseline::{Entry, Known};
use crate::diagnostic::{Diagnostic, Severity};
use crate::graph::{self, Graph};
use crate::group;
use crate::manifest::Manifest;
use crate::parse::{self, ParseContext};
use crate::rules::{self, select::Selection, suppress::Suppressor, GRAPH_RULES};
use crate::workspace::Workspace;

/// What a run is asked to do.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Only these rules (slugs, codes or code prefixes); empty means all.
    pub select: Vec<String>,
    /// Not these rules.
    pub ignore: Vec<String>,
    /// Report findings inside installed dbt packages too.
    pub include_packages: bool,
    /// Read dbt projects from `target/manifest.json` where it exists.
    pub dbt_manifest: bool,
    /// Findings already known (a baseline, or the merge-base tree's findings):
    /// left out of [`Analysis::diagnostics`], matched per node before grouping.
    pub known: Option<Known>,
    /// Apply the baseline named by `baseline` in `[project]` of pipeline.toml
    /// (adding to [`Options::known`]).
    pub project_baseline: bool,
    /// The repo root (`--root`); default: the git root of the checked path.
    pub root: Option<PathBuf>,
    /// The config file (`--config`); default: the nearest `pipeline.toml`
    /// from the checked path up to the root.
    pub config: Option<PathBuf>,
    /// Unsaved editor buffers read instead of the files on disk (see
    /// [`parse::Overlay`]); `pipelint server` sets it.
    pub overlay: Option<parse::Overlay>,
    /// Where parsed facts are reused from (see [`crate::cache`]).
    pub cache: CacheUse,
    /// Record every finding with its fingerprint in [`Analysis::recorded`]
    /// (`--write-baseline`, and the merge base of `--changed-since`). A run
    /// that neither records nor compares with known findings makes no
    /// fingerprints: each one hashes the finding and may read its file.
    pub record: bool,
    /// Stamps of the discovered files already taken for this run (by the
    /// replay probe of `pipelint check`, or kept by the language server
    /// while its watcher saw no change), used by the cache instead of
    /// asking each file again.
    pub stamps: Option<std::sync::Arc<crate::cache::stamp::Taken>>,
}

/// Where a run reuses parsed facts from.
#[derive(Debug, Clone, Default)]
pub enum CacheUse {
    /// Parse everything.
    #[default]
    Off,
    /// The repo's cache file in this folder (see [`crate::cache::disk`]),
    /// read before and written after the run.
    Folder(PathBuf),
    /// A cache kept in memory across runs of one process (an editor's
    /// language server).
    Shared(std::sync::Arc<crate::cache::FactCache>),
}

/// Why a run could not happen at all (exit code 2).
#[derive(Debug)]
pub enum RunError {
    /// The path does not exist or is not a directory.
    BadPath(PathBuf, String),
    /// A CLI rule name that names no rule.
    BadRule(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::BadPath(p, why) => write!(f, "cannot check {}: {why}", p.display()),
            RunError::BadRule(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for RunError {}

/// The result of a run.
#[derive(Debug)]
pub struct Analysis {
    /// The repo root (see [`crate::workspace`]): output paths are relative to it.
    pub root: PathBuf,
    /// The checked folder relative to the root (`""` for the whole repo):
    /// only findings inside it are kept.
    pub scope: String,
    /// Notes for stderr about the run itself (e.g. the checked folder holds
    /// nothing pipelint reads).
    pub notes: Vec<String>,
    /// The resolved graph.
    pub graph: Graph,
    /// The manifest (default when absent).
    pub manifest: Manifest,
    /// Findings after selection and exceptions, sorted by file, line, column, code.
    pub diagnostics: Vec<Diagnostic>,
    /// The parse context, holding the text of every file read.
    pub context: ParseContext,
    /// With [`Options::record`], every finding of the run one per node,
    /// before grouping and before known findings are left out: what
    /// `--write-baseline` records. Empty otherwise.
    pub recorded: Vec<Entry>,
    /// With [`Options::known`]: how many known findings were seen again
    /// (left out) and how many are gone (fixed).
    pub known: Option<KnownOutcome>,
    /// Files not read, by the exclusion pattern that skipped them.
    pub skipped: std::collections::BTreeMap<String, usize>,
}

/// What comparing a run with known findings found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownOutcome {
    /// Known findings present again, left out of the report.
    pub matched: usize,
    /// Known findings no longer present.
    pub fixed: usize,
}

impl Analysis {
    /// How many findings have each severity: (errors, warnings, infos).
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |s| self.diagnostics.iter().filter(|d| d.severity == s).count();
        (
            count(Severity::Error),
            count(Severity::Warn),
            count(Severity::Info),
        )
    }

    /// The finding's fingerprint (see [`crate::fingerprint`]), with the text
    /// of the file it points at.
    pub fn fingerprint(&self, d: &Diagnostic) -> String {
        let text = d
            .span
            .as_ref()
            .filter(|_| crate::fingerprint::reads_text(d))
            .and_then(|s| self.context.sources.get(&s.file));
        crate::fingerprint::fingerprint(d, text.as_deref())
    }

    /// Whether any finding is at or above `fail_on`.
    pub fn fails(&self, fail_on: Severity) -> bool {
        self.diagnostics.iter().any(|d| d.severity >= fail_on)
    }
}

/// Analyzes the repo holding `path` and keeps the findings inside `path`:
/// the whole repo is read from its root (see [`crate::workspace`]), so a
/// subfolder's findings are exactly the root run's findings located there.
pub fn run(path: &Path, options: &Options) -> Result<Analysis, RunError> {
    Ok(resume(path, find(path, options)?, options))
}

/// The first stage of a run, on its own: the workspace of the checked
/// path and the files in it (what [`run_found`] goes on from).
#[derive(Debug)]
pub struct Found {
    /// The repo root, the checked folder and the config.
    pub workspace: Workspace,
    /// The files under the root.
    pub discovery: crate::discover::Discovery,
    timer: StageTimer,
}

impl Found {
    /// The same workspace and files for another run, by a caller that knows
    /// nothing changed on disk since they were found (the language server,
    /// which watches the repo): discovery is not walked again.
    pub fn reused(&self) -> Found {
        let timer = StageTimer::new();
        timer.lap("discover");
        Found {
            workspace: self.workspace.clone(),
            discovery: self.discovery.clone(),
            timer,
        }
    }
}

/// Locates the workspace of `path` and discovers its files.
pub fn find(path: &Path, options: &Options) -> Result<Found, RunError> {
    let workspace = Workspace::locate(path, options.root.as_deref(), options.config.as_deref())
        .map_err(|why| RunError::BadPath(path.to_path_buf(), why))?;
    crate::rules::select::check_names(&options.select, &options.ignore)
        .map_err(RunError::BadRule)?;
    let timer = StageTimer::new();
    let discovery = crate::discover::discover(&workspace.root);
    timer.lap("discover");
    Ok(Found {
        workspace,
        discovery,
        timer,
    })
}

/// [`run`] from what [`find`] found: parse, graph, rules, exceptions.
pub fn resume(path: &Path, found: Found, options: &Options) -> Analysis {
    let Found {
        workspace,
        discovery,
        timer,
    } = found;
    let root = workspace.root.as_path();
    let mut notes = Vec::new();
    let reads_something = discovery
        .files
        .iter()
        .map(|f| f.rel.as_ref())
        .chain(discovery.dbt_projects.iter().map(|p| p.rel.as_ref()))
        .any(|rel| workspace.in_scope(rel) || (rel.is_empty() && workspace.scope.is_empty()));
    if !reads_something {
        notes.push(format!(
            "{} holds no file pipelint reads (Airflow DAG files, dbt projects, SQL, pipeline.toml, CODEOWNERS)",
            path.display()
        ));
    }
    let (cache, cache_file) = match &options.cache {
        CacheUse::Off => (None, None),
        CacheUse::Folder(folder) => {
            let file = crate::cache::disk::file_for(folder, root);
            let (cache, note) = crate::cache::disk::load(&file);
            notes.extend(note);
            if let Some(taken) = &options.stamps {
                cache.use_taken(taken.clone());
            }
            (Some(std::sync::Arc::new(cache)), Some(file))
        }
        CacheUse::Shared(cache) => {
            if let Some(taken) = &options.stamps {
                cache.use_taken(taken.clone());
            }
            (Some(cache.clone()), None)
        }
    };
    let parsed = parse::parse_repo(
        &discovery,
        &workspace,
        options.include_packages,
        options.dbt_manifest,
        options.overlay.clone(),
        cache.as_ref(),
    );
    timer.lap("parse");
    let (selection, mut diagnostics) =
        Selection::new(&parsed.manifest.rules, &options.select, &options.ignore)
            // `find` refused unknown CLI names: the only error there is.
            .unwrap_or_default();
    // The cache's run is finished (and its file written) while the graph
    // is built: neither reads the other.
    let (saving, graph) = rayon::join(
        || {
            let cache = cache.as_ref()?;
            let (reused, fresh) = cache.counts();
            let (read, stamped) = cache.hash_counts();
            let (parts_reused, parts_made) = cache.part_counts();
            let (changed, contents) = cache.finish_run();
            if std::env::var_os("PIPELINT_TIMINGS").is_some() {
                eprintln!("pipelint: cache    {reused} reused, {fresh} parsed");
                eprintln!("pipelint: hashes   {read} read, {stamped} known by their stamp");
                eprintln!("pipelint: parts    {parts_reused} reused, {parts_made} made");
            }
            let file = cache_file.filter(|_| changed)?;
            Some(std::thread::spawn(move || {
                crate::cache::disk::save(&file, contents)
            }))
        },
        || {
            graph::build(
                &parsed.facts,
                &parsed.manifest,
                parsed.codeowners.as_deref(),
            )
        },
    );
    if let Some(saving) = saving {
        match saving.join() {
            Ok(Ok(())) => {}
            Ok(Err(why)) => notes.push(why),
            Err(_) => notes.push("the cache was not written: its writer stopped".to_string()),
        }
    }
    timer.lap("graph");
    let found: Vec<Vec<Diagnostic>> = GRAPH_RULES
        .par_iter()
        .filter(|r| selection.enabled(r.meta().slug))
        .map(|r| r.check(&graph))
        .collect();
    diagnostics.extend(parsed.facts.diagnostics.iter().cloned());
    diagnostics.extend(found.into_iter().flatten());
    if !options.include_packages {
        diagnostics.retain(|d| !in_package(d, &parsed.facts.package_dirs));
    }
    drop_half_read(&mut diagnostics);
    // Allows per node, then grouping, then allows at a group's anchor.
    let lacking = group::lacking(&diagnostics);
    let mut suppressor = Suppressor::new(&parsed.manifest.allows, &parsed.facts.allows);
    let mut diagnostics = selection.apply(suppressor.filter(diagnostics));
    let mut recorded = Vec::new();
    let mut known = options.known.clone();
    if options.project_baseline {
        if let Some(file) = &parsed.manifest.project.baseline {
            match crate::baseline::read_in_repo(root, file) {
                Ok(entries) => known
                    .get_or_insert_with(Known::default)
                    .add(entries.iter().map(|e| e.fingerprint.as_str())),
                Err(d) => diagnostics.push(selection.apply(vec![*d]).remove(0)),
            }
        }
    }
    let mut matched = 0;
    let fingerprinted = options.record || known.is_some();
    let mut leave_known = |diags: Vec<Diagnostic>, recorded: &mut Vec<Entry>| {
        if !fingerprinted {
            return diags;
        }
        let sources = &parsed.context.sources;
        // Fingerprints made in parallel, then matched in order.
        let fingerprints: Vec<String> = diags
            .par_iter()
            .map(|d| {
                // A file is read (on a warm run, from disk) only when the
                // fingerprint is made of its text.
                let text = d
                    .span
                    .as_ref()
                    .filter(|_| crate::fingerprint::reads_text(d))
                    .and_then(|s| sources.get(&s.file));
                crate::fingerprint::fingerprint(d, text.as_deref())
            })
            .collect();
        diags
            .into_iter()
            .zip(fingerprints)
            .filter_map(|(d, fp)| {
                let seen = known.as_mut().is_some_and(|k| k.take(&fp));
                matched += usize::from(seen);
                if group::belongs_to(&d, &workspace.scope) {
                    recorded.push(Entry::of(&d, fp));
                }
                (!seen).then_some(d)
            })
            .collect::<Vec<_>>()
    };
    let diagnostics = leave_known(diagnostics, &mut recorded);
    // A process running many checks keeps the anchors' YAML while its text
    // is unchanged (see `FactCache::kept_for`).
    let parse_yaml = |file: &std::sync::Arc<str>, text: &str| match &cache {
        Some(cache) => cache
            .kept_for(
                "anchor-yaml",
                file,
                crate::cache::hash(text.as_bytes()),
                || group::parse_yaml(file, text),
            )
            .as_ref()
            .clone(),
        None => group::parse_yaml(file, text),
    };
    let diagnostics = group::group(
        diagnostics,
        &lacking,
        &graph,
        &parsed.context.sources,
        &parse_yaml,
    );
    // A subfolder run keeps the findings located in it; a grouped finding
    // belongs to it when any of its nodes does.
    let in_scope = |d: &Diagnostic| group::belongs_to(d, &workspace.scope);
    let mut diagnostics = diagnostics;
    diagnostics.retain(|d| in_scope(d));
    let mut diagnostics = suppressor.filter(diagnostics);
    let mut unused = selection.apply(suppressor.finish(&selection));
    unused.retain(|d| in_scope(d));
    diagnostics.extend(leave_known(unused, &mut recorded));
    let known = known.map(|k| KnownOutcome {
        matched,
        fixed: k.remaining(),
    });
    recorded.sort();
    sort(&mut diagnostics);
    // The same finding can come twice: a link refused by the walker and
    // the dbt parser, a local dbt package read by each project using it.
    diagnostics.dedup();
    timer.lap("rules");
    crate::aside::free(parsed.facts);
    Analysis {
        root: root.to_path_buf(),
        scope: workspace.scope,
        notes,
        graph,
        manifest: parsed.manifest,
        diagnostics,
        context: parsed.context,
        recorded,
        known,
        skipped: discovery.skipped,
    }
}

/// A Python file with a syntax error gives its `parse-error` and nothing
/// else: findings located in it come from half-read content. (Its DAGs and
/// tasks stay in the graph, so references to them still resolve.)
fn drop_half_read(diagnostics: &mut Vec<Diagnostic>) {
    let broken: std::collections::HashSet<std::sync::Arc<str>> = diagnostics
        .iter()
        .filter(|d| d.rule == "parse-error")
        .filter_map(|d| d.span.as_ref().map(|s| s.file.clone()))
        .filter(|f| f.ends_with(".py"))
        .collect();
    if broken.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        d.rule == "parse-error" || !d.span.as_ref().is_some_and(|s| broken.contains(&s.file))
    });
}

/// Whether a finding is located in an installed dbt package: someone else's
/// code, reported only with `--include-packages`.
fn in_package(d: &Diagnostic, package_dirs: &[std::sync::Arc<str>]) -> bool {
    d.span.as_ref().is_some_and(|s| {
        package_dirs.iter().any(|dir| {
            s.file
                .strip_prefix(dir.as_ref())
                .is_some_and(|rest| rest.starts_with('/'))
        })
    })
}

/// Sorts findings by file, line, column, code, node, message; findings
/// without a location go last. Related places are sorted too.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| key(a).cmp(&key(b)));
}

fn key(d: &Diagnostic) -> impl Ord + '_ {
    let (file, line, column) = d
        .span
        .as_ref()
        .map_or((None, 0, 0), |s| (Some(s.file.as_ref()), s.line, s.column));
    (
        d.span.is_none(),
        file,
        line,
        column,
        rules::code_of(d.rule),
        d.node.as_deref(),
        d.message.as_str(),
    )
}

/// The process's resident memory in MB, where the system says (Linux).
fn resident_mb() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1024 * 1024))
}

/// The CPU time the process has used so far (user and system, all
/// threads), in milliseconds at the kernel's tick (10 ms), on Linux.
fn cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces), from the
    // third: utime and stime are the 14th and 15th.
    let mut fields = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf reads a constant of the system and touches no memory.
    let ticks = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    (ticks > 0).then(|| (user + system) * 1000 / ticks)
}

/// Stage durations on stderr when `PIPELINT_TIMINGS` is set: where a slow run
/// spends its time, without a profiler. The CPU time of each stage beside its
/// wall time tells how well it used the cores.
#[derive(Debug)]
struct StageTimer {
    start: Option<std::time::Instant>,
    last: std::cell::Cell<Option<std::time::Instant>>,
    cpu: std::cell::Cell<Option<u64>>,
}

impl StageTimer {
    fn new() -> StageTimer {
        let now = std::env::var_os("PIPELINT_TIMINGS").map(|_| std::time::Instant::now());
        StageTimer {
            start: now,
            last: std::cell::Cell::new(now),
            cpu: std::cell::Cell::new(now.and_then(|_| cpu_ms())),
        }
    }

    fn lap(&self, stage: &str) {
        let (Some(start), Some(last)) = (self.start, self.last.get()) else {
            return;
        };
        let now = std::time::Instant::now();
        let cpu = cpu_ms();
        let used = match (self.cpu.get(), cpu) {
            (Some(before), Some(after)) => format!(", {} ms CPU", after.saturating_sub(before)),
            _ => String::new(),
        };
        eprintln!(
            "pipelint: {stage:<8} {:>7.1} ms (total {:.1} ms){used}{}",
            (now - last).as_secs_f64() * 1000.0,
            (now - start).as_secs_f64() * 1000.0,
            resident_mb().map_or_else(String::new, |mb| format!(", {mb} MB resident"))
        );
        self.last.set(Some(now));
        self.cpu.set(cpu);
    }
}
