//! Tokenizing a large SQL file a piece at a time, so its memory is bounded
//! by the piece, not the file: a 16 MB file of 230,000 statements would
//! otherwise hold some six million tokens at once.
//!
//! A piece always starts at the beginning of a line that follows a
//! top-level `;` (where the tokenizer is in its starting state) and ends at
//! the end of a line holding a top-level `;` with nothing after it but
//! spaces or a `--` comment. A piece that cuts a string or comment in two
//! fails to tokenize and is grown until it does not, so the tokens are the
//! ones tokenizing the whole text would give.

use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, TokenizerError, Whitespace};

use crate::span::LineIndex;

/// Bytes tokenized at a time, at least.
const PIECE_BYTES: usize = 256 * 1024;

/// Calls `each` with the tokens of successive pieces of `sql` (positions as
/// in the whole text), in order; stops at the first tokenizer error, which
/// is returned with its position in the whole text, or when `each` says so.
pub fn for_each_piece(
    sql: &str,
    dialect: &dyn Dialect,
    mut each: impl FnMut(Vec<TokenWithSpan>) -> std::ops::ControlFlow<()>,
) -> Result<(), TokenizerError> {
    let mut pos = 0;
    let mut line_base = 0u64;
    while pos < sql.len() {
        let mut size = PIECE_BYTES;
        loop {
            let end = piece_end(sql, pos, size);
            let piece = &sql[pos..end];
            let shift = |mut t: TokenWithSpan| {
                t.span.start.line += line_base;
                t.span.end.line += line_base;
                t
            };
            // About one token per four bytes of SQL (words, spaces and
            // punctuation alternate): most pieces never regrow the buffer.
            let mut tokens = Vec::with_capacity(piece.len() / 4 + 16);
            let tokenized = Tokenizer::new(dialect, piece)
                .tokenize_with_location_into_buf_with_mapper(&mut tokens, shift);
            match tokenized {
                Err(_) if end < sql.len() => size = size.saturating_mul(2),
                Err(mut e) => {
                    e.location.line += line_base;
                    return Err(e);
                }
                Ok(()) if end == sql.len() => {
                    pos = end;
                    if each(tokens).is_break() {
                        return Ok(());
                    }
                    break;
                }
                Ok(()) => match last_cut(&tokens, line_base) {
                    Some(last_line) => {
                        let index = LineIndex::new(piece);
                        let lines = last_line - line_base;
                        let cut =
                            index.offset(piece, u32::try_from(lines + 1).unwrap_or(u32::MAX), 1);
                        tokens.retain(|t| t.span.start.line <= last_line);
                        pos += cut;
                        line_base = last_line;
                        if each(tokens).is_break() {
                            return Ok(());
                        }
                        break;
                    }
                    None => size = size.saturating_mul(2),
                },
            }
        }
    }
    Ok(())
}

/// The end of a piece of about `size` bytes from `pos`: just after a
/// newline, or the end of the text.
fn piece_end(sql: &str, pos: usize, size: usize) -> usize {
    let from = pos.saturating_add(size);
    if from >= sql.len() {
        return sql.len();
    }
    sql[from..].find('\n').map_or(sql.len(), |i| from + i + 1)
}

/// The (whole-text) line of the last top-level `;` of a piece after which
/// its line holds only spaces or a `--` comment, when the piece goes on past
/// that line.
fn last_cut(tokens: &[TokenWithSpan], line_base: u64) -> Option<u64> {
    let mut depth = 0i64;
    let mut best = None;
    for (i, t) in tokens.iter().enumerate() {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::SemiColon if depth <= 0 => {
                depth = 0;
                let line = t.span.start.line;
                let rest_is_blank = tokens[i + 1..]
                    .iter()
                    .take_while(|n| n.span.start.line == line)
                    .all(|n| {
                        matches!(
                            n.token,
                            Token::Whitespace(
                                Whitespace::Space
                                    | Whitespace::Tab
                                    | Whitespace::Newline
                                    | Whitespace::SingleLineComment { .. }
                            )
                        )
                    });
                let goes_on = tokens.last().is_some_and(|l| l.span.start.line > line);
                if rest_is_blank && goes_on && line > line_base {
                    best = Some(line);
                }
            }
            _ => {}
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::GenericDialect;

    fn whole(sql: &str) -> Vec<TokenWithSpan> {
        Tokenizer::new(&GenericDialect {}, sql)
            .tokenize_with_location()
            .unwrap()
    }

    fn pieces(sql: &str) -> (Vec<TokenWithSpan>, usize) {
        let mut all = Vec::new();
        let mut count = 0;
        for_each_piece(sql, &GenericDialect {}, |t| {
            count += 1;
            all.extend(t);
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        (all, count)
    }

    #[test]
    fn pieces_give_the_tokens_of_the_whole_text() {
        let mut sql = String::new();
        for i in 0..40_000 {
            sql.push_str(&format!("INSERT INTO s.t{i} VALUES ('a;\nb'); -- c{i}\n"));
            if i % 1000 == 0 {
                sql.push_str("/* a comment\n; across lines */ SELECT 1;\n");
            }
        }
        let (got, count) = pieces(&sql);
        assert!(count > 2, "{count} pieces");
        assert_eq!(got, whole(&sql));
    }

    #[test]
    fn an_unterminated_string_is_reported_where_it_starts() {
        let sql = format!("{}SELECT 'x\n", "SELECT 1;\n".repeat(50_000));
        let e = for_each_piece(&sql, &GenericDialect {}, |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap_err();
        let full = Tokenizer::new(&GenericDialect {}, &sql)
            .tokenize_with_location()
            .unwrap_err();
        assert_eq!(e.location, full.location);
    }
}
