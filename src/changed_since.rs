//! Pull-request mode: the findings of the merge base with a revision, so a
//! run can report only what is new. The merge base's tree is copied out of
//! git objects (see [`crate::git`]) into a temporary folder and analyzed as
//! the working tree is; findings are then compared by fingerprint.

use std::path::Path;

use crate::baseline::Entry;
use crate::check::Analysis;
use crate::git::Repo;

/// The findings (one per node, as a baseline records them) of the tree at
/// the merge base of `HEAD` and `reference`, for the repo holding `path`.
/// `analyze(tree, path)` runs the check on `path` inside the copied tree
/// `tree` (the root of that run).
pub fn base_findings(
    path: &Path,
    reference: &str,
    analyze: impl FnOnce(&Path, &Path) -> Result<Analysis, String>,
) -> Result<Vec<Entry>, String> {
    let repo = Repo::discover(path)?;
    let base = repo.merge_base(reference)?;
    let dir = tempfile::Builder::new()
        .prefix("pipelint-base-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    repo.extract(&base, dir.path())?;
    let root = if repo.prefix.is_empty() {
        dir.path().to_path_buf()
    } else {
        dir.path().join(&repo.prefix)
    };
    if !root.is_dir() {
        // The folder did not exist at the merge base: everything in it is new.
        return Ok(Vec::new());
    }
    Ok(analyze(dir.path(), &root)?.recorded)
}
