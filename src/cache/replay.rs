//! A check replayed: when nothing a `pipelint check` depends on has
//! changed since the last one (the same command line and environment, the
//! same set of paths, and every file it read under the same stamp), its
//! output is printed again without parsing, building the graph or running
//! the rules. Whole-repo rules make every finding depend on every file, so
//! this is the unit that can be reused whole; the per-file facts of
//! [`super::FactCache`] serve every other run.
//!
//! A record is made only when every input's stamp is settled (see
//! [`Stamp::settled`]), and the stamps are taken before the run: a file
//! written during the run shows a newer stamp the next time, never an old
//! one beside new output.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::stamp::{Stamp, Taken};
use super::{hash_parts, Hash};

/// A check's output, and what it was made from.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Record {
    version: String,
    key: Hash,
    inputs: Vec<(PathBuf, Stamp)>,
    /// What the check printed on stdout (or wrote to `--output-file`).
    pub stdout: String,
    /// The lines it printed on stderr.
    pub stderr: Vec<String>,
    /// Its exit code.
    pub exit: u8,
}

/// The state of a repo before a check: its key and the stamps of the
/// paths discovered.
#[derive(Debug)]
pub struct Probe {
    key: Hash,
    stamps: Arc<Taken>,
    /// Whether every discovered path has a settled stamp.
    complete: bool,
}

/// The replay file beside a repo's fact cache file.
pub fn file_beside(facts: &Path) -> PathBuf {
    facts.with_file_name("replay.bin")
}

impl Probe {
    /// Stamps every path of `all_paths` under `root`, and the `folders`
    /// whose listing the check reads beyond them (a dbt project's
    /// installed packages, usually ignored by git); `run` is the hash of
    /// the command line and environment the output depends on.
    pub fn take(
        run: Hash,
        root: &Path,
        all_paths: &[std::sync::Arc<str>],
        folders: &[PathBuf],
    ) -> Probe {
        let mut complete = true;
        let listed: Vec<Vec<u8>> = folders
            .iter()
            .map(|dir| match std::fs::metadata(dir) {
                Err(_) => b"absent".to_vec(),
                Ok(_) => match Stamp::settled_folder(dir) {
                    Some(stamp) => postcard::to_stdvec(&stamp).unwrap_or_default(),
                    None => {
                        complete = false;
                        Vec::new()
                    }
                },
            })
            .collect();
        let key = hash_parts(
            [&run.to_le_bytes()[..], root.as_os_str().as_encoded_bytes()]
                .into_iter()
                .chain(all_paths.iter().map(|p| p.as_bytes()))
                .chain(folders.iter().map(|f| f.as_os_str().as_encoded_bytes()))
                .chain(listed.iter().map(Vec::as_slice)),
        );
        let (stamps, missing) = super::stamp::take_all(root, all_paths);
        complete &= missing.is_empty();
        let stamps = Arc::new(stamps);
        Probe {
            key,
            stamps,
            complete,
        }
    }

    /// The settled stamps taken, by path: the run that follows uses them
    /// instead of asking for each file again.
    pub fn stamps(&self) -> Arc<Taken> {
        self.stamps.clone()
    }

    /// The record in `file` when it was made from exactly this state.
    pub fn replay(&self, file: &Path) -> Option<Record> {
        if !self.complete {
            return None;
        }
        let meta = std::fs::metadata(file).ok()?;
        if meta.len() > super::disk::MAX_BYTES {
            return None;
        }
        let record: Record = postcard::from_bytes(&std::fs::read(file).ok()?).ok()?;
        let unchanged = record.version == version()
            && record.key == self.key
            && record.inputs.iter().all(|(path, stamp)| {
                let now = self.stamps.get(path).or_else(|| Stamp::settled(path));
                now == Some(*stamp)
            });
        unchanged.then_some(record)
    }

