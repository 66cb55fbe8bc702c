//! Token-level preparation before sqlparser sees a statement: splitting a
//! file into statements the way the warehouse does (a Snowflake Scripting
//! block or procedure body is one statement, whatever `;` it holds) and
//! rewriting Snowflake's `IDENTIFIER(...)` into a plain name.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

/// One statement of a file, as the warehouse runs it.
pub(super) enum Piece {
    /// A statement for sqlparser.
    Statement(Vec<TokenWithSpan>),
    /// Code pipelint does not read inside: a procedure or function
    /// definition, a scripting block, an `EXECUTE IMMEDIATE`.
    Opaque,
}

/// Splits a token stream into statements at top-level `;`, keeping a
/// `CREATE PROCEDURE … AS DECLARE … BEGIN … END;` or `BEGIN … END;` block
/// whole, and drops empty statements.
pub(super) fn split(tokens: Vec<TokenWithSpan>) -> Vec<Piece> {
    let tokens = rewrite_identifier_calls(tokens);
    // The `;` that end statements are found first; each statement's tokens
    // are then moved out once, into a buffer of their exact size.
    let mut ends = Vec::new();
    let mut start = 0;
    let mut parens = 0i64;
    let mut blocks = 0i64;
    // A `DECLARE` section opens the block its `BEGIN … END` closes.
    let mut declared = false;
    for (i, t) in tokens.iter().enumerate() {
        let after = &tokens[i + 1..];
        match &t.token {
            Token::LParen => parens += 1,
            Token::RParen => parens -= 1,
            Token::Word(w) if w.quote_style.is_none() => match w.keyword {
                Keyword::DECLARE => {
                    blocks += 1;
                    declared = true;
                }
                // The `BEGIN` after a `DECLARE` section is already counted.
                Keyword::BEGIN if opens_block(after) && declared => declared = false,
                Keyword::BEGIN if opens_block(after) => blocks += 1,
                Keyword::CASE => blocks += 1,
                Keyword::END if !closes_unbalanced(after) => blocks -= 1,
                _ => {}
            },
            Token::SemiColon
                if parens <= 0
                    && (blocks <= 0
                        || !is_block(&tokens[start..i])
                        || (declared && blocks == 1 && statement_follows(after))) =>
            {
                parens = 0;
                blocks = 0;
                declared = false;
                ends.push(i);
                start = i + 1;
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let len = tokens.len();
    let mut rest = tokens.into_iter();
    let mut at = 0;
    for end in ends.into_iter().chain(std::iter::once(len)) {
        let mut piece = Vec::with_capacity(end - at);
        piece.extend(
            rest.by_ref()
                .take(end - at)
                .filter(|t| t.token != Token::EOF),
        );
        // The `;` that ends it.
        rest.next();
        at = end + 1;
        push_piece(&mut out, piece);
    }
    out
}

fn push_piece(out: &mut Vec<Piece>, tokens: Vec<TokenWithSpan>) {
    if !tokens.iter().any(|t| significant(&t.token)) {
        return;
    }
    out.push(if is_block(&tokens) {
        Piece::Opaque
    } else {
        Piece::Statement(tokens)
    });
}

/// Whether a token is more than whitespace or a comment.
pub(super) fn significant(t: &Token) -> bool {
    !matches!(t, Token::Whitespace(_) | Token::EOF)
}

/// The unquoted keywords at the start of a statement, up to `n` of them.
pub(super) fn leading_keywords(tokens: &[TokenWithSpan], n: usize) -> Vec<Keyword> {
    tokens
        .iter()
        .filter(|t| significant(&t.token))
        .take(n)
        .map(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => w.keyword,
            _ => Keyword::NoKeyword,
        })
        .collect()
}

/// Whether a statement is code rather than a query: `CREATE [OR REPLACE]
/// [SECURE] PROCEDURE|FUNCTION`, `DECLARE`, a `BEGIN … END` block, or
/// `EXECUTE IMMEDIATE`.
fn is_block(tokens: &[TokenWithSpan]) -> bool {
    let words = leading_keywords(tokens, 6);
    match words.first() {
        Some(Keyword::DECLARE) => true,
        Some(Keyword::BEGIN) => tokens
            .iter()
            .position(|t| significant(&t.token))
            .is_some_and(|first| opens_block(&tokens[first + 1..])),
        Some(Keyword::EXECUTE) => words.get(1) == Some(&Keyword::IMMEDIATE),
        Some(Keyword::CREATE) => words
            .iter()
            .skip(1)
            .take_while(|k| {
                matches!(
                    k,
                    Keyword::OR
                        | Keyword::REPLACE
                        | Keyword::SECURE
                        | Keyword::TEMPORARY
                        | Keyword::TEMP
                        | Keyword::PROCEDURE
                        | Keyword::FUNCTION
                )
            })
            .any(|k| matches!(k, Keyword::PROCEDURE | Keyword::FUNCTION)),
        _ => false,
    }
}

/// After `BEGIN`: a block, unless it starts a transaction (`BEGIN;`,
/// `BEGIN TRANSACTION`, `BEGIN WORK`, `BEGIN NAME x`).
fn opens_block(rest: &[TokenWithSpan]) -> bool {
    match rest
        .iter()
        .find(|t| significant(&t.token))
        .map(|t| &t.token)
    {
        None | Some(Token::SemiColon) => false,
        Some(Token::Word(w)) => !matches!(
            w.keyword,
            Keyword::TRANSACTION | Keyword::WORK | Keyword::NAME
        ),
        Some(_) => true,
    }
}

/// After a top-level `DECLARE x …;`: another statement (BigQuery's
/// one-variable `DECLARE`) rather than more of a Snowflake `DECLARE` section,
/// whose lines start with a variable name.
fn statement_follows(rest: &[TokenWithSpan]) -> bool {
    match rest
        .iter()
        .find(|t| significant(&t.token))
        .map(|t| &t.token)
    {
        None => true,
        Some(Token::Word(w)) if w.quote_style.is_none() => matches!(
            w.keyword,
            Keyword::DECLARE
                | Keyword::SELECT
                | Keyword::INSERT
                | Keyword::CREATE
                | Keyword::SET
                | Keyword::UPDATE
                | Keyword::DELETE
                | Keyword::MERGE
                | Keyword::WITH
                | Keyword::CALL
                | Keyword::ALTER
                | Keyword::DROP
                | Keyword::TRUNCATE
                | Keyword::EXPORT
        ),
        Some(_) => false,
    }
}

/// After `END`: `END IF`, `END LOOP`, `END FOR`, `END WHILE`, `END REPEAT`
/// close blocks whose opening keyword is not counted.
fn closes_unbalanced(rest: &[TokenWithSpan]) -> bool {
    match rest
        .iter()
        .find(|t| significant(&t.token))
        .map(|t| &t.token)
    {
        Some(Token::Word(w)) => ["IF", "LOOP", "FOR", "WHILE", "REPEAT"]
            .iter()
            .any(|k| w.value.eq_ignore_ascii_case(k)),
        _ => false,
    }
}

/// Replaces Snowflake's `IDENTIFIER($var)` / `IDENTIFIER(:bind)` with one
/// name token holding the variable (a name pipelint cannot know, dropped
/// later) and `IDENTIFIER('db.schema.t')` with the dotted name it spells.
fn rewrite_identifier_calls(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    // Most statements have no `IDENTIFIER(...)`: their tokens stay as they are.
    let Some(first) = (0..tokens.len()).find(|&i| identifier_call(&tokens, i).is_some()) else {
        return tokens;
    };
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let call = if i < first {
            None
        } else {
            identifier_call(&tokens, i)
        };
        if let Some((replacement, next)) = call {
            out.extend(replacement);
            i = next;
        } else {
            // `identifier_call` looks only at `i` and after: the tokens
            // before it are moved out, not copied.
            out.push(take_token(&mut tokens[i]));
            i += 1;
        }
    }
    out
}

/// Moves a token out of a stream, leaving an `EOF` in its place (for a
/// stream read only forwards from here).
fn take_token(t: &mut TokenWithSpan) -> TokenWithSpan {
    TokenWithSpan {
        token: std::mem::replace(&mut t.token, Token::EOF),
        span: t.span,
    }
}

/// `IDENTIFIER ( arg )` at `i`: the tokens that replace it and the index after it.
fn identifier_call(tokens: &[TokenWithSpan], i: usize) -> Option<(Vec<TokenWithSpan>, usize)> {
    let Token::Word(w) = &tokens[i].token else {
        return None;
    };
    if w.quote_style.is_some() || !w.value.eq_ignore_ascii_case("identifier") {
        return None;
    }
    let mut j = next_significant(tokens, i + 1)?;
    if tokens[j].token != Token::LParen {
        return None;
    }
    j = next_significant(tokens, j + 1)?;
    let arg = &tokens[j];
    let close = next_significant(tokens, j + 1)?;
    if tokens[close].token != Token::RParen {
        return None;
    }
    let span = tokens[i].span;
    let word = |value: &str| TokenWithSpan {
        token: Token::Word(Word {
            value: value.to_string(),
            quote_style: None,
            keyword: Keyword::NoKeyword,
        }),
        span,
    };
    let replacement = match &arg.token {
        Token::Placeholder(p) => vec![word(p)],
        Token::SingleQuotedString(s) => {
            let mut parts = Vec::new();
            for (k, part) in s.split('.').enumerate() {
                if k > 0 {
                    parts.push(TokenWithSpan {
                        token: Token::Period,
                        span,
                    });
                }
                parts.push(word(part));
            }
            parts
        }
        _ => return None,
    };
    Some((replacement, close + 1))
}

fn next_significant(tokens: &[TokenWithSpan], from: usize) -> Option<usize> {
    (from..tokens.len()).find(|&k| significant(&tokens[k].token))
}

/// Whether a name part is a session variable or bind (`$var`, `:bind`): a
/// name only the run knows.
pub(super) fn is_variable(part: &str) -> bool {
    part.starts_with('$') || part.starts_with(':')
}
