//! `pipelint server` driven as an editor drives it: a scripted JSON-RPC
//! conversation over the child's stdin and stdout, asserting the exact
//! diagnostics published at each step. Every read waits at most
//! [`WAIT`], so a hung server fails the test instead of hanging it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(120);

/// A running server and what it sent that no step consumed yet.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    root: PathBuf,
    next_id: i64,
    /// The log line of the last analysis a step waited for.
    analyzed: String,
}

impl Session {
    /// Starts `pipelint server` on `root` and initializes it with the
    /// client's `capabilities`; returns the session and the initialize result.
    fn start(root: &Path, capabilities: Value) -> (Session, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipelint"))
            .args(["server", "--root"])
            .env("PIPELINT_CACHE_DIR", common::CACHE_DIR)
            .arg(root)
            .arg(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the pipelint binary runs");
        let stdout = child.stdout.take().unwrap();
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut session = Session {
            stdin: child.stdin.take(),
            child,
            incoming,
            root: root.to_path_buf(),
            next_id: 0,
            analyzed: String::new(),
        };
        let result = session.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": session.uri(""),
                "capabilities": capabilities,
            }),
        );
        (session, result)
    }

    fn uri(&self, rel: &str) -> String {
        let path = self.root.join(rel);
        format!("file://{}", path.to_str().unwrap())
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.write_raw(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    }

    fn write_raw(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message from the server, failing the test after [`WAIT`].
    fn next(&mut self) -> Value {
        self.incoming
            .recv_timeout(WAIT)
            .expect("the server answers in time")
    }

    /// Sends a request and returns its response (`result`, or the whole
    /// message when it is an error); messages before it are dropped.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next();
            if message["id"] == json!(id) && message.get("method").is_none() {
                return match message.get("error") {
                    Some(_) => message,
                    None => message["result"].clone(),
                };
            }
        }
    }

    /// The code actions for the range `start`–`end` (line, character) of
    /// the file at `uri`.
    fn code_actions(&mut self, uri: &str, start: (u32, u32), end: (u32, u32)) -> Value {
        self.request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri},
                "range": {
                    "start": {"line": start.0, "character": start.1},
                    "end": {"line": end.0, "character": end.1},
                },
                "context": {"diagnostics": []},
            }),
        )
    }

    /// Whether the last analysis walked the repo, as its log line says.
    fn walked(&self) -> bool {
        let reused = self.analyzed.contains("the last walk reused");
        assert!(
            reused || self.analyzed.contains("the repo walked"),
            "{}",
            self.analyzed
        );
        !reused
    }

    /// Waits for the end of the next analysis and returns what it published:
    /// each diagnostic as `file line:char-line:char code severity message`.
    fn step(&mut self) -> Vec<String> {
        let mut published = Vec::new();
        loop {
            let message = self.next();
            match message["method"].as_str() {
                Some("textDocument/publishDiagnostics") => {
                    let params = &message["params"];
                    let file = self.rel(&params["uri"]);
                    let diagnostics = params["diagnostics"].as_array().unwrap();
                    if diagnostics.is_empty() {
                        published.push(format!("{file} (none)"));
                    }
                    for d in diagnostics {
                        published.push(format!(
                            "{file} {} {} {} {}",
                            range(&d["range"]),
                            d["code"].as_str().unwrap(),
                            d["severity"],
                            d["message"].as_str().unwrap()
                        ));
                    }
                }
                Some("window/logMessage")
                    if message["params"]["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("analyzed in")) =>
                {
                    self.analyzed = message["params"]["message"].as_str().unwrap().to_string();
                    return published;
                }
                _ => {}
            }
        }
    }

    /// Asserts that the server analyzed nothing since the last step: a
    /// request (answered after any analysis it is owed) sees no publish and
    /// no analysis before its answer.
    fn quiet(&mut self) {
        self.next_id += 1;
        let id = self.next_id;
        let params = json!({"textDocument": {"uri": self.uri("none.sql")}, "position": {"line": 0, "character": 0}});
        self.send(
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": params}),
        );
        loop {
            let message = self.next();
            if message["id"] == json!(id) {
                return;
            }
            let method = message["method"].as_str().unwrap_or("");
            let text = message["params"]["message"].as_str().unwrap_or("");
            assert!(
                method != "textDocument/publishDiagnostics" && !text.starts_with("analyzed in"),
                "the server analyzed again: {message}"
            );
        }
    }

    /// The next `window/logMessage` text.
    fn log(&mut self) -> String {
        loop {
            let message = self.next();
            if message["method"] == "window/logMessage" {
                return message["params"]["message"].as_str().unwrap().to_string();
            }
        }
    }

    fn rel(&self, uri: &Value) -> String {
        let prefix = self.uri("");
        uri.as_str()
            .unwrap()
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{uri} is outside {prefix}"))
            .trim_start_matches('/')
            .to_string()
    }

    /// Ends the session as the protocol asks; returns the exit code.
    fn finish(mut self) -> i32 {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        for _ in 0..1200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("the server did not exit after `exit`");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One framed message from the server's stdout.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn range(r: &Value) -> String {
    format!(
        "{}:{}-{}:{}",
        r["start"]["line"], r["start"]["character"], r["end"]["line"], r["end"]["character"]
    )
}

/// A writable copy of the `server` fixture.
fn copy_of_fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    common::copy_dir(&common::fixture("server"), &root);
    (dir, root)
}