    /// A record of a check made from this state: `read` are the other
    /// files it read (repo-relative under `root`, or absolute), each
    /// stamped now. `None` when some input has no settled stamp.
    pub fn record(
        self,
        root: &Path,
        read: impl IntoIterator<Item = PathBuf>,
        stdout: String,
        stderr: Vec<String>,
        exit: u8,
    ) -> Option<Record> {
        if !self.complete {
            return None;
        }
        let mut inputs: Vec<(PathBuf, Stamp)> = self
            .stamps
            .iter()
            .map(|(p, s)| (p.to_path_buf(), s))
            .collect();
        for path in read {
            let path = root.join(path);
            if !self.stamps.contains(&path) {
                let stamp = Stamp::settled(&path)?;
                inputs.push((path, stamp));
            }
        }
        // Sorted by bytes (cheaper than by path components), for a file
        // that is the same for the same state.
        inputs.sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
        inputs.dedup_by(|a, b| a.0 == b.0);
        Some(Record {
            version: version(),
            key: self.key,
            inputs,
            stdout,
            stderr,
            exit,
        })
    }
}

/// Writes `record` to `file` atomically; errors are a note for stderr.
pub fn save(file: &Path, record: &Record) -> Result<(), String> {
    let bytes = postcard::to_stdvec(record).map_err(|e| e.to_string())?;
    super::disk::write_atomically(file, &bytes)
}

fn version() -> String {
    format!("{}+replay1", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A folder whose files are old enough for their stamps to be settled.
    fn settled_repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.sql"), "select 1").unwrap();
        std::fs::write(dir.path().join("b.sql"), "select 2").unwrap();
        std::thread::sleep(super::super::stamp::SETTLED + std::time::Duration::from_secs(1));
        dir
    }

    #[test]
    fn a_record_replays_only_the_state_it_was_made_from() {
        let repo = settled_repo();
        let root = repo.path();
        let paths: Vec<Arc<str>> = vec![Arc::from("a.sql")];
        let file = root.join("replay.bin");
        let record = Probe::take(1, root, &paths, &[])
            .record(root, [PathBuf::from("b.sql")], "out".into(), vec![], 1)
            .unwrap();
        save(&file, &record).unwrap();
        let again = Probe::take(1, root, &paths, &[]).replay(&file).unwrap();
        assert_eq!((again.stdout.as_str(), again.exit), ("out", 1));
        assert!(
            Probe::take(2, root, &paths, &[]).replay(&file).is_none(),
            "another command"
        );
        let more: Vec<Arc<str>> = vec![Arc::from("a.sql"), Arc::from("c.sql")];
        assert!(
            Probe::take(1, root, &more, &[]).replay(&file).is_none(),
            "another set of paths"
        );
        // A read file rewritten (same length): its stamp is no longer settled.
        std::fs::write(root.join("b.sql"), "select 3").unwrap();
        assert!(Probe::take(1, root, &paths, &[]).replay(&file).is_none());
        // A listed folder: replayed while it is unchanged, not once an
        // entry is added to it.
        let packages = root.join("dbt_packages");
        let folders = [packages.clone()];
        std::fs::write(root.join("b.sql"), "select 2").unwrap();
        std::thread::sleep(super::super::stamp::SETTLED + std::time::Duration::from_secs(1));
        let record = Probe::take(1, root, &paths, &folders)
            .record(root, [PathBuf::from("b.sql")], "out".into(), vec![], 1)
            .unwrap();
        save(&file, &record).unwrap();
        assert!(Probe::take(1, root, &paths, &folders)
            .replay(&file)
            .is_some());
        std::fs::create_dir(&packages).unwrap();
        assert!(
            Probe::take(1, root, &paths, &folders)
                .replay(&file)
                .is_none(),
            "created"
        );
        std::fs::write(root.join("b.sql"), "select 3").unwrap();
        // And no record is made while an input is that fresh.
        let probe = Probe::take(1, root, &paths, &[]);
        assert!(probe
            .record(root, [PathBuf::from("b.sql")], String::new(), vec![], 0)
            .is_none());
    }
}
