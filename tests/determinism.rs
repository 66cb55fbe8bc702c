//! Deterministic under load: the same repo gives byte-identical output at
//! any thread count, while another process hogs the CPU, and whatever order
//! its files were created in.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{fixture, pipelint};

/// A process spinning on the CPU until dropped.
struct Hog(Child);

impl Hog {
    fn start() -> Hog {
        Hog(Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .stdout(Stdio::null())
            .spawn()
            .expect("sh runs"))
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn outputs(repo: &Path, threads: &str) -> Vec<String> {
    let repo = repo.to_string_lossy().into_owned();
    ["human", "json", "sarif", "github"]
        .iter()
        .map(|format| {
            let (code, out, err) = pipelint(&[
                "check",
                repo.as_str(),
                "--format",
                format,
                "--threads",
                threads,
                "--no-color",
            ]);
            assert!(code == 0 || code == 1, "{err}");
            out
        })
        .collect()
}

/// Copies `from` into `to`, creating entries in reverse name order.
fn copy_reversed(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    let mut entries: Vec<_> = std::fs::read_dir(from).unwrap().flatten().collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.file_name()));
    for e in entries {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_reversed(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn output_is_the_same_for_any_thread_count_under_load_and_any_file_order() {
    let repo = fixture("acme-broken");
    let calm = outputs(&repo, "1");
    assert!(calm[1].contains("\"diagnostics\""), "{}", calm[1]);
    let hogs: Vec<Hog> = (0..2).map(|_| Hog::start()).collect();
    let loaded = outputs(&repo, "8");
    let copy = tempfile::tempdir().unwrap();
    copy_reversed(&repo, copy.path());
    let reordered = outputs(copy.path(), "8");
    drop(hogs);
    for (i, format) in ["human", "json", "sarif", "github"].iter().enumerate() {
        assert_eq!(
            calm[i], loaded[i],
            "{format} differs between --threads 1 and 8 under load"
        );
        assert_eq!(
            calm[i], reordered[i],
            "{format} differs with another file order"
        );
    }
}
