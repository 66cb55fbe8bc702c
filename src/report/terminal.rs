//! Text from the repo made safe for a terminal or a CI log: control
//! characters escaped, so a file name or a source line can neither move the
//! cursor nor start a workflow command (`::error …`).

use std::borrow::Cow;

/// `text` with every control character (other than tab) written as a visible
/// escape (`\x1b`, `\r`, `\n`, `\u{9b}`).
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && is_unsafe(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A whole output line: sanitized, and never beginning with `::`, which a CI
/// runner would read as a workflow command.
pub fn safe_line(text: &str) -> Cow<'_, str> {
    let clean = sanitize(text);
    if clean.trim_start().starts_with("::") {
        return Cow::Owned(format!(" {clean}"));
    }
    clean
}

fn is_unsafe(c: char) -> bool {
    c != '\t'
        && (c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_workflow_commands() {
        assert_eq!(sanitize("a\x1b[31mb\rc"), "a\\x1b[31mb\\rc");
        assert_eq!(sanitize("plain\ttext"), "plain\ttext");
        assert_eq!(sanitize("\u{9b}x"), "\\u{9b}x");
        assert_eq!(
            safe_line("::error title=x::y.sql"),
            " ::error title=x::y.sql"
        );
        assert_eq!(safe_line("ok: line"), "ok: line");
    }
}
