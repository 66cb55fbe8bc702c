//! `pipelint check --watch`: check once, then re-check the whole repo each
//! time its files change, printing only what changed since the last run —
//! the findings that appeared and those gone, compared by fingerprint
//! ([`Analysis::fingerprint`]), so a finding whose line merely moved is
//! neither — then a one-line summary.
//!
//! Events come from the `notify` crate through `notify-debouncer-full` (a
//! save or a `git checkout` is one batch, one re-check). A batch starts a
//! re-check only when some event in it is a change (not a read, not a
//! metadata or access-time update, which pipelint's own reading would cause)
//! to a path outside `.git/` and pipelint's cache folder that the repo's
//! `.gitignore`/`.ignore` files do not ignore — the same files discovery honours ([`crate::discover`]).
//! Ctrl-C ends the watch; the caller then exits 0.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ignore::gitignore::Gitignore;
use ignore::Match;
use notify_debouncer_full::notify::event::ModifyKind;
use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

use crate::check::Analysis;
use crate::diagnostic::Diagnostic;

/// How long the files must be quiet before a re-check starts.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// One run's findings with their fingerprints, in report order: what the
/// next run is compared with.
#[derive(Debug, Default)]
pub struct Snapshot {
    findings: Vec<(String, Diagnostic)>,
}

impl Snapshot {
    /// The findings of `analysis`, each with its fingerprint.
    pub fn of(analysis: &Analysis) -> Snapshot {
        Snapshot {
            findings: analysis
                .diagnostics
                .iter()
                .map(|d| (analysis.fingerprint(d), d.clone()))
                .collect(),
        }
    }
}

/// What changed between two runs.
#[derive(Debug, Default)]
pub struct Changes {
    /// Findings of the new run whose fingerprint the old run did not have
    /// (as many times as it has more of them), in report order.
    pub appeared: Vec<Diagnostic>,
    /// Findings of the old run whose fingerprint the new run lacks, in the
    /// old report's order.
    pub gone: Vec<Diagnostic>,
}

/// Compares two runs by fingerprint, counting repeats: two findings with
/// one fingerprint before and one after is one gone.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Changes {
    Changes {
        appeared: only_in(after, before),
        gone: only_in(before, after),
    }
}

