//! `pipelint server`: the language server, speaking LSP over stdio.
//!
//! Findings come from the whole-repo graph (one [`analysis::Analyzer`] run,
//! the editor's unsaved buffers read instead of their files), published for
//! every file that has any; a file whose findings are gone gets an empty
//! list. Text sync is incremental (ranged edits, in the negotiated position
//! encoding). Messages are handled in arrival order; the edits that arrive
//! while a run is going are applied together and analyzed once, before the
//! next request is answered. A bad message is answered with an error (or
//! logged), never a crash.

mod actions;
mod analysis;
mod diagnostics;
mod documents;
mod hover;
mod positions;
mod transport;

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    notification, request, CodeActionKind, CodeActionOptions, CodeActionProviderCapability,
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, ExecuteCommandOptions,
    ExecuteCommandParams, FileSystemWatcher, GlobPattern, HoverParams, HoverProviderCapability,
    InitializeParams, InitializeResult, LogMessageParams, MessageType, PublishDiagnosticsParams,
    Registration, RegistrationParams, SaveOptions, ServerCapabilities, ServerInfo,
    ShowMessageParams, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};

use crate::check::{Analysis, Options};
use analysis::Analyzer;
use diagnostics::{DiskTexts, Findings};
use documents::Documents;
use positions::Encoding;
use transport::Incoming;

/// Serves one editor session on stdin/stdout. `path` is the folder checked
/// when the editor names no workspace folder; `options` and `threads` come
/// from the command line. Returns whether the session ended as the protocol
/// asks (`shutdown`, then `exit`).
pub fn run(path: PathBuf, options: Options, threads: Option<usize>) -> Result<bool, String> {
    // Bounded: a client sending faster than the analyses run waits, rather
    // than messages piling up in memory.
    let (sender, incoming) = mpsc::sync_channel(16);
    std::thread::Builder::new()
        .name("pipelint-lsp-reader".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            while let Some(message) = transport::read(&mut input, transport::MAX_BODY) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| format!("cannot start the reader thread: {e}"))?;
    let out = std::io::stdout();
    let Some(mut server) = Server::initialize(&incoming, out, path, options, threads)? else {
        return Ok(false);
    };
    loop {
        let Ok(first) = incoming.recv() else {
            return Ok(false);
        };
        let batch: Vec<Incoming> = std::iter::once(first).chain(incoming.try_iter()).collect();
        for message in batch {
            if let Some(clean) = server.handle(message) {
                return Ok(clean);
            }
        }
        if server.dirty {
            server.refresh();
        }
    }
}

/// One session's state.
struct Server {
    out: std::io::Stdout,
    encoding: Encoding,
    analyzer: Analyzer,
    documents: Documents,
    /// What was last published, by file.
    findings: Findings,
    /// The files last read to place findings, while the disk is unchanged.
    disk_texts: DiskTexts,
    /// The last analysis (the texts it read).
    last: Option<Analysis>,
    /// Whether buffers or files changed since the last analysis.
    dirty: bool,
    /// Whether `shutdown` was received.
    shutdown: bool,
    /// The hover format: Markdown unless the client lists formats without it.
    hover_format: lsp_types::MarkupKind,
    /// Whether to ask the client to watch pipeline.toml, CODEOWNERS and the
    /// files pipelint reads.
    watch: bool,
}