/// The UTF-16 length of a text: where a position after it is.
fn utf16(text: &str) -> usize {
    text.encode_utf16().count()
}

const ORDERS: &str = "sql/orders_enriched.sql";
const SEGMENTS: &str = "sql/customer_segments.sql";
/// The fixture's line 3 of `sql/orders_enriched.sql`, up to its `;`.
const LINE_3: &str = "SELECT o.*, o.amount * 2 AS weight /* 😀 */ FROM raw.orders o";
const JOIN: &str = " JOIN analytics.customer_segments s USING (customer_id)";
const CYCLE: &str = "cycle through 2 jobs: script:sql/customer_segments.sql → dataset:analytics.customer_segments → script:sql/orders_enriched.sql → dataset:analytics.orders_enriched → script:sql/customer_segments.sql";

#[test]
fn an_edit_introducing_a_cycle_and_one_fixing_it_publish_exactly() {
    let (_dir, root) = copy_of_fixture();
    let text = std::fs::read_to_string(root.join(ORDERS)).unwrap();
    assert!(text.starts_with('\u{feff}') && text.contains("\r\n"));
    let (mut s, init) = Session::start(&root, json!({}));
    // No encoding offered: UTF-16, the protocol's default.
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2);
    s.notify("initialized", json!({}));
    assert_eq!(s.step(), Vec::<String>::new());

    let orders = s.uri(ORDERS);
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": orders, "languageId": "sql", "version": 1, "text": text}}),
    );
    // The buffer holds what the last analysis read: nothing to do.
    s.quiet();

    // Insert the join before the `;` of line 3 (0-based line 2), in UTF-16.
    let at = json!({"line": 2, "character": utf16(LINE_3)});
    s.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": orders, "version": 2},
            "contentChanges": [{"range": {"start": at, "end": at}, "text": JOIN}],
        }),
    );
    assert_eq!(s.step(), [format!("{SEGMENTS} 0:24-0:24 PL101 1 {CYCLE}")]);
    // The cycle's places (points), in the buffer's UTF-16 units: the
    // byte-order mark counts on line 1, the emoji twice on line 3.
    let actions = s.code_actions(&s.uri(SEGMENTS), (0, 30), (0, 30));
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 2, "{actions:#?}");
    assert_eq!(
        actions[0]["title"],
        "Allow this dag-cycle finding here (inline, with a reason to write)"
    );
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(
        actions[0]["edit"]["changes"][s.uri(SEGMENTS)],
        json!([{
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "newText": "-- pipelint: allow[dag-cycle] TODO: why this is accepted\n",
        }])
    );
    assert_eq!(actions[1]["title"], "Show the cycle (4 places)");
    let places: Vec<String> = actions[1]["command"]["arguments"][2]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{} {}", s.rel(&l["uri"]), range(&l["range"])))
        .collect();
    let join_at = utf16(LINE_3) + utf16(" JOIN ");
    assert_eq!(
        places,
        [
            format!("{SEGMENTS} 0:24-0:24"),
            format!("{ORDERS} 2:{join_at}-2:{join_at}"),
            format!("{ORDERS} 0:25-0:25"),
            format!("{SEGMENTS} 2:5-2:5"),
        ]
    );
    let command = actions[1]["command"].clone();
    let shown = s.request(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    assert_eq!(shown, command["arguments"][2]);

    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": s.uri(SEGMENTS)}, "position": {"line": 0, "character": 30}}),
    );
    assert_eq!(hover["contents"]["kind"], "markdown");
    let markdown = hover["contents"]["value"].as_str().unwrap();
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/dag-cycle.md"))
            .unwrap();
    assert!(markdown.starts_with(&format!(
        "**PL101 dag-cycle**: {CYCLE}\n\nhelp: break the loop"
    )));
    assert!(markdown.contains(page.trim_end()), "{markdown}");
    assert!(
        markdown.ends_with("/blob/v0.1.0/rules/dag-cycle.md)"),
        "{markdown}"
    );
    assert_eq!(
        hover["range"],
        json!({"start": {"line": 0, "character": 24}, "end": {"line": 0, "character": 24}})
    );
    let nothing = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": s.uri(SEGMENTS)}, "position": {"line": 3, "character": 0}}),
    );
    assert_eq!(nothing, Value::Null);

    // Take the join out again: the file's findings are cleared.
    let end = json!({"line": 2, "character": utf16(LINE_3) + utf16(JOIN)});
    s.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": orders, "version": 3},
            "contentChanges": [{"range": {"start": at, "end": end}, "text": ""}],
        }),
    );
    assert_eq!(s.step(), [format!("{SEGMENTS} (none)")]);
    // Saving and closing a buffer that holds the disk's text change nothing.
    s.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": orders}}),
    );
    s.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": orders}}),
    );
    s.quiet();
    // The disk was never written.
    assert_eq!(std::fs::read_to_string(root.join(ORDERS)).unwrap(), text);
    assert_eq!(s.finish(), 0);
}

