//! Where the fact cache lives and how it is kept on disk: one file per
//! repo in the user's cache folder, read whole at the start of a run and
//! replaced atomically at its end (a temporary file renamed over the old
//! one, so two runs at once never leave a torn file; the last one wins).
//! A file that cannot be read, is from another pipelint version or does
//! not decode is ignored with a note; one past [`MAX_BYTES`] is neither
//! read nor written.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use super::stamp::Stamp;
use super::{Contents, Entry, FactCache, Hash};

/// The largest cache file read or written.
pub const MAX_BYTES: u64 = 512 * 1024 * 1024;

/// What a cache file holds.
#[derive(serde::Serialize)]
struct Stored {
    /// The pipelint version that wrote it (and the file's layout): no
    /// other version trusts it.
    version: String,
    /// The entries and content hashes.
    contents: Contents,
}

/// A cache file as read: [`Stored`]'s layout, the entries' facts borrowed
/// from the file's bytes, which the loaded entries then share instead of
/// copying them (twice, megabytes on a large dbt project). The memory a
/// run touches did not measurably shrink: the copies' memory was reused.
#[derive(serde::Deserialize)]
struct Read<'a> {
    /// Checked before the rest is read (see [`load`]).
    _version: &'a str,
    #[serde(borrow)]
    entries: Vec<(Arc<str>, ReadEntry<'a>)>,
    hashes: Vec<(Arc<str>, (Stamp, Hash))>,
}

/// An [`Entry`] as read: its facts still in the file's bytes.
#[derive(serde::Deserialize)]
struct ReadEntry<'a> {
    key: Hash,
    reads: Vec<(Arc<str>, Hash)>,
    facts: &'a [u8],
}

impl Read<'_> {
    /// The contents, each entry's facts a slice of `file`, the bytes this
    /// was read from.
    fn contents(self, file: &bytes::Bytes) -> Contents {
        let entries = self
            .entries
            .into_iter()
            .map(|(slot, e)| {
                (
                    slot,
                    Entry::encoded(e.key, e.reads, file.slice_ref(e.facts)),
                )
            })
            .collect();
        Contents {
            entries,
            hashes: self.hashes,
        }
    }
}

/// The version a cache file is written with: pipelint's, and the layout of
/// the file, so a build that stores more is not fed an older layout.
fn version() -> String {
    format!("{}+cache3", env!("CARGO_PKG_VERSION"))
}

/// The folder caches go in, or `None` when the cache is off: `--no-cache`
/// turns it off; `--cache-dir` (`flag`), then `PIPELINT_CACHE_DIR`, name
/// it; else it is off when `CI` is set (a CI runner starts clean, and a
/// cache restored from elsewhere is not to be trusted), and otherwise it
/// is `$XDG_CACHE_HOME/pipelint`, or `~/.cache/pipelint`.
pub fn folder(flag: Option<&Path>, no_cache: bool) -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if no_cache {
        return None;
    }
    if let Some(dir) = flag {
        return Some(dir.to_path_buf());
    }
    if let Some(dir) = var("PIPELINT_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if var("CI").is_some() {
        return None;
    }
    var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|base| base.join("pipelint"))
}

/// The cache file of the repo at `root` inside `folder`: named by the
/// repo folder's name and a hash of its full path, so two clones of one
/// repo do not share a file.
pub fn file_for(folder: &Path, root: &Path) -> PathBuf {
    let full = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let name: String = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let h = super::hash(full.as_os_str().as_encoded_bytes());
    folder
        .join(format!("{name}-{:016x}", (h >> 64) as u64))
        .join("facts.bin")
}

/// Reads the cache file at `path`: an empty cache when there is none, and
/// a note (for stderr) when it was there but not usable.
pub fn load(path: &Path) -> (FactCache, Option<String>) {
    let unusable = |why: String| {
        (
            FactCache::new(),
            Some(format!("the cache {} was ignored: {why}", path.display())),
        )
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (FactCache::new(), None),
        Err(e) => return unusable(e.to_string()),
        Ok(m) if m.len() > MAX_BYTES => {
            return unusable(format!("it is larger than {MAX_BYTES} bytes"))
        }
        Ok(_) => {}
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => bytes::Bytes::from(b),
        Err(e) => return unusable(e.to_string()),
    };
    // The version first: another version's cache is simply not ours, and
    // is replaced without a note, whatever its layout.
    match postcard::take_from_bytes::<String>(&bytes) {
        Ok((v, _)) if v == version() => {}
        Ok(_) => return (FactCache::new(), None),
        Err(e) => return unusable(format!("it does not decode ({e})")),
    }
    match postcard::from_bytes::<Read>(&bytes) {
        Ok(read) => (FactCache::with_contents(read.contents(&bytes)), None),
        Err(e) => unusable(format!("it does not decode ({e})")),
    }
}

