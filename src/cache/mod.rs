//! The fact cache: what a parser read from a file (its [`FileFacts`]),
//! reused while everything those facts came from is unchanged — as ruff's
//! `.ruff_cache`, but kept in the user's cache folder, never in a place the
//! repo controls (a pull request could commit a poisoned cache).
//!
//! Each entry is found by its slot (a file's repo-relative path, or a dbt
//! project's folder) and trusted only when its key matches: a hash of the
//! pipelint version, the configuration text, the limits and options, the
//! file's content, and for what resolves paths (DAG files, dbt projects)
//! the set of paths that exist. A dbt project's entry also lists every file
//! the project read, with its content hash, and is trusted only when each
//! of them still hashes the same. Results with and without the cache are
//! byte-identical: a hit gives back exactly what parsing gave.
//!
//! A whole check whose inputs are all unchanged is replayed ([`replay`]).
//! A file's content hash is itself remembered under its [`stamp::Stamp`],
//! so a warm run reads only the files whose stamp changed.
//!
//! One [`FactCache`] serves one run from the disk ([`disk`]), or many runs
//! in one process (the language server keeps one in memory, its entries and
//! parts as values rather than encoded, see [`FactCache::keeping_texts`]).

pub mod disk;
pub mod memo;
pub mod replay;
pub mod stamp;

use std::sync::{Arc, Mutex};

use foldhash::HashMap;

use crate::facts::FileFacts;
use stamp::Stamp;

/// A content or key hash (xxh3, 128 bits).
pub type Hash = u128;

/// The hash of some bytes.
pub fn hash(bytes: &[u8]) -> Hash {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// The hash of several parts, each length-prefixed so that no two
/// different lists of parts hash alike by concatenation.
pub fn hash_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Hash {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.digest128()
}

/// One cached result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    /// Everything the facts depend on but the files in `reads`.
    pub key: Hash,
    /// Files read to produce the facts (a dbt project's), with their
    /// content hashes; empty for a single file, whose content is in `key`.
    pub reads: Vec<(Arc<str>, Hash)>,
    /// The facts, encoded (decoded only on a hit); empty when `decoded`
    /// holds them. Shared, not copied: an entry loaded from disk is a
    /// slice of the file's bytes (see [`disk::load`]).
    #[serde(serialize_with = "whole_bytes")]
    pub facts: bytes::Bytes,
    /// The facts as values, in a cache that keeps them in memory (see
    /// [`FactCache::keeping_texts`]): a hit then copies them instead of
    /// decoding them. Never written to disk.
    #[serde(skip)]
    pub decoded: Option<Decoded>,
}

impl Entry {
    /// An entry of encoded facts.
    pub fn encoded(key: Hash, reads: Vec<(Arc<str>, Hash)>, facts: bytes::Bytes) -> Entry {
        Entry {
            key,
            reads,
            facts,
            decoded: None,
        }
    }

    /// An entry of facts kept as values.
    fn decoded(key: Hash, reads: Vec<(Arc<str>, Hash)>, value: Decoded) -> Entry {
        Entry {
            key,
            reads,
            facts: bytes::Bytes::new(),
            decoded: Some(value),
        }
    }

    /// The value of type `T` the entry holds: its decoded value, else its
    /// encoding decoded.
    fn value<T>(&self) -> Option<T>
    where
        T: serde::de::DeserializeOwned + Clone + 'static,
    {
        match &self.decoded {
            Some(Decoded(value)) => value.downcast_ref::<T>().cloned(),
            None => postcard::from_bytes(&self.facts).ok(),
        }
    }
}

/// A value kept in memory as made, of whatever type its maker gave.
#[derive(Clone)]
pub struct Decoded(Arc<dyn std::any::Any + Send + Sync>);

impl Decoded {
    fn of<T: Send + Sync + 'static>(value: T) -> Decoded {
        Decoded(Arc::new(value))
    }
}

/// Facts made ready for an entry (see [`FactCache::ready`]).
#[derive(Debug)]
pub struct Ready(Facts);

/// Facts as an entry holds them.
#[derive(Debug)]
enum Facts {
    Decoded(Decoded),
    Encoded(bytes::Bytes),
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decoded(..)")
    }
}