#[test]
fn a_configuration_change_on_disk_reloads_and_utf8_is_negotiated() {
    let (_dir, root) = copy_of_fixture();
    let (mut s, init) = Session::start(
        &root,
        json!({
            "general": {"positionEncodings": ["utf-8", "utf-16"]},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
            "textDocument": {"hover": {"contentFormat": ["plaintext"]}},
        }),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    s.notify("initialized", json!({}));
    // The client can watch files: the server asks it to.
    let register = loop {
        let message = s.next();
        if message["method"] == "client/registerCapability" {
            break message;
        }
    };
    let registration = &register["params"]["registrations"][0];
    assert_eq!(registration["method"], "workspace/didChangeWatchedFiles");
    assert_eq!(
        registration["registerOptions"]["watchers"],
        json!([
            {"globPattern": "**/pipeline.toml"},
            {"globPattern": "**/CODEOWNERS"},
            {"globPattern": "**/*.{sql,py,yml,yaml}"},
        ])
    );
    s.send(json!({"jsonrpc": "2.0", "id": register["id"], "result": null}));
    assert_eq!(s.step(), Vec::<String>::new());
    // Saved from outside the editor: the cycle is on disk, then the
    // configuration makes it a warning.
    let text = std::fs::read_to_string(root.join(ORDERS)).unwrap();
    std::fs::write(
        root.join(ORDERS),
        text.replace("raw.orders o;", &format!("raw.orders o{JOIN};")),
    )
    .unwrap();
    let changed = |uri: String| json!({"changes": [{"uri": uri, "type": 2}]});
    s.notify("workspace/didChangeWatchedFiles", changed(s.uri(ORDERS)));
    assert_eq!(s.step(), [format!("{SEGMENTS} 0:24-0:24 PL101 1 {CYCLE}")]);
    let mut config = std::fs::read_to_string(root.join("pipeline.toml")).unwrap();
    config.push_str("\n[rules]\nseverity = { dag-cycle = \"warn\" }\n");
    std::fs::write(root.join("pipeline.toml"), config).unwrap();
    s.notify(
        "workspace/didChangeWatchedFiles",
        changed(s.uri("pipeline.toml")),
    );
    assert_eq!(s.step(), [format!("{SEGMENTS} 0:24-0:24 PL101 2 {CYCLE}")]);
    // A UTF-8 client counts bytes: the emoji is four, `é` two.
    let actions = s.code_actions(&s.uri(SEGMENTS), (0, 24), (0, 24));
    let read_at = &actions[1]["command"]["arguments"][2][1]["range"]["start"];
    let join_at = LINE_3.len() + " JOIN ".len();
    assert_eq!(read_at, &json!({"line": 2, "character": join_at}));
    // The file is not open: counted in its text without the byte-order
    // mark, as editors hold such a file once they open it.
    let writes_at = &actions[1]["command"]["arguments"][2][2]["range"]["start"];
    assert_eq!(writes_at, &json!({"line": 0, "character": 24}));
    // A client reading only plain text gets the page as plain text.
    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": s.uri(SEGMENTS)}, "position": {"line": 0, "character": 24}}),
    );
    assert_eq!(hover["contents"]["kind"], "plaintext");
    // Changed on disk where it is not open: its findings are placed in its
    // new text (`é` is two bytes), not in the one read before.
    let segments = std::fs::read_to_string(root.join(SEGMENTS)).unwrap();
    let segments = segments.replacen("TABLE ", "TABLE /* é */ ", 1);
    std::fs::write(root.join(SEGMENTS), segments).unwrap();
    s.notify("workspace/didChangeWatchedFiles", changed(s.uri(SEGMENTS)));
    assert_eq!(s.step(), [format!("{SEGMENTS} 0:33-0:33 PL101 2 {CYCLE}")]);
    assert_eq!(s.finish(), 0);
}

