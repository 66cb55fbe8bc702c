//! Reading repo files safely: size limit, binary detection, UTF-8 check; and
//! the map of file texts the human reporter draws code frames from.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::diagnostic::Diagnostic;
use crate::span::{LineIndex, Span};

/// Reads the repo file at repo-relative `rel` under `root` as UTF-8 text,
/// after [`crate::confine::resolve`] has checked that it lies inside the
/// root (a link leading outside is a `parse-error` naming the link, and its
/// target is never opened).
pub fn read_repo_text(root: &Path, rel: &Arc<str>) -> Result<String, Box<Diagnostic>> {
    let path = crate::confine::resolve(root, rel).map_err(|why| Box::new(refused(rel, &why)))?;
    read_text(&path, rel)
}

/// The `parse-error` for a repo path [`crate::confine::resolve`] refused,
/// at the start of that path, naming the link (never its target).
pub fn refused(rel: &Arc<str>, why: &crate::confine::Refusal) -> Diagnostic {
    let help = if why.is_link() {
        "symbolic links are read only when they point inside the repo; copy the file in, \
         or exclude the link with .gitignore or .ignore"
    } else {
        "check the path and the file's permissions"
    };
    Diagnostic::new("parse-error", why.message(rel))
        .at(Some(Span::file_start(rel)))
        .help(help)
}

/// Reads a repo file as UTF-8 text, without a leading byte-order mark. Every way it can fail (unreadable, too
/// large, binary, not UTF-8) is a `parse-error` diagnostic with a location.
pub fn read_text(path: &Path, rel: &Arc<str>) -> Result<String, Box<Diagnostic>> {
    let error = |message: String, span: Span, help: &str| {
        Box::new(
            Diagnostic::new("parse-error", message)
                .at(Some(span))
                .help(help),
        )
    };
    let start = Span::file_start(rel);
    let cannot_read = |e: std::io::Error| {
        error(
            format!("cannot read {rel}: {e}"),
            start.clone(),
            "check the file's permissions",
        )
    };
    let mut file = open_nonblocking(path).map_err(cannot_read)?;
    let meta = file.metadata().map_err(cannot_read)?;
    if !meta.is_file() {
        return Err(error(
            format!("{rel} is not a regular file (a folder, pipe or device); it was not read"),
            start.clone(),
            "point at a file, or exclude the path with .gitignore or .ignore",
        ));
    }
    let max_bytes = crate::limits::get().file_bytes;
    let too_large = |len: u64| {
        error(
            format!(
                "{rel} was not read: {}",
                crate::limits::over(format!("{len} bytes"), "max-file-bytes", max_bytes)
            ),
            start.clone(),
            "generated or vendored files can be excluded with .gitignore or .ignore",
        )
    };
    if meta.len() > max_bytes {
        return Err(too_large(meta.len()));
    }
    // One open and one fstat. A file with a size is read up to that size,
    // without the read that would only find its end (a file growing while
    // it is read is read as it was when it was opened); one of size 0 may
    // still hold text (some file systems report none), so it is read to
    // its end. Either way the read stops one byte past the limit.
    let len = meta.len();
    let want = if len == 0 {
        max_bytes.saturating_add(1)
    } else {
        len
    };
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut file, want), &mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    if let Some(pos) = memchr::memchr(0, &bytes) {
        let (line, column) = line_col_of_bytes(&bytes, pos);
        return Err(error(
            format!("{rel} looks binary (a NUL byte at line {line}); it was not read"),
            Span { line, column, offset: pos, len: 0, ..start },
            "pipelint reads text files; exclude binary files with .gitignore or give them another extension",
        ));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let pos = e.utf8_error().valid_up_to();
        let (line, column) = line_col_of_bytes(e.as_bytes(), pos);
        error(
            format!("{rel} is not valid UTF-8 (at line {line}, column {column}); it was not read"),
            Span {
                line,
                column,
                offset: pos,
                len: 1,
                ..start
            },
            "save the file as UTF-8",
        )
    })?;
    // A byte-order mark is not text: without it, line 1's columns are the
    // ones an editor shows, and every parser sees the first token.
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// Opens `path` for reading without blocking on a named pipe (which would
/// hang the run); the caller refuses anything that is not a regular file.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

