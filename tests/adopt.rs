//! Adopting pipelint on a repo with findings: baselines, pull-request mode,
//! bulk allows, and output a person can read.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{check_json, findings, fixture, pipelint};

/// A writable copy of a fixture.
fn copy_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("repo");
    copy_tree(&fixture(name), &to);
    (dir, to)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_baseline_round_trip_reports_nothing_and_survives_moved_lines() {
    let (dir, repo) = copy_of("acme-broken");
    let baseline = dir.path().join("baseline.json");
    let (code, _, err) = pipelint(&["check", s(&repo), "--write-baseline", s(&baseline)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("recorded 51 findings"), "{err}");
    let text = std::fs::read_to_string(&baseline).unwrap();
    // Per node, so the grouped DAG finding is two entries.
    assert!(
        text.contains("\"node\": \"dag:marketing_attribution\""),
        "{text}"
    );
    assert!(text.contains("\"node\": \"task:marketing_attribution.attribute_channels\""));
    // Stable: writing again gives the same bytes.
    pipelint(&["check", s(&repo), "--write-baseline", s(&baseline)]);
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), text);

    let (code, out, _) = pipelint(&["check", s(&repo), "--baseline", s(&baseline)]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "0 errors, 0 warnings, 0 info in 45 files (107 nodes, 108 edges)\n"
    );

    // A line above everything in every file: every finding moves, none is new.
    let mut files = Vec::new();
    files_under(&repo, &mut files);
    for f in files {
        let marker = match f.extension().and_then(|e| e.to_str()) {
            Some("sql") => "-- moved down by one line\n",
            Some("py" | "yml" | "yaml" | "toml") => "# moved down by one line\n",
            _ => continue,
        };
        let old = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&f, format!("{marker}{old}")).unwrap();
    }
    let (code, doc) = check_json(&repo, &["--baseline", s(&baseline)]);
    assert_eq!(findings(&doc), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn a_baseline_reports_exactly_the_new_violation_and_counts_the_fixed() {
    let (dir, repo) = copy_of("acme-broken");
    let baseline = dir.path().join("baseline.json");
    pipelint(&["check", s(&repo), "--write-baseline", s(&baseline)]);

    let mart = repo.join("dbt/models/marts/mart_revenue.sql");
    let old = std::fs::read_to_string(&mart).unwrap();
    std::fs::write(
        &mart,
        old.replace("ref('dim_customer')", "ref('dim_customers')"),
    )
    .unwrap();
    let (code, doc) = check_json(&repo, &["--baseline", s(&baseline), "--fail-on", "warning"]);
    assert_eq!(
        findings(&doc),
        ["PL102 unresolved-reference model:acme.mart_revenue dbt/models/marts/mart_revenue.sql:7"]
    );
    assert_eq!(code, 1);
    std::fs::write(&mart, old).unwrap();

    let typo = repo.join("dbt/models/broken/orders_typo.sql");
    let old = std::fs::read_to_string(&typo).unwrap();
    std::fs::write(&typo, old.replace("ref('stg_order')", "ref('stg_orders')")).unwrap();
    let (code, out, _) = pipelint(&["check", s(&repo), "--baseline", s(&baseline)]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "1 baselined finding is fixed: run --write-baseline to shrink the file\n\
         0 errors, 0 warnings, 0 info in 45 files (107 nodes, 109 edges)\n"
    );
}

#[test]
fn the_manifest_names_the_baseline_applied_by_default() {
    let (_dir, repo) = copy_of("acme-broken");
    let (code, _, err) = pipelint(&[
        "check",
        s(&repo),
        "--write-baseline",
        s(&repo.join("pipelint-baseline.json")),
    ]);
    assert_eq!(code, 0, "{err}");
    let manifest = repo.join("pipeline.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen(
            "[project]\n",
            "[project]\nbaseline = \"pipelint-baseline.json\"\n",
            1,
        ),
    )
    .unwrap();
    let (code, doc) = check_json(&repo, &[]);
    assert_eq!(findings(&doc), Vec::<String>::new());
    assert_eq!(code, 0);
    // A baseline path leaving the repo is refused with a finding, not read.
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "baseline = \"pipelint-baseline.json\"",
            "baseline = \"../outside.json\"",
        ),
    )
    .unwrap();
    let (_, doc) = check_json(&repo, &["--select", "invalid-config"]);
    assert!(
        findings(&doc).contains(&"PL001 invalid-config - pipeline.toml:4".to_string()),
        "{doc}"
    );
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn changed_since_reports_exactly_what_the_branch_adds() {
    let (_dir, repo) = copy_of("acme");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "acme"]);
    let mart = repo.join("dbt/models/marts/mart_revenue.sql");
    let old = std::fs::read_to_string(&mart).unwrap();
    std::fs::write(
        &mart,
        old.replace("ref('dim_customer')", "ref('dim_customers')"),
    )
    .unwrap();
    git(&repo, &["commit", "-q", "-am", "a typo"]);

    let (code, doc) = check_json(&repo, &["--changed-since", "HEAD~1", "--fail-on", "warn"]);
    assert_eq!(
        findings(&doc),
        ["PL102 unresolved-reference model:acme.mart_revenue dbt/models/marts/mart_revenue.sql:7"]
    );
    assert_eq!(code, 1);
    // Untracked work counts too; the merge base with main is HEAD itself.
    std::fs::write(repo.join("sql/adhoc.sql"), "select * from raw.orders\n").unwrap();
    let (_, doc) = check_json(&repo, &["--changed-since", "main", "--fail-on", "info"]);
    assert_eq!(
        findings(&doc),
        [
            "PL201 missing-owner script:sql/adhoc.sql sql/adhoc.sql:1",
            "PL302 missing-failure-behavior script:sql/adhoc.sql sql/adhoc.sql:1"
        ]
    );
    // From a subfolder.
    let (_, doc) = check_json(
        &repo.join("dbt"),
        &["--changed-since", "HEAD~1", "--fail-on", "warn"],
    );
    assert_eq!(
        findings(&doc),
        ["PL102 unresolved-reference model:acme.mart_revenue dbt/models/marts/mart_revenue.sql:7"]
    );

    let (code, _, err) = pipelint(&["check", s(&repo), "--changed-since", "no-such-branch"]);
    assert_eq!(code, 2);
    assert!(err.contains("`no-such-branch` names no commit"), "{err}");
    let outside = tempfile::tempdir().unwrap();
    let (code, _, err) = pipelint(&["check", s(outside.path()), "--changed-since", "main"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not inside a git repository"), "{err}");
}

#[test]
fn add_allow_writes_one_comment_per_finding_and_is_idempotent() {
    let (_dir, repo) = copy_of("acme-broken");
    let (code, _, err) = pipelint(&["check", s(&repo), "--add-allow", "legacy, see TICKET-1"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("added "), "{err}");
    let dau = std::fs::read_to_string(repo.join("sql/serving/daily_active_users.sql")).unwrap();
    let lines: Vec<&str> = dau.lines().collect();
    // Line 8 held two findings (PL103, PL402): the comment above it takes the
    // first, pipeline.toml the other.
    assert_eq!(
        lines[7].trim(),
        "-- pipelint: allow[cross-dag-without-trigger] legacy, see TICKET-1"
    );
    let manifest = std::fs::read_to_string(repo.join("pipeline.toml")).unwrap();
    assert!(manifest.contains(
        "[[allow]]\nrule = \"layer-skip\"\nnode = \"script:sql/serving/daily_active_users.sql\"\nreason = \"legacy, see TICKET-1\"\n"
    ), "{manifest}");
    // Only acme-broken's configuration mistakes and its stale [[allow]] are
    // left: those are fixed, never allowed.
    let (_, doc) = check_json(&repo, &["--fail-on", "info"]);
    assert_eq!(
        findings(&doc),
        [
            "PL001 invalid-config - pipeline.toml:49",
            "PL001 invalid-config - pipeline.toml:65",
            "PL002 unused-allow - pipeline.toml:104"
        ]
    );
    let (_, _, err) = pipelint(&["check", s(&repo), "--add-allow", "again"]);
    assert!(
        err.contains("added 0 inline allows in 0 files and 0 [[allow]] entries"),
        "{err}"
    );
}

#[test]
fn add_allow_never_writes_through_a_symlink() {
    let (dir, repo) = copy_of("acme-broken");
    let real = dir.path().join("outside.sql");
    std::fs::write(&real, "select * from raw.orders\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&real, repo.join("sql/linked.sql")).unwrap();
    pipelint(&["check", s(&repo), "--add-allow", "legacy"]);
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "select * from raw.orders\n"
    );
}

#[test]
fn report_flags_output_file_exit_zero_statistics_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let p = fixture("acme-broken");
    let out_file = dir.path().join("report.json");
    let (code, out, _) = pipelint(&[
        "check",
        s(&p),
        "--format",
        "json",
        "-o",
        s(&out_file),
        "--exit-zero",
    ]);
    assert_eq!((code, out.as_str()), (0, ""));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(doc["summary"]["errors"], 27);

    let (code, out, _) = pipelint(&["check", s(&p), "--statistics"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "code   rule                      severity  count");
    assert_eq!(lines[1], "PL302  missing-failure-behavior  warn          9");
    assert_eq!(
        lines.last().copied(),
        Some("27 errors, 22 warnings, 2 info in 45 files (107 nodes, 108 edges)")
    );
    assert!(!out.contains('|'), "no frames: {out}");

    let (_, out, _) = pipelint(&["check", s(&p), "-q"]);
    assert_eq!(out.lines().count(), 51 + 1);
    assert!(out.ends_with("27 errors, 22 warnings, 2 info in 45 files (107 nodes, 108 edges)\n"));

    let (_, out, _) = pipelint(&["check", s(&p)]);
    // The message once per finding: in the header only.
    let msg = "consumer `exec_dashboard` reads raw-layer dataset `raw.events`";
    assert_eq!(out.matches(msg).count(), 1, "{out}");
    assert!(out.contains("code   rule"));
}

#[test]
fn hostile_names_and_lines_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::create_dir_all(repo.join("sql")).unwrap();
    std::fs::write(
        repo.join("sql/::error title=x::y.sql"),
        "select \x1b]0;pwned\x07 * from raw.orders\r\n",
    )
    .unwrap();
    std::fs::write(repo.join("sql/b.sql"), "select 'é€' as x, \x1b[2J * from\n").unwrap();
    for args in [vec!["check", s(repo)], vec!["check", s(repo), "-q"]] {
        let (_, out, _) = pipelint(&args);
        assert!(out.contains("sql/::error title=x::y.sql:1:1"), "{out}");
        assert!(
            !out.contains('\x1b') && !out.contains('\x07') && !out.contains('\r'),
            "{out}"
        );
        assert!(out.lines().all(|l| !l.starts_with("::")), "{out}");
    }
    let (_, out, _) = pipelint(&["check", s(repo)]);
    assert!(out.contains("\\x1b]0;pwned\\x07"), "{out}");
}

#[test]
fn many_findings_in_one_big_file_render_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut sql = String::new();
    for i in 0..20_000 {
        sql.push_str(&format!(
            "-- pipelint: allow[layer-skip] old exception {i}\nselect {i};\n"
        ));
    }
    std::fs::write(dir.path().join("many.sql"), sql).unwrap();
    let p = dir.path().to_str().unwrap();
    let time = |args: &[&str]| {
        let start = std::time::Instant::now();
        let (_, out, _) = pipelint(args);
        (start.elapsed(), out)
    };
    let (quiet, _) = time(&["check", p, "-q"]);
    let (human, out) = time(&["check", p]);
    assert!(
        out.contains("PL002  unused-allow"),
        "{}",
        &out[out.len().saturating_sub(500)..]
    );
    assert!(
        human < quiet * 3 + std::time::Duration::from_secs(2),
        "human {human:?} vs quiet {quiet:?}"
    );
}

#[test]
fn a_finding_far_along_a_huge_line_is_framed_without_the_line() {
    let dir = tempfile::tempdir().unwrap();
    // One 15 MB line, a finding past column 65,536 at its end.
    let line = format!(
        "select 1; /* {} */ -- pipelint: allow[layer-skip] old\n",
        "x".repeat(15 * 1024 * 1024)
    );
    std::fs::write(dir.path().join("huge.sql"), &line).unwrap();
    let (code, out, err) = pipelint(&["check", s(dir.path())]);
    assert_eq!(code, 1, "{err}");
    let column = 15 * 1024 * 1024 + 18;
    assert!(
        out.contains(&format!("\nhuge.sql:1:{column}: PL002 unused-allow [warn]")),
        "{}",
        &out[..out.len().min(400)]
    );
    // Three findings, each framed with a window of the line.
    assert!(out.len() < 3_000, "the frames hold {} bytes", out.len());
    assert!(out.contains("1 | …xxx"), "{out}");
    assert!(
        out.contains("xxx */ -- pipelint: allow[layer-skip] old\n"),
        "{out}"
    );
}
