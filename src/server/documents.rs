//! The editor's open buffers, and where each lies in the repo: a buffer of a
//! file inside the root is read instead of that file (see
//! [`crate::parse::Overlay`]); one outside the root is kept for positions
//! but never read by an analysis.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use lsp_types::{TextDocumentContentChangeEvent, Uri};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use super::positions::{Converter, Encoding};

/// One open buffer.
#[derive(Debug)]
pub struct Document {
    /// The file's repo-relative path, when it lies inside the root.
    pub rel: Option<Arc<str>>,
    /// The editor's version of the text.
    pub version: i32,
    /// The text as the editor holds it.
    pub text: String,
}

/// The open buffers, by URI.
#[derive(Debug, Default)]
pub struct Documents {
    open: BTreeMap<Uri, Document>,
}

impl Documents {
    /// Records a buffer opened with `text`.
    pub fn open(&mut self, root: &Path, uri: Uri, version: i32, text: String) {
        let rel = rel_path(root, &uri);
        self.open.insert(uri, Document { rel, version, text });
    }

    /// Applies an edit (whole-text or ranged changes, in order). An edit of a
    /// buffer not open is refused with the reason.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: Encoding,
    ) -> Result<(), String> {
        let doc = self
            .open
            .get_mut(uri)
            .ok_or_else(|| format!("didChange for {} which is not open", uri.as_str()))?;
        for change in changes {
            match change.range {
                None => doc.text = change.text,
                Some(range) => {
                    let c = Converter::new(Arc::from(doc.text.as_str()), encoding);
                    let start = c.offset(range.start);
                    let end = c.offset(range.end).max(start);
                    doc.text.replace_range(start..end, &change.text);
                }
            }
        }
        doc.version = version;
        Ok(())
    }

    /// Forgets a closed buffer: the file on disk is read again.
    pub fn close(&mut self, uri: &Uri) {
        self.open.remove(uri);
    }

    /// The buffer of `uri`, if open.
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.open.get(uri)
    }

    /// The open buffer of a repo-relative path, if any.
    pub fn by_rel(&self, rel: &str) -> Option<(&Uri, &Document)> {
        self.open
            .iter()
            .find(|(_, d)| d.rel.as_deref() == Some(rel))
    }

    /// The texts an analysis reads instead of the disk: every open buffer
    /// of a file inside the root that does not lead outside it through a
    /// link ([`crate::confine::resolve`], as for every file read).
    pub fn overlay(&self, root: &Path) -> crate::parse::Overlay {
        Arc::new(
            self.open
                .values()
                .filter_map(|d| d.rel.clone().map(|rel| (rel, &d.text)))
                .filter(|(rel, _)| crate::confine::resolve(root, rel).is_ok())
                .map(|(rel, text)| (rel, Arc::from(text.as_str())))
                .collect(),
        )
    }
}

/// What a path segment keeps unescaped in a `file:` URI: the unreserved
/// characters of RFC 3986 and the sub-delimiters editors leave as they are.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The `file:` URI of a repo-relative path.
pub fn uri_of(root: &Path, rel: &str) -> Option<Uri> {
    let path = root.join(rel);
    let encoded: String = path
        .to_string_lossy()
        .split('/')
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    format!("file://{encoded}").parse().ok()
}

/// The local path a `file:` URI names.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file://host/path` names another machine; only `file:///path` is local.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    Some(PathBuf::from(decoded.as_ref()))
}

/// The repo-relative path of a `file:` URI, when it names a file inside the
/// root by plain steps (no `..`, no `.`): anything else is outside.
pub fn rel_path(root: &Path, uri: &Uri) -> Option<Arc<str>> {
    let path = path_of(uri)?;
    let rest: PathBuf = match path.strip_prefix(root) {
        Ok(rest) => rest.to_path_buf(),
        // The editor may name the root through a link the root was resolved
        // past (`/tmp` → `/private/tmp`): compare resolved folders.
        Err(_) => {
            let parent = path.parent()?.canonicalize().ok()?;
            let inner = parent.strip_prefix(root.canonicalize().ok()?).ok()?;
            inner.join(path.file_name()?)
        }
    };
    let mut parts = Vec::new();
    for part in rest.components() {
        match part {
            Component::Normal(p) => parts.push(p.to_str()?),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| Arc::from(parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn uris_map_to_paths_inside_the_root_only() {
        let root = Path::new("/repo/x");
        let u = uri_of(root, "dbt/models/my model é.sql").unwrap();
        assert_eq!(
            u.as_str(),
            "file:///repo/x/dbt/models/my%20model%20%C3%A9.sql"
        );
        assert_eq!(
            rel_path(root, &u).as_deref(),
            Some("dbt/models/my model é.sql")
        );
        assert_eq!(rel_path(root, &uri("file:///repo/x/../y/a.sql")), None);
        assert_eq!(rel_path(root, &uri("file:///repo/xy/a.sql")), None);
        assert_eq!(rel_path(root, &uri("file:///elsewhere/a.sql")), None);
        assert_eq!(rel_path(root, &uri("untitled:Untitled-1")), None);
        assert_eq!(rel_path(root, &uri("file://server/repo/x/a.sql")), None);
    }

    #[test]
    fn ranged_changes_apply_in_order() {
        let root = Path::new("/repo");
        let u = uri("file:///repo/a.sql");
        let mut docs = Documents::default();
        docs.open(root, u.clone(), 1, "select 'é' from raw.x\r\n".into());
        let at = |line, character| Position::new(line, character);
        let changes = vec![
            TextDocumentContentChangeEvent {
                range: Some(Range::new(at(0, 16), at(0, 21))),
                range_length: None,
                text: "curated.y".into(),
            },
            TextDocumentContentChangeEvent {
                range: Some(Range::new(at(0, 8), at(0, 9))),
                range_length: None,
                text: "😀".into(),
            },
        ];
        docs.change(&u, 2, changes, Encoding::Utf16).unwrap();
        let doc = docs.get(&u).unwrap();
        assert_eq!(doc.text, "select '😀' from curated.y\r\n");
        assert_eq!(doc.version, 2);
        // The file is not on disk: no buffer stands for it.
        assert!(docs.overlay(root).is_empty());
        assert!(docs
            .change(&uri("file:///repo/b.sql"), 1, Vec::new(), Encoding::Utf16)
            .is_err());
    }
}
