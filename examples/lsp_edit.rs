//! Per-edit latency of `pipelint server`, for the benchmark (bench/scale.py):
//! `cargo run --release --example lsp_edit -- BINARY REPO FILE --find TEXT --replace TEXT [--edits N] [--server-log FILE]`.
//!
//! A minimal LSP client (JSON-RPC 2.0 over stdio, `Content-Length` framing,
//! as the LSP 3.17 specification has it): it spawns `BINARY server` in REPO,
//! sends `initialize` (UTF-16 positions, versioned diagnostics) and
//! `initialized`, opens FILE (repo-relative) with `didOpen`, then sends N
//! `didChange` notifications, each with the whole new text — odd edits put
//! `--replace` where `--find` was, even edits put it back, so the file's
//! diagnostics change every time — and times each until the server's
//! `publishDiagnostics` for FILE. Requests from the server
//! (`client/registerCapability`, `workspace/configuration`, …) are answered
//! as a client without those features would. Prints one JSON object:
//! `{"edits":N,"first_ms":…,"median_ms":…,"p90_ms":…,"max_ms":…}`, where
//! `first_ms` (the first edit, sent once the server has logged the end of
//! its first whole-repo analysis) is left out of the others. Each wait is
//! bounded. `--server-log` keeps the server's stderr (its log, and with
//! `PIPELINT_TIMINGS` set its stage times) in FILE.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The longest wait for one answer or one publication.
const WAIT: Duration = Duration::from_secs(120);

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: lsp_edit BINARY REPO FILE --find TEXT --replace TEXT [--edits N] [--server-log FILE]";
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(binary), Some(repo), Some(file)) = (args.get(1), args.get(2), args.get(3)) else {
        return Err(usage.into());
    };
    let find = flag("--find").ok_or(usage)?;
    let replace = flag("--replace").ok_or(usage)?;
    let edits: usize = flag("--edits").map_or(Ok(20), |n| n.parse())?;
    let repo = std::fs::canonicalize(repo)?;
    let path = repo.join(file);
    let original = std::fs::read_to_string(&path)?;
    if !original.contains(&find) {
        return Err(format!("{file} does not contain {find:?}").into());
    }
    let edited = original.replacen(&find, &replace, 1);
    let server_log = match flag("--server-log") {
        Some(log) => Stdio::from(std::fs::File::create(log)?),
        None => Stdio::null(),
    };

    let mut child = Command::new(binary)
        .arg("server")
        .current_dir(&repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(server_log)
        .spawn()?;
    let mut client = Client {
        stdin: child.stdin.take().ok_or("no stdin")?,
        messages: read_messages(child.stdout.take().ok_or("no stdout")?),
        next_id: 1,
    };
    let root_uri = uri(&repo);
    let doc_uri = uri(&path);
    client.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "clientInfo": {"name": "pipelint-bench"},
            "rootUri": root_uri,
            "workspaceFolders": [{"uri": root_uri, "name": "bench"}],
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "textDocument": {
                    "synchronization": {"didSave": true},
                    "publishDiagnostics": {"versionSupport": true}
                },
                "workspace": {"workspaceFolders": true}
            }
        }),
    )?;
    client.notify("initialized", json!({}))?;
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {
            "uri": doc_uri, "languageId": language(file), "version": 0, "text": original
        }}),
    )?;
    // The analysis that `initialized` starts publishes the file's findings
    // too, without a version: an edit sent before it ends could take that
    // publish for its own, and the next edit, coalesced with it, would
    // publish nothing new. Edits start once the server logs its end.
    client.wait_for(|m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|text| text.starts_with("analyzed in"))
    })?;
    let mut times = Vec::with_capacity(edits);
    for version in 1..=edits {
        let text = if version % 2 == 1 { &edited } else { &original };
        let start = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": doc_uri, "version": version},
                "contentChanges": [{"text": text}]
            }),
        )?;
        client.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == doc_uri
                && m["params"]["version"]
                    .as_u64()
                    .is_none_or(|v| v == version as u64)
        })?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    client.request("shutdown", Value::Null)?;
    client.notify("exit", Value::Null)?;
    let deadline = Instant::now() + WAIT;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("the server did not exit after `exit`".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let first = times.first().copied().unwrap_or(0.0);
    let mut rest: Vec<f64> = times.iter().skip(1).copied().collect();
    rest.sort_by(f64::total_cmp);
    let at = |q: f64| {
        rest.get(((rest.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(first)
    };
    println!(
        "{}",
        json!({
            "edits": edits,
            "first_ms": round(first),
            "median_ms": round(at(0.5)),
            "p90_ms": round(at(0.9)),
            "max_ms": round(rest.last().copied().unwrap_or(first)),
        })
    );
    Ok(())
}

fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// The LSP language id of a file, by its extension.
fn language(file: &str) -> &'static str {
    match Path::new(file).extension().and_then(|e| e.to_str()) {
        Some("py") => "python",
        Some("yml" | "yaml") => "yaml",
        Some("toml") => "toml",
        _ => "sql",
    }
}

/// A `file://` URI of an absolute path, each segment percent-encoded.
fn uri(path: &Path) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let mut out = String::from("file://");
    for part in path.iter().skip(1) {
        out.push('/');
        out.extend(percent_encoding::utf8_percent_encode(
            &part.to_string_lossy(),
            SEGMENT,
        ));
    }
    out
}

/// Reads framed messages from the server on a thread.
fn read_messages(stdout: impl Read + Send + 'static) -> mpsc::Receiver<Value> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut length = None;
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse::<usize>().ok();
                    }
                }
            }
            let Some(length) = length else { return };
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let Ok(message) = serde_json::from_slice(&body) else {
                return;
            };
            if tx.send(message).is_err() {
                return;
            }
        }
    });
    rx
}

/// The client's end of the conversation.
struct Client {
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
    next_id: u64,
}

impl Client {
    fn send(&mut self, message: &Value) -> Result<(), Error> {
        let body = serde_json::to_vec(message)?;
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len())?;
        self.stdin.write_all(&body)?;
        self.stdin.flush()?;
        Ok(())
    }

    fn notify(&mut self, method: &str, params: Value) -> Result<(), Error> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// Sends a request and waits for its response.
    fn request(&mut self, method: &str, params: Value) -> Result<Value, Error> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        let response = self.wait_for(|m| m["id"] == id && m.get("method").is_none())?;
        match response.get("error") {
            Some(e) => Err(format!("{method} failed: {e}").into()),
            None => Ok(response["result"].clone()),
        }
    }

    /// Reads messages until one that `want` accepts, answering the
    /// server's requests on the way.
    fn wait_for(&mut self, want: impl Fn(&Value) -> bool) -> Result<Value, Error> {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .map_err(|e| format!("no answer from the server: {e}"))?;
            if want(&message) {
                return Ok(message);
            }
            if let (Some(id), Some(method)) = (message.get("id"), message["method"].as_str()) {
                let result = match method {
                    // One `null` per item asked: no client-side settings.
                    "workspace/configuration" => {
                        let n = message["params"]["items"].as_array().map_or(0, Vec::len);
                        Value::Array(vec![Value::Null; n])
                    }
                    _ => Value::Null,
                };
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}))?;
            }
        }
    }
}