impl Server {
    /// Answers requests until `initialize` arrives, then answers it. `None`
    /// when the session ends first.
    fn initialize(
        incoming: &mpsc::Receiver<Incoming>,
        mut out: std::io::Stdout,
        path: PathBuf,
        options: Options,
        threads: Option<usize>,
    ) -> Result<Option<Server>, String> {
        loop {
            let request = match incoming.recv() {
                Err(_) => return Ok(None),
                Ok(Incoming::Malformed(why)) => {
                    unidentified_error(&mut out, &why);
                    continue;
                }
                Ok(Incoming::Message(Message::Request(r))) => r,
                Ok(Incoming::Message(Message::Notification(n))) if n.method == "exit" => {
                    return Ok(None)
                }
                Ok(Incoming::Message(_)) => continue,
            };
            if request.method != request::Initialize::METHOD {
                send(
                    &mut out,
                    Response::new_err(
                        request.id,
                        ErrorCode::ServerNotInitialized as i32,
                        "the server is not initialized".into(),
                    ),
                );
                continue;
            }
            let params: InitializeParams = match serde_json::from_value(request.params) {
                Ok(p) => p,
                Err(e) => {
                    send(&mut out, invalid_params(request.id, &e));
                    continue;
                }
            };
            let encoding = Encoding::negotiate(
                params
                    .capabilities
                    .general
                    .as_ref()
                    .and_then(|g| g.position_encodings.as_deref()),
            );
            let hover_format = match params
                .capabilities
                .text_document
                .as_ref()
                .and_then(|t| t.hover.as_ref())
                .and_then(|h| h.content_format.as_deref())
            {
                Some(formats) if !formats.contains(&lsp_types::MarkupKind::Markdown) => {
                    lsp_types::MarkupKind::PlainText
                }
                _ => lsp_types::MarkupKind::Markdown,
            };
            let watch = params
                .capabilities
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false);
            let folder = workspace_folder(&params).unwrap_or(path);
            let analyzer = match Analyzer::new(&folder, options, threads) {
                Ok(a) => a,
                Err(why) => {
                    send(
                        &mut out,
                        Response::new_err(request.id, ErrorCode::RequestFailed as i32, why.clone()),
                    );
                    return Err(why);
                }
            };
            send(
                &mut out,
                Response::new_ok(request.id, initialize_result(encoding)),
            );
            return Ok(Some(Server {
                out,
                encoding,
                analyzer,
                documents: Documents::default(),
                findings: Findings::new(),
                disk_texts: DiskTexts::default(),
                last: None,
                dirty: false,
                shutdown: false,
                hover_format,
                watch,
            }));
        }
    }

    /// Handles one message; `Some(clean)` when the session ends.
    fn handle(&mut self, message: Incoming) -> Option<bool> {
        match message {
            Incoming::Malformed(why) => {
                unidentified_error(&mut self.out, &why);
                None
            }
            Incoming::Message(Message::Request(r)) => {
                self.request(r);
                None
            }
            Incoming::Message(Message::Notification(n)) => self.notification(n),
            // Answers to our own requests (watcher registration): nothing to do.
            Incoming::Message(Message::Response(_)) => None,
        }
    }

    fn request(&mut self, r: Request) {
        if self.shutdown {
            let e = Response::new_err(
                r.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            );
            return send(&mut self.out, e);
        }
        // A request sees every edit sent before it.
        if self.dirty && r.method != request::Shutdown::METHOD {
            self.refresh();
        }
        let response = match r.method.as_str() {
            request::Shutdown::METHOD => {
                self.shutdown = true;
                Response::new_ok(r.id, ())
            }
            request::HoverRequest::METHOD => {
                match serde_json::from_value::<HoverParams>(r.params) {
                    Ok(p) => {
                        let at = p.text_document_position_params;
                        let hover = self
                            .findings_of(&at.text_document.uri)
                            .and_then(|f| hover::hover(f, at.position, self.hover_format.clone()));
                        Response::new_ok(r.id, hover)
                    }
                    Err(e) => invalid_params(r.id, &e),
                }
            }
            request::CodeActionRequest::METHOD => {
                match serde_json::from_value::<lsp_types::CodeActionParams>(r.params) {
                    Ok(p) => {
                        Response::new_ok(r.id, self.code_actions(&p.text_document.uri, p.range))
                    }
                    Err(e) => invalid_params(r.id, &e),
                }
            }
            request::ExecuteCommand::METHOD => {
                match serde_json::from_value::<ExecuteCommandParams>(r.params) {
                    Ok(p) if p.command == actions::SHOW_CYCLE => {
                        match actions::run_show_cycle(&p.arguments, self.analyzer.root()) {
                            Some((places, message)) => {
                                self.notify::<notification::ShowMessage>(ShowMessageParams {
                                    typ: MessageType::INFO,
                                    message,
                                });
                                Response::new_ok(r.id, places)
                            }
                            None => Response::new_err(
                                r.id,
                                ErrorCode::InvalidParams as i32,
                                format!("{} takes (uri, position, locations)", actions::SHOW_CYCLE),
                            ),
                        }
                    }
                    Ok(p) => Response::new_err(
                        r.id,
                        ErrorCode::InvalidParams as i32,
                        format!("unknown command `{}`", p.command),
                    ),
                    Err(e) => invalid_params(r.id, &e),
                }
            }
            other => Response::new_err(
                r.id,
                ErrorCode::MethodNotFound as i32,
                format!("pipelint does not handle `{other}`"),
            ),
        };
        send(&mut self.out, response);
    }

    fn notification(&mut self, n: Notification) -> Option<bool> {
        match n.method.as_str() {
            notification::Exit::METHOD => return Some(self.shutdown),
            notification::Initialized::METHOD => {
                if self.watch {
                    self.register_watchers();
                }
                self.dirty = true;
            }
            notification::DidOpenTextDocument::METHOD => {
                if let Some(p) = self.params::<DidOpenTextDocumentParams>(n) {
                    let d = p.text_document;
                    let root = self.analyzer.root().to_path_buf();
                    let rel = documents::rel_path(&root, &d.uri);
                    self.dirty |= self.affects(rel.as_deref(), &d.text);
                    self.documents.open(&root, d.uri, d.version, d.text);
                }
            }
            notification::DidChangeTextDocument::METHOD => {
                if let Some(p) = self.params::<DidChangeTextDocumentParams>(n) {
                    let d = p.text_document;
                    match self
                        .documents
                        .change(&d.uri, d.version, p.content_changes, self.encoding)
                    {
                        Ok(()) => {
                            let doc = self.documents.get(&d.uri);
                            let (rel, text) = doc.map_or((None, ""), |d| (d.rel.clone(), &d.text));
                            self.dirty |= self.affects(rel.as_deref(), text);
                        }
                        Err(why) => self.log(MessageType::WARNING, why),
                    }
                }
            }
            notification::DidSaveTextDocument::METHOD => {
                if let Some(p) = self.params::<DidSaveTextDocumentParams>(n) {
                    self.changed_on_disk(&p.text_document.uri);
                }
            }
            notification::DidCloseTextDocument::METHOD => {
                if let Some(p) = self.params::<DidCloseTextDocumentParams>(n) {
                    let uri = p.text_document.uri;
                    let rel = documents::rel_path(self.analyzer.root(), &uri);
                    self.documents.close(&uri);
                    // The file on disk is read again: the same text as the
                    // buffer's changes nothing.
                    let disk = rel.as_ref().and_then(|rel| {
                        crate::files::read_repo_text(self.analyzer.root(), rel).ok()
                    });
                    self.dirty |= disk.is_none_or(|text| self.affects(rel.as_deref(), &text));
                }
            }
            notification::DidChangeWatchedFiles::METHOD => {
                if let Some(p) = self.params::<DidChangeWatchedFilesParams>(n) {
                    for change in p.changes {
                        self.changed_on_disk(&change.uri);
                    }
                }
            }
            // `$/cancelRequest`, `$/setTrace` and the rest: nothing to do
            // (requests are answered in order, none is long-lived).
            _ => {}
        }
        None
    }

    /// A file changed on disk (saved, or changed outside the editor): the
    /// next run reads it, and the configuration again when it is one. A
    /// file open in the editor is read from its buffer, so its change on
    /// disk matters only when the buffer differs from what was read.
    fn changed_on_disk(&mut self, uri: &Uri) {
        let rel = documents::rel_path(self.analyzer.root(), uri);
        self.analyzer.disk_changed();
        if rel.as_deref().is_some_and(is_configuration) {
            // Each run reads the configuration afresh, and the cache's keys
            // hold it: nothing parsed under the old one is reused.
            self.dirty = true;
            return;
        }
        self.dirty |= match self.documents.get(uri) {
            Some(doc) => self.affects(rel.as_deref(), &doc.text),
            None => true,
        };
    }

    /// Whether reading `text` for the file `rel` could change the findings:
    /// before the first analysis, when the last one read that file with
    /// another text (a byte-order mark aside), or when it could not read it
    /// (a finding is located there). A file the last analysis did not read
    /// (a README, a file outside the root) changes nothing.
    fn affects(&self, rel: Option<&str>, text: &str) -> bool {
        let (Some(rel), Some(last)) = (rel, &self.last) else {
            return self.last.is_none();
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match last.context.sources.get(rel) {
            Some(read) => read.as_ref() != text,
            None => last
                .diagnostics
                .iter()
                .any(|d| d.span.as_ref().is_some_and(|s| s.file.as_ref() == rel)),
        }
    }

    /// Analyzes, and publishes what changed.
    fn refresh(&mut self) {
        self.dirty = false;
        let overlay = self.documents.overlay(self.analyzer.root());
        let start = std::time::Instant::now();
        let analyzer = &mut self.analyzer;
        let run =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyzer.analyze(overlay)));
        let analysis = match run {
            Ok(Ok(analysis)) => analysis,
            Ok(Err(why)) => return self.log(MessageType::ERROR, why),
            Err(_) => {
                return self.log(
                    MessageType::ERROR,
                    "pipelint stopped on an internal error (a bug: please report it with the file that caused it)".into(),
                )
            }
        };
        let checked = start.elapsed();
        if self.analyzer.walked() {
            self.disk_texts.forget();
        }
        let findings = diagnostics::convert(
            &analysis,
            self.analyzer.root(),
            &self.documents,
            self.encoding,
            &mut self.disk_texts,
        );
        for (uri, diagnostics) in diagnostics::changes(&self.findings, &findings) {
            let version = self.documents.get(&uri).map(|d| d.version);
            let params = PublishDiagnosticsParams {
                uri,
                diagnostics: diagnostics.into_iter().cloned().collect(),
                version,
            };
            self.notify::<notification::PublishDiagnostics>(params);
        }
        let files = findings.len();
        self.findings = findings;
        // The last analysis is freed beside the next message, not before
        // this one's log (a repo's graph and texts take milliseconds to free).
        crate::aside::free(self.last.replace(analysis));
        self.log(
            MessageType::LOG,
            format!(
                "analyzed in {} ms (check {} ms, then converted and published; {}): {files} file(s) with findings",
                start.elapsed().as_millis(),
                checked.as_millis(),
                if self.analyzer.walked() {
                    "the repo walked"
                } else {
                    "nothing changed on disk: the last walk reused"
                }
            ),
        );
    }

    fn code_actions(
        &self,
        uri: &Uri,
        range: lsp_types::Range,
    ) -> Vec<lsp_types::CodeActionOrCommand> {
        let (Some(findings), Some(last)) = (self.findings_of(uri), &self.last) else {
            return Vec::new();
        };
        let Some(rel) = documents::rel_path(self.analyzer.root(), uri) else {
            return Vec::new();
        };
        let Some(read) = last.context.sources.get(&rel) else {
            return Vec::new();
        };
        let shown = self
            .documents
            .get(uri)
            .map_or(read.as_ref(), |d| d.text.as_str());
        let file = actions::File {
            rel: &rel,
            read: &read,
            shown,
        };
        // The `pipeline.toml` at the root, when it is the config the
        // analysis read (`--add-allow` appends there too).
        let config = crate::manifest::MANIFEST_FILE;
        let manifest_read = last.context.sources.get(config);
        let manifest = manifest_read.as_ref().and_then(|read| {
            Some(match self.documents.by_rel(config) {
                Some((uri, doc)) => actions::Manifest {
                    uri: uri.clone(),
                    shown: doc.text.as_str(),
                },
                None => actions::Manifest {
                    uri: documents::uri_of(self.analyzer.root(), config)?,
                    shown: read,
                },
            })
        });
        actions::actions(
            uri,
            &file,
            manifest.as_ref(),
            findings,
            range,
            self.encoding,
        )
    }

    /// The published findings of a file.
    fn findings_of(&self, uri: &Uri) -> Option<&[diagnostics::Finding]> {
        let rel = documents::rel_path(self.analyzer.root(), uri)?;
        self.findings.get(&rel).map(|f| f.list.as_slice())
    }

    fn register_watchers(&mut self) {
        let watchers = [
            "**/pipeline.toml",
            "**/CODEOWNERS",
            "**/*.{sql,py,yml,yaml}",
        ]
        .into_iter()
        .map(|glob| FileSystemWatcher {
            glob_pattern: GlobPattern::String(glob.into()),
            kind: None,
        })
        .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "pipelint-watch".into(),
                method: notification::DidChangeWatchedFiles::METHOD.into(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        let id = RequestId::from("pipelint-register-watchers".to_string());
        send(
            &mut self.out,
            Request::new(id, request::RegisterCapability::METHOD.into(), params),
        );
    }

    /// A notification's parameters, or a log line saying why they are bad.
    fn params<P: serde::de::DeserializeOwned>(&mut self, n: Notification) -> Option<P> {
        match serde_json::from_value(n.params) {
            Ok(p) => Some(p),
            Err(e) => {
                self.log(
                    MessageType::WARNING,
                    format!("bad `{}` notification: {e}", n.method),
                );
                None
            }
        }
    }

    fn notify<N: lsp_types::notification::Notification>(&mut self, params: N::Params) {
        send(&mut self.out, Notification::new(N::METHOD.into(), params));
    }

    fn log(&mut self, typ: MessageType, message: String) {
        self.notify::<notification::LogMessage>(LogMessageParams { typ, message });
    }
}

