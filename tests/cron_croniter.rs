//! Opt-in: a cron string is valid for pipelint exactly when croniter (the
//! library Airflow reads schedules with) accepts it.

mod common;

use std::process::Command;

/// Cron strings on both sides of croniter's line: steps without ranges,
/// seconds last, years, `L`/`W`/`#`, names, reversed ranges, bad values.
const CORPUS: &[&str] = &[
    "15 2/4 3-6 * *",
    "*/5 * * * *",
    "/10 * * * *",
    "0 0 L * *",
    "0 0 15W * *",
    "0 0 * * 5#3",
    "0 0 * * L5",
    "0 0 * * 5L",
    "0 0 * * mon-fri",
    "0 0 1 jan *",
    "0 0 * * 7",
    "* * * * * 30",
    "* * * * * * 2030",
    "61 * * * *",
    "0 24 * * *",
    "0 0 ? * *",
    "0 0 31 2 *",
    "1-5/2 * * * *",
    "*/0 * * * *",
    "0 0 * * sun-sat",
    "0 0 0 * *",
    "0 0 * 13 *",
    "0 0 1,15 * *",
    "0 0 LW * *",
    "H * * * *",
    "0 0 * * 1-7",
    "0 0 32 * *",
    "0 22-2 * * *",
    "* * * * * *",
    "0 12 * * 0#5",
    "0 0 * * 6#6",
    "30 6 * * 1,3,5",
    "0 */3 * * *",
    "0 9-17 * * 1-5",
    "5 4 * * sun",
    "0 0 1 */2 *",
];

#[test]
fn cron_validity_matches_croniter() {
    if !common::external_tests() {
        println!("skipped: set PIPELINT_EXTERNAL_TESTS=1 (see .ci/run) to compare with croniter");
        return;
    }
    let python =
        common::venv_python().expect("PIPELINT_VENV with croniter (.ci/setup.d/40-croniter.sh)");
    let script = "import sys\nfrom croniter import croniter\nfor line in sys.stdin.read().splitlines():\n    print(croniter.is_valid(line))\n";
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin
            .write_all(CORPUS.join("\n").as_bytes())
            .expect("write corpus");
    }
    let out = child.wait_with_output().expect("python finishes");
    assert!(out.status.success());
    let verdicts: Vec<bool> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim() == "True")
        .collect();
    assert_eq!(verdicts.len(), CORPUS.len());
    let mismatches: Vec<String> = CORPUS
        .iter()
        .zip(&verdicts)
        .filter(|(expr, ok)| pipelint::cadence::parse_cron(expr).is_ok() != **ok)
        .map(|(expr, ok)| format!("{expr}: croniter says {ok}"))
        .collect();
    assert_eq!(mismatches, Vec::<String>::new());
}