#[test]
fn bad_messages_get_errors_and_the_session_goes_on() {
    let (_dir, root) = copy_of_fixture();
    let (mut s, _) = Session::start(&root, json!({}));
    s.notify("initialized", json!({}));
    assert_eq!(s.step(), Vec::<String>::new());
    // Not JSON: a parse error with a null id.
    s.write_raw("Content-Length: 9\r\n\r\n{not json");
    let error = s.next();
    assert_eq!(error["id"], Value::Null);
    assert_eq!(error["error"]["code"], -32700);
    // An unknown request: method not found.
    let unknown = s.request("textDocument/definition", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    // Bad parameters: invalid params.
    let bad = s.request("textDocument/hover", json!({"position": "here"}));
    assert_eq!(bad["error"]["code"], -32602);
    // An edit of a file never opened is logged and changes nothing.
    s.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": s.uri(ORDERS), "version": 2},
            "contentChanges": [{"text": "garbage"}],
        }),
    );
    assert!(s.log().contains("which is not open"));
    // A buffer outside the root is never read; positions past the end clamp.
    let outside = json!({"uri": "file:///elsewhere/x.sql", "languageId": "sql", "version": 1, "text": "select 1"});
    s.notify("textDocument/didOpen", json!({"textDocument": outside}));
    s.quiet();
    let orders = s.uri(ORDERS);
    let text = std::fs::read_to_string(root.join(ORDERS)).unwrap();
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": orders, "languageId": "sql", "version": 1, "text": text}}),
    );
    s.quiet();
    let far = json!({"line": 99, "character": 99});
    s.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": orders, "version": 2},
            "contentChanges": [{"range": {"start": far, "end": far}, "text": "-- the end\n"}],
        }),
    );
    assert_eq!(s.step(), Vec::<String>::new());
    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": orders}, "position": far}),
    );
    assert_eq!(hover, Value::Null);
    // A request after shutdown is refused; exit then ends the process cleanly.
    assert_eq!(s.request("shutdown", Value::Null), Value::Null);
    let late = s.request("textDocument/hover", json!({}));
    assert_eq!(late["error"]["code"], -32600);
    s.notify("exit", Value::Null);
    drop(s.stdin.take());
    let status = s.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_finding_where_no_comment_can_go_is_allowed_in_pipeline_toml() {
    let (_dir, root) = copy_of_fixture();
    let (mut s, _) = Session::start(&root, json!({}));
    s.notify("initialized", json!({}));
    assert_eq!(s.step(), Vec::<String>::new());
    let manifest = s.uri("pipeline.toml");
    let text = std::fs::read_to_string(root.join("pipeline.toml")).unwrap();
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": manifest, "languageId": "toml", "version": 1, "text": text}}),
    );
    s.quiet();
    // A whole-text change (no range): the source's owner is no team.
    let edited = text.replace(
        "owner = \"data-eng\"\ncadence = \"hourly\"",
        "owner = \"data-platform\"\ncadence = \"hourly\"",
    );
    assert_ne!(edited, text);
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": manifest, "version": 2}, "contentChanges": [{"text": edited}]}),
    );
    assert_eq!(
        s.step(),
        ["pipeline.toml 27:8-27:23 PL202 1 owner `data-platform` of `source:postgres_orders` is not a team declared in [teams]"]
    );
    let actions = s.code_actions(&manifest, (27, 10), (27, 12));
    let end = json!({"line": edited.matches('\n').count(), "character": 0});
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(
        actions[0]["title"],
        "Allow this unknown-owner finding in pipeline.toml ([[allow]], with a reason to write)"
    );
    assert_eq!(actions[0]["diagnostics"][0]["code"], "PL202");
    assert_eq!(
        actions[0]["edit"]["changes"][&manifest],
        json!([{
            "range": {"start": end, "end": end},
            "newText": "\n[[allow]]\nrule = \"unknown-owner\"\nnode = \"source:postgres_orders\"\nreason = \"TODO: why this is accepted\"\n",
        }])
    );
    assert_eq!(s.finish(), 0);
}

