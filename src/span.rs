//! Source locations: every fact and finding points at a file, line and column.

use std::sync::Arc;

/// A place in a repo file: the repo-relative path (forward slashes), the
/// 1-based line and column, and the byte range the place covers.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    /// Repo-relative path with `/` separators.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// Byte offset of the start in the file.
    pub offset: usize,
    /// Length in bytes (0 for a point).
    pub len: usize,
}

impl Span {
    /// A span at the very start of a file, for findings about a whole file.
    pub fn file_start(file: &Arc<str>) -> Span {
        Span {
            file: file.clone(),
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
        }
    }
}

/// Maps byte offsets of one file's text to lines and columns, and back.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The 1-based (line, column) of a byte offset; columns count characters.
    pub fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts[line];
        // A byte-order mark is no character of the line (editors hide it).
        let start = if start == 0 && text.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8().min(offset)
        } else {
            start
        };
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (to_u32(line + 1), to_u32(column + 1))
    }

    /// The byte offset of a 1-based (line, column in characters); clamps to the text.
    pub fn offset(&self, text: &str, line: u32, column: u32) -> usize {
        let line = (line.max(1) as usize - 1).min(self.starts.len() - 1);
        let mut start = self.starts[line];
        if start == 0 && text.starts_with('\u{feff}') {
            start = '\u{feff}'.len_utf8();
        }
        let end = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(text.len())
            .max(start);
        let line_text = text.get(start..end).unwrap_or("");
        let skip = column.max(1) as usize - 1;
        start
            + line_text
                .char_indices()
                .nth(skip)
                .map_or(line_text.len(), |(i, _)| i)
    }

    /// The byte offset where 1-based `line` starts (a byte-order mark
    /// counts as part of line 1), or `None` past the last line.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        self.starts.get((line as usize).checked_sub(1)?).copied()
    }

    /// A span for the byte range `start..end` of `file`.
    pub fn span(&self, file: &Arc<str>, text: &str, start: usize, end: usize) -> Span {
        let (line, column) = self.line_col(text, start);
        Span {
            file: file.clone(),
            line,
            column,
            offset: start.min(text.len()),
            len: end.saturating_sub(start),
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_through_lines_and_columns() {
        let text = "ab\ncdé\nf";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 3), (2, 1));
        assert_eq!(idx.line_col(text, 7), (2, 4));
        assert_eq!(idx.line_col(text, 8), (3, 1));
        assert_eq!(idx.offset(text, 2, 3), 5);
        assert_eq!(idx.offset(text, 3, 1), 8);
        assert_eq!(idx.offset(text, 9, 9), text.len());
        let bom = "\u{feff}ab";
        let idx = LineIndex::new(bom);
        assert_eq!(idx.line_col(bom, 4), (1, 2));
        assert_eq!(idx.offset(bom, 1, 2), 4);
    }
}