/// Whether a repo-relative path is a configuration file: a `pipeline.toml`
/// or one of the places CODEOWNERS is read from.
fn is_configuration(rel: &str) -> bool {
    rel.rsplit('/').next() == Some(crate::manifest::MANIFEST_FILE)
        || crate::workspace::CODEOWNERS_PLACES.contains(&rel)
}

/// The folder the editor opened: its first workspace folder, else its root.
fn workspace_folder(params: &InitializeParams) -> Option<PathBuf> {
    let first = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| &f.uri);
    #[allow(deprecated)]
    let uri = first.or(params.root_uri.as_ref())?;
    documents::path_of(uri)
}

fn initialize_result(encoding: Encoding) -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(encoding.kind()),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                        include_text: Some(false),
                    })),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                ..CodeActionOptions::default()
            })),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: vec![actions::SHOW_CYCLE.into()],
                ..ExecuteCommandOptions::default()
            }),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "pipelint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    }
}

fn invalid_params(id: RequestId, e: &serde_json::Error) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        format!("bad parameters: {e}"),
    )
}

/// Writes a message; a closed stdout means the editor is gone, and the
/// reader ends the session when stdin closes too.
fn send(out: &mut std::io::Stdout, message: impl Into<Message>) {
    let mut lock = out.lock();
    let _ = transport::write(&mut lock, &message.into());
}

fn unidentified_error(out: &mut std::io::Stdout, why: &str) {
    let mut lock = out.lock();
    let _ = transport::write_unidentified_error(&mut lock, ErrorCode::ParseError as i32, why);
    let _ = lock.flush();
}
