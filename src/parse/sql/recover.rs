//! Reads and writes of a statement sqlparser cannot parse, recovered from its
//! tokens: the names after `FROM`/`JOIN`/`USING` are read, the names after
//! `INTO`/`UPDATE`/`CREATE … TABLE|VIEW`/`TRUNCATE TABLE`/`DELETE FROM` are
//! written. A name followed by `(` after `FROM` is a table function, a CTE
//! name is no table, and a session variable names nothing pipelint knows.

use std::collections::HashSet;

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::prelex::{is_variable, leading_keywords, significant};
use super::{is_catalog_view, pos, SqlPos};
use crate::facts::{DataRef, Ident};

/// What a token scan found in one statement.
#[derive(Default)]
pub(super) struct Recovered {
    /// Names read.
    pub reads: Vec<(DataRef, SqlPos)>,
    /// Names written.
    pub writes: Vec<(DataRef, SqlPos)>,
}

/// Scans one statement's tokens for table names in read and write positions.
pub(super) fn scan(tokens: &[TokenWithSpan]) -> Recovered {
    let toks: Vec<&TokenWithSpan> = tokens.iter().filter(|t| significant(&t.token)).collect();
    let lead = leading_keywords(tokens, 1).first().copied();
    let ctes = cte_names(&toks);
    let mut found = Recovered::default();
    let mut deleted = false;
    for (i, t) in toks.iter().enumerate() {
        let Token::Word(w) = &t.token else { continue };
        if w.quote_style.is_some() {
            continue;
        }
        let role = match w.keyword {
            Keyword::FROM if lead == Some(Keyword::DELETE) && !deleted => {
                deleted = true;
                Role::Write
            }
            Keyword::FROM | Keyword::JOIN | Keyword::USING => Role::Read,
            Keyword::INTO | Keyword::UPDATE => Role::Write,
            Keyword::TABLE | Keyword::VIEW
                if matches!(lead, Some(Keyword::CREATE | Keyword::TRUNCATE)) =>
            {
                Role::Write
            }
            _ => continue,
        };
        let Some((name, at, next)) = name_at(&toks, i + 1) else {
            continue;
        };
        if is_catalog_view(&name) {
            continue;
        }
        let is_call = toks.get(next).is_some_and(|t| t.token == Token::LParen);
        match role {
            Role::Read if is_call || is_cte(&name, &ctes) => {}
            Role::Read => found.reads.push((DataRef::Table(name), at)),
            Role::Write => found.writes.push((DataRef::Table(name), at)),
        }
    }
    found
}

enum Role {
    Read,
    Write,
}

/// A dotted name starting at `i` (skipping `IF [NOT] EXISTS` and `OR
/// REPLACE`-style words is the caller's keyword's business): its parts, its
/// position and the index after it. `None` for keywords, variables and
/// anything that is not a name.
fn name_at(toks: &[&TokenWithSpan], mut i: usize) -> Option<(Vec<Ident>, SqlPos, usize)> {
    while let Some(Token::Word(w)) = toks.get(i).map(|t| &t.token) {
        let skippable = w.quote_style.is_none()
            && matches!(
                w.keyword,
                Keyword::IF | Keyword::NOT | Keyword::EXISTS | Keyword::ONLY | Keyword::TABLE
            );
        if !skippable {
            break;
        }
        i += 1;
    }
    let start = toks.get(i)?;
    let mut parts = Vec::new();
    loop {
        let Token::Word(w) = &toks.get(i)?.token else {
            return None;
        };
        if w.quote_style.is_none() && parts.is_empty() && is_clause_keyword(w.keyword) {
            return None;
        }
        if is_variable(&w.value) {
            return None;
        }
        parts.push(Ident {
            value: w.value.clone(),
            quoted: w.quote_style.is_some(),
        });
        i += 1;
        if toks.get(i).map(|t| &t.token) != Some(&Token::Period) {
            break;
        }
        i += 1;
    }
    Some((parts, pos(start.span.start), i))
}

/// Keywords that follow `FROM`/`INTO` without being a table name.
fn is_clause_keyword(k: Keyword) -> bool {
    matches!(
        k,
        Keyword::SELECT
            | Keyword::VALUES
            | Keyword::LATERAL
            | Keyword::UNNEST
            | Keyword::WHERE
            | Keyword::SET
            | Keyword::WITH
    )
}

/// Names defined by `WITH name AS (` and `, name AS (`.
fn cte_names(toks: &[&TokenWithSpan]) -> HashSet<String> {
    let mut names = HashSet::new();
    for w in toks.windows(3) {
        if let (Token::Word(name), Token::Word(kw), Token::LParen) =
            (&w[0].token, &w[1].token, &w[2].token)
        {
            if kw.keyword == Keyword::AS && kw.quote_style.is_none() {
                names.insert(name.value.to_lowercase());
            }
        }
    }
    names
}

fn is_cte(name: &[Ident], ctes: &HashSet<String>) -> bool {
    name.len() == 1 && ctes.contains(&name[0].value.to_lowercase())
}