/// Encoded facts written as one run of bytes: serde's default for `[u8]`
/// is a sequence, read back one element at a time.
fn whole_bytes<S: serde::Serializer>(bytes: &bytes::Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(bytes)
}

/// What a cache holds between runs: the entries by slot, and the content
/// hashes of files by path with the stamp they were taken under.
#[derive(Debug, Default, serde::Serialize)]
pub struct Contents {
    /// Entries, sorted by slot.
    pub entries: Vec<(Arc<str>, Entry)>,
    /// Content hashes, sorted by path.
    pub hashes: Vec<(Arc<str>, (Stamp, Hash))>,
}

/// The cache of one repo: the entries a run may reuse and the entries it
/// made, which the next run (or the disk) gets.
#[derive(Debug, Default)]
pub struct FactCache {
    /// Entries from earlier runs, by slot.
    earlier: Mutex<HashMap<Arc<str>, Entry>>,
    /// The slots of the parts of each earlier entry, by the entry's slot.
    earlier_parts: Mutex<HashMap<Arc<str>, Vec<Arc<str>>>>,
    /// Entries this run used or made, by slot.
    now: Mutex<HashMap<Arc<str>, Entry>>,
    /// Content hashes known from earlier runs, by path.
    earlier_hashes: Mutex<HashMap<Arc<str>, (Stamp, Hash)>>,
    /// Content hashes this run used or took, by path.
    now_hashes: Mutex<HashMap<Arc<str>, (Stamp, Hash)>>,
    /// How many slots were reused and how many parsed afresh.
    counts: Mutex<(usize, usize)>,
    /// How many content hashes were taken by reading the file, and how
    /// many known by the file's stamp.
    hashed: Mutex<(usize, usize)>,
    /// Stamps this run already took (see [`FactCache::use_taken`]).
    taken: Mutex<Option<Arc<stamp::Taken>>>,
    /// How many parts of entries ([`memo::Memo`]) were reused and how
    /// many made afresh.
    part_counts: Mutex<(usize, usize)>,
    /// What the last finished run reused and made (see [`FactCache::last_run`]).
    last_run: Mutex<RunCounts>,
    /// Texts of files earlier runs read, with the stamp they were read
    /// under, when kept (see [`FactCache::keeping_texts`]), and those this
    /// run read or reused.
    texts: Option<Mutex<TextGenerations>>,
    /// Values made from one file each, by (name, file), when texts are
    /// kept: the earlier runs' and this run's (see [`FactCache::kept_for`]).
    file_values: Option<Mutex<[FileValues; 2]>>,
    /// Whether entries and parts are kept as values rather than encoded
    /// (when texts are kept: such a cache is never saved).
    in_memory: bool,
}

/// How many entries and parts of entries one run reused and made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunCounts {
    /// (entries reused, entries parsed afresh).
    pub entries: (usize, usize),
    /// (parts reused, parts made afresh), see [`memo::Memo`].
    pub parts: (usize, usize),
}

