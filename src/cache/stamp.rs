//! A file's stamp: what `stat` says of it (size, modification and change
//! times, inode). A warm run trusts a content hash it recorded under the
//! same stamp instead of reading the file again, as git's index and
//! ruff's cache do. A stamp is recorded only once the file has been still
//! for [`SETTLED`]: a write within the clock's granularity of the moment
//! the stamp was taken could otherwise leave the stamp unchanged.

use std::path::Path;
use std::time::{Duration, SystemTime};

use foldhash::HashMapExt;

/// Stamps already taken in this run, by path (the replay probe's, taken
/// before the run): files are not asked twice. Paths are found by their
/// bytes (every path here is the root joined with a repo-relative path,
/// spelled one way): hashing a `Path` walks its components.
#[derive(Debug, Clone, Default)]
pub struct Taken(foldhash::HashMap<std::ffi::OsString, Stamp>);

impl Taken {
    /// Room for `n` stamps.
    pub fn with_capacity(n: usize) -> Taken {
        Taken(foldhash::HashMap::with_capacity(n))
    }

    /// The stamp taken of `path`.
    pub fn get(&self, path: &Path) -> Option<Stamp> {
        self.0.get(path.as_os_str()).copied()
    }

    /// Whether a stamp of `path` was taken.
    pub fn contains(&self, path: &Path) -> bool {
        self.0.contains_key(path.as_os_str())
    }

    /// Records the stamp of `path`.
    pub fn insert(&mut self, path: std::path::PathBuf, stamp: Stamp) {
        self.0.insert(path.into_os_string(), stamp);
    }

    /// The stamps taken, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, Stamp)> {
        self.0.iter().map(|(p, s)| (Path::new(p), *s))
    }
}

/// The settled stamps of the repo-relative `rels` under `root`, taken in
/// parallel, and the paths that had none (too fresh, or unreadable).
pub fn take_all(root: &Path, rels: &[std::sync::Arc<str>]) -> (Taken, Vec<std::path::PathBuf>) {
    use rayon::prelude::*;
    let stamped: Vec<(std::path::PathBuf, Option<Stamp>)> = rels
        .par_iter()
        .map(|rel| {
            let path = root.join(rel.as_ref());
            let stamp = Stamp::settled(&path);
            (path, stamp)
        })
        .collect();
    let mut taken = Taken::with_capacity(stamped.len());
    let mut missing = Vec::new();
    for (path, stamp) in stamped {
        match stamp {
            Some(stamp) => {
                taken.insert(path, stamp);
            }
            None => missing.push(path),
        }
    }
    (taken, missing)
}

/// How long a file must be unchanged before its stamp is trusted.
pub const SETTLED: Duration = Duration::from_secs(2);

/// What `stat` says of a file, as far as a change shows in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
    inode: u64,
}

impl Stamp {
    /// The stamp of the file at `path` (following links, as reading does),
    /// or `None` when it cannot be taken or the file changed too recently
    /// to be trusted (see [`SETTLED`]).
    pub fn settled(path: &Path) -> Option<Stamp> {
        Stamp::settled_if(path, std::fs::Metadata::is_file)
    }

    /// Whether the file is within the size limit a read enforces
    /// (`--max-file-bytes`): only then does a content hash known under
    /// this stamp stand for a read (every other way a read fails, but a
    /// change of permissions, is decided by the content, which the hash
    /// holds; a change of permissions changes the stamp).
    pub fn readable(&self) -> bool {
        self.len <= crate::limits::get().file_bytes
    }

    /// The stamp of the folder at `path`: it changes when an entry is
    /// added, removed or renamed in it.
    pub fn settled_folder(path: &Path) -> Option<Stamp> {
        Stamp::settled_if(path, std::fs::Metadata::is_dir)
    }

    #[cfg(unix)]
    fn settled_if(path: &Path, kind: fn(&std::fs::Metadata) -> bool) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        if !kind(&meta) {
            return None;
        }
        let stamp = Stamp {
            len: meta.len(),
            modified: (meta.mtime(), meta.mtime_nsec()),
            changed: (meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
        };
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .ok()?
            .as_secs();
        let newest = stamp.modified.0.max(stamp.changed.0);
        let settled = i64::try_from(now.saturating_sub(SETTLED.as_secs())).ok()? > newest;
        settled.then_some(stamp)
    }

    /// Without `stat`'s change time and inode, no stamp is trusted: every
    /// file is read.
    #[cfg(not(unix))]
    fn settled_if(_path: &Path, _kind: fn(&std::fs::Metadata) -> bool) -> Option<Stamp> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_just_written_has_no_stamp_and_an_old_one_has() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sql");
        std::fs::write(&path, "select 1").unwrap();
        assert_eq!(Stamp::settled(&path), None, "written just now");
        let old = SystemTime::now() - Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        // Setting the time changed the change time: still too recent.
        assert_eq!(Stamp::settled(&path), None);
        assert_eq!(Stamp::settled(dir.path()), None, "a folder");
        assert_eq!(Stamp::settled_folder(&path), None, "a file");
        assert_eq!(Stamp::settled(&dir.path().join("absent")), None);
    }
}
