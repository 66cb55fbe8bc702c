//! The comments of a TOML document, found through the parser's decor (the
//! whitespace and comments it keeps around every key, value and table), so no
//! `#` inside a string is ever taken for a comment.

use std::ops::Range;

use toml_edit::{Decor, Document, Item, RawString, Table, Value};

/// Byte ranges of every comment (from `#` to the end of its line), sorted.
pub fn comment_ranges(doc: &Document<String>, text: &str) -> Vec<Range<usize>> {
    let mut raws: Vec<Range<usize>> = Vec::new();
    table(doc.as_table(), &mut raws);
    push_raw(doc.trailing(), &mut raws);
    let mut out = Vec::new();
    for r in raws {
        let Some(decor) = text.get(r.clone()) else {
            continue;
        };
        let mut pos = 0;
        for line in decor.split_inclusive('\n') {
            if let Some(hash) = line.find('#') {
                let end = line.trim_end_matches(['\n', '\r']).len();
                out.push(r.start + pos + hash..r.start + pos + end);
            }
            pos += line.len();
        }
    }
    out.sort_by_key(|r| r.start);
    out.dedup();
    out
}

fn push_raw(raw: &RawString, out: &mut Vec<Range<usize>>) {
    if let Some(span) = raw.span() {
        out.push(span);
    }
}

fn decor(d: &Decor, out: &mut Vec<Range<usize>>) {
    if let Some(p) = d.prefix() {
        push_raw(p, out);
    }
    if let Some(s) = d.suffix() {
        push_raw(s, out);
    }
}

fn table(t: &Table, out: &mut Vec<Range<usize>>) {
    decor(t.decor(), out);
    for (k, item) in t.iter() {
        if let Some((key, _)) = t.get_key_value(k) {
            decor(key.leaf_decor(), out);
            decor(key.dotted_decor(), out);
        }
        match item {
            Item::Table(inner) => table(inner, out),
            Item::ArrayOfTables(array) => array.iter().for_each(|inner| table(inner, out)),
            Item::Value(v) => value(v, out),
            Item::None => {}
        }
    }
}

fn value(v: &Value, out: &mut Vec<Range<usize>>) {
    decor(v.decor(), out);
    match v {
        Value::Array(a) => {
            push_raw(a.trailing(), out);
            a.iter().for_each(|inner| value(inner, out));
        }
        Value::InlineTable(t) => {
            push_raw(t.trailing(), out);
            for (k, inner) in t.iter() {
                if let Some((key, _)) = t.get_key_value(k) {
                    decor(key.leaf_decor(), out);
                }
                value(inner, out);
            }
        }
        _ => {}
    }
}
