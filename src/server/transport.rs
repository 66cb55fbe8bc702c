//! LSP framing over a byte stream: `Content-Length` headers, then a JSON-RPC
//! body. Unlike `lsp_server::Connection::stdio`, a bad message ends nothing:
//! a header block without a length, a body over [`MAX_BODY`] bytes (skipped
//! unread) or a body that is no JSON-RPC message is reported as
//! [`Incoming::Malformed`] and reading goes on with the next message. Every
//! read is bounded: header lines, header count and body size.

use std::io::{self, BufRead, Read, Write};

use lsp_server::Message;

/// The largest message body read (a 16 MB file, the largest pipelint
/// reads, sent as JSON with every character escaped fits).
pub const MAX_BODY: usize = 128 * 1024 * 1024;

/// The longest header line and the most header lines of one message.
const MAX_HEADER_LINE: usize = 4096;
const MAX_HEADERS: usize = 32;

/// What came in.
#[derive(Debug)]
pub enum Incoming {
    /// A JSON-RPC message.
    Message(Message),
    /// Something that is no message, and why.
    Malformed(String),
}

/// Reads the next message, `None` at the end of the stream; a body over
/// `max_body` bytes ([`MAX_BODY`] for the server) is skipped. An I/O error
/// ends the stream too (there is nothing left to read from).
pub fn read(input: &mut impl BufRead, max_body: usize) -> Option<Incoming> {
    let mut length = None;
    let mut problem = None;
    let mut headers = 0;
    loop {
        let line = match read_line(input) {
            Ok(Some(line)) => line,
            Ok(None) | Err(_) => return None,
        };
        let Some(line) = line else {
            problem.get_or_insert_with(|| format!("a header line over {MAX_HEADER_LINE} bytes"));
            continue;
        };
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            // Blank lines before a header block (stray line ends) are skipped.
            if headers == 0 && problem.is_none() {
                continue;
            }
            break;
        }
        headers += 1;
        if headers > MAX_HEADERS {
            problem.get_or_insert_with(|| format!("more than {MAX_HEADERS} header lines"));
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => {
                        problem.get_or_insert_with(|| {
                            format!("a bad Content-Length `{}`", value.trim())
                        });
                    }
                }
            }
            Some(_) => {}
            None => {
                problem.get_or_insert_with(|| format!("a header line without `:`: `{line}`"));
            }
        }
    }
    let Some(length) = length else {
        return Some(Incoming::Malformed(
            problem.unwrap_or_else(|| "a message without Content-Length".into()),
        ));
    };
    if length > max_body {
        // Skip the body so the next message is read from its start.
        let skipped = io::copy(&mut input.take(length as u64), &mut io::sink()).ok()?;
        if skipped < length as u64 {
            return None;
        }
        return Some(Incoming::Malformed(format!(
            "a message of {length} bytes (the limit is {max_body})"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body).ok()?;
    if let Some(problem) = problem {
        return Some(Incoming::Malformed(problem));
    }
    Some(match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Incoming::Message(message),
        Err(e) => Incoming::Malformed(format!("not a JSON-RPC message: {e}")),
    })
}

/// One line up to [`MAX_HEADER_LINE`] bytes: `Ok(None)` at the end of the
/// stream, `Ok(Some(None))` for a longer line (read to its end and dropped).
fn read_line(input: &mut impl BufRead) -> io::Result<Option<Option<String>>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => Some(None),
                (false, true) => None,
                (false, false) => Some(Some(String::from_utf8_lossy(&line).into_owned())),
            });
        }
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let used = chunk.len();
        if line.len() + used > MAX_HEADER_LINE {
            too_long = true;
            line.clear();
        } else if !too_long {
            line.extend_from_slice(chunk);
        }
        input.consume(used);
        if done {
            return Ok(Some(if too_long {
                None
            } else {
                Some(String::from_utf8_lossy(&line).into_owned())
            }));
        }
    }
}

/// Writes a message.
pub fn write(output: &mut impl Write, message: &Message) -> io::Result<()> {
    message.write(output)
}

/// Writes the error response to a message that had no readable id
/// (JSON-RPC's `"id": null`): `code` -32700 for a parse error.
pub fn write_unidentified_error(
    output: &mut impl Write,
    code: i32,
    message: &str,
) -> io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": message },
    })
    .to_string();
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn bad_messages_are_reported_and_reading_goes_on() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let long = "x".repeat(MAX_HEADER_LINE + 10);
        let stream = format!(
            "{}{}Content-Type: x\r\n\r\n{}{long}\r\nContent-Length: 2\r\n\r\n{{}}{}{}{}Content-Length: 900\r\n\r\n",
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","params":3}"#),
            frame(good),
            frame(good),
            frame(&format!("{good:<600}")),
            frame(good),
        );
        let mut input = io::Cursor::new(stream.into_bytes());
        let mut seen = Vec::new();
        while let Some(incoming) = read(&mut input, 500) {
            seen.push(match incoming {
                Incoming::Message(Message::Notification(n)) => n.method,
                Incoming::Message(m) => format!("{m:?}"),
                Incoming::Malformed(why) => why.split(':').next().unwrap_or("").to_string(),
            });
        }
        assert_eq!(
            seen,
            [
                "not a JSON-RPC message",
                "not a JSON-RPC message",
                "a message without Content-Length",
                "initialized",
                "a header line over 4096 bytes",
                "initialized",
                "a message of 600 bytes (the limit is 500)",
                "initialized",
            ]
        );
    }
}
