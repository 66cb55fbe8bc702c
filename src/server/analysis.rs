//! The one place the server analyzes: the workspace with the editor's
//! buffers over the disk, and everything that lives from one run to the next
//! (the worker threads, and the fact cache in memory, so that only the
//! edited file is parsed again).
//!
//! The server also watches the repo (the `notify` crate). While no file
//! under it has changed since the last run, the next run reuses that run's
//! discovery and file stamps instead of walking the repo and asking every
//! file again: an edit in a buffer changes nothing on disk. Any event the
//! `--watch` trigger would not ignore (a change outside `.git/` and ignored
//! files), a metadata change, a lost event, a save or a change the client
//! reports, and any error of the watcher, make the next run walk the repo
//! afresh. When the repo cannot be watched, every run walks it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use notify_debouncer_full::notify::{self, EventKind, RecursiveMode, Watcher};

use crate::cache::stamp::{Stamp, Taken};
use crate::check::{self, Analysis, CacheUse, Found, Options};
use crate::parse::Overlay;

/// The checked workspace and the state kept across its runs.
pub struct Analyzer {
    /// The folder the editor opened (findings inside it are published).
    folder: PathBuf,
    /// The repo root holding it, resolved.
    resolved_root: PathBuf,
    /// The same root as the editor spells it (through the link it opened
    /// the folder by, if any): URIs are made from it.
    root: PathBuf,
    /// The run's options from the command line (rules, root, config).
    options: Options,
    /// Worker threads, started once.
    pool: rayon::ThreadPool,
    /// The repo's watcher, when it could be started.
    watch: Option<DiskWatch>,
    /// What the last run found on disk, while the watcher saw no change.
    kept: Option<Kept>,
    /// Whether the last run walked the repo (rather than reuse a walk).
    walked: bool,
}

/// A running watcher of the repo, and whether it saw a change since the
/// flag was last cleared.
struct DiskWatch {
    _watcher: notify::RecommendedWatcher,
    changed: Arc<AtomicBool>,
}

/// The discovery and stamps of a run, for the next while nothing changed.
struct Kept {
    found: Found,
    stamps: Arc<Taken>,
    /// Discovered paths that had no settled stamp (asked again each run).
    unstamped: Vec<PathBuf>,
}

impl DiskWatch {
    /// Watches `root` recursively; `None` when it cannot (too many folders
    /// for the system's watch limit, an unsupported file system).
    fn start(root: &Path) -> Option<DiskWatch> {
        let changed = Arc::new(AtomicBool::new(true));
        let flag = changed.clone();
        let mut trigger = crate::watch::Trigger::new(root, None);
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let change = match event {
                    Ok(event) => {
                        !matches!(event.kind, EventKind::Access(_))
                            && (event.need_rescan()
                                || event.paths.is_empty()
                                || event.paths.iter().any(|p| trigger.watched(p)))
                    }
                    Err(_) => true,
                };
                if change {
                    flag.store(true, Ordering::SeqCst);
                }
            })
            .ok()?;
        watcher.watch(root, RecursiveMode::Recursive).ok()?;
        Some(DiskWatch {
            _watcher: watcher,
            changed,
        })
    }
}

impl Analyzer {
    /// An analyzer of `folder` with the command line's `options`, on
    /// `threads` workers (default: one per core).
    pub fn new(
        folder: &Path,
        options: Options,
        threads: Option<usize>,
    ) -> Result<Analyzer, String> {
        let workspace = crate::workspace::Workspace::locate(
            folder,
            options.root.as_deref(),
            options.config.as_deref(),
        )?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .stack_size(16 * 1024 * 1024)
            .build()
            .map_err(|e| format!("cannot start worker threads: {e}"))?;
        // Facts are kept in memory from run to run (never in the repo);
        // the user's cache folder, when the command line uses one, gives the
        // first run its start. `--no-cache` parses everything every time.
        let cache = match &options.cache {
            CacheUse::Off => CacheUse::Off,
            CacheUse::Folder(folder) => {
                let file = crate::cache::disk::file_for(folder, &workspace.root);
                let cache = crate::cache::disk::load(&file).0.keeping_texts();
                CacheUse::Shared(Arc::new(cache))
            }
            CacheUse::Shared(cache) => CacheUse::Shared(cache.clone()),
        };
        Ok(Analyzer {
            folder: folder.to_path_buf(),
            root: spelled_as(folder, &workspace.root),
            options: Options {
                // Findings the project's baseline records are not shown, as
                // `pipelint check` leaves them out.
                project_baseline: true,
                cache,
                ..options
            },
            watch: DiskWatch::start(&workspace.root),
            resolved_root: workspace.root,
            pool,
            kept: None,
            walked: false,
        })
    }

