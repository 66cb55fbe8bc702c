//! The one place the server analyzes: the workspace with the editor's
//! buffers over the disk, and everything that lives from one run to the next
//! (the worker threads, and the fact cache in memory, so that only the
//! edited file is parsed again).

use std::path::{Path, PathBuf};

use std::sync::Arc;

use crate::check::{self, Analysis, CacheUse, Options};
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
            resolved_root: workspace.root,
            options: Options {
                // Findings the project's baseline records are not shown, as
                // `pipelint check` leaves them out.
                project_baseline: true,
                cache,
                ..options
            },
            pool,
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
        self.pool
            .install(|| check::run(&self.folder, &options))
            .map_err(|e| e.to_string())
    }

    /// The configuration changed on disk (`pipeline.toml`, CODEOWNERS):
    /// nothing read with the old one may be reused. Each run reads the
    /// configuration afresh and the cache's keys hold it (see
    /// [`crate::cache`]), so facts parsed under the old one are never
    /// reused: there is nothing to drop.
    pub fn configuration_changed(&mut self) {}
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
