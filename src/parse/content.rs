//! A file as a dbt project's parser first gets it: its text, or, when the
//! cache knows the file unchanged by its stamp, only its content hash. A
//! part made from the file ([`crate::cache::memo`]) is keyed by that hash,
//! so one edited model does not make the parser read the thousands of
//! models it recalls the renders of: a text is read only when a part must
//! be made afresh.

use std::sync::{Arc, OnceLock};

use super::ParseContext;
use crate::cache::Hash;
use crate::diagnostic::Diagnostic;

/// A file's content: its text, or its content hash with the text read when
/// first asked for ([`ParseContext::text_of`]).
#[derive(Debug)]
pub struct FileContent {
    rel: Arc<str>,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Read when first got.
    Read(Text),
    /// Known by its stamp; the text, once read.
    Known(Hash, OnceLock<Text>),
}

/// A text read, and its content hash once asked for.
#[derive(Debug)]
struct Text {
    text: Arc<str>,
    hash: OnceLock<Hash>,
}

impl Text {
    fn new(text: Arc<str>) -> Text {
        Text {
            text,
            hash: OnceLock::new(),
        }
    }

    fn hash(&self) -> Hash {
        *self
            .hash
            .get_or_init(|| crate::cache::hash(self.text.as_bytes()))
    }
}

impl FileContent {
    /// The file's repo-relative path.
    pub fn rel(&self) -> &Arc<str> {
        &self.rel
    }

    /// The hash of the file's content: of the text when it was read (what
    /// parts made from it were made from), else the one its stamp gave.
    pub fn hash(&self) -> Hash {
        match &self.state {
            State::Read(text) => text.hash(),
            State::Known(hash, read) => read.get().map_or(*hash, Text::hash),
        }
    }

    /// The text, when it was read.
    pub fn text(&self) -> Option<&Arc<str>> {
        match &self.state {
            State::Read(text) => Some(&text.text),
            State::Known(_, read) => read.get().map(|t| &t.text),
        }
    }
}

impl ParseContext {
    /// The content of the file at `rel`: known by its content hash when
    /// the cache knows it unchanged by its stamp (the file is then listed
    /// in the sources unread), else read as [`ParseContext::read`] reads.
    pub fn content(&self, rel: &Arc<str>) -> Result<FileContent, Box<Diagnostic>> {
        let buffered = self.overlay.as_ref().is_some_and(|o| o.contains_key(rel));
        let known = match &self.memo {
            Some(memo) if !buffered && self.paths.contains(rel) => {
                let path = self.root.join(rel.as_ref());
                memo.known(rel, &path).map(|hash| (hash, path))
            }
            _ => None,
        };
        let state = match known {
            Some((hash, path)) => {
                self.sources.insert_unread(rel.clone(), Arc::from(path));
                State::Known(hash, OnceLock::new())
            }
            None => State::Read(Text::new(self.read(rel)?)),
        };
        Ok(FileContent {
            rel: rel.clone(),
            state,
        })
    }

    /// The text of `content`, read now when it was only known by its hash.
    pub fn text_of(&self, content: &FileContent) -> Result<Arc<str>, Box<Diagnostic>> {
        if let Some(text) = content.text() {
            return Ok(text.clone());
        }
        let text = self.read(&content.rel)?;
        match &content.state {
            State::Known(_, read) => Ok(read.get_or_init(|| Text::new(text)).text.clone()),
            State::Read(_) => Ok(text),
        }
    }

    /// What `make` gives from the text of `content`, or the part named
    /// `part` an earlier run made under the same key when the cache is on
    /// (see [`ParseContext::remembered`]). `key` is given the file's
    /// content hash and hashes everything else `make` reads. A file known
    /// only by its hash is read when the part must be made, and the part
    /// is then kept under the hash of the text read. Errors are the read's.
    pub fn remembered_from<T>(
        &self,
        part: &str,
        content: &FileContent,
        key: impl Fn(Hash) -> Hash,
        make: impl FnOnce(&str) -> T,
    ) -> Result<T, Box<Diagnostic>>
    where
        T: crate::cache::memo::Part,
    {
        let Some(memo) = &self.memo else {
            return Ok(make(&self.text_of(content)?));
        };
        if content.text().is_none() {
            if let Some(value) = memo.recall(part, key(content.hash())) {
                return Ok(value);
            }
        }
        let text = self.text_of(content)?;
        Ok(memo.get_or_make(part, key(content.hash()), || make(&text)))
    }
}
