//! `pipelint check --watch` end to end: the binary watches a copy of
//! fixtures/acme, an edit introduces findings and its revert removes them,
//! changes in `.git/` and in gitignored paths start no re-check, and Ctrl-C
//! exits 0. Every wait is bounded: a missing line fails the test.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The longest wait for one expected line (a debug build on a busy machine).
const WAIT: Duration = Duration::from_secs(60);

/// A running `check --watch`, its stdout read line by line on a thread.
struct Watching {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watching {
    fn start(repo: &Path, extra: &[&str]) -> Watching {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipelint"))
            .arg("check")
            .arg(repo)
            .arg("--root")
            .arg(repo)
            .arg("--watch")
            .args(extra)
            .env("PIPELINT_CACHE_DIR", common::CACHE_DIR)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the pipelint binary runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The lines printed from now up to and including the first one that
    /// `last` accepts; fails after [`WAIT`].
    fn until(&mut self, last: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    let done = last(&line);
                    got.push(line);
                    if done {
                        return got;
                    }
                }
                Err(e) => panic!(
                    "no expected line ({e:?}); printed so far:\n{:#?}",
                    self.seen
                ),
            }
        }
    }

    /// The lines of the next re-check: its changes and its summary line.
    fn next_run(&mut self) -> Vec<String> {
        self.until(|l| l.contains(" appeared, "))
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends SIGINT (what Ctrl-C sends) and waits, bounded, for the exit code.
fn interrupt(w: &mut Watching) -> Option<i32> {
    let pid = w.child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -INT {pid}");
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Some(status) = w.child.try_wait().expect("wait for the watch") {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the watch did not exit on SIGINT");
}

const SERVING: &str = "sql/serving/daily_active_users.sql";

/// Replaces a file at once, as editors save: written in the gitignored
/// `scratch/` folder, then renamed into place, so no re-check can see it
/// half written however slow the machine.
fn save(repo: &Path, rel: &str, text: &str) {
    let staged = repo.join("scratch/saving");
    std::fs::write(&staged, text).unwrap();
    std::fs::rename(&staged, repo.join(rel)).unwrap();
}

#[test]
fn watch_prints_findings_that_appear_and_go_and_exits_zero_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    common::copy_dir(&common::fixture("acme"), repo);
    std::fs::write(repo.join(".gitignore"), "scratch/\n").unwrap();
    std::fs::create_dir_all(repo.join("scratch")).unwrap();
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    let mut w = Watching::start(repo, &["--quiet"]);
    let first = w.until(|l| l.contains(" info in "));
    assert_eq!(
        first,
        ["0 errors, 0 warnings, 0 info in 25 files (57 nodes, 53 edges)"]
    );

    // Changes in .git/ and in a gitignored folder start no re-check: had
    // they, the next summary would count nothing appeared.
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(
        repo.join("scratch/try.sql"),
        "INSERT INTO mart.x SELECT * FROM raw.orders;\n",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1500));

    // The serving script reads raw instead of curated.
    let clean = std::fs::read_to_string(repo.join(SERVING)).unwrap();
    let broken = clean.replace("FROM analytics.fct_sessions", "FROM raw.events");
    assert_ne!(broken, clean);
    save(repo, SERVING, &broken);
    let cross_dag = "sql/serving/daily_active_users.sql:7:6: PL103 cross-dag-without-trigger [warn] `script:sql/serving/daily_active_users.sql` reads `raw.events`, written by `script:sql/load_events.sql` in DAG `events_continuous`, with nothing making it wait for that write";
    let layer_skip = "sql/serving/daily_active_users.sql:7:6: PL402 layer-skip [warn] `script:sql/serving/daily_active_users.sql` builds serving-layer `mart.daily_active_users` straight from raw `raw.events`, skipping curated";
    let run = w.next_run();
    let (summary, changes) = run.split_last().unwrap();
    assert_eq!(
        changes,
        [format!("+ {cross_dag}"), format!("+ {layer_skip}")]
    );
    assert!(
        summary.starts_with(
            "2 appeared, 0 gone; 0 errors, 2 warnings, 0 info in 25 files (57 nodes, 53 edges) ["
        ),
        "{summary}"
    );

    // A line added above moves the findings: same fingerprints, nothing to print.
    save(repo, SERVING, &format!("-- reads the raw events\n{broken}"));
    let run = w.next_run();
    assert_eq!(run.len(), 1, "{run:#?}");
    assert!(run[0].starts_with("0 appeared, 0 gone; 0 errors, 2 warnings"));

    save(repo, SERVING, &clean);
    let run = w.next_run();
    let (summary, changes) = run.split_last().unwrap();
    assert_eq!(
        changes,
        [
            format!("- {}", cross_dag.replace(":7:6:", ":8:6:")),
            format!("- {}", layer_skip.replace(":7:6:", ":8:6:"))
        ]
    );
    assert!(
        summary.starts_with("0 appeared, 2 gone; 0 errors, 0 warnings, 0 info"),
        "{summary}"
    );

    assert_eq!(interrupt(&mut w), Some(0));
}

#[test]
fn watch_refuses_machine_formats_and_one_shot_flags() {
    let acme = common::fixture("acme");
    let acme = acme.to_str().unwrap();
    let (code, stdout, stderr) = common::pipelint(&["check", acme, "--watch", "--format", "json"]);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        stderr,
        "pipelint: --watch prints the human format only; run `pipelint check --format json` once per change instead\n"
    );
    let (code, _, stderr) =
        common::pipelint(&["check", acme, "--watch", "--write-baseline", "b.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