/// The findings of `a` left once each of `b`'s fingerprints has cancelled one.
fn only_in(a: &Snapshot, b: &Snapshot) -> Vec<Diagnostic> {
    let mut left: HashMap<&str, usize> = HashMap::new();
    for (fp, _) in &b.findings {
        *left.entry(fp.as_str()).or_default() += 1;
    }
    a.findings
        .iter()
        .filter(|(fp, _)| match left.get_mut(fp.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .map(|(_, d)| d.clone())
        .collect()
}

/// Which file events start a re-check (see the module doc). The repo's
/// ignore files are read when first needed and forgotten when one changes.
#[derive(Debug)]
pub struct Trigger {
    root: PathBuf,
    /// pipelint's own cache folder, when it lies inside the root
    /// (`--cache-dir .cache`): its writes are no change to the repo.
    cache: Option<PathBuf>,
    matchers: HashMap<PathBuf, Vec<Gitignore>>,
}

impl Trigger {
    /// A trigger for the repo at `root` (an absolute path, as events
    /// carry), never firing inside the `cache` folder.
    pub fn new(root: &Path, cache: Option<&Path>) -> Trigger {
        Trigger {
            root: root.to_path_buf(),
            cache: cache.map(Path::to_path_buf),
            matchers: HashMap::new(),
        }
    }

    /// Whether an event of `kind` on `paths` starts a re-check. An event
    /// with no path (the watcher lost events and asks for a rescan) does.
    pub fn fires(&mut self, kind: &EventKind, paths: &[PathBuf]) -> bool {
        if matches!(
            kind,
            EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
        ) {
            return false;
        }
        paths.is_empty() || paths.iter().any(|p| self.watched(p))
    }

    /// Whether a change to `path` can change the findings: inside the root,
    /// outside `.git/`, and not ignored by the repo's ignore files.
    pub fn watched(&mut self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        if rel.components().any(|c| c.as_os_str() == ".git")
            || self.cache.as_ref().is_some_and(|c| path.starts_with(c))
        {
            return false;
        }
        if rel
            .file_name()
            .is_some_and(|n| n == ".gitignore" || n == ".ignore")
        {
            self.matchers.clear();
            return true;
        }
        !self.ignored(path)
    }

    /// Whether the walker would skip `path`: it, or a folder above it, is
    /// ignored by the ignore files of the folders above that one, the
    /// deepest file deciding (and `.ignore` before `.gitignore` in a folder).
    fn ignored(&mut self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        let mut dirs = vec![self.root.clone()];
        let mut prefix = self.root.clone();
        for part in rel.components() {
            prefix.push(part);
            let is_dir = prefix != path || path.is_dir();
            let verdict = dirs.iter().rev().find_map(|dir| {
                self.matchers_of(dir)
                    .iter()
                    .find_map(|m| match m.matched(&prefix, is_dir) {
                        Match::None => None,
                        Match::Ignore(_) => Some(true),
                        Match::Whitelist(_) => Some(false),
                    })
            });
            if verdict == Some(true) {
                return true;
            }
            dirs.push(prefix.clone());
        }
        false
    }

    fn matchers_of(&mut self, dir: &Path) -> &[Gitignore] {
        self.matchers.entry(dir.to_path_buf()).or_insert_with(|| {
            [".ignore", ".gitignore"]
                .iter()
                .map(|name| dir.join(name))
                .filter(|file| file.is_file())
                // A malformed line is skipped, as the walker skips it.
                .map(|file| Gitignore::new(file).0)
                .collect()
        })
    }
}

/// What wakes the watch loop.
enum Wake {
    /// A batch of debounced events: each event's kind and paths.
    Files(Vec<(EventKind, Vec<PathBuf>)>),
    /// The watcher's errors.
    Errors(Vec<String>),
    /// Ctrl-C.
    Stop,
}

/// A watch, started before the first check so no change made during it is
/// missed (such a change starts a re-check as soon as the loop runs).
pub struct Watch {
    root: PathBuf,
    cache: Option<PathBuf>,
    wakes: mpsc::Receiver<Wake>,
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl Watch {
    /// Watches the repo at `root` (recursively) and catches Ctrl-C; changes
    /// in the `cache` folder (pipelint's own) start no re-check.
    pub fn start(root: &Path, cache: Option<&Path>) -> Result<Watch, String> {
        let root = std::fs::canonicalize(root)
            .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        let cache = cache.and_then(|c| {
            std::fs::canonicalize(c)
                .ok()
                .or_else(|| std::path::absolute(c).ok())
        });
        let (tx, wakes) = mpsc::channel();
        let stop = tx.clone();
        ctrlc::set_handler(move || {
            let _ = stop.send(Wake::Stop);
        })
        .map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;
        let mut debouncer = new_debouncer(DEBOUNCE, None, move |res: DebounceEventResult| {
            let wake = match res {
                Ok(events) => Wake::Files(
                    events
                        .into_iter()
                        .map(|e| (e.event.kind, e.event.paths))
                        .collect(),
                ),
                Err(errors) => Wake::Errors(errors.iter().map(|e| e.to_string()).collect()),
            };
            let _ = tx.send(wake);
        })
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        debouncer
            .watch(&root, RecursiveMode::Recursive)
            .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        Ok(Watch {
            root,
            cache,
            wakes,
            _debouncer: debouncer,
        })
    }

    /// The watched root, canonical.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Re-checks with `check` after each batch of changes that fires the
    /// trigger, comparing with the previous run (`first` to begin with),
    /// and hands `show` the text to print ([`crate::report::human::changes`]).
    /// A re-check that cannot run, or a watcher error, goes to `note` and
    /// the watch goes on. Returns on Ctrl-C.
    pub fn run(
        self,
        first: &Analysis,
        mut check: impl FnMut() -> Result<Analysis, String>,
        mut show: impl FnMut(&str) -> Result<(), String>,
        mut note: impl FnMut(&str),
        color: bool,
    ) -> Result<(), String> {
        let mut trigger = Trigger::new(&self.root, self.cache.as_deref());
        let mut before = Snapshot::of(first);
        loop {
            let mut fire = false;
            let mut wake = self.wakes.recv().map_err(|e| e.to_string())?;
            // Take every batch already waiting: one re-check for all.
            loop {
                match wake {
                    Wake::Stop => return Ok(()),
                    Wake::Errors(errors) => {
                        for e in errors {
                            note(&format!("watch: {e}"));
                        }
                    }
                    Wake::Files(events) => {
                        for (kind, paths) in &events {
                            fire |= trigger.fires(kind, paths);
                        }
                    }
                }
                match self.wakes.try_recv() {
                    Ok(next) => wake = next,
                    Err(_) => break,
                }
            }
            if !fire {
                continue;
            }
            let start = Instant::now();
            match check() {
                Ok(analysis) => {
                    let after = Snapshot::of(&analysis);
                    let changes = diff(&before, &after);
                    show(&crate::report::human::changes(
                        &changes.appeared,
                        &changes.gone,
                        &analysis,
                        start.elapsed().as_millis(),
                        color,
                    ))?;
                    before = after;
                }
                Err(e) => note(&e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(fps: &[(&str, &'static str)]) -> Snapshot {
        Snapshot {
            findings: fps
                .iter()
                .map(|(fp, rule)| (fp.to_string(), Diagnostic::new(rule, *fp)))
                .collect(),
        }
    }

    fn messages(diags: &[Diagnostic]) -> Vec<&str> {
        diags.iter().map(|d| d.message.as_str()).collect()
    }

    #[test]
    fn diff_compares_by_fingerprint_counting_repeats() {
        let before = snapshot(&[("a", "missing-owner"), ("b", "cycle"), ("b", "cycle")]);
        let after = snapshot(&[
            ("b", "cycle"),
            ("c", "missing-owner"),
            ("a", "missing-owner"),
        ]);
        let changes = diff(&before, &after);
        assert_eq!(messages(&changes.appeared), ["c"]);
        assert_eq!(messages(&changes.gone), ["b"]);
        let same = diff(&after, &after);
        assert!(same.appeared.is_empty() && same.gone.is_empty());
    }

    #[test]
    fn trigger_skips_git_ignored_reads_and_outside_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::create_dir_all(root.join("dbt/target")).unwrap();
        std::fs::create_dir_all(root.join("keep")).unwrap();
        std::fs::write(root.join("keep/.gitignore"), "!wanted.log\n").unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let mut t = Trigger::new(&root, Some(&root.join(".cache/pipelint")));
        let modify = EventKind::Modify(ModifyKind::Any);
        let fires = |t: &mut Trigger, kind: &EventKind, rel: &str| t.fires(kind, &[root.join(rel)]);
        assert!(fires(&mut t, &modify, "sql/orders.sql"));
        assert!(fires(&mut t, &modify, "pipeline.toml"));
        assert!(!fires(&mut t, &modify, ".git/index"));
        assert!(!fires(&mut t, &modify, ".cache/pipelint/repo-1a2b.json"));
        assert!(fires(&mut t, &modify, ".cache/other.sql"));
        assert!(!fires(&mut t, &modify, "dbt/target/manifest.json"));
        assert!(!fires(&mut t, &modify, "dbt/run.log"));
        assert!(fires(&mut t, &modify, "keep/wanted.log"));
        assert!(!fires(&mut t, &modify, "keep/other.log"));
        assert!(fires(&mut t, &modify, ".gitignore"));
        let read = EventKind::Access(notify_debouncer_full::notify::event::AccessKind::Any);
        assert!(!fires(&mut t, &read, "sql/orders.sql"));
        assert!(!t.fires(&modify, &[PathBuf::from("/elsewhere/x.sql")]));
        assert!(t.fires(&EventKind::Other, &[]));
    }

    #[test]
    fn trigger_forgets_ignore_files_when_one_changes() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let mut t = Trigger::new(&root, None);
        let modify = EventKind::Modify(ModifyKind::Any);
        assert!(t.fires(&modify, &[root.join("scratch.sql")]));
        std::fs::write(root.join(".gitignore"), "scratch.sql\n").unwrap();
        assert!(t.fires(&modify, &[root.join(".gitignore")]));
        assert!(!t.fires(&modify, &[root.join("scratch.sql")]));
    }
}