/// Values made from one file each, by (name, file), each with the hash of
/// what it was made from.
type FileValues = HashMap<(&'static str, Arc<str>), (Hash, Arc<dyn std::any::Any + Send + Sync>)>;

/// Texts by path with their stamps: the earlier runs' and this run's.
type TextGenerations = [HashMap<Arc<str>, (Stamp, Arc<str>)>; 2];

impl FactCache {
    /// An empty cache.
    pub fn new() -> FactCache {
        FactCache::default()
    }

    /// A cache holding what earlier runs left.
    pub fn with_contents(contents: Contents) -> FactCache {
        FactCache {
            earlier_parts: Mutex::new(memo::parts_by_owner(
                contents.entries.iter().map(|(slot, _)| slot),
            )),
            earlier: Mutex::new(contents.entries.into_iter().collect()),
            earlier_hashes: Mutex::new(contents.hashes.into_iter().collect()),
            ..FactCache::default()
        }
    }

    /// This cache, keeping the texts of the files a dbt project reads from
    /// run to run (in memory only), so that a file whose stamp is
    /// unchanged is not read again, the values made from files (see
    /// [`FactCache::kept_for`]), and its entries and parts as values rather
    /// than encoded (a hit copies them instead of decoding them): for a
    /// process that runs many checks (the language server), at the cost of
    /// holding them. Such a cache is not for the disk: what its runs leave
    /// ([`FactCache::finish_run`]) holds none of the values.
    pub fn keeping_texts(mut self) -> FactCache {
        self.texts = Some(Mutex::default());
        self.file_values = Some(Mutex::default());
        self.in_memory = true;
        self
    }

    /// The value `name` made from the file `file` whose inputs hash to
    /// `key`: the one an earlier run made from the same inputs when values
    /// are kept (see [`FactCache::keeping_texts`]), else what `make` makes.
    /// A value no run asked for is dropped when the run after it ends (its
    /// file is gone, or no longer needs it). For values that are costly to
    /// make and need not or cannot be written to disk (parsed YAML,
    /// compiled globs); `key` must hold everything `make` reads.
    pub fn kept_for<T: Send + Sync + 'static>(
        &self,
        name: &'static str,
        file: &Arc<str>,
        key: Hash,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        let Some(values) = &self.file_values else {
            return Arc::new(make());
        };
        let slot = (name, file.clone());
        let known = values.lock().ok().and_then(|v| {
            let found = v[1].get(&slot).or_else(|| v[0].get(&slot));
            let (_, value) = found.filter(|(made_from, _)| *made_from == key)?;
            value.clone().downcast::<T>().ok()
        });
        let value = known.unwrap_or_else(|| Arc::new(make()));
        if let Ok(mut v) = values.lock() {
            v[1].insert(slot, (key, value.clone()));
        }
        value
    }

    /// The text of the discovered file `rel` at `path`: the one an earlier
    /// run read under the file's current stamp, when texts are kept, else
    /// what `read` reads. The stamp is taken before the read, so a write
    /// during it leaves the text under an older stamp, never reused.
    pub fn text<E>(
        &self,
        rel: &Arc<str>,
        path: &std::path::Path,
        read: impl FnOnce() -> Result<Arc<str>, E>,
    ) -> Result<Arc<str>, E> {
        let Some(texts) = &self.texts else {
            return read();
        };
        let stamp = self.stamp_of(path);
        let known = stamp.and_then(|stamp| {
            let t = texts.lock().ok()?;
            t[0].get(rel)
                .filter(|(s, _)| *s == stamp)
                .map(|(_, t)| t.clone())
        });
        let text = match known {
            Some(text) => text,
            None => read()?,
        };
        if let (Some(stamp), Ok(mut t)) = (stamp, texts.lock()) {
            t[1].insert(rel.clone(), (stamp, text.clone()));
        }
        Ok(text)
    }

    /// Gives this run the stamps it already took (the replay probe's,
    /// before the run), so [`FactCache::stamp_of`] asks no file twice.
    pub fn use_taken(&self, taken: Arc<stamp::Taken>) {
        if let Ok(mut t) = self.taken.lock() {
            *t = Some(taken);
        }
    }

    /// The settled stamp of the file at `path`: the one this run already
    /// took when there is a set of them (a path missing from it had none),
    /// else asked now.
    pub fn stamp_of(&self, path: &std::path::Path) -> Option<Stamp> {
        let taken = self.taken.lock().ok().and_then(|t| t.clone());
        match taken {
            Some(taken) => taken.get(path),
            None => Stamp::settled(path),
        }
    }

    /// The content hash of the file at `rel` recorded under `stamp`, if
    /// an earlier run took it under that stamp.
    pub fn known_hash(&self, rel: &Arc<str>, stamp: Stamp) -> Option<Hash> {
        let hash = self
            .earlier_hashes
            .lock()
            .ok()?
            .get(rel)
            .filter(|(s, _)| *s == stamp)?
            .1;
        if let Ok(mut now) = self.now_hashes.lock() {
            now.insert(rel.clone(), (stamp, hash));
        }
        if let Ok(mut n) = self.hashed.lock() {
            n.1 += 1;
        }
        Some(hash)
    }

    /// Records the content hash of the file at `rel`, read under `stamp`
    /// (`None`: a file too fresh to be known by its stamp next time).
    pub fn record_hash(&self, rel: &Arc<str>, stamp: Option<Stamp>, hash: Hash) {
        if let Some(stamp) = stamp {
            if let Ok(mut now) = self.now_hashes.lock() {
                now.insert(rel.clone(), (stamp, hash));
            }
        }
        if let Ok(mut n) = self.hashed.lock() {
            n.0 += 1;
        }
    }

    /// (files read for their hash, files known by their stamp) since the
    /// last [`FactCache::finish_run`].
    pub fn hash_counts(&self) -> (usize, usize) {
        self.hashed.lock().map(|c| *c).unwrap_or_default()
    }

    /// The facts cached in `slot` under `key`, when every file the entry
    /// read still hashes as it did (`content_of` gives a file's current
    /// content hash, reading it as the parser would); else `None`.
    pub fn get(
        &self,
        slot: &Arc<str>,
        key: Hash,
        content_of: impl Fn(&Arc<str>) -> Option<Hash>,
    ) -> Option<FileFacts> {
        let reads = {
            let earlier = self.earlier.lock().ok()?;
            let e = earlier.get(slot).filter(|e| e.key == key)?;
            e.reads.clone()
        };
        // Files are read (for their hashes) without holding the lock, in
        // order and up to the first that changed: how many were asked is
        // the same in every run (`PIPELINT_TIMINGS` counts them).
        if !reads.iter().all(|(rel, h)| content_of(rel) == Some(*h)) {
            return None;
        }
        // A hit is taken out, not copied: its facts can be megabytes. Its
        // parts go with it, for the run that next parses it afresh.
        let (mut entry, parts) = {
            let mut earlier = self.earlier.lock().ok()?;
            let entry = earlier.remove(slot)?;
            let named = self
                .earlier_parts
                .lock()
                .ok()
                .and_then(|mut p| p.remove(slot))
                .unwrap_or_default();
            let parts: Vec<(Arc<str>, Entry)> = named
                .into_iter()
                .filter_map(|k| earlier.remove(&k).map(|e| (k, e)))
                .collect();
            (entry, parts)
        };
        let facts: FileFacts = entry.value()?;
        if self.in_memory && entry.decoded.is_none() {
            // Decoded once (an entry the disk gave), copied from then on.
            entry = Entry::decoded(entry.key, entry.reads, Decoded::of(facts.clone()));
        }
        if let Ok(mut now) = self.now.lock() {
            now.insert(slot.clone(), entry);
            now.extend(parts);
        }
        if let Ok(mut c) = self.counts.lock() {
            c.0 += 1;
        }
        Some(facts)
    }

    /// Records what parsing `slot` gave, under `key`, with the files it read.
    pub fn put(&self, slot: &Arc<str>, key: Hash, reads: Vec<(Arc<str>, Hash)>, facts: &FileFacts) {
        self.put_ready(slot, key, reads, self.ready(facts));
    }

    /// `facts` as an entry holds them: copied when this cache keeps values,
    /// else encoded (none when they cannot be). Made apart from
    /// [`FactCache::put_ready`] so that it can run beside other work.
    pub fn ready(&self, facts: &FileFacts) -> Option<Ready> {
        Some(Ready(if self.in_memory {
            Facts::Decoded(Decoded::of(facts.clone()))
        } else {
            Facts::Encoded(postcard::to_stdvec(facts).ok()?.into())
        }))
    }

    /// [`FactCache::put`] of facts made ready for it.
    pub fn put_ready(
        &self,
        slot: &Arc<str>,
        key: Hash,
        reads: Vec<(Arc<str>, Hash)>,
        ready: Option<Ready>,
    ) {
        if let Ok(mut c) = self.counts.lock() {
            c.1 += 1;
        }
        let entry = match ready {
            Some(Ready(Facts::Decoded(facts))) => Entry::decoded(key, reads, facts),
            Some(Ready(Facts::Encoded(facts))) => Entry::encoded(key, reads, facts),
            None => return,
        };
        if let Ok(mut now) = self.now.lock() {
            now.insert(slot.clone(), entry);
        }
    }

    /// What the last finished run ([`FactCache::finish_run`]) reused and
    /// made: for a process that runs checks itself and reports on them.
    pub fn last_run(&self) -> RunCounts {
        self.last_run.lock().map(|c| *c).unwrap_or_default()
    }

    /// (reused, parsed afresh) since the last [`FactCache::finish_run`].
    pub fn counts(&self) -> (usize, usize) {
        self.counts.lock().map(|c| *c).unwrap_or_default()
    }

    /// (parts reused, parts made afresh) since the last
    /// [`FactCache::finish_run`] (see [`memo::Memo`]).
    pub fn part_counts(&self) -> (usize, usize) {
        self.part_counts.lock().map(|c| *c).unwrap_or_default()
    }

    /// The value of the part in `slot`, made under `key` by an earlier
    /// run (when it decodes); it is kept for the next run. A part has no
    /// reads: its key holds all it was made from.
    fn recall_part<T>(&self, slot: Arc<str>, key: Hash) -> Option<T>
    where
        T: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let mut entry = {
            let mut earlier = self.earlier.lock().ok()?;
            earlier.get(&slot).filter(|e| e.key == key)?;
            earlier.remove(&slot)?
        };
        let value: Option<T> = entry.value();
        if let (Some(v), true, None) = (&value, self.in_memory, &entry.decoded) {
            // Decoded once (a part the disk gave), copied from then on.
            entry = Entry::decoded(key, Vec::new(), Decoded::of(v.clone()));
        }
        if let Ok(mut now) = self.now.lock() {
            now.insert(slot, entry);
        }
        if let Ok(mut c) = self.part_counts.lock() {
            c.0 += 1;
        }
        value
    }

    /// Records `value`, a part made afresh in `slot` under `key`.
    fn remember_part<T>(&self, slot: Arc<str>, key: Hash, value: &T)
    where
        T: serde::Serialize + Clone + Send + Sync + 'static,
    {
        let entry = if self.in_memory {
            Entry::decoded(key, Vec::new(), Decoded::of(value.clone()))
        } else {
            let Ok(bytes) = postcard::to_stdvec(value) else {
                return;
            };
            Entry::encoded(key, Vec::new(), bytes.into())
        };
        if let Ok(mut now) = self.now.lock() {
            now.insert(slot, entry);
        }
        if let Ok(mut c) = self.part_counts.lock() {
            c.1 += 1;
        }
    }

    /// Ends a run: what it used or made becomes what the next run may
    /// reuse, and entries of files that are gone are dropped. Returns
    /// whether anything changed since the last run (an entry or hash
    /// made, or one dropped), and the contents, sorted, for the disk (none
    /// for a cache keeping values, which is never saved).
    pub fn finish_run(&self) -> (bool, Contents) {
        let now = take(&self.now);
        let now_hashes = take(&self.now_hashes);
        let (reused, fresh) = self.counts();
        if let Ok(mut last) = self.last_run.lock() {
            *last = RunCounts {
                entries: (reused, fresh),
                parts: self.part_counts(),
            };
        }
        let (read, _) = take(&self.hashed);
        let mut changed = fresh > 0 || read > 0;
        if let Ok(mut parts) = self.earlier_parts.lock() {
            *parts = memo::parts_by_owner(now.keys());
        }
        // A cache keeping values passes this run's entries on whole; one for
        // the disk copies them, and leaves them sorted with the hashes.
        let (next, contents) = if self.in_memory {
            (now, None)
        } else {
            let next = now.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let mut entries: Vec<_> = now.into_iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let mut hashes: Vec<_> = now_hashes.iter().map(|(k, v)| (k.clone(), *v)).collect();
            hashes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            (next, Some(Contents { entries, hashes }))
        };
        if let Ok(mut earlier) = self.earlier.lock() {
            // What is left of the earlier entries was not reused: gone or stale.
            changed |= !earlier.is_empty();
            crate::aside::free(std::mem::replace(&mut *earlier, next));
        }
        if let Ok(mut c) = self.counts.lock() {
            *c = (0, 0);
        }
        if let Ok(mut c) = self.part_counts.lock() {
            *c = (0, 0);
        }
        if let Some(Ok(mut t)) = self.texts.as_ref().map(Mutex::lock) {
            // An earlier text this run did not ask for is kept while the
            // run saw its file under the same stamp (a project reused
            // whole reads nothing); else its file is gone or changed.
            let mut kept = std::mem::take(&mut t[1]);
            for (rel, (stamp, text)) in std::mem::take(&mut t[0]) {
                let same = now_hashes.get(&rel).is_some_and(|(s, _)| *s == stamp);
                if same {
                    kept.entry(rel).or_insert((stamp, text));
                }
            }
            t[0] = kept;
        }
        if let Some(Ok(mut v)) = self.file_values.as_ref().map(Mutex::lock) {
            v[0] = std::mem::take(&mut v[1]);
        }
        if let Ok(mut t) = self.taken.lock() {
            *t = None;
        }
        if let Ok(mut earlier) = self.earlier_hashes.lock() {
            changed |= earlier.len() != now_hashes.len();
            crate::aside::free(std::mem::replace(&mut *earlier, now_hashes));
        }
        (changed, contents.unwrap_or_default())
    }
}