    /// The repo root as the editor spells it: URIs are made from it and
    /// buffer paths are relative to it.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Analyzes the workspace, reading the files `overlay` holds from their
    /// buffers. Each run reads the configuration (`pipeline.toml`,
    /// CODEOWNERS) afresh.
    pub fn analyze(&mut self, overlay: Overlay) -> Result<Analysis, String> {
        let options = Options {
            root: Some(self.resolved_root.clone()),
            overlay: Some(overlay),
            ..self.options.clone()
        };
        let folder = &self.folder;
        let (watch, kept, walked) = (&self.watch, &mut self.kept, &mut self.walked);
        self.pool.install(|| {
            // The flag is cleared before the walk: a change during it is
            // seen by the next run.
            let unchanged = watch
                .as_ref()
                .is_some_and(|w| !w.changed.swap(false, Ordering::SeqCst));
            let reuse = kept.as_mut().filter(|_| unchanged);
            *walked = reuse.is_none();
            let (found, stamps) = match reuse {
                Some(kept) => {
                    let stamps = kept.stamps_now();
                    (kept.found.reused(), stamps)
                }
                None => {
                    *kept = None;
                    let found = check::find(folder, &options).map_err(|e| e.to_string())?;
                    let root = found.workspace.root.as_path();
                    let (stamps, unstamped) =
                        crate::cache::stamp::take_all(root, &found.discovery.all_paths);
                    let stamps = Arc::new(stamps);
                    if watch.is_some() {
                        *kept = Some(Kept {
                            found: found.reused(),
                            stamps: stamps.clone(),
                            unstamped,
                        });
                    }
                    (found, stamps)
                }
            };
            let options = Options {
                stamps: Some(stamps),
                ..options
            };
            Ok(check::resume(folder, found, &options))
        })
    }

    /// Whether the last analysis walked the repo, as every run does unless
    /// the watcher saw no change since the one before.
    pub fn walked(&self) -> bool {
        self.walked
    }

    /// A file changed on disk, as the client says (a save, its watcher):
    /// the next run walks the repo again, whatever this server's own
    /// watcher has seen so far.
    pub fn disk_changed(&mut self) {
        self.kept = None;
    }
}

impl Kept {
    /// The kept stamps, with those of the paths that had none asked again
    /// (a file saved just before the last run settles later).
    fn stamps_now(&mut self) -> Arc<Taken> {
        if !self.unstamped.is_empty() {
            let (settled, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.unstamped)
                .into_iter()
                .map(|p| (Stamp::settled(&p), p))
                .partition(|(stamp, _)| stamp.is_some());
            self.unstamped = still.into_iter().map(|(_, p)| p).collect();
            let stamps = Arc::make_mut(&mut self.stamps);
            for (stamp, path) in settled {
                if let Some(stamp) = stamp {
                    stamps.insert(path, stamp);
                }
            }
        }
        self.stamps.clone()
    }
}

/// `root` (resolved) as `folder`'s spelling reaches it: the ancestor of
/// `folder` as many steps up as `root` is above the resolved folder, when it
/// resolves to `root`; else `root` itself.
fn spelled_as(folder: &Path, root: &Path) -> PathBuf {
    let spelled = std::path::absolute(folder).ok();
    let resolved = folder.canonicalize().ok();
    let up = resolved
        .as_ref()
        .and_then(|r| r.strip_prefix(root).ok())
        .map(|rest| rest.components().count());
    match (spelled, up) {
        (Some(spelled), Some(up)) => spelled
            .ancestors()
            .nth(up)
            .filter(|a| a.canonicalize().ok().as_deref() == Some(root))
            .map_or_else(|| root.to_path_buf(), Path::to_path_buf),
        _ => root.to_path_buf(),
    }
}
