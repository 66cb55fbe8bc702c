//! Positions between pipelint and the editor. pipelint's spans are 1-based
//! lines and columns counted in Unicode scalar values, with a byte-order
//! mark no part of line 1 (see [`crate::span`]); LSP positions are 0-based
//! lines and offsets in the code units of the negotiated `positionEncoding`
//! (UTF-16 unless the client offers another), counted from the true start
//! of the line in the text the editor holds. Lines end at `\n`; a `\r`
//! before it belongs to the line end, never to a position inside the line.

use std::sync::Arc;

use lsp_types::{Position, PositionEncodingKind};

use crate::span::LineIndex;

/// The unit LSP positions count in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units (the protocol's default).
    Utf16,
    /// Unicode scalar values.
    Utf32,
}

impl Encoding {
    /// The encoding to use with a client offering `offered` (its
    /// `general.positionEncodings`): the first one of its list (the list is
    /// the client's preference, and pipelint speaks all three), UTF-16 when
    /// it offers none.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        offered
            .unwrap_or_default()
            .iter()
            .find_map(|kind| match kind.as_str() {
                "utf-8" => Some(Encoding::Utf8),
                "utf-16" => Some(Encoding::Utf16),
                "utf-32" => Some(Encoding::Utf32),
                _ => None,
            })
            .unwrap_or(Encoding::Utf16)
    }

    /// The name the protocol gives this encoding.
    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn width(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }
}

/// Converts positions in one text, as the editor holds it.
#[derive(Debug)]
pub struct Converter {
    text: Arc<str>,
    index: LineIndex,
    encoding: Encoding,
}

impl Converter {
    /// A converter for `text` in `encoding`.
    pub fn new(text: Arc<str>, encoding: Encoding) -> Converter {
        Converter {
            index: LineIndex::new(&text),
            text,
            encoding,
        }
    }

    /// The byte offset of pipelint's 1-based `line` and `column` (clamped
    /// to the text, and to the line's end).
    pub fn offset_of(&self, line: u32, column: u32) -> usize {
        let offset = self.index.offset(&self.text, line, column);
        let start = self.index.line_start(line.max(1)).unwrap_or(offset);
        start.max(offset.min(self.content_end(start)))
    }

    /// The LSP position of a byte offset (clamped to the text; an offset
    /// inside a character or a line end moves to the character's start or
    /// the line's end).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let (line, _) = self.index.line_col(&self.text, offset);
        let start = self.index.line_start(line).unwrap_or(0);
        let end = offset.min(self.content_end(start));
        let character = self.text[start..end]
            .chars()
            .map(|c| self.encoding.width(c))
            .sum();
        Position::new(line - 1, character)
    }

    /// The byte offset of an LSP position. A line past the last is the end
    /// of the text; a character past the line's end is the line's end; one
    /// inside a character (half a surrogate pair, a byte inside UTF-8)
    /// moves to the character's end.
    pub fn offset(&self, position: Position) -> usize {
        let Some(start) = self.index.line_start(position.line.saturating_add(1)) else {
            return self.text.len();
        };
        let end = self.content_end(start);
        let mut units = 0;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= position.character {
                return start + i;
            }
            units += self.encoding.width(c);
        }
        end
    }

    /// Where the line starting at `start` ends, before its `\r\n` or `\n`.
    fn content_end(&self, start: usize) -> usize {
        let rest = &self.text[start..];
        let end = start + rest.find('\n').unwrap_or(rest.len());
        if self.text[..end].ends_with('\r') && end > start {
            end - 1
        } else {
            end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "é=1\r\nx😀y\n\u{feff}z";

    #[test]
    fn the_encoding_is_the_clients_first_known_else_utf16() {
        let kinds = |k: &[&'static str]| -> Vec<PositionEncodingKind> {
            k.iter().map(|s| PositionEncodingKind::new(s)).collect()
        };
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        assert_eq!(Encoding::negotiate(Some(&[])), Encoding::Utf16);
        assert_eq!(
            Encoding::negotiate(Some(&kinds(&["utf-32", "utf-8"]))),
            Encoding::Utf32
        );
        assert_eq!(
            Encoding::negotiate(Some(&kinds(&["x-unknown", "utf-8", "utf-16"]))),
            Encoding::Utf8
        );
    }

    #[test]
    fn columns_become_code_units_of_each_encoding() {
        // Line 2, column 3 is `y`, after the emoji (one scalar, two UTF-16
        // units, four UTF-8 bytes).
        let cases = [
            (Encoding::Utf8, 5),
            (Encoding::Utf16, 3),
            (Encoding::Utf32, 2),
        ];
        for (encoding, character) in cases {
            let c = Converter::new(TEXT.into(), encoding);
            let offset = c.offset_of(2, 3);
            assert_eq!(&TEXT[offset..offset + 1], "y");
            assert_eq!(c.position(offset), Position::new(1, character));
            assert_eq!(c.offset(Position::new(1, character)), offset);
        }
        // Line 1, column 2 is `=`, after the two-byte `é`.
        let c = Converter::new(TEXT.into(), Encoding::Utf8);
        assert_eq!(c.position(c.offset_of(1, 2)), Position::new(0, 2));
        let c = Converter::new(TEXT.into(), Encoding::Utf16);
        assert_eq!(c.position(c.offset_of(1, 2)), Position::new(0, 1));
    }

    #[test]
    fn line_ends_and_overshoots_clamp() {
        let c = Converter::new(TEXT.into(), Encoding::Utf16);
        // Past the end of `é=1` stops before `\r\n`.
        assert_eq!(c.offset(Position::new(0, 99)), 4);
        assert_eq!(c.position(5), Position::new(0, 3));
        assert_eq!(c.offset_of(1, 99), 4);
        // Half a surrogate pair moves to the emoji's end.
        assert_eq!(c.offset(Position::new(1, 2)), 11);
        // Past the last line is the end of the text.
        assert_eq!(c.offset(Position::new(9, 0)), TEXT.len());
        assert_eq!(c.position(usize::MAX), Position::new(2, 2));
        // Inside a character moves to its start.
        assert_eq!(c.position(1), Position::new(0, 0));
    }

    #[test]
    fn a_byte_order_mark_counts_for_the_editor_not_for_pipelint() {
        let text = "\u{feff}ab\n";
        let c = Converter::new(text.into(), Encoding::Utf16);
        // pipelint's column 2 is `b`; the editor counts the mark first.
        let offset = c.offset_of(1, 2);
        assert_eq!(&text[offset..offset + 1], "b");
        assert_eq!(c.position(offset), Position::new(0, 2));
        let c = Converter::new(text.into(), Encoding::Utf8);
        assert_eq!(c.position(c.offset_of(1, 1)), Position::new(0, 3));
    }
}