/// What a map holds, leaving it empty.
fn take<T: Default>(m: &Mutex<T>) -> T {
    m.lock()
        .map(|mut n| std::mem::take(&mut *n))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(n: usize) -> FileFacts {
        let mut f = FileFacts::default();
        f.package_dirs.push(Arc::from(format!("dir{n}")));
        f
    }

    #[test]
    fn an_entry_is_reused_only_under_its_key_and_while_its_reads_are_unchanged() {
        let cache = FactCache::new();
        let slot: Arc<str> = Arc::from("dbt");
        let read: Arc<str> = Arc::from("dbt/models/a.sql");
        cache.put(&slot, 7, vec![(read.clone(), 1)], &facts(1));
        assert!(cache.finish_run().0);
        assert!(cache.get(&slot, 8, |_| Some(1)).is_none(), "another key");
        assert!(cache.get(&slot, 7, |_| Some(2)).is_none(), "a read changed");
        assert!(cache.get(&slot, 7, |_| None).is_none(), "a read is gone");
        let hit = cache.get(&slot, 7, |_| Some(1)).unwrap();
        assert_eq!(hit.package_dirs, facts(1).package_dirs);
        assert_eq!(cache.counts(), (1, 0));
    }

    #[test]
    fn a_run_keeps_only_the_slots_it_used() {
        let cache = FactCache::new();
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a.sql"), Arc::from("b.sql"));
        cache.put(&a, 1, vec![], &facts(1));
        cache.put(&b, 2, vec![], &facts(2));
        assert_eq!(cache.finish_run().1.entries.len(), 2);
        assert!(cache.get(&a, 1, |_| None).is_some());
        let (changed, kept) = cache.finish_run();
        assert!(changed, "b.sql was dropped");
        assert_eq!(kept.entries.len(), 1, "b.sql was not seen: gone");
        assert!(cache.get(&a, 1, |_| None).is_some());
        assert!(!cache.finish_run().0, "the same run again changes nothing");
        assert!(cache.get(&b, 2, |_| None).is_none());
    }

    #[test]
    fn hashes_known_by_stamp_carry_to_the_next_run_and_counts_restart() {
        let cache = FactCache::new();
        let rel: Arc<str> = Arc::from("a.sql");
        let stamp = serde_json::from_value::<Stamp>(serde_json::json!({
            "len": 1, "modified": [1, 0], "changed": [1, 0], "inode": 7
        }))
        .unwrap();
        cache.put(&rel, 1, vec![], &facts(1));
        cache.record_hash(&rel, Some(stamp), 42);
        assert_eq!(cache.hash_counts(), (1, 0));
        assert!(cache.finish_run().0);
        assert_eq!(cache.hash_counts(), (0, 0), "counts restart with each run");
        assert_eq!(cache.known_hash(&rel, stamp), Some(42));
        assert_eq!(cache.hash_counts(), (0, 1));
        let other = serde_json::from_value::<Stamp>(serde_json::json!({
            "len": 2, "modified": [1, 0], "changed": [1, 0], "inode": 7
        }))
        .unwrap();
        assert_eq!(cache.known_hash(&rel, other), None, "another stamp");
        assert!(cache.get(&rel, 1, |_| None).is_some());
        cache.finish_run();
        assert_eq!(cache.hash_counts(), (0, 0));
    }

    #[test]
    fn kept_texts_are_reused_while_the_file_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.sql"), dir.path().join("b.sql"));
        std::fs::write(&a, "select 1").unwrap();
        std::fs::write(&b, "select 2").unwrap();
        std::thread::sleep(stamp::SETTLED + std::time::Duration::from_secs(1));
        let rel: Arc<str> = Arc::from("a.sql");
        let reads = std::cell::Cell::new(0);
        let read = |path: &std::path::Path| {
            reads.set(reads.get() + 1);
            Ok::<_, ()>(Arc::from(std::fs::read_to_string(path).unwrap()))
        };
        let text = |cache: &FactCache, path: &std::path::Path| {
            cache.text(&rel, path, || read(path)).unwrap().to_string()
        };

        let off = FactCache::new();
        assert_eq!(text(&off, &a), "select 1");
        off.finish_run();
        assert_eq!(text(&off, &a), "select 1");
        assert_eq!(reads.get(), 2, "texts are not kept unless asked");

        let cache = FactCache::new().keeping_texts();
        reads.set(0);
        assert_eq!(text(&cache, &a), "select 1");
        cache.finish_run();
        assert_eq!(text(&cache, &a), "select 1");
        assert_eq!(reads.get(), 1, "the second run reused the text");
        // A run that saw the file unchanged without reading it keeps it.
        let stamp = cache.stamp_of(&a).unwrap();
        assert_eq!(cache.known_hash(&rel, stamp), None);
        cache.record_hash(&rel, Some(stamp), 1);
        cache.finish_run();
        assert_eq!(text(&cache, &a), "select 1");
        assert_eq!(reads.get(), 1, "kept by a run that saw it unchanged");
        cache.finish_run();
        cache.finish_run();
        assert_eq!(text(&cache, &a), "select 1");
        assert_eq!(reads.get(), 2, "a run that did not see it dropped it");
        cache.finish_run();
        // The path now holds another file (another stamp): read again.
        std::fs::rename(&b, &a).unwrap();
        assert_eq!(text(&cache, &a), "select 2");
        assert_eq!(reads.get(), 3);
    }

    #[test]
    fn a_cache_in_memory_decodes_what_the_disk_gave_once_and_leaves_no_values() {
        let disk = FactCache::new();
        let slot: Arc<str> = Arc::from("a.sql");
        disk.put(&slot, 1, vec![], &facts(1));
        let (_, contents) = disk.finish_run();
        let memory = FactCache::with_contents(contents).keeping_texts();
        let decoded = |cache: &FactCache| {
            let earlier = cache.earlier.lock().unwrap();
            earlier.get(&slot).map(|e| e.decoded.is_some())
        };
        assert_eq!(decoded(&memory), Some(false), "as the disk gave it");
        let hit = memory.get(&slot, 1, |_| None).unwrap();
        assert_eq!(hit.package_dirs, facts(1).package_dirs);
        let (_, left) = memory.finish_run();
        assert_eq!(decoded(&memory), Some(true), "kept decoded from then on");
        assert!(left.entries.is_empty(), "values are not for the disk");
        let again = memory.get(&slot, 1, |_| None).unwrap();
        assert_eq!(again.package_dirs, facts(1).package_dirs);
        memory.put(&Arc::from("b.sql"), 2, vec![], &facts(2));
        memory.finish_run();
        assert!(memory.get(&Arc::from("b.sql"), 2, |_| None).is_some());
    }

    #[test]
    fn a_value_kept_for_a_file_is_reused_under_its_key_until_a_run_leaves_it() {
        let file: Arc<str> = Arc::from("models/sources.yml");
        let made = std::cell::Cell::new(0);
        let make = |v: u32| {
            made.set(made.get() + 1);
            v
        };
        let kept = |cache: &FactCache, key, v| *cache.kept_for("yaml", &file, key, || make(v));

        let off = FactCache::new();
        assert_eq!((kept(&off, 1, 10), kept(&off, 1, 11)), (10, 11), "not kept");
        made.set(0);

        let cache = FactCache::new().keeping_texts();
        assert_eq!(kept(&cache, 1, 10), 10);
        cache.finish_run();
        assert_eq!(kept(&cache, 1, 99), 10, "the same key: reused");
        assert_eq!(made.get(), 1);
        assert_eq!(kept(&cache, 2, 20), 20, "another key: made again");
        cache.finish_run();
        cache.finish_run();
        assert_eq!(kept(&cache, 2, 21), 21, "a run that did not ask dropped it");
        assert_eq!(made.get(), 3);
    }

    #[test]
    fn parts_are_hashed_apart() {
        assert_ne!(
            hash_parts([&b"ab"[..], &b"c"[..]]),
            hash_parts([&b"a"[..], &b"bc"[..]])
        );
    }
}