/// Writes `contents` to `path` atomically. Errors are a note for stderr.
pub fn save(path: &Path, contents: Contents) -> Result<(), String> {
    let stored = Stored {
        version: version(),
        contents,
    };
    let bytes = postcard::to_stdvec(&stored).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "the cache was not written: {} bytes is over {MAX_BYTES}",
            bytes.len()
        ));
    }
    write_atomically(path, &bytes)?;
    if let Some(folder) = path.parent().and_then(Path::parent) {
        prune(folder);
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file renamed over it, so
/// no reader ever sees a torn file. Errors are a note for stderr.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no folder", path.display()))?;
    let cannot = |e: std::io::Error| format!("cannot write the cache in {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(cannot)?;
    std::io::Write::write_all(&mut file, bytes).map_err(cannot)?;
    file.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
}

/// How many repos' caches a folder keeps: the least recently written go
/// first, so clones that were deleted do not fill the disk.
pub const MAX_REPOS: usize = 64;

/// Removes the oldest repo caches past [`MAX_REPOS`] in `folder`: only
/// folders this module made (named `<name>-<16 hex digits>`, holding a
/// `facts.bin`), never anything else a named folder holds.
fn prune(folder: &Path) {
    let Ok(read) = std::fs::read_dir(folder) else {
        return;
    };
    let mut caches: Vec<(std::time::SystemTime, PathBuf)> = read
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.rsplit_once('-')
                .is_some_and(|(_, h)| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .filter_map(|e| {
            let facts = e.path().join("facts.bin");
            let written = std::fs::metadata(&facts).ok()?.modified().ok()?;
            Some((written, e.path()))
        })
        .collect();
    if caches.len() <= MAX_REPOS {
        return;
    }
    caches.sort_by(|a, b| b.cmp(a));
    for (_, old) in caches.into_iter().skip(MAX_REPOS) {
        let _ = std::fs::remove_file(old.join("facts.bin"));
        let _ = std::fs::remove_file(super::replay::file_beside(&old.join("facts.bin")));
        let _ = std::fs::remove_dir(&old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_saved_cache_loads_back_and_a_corrupt_one_is_ignored_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_for(dir.path(), Path::new("/some/repo"));
        assert!(path.starts_with(dir.path()));
        let cache = FactCache::new();
        let slot: Arc<str> = Arc::from("a.sql");
        cache.put(&slot, 3, vec![], &crate::facts::FileFacts::default());
        save(&path, cache.finish_run().1).unwrap();
        let (loaded, note) = load(&path);
        assert_eq!(note, None);
        assert!(loaded.get(&slot, 3, |_| None).is_some());
        std::fs::write(&path, b"\xff\xff\xff not postcard").unwrap();
        let (empty, note) = load(&path);
        assert!(empty.get(&slot, 3, |_| None).is_none());
        assert!(note.unwrap().contains("was ignored"));
        let (_, none) = load(&dir.path().join("absent.bin"));
        assert_eq!(none, None);
    }

    #[test]
    fn another_versions_cache_is_replaced_without_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("facts.bin");
        let stored = Stored {
            version: "0.0.0-other".into(),
            contents: Contents {
                entries: vec![(
                    Arc::from("a.sql"),
                    super::super::Entry::encoded(
                        3,
                        vec![],
                        postcard::to_stdvec(&crate::facts::FileFacts::default())
                            .unwrap()
                            .into(),
                    ),
                )],
                hashes: Vec::new(),
            },
        };
        std::fs::write(&path, postcard::to_stdvec(&stored).unwrap()).unwrap();
        let (cache, note) = load(&path);
        assert_eq!(note, None);
        assert!(cache.get(&Arc::from("a.sql"), 3, |_| None).is_none());
    }

    #[test]
    fn old_repo_caches_are_pruned_and_other_folders_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("keep-me")).unwrap();
        for i in 0..MAX_REPOS + 3 {
            let path = file_for(dir.path(), Path::new(&format!("/repos/r{i}")));
            save(&path, Contents::default()).unwrap();
        }
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(
            left,
            MAX_REPOS + 1,
            "64 caches and the folder that is not one"
        );
        assert!(dir.path().join("keep-me").exists());
    }

    #[test]
    fn the_folder_follows_the_flags_then_the_environment() {
        assert_eq!(folder(Some(Path::new("/c")), true), None);
        assert_eq!(
            folder(Some(Path::new("/c")), false),
            Some(PathBuf::from("/c"))
        );
    }
}
