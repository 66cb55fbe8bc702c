//! Plain tables for the terminal and Markdown, shared by `impact`,
//! `metrics` and `audit`. Cells are repo text: the terminal form escapes
//! control characters, the Markdown form escapes pipes.

use super::terminal::sanitize;

/// Columns padded to their widest cell, a dashed rule under the header.
pub fn text(headers: &[&str], rows: &[Vec<String>]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| sanitize(c).into_owned()).collect())
        .collect();
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            if i < width.len() {
                width[i] = width[i].max(c.chars().count());
            }
        }
    }
    let line = |row: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in row.iter().enumerate() {
            if i + 1 == row.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(width[i] - c.chars().count() + 2));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    out.push_str(&line(
        width
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in &cells {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// A GitHub-flavored Markdown table.
pub fn markdown(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", headers.join(" | "));
    out.push_str(&format!(
        "|{}\n",
        headers.iter().map(|_| "---|").collect::<String>()
    ));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| markdown_cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// Escapes a Markdown table cell: pipes, newlines, HTML brackets.
pub fn markdown_cell(text: &str) -> String {
    sanitize(text)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn pads_and_escapes() {
        let rows = vec![vec!["a|b".to_string(), "1".to_string()]];
        assert_eq!(
            super::text(&["name", "n"], &rows),
            "name  n\n----  -\na|b   1\n"
        );
        assert_eq!(
            super::markdown(&["name", "n"], &rows),
            "| name | n |\n|---|---|\n| a\\|b | 1 |\n"
        );
    }
}