#[test]
fn a_root_opened_through_a_link_is_published_as_the_editor_spells_it() {
    let (dir, root) = copy_of_fixture();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&root, &link).unwrap();
    let (mut s, _) = Session::start(&link, json!({}));
    s.notify("initialized", json!({}));
    assert_eq!(s.step(), Vec::<String>::new());
    let text = std::fs::read_to_string(root.join(ORDERS)).unwrap();
    std::fs::write(
        root.join(ORDERS),
        text.replace("raw.orders o;", &format!("raw.orders o{JOIN};")),
    )
    .unwrap();
    let change = json!({"changes": [{"uri": s.uri(ORDERS), "type": 2}]});
    s.notify("workspace/didChangeWatchedFiles", change);
    // `step` reads each URI relative to the link: one under the resolved
    // path would fail it.
    assert_eq!(s.step(), [format!("{SEGMENTS} 0:24-0:24 PL101 1 {CYCLE}")]);
    assert_eq!(s.finish(), 0);
}

#[test]
fn a_file_changed_on_disk_unannounced_is_seen_by_the_next_analysis() {
    let (_dir, root) = copy_of_fixture();
    let (mut s, _) = Session::start(&root, json!({}));
    s.notify("initialized", json!({}));
    assert_eq!(s.step(), Vec::<String>::new());
    assert!(s.walked());
    let segments = s.uri(SEGMENTS);
    let text = std::fs::read_to_string(root.join(SEGMENTS)).unwrap();
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": segments, "languageId": "sql", "version": 1, "text": text}}),
    );
    s.quiet();
    // An edit in a buffer changes nothing on disk: the last walk stands.
    let mut version = 1;
    let edit = |s: &mut Session, version: &mut u32| {
        *version += 1;
        let end = json!({"line": 0, "character": 0});
        s.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": segments, "version": version},
                "contentChanges": [{"range": {"start": end, "end": end}, "text": format!("-- edit {version}\n")}],
            }),
        );
        s.step()
    };
    assert_eq!(edit(&mut s, &mut version), Vec::<String>::new());
    assert!(!s.walked());
    // Another program writes a new file that closes a loop, and nobody
    // tells the server: its watcher does. Only a walk finds a new file. The
    // event comes on the watcher's thread, so edits go on until an analysis
    // sees it.
    std::fs::write(
        root.join("sql/orders_from_segments.sql"),
        "INSERT INTO raw.orders SELECT * FROM analytics.customer_segments;\n",
    )
    .unwrap();
    let mut seen = None;
    for _ in 0..100 {
        let published = edit(&mut s, &mut version);
        if !published.is_empty() {
            seen = Some(published);
            break;
        }
        assert!(
            !s.walked(),
            "a walk that did not find the file: {}",
            s.analyzed
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let published = seen.expect("the new file was found");
    assert!(s.walked(), "{}", s.analyzed);
    assert!(
        published.iter().any(|p| p.contains(" PL101 ")),
        "{published:?}"
    );
    // Nothing changed on disk since: once the watcher's last events for
    // the write are in, the walk is reused again.
    let reused = (0..20).any(|_| {
        edit(&mut s, &mut version);
        std::thread::sleep(Duration::from_millis(50));
        !s.walked()
    });
    assert!(reused, "{}", s.analyzed);
    assert_eq!(s.finish(), 0);
}
