//! Parts of one cache entry, reused when the entry itself is not: a dbt
//! project is one entry (its facts depend on every file it read), so one
//! edited model makes the whole project parse again; but each model's
//! render and each schema file's properties depend on far less, and are
//! kept as parts of the project's entry, each under a key of everything it
//! was made from. A part is reused only under its exact key; parts travel
//! with their entry from run to run and are dropped with it.

use std::sync::{Arc, Mutex};

use foldhash::{HashMap, HashMapExt};

use super::{FactCache, Hash};

/// What separates a part's name from its entry's slot (no path holds it).
const SEPARATOR: char = '\u{0}';

/// The slot prefix of the parts of the entry in `slot`.
fn prefix(slot: &str) -> String {
    format!("{slot}{SEPARATOR}")
}

/// The slots of parts among `slots`, by the slot of their entry.
pub(super) fn parts_by_owner<'a>(
    slots: impl Iterator<Item = &'a Arc<str>>,
) -> HashMap<Arc<str>, Vec<Arc<str>>> {
    let mut by_owner: HashMap<Arc<str>, Vec<Arc<str>>> = HashMap::new();
    for slot in slots {
        if let Some((owner, _)) = slot.split_once(SEPARATOR) {
            by_owner
                .entry(Arc::from(owner))
                .or_default()
                .push(slot.clone());
        }
    }
    by_owner
}

/// What a part can be: encoded for the disk, or kept as a value in memory
/// (see [`FactCache::keeping_texts`]).
pub trait Part:
    serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static
{
}

impl<T> Part for T where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static
{
}

/// The parts of one entry, for the parser making it afresh.
#[derive(Debug, Clone)]
pub struct Memo {
    cache: Arc<FactCache>,
    /// The parts' slot prefix (the entry's slot and a separator no path holds).
    prefix: Arc<str>,
    /// What every part's key holds besides its own key: the run's
    /// version, configuration, limits and options.
    salt: Hash,
    /// Files known unchanged by their stamp and not read (yet) by this
    /// parse, with their content hashes (see [`Memo::known`]).
    unread: Arc<Mutex<HashMap<Arc<str>, Hash>>>,
}

impl Memo {
    /// The parts of the entry in `slot` of `cache`, made in runs whose
    /// key is `salt`.
    pub fn new(cache: Arc<FactCache>, slot: &str, salt: Hash) -> Memo {
        Memo {
            cache,
            prefix: Arc::from(prefix(slot)),
            salt,
            unread: Arc::default(),
        }
    }

    /// The content hash of the discovered file `rel` at `path` when an
    /// earlier run took it under the file's current stamp (the stamp rule
    /// of [`super::stamp`]): the parser may then go without its text while
    /// the parts made from it are recalled. The file is listed as unread
    /// until [`Memo::read`] says otherwise. A hash is only ever taken of a
    /// text read whole, so a file known by it reads again (see
    /// [`super::stamp::Stamp::readable`]): its parts need not be made to
    /// find out.
    pub fn known(&self, rel: &Arc<str>, path: &std::path::Path) -> Option<Hash> {
        let stamp = self
            .cache
            .stamp_of(path)
            .filter(super::stamp::Stamp::readable)?;
        let hash = self.cache.known_hash(rel, stamp)?;
        if let Ok(mut unread) = self.unread.lock() {
            unread.insert(rel.clone(), hash);
        }
        Some(hash)
    }

    /// Records that the parser read the text of `rel` after all.
    pub fn read(&self, rel: &str) {
        if let Ok(mut unread) = self.unread.lock() {
            unread.remove(rel);
        }
    }

    /// The content hash of `rel` when the parser knew it by its stamp
    /// ([`Memo::known`]) and never read its text.
    pub fn unread(&self, rel: &str) -> Option<Hash> {
        self.unread.lock().ok()?.get(rel).copied()
    }

    /// The cache the parts are kept in (it may keep texts too, see
    /// [`FactCache::text`]).
    pub fn cache(&self) -> &FactCache {
        &self.cache
    }

    /// The part named `part` made under `key`: an earlier run's when it
    /// made it under the same key (and it decodes), else `make()`'s, which
    /// is kept for the next run. Either way the value is the one `make`
    /// gives for that key.
    pub fn get_or_make<T>(&self, part: &str, key: Hash, make: impl FnOnce() -> T) -> T
    where
        T: Part,
    {
        if let Some(value) = self.recall(part, key) {
            return value;
        }
        let value = make();
        self.keep(part, key, &value);
        value
    }

    /// The part named `part` an earlier run made under `key`, when it
    /// did (and it decodes); it is kept for the next run.
    pub fn recall<T: Part>(&self, part: &str, key: Hash) -> Option<T> {
        self.cache.recall_part(self.slot(part), self.salted(key))
    }

    /// Keeps `value`, made under `key`, as the part named `part` for the
    /// next run.
    pub fn keep<T: Part>(&self, part: &str, key: Hash, value: &T) {
        self.cache
            .remember_part(self.slot(part), self.salted(key), value);
    }

    fn slot(&self, part: &str) -> Arc<str> {
        Arc::from([&*self.prefix, part].concat())
    }

    fn salted(&self, key: Hash) -> Hash {
        super::hash_parts([&self.salt.to_le_bytes()[..], &key.to_le_bytes()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FileFacts;

    #[test]
    fn a_part_is_reused_under_its_key_and_travels_with_its_entry() {
        let cache = Arc::new(FactCache::new());
        let slot: Arc<str> = Arc::from("dbt-project:dbt");
        let memo = Memo::new(cache.clone(), &slot, 3);
        let made = |v: u32| move || v;
        assert_eq!(memo.get_or_make("a", 1, made(10)), 10);
        assert_eq!(memo.get_or_make("b", 1, made(20)), 20);
        cache.put(&slot, 5, Vec::new(), &FileFacts::default());
        assert_eq!(cache.part_counts(), (0, 2));
        cache.finish_run();

        // The entry is reused: its parts are kept without being asked for.
        assert!(cache.get(&slot, 5, |_| None).is_some());
        cache.finish_run();

        // The entry is made afresh: a part under its key is reused, one
        // under another key is made again, and one not asked for is dropped.
        assert!(cache.get(&slot, 6, |_| None).is_none());
        assert_eq!(memo.get_or_make("a", 1, made(99)), 10);
        assert_eq!(memo.get_or_make("b", 2, made(21)), 21);
        assert_eq!(cache.part_counts(), (1, 1));
        let (_, contents) = cache.finish_run();
        let slots: Vec<&str> = contents.entries.iter().map(|(s, _)| s.as_ref()).collect();
        assert_eq!(slots, ["dbt-project:dbt\u{0}a", "dbt-project:dbt\u{0}b"]);
    }
}