fn line_col_of_bytes(bytes: &[u8], pos: usize) -> (u32, u32) {
    let prefix = String::from_utf8_lossy(&bytes[..pos.min(bytes.len())]);
    let index = LineIndex::new(&prefix);
    index.line_col(&prefix, prefix.len())
}

/// The texts of the files that were read, by repo-relative path, so reports
/// can show code frames without reading files again. A file a warm run
/// knew unchanged by its stamp (see [`crate::cache::stamp`]) is listed
/// without its text, which is read when first asked for.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// Hashed, not sorted: a run lists thousands of files under long shared
    /// folder names, and [`SourceMap::files`] sorts once.
    texts: Mutex<foldhash::HashMap<Arc<str>, Listed>>,
}

/// A file of a [`SourceMap`]: its text, or where to read it when first
/// asked for.
#[derive(Debug, Clone)]
pub enum Listed {
    /// The text, as read.
    Read(Arc<str>),
    /// Not read yet: the path to read it from.
    Unread(Arc<Path>),
}

impl Listed {
    /// The text, read now when it was not (none when it cannot be read).
    pub fn text(&self, rel: &Arc<str>) -> Option<Arc<str>> {
        match self {
            Listed::Read(text) => Some(text.clone()),
            Listed::Unread(path) => read_text(path, rel).ok().map(Arc::from),
        }
    }
}

impl SourceMap {
    /// Remembers the text of a file.
    pub fn insert(&self, rel: Arc<str>, text: Arc<str>) {
        if let Ok(mut map) = self.texts.lock() {
            map.insert(rel, Listed::Read(text));
        }
    }

    /// Lists a file the run knew without reading it: its text is read from
    /// `path` (a path the walker admitted) when first asked for. A text
    /// already remembered is kept.
    pub fn insert_unread(&self, rel: Arc<str>, path: Arc<Path>) {
        if let Ok(mut map) = self.texts.lock() {
            map.entry(rel).or_insert(Listed::Unread(path));
        }
    }

    /// Lists files as another map listed them, under one lock. A text
    /// already remembered is kept over a file listed unread.
    pub fn extend(&self, files: Vec<(Arc<str>, Listed)>) {
        if let Ok(mut map) = self.texts.lock() {
            map.reserve(files.len());
            for (rel, file) in files {
                match file {
                    Listed::Read(_) => {
                        map.insert(rel, file);
                    }
                    Listed::Unread(_) => {
                        map.entry(rel).or_insert(file);
                    }
                }
            }
        }
    }

    /// The files listed, sorted by path, leaving the map empty.
    pub fn take_sorted(&self) -> Vec<(Arc<str>, Listed)> {
        let mut files: Vec<(Arc<str>, Listed)> = self
            .texts
            .lock()
            .map(|mut m| std::mem::take(&mut *m).into_iter().collect())
            .unwrap_or_default();
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        files
    }

    /// The text of a file, if it was read (or listed unread, and reads now).
    pub fn get(&self, rel: &str) -> Option<Arc<str>> {
        let unread = match self.texts.lock().ok()?.get(rel)? {
            Listed::Read(text) => return Some(text.clone()),
            unread => unread.clone(),
        };
        // Read without holding the lock.
        let rel: Arc<str> = Arc::from(rel);
        let text = unread.text(&rel)?;
        let mut map = self.texts.lock().ok()?;
        let slot = map.get_mut(&rel)?;
        if let Listed::Read(already) = slot {
            return Some(already.clone());
        }
        *slot = Listed::Read(text.clone());
        Some(text)
    }

    /// How many files were read.
    pub fn len(&self) -> usize {
        self.texts.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether no file was read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The paths of the files read, sorted.
    pub fn files(&self) -> Vec<Arc<str>> {
        let mut files: Vec<Arc<str>> = self
            .texts
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        files.sort_unstable();
        files
    }
}
